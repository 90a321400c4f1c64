import { RopeInputError } from '../validation';
import { nucleus, topK } from './candidates';
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
	/** Scores and weights of the last step, reused: a 200k vocabulary is 1.6 MB each. */
	private scores = new Float64Array(0);
	private weights = new Float64Array(0);

	constructor(options: SamplingOptions = {}) {
		this.options = resolveSampling(options);
		this.random = seededRandom(this.options.seed);
	}

	/**
	 * The next token. `seen`: every distinct token of the request so far (prompt and answer), whose
	 * scores the repetition penalty lowers; the caller keeps it as tokens arrive, since building it
	 * from an 8k-token history took 0.7 ms a step, a tenth of the bundled model's decode step.
	 */
	next(logits: Float32Array, seen: ReadonlySet<number>): number {
		const { temperature, topK: k, topP, repetitionPenalty } = this.options;
		if (this.scores.length !== logits.length) {
			this.scores = new Float64Array(logits.length);
			this.weights = new Float64Array(logits.length);
		}
		const scores = this.scores;
		scores.set(logits);
		if (repetitionPenalty !== 1) {
			for (const id of seen) {
				scores[id] =
					scores[id] > 0
						? scores[id] / repetitionPenalty
						: scores[id] * repetitionPenalty;
			}
		}
		if (temperature === 0) return argmax(scores);
		const max = scores[argmax(scores)];
		const weights = this.weights;
		let candidates: number[] | undefined;
		let total = 0;
		if (k > 0 && k < scores.length) {
			candidates = topK(scores, k);
			for (const id of candidates)
				total += weights[id] = Math.exp((scores[id] - max) / temperature);
		} else {
			for (let id = 0; id < scores.length; id++) {
				total += weights[id] = Math.exp((scores[id] - max) / temperature);
			}
		}
		if (topP < 1) {
			// The smallest prefix of the order (score descending) whose weights reach topP.
			if (candidates === undefined) {
				({ ids: candidates, mass: total } = nucleus(scores, weights, topP * total));
			} else {
				let mass = 0;
				let keep = 0;
				while (keep < candidates.length && mass < topP * total) {
					mass += weights[candidates[keep++]];
				}
				candidates = candidates.slice(0, keep);
				total = mass;
			}
		}
		// The kept ids in any order draw from the same distribution: no sort is needed for it.
		let r = this.random() * total;
		const count = candidates?.length ?? scores.length;
		for (let at = 0; at < count; at++) {
			const id = candidates ? candidates[at] : at;
			r -= weights[id];
			if (r < 0) return id;
		}
		return candidates ? candidates[count - 1] : count - 1;
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
