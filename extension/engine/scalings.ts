import { rotaryPairs, type RotaryGeometry } from './rotaryGeometry';
import {
	RopeInputError,
	requireFactors,
	requireFinitePositive,
	requireNonNegativeInteger,
	requirePositiveInteger,
} from './validation';

/**
 * Every supported scaling reduces to the same three things: a rescale factor λ_i per
 * rotary pair (the scaled frequency is θ_i / λ_i), a count n̂ of leading positions that
 * keep the unscaled frequencies, and an attention factor that multiplies cos and sin.
 */
export interface RopeScaling {
	readonly factors: Float64Array;
	readonly nHat: number;
	readonly attentionFactor: number;
}

export function noScaling(geometry: RotaryGeometry): RopeScaling {
	return {
		factors: new Float64Array(rotaryPairs(geometry)).fill(1),
		nHat: 0,
		attentionFactor: 1,
	};
}

/** Position interpolation: every angle divided by s. */
export function linearScaling(geometry: RotaryGeometry, scale: number): RopeScaling {
	requireFinitePositive('scale', scale);
	return {
		factors: new Float64Array(rotaryPairs(geometry)).fill(scale),
		nHat: 0,
		attentionFactor: 1,
	};
}

/** NTK-aware: base' = base·s^(d/(d−2)), which is λ_i = s^(2i/(d−2)). */
export function ntkScaling(geometry: RotaryGeometry, scale: number): RopeScaling {
	requireFinitePositive('scale', scale);
	return { factors: ntkFactors(geometry, scale), nHat: 0, attentionFactor: 1 };
}

/**
 * Dynamic NTK in Hugging Face's convention: the base grows with the sequence length n
 * once it passes L, base' = base·(s·n/L − (s − 1))^(d/(d−2)); at n ≤ L nothing changes.
 */
export function dynamicNtkScaling(
	geometry: RotaryGeometry,
	scale: number,
	sequenceLength: number,
): RopeScaling {
	requireFinitePositive('scale', scale);
	requirePositiveInteger('sequenceLength', sequenceLength);
	const n = Math.max(sequenceLength, geometry.originalWindow);
	const baseGrowth = (scale * n) / geometry.originalWindow - (scale - 1);
	return { factors: ntkFactors(geometry, baseGrowth), nHat: 0, attentionFactor: 1 };
}

function ntkFactors(geometry: RotaryGeometry, baseGrowth: number): Float64Array {
	const d = geometry.rotaryDim;
	if (d < 4) throw new RopeInputError('rotaryDim', d, '≥ 4 for NTK scaling (d/(d−2))');
	const factors = new Float64Array(d / 2);
	for (let i = 0; i < d / 2; i++) factors[i] = Math.pow(baseGrowth, (2 * i) / (d - 2));
	return factors;
}

export interface YarnOptions {
	readonly scale: number;
	readonly betaFast?: number;
	readonly betaSlow?: number;
	/** Given explicitly, it wins over every mscale. */
	readonly attentionFactor?: number;
	readonly mscale?: number;
	readonly mscaleAllDim?: number;
	/** Round the correction range outward to whole dimensions (Hugging Face default). */
	readonly truncate?: boolean;
}

/**
 * YaRN as Hugging Face computes it: pairs that turn more than β_fast times within L keep
 * their frequency, pairs that turn fewer than β_slow times are interpolated by s, and a
 * linear ramp blends the pairs in between. Attention is sharpened by 0.1·ln s + 1.
 */
export function yarnScaling(geometry: RotaryGeometry, options: YarnOptions): RopeScaling {
	const scale = requireFinitePositive('scale', options.scale);
	const betaFast = requireFinitePositive('betaFast', options.betaFast ?? 32);
	const betaSlow = requireFinitePositive('betaSlow', options.betaSlow ?? 1);
	const d = geometry.rotaryDim;
	const { low, high } = yarnCorrectionRange(
		geometry,
		betaFast,
		betaSlow,
		options.truncate ?? true,
	);
	const span = low === high ? 0.001 : high - low;
	const factors = new Float64Array(d / 2);
	for (let i = 0; i < d / 2; i++) {
		const interpolated = Math.min(1, Math.max(0, (i - low) / span));
		factors[i] = 1 / (interpolated / scale + (1 - interpolated));
	}
	return { factors, nHat: 0, attentionFactor: yarnAttentionFactor(scale, options) };
}

/** The dimension at which a pair completes `rotations` turns over L positions. */
function correctionDim(rotations: number, geometry: RotaryGeometry): number {
	const { rotaryDim, originalWindow, base } = geometry;
	return (
		(rotaryDim * Math.log(originalWindow / (rotations * 2 * Math.PI))) / (2 * Math.log(base))
	);
}

export function yarnCorrectionRange(
	geometry: RotaryGeometry,
	betaFast: number,
	betaSlow: number,
	truncate: boolean,
): { low: number; high: number } {
	let low = correctionDim(betaFast, geometry);
	let high = correctionDim(betaSlow, geometry);
	if (truncate) {
		low = Math.floor(low);
		high = Math.ceil(high);
	}
	return { low: Math.max(low, 0), high: Math.min(high, geometry.rotaryDim - 1) };
}

function yarnMscale(scale: number, mscale = 1): number {
	return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

function yarnAttentionFactor(scale: number, options: YarnOptions): number {
	if (options.attentionFactor !== undefined) {
		return requireFinitePositive('attentionFactor', options.attentionFactor);
	}
	if (options.mscale && options.mscaleAllDim) {
		return yarnMscale(scale, options.mscale) / yarnMscale(scale, options.mscaleAllDim);
	}
	return yarnMscale(scale);
}

/** LongRoPE's default attention factor √(1 + ln s / ln L); 1 when the window is not stretched. */
export function longropeAttentionFactor(scale: number, originalWindow: number): number {
	requireFinitePositive('scale', scale);
	requirePositiveInteger('originalWindow', originalWindow);
	if (scale <= 1 || originalWindow <= 1) return 1;
	return Math.sqrt(1 + Math.log(scale) / Math.log(originalWindow));
}

export interface LongropeOptions {
	readonly factors: ArrayLike<number>;
	readonly nHat?: number;
	/** Given explicitly (e.g. `long_mscale`), else √(1 + ln s / ln L). */
	readonly attentionFactor?: number;
	/** s; the default attention factor needs it when none is given. */
	readonly scale: number;
}

export function longropeScaling(geometry: RotaryGeometry, options: LongropeOptions): RopeScaling {
	const factors = requireFactors('factors', options.factors, rotaryPairs(geometry));
	const nHat = requireNonNegativeInteger('nHat', options.nHat ?? 0);
	const attentionFactor =
		options.attentionFactor === undefined
			? longropeAttentionFactor(options.scale, geometry.originalWindow)
			: requireFinitePositive('attentionFactor', options.attentionFactor);
	return { factors: Float64Array.from(factors), nHat, attentionFactor };
}
