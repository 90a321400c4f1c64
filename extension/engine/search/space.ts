import { RopeInputError, requireFinitePositive, requirePositiveInteger } from '../validation';

/** The n̂ values the paper searches (positions that keep their original angles). */
export const NHAT_CHOICES: readonly number[] = [
	0, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 64, 128, 256,
];

export const DEFAULT_STEP = 0.01;

/**
 * Where the LongRoPE search looks: λ_i on a grid `lower + k·step` in [lower, upper], one per
 * rotary pair, non-decreasing in i; n̂ from a fixed list capped at the original window.
 */
export interface SearchSpace {
	readonly pairs: number;
	readonly lower: number;
	readonly upper: number;
	readonly step: number;
	/** The largest grid index: λ = lower + maxTick·step ≤ upper. */
	readonly maxTick: number;
	readonly nHatChoices: readonly number[];
}

export interface SearchSpaceOptions {
	readonly pairs: number;
	/** s = target length / original window. */
	readonly scale: number;
	/** L, the original window: n̂ never exceeds it. */
	readonly window: number;
	/** Default 1.25·s when s > 1 (the bound; the reference code uses 1 + s), 1.1 at s ≤ 1. */
	readonly upper?: number;
	readonly lower?: number;
	readonly step?: number;
	readonly nHatChoices?: readonly number[];
}

export function defaultUpperBound(scale: number): number {
	return scale > 1 ? 1.25 * scale : 1.1;
}

export function createSearchSpace(options: SearchSpaceOptions): SearchSpace {
	const pairs = requirePositiveInteger('pairs', options.pairs);
	const scale = requireFinitePositive('scale', options.scale);
	const window = requirePositiveInteger('window', options.window);
	const lower = requireFinitePositive('lower', options.lower ?? 1);
	const upper = requireFinitePositive('upper', options.upper ?? defaultUpperBound(scale));
	const step = requireFinitePositive('step', options.step ?? DEFAULT_STEP);
	if (upper < lower) throw new RopeInputError('upper', upper, `≥ lower (${lower})`);
	const maxTick = Math.floor((upper - lower) / step + 1e-9);
	const nHatChoices = [...new Set(options.nHatChoices ?? NHAT_CHOICES)]
		.filter((n) => Number.isInteger(n) && n >= 0 && n <= window)
		.sort((a, b) => a - b);
	if (nHatChoices.length === 0) {
		throw new RopeInputError(
			'nHatChoices',
			options.nHatChoices,
			`some value in [0, ${window}]`,
		);
	}
	return { pairs, lower, upper, step, maxTick, nHatChoices };
}

/** One point of the space: grid indices of λ_i (non-decreasing) and n̂. */
export interface Genome {
	readonly ticks: readonly number[];
	readonly nHat: number;
}

export function factorAt(space: SearchSpace, tick: number): number {
	return Number((space.lower + tick * space.step).toFixed(10));
}

export function genomeFactors(space: SearchSpace, genome: Genome): number[] {
	return genome.ticks.map((tick) => factorAt(space, tick));
}

/** A stable identity: identical candidates share it (and are evaluated once). */
export function genomeKey(genome: Genome): string {
	return `${genome.nHat}|${genome.ticks.join(',')}`;
}

export function parseGenomeKey(space: SearchSpace, key: string): Genome {
	const match = /^(\d+)\|([\d,]+)$/.exec(key);
	if (!match) throw new RopeInputError('genome key', key, 'of the form "nHat|t0,t1,…"');
	const genome = { nHat: Number(match[1]), ticks: match[2].split(',').map(Number) };
	if (!isValidGenome(space, genome)) {
		throw new RopeInputError('genome key', key, 'inside the search space');
	}
	return genome;
}

/** In bounds, on the grid, non-decreasing, n̂ one of the choices. */
export function isValidGenome(space: SearchSpace, genome: Genome): boolean {
	if (genome.ticks.length !== space.pairs) return false;
	if (!space.nHatChoices.includes(genome.nHat)) return false;
	for (let i = 0; i < genome.ticks.length; i++) {
		const t = genome.ticks[i];
		if (!Number.isInteger(t) || t < 0 || t > space.maxTick) return false;
		if (i > 0 && t < genome.ticks[i - 1]) return false;
	}
	return true;
}

/**
 * The nearest non-decreasing sequence in the least-squares sense (pool adjacent violators),
 * clamped to [0, maxTick] and rounded to the grid. Clamping and rounding are monotone maps, so
 * the result is non-decreasing too: a repaired genome never violates the constraints.
 */
export function repairTicks(space: SearchSpace, values: readonly number[]): number[] {
	const blocks: { sum: number; count: number }[] = [];
	for (const value of values) {
		blocks.push({ sum: value, count: 1 });
		while (blocks.length > 1) {
			const last = blocks[blocks.length - 1];
			const prev = blocks[blocks.length - 2];
			if (prev.sum / prev.count <= last.sum / last.count) break;
			prev.sum += last.sum;
			prev.count += last.count;
			blocks.pop();
		}
	}
	const out: number[] = [];
	for (const block of blocks) {
		const mean = block.sum / block.count;
		const tick = Math.min(space.maxTick, Math.max(0, Math.round(mean)));
		for (let k = 0; k < block.count; k++) out.push(tick);
	}
	return out;
}

export function nearestNHat(space: SearchSpace, nHat: number): number {
	let best = space.nHatChoices[0];
	for (const choice of space.nHatChoices) {
		if (Math.abs(choice - nHat) < Math.abs(best - nHat)) best = choice;
	}
	return best;
}

/** Any factors (PI, NTK, YaRN, a previous set) snapped into the space. */
export function genomeFromFactors(
	space: SearchSpace,
	factors: ArrayLike<number>,
	nHat = 0,
): Genome {
	if (factors.length !== space.pairs) {
		throw new RopeInputError('factors', factors, `an array of ${space.pairs} factors`);
	}
	const values = Array.from(factors, (f) => (f - space.lower) / space.step);
	return { ticks: repairTicks(space, values), nHat: nearestNHat(space, nHat) };
}
