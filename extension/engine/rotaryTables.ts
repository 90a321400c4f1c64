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
 * with a per-segment step table. No recurrence runs across positions, so the error stays
 * at a few ulps of a double at any position, and the cost is four multiplications per
 * entry instead of two trig calls. Within a block the loop runs pair by pair, keeping the
 * block start's cos/sin in registers (measured ~25% faster than row by row).
 */
const BLOCK = 128;

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
	// stepCos[i * steps + j] = cos(j·f_i): pair-major, to match the loop below.
	const stepCos = new Float64Array(steps * pairs);
	const stepSin = new Float64Array(steps * pairs);
	for (let i = 0; i < pairs; i++) {
		for (let j = 0; j < steps; j++) {
			stepCos[i * steps + j] = Math.cos(j * freqs[i]);
			stepSin[i * steps + j] = Math.sin(j * freqs[i]);
		}
	}
	const { cos, sin, attentionFactor } = out;
	for (let blockStart = from; blockStart < to; blockStart += BLOCK) {
		const blockLength = Math.min(BLOCK, to - blockStart);
		const firstRow = (blockStart - out.tableStart) * pairs;
		for (let i = 0; i < pairs; i++) {
			const angle = blockStart * freqs[i];
			const baseCos = Math.cos(angle) * attentionFactor;
			const baseSin = Math.sin(angle) * attentionFactor;
			const step = i * steps;
			for (let j = 0, o = firstRow + i; j < blockLength; j++, o += pairs) {
				const c = stepCos[step + j];
				const s = stepSin[step + j];
				cos[o] = baseCos * c - baseSin * s;
				sin[o] = baseSin * c + baseCos * s;
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
