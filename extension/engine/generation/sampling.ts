import { RopeInputError } from '../validation';
import { seededRandom } from './random';

export interface SamplingOptions {
	/** 0 (the default) is greedy decoding. */
	readonly temperature?: number;
	/** Keep only the k most likely tokens; 0 keeps all. */
	readonly topK?: number;
	/** Keep the smallest set of tokens whose probability reaches p; 1 keeps all. */
	readonly topP?: number;
	/** > 1 discourages tokens already in the prompt or answer (CTRL's rule). */
	readonly repetitionPenalty?: number;
	readonly seed?: number;
}

export type ResolvedSampling = Required<SamplingOptions>;

export function resolveSampling(options: SamplingOptions = {}): ResolvedSampling {
	const resolved = {
		temperature: options.temperature ?? 0,
		topK: options.topK ?? 0,
		topP: options.topP ?? 1,
		repetitionPenalty: options.repetitionPenalty ?? 1,
		seed: options.seed ?? 0,
	};
	if (!Number.isFinite(resolved.temperature) || resolved.temperature < 0) {
		throw new RopeInputError('temperature', resolved.temperature, 'a finite number ≥ 0');
	}
	if (!Number.isInteger(resolved.topK) || resolved.topK < 0) {
		throw new RopeInputError('topK', resolved.topK, 'an integer ≥ 0');
	}
	if (!(resolved.topP > 0 && resolved.topP <= 1)) {
		throw new RopeInputError('topP', resolved.topP, 'a number in (0, 1]');
	}
	if (!Number.isFinite(resolved.repetitionPenalty) || resolved.repetitionPenalty <= 0) {
		throw new RopeInputError(
			'repetitionPenalty',
			resolved.repetitionPenalty,
			'a finite number > 0',
		);
	}
	if (!Number.isInteger(resolved.seed)) {
		throw new RopeInputError('seed', resolved.seed, 'an integer');
	}
	return resolved;
}

/** Picks next tokens from logits; one per request, so its random stream is the request's own. */
export class Sampler {
	readonly options: ResolvedSampling;
	private readonly random: () => number;

	constructor(options: SamplingOptions = {}) {
		this.options = resolveSampling(options);
		this.random = seededRandom(this.options.seed);
	}

	next(logits: Float32Array, history: readonly number[]): number {
		const { temperature, topK, topP, repetitionPenalty } = this.options;
		const scores = Float64Array.from(logits);
		if (repetitionPenalty !== 1) {
			for (const id of new Set(history)) {
				scores[id] =
					scores[id] > 0
						? scores[id] / repetitionPenalty
						: scores[id] * repetitionPenalty;
			}
		}
		if (temperature === 0) return argmax(scores);
		let candidates = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
		if (topK > 0) candidates = candidates.slice(0, topK);
		const max = scores[candidates[0]];
		let weights = candidates.map((id) => Math.exp((scores[id] - max) / temperature));
		let total = weights.reduce((a, b) => a + b, 0);
		if (topP < 1) {
			let mass = 0;
			let keep = 0;
			while (keep < weights.length && mass < topP * total) mass += weights[keep++];
			candidates = candidates.slice(0, keep);
			weights = weights.slice(0, keep);
			total = mass;
		}
		let r = this.random() * total;
		for (let k = 0; k < candidates.length; k++) {
			r -= weights[k];
			if (r < 0) return candidates[k];
		}
		return candidates[candidates.length - 1];
	}
}

/** The highest score; ties go to the lower id so that greedy decoding is reproducible. */
export function argmax(scores: ArrayLike<number>): number {
	let best = 0;
	for (let i = 1; i < scores.length; i++) {
		if (scores[i] > scores[best]) best = i;
	}
	return best;
}
