import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { throwIfCancelled, type CancellationToken } from '../../engine/cancellation';
import type { ChatMessage, ChatPrompt } from '../../engine/generation/chatTemplate';
import type { RopeConfig } from '../../engine/factorSet';
import { checkKvBudget, formatBytes } from '../../engine/generation/memoryGuard';
import type {
	LanguageModel,
	LengthLimit,
	ModelDescription,
	ModelSession,
	PerplexityResult,
} from '../../engine/model/languageModel';
import { buildRotaryTables, type RotarySpec } from '../../engine/rotaryTables';
import { HfTokenizer } from '../hfTokenizer';
import { ModelFolderError } from '../loadModelFolder';
import { cpuSessionOptions } from '../cpuSession';
import {
	checkScoreFrom,
	checkedTuning,
	chunkNll,
	perplexityResult,
	type ModelTuning,
} from '../decoding';
import { readModelChatTemplate, type ModelChatTemplate } from '../modelChatTemplate';
import { loadOnnxRuntime } from '../onnxRuntime';
import {
	adaptGenaiGraph,
	defaultAdaptedDir,
	openAdaptedSession,
	type AdaptedGraph,
	type KvType,
} from './adaptGraph';
import { GenaiGraph, GenaiKvCache } from './genaiGraph';
import { readGenaiFolder, type GenaiFolder } from './genaiFolder';
import type { Int4Activations } from './int4Activations';
import { GenaiSession } from './genaiSession';
import { genaiRope, type GenaiRope } from './genaiWindows';

export { isGenaiFolder } from './genaiFolder';

export interface GenaiModelOptions extends ModelTuning {
	/**
	 * onnxruntime's intra-op threads; 0 (the default) is onnxruntime's own choice, one per
	 * physical core. At these sizes the work is long int4 matmuls, which on 2 cores ran 1.9× faster
	 * on 2 threads than on 1, a prefill chunk's and a decode row's alike (the limits in
	 * bench/results/realsize.md), unlike the bundled model's short runs.
	 */
	readonly intraOpThreads?: number;
	/** Where adapted graphs are kept (default: the extension's cache folder). */
	readonly cacheDir?: string;
	/** The KV cache's element type (float16: half the memory, attention in half precision). */
	readonly kvType?: KvType;
	/** What the int4 matmuls do with their input (float32: less memory, slower decode). */
	readonly int4Activations?: Int4Activations;
	/** Bytes one prefill run's attention score tensor may take (default SCORE_BYTES). */
	readonly scoreBytes?: number;
}

/** Settings that change without reloading the weights. */
export type GenaiTuning = ModelTuning;

/**
 * Bytes one float32 attention score tensor [heads, rows, capacity] may take in a prefill run
 * (36 MiB: 64 rows for Phi-3.5-mini's 32 heads at 4096 tokens). Attention reads the whole
 * planned cache, so a run's workspace grows with rows × capacity (scores, masked, softmaxed,
 * split): on the Phi-3.5-mini replica at 4096 tokens, runs of 64 rows peaked 611 MiB lower
 * than runs of 256 and prefilled at 0.92× their speed, interleaved in one run
 * (bench/results/realsize-rows-4096.md; by phase: realsize-memory.md).
 */
export const SCORE_BYTES = 36 * 2 ** 20;
/** Prefill rows per run stay a multiple of this (the int4 kernel's row tiles), and at least it. */
const ROW_STEP = 16;

/** Turn markers that end an answer when they appear as text; only those the vocabulary has. */
const STOP_STRING_CANDIDATES = ['<|end|>', '<|user|>', '<|system|>', '<|endoftext|>'];

/**
 * An ONNX Runtime GenAI export (Phi-3-mini-128k, Phi-3.5-mini, Phi-4-mini CPU int4) behind the
 * LanguageModel interface. Its graph is adapted at load so that the rotary caches are inputs:
 * every request runs with the factor set its plan chose, from the first token, instead of the
 * set the original graph would switch to mid-request.
 */
export class GenaiModel implements LanguageModel {
	readonly countMargin = 0;
	readonly windows: { readonly kind: 'factor-sets'; readonly rope: RopeConfig };
	/** Where config.json and the graph disagree, or where the sets came from when it is absent. */
	readonly warnings: readonly string[];
	readonly description: ModelDescription;
	readonly kvBytesPerToken: number;
	readonly stopStrings: readonly string[];
	readonly perplexity = (
		ids: readonly number[],
		spec: RotarySpec,
		token?: CancellationToken,
		scoreFrom?: number,
	): Promise<PerplexityResult> => this.score(ids, spec, token, scoreFrom);

	private constructor(
		readonly folder: GenaiFolder,
		readonly adapted: AdaptedGraph,
		readonly graph: GenaiGraph,
		readonly tokenizer: HfTokenizer,
		private readonly template: ModelChatTemplate,
		rope: GenaiRope,
		private tuning: Required<GenaiTuning>,
		private readonly scoreBytes: number,
	) {
		this.windows = { kind: 'factor-sets', rope: rope.rope };
		this.warnings = rope.warnings;
		this.description = {
			name: path.basename(path.resolve(folder.folder)),
			kind: 'local',
			format: 'ort-genai',
			location: folder.folder,
		};
		this.kvBytesPerToken = GenaiKvCache.bytesFor(graph.kvShape, 1);
		this.stopStrings = STOP_STRING_CANDIDATES.filter((s) => tokenizer.tokenId(s) !== undefined);
	}

