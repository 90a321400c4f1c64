import { RopeInputError, requireFinitePositive, requirePositiveInteger } from './validation';

/** What a model fixes about its rotary embedding, independent of any scaling. */
export interface RotaryGeometry {
	/** RoPE base θ (`rope_theta`). */
	readonly base: number;
	readonly headDim: number;
	/** Dimensions that rotate; the rest of each head passes through (partial rotary). */
	readonly rotaryDim: number;
	/** L: the window the model was trained on (`original_max_position_embeddings`). */
	readonly originalWindow: number;
	/** The longest context the model claims (`max_position_embeddings`). */
	readonly maxWindow: number;
}

export function validateGeometry(geometry: RotaryGeometry): RotaryGeometry {
	const base = requireFinitePositive('base', geometry.base);
	if (base <= 1) throw new RopeInputError('base', base, 'a finite number > 1');
	const headDim = requirePositiveInteger('headDim', geometry.headDim);
	const rotaryDim = requirePositiveInteger('rotaryDim', geometry.rotaryDim);
	if (rotaryDim % 2 !== 0 || rotaryDim > headDim) {
		throw new RopeInputError('rotaryDim', rotaryDim, `an even number ≤ headDim (${headDim})`);
	}
	requirePositiveInteger('originalWindow', geometry.originalWindow);
	requirePositiveInteger('maxWindow', geometry.maxWindow);
	return geometry;
}

export function rotaryPairs(geometry: RotaryGeometry): number {
	return geometry.rotaryDim / 2;
}

/** θ_i = base^(−2i/d) for each pair i, d = rotary dimension (Hugging Face's `inv_freq`). */
export function inverseFrequencies(base: number, rotaryDim: number): Float64Array {
	const pairs = rotaryDim / 2;
	const theta = new Float64Array(pairs);
	for (let i = 0; i < pairs; i++) theta[i] = 1 / Math.pow(base, (2 * i) / rotaryDim);
	return theta;
}
