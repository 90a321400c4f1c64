import { throwIfCancelled, type CancellationToken } from '../engine/cancellation';
import type { Disposable } from '../engine/emitter';
import { FactorManager } from '../engine/factorManager';
import type { FactorOverride } from '../engine/factorSelection';
import type { RopeConfig } from '../engine/factorSet';
import { checkKvBudget } from '../engine/generation/memoryGuard';
import { Sampler, type SamplingOptions } from '../engine/generation/sampling';
import { StopStringFilter, TextStream } from '../engine/generation/textStream';
import { buildRotaryTables, type RotarySpec } from '../engine/rotaryTables';
import { KvCache } from './kvCache';
import { loadModelFolder, type ModelFolder } from './loadModelFolder';
import { LongropeGraph, type GraphOptimization } from './longropeGraph';
import { availableParallelism } from 'node:os';

export interface LocalModelOptions {
	/** onnxruntime's intra-op threads (0: one per core); default half the cores (bench/results/session.md). */
	readonly intraOpThreads?: number;
	readonly graphOptimization?: GraphOptimization;
	/** Tokens per prefill run: attention memory against run overhead; 256 measured best (bench/results/session.md). */
	readonly prefillChunk?: number;
	/** Requests whose planned KV cache is larger are refused before anything is allocated. */
	readonly maxKvCacheBytes?: number;
}

export const DEFAULT_PREFILL_CHUNK = 256;
/** On a 2-core machine with the editor busy, 1 thread beat 2 by 2.5× (bench/results/session.md); spinning threads fight the host. */
export const DEFAULT_INTRA_OP_THREADS = Math.max(1, Math.floor(availableParallelism() / 2));
export const DEFAULT_MAX_KV_CACHE_BYTES = 1024 * 1024 * 1024;

export interface GenerationRequest {
	/** The whole prompt, template applied; a prefix shared with the conversation's cache is not run again. */
	readonly prompt: readonly number[];
	readonly maxNewTokens: number;
	readonly sampling?: SamplingOptions;
	/** Token ids that end the answer (end of turn, end of text); they are not part of it. */
	readonly stopIds?: readonly number[];
	readonly stopStrings?: readonly string[];
	readonly override?: FactorOverride;
}

export interface PlanInfo {
	readonly set: string;
	readonly reason: string;
	readonly warning?: string;
	readonly plannedLength: number;
	readonly promptTokens: number;
	/** Prompt tokens whose keys were already cached (prefix reuse). */
	readonly reusedTokens: number;
	/** Why the cache was dropped before this request, when it was (another factor set). */
	readonly cacheRebuilt?: string;
	readonly plannedKvBytes: number;
}

export interface PrefillProgress {
	readonly done: number;
	readonly total: number;
	readonly tokensPerSecond: number;
	readonly etaSeconds: number;
}

export interface GenerationHooks {
	onPlan?(plan: PlanInfo): void;
	onPrefill?(progress: PrefillProgress): void;
}

export type StopReason = 'stop-token' | 'stop-string' | 'max-tokens';

export interface GenerationStats {
	readonly plan: PlanInfo;
	readonly newTokens: number;
	/** The answer's token ids, stop token excluded. */
	readonly tokenIds: readonly number[];
	readonly stopReason: StopReason;
	readonly timeToFirstTokenMs: number;
	readonly prefillTokensPerSecond: number;
	readonly decodeTokensPerSecond: number;
	readonly kvBytes: number;
}

export interface PerplexityResult {
	readonly tokens: number;
	readonly negativeLogLikelihood: number;
	readonly perplexity: number;
}

/** The bundled (or a user's) model on onnxruntime-node: one session, shared by conversations. */
export class LocalModel implements Disposable {
	private constructor(
		readonly folder: ModelFolder,
		readonly graph: LongropeGraph,
		readonly options: Required<LocalModelOptions>,
	) {}

