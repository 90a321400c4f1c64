import * as path from 'node:path';
import { throwIfCancelled, type CancellationToken } from '../engine/cancellation';
import { FactorManager } from '../engine/factorManager';
import type { RopeConfig } from '../engine/factorSet';
import {
	buildChatPrompt,
	type ChatMessage,
	type ChatPrompt,
} from '../engine/generation/chatTemplate';
import { checkKvBudget } from '../engine/generation/memoryGuard';
import { Sampler } from '../engine/generation/sampling';
import type {
	GenerationHooks,
	GenerationRequest,
	GenerationStats,
	LanguageModel,
	LengthLimit,
	ModelDescription,
	ModelSession,
	PerplexityResult,
	PlanInfo,
} from '../engine/model/languageModel';
import { buildRotaryTables, type RotarySpec } from '../engine/rotaryTables';
import {
	checkScoreFrom,
	checkedTuning,
	decodeAnswer,
	chunkNll,
	perplexityResult,
	type ModelTuning,
} from './decoding';
import { KvCache } from './kvCache';
import { loadModelFolder, type ModelFolder } from './loadModelFolder';
import type { GraphOptimization } from './cpuSession';
import { LongropeGraph } from './longropeGraph';

export interface LocalModelOptions extends ModelTuning {
	/** onnxruntime's intra-op threads; 0 (the default): one per physical core. */
	readonly intraOpThreads?: number;
	readonly graphOptimization?: GraphOptimization;
	/** Whether onnxruntime's worker threads spin between operators (default yes: cpuSession.ts). */
	readonly spinning?: boolean;
}

/** Settings that change without reloading the weights. */
export type LocalModelTuning = ModelTuning;

/** The turn markers of the bundled template, as text: a small model may write them out. */
const STOP_STRINGS = ['<|end|>', '<|user|>', '<|system|>'];

/**
 * The project's own model folder (the bundled one, or a user's with the same graph contract) on
 * onnxruntime-node: one ONNX session, shared by the sessions (conversations) opened on it.
 */
export class LocalModel implements LanguageModel {
	readonly description: ModelDescription;
	readonly countMargin = 0;
	readonly windows: { readonly kind: 'factor-sets'; readonly rope: RopeConfig };
	readonly stopStrings = STOP_STRINGS;
	private tuning: Required<LocalModelTuning>;

	private constructor(
		readonly folder: ModelFolder,
		readonly graph: LongropeGraph,
		readonly options: Required<
			Pick<LocalModelOptions, 'intraOpThreads' | 'graphOptimization' | 'spinning'>
		>,
		tuning: Required<LocalModelTuning>,
	) {
		this.description = {
			name: path.basename(folder.folder),
			kind: 'local',
			format: 'own',
			location: folder.folder,
		};
		this.windows = { kind: 'factor-sets', rope: folder.rope };
		this.tuning = tuning;
	}

	static async load(folderPath: string, options: LocalModelOptions = {}): Promise<LocalModel> {
		const folder = await loadModelFolder(folderPath);
		const resolved = {
			intraOpThreads: options.intraOpThreads ?? 0,
			graphOptimization: options.graphOptimization ?? ('all' as const),
			spinning: options.spinning ?? true,
		};
		const tuning = checkedTuning(options);
		if (!Number.isInteger(resolved.intraOpThreads) || resolved.intraOpThreads < 0) {
			throw new Error(
				`intraOpThreads must be an integer ≥ 0, not ${resolved.intraOpThreads}`,
			);
		}
		const graph = await LongropeGraph.open(folder.modelFile, folder.shape, resolved);
		return new LocalModel(folder, graph, resolved, tuning);
	}

	get tokenizer() {
		return this.folder.tokenizer;
	}

	get kvBytesPerToken(): number {
		return KvCache.bytesFor(this.folder.shape, 1);
	}

	get prefillChunk(): number {
		return this.tuning.prefillChunk;
	}

	get maxKvCacheBytes(): number {
		return this.tuning.maxKvCacheBytes;
	}

	get memoryLimit(): LengthLimit {
		return {
			tokens: Math.floor(this.tuning.maxKvCacheBytes / this.kvBytesPerToken),
			reason: 'the KV-cache memory cap (longrope.maxKvCacheMB, or --kv-cache-mb)',
			bytes: this.tuning.maxKvCacheBytes,
		};
	}

	/** Changes the memory cap and prefill chunk; the weights stay loaded. */
	retune(tuning: LocalModelTuning): void {
		this.tuning = checkedTuning({ ...this.tuning, ...tuning });
	}

	renderChat(messages: readonly ChatMessage[]): ChatPrompt {
		return buildChatPrompt(this.folder.tokenizer, messages);
	}

