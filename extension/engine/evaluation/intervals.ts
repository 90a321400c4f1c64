import { seededRandom } from '../generation/random';

/** A two-sided confidence interval. */
export interface Interval {
	readonly low: number;
	readonly high: number;
}

/** The 97.5% quantile of the standard normal: a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval for `correct` successes in `trials` (the interval that stays inside
 * [0, 1] and does not collapse at 0/n or n/n, unlike the normal approximation).
 */
export function wilsonInterval(correct: number, trials: number, z = Z95): Interval {
	if (trials === 0) return { low: 0, high: 1 };
	const p = correct / trials;
	const z2 = z * z;
	const denominator = 1 + z2 / trials;
	const center = (p + z2 / (2 * trials)) / denominator;
	const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
	return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/** The q-quantile (0…1) of ascending values, interpolated linearly between order statistics (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
	if (sorted.length === 0) throw new Error('quantile of no values');
	const position = q * (sorted.length - 1);
	const below = Math.floor(position);
	const above = Math.min(below + 1, sorted.length - 1);
	return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

/**
 * `resamples` bootstrap resamples of `count` items: each a list of `count` indices drawn
 * uniformly with replacement (mulberry32 from `seed`, index = ⌊u·count⌋). Generated once and
 * applied to every method, so methods are compared on the same resampled windows.
 */
export function bootstrapResamples(count: number, resamples: number, seed: number): number[][] {
	const random = seededRandom(seed);
	return Array.from({ length: resamples }, () =>
		Array.from({ length: count }, () => Math.floor(random() * count)),
	);
}

/**
 * Percentile bootstrap interval of `statistic` over the resamples (2.5% and 97.5% quantiles of
 * the statistic's values for a 95% interval).
 */
export function bootstrapInterval(
	resamples: readonly (readonly number[])[],
	statistic: (indices: readonly number[]) => number,
	level = 0.95,
): Interval {
	const values = resamples.map(statistic).sort((a, b) => a - b);
	const tail = (1 - level) / 2;
	return { low: quantile(values, tail), high: quantile(values, 1 - tail) };
}

/** exp(Σ nll / Σ tokens) over the chosen items: the pooled perplexity of those windows. */
export function pooledPerplexity(
	items: readonly { readonly nll: number; readonly tokens: number }[],
	indices: readonly number[] = items.map((_, k) => k),
): number {
	let nll = 0;
	let tokens = 0;
	for (const k of indices) {
		nll += items[k].nll;
		tokens += items[k].tokens;
	}
	return Math.exp(nll / tokens);
}