	static async open(folderPath: string, options: GenaiModelOptions = {}): Promise<GenaiModel> {
		const intraOpThreads = options.intraOpThreads ?? 0;
		if (!Number.isInteger(intraOpThreads) || intraOpThreads < 0) {
			throw new Error(`intraOpThreads must be an integer ≥ 0, not ${intraOpThreads}`);
		}
		const tuning = checkedTuning(options);
		const scoreBytes = options.scoreBytes ?? SCORE_BYTES;
		if (!(scoreBytes > 0)) throw new Error(`scoreBytes must be positive, not ${scoreBytes}`);
		const folder = await readGenaiFolder(folderPath);
		const tokenizer = new HfTokenizer(
			JSON.parse(await readFile(folder.tokenizerFile, 'utf8')) as Record<string, unknown>,
			folder.tokenizerFile,
		);
		if (tokenizer.vocabSize > folder.vocabSize) {
			throw new ModelFolderError(
				`${folder.tokenizerFile} has ${tokenizer.vocabSize} tokens but genai_config.json says vocab_size ${folder.vocabSize}`,
			);
		}
		const template = await readModelChatTemplate(folder.folder, tokenizer);
		const adapted = await adaptGenaiGraph(folder, options.cacheDir ?? defaultAdaptedDir(), {
			kvType: options.kvType,
			int4Activations: options.int4Activations,
		});
		const rope = await genaiRope(folder, adapted);
		const session = await openAdaptedSession(adapted, cpuSessionOptions(intraOpThreads));
		const graph = new GenaiGraph(await loadOnnxRuntime(), session, folder, adapted.kvType);
		return new GenaiModel(
			folder,
			adapted,
			graph,
			tokenizer,
			template,
			rope,
			tuning,
			scoreBytes,
		);
	}

	get prefillChunk(): number {
		return this.tuning.prefillChunk;
	}

	/**
	 * Rows per prefill run into a cache of `capacity` positions: the tuned chunk, fewer where the
	 * attention scores of a run would pass `scoreBytes`.
	 */
	prefillRows(capacity: number): number {
		const fit = Math.floor(this.scoreBytes / (this.folder.heads * capacity * 4));
		const rows = Math.max(ROW_STEP, Math.floor(fit / ROW_STEP) * ROW_STEP);
		return Math.min(this.tuning.prefillChunk, rows);
	}

	get maxKvCacheBytes(): number {
		return this.tuning.maxKvCacheBytes;
	}

	get memoryLimit(): LengthLimit {
		return {
			tokens: Math.floor(this.tuning.maxKvCacheBytes / this.kvBytesPerToken),
			bytes: this.tuning.maxKvCacheBytes,
			reason: `the KV-cache memory cap of ${formatBytes(this.tuning.maxKvCacheBytes)} (longrope.maxKvCacheMB, or --kv-cache-mb)`,
		};
	}

	/** Changes the memory cap and prefill chunk; the weights stay loaded. */
	retune(tuning: GenaiTuning): void {
		this.tuning = checkedTuning({ ...this.tuning, ...tuning });
	}

	renderChat(messages: readonly ChatMessage[]): ChatPrompt {
		return this.template.buildPrompt(messages);
	}

	openSession(): ModelSession {
		return new GenaiSession(this);
	}

	/** Bytes the KV cache of a `tokens`-long request takes; throws MemoryCapError over the cap. */
	checkBudget(tokens: number): number {
		return checkKvBudget(tokens, this.kvBytesPerToken, this.tuning.maxKvCacheBytes);
	}

	/**
	 * Perplexity of `ids` under any rotary spec, tokens before `scoreFrom` (default 1) as context:
	 * exp of the mean negative log-likelihood of ids[scoreFrom…], in prefill chunks through a
	 * cache of ids.length − 1.
	 */
	private async score(
		ids: readonly number[],
		spec: RotarySpec,
		token?: CancellationToken,
		scoreFrom?: number,
	): Promise<PerplexityResult> {
		const from = checkScoreFrom(ids.length, scoreFrom);
		const fed = ids.length - 1;
		this.checkBudget(fed);
		const cache = this.graph.newCache(fed);
		const tables = buildRotaryTables(spec, 0, fed);
		const vocab = this.folder.vocabSize;
		const rows = this.prefillRows(fed);
		let nll = 0;
		for (let start = 0; start < fed; start += rows) {
			throwIfCancelled(token);
			const chunk = ids.slice(start, Math.min(start + rows, fed));
			const logits = await this.graph.forward(chunk, cache, tables, 'all');
			nll += chunkNll(logits, vocab, ids, start, chunk.length, from);
		}
		return perplexityResult(ids.length, from, nll);
	}

	async dispose(): Promise<void> {
		await this.graph.dispose();
	}
}