	/** A conversation choosing among the model's factor sets, or among `rope`'s (evaluations pass their own). */
	openSession(rope: RopeConfig = this.folder.rope): Conversation {
		return new Conversation(this, rope);
	}

	/**
	 * Perplexity of `ids` with the given rotary spec (any scaling), tokens before `scoreFrom`
	 * (default 1) as context: exp of the mean negative log-likelihood of ids[scoreFrom…]. Runs in
	 * prefill chunks through a cache.
	 */
	async perplexity(
		ids: readonly number[],
		spec: RotarySpec,
		token?: CancellationToken,
		scoreFrom?: number,
	): Promise<PerplexityResult> {
		const from = checkScoreFrom(ids.length, scoreFrom);
		checkKvBudget(ids.length, this.kvBytesPerToken, this.tuning.maxKvCacheBytes);
		const cache = new KvCache(this.folder.shape, ids.length);
		const vocab = this.folder.shape.vocabSize;
		let nll = 0;
		try {
			for (let start = 0; start < ids.length - 1; start += this.tuning.prefillChunk) {
				throwIfCancelled(token);
				const chunk = ids.slice(
					start,
					Math.min(start + this.tuning.prefillChunk, ids.length - 1),
				);
				const logits = await this.graph.forward(
					chunk,
					buildRotaryTables(spec, start, chunk.length),
					cache,
				);
				nll += chunkNll(logits, vocab, ids, start, chunk.length, from);
			}
		} finally {
			cache.dispose();
		}
		return perplexityResult(ids.length, from, nll);
	}

	async dispose(): Promise<void> {
		await this.graph.dispose();
	}
}

/**
 * One conversation's state: its factor manager and its KV cache with the token ids the cache
 * holds. Consecutive requests that share a prompt prefix reuse the cached keys; a request whose
 * plan runs another factor set drops them first (keys are cached already rotated). The cache is
 * sized for each request's planned length before prefill.
 */
export class Conversation implements ModelSession {
	readonly rope: FactorManager;
	private readonly cache: KvCache;
	private cachedIds: number[] = [];
	private cacheKey: string | undefined;
	private busy = false;

	constructor(
		private readonly model: LocalModel,
		rope: RopeConfig,
	) {
		this.rope = new FactorManager(rope);
		this.cache = new KvCache(model.folder.shape);
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
		const { plan } = request;
		const prompt = plan.promptIds;
		const maxNewTokens = plan.answerTokens;
		const plannedLength = plan.plannedLength;
		if (prompt.length === 0) throw new Error('the prompt is empty');
		if (prompt.length + maxNewTokens !== plannedLength) {
			throw new Error(
				`the plan is inconsistent: ${prompt.length} prompt tokens + ${maxNewTokens} answer ≠ planned ${plannedLength}`,
			);
		}
		const set = plan.choice.set;
		if (!set) {
			throw new Error(
				`${this.model.description.name} runs LongRoPE factor sets; the plan has none`,
			);
		}
		const model = this.model;
		const plannedKvBytes = checkKvBudget(
			plannedLength,
			model.kvBytesPerToken,
			model.maxKvCacheBytes,
		);
		const sampler = new Sampler(request.sampling);
		throwIfCancelled(token);

		const previous = this.rope.active;
		const active = this.rope.use(
			{ set, reason: plan.choice.reason, warning: plan.choice.warning },
			plannedLength,
			plan.override,
		);
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
		this.cache.ensureCapacity(plannedLength);
		const info: PlanInfo = {
			set: active.set.name,
			reason: active.reason,
			warning: active.warning,
			plannedLength,
			promptTokens: prompt.length,
			reusedTokens: reused,
			cacheRebuilt,
			plannedKvBytes,
			factors: this.rope.explain(),
		};
		hooks.onStart?.(info);

		const started = performance.now();
		const vocab = model.folder.shape.vocabSize;
		let logits: Float32Array = new Float32Array(0);
		const total = prompt.length - reused;
		const chunkSize = model.prefillChunk;
		for (let start = reused; start < prompt.length; start += chunkSize) {
			throwIfCancelled(token);
			const chunk = prompt.slice(start, start + chunkSize);
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

		const decoded = yield* decodeAnswer({
			prompt,
			logits,
			step: async (id) => {
				const next = await model.graph.forward(
					[id],
					this.rope.tables(this.cachedIds.length, 1),
					this.cache,
				);
				this.cachedIds.push(id);
				return next;
			},
			sampler,
			stopIds: plan.stopIds,
			stopStrings: model.stopStrings,
			tokenizer: model.folder.tokenizer,
			maxNewTokens,
			started,
			token,
		});
		return {
			plan: info,
			...decoded,
			prefillTokensPerSecond: total / Math.max(1e-9, prefillMs / 1000),
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
