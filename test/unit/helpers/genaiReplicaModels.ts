import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FactorManager } from '../../../extension/engine/factorManager';
import type { FactorChoice } from '../../../extension/engine/factorSelection';
import type { GenerationStats, ModelSession } from '../../../extension/engine/model/languageModel';
import { chooseSet, type RequestPlan } from '../../../extension/engine/model/requestPlan';
import type { RotaryTables } from '../../../extension/engine/rotaryTables';
import { GenaiModel, type GenaiModelOptions } from '../../../extension/runtime/genai/genaiModel';
import { REPLICAS } from './replicaReference';

/** GenaiModels of the replicas (or of changed copies), adapted into a scratch folder. */
export class ReplicaModels {
	readonly work = mkdtempSync(path.join(tmpdir(), 'genai-model-'));
	private readonly opened: GenaiModel[] = [];

	get cacheDir(): string {
		return path.join(this.work, 'adapted');
	}

	/** A replica by kind, or any folder by path; prefill chunks of 16, one thread. */
	async open(kindOrFolder: string, options: GenaiModelOptions = {}): Promise<GenaiModel> {
		const folder = path.isAbsolute(kindOrFolder)
			? kindOrFolder
			: path.join(REPLICAS, kindOrFolder);
		const model = await GenaiModel.open(folder, {
			cacheDir: this.cacheDir,
			prefillChunk: 16,
			intraOpThreads: 1,
			...options,
		});
		this.opened.push(model);
		return model;
	}

	/** A copy of a replica folder that a test may change. */
	copy(kind: string): string {
		const dir = path.join(this.work, `${kind}-copy`);
		rmSync(dir, { recursive: true, force: true });
		cpSync(path.join(REPLICAS, kind), dir, { recursive: true });
		return dir;
	}

	async dispose(): Promise<void> {
		for (const model of this.opened) await model.dispose();
		rmSync(this.work, { recursive: true, force: true });
	}
}

/** The tables of the set a plan of `plannedLength` tokens chooses, positions 0 … plannedLength−1. */
export function tablesFor(model: GenaiModel, plannedLength: number): RotaryTables {
	const rope = new FactorManager(model.windows.rope);
	rope.use(chooseSet(model, plannedLength) as FactorChoice, plannedLength);
	return rope.tables(0, plannedLength);
}

/** Logits of `tokens` fed in `chunks` through the runtime's graph and KV cache, one plan for all. */
export async function runtimeLogits(
	model: GenaiModel,
	tokens: number[],
	chunks: number[],
): Promise<Float32Array> {
	const vocab = model.folder.vocabSize;
	const cache = model.graph.newCache(tokens.length);
	const tables = tablesFor(model, tokens.length);
	const out = new Float32Array(tokens.length * vocab);
	let start = 0;
	for (const size of chunks) {
		const chunk = tokens.slice(start, start + size);
		out.set(await model.graph.forward(chunk, cache, tables, 'all'), start * vocab);
		start += size;
	}
	return out;
}

/** Runs a request to the end; the text deltas and the statistics. */
export async function answer(
	session: ModelSession,
	plan: RequestPlan,
): Promise<{ deltas: string[]; stats: GenerationStats }> {
	const deltas: string[] = [];
	const generator = session.generate({ plan });
	for (;;) {
		const next = await generator.next();
		if (next.done) return { deltas, stats: next.value };
		deltas.push(next.value);
	}
}
