import type { CancellationToken } from '../cancellation';
import type { Disposable } from '../emitter';
import type { FactorExplanation } from '../explanation';
import type { RopeConfig } from '../factorSet';
import type { RotarySpec } from '../rotaryTables';
import type { ChatMessage, ChatPrompt } from '../generation/chatTemplate';
import type { SamplingOptions } from '../generation/sampling';
import type { TextTokenizer } from '../generation/tokenizer';
import type { RequestPlan } from './requestPlan';

/**
 * How a model bounds a request: LongRoPE factor sets (each with its window, chosen per request
 * from the planned length), or one fixed window (a remote endpoint).
 */
export type ContextWindows =
	| { readonly kind: 'factor-sets'; readonly rope: RopeConfig }
	| {
			readonly kind: 'fixed';
			readonly window: number;
			/** Where the window comes from, for people: a setting, the server, a default. */
			readonly source: string;
	  };

export interface ModelDescription {
	/** For people: the folder's name or the served model's. */
	readonly name: string;
	readonly kind: 'local' | 'remote';
	/** The project's own graph contract, an ONNX Runtime GenAI export, or an OpenAI-compatible endpoint. */
	readonly format: 'own' | 'ort-genai' | 'openai';
	/** The folder, or the endpoint's URL. */
	readonly location: string;
}

/** A cap on one request's planned length (prompt + answer), and why. */
export interface LengthLimit {
	readonly tokens: number;
	readonly reason: string;
	/** For a memory limit: the bytes it allows. */
	readonly bytes?: number;
}

/** What a job needs to plan and count a request; a model is one, and so are test stand-ins. */
export interface PlanningModel {
	readonly tokenizer: TextTokenizer;
	/**
	 * How much `tokenizer` may undercount the model's own tokens (0.1: by up to 10%); budgets
	 * shrink the window by it. 0 when the tokenizer is the model's own.
	 */
	readonly countMargin: number;
	readonly windows: ContextWindows;
	/** The KV-cache memory cap as tokens; undefined when the memory is not ours (remote). */
	readonly memoryLimit?: LengthLimit;
	/** The conversation in the model's chat template, open for the assistant's turn. */
	renderChat(messages: readonly ChatMessage[]): ChatPrompt;
}

/**
 * A language model as the jobs see it: the local ONNX model and an OpenAI-compatible endpoint
 * both implement it, so every job runs on either.
 */
export interface LanguageModel extends PlanningModel, Disposable {
	readonly description: ModelDescription;
	/** Bytes of KV cache per planned token; 0 when the memory is not ours. */
	readonly kvBytesPerToken: number;
	/** What the user should know about how the model was read (its files disagree, say). */
	readonly warnings?: readonly string[];
	/** Strings that end an answer besides the stop ids (a template's turn markers as text). */
	readonly stopStrings: readonly string[];
	/** One conversation's state on the model (its cached keys); requests run through it. */
	openSession(): ModelSession;
	/**
	 * Perplexity of `ids` under any rotary spec (the search and the evaluations); only models
	 * whose rotary tables the extension feeds have it. Tokens from `scoreFrom` on (default 1)
	 * are scored; earlier ones are context (an answer scored after its question).
	 */
	readonly perplexity?: (
		ids: readonly number[],
		spec: RotarySpec,
		token?: CancellationToken,
		scoreFrom?: number,
	) => Promise<PerplexityResult>;
}

export interface PerplexityResult {
	readonly tokens: number;
	readonly negativeLogLikelihood: number;
	readonly perplexity: number;
}

export interface GenerationRequest {
	readonly plan: RequestPlan;
	readonly sampling?: SamplingOptions;
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
	/** The factors the request runs with, per pair (models whose rotary tables we feed). */
	readonly factors?: FactorExplanation;
}

export interface PrefillProgress {
	readonly done: number;
	readonly total: number;
	readonly tokensPerSecond: number;
	readonly etaSeconds: number;
}

export interface GenerationHooks {
	onStart?(plan: PlanInfo): void;
	onPrefill?(progress: PrefillProgress): void;
}

export type StopReason = 'stop-token' | 'stop-string' | 'max-tokens';

export interface GenerationStats {
	readonly plan: PlanInfo;
	readonly newTokens: number;
	/** The answer's token ids, stop token excluded (empty when the model is remote). */
	readonly tokenIds: readonly number[];
	readonly stopReason: StopReason;
	readonly timeToFirstTokenMs: number;
	readonly prefillTokensPerSecond: number;
	readonly decodeTokensPerSecond: number;
	readonly kvBytes: number;
}

export interface ModelSession extends Disposable {
	/** Streams the answer as text deltas; the generator's return value carries the statistics. */
	generate(
		request: GenerationRequest,
		token?: CancellationToken,
		hooks?: GenerationHooks,
	): AsyncGenerator<string, GenerationStats>;
	/** Forgets cached state (the next request starts from scratch). */
	reset(): void;
}
