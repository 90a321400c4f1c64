import { repairTicks, type Genome, type SearchSpace } from './space';

export type Random = () => number;

function randomInt(random: Random, lo: number, hi: number): number {
	return lo + Math.floor(random() * (hi - lo + 1));
}

/**
 * Each gene (every λ_i and n̂) changes with probability p. A λ_i moves either (70%) by a few
 * grid steps, small ones most often (local search), or (30%) to a uniform point between its
 * neighbours (which keeps the order by itself); the result is repaired to the nearest
 * non-decreasing sequence on the grid. n̂ moves one or two places along its list of choices.
 */
export function mutate(
	space: SearchSpace,
	parent: Genome,
	random: Random,
	probability: number,
): Genome {
	const ticks = [...parent.ticks];
	const local = Math.max(2, Math.round(space.maxTick * 0.05));
	for (let i = 0; i < ticks.length; i++) {
		if (random() >= probability) continue;
		if (random() < 0.7) {
			// Mostly small steps (fine tuning), sometimes up to 5% of the range.
			const delta = 1 + Math.floor(local * random() ** 3);
			ticks[i] += random() < 0.5 ? -delta : delta;
		} else {
			const lo = i === 0 ? 0 : ticks[i - 1];
			const hi = i === ticks.length - 1 ? space.maxTick : parent.ticks[i + 1];
			ticks[i] = randomInt(random, Math.min(lo, hi), Math.max(lo, hi));
		}
	}
	let nHat = parent.nHat;
	if (random() < probability) nHat = shiftNHat(space, nHat, random);
	return { ticks: repairTicks(space, ticks), nHat };
}

function shiftNHat(space: SearchSpace, nHat: number, random: Random): number {
	const choices = space.nHatChoices;
	const index = Math.max(0, choices.indexOf(nHat));
	const shift = randomInt(random, 1, 2) * (random() < 0.5 ? -1 : 1);
	return choices[Math.min(choices.length - 1, Math.max(0, index + shift))];
}

/**
 * Uniform crossover: every gene from one parent or the other, then the same repair. Two
 * non-decreasing parents can give a violating child (a high gene from one before a low gene
 * from the other), which the repair pools into their mean.
 */
export function crossover(space: SearchSpace, a: Genome, b: Genome, random: Random): Genome {
	const ticks = a.ticks.map((t, i) => (random() < 0.5 ? t : b.ticks[i]));
	const nHat = random() < 0.5 ? a.nHat : b.nHat;
	return { ticks: repairTicks(space, ticks), nHat };
}
