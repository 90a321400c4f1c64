import { throwIfCancelled, type CancellationToken } from '../../engine/cancellation';
import { FactorManager } from '../../engine/factorManager';
import type { FactorChoice } from '../../engine/factorSelection';
import { Sampler } from '../../engine/generation/sampling';
import type {
	GenerationHooks,
	GenerationRequest,
	GenerationStats,
	ModelSession,
	PlanInfo,
} from '../../engine/model/languageModel';
import type { RequestPlan } from '../../engine/model/requestPlan';
import type { RotaryTables } from '../../engine/rotaryTables';
import { decodeAnswer } from '../decoding';
import type { GenaiKvCache } from './genaiGraph';
import type { GenaiModel } from './genaiModel';

/** An old cache up to this many times the planned length is reused as it is. */
const SPARE = 1.25;

/**
 * One conversation on a GenaiModel: its factor manager and the KV cache of its last request with
 * the ids it holds. A request reuses the cached prefix it shares with them, unless its plan chose
 * another factor set (keys are cached already rotated): then the cache is rebuilt from scratch.
 */
export class GenaiSession implements ModelSession {
	private readonly rope: FactorManager;
	private cache: GenaiKvCache | undefined;
	private cachedIds: number[] = [];
	private cacheKey: string | undefined;
	private busy = false;

	constructor(private readonly model: GenaiModel) {
		this.rope = new FactorManager(model.windows.rope);
	}

	async *generate(
		request: GenerationRequest,
		token?: CancellationToken,
		hooks: GenerationHooks = {},
	): AsyncGenerator<string, GenerationStats> {
		if (this.busy) {
			throw new Error('this session is already generating; wait for it or cancel it first');
		}
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
		checkPlan(plan);
		const model = this.model;
		const plannedKvBytes = model.checkBudget(plan.plannedLength);
		const sampler = new Sampler(request.sampling);
		throwIfCancelled(token);

		const active = this.rope.use(
			plan.choice as FactorChoice,
			plan.plannedLength,
			plan.override,
		);
		let cacheRebuilt: string | undefined;
		if (this.cacheKey !== active.key) {
			if (this.cachedIds.length > 0 && this.cacheKey !== undefined) {
				cacheRebuilt = `factor set changed from ${this.cacheKey} to ${active.key}: ${this.cachedIds.length} cached keys were rotated with the old set`;
			}
			this.cachedIds = [];
			this.cacheKey = active.key;
		}
		// At least the last prompt token runs again: its logits start the answer.
		let reused = 0;
		const limit = Math.min(this.cachedIds.length, prompt.length - 1);
		while (reused < limit && this.cachedIds[reused] === prompt[reused]) reused++;
		const cache = this.allocate(plan.plannedLength, reused);
		this.cachedIds.length = reused;
		const tables = this.rope.tables(0, plan.plannedLength);
		const info: PlanInfo = {
			set: plan.choice.name,
			reason: plan.choice.reason,
			...(plan.choice.warning ? { warning: plan.choice.warning } : {}),
			plannedLength: plan.plannedLength,
			promptTokens: prompt.length,
			reusedTokens: reused,
			...(cacheRebuilt ? { cacheRebuilt } : {}),
			plannedKvBytes,
		};
		hooks.onStart?.(info);

		const started = performance.now();
		const logits = await this.prefill(prompt, reused, cache, tables, token, hooks);
		const prefillMs = performance.now() - started;

		const decoded = yield* decodeAnswer({
			prompt,
			logits,
			step: async (id) => {
				const next = await model.graph.forward([id], cache, tables);
				this.cachedIds.push(id);
				return next;
			},
			sampler,
			stopIds: plan.stopIds,
			stopStrings: model.stopStrings,
			tokenizer: model.tokenizer,
			maxNewTokens: plan.answerTokens,
			started,
			token,
		});
		const prefilled = prompt.length - reused;
		return {
			plan: info,
			...decoded,
			prefillTokensPerSecond: prefilled / Math.max(1e-9, prefillMs / 1000),
			kvBytes: cache.bytes,
		};
	}

	/** The prompt after its cached prefix, in chunks; returns the last position's logits. */
	private async prefill(
		prompt: readonly number[],
		reused: number,
		cache: GenaiKvCache,
		tables: RotaryTables,
		token: CancellationToken | undefined,
		hooks: GenerationHooks,
	): Promise<Float32Array> {
		const { graph } = this.model;
		const rows = this.model.prefillRows(cache.capacity);
		const started = performance.now();
		const total = prompt.length - reused;
		let logits: Float32Array = new Float32Array(0);
		for (let start = reused; start < prompt.length; start += rows) {
			throwIfCancelled(token);
			const chunk = prompt.slice(start, start + rows);
			logits = await graph.forward(chunk, cache, tables);
			for (const id of chunk) this.cachedIds.push(id);
			const done = start + chunk.length - reused;
			const rate = done / Math.max(1e-9, (performance.now() - started) / 1000);
			hooks.onPrefill?.({
				done,
				total,
				tokensPerSecond: rate,
				etaSeconds: (total - done) / rate,
			});
		}
		return logits;
	}

	/**
	 * This plan's cache: the old buffers when they hold the planned length and not much more
	 * (attention reads every row of them), else new ones sized for the plan that take the
	 * reused prefix over from the old ones.
	 */
	private allocate(plannedLength: number, reused: number): GenaiKvCache {
		const old = this.cache;
		if (
			old !== undefined &&
			old.capacity >= plannedLength &&
			old.capacity <= plannedLength * SPARE
		) {
			old.truncate(Math.min(reused, old.length));
			return old;
		}
		this.cache = undefined;
		const from = old !== undefined && reused > 0 ? { cache: old, tokens: reused } : undefined;
		this.cache = this.model.graph.newCache(plannedLength, from);
		return this.cache;
	}

	reset(): void {
		this.cache = undefined;
		this.cachedIds = [];
		this.cacheKey = undefined;
	}

	dispose(): void {
		this.reset();
		this.rope.dispose();
	}
}

function checkPlan(plan: RequestPlan): void {
	if (plan.promptIds.length === 0) throw new Error('the prompt is empty');
	if (!Number.isInteger(plan.answerTokens) || plan.answerTokens <= 0) {
		throw new Error(`the answer budget must be a positive integer, not ${plan.answerTokens}`);
	}
	if (plan.plannedLength < plan.promptIds.length + plan.answerTokens) {
		throw new Error(
			`the plan's length ${plan.plannedLength} is shorter than its ${plan.promptIds.length} prompt tokens plus ${plan.answerTokens} answer tokens`,
		);
	}
	if (plan.choice.set === undefined) {
		throw new Error(`the plan chose a fixed window, but this model runs factor sets`);
	}
}
