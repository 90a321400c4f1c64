import { throwIfCancelled, type CancellationToken } from '../engine/cancellation';
import type { Sampler } from '../engine/generation/sampling';
import { StopStringFilter, TextStream } from '../engine/generation/textStream';
import type { TextTokenizer } from '../engine/generation/tokenizer';
import type { GenerationStats, PerplexityResult, StopReason } from '../engine/model/languageModel';

export const DEFAULT_PREFILL_CHUNK = 256;
export const DEFAULT_MAX_KV_CACHE_BYTES = 1024 * 1024 * 1024;

/** Settings of a local model that change without reloading the weights. */
export interface ModelTuning {
	/** Tokens per prefill run: attention memory against run overhead; 256 measured best (bench/results/session.md). */
	readonly prefillChunk?: number;
	/** Requests whose planned KV cache is larger are refused before anything is allocated. */
	readonly maxKvCacheBytes?: number;
}

/** The tuning with defaults for what it leaves out (a retune to a choice that names neither). */
export function checkedTuning(tuning: ModelTuning): Required<ModelTuning> {
	const checked = {
		prefillChunk: tuning.prefillChunk ?? DEFAULT_PREFILL_CHUNK,
		maxKvCacheBytes: tuning.maxKvCacheBytes ?? DEFAULT_MAX_KV_CACHE_BYTES,
	};
	if (!Number.isInteger(checked.prefillChunk) || checked.prefillChunk <= 0) {
		throw new Error(`prefillChunk must be a positive integer, not ${checked.prefillChunk}`);
	}
	if (!(checked.maxKvCacheBytes > 0)) {
		throw new Error(`maxKvCacheBytes must be positive, not ${checked.maxKvCacheBytes}`);
	}
	return checked;
}

/** Where a perplexity starts scoring: 1 (the first token is context) unless asked later. */
export function checkScoreFrom(length: number, scoreFrom = 1): number {
	if (length < 2) throw new Error(`perplexity needs at least 2 tokens, got ${length}`);
	if (!Number.isInteger(scoreFrom) || scoreFrom < 1 || scoreFrom >= length) {
		throw new Error(
			`perplexity scores from token 1 to ${length - 1} of ${length}; scoreFrom ${scoreFrom} is outside`,
		);
	}
	return scoreFrom;
}

/**
 * Negative log-likelihood of what one prefill run's logits predict: row t scores ids[start + t + 1],
 * skipping the tokens before `scoreFrom` (context).
 */
export function chunkNll(
	logits: Float32Array,
	vocab: number,
	ids: readonly number[],
	start: number,
	rows: number,
	scoreFrom: number,
): number {
	let nll = 0;
	for (let t = Math.max(0, scoreFrom - 1 - start); t < rows; t++) {
		nll -= logSoftmaxAt(logits.subarray(t * vocab, (t + 1) * vocab), ids[start + t + 1]);
	}
	return nll;
}

/** A perplexity of `length` ids scored from `scoreFrom` on, from its summed NLL. */
export function perplexityResult(length: number, scoreFrom: number, nll: number): PerplexityResult {
	const tokens = length - scoreFrom;
	return { tokens, negativeLogLikelihood: nll, perplexity: Math.exp(nll / tokens) };
}

/** log softmax(row)[target], stable for any logits. */
export function logSoftmaxAt(row: Float32Array, target: number): number {
	let max = -Infinity;
	for (let v = 0; v < row.length; v++) if (row[v] > max) max = row[v];
	let sum = 0;
	for (let v = 0; v < row.length; v++) sum += Math.exp(row[v] - max);
	return row[target] - max - Math.log(sum);
}

/** What a runtime's decode loop needs: the first logits, and a step that feeds one token. */
export interface DecodeInput {
	readonly prompt: readonly number[];
	readonly logits: Float32Array;
	readonly step: (id: number) => Promise<Float32Array>;
	readonly sampler: Sampler;
	readonly stopIds: readonly number[];
	readonly stopStrings: readonly string[];
	readonly tokenizer: TextTokenizer;
	readonly maxNewTokens: number;
	/** When the request started (time to first token counts from it). */
	readonly started: number;
	readonly token?: CancellationToken;
}

export type DecodeOutcome = Pick<
	GenerationStats,
	'newTokens' | 'tokenIds' | 'stopReason' | 'timeToFirstTokenMs' | 'decodeTokensPerSecond'
>;

/**
 * The answer after prefill, the same for every runtime: sample, stop at a stop id, a stop string
 * or the budget, and stream the text without splitting a character.
 */
export async function* decodeAnswer(input: DecodeInput): AsyncGenerator<string, DecodeOutcome> {
	const answer: number[] = [];
	const seen = new Set(input.prompt);
	const stopIds = new Set(input.stopIds);
	const text = new TextStream((ids) => input.tokenizer.decode(ids));
	const stops = new StopStringFilter(input.stopStrings);
	let logits = input.logits;
	let stopReason: StopReason = 'max-tokens';
	let firstTokenMs = 0;
	const decodeStarted = performance.now();
	for (;;) {
		const id = input.sampler.next(logits, seen);
		if (answer.length === 0) firstTokenMs = performance.now() - input.started;
		if (stopIds.has(id)) {
			stopReason = 'stop-token';
			break;
		}
		answer.push(id);
		seen.add(id);
		const delta = stops.push(text.push(id));
		if (delta) yield delta;
		if (stops.stopped) {
			stopReason = 'stop-string';
			break;
		}
		if (answer.length >= input.maxNewTokens) break;
		throwIfCancelled(input.token);
		logits = await input.step(id);
	}
	if (!stops.stopped) {
		const tail = stops.push(text.flush()) + stops.flush();
		if (tail) yield tail;
	}
	const decodeSeconds = (performance.now() - decodeStarted) / 1000;
	return {
		newTokens: answer.length,
		tokenIds: answer,
		stopReason,
		timeToFirstTokenMs: firstTokenMs,
		decodeTokensPerSecond:
			answer.length > 1 ? (answer.length - 1) / Math.max(1e-9, decodeSeconds) : 0,
	};
}