	static async load(folderPath: string, options: LocalModelOptions = {}): Promise<LocalModel> {
		const folder = await loadModelFolder(folderPath);
		const resolved: Required<LocalModelOptions> = {
			intraOpThreads: options.intraOpThreads ?? DEFAULT_INTRA_OP_THREADS,
			graphOptimization: options.graphOptimization ?? 'all',
			prefillChunk: options.prefillChunk ?? DEFAULT_PREFILL_CHUNK,
			maxKvCacheBytes: options.maxKvCacheBytes ?? DEFAULT_MAX_KV_CACHE_BYTES,
		};
		if (!Number.isInteger(resolved.prefillChunk) || resolved.prefillChunk <= 0) {
			throw new Error(
				`prefillChunk must be a positive integer, not ${resolved.prefillChunk}`,
			);
		}
		if (!Number.isInteger(resolved.intraOpThreads) || resolved.intraOpThreads < 0) {
			throw new Error(
				`intraOpThreads must be an integer ≥ 0, not ${resolved.intraOpThreads}`,
			);
		}
		const graph = await LongropeGraph.open(folder.modelFile, folder.shape, {
			intraOpThreads: resolved.intraOpThreads || undefined,
			graphOptimization: resolved.graphOptimization,
		});
		return new LocalModel(folder, graph, resolved);
	}

	get kvBytesPerToken(): number {
		return KvCache.bytesFor(this.folder.shape, 1);
	}

	/** A conversation choosing among the model's factor sets, or among `rope`'s (evaluations pass their own). */
	createConversation(rope: RopeConfig = this.folder.rope): Conversation {
		return new Conversation(this, rope);
	}

	/**
	 * Perplexity of `ids` with the given rotary spec (any scaling), the first token as context:
	 * exp of the mean negative log-likelihood of ids[1…]. Runs in prefill chunks through a cache.
	 */
	async perplexity(
		ids: readonly number[],
		spec: RotarySpec,
		token?: CancellationToken,
	): Promise<PerplexityResult> {
		if (ids.length < 2)
			throw new Error(`perplexity needs at least 2 tokens, got ${ids.length}`);
		checkKvBudget(ids.length, this.kvBytesPerToken, this.options.maxKvCacheBytes);
		const cache = new KvCache(this.folder.shape, ids.length);
		const vocab = this.folder.shape.vocabSize;
		let nll = 0;
		try {
			for (let start = 0; start < ids.length - 1; start += this.options.prefillChunk) {
				throwIfCancelled(token);
				const chunk = ids.slice(
					start,
					Math.min(start + this.options.prefillChunk, ids.length - 1),
				);
				const logits = await this.graph.forward(
					chunk,
					buildRotaryTables(spec, start, chunk.length),
					cache,
				);
				for (let t = 0; t < chunk.length; t++) {
					nll -= logSoftmaxAt(
						logits.subarray(t * vocab, (t + 1) * vocab),
						ids[start + t + 1],
					);
				}
			}
		} finally {
			cache.dispose();
		}
		const tokens = ids.length - 1;
		return { tokens, negativeLogLikelihood: nll, perplexity: Math.exp(nll / tokens) };
	}

	async dispose(): Promise<void> {
		await this.graph.dispose();
	}
}

/**
 * One conversation's state: its factor manager and its KV cache with the token ids the cache
 * holds. Consecutive requests that share a prompt prefix reuse the cached keys; a request whose
 * planned length picks another factor set drops them first (keys are cached already rotated).
 */
export class Conversation implements Disposable {
	readonly rope: FactorManager;
	private cache: KvCache;
	private cachedIds: number[] = [];
	private cacheKey: string | undefined;
	private busy = false;

	constructor(
		private readonly model: LocalModel,
		rope: RopeConfig,
	) {
		this.rope = new FactorManager(rope);
		this.cache = new KvCache(model.folder.shape, 256);
	}

	/** Streams the answer as text deltas; the generator's return value carries the statistics. */
	async *generate(
		request: GenerationRequest,
		token?: CancellationToken,
		hooks: GenerationHooks = {},
	): AsyncGenerator<string, GenerationStats> {
		if (this.busy)
			throw new Error(
				'this conversation is already generating; wait for it or cancel it first',
			);
		this.busy = true;
		try {
			return yield* this.run(request, token, hooks);
		} finally {
			this.busy = false;
		}
	}

