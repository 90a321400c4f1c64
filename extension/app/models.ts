import * as path from 'node:path';
import type { LanguageModel } from '../engine/model/languageModel';
import { loadModelTokenizer } from '../runtime/loadModelFolder';
import type { KvType } from '../runtime/genai/adaptGraph';
import { GenaiModel, isGenaiFolder } from '../runtime/genai/genaiModel';
import type { Int4Activations } from '../runtime/genai/int4Activations';
import { LocalModel } from '../runtime/localModel';
import type { RemoteEndpoint } from '../runtime/remoteEndpoint';
import { RemoteModel } from '../runtime/remoteModel';

/** Which model answers, as plain data (the CLI's flags, the editor's settings). */
export interface ModelChoice {
	/** The model folder; with a remote endpoint, only its tokenizer is read (for counting). */
	readonly folder: string;
	/** onnxruntime's intra-op threads (0 or undefined: the runtime's default). */
	readonly threads?: number;
	readonly prefillChunk?: number;
	readonly maxKvCacheBytes?: number;
	/**
	 * The KV cache's element type. float16 (ONNX Runtime GenAI folders only) halves the cache, so
	 * the same memory cap holds twice the context; the bundled graph's cache is float32.
	 */
	readonly kvPrecision?: KvType;
	/**
	 * What the int4 matmuls of an ONNX Runtime GenAI folder do with their input: `float32` holds
	 * about 1 GiB less on a Phi-3.5-mini-sized model and decodes slower; default: as exported.
	 */
	readonly int4Activations?: Int4Activations;
	readonly remote?: RemoteEndpoint & { readonly contextWindow?: number };
}

export interface OpenedModel {
	readonly model: LanguageModel;
	/** The tokenizer.json that counts tokens (the token-count cache is kept per tokenizer). */
	readonly tokenizerFile: string;
	/** For people: the model's own warnings, and what of the choice it cannot do. */
	readonly warnings: readonly string[];
}

/** Loads what the choice names: the local model, or the endpoint with a local tokenizer. */
export async function openModel(choice: ModelChoice): Promise<OpenedModel> {
	const tokenizerFile = path.join(choice.folder, 'tokenizer.json');
	if (choice.remote) {
		const model = await RemoteModel.open({
			endpoint: choice.remote,
			tokenizer: await loadModelTokenizer(choice.folder),
			window: choice.remote.contextWindow,
		});
		return { model, tokenizerFile, warnings: [] };
	}
	const options = {
		intraOpThreads: choice.threads || undefined,
		prefillChunk: choice.prefillChunk,
		maxKvCacheBytes: choice.maxKvCacheBytes,
	};
	if (isGenaiFolder(choice.folder)) {
		const model = await GenaiModel.open(choice.folder, {
			...options,
			kvType: choice.kvPrecision,
			int4Activations: choice.int4Activations,
		});
		return { model, tokenizerFile, warnings: model.warnings };
	}
	const model = await LocalModel.load(choice.folder, options);
	const warnings: string[] = [];
	if (choice.kvPrecision === 'float16') {
		warnings.push(
			'a float16 KV cache applies to ONNX Runtime GenAI model folders; this model keeps its float32 cache',
		);
	}
	if (choice.int4Activations && choice.int4Activations !== 'exported') {
		warnings.push(
			`${choice.int4Activations} activations apply to the int4 matmuls of ONNX Runtime GenAI model folders; this model has none`,
		);
	}
	return { model, tokenizerFile, warnings };
}

/** What must match for a loaded model to serve a choice: the rest is retuned in place. */
function weightsKey(choice: ModelChoice): string {
	return JSON.stringify(
		choice.remote
			? ['remote', choice.folder, choice.remote]
			: [
					'local',
					choice.folder,
					choice.threads ?? 0,
					choice.kvPrecision ?? 'float32',
					choice.int4Activations ?? 'exported',
				],
	);
}

/**
 * The one loaded model of a long-lived process (the editor's engine): a new choice that names
 * the same weights keeps them and changes only the memory cap and the prefill chunk.
 */
export class ModelHolder {
	private current: { key: string; opened: Promise<OpenedModel> } | undefined;

	async get(choice: ModelChoice): Promise<OpenedModel & { readonly reused: boolean }> {
		const key = weightsKey(choice);
		const reused = this.current?.key === key;
		if (!reused) {
			await this.dispose();
			const opened = openModel(choice);
			this.current = { key, opened };
			opened.catch(() => {
				if (this.current?.opened === opened) this.current = undefined;
			});
		}
		const opened = await (this.current as { opened: Promise<OpenedModel> }).opened;
		if (opened.model instanceof LocalModel || opened.model instanceof GenaiModel) {
			opened.model.retune({
				prefillChunk: choice.prefillChunk,
				maxKvCacheBytes: choice.maxKvCacheBytes,
			});
		}
		return { ...opened, reused };
	}

	async dispose(): Promise<void> {
		const previous = this.current;
		this.current = undefined;
		if (previous) await (await previous.opened.catch(() => undefined))?.model.dispose();
	}
}
