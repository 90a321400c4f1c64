import type { RopeScaling } from './scalings';
import {
	RopeInputError,
	requireFactors,
	requireFinitePositive,
	requireNonNegativeInteger,
	requirePositiveInteger,
} from './validation';

/** Everything needed to compute cos/sin: unscaled θ_i plus one scaling. */
export interface RotarySpec extends RopeScaling {
	readonly inverseFrequencies: Float64Array;
}

/**
 * cos/sin for positions start … start+count−1, row-major [position][pair], already
 * multiplied by the attention factor. This is what the model graph takes as input.
 */
export interface RotaryTables {
	readonly start: number;
	readonly count: number;
	readonly pairs: number;
	readonly cos: Float32Array;
	readonly sin: Float32Array;
}

export function rotarySpec(inverseFrequencies: Float64Array, scaling: RopeScaling): RotarySpec {
	return { inverseFrequencies, ...scaling };
}

/**
 * Positions are processed in blocks: cos/sin of the block start come from Math.cos/sin of
 * the exact double angle, the offsets inside the block from the angle-addition formulas
 * with a per-block step table. No recurrence runs across blocks, so the error stays at a
 * few ulps of a double at any position, and the cost is a handful of multiplications per
 * entry instead of two trig calls.
 */
const BLOCK = 64;

export function buildRotaryTables(spec: RotarySpec, start: number, count: number): RotaryTables {
	requireNonNegativeInteger('start', start);
	requirePositiveInteger('count', count);
	const { unscaled, scaled, nHat, attentionFactor } = checkedFrequencies(spec);
	const pairs = unscaled.length;
	const cos = new Float32Array(count * pairs);
	const sin = new Float32Array(count * pairs);
	const end = start + count;
	const split = Math.min(Math.max(nHat, start), end);
	const out = { cos, sin, tableStart: start, attentionFactor };
	fillSegment(out, unscaled, start, split);
	fillSegment(out, scaled, split, end);
	return { start, count, pairs, cos, sin };
}

interface TableOutput {
	readonly cos: Float32Array;
	readonly sin: Float32Array;
	readonly tableStart: number;
	readonly attentionFactor: number;
}

function fillSegment(out: TableOutput, freqs: Float64Array, from: number, to: number): void {
	if (from >= to) return;
	const pairs = freqs.length;
	const steps = Math.min(BLOCK, to - from);
	const stepCos = new Float64Array(steps * pairs);
	const stepSin = new Float64Array(steps * pairs);
	for (let j = 0; j < steps; j++) {
		for (let i = 0; i < pairs; i++) {
			stepCos[j * pairs + i] = Math.cos(j * freqs[i]);
			stepSin[j * pairs + i] = Math.sin(j * freqs[i]);
		}
	}
	const baseCos = new Float64Array(pairs);
	const baseSin = new Float64Array(pairs);
	const { cos, sin, attentionFactor } = out;
	for (let blockStart = from; blockStart < to; blockStart += BLOCK) {
		for (let i = 0; i < pairs; i++) {
			const angle = blockStart * freqs[i];
			baseCos[i] = Math.cos(angle) * attentionFactor;
			baseSin[i] = Math.sin(angle) * attentionFactor;
		}
		const blockLength = Math.min(BLOCK, to - blockStart);
		let o = (blockStart - out.tableStart) * pairs;
		for (let j = 0; j < blockLength; j++) {
			const row = j * pairs;
			for (let i = 0; i < pairs; i++, o++) {
				const c = stepCos[row + i];
				const s = stepSin[row + i];
				cos[o] = baseCos[i] * c - baseSin[i] * s;
				sin[o] = baseSin[i] * c + baseCos[i] * s;
			}
		}
	}
}

/**
 * cos/sin at arbitrary positions in double precision, one trig call per entry: the
 * reference path, used where a few positions are needed exactly (the CLI's `rope`).
 */
export function rotaryValuesAt(
	spec: RotarySpec,
	positions: readonly number[],
): { cos: number[][]; sin: number[][] } {
	positions.forEach((p, k) => requireNonNegativeInteger(`positions[${k}]`, p));
	const { unscaled, scaled, nHat, attentionFactor } = checkedFrequencies(spec);
	const cos: number[][] = [];
	const sin: number[][] = [];
	for (const position of positions) {
		const freqs = position < nHat ? unscaled : scaled;
		const c: number[] = [];
		const s: number[] = [];
		for (const f of freqs) {
			c.push(Math.cos(position * f) * attentionFactor);
			s.push(Math.sin(position * f) * attentionFactor);
		}
		cos.push(c);
		sin.push(s);
	}
	return { cos, sin };
}

function checkedFrequencies(spec: RotarySpec): {
	unscaled: Float64Array;
	scaled: Float64Array;
	nHat: number;
	attentionFactor: number;
} {
	const unscaled = spec.inverseFrequencies;
	if (unscaled.length === 0) {
		throw new RopeInputError('inverseFrequencies', [], 'a non-empty array');
	}
	unscaled.forEach((f, i) => requireFinitePositive(`inverseFrequencies[${i}]`, f));
	const factors = requireFactors('factors', spec.factors, unscaled.length);
	const scaled = unscaled.map((theta, i) => theta / factors[i]);
	return {
		unscaled,
		scaled,
		nHat: requireNonNegativeInteger('nHat', spec.nHat),
		attentionFactor: requireFinitePositive('attentionFactor', spec.attentionFactor),
	};
}