	private async *run(
		request: GenerationRequest,
		token: CancellationToken | undefined,
		hooks: GenerationHooks,
	): AsyncGenerator<string, GenerationStats> {
		const { prompt, maxNewTokens } = request;
		if (prompt.length === 0) throw new Error('the prompt is empty');
		if (!Number.isInteger(maxNewTokens) || maxNewTokens <= 0) {
			throw new Error(`maxNewTokens must be a positive integer, not ${maxNewTokens}`);
		}
		const model = this.model;
		const plannedLength = prompt.length + maxNewTokens;
		const plannedKvBytes = checkKvBudget(
			plannedLength,
			model.kvBytesPerToken,
			model.options.maxKvCacheBytes,
		);
		const sampler = new Sampler(request.sampling);
		throwIfCancelled(token);

		const previous = this.rope.active;
		const active = this.rope.plan({ plannedLength, override: request.override });
		let cacheRebuilt: string | undefined;
		if (this.cacheKey !== active.key) {
			if (this.cachedIds.length > 0 && previous) {
				cacheRebuilt = `factor set changed from ${previous.set.name} to ${active.set.name}: ${this.cachedIds.length} cached keys were rotated with the old set`;
			}
			this.cache.truncate(0);
			this.cachedIds = [];
			this.cacheKey = active.key;
		}
		// At least the last prompt token runs again: its logits start the answer.
		let reused = 0;
		const limit = Math.min(this.cachedIds.length, prompt.length - 1);
		while (reused < limit && this.cachedIds[reused] === prompt[reused]) reused++;
		this.cache.truncate(reused);
		this.cachedIds.length = reused;
		const plan: PlanInfo = {
			set: active.set.name,
			reason: active.reason,
			warning: active.warning,
			plannedLength,
			promptTokens: prompt.length,
			reusedTokens: reused,
			cacheRebuilt,
			plannedKvBytes,
		};
		hooks.onPlan?.(plan);

		const started = performance.now();
		const vocab = model.folder.shape.vocabSize;
		let logits: Float32Array = new Float32Array(0);
		const total = prompt.length - reused;
		for (let start = reused; start < prompt.length; start += model.options.prefillChunk) {
			throwIfCancelled(token);
			const chunk = prompt.slice(start, start + model.options.prefillChunk);
			const out = await model.graph.forward(
				chunk,
				this.rope.tables(start, chunk.length),
				this.cache,
			);
			this.cachedIds.push(...chunk);
			logits = out.subarray((chunk.length - 1) * vocab);
			const done = start + chunk.length - reused;
			const rate = done / Math.max(1e-9, (performance.now() - started) / 1000);
			hooks.onPrefill?.({
				done,
				total,
				tokensPerSecond: rate,
				etaSeconds: (total - done) / rate,
			});
		}
		const prefillMs = performance.now() - started;

		const history = [...prompt];
		const stopIds = new Set(request.stopIds ?? []);
		const text = new TextStream((ids) => model.folder.tokenizer.decode(ids));
		const stops = new StopStringFilter(request.stopStrings ?? []);
		let newTokens = 0;
		let stopReason: StopReason = 'max-tokens';
		let firstTokenMs = 0;
		const decodeStarted = performance.now();
		for (;;) {
			const id = sampler.next(logits, history);
			if (newTokens === 0) firstTokenMs = performance.now() - started;
			if (stopIds.has(id)) {
				stopReason = 'stop-token';
				break;
			}
			newTokens++;
			history.push(id);
			const delta = stops.push(text.push(id));
			if (delta) yield delta;
			if (stops.stopped) {
				stopReason = 'stop-string';
				break;
			}
			if (newTokens >= maxNewTokens) break;
			throwIfCancelled(token);
			logits = await model.graph.forward(
				[id],
				this.rope.tables(this.cachedIds.length, 1),
				this.cache,
			);
			this.cachedIds.push(id);
		}
		if (!stops.stopped) {
			const tail = stops.push(text.flush()) + stops.flush();
			if (tail) yield tail;
		}
		const decodeSeconds = (performance.now() - decodeStarted) / 1000;
		return {
			plan,
			newTokens,
			tokenIds: history.slice(prompt.length),
			stopReason,
			timeToFirstTokenMs: firstTokenMs,
			prefillTokensPerSecond: total / Math.max(1e-9, prefillMs / 1000),
			decodeTokensPerSecond:
				newTokens > 1 ? (newTokens - 1) / Math.max(1e-9, decodeSeconds) : 0,
			kvBytes: this.cache.bytes,
		};
	}

	/** Drops the cached keys (the next request prefills from scratch). */
	reset(): void {
		this.cache.truncate(0);
		this.cachedIds = [];
	}

	dispose(): void {
		this.cache.dispose();
		this.rope.dispose();
	}
}

function logSoftmaxAt(row: Float32Array, target: number): number {
	let max = -Infinity;
	for (let v = 0; v < row.length; v++) if (row[v] > max) max = row[v];
	let sum = 0;
	for (let v = 0; v < row.length; v++) sum += Math.exp(row[v] - max);
	return row[target] - max - Math.log(sum);
}
