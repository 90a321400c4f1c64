import * as assert from 'node:assert/strict';
import { seededRandom } from '../../../extension/engine/generation/random';
import { crossover, mutate } from '../../../extension/engine/search/operators';
import { classicSeeds } from '../../../extension/engine/search/seeds';
import {
	createSearchSpace,
	factorAt,
	genomeFactors,
	genomeFromFactors,
	genomeKey,
	isValidGenome,
	parseGenomeKey,
	repairTicks,
	type Genome,
	type SearchSpace,
} from '../../../extension/engine/search/space';

const GEOMETRY = { base: 10000, headDim: 32, rotaryDim: 32, originalWindow: 256, maxWindow: 256 };

function assertValid(space: SearchSpace, genome: Genome, what: string): void {
	const factors = genomeFactors(space, genome);
	assert.ok(isValidGenome(space, genome), `${what}: ${genomeKey(genome)}`);
	for (let i = 0; i < factors.length; i++) {
		assert.ok(factors[i] >= space.lower - 1e-12 && factors[i] <= space.upper + 1e-12, what);
		if (i > 0) assert.ok(factors[i] >= factors[i - 1], `${what}: λ non-decreasing`);
		const steps = (factors[i] - space.lower) / space.step;
		assert.ok(Math.abs(steps - Math.round(steps)) < 1e-6, `${what}: on the 0.01 grid`);
	}
	assert.ok(space.nHatChoices.includes(genome.nHat), what);
}

function randomGenome(space: SearchSpace, random: () => number): Genome {
	const values = Array.from({ length: space.pairs }, () => random() * space.maxTick);
	values.sort((a, b) => a - b);
	return {
		ticks: repairTicks(space, values),
		nHat: space.nHatChoices[Math.floor(random() * space.nHatChoices.length)],
	};
}

describe('LongRoPE search space and operators', () => {
	it('the space: a 0.01 grid in [1, 1.25·s], n̂ choices capped at the window', () => {
		const space = createSearchSpace({ pairs: 16, scale: 8, window: 256 });
		assert.equal(space.upper, 10);
		assert.equal(space.maxTick, 900);
		assert.equal(factorAt(space, 900), 10);
		assert.equal(factorAt(space, 13), 1.13);
		assert.deepEqual(space.nHatChoices, [0, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 64, 128, 256]);
		const small = createSearchSpace({ pairs: 16, scale: 4, window: 100, upper: 5 });
		assert.equal(small.nHatChoices.at(-1), 64);
		assert.equal(createSearchSpace({ pairs: 4, scale: 1, window: 256 }).upper, 1.1);
	});

	it('repair gives the nearest non-decreasing sequence and leaves sorted ones alone', () => {
		const space = createSearchSpace({ pairs: 5, scale: 2, window: 256 });
		assert.deepEqual(repairTicks(space, [0, 3, 5, 5, 40]), [0, 3, 5, 5, 40]);
		assert.deepEqual(repairTicks(space, [10, 4, 7, 1000, -3]), [7, 7, 7, 150, 150]);
		assert.deepEqual(repairTicks(space, [3, 1, 2, 8, 6]), [2, 2, 2, 7, 7]);
	});

	it('PI, NTK and YaRN seeds land in the space (and collapse to plain RoPE at s = 1)', () => {
		const space = createSearchSpace({ pairs: 16, scale: 8, window: 256 });
		const seeds = classicSeeds(space, GEOMETRY, 8);
		assert.deepEqual(
			seeds.map((s) => s.name),
			['pi', 'ntk', 'yarn'],
		);
		for (const seed of seeds) assertValid(space, seed.genome, seed.name);
		assert.deepEqual(genomeFactors(space, seeds[0].genome), new Array(16).fill(8));
		assert.equal(genomeFactors(space, seeds[1].genome)[0], 1);
		assert.equal(genomeFactors(space, seeds[1].genome)[15], 8);
		const short = createSearchSpace({ pairs: 16, scale: 1, window: 256 });
		const plain = classicSeeds(short, GEOMETRY, 1);
		assert.deepEqual(
			plain.map((s) => s.name),
			['none'],
		);
		assert.deepEqual(genomeFactors(short, plain[0].genome), new Array(16).fill(1));
	});

	it('keys round-trip and out-of-space keys are refused', () => {
		const space = createSearchSpace({ pairs: 3, scale: 2, window: 256 });
		const genome = genomeFromFactors(space, [1, 1.5, 2.2], 12);
		assert.deepEqual(parseGenomeKey(space, genomeKey(genome)), genome);
		assert.throws(() => parseGenomeKey(space, '12|5,4,9'), /inside the search space/);
		assert.throws(() => parseGenomeKey(space, '3|0,1,2'), /inside the search space/);
	});

	it('mutation and crossover keep bounds, grid and monotonicity (property test, 400 seeds)', () => {
		const spaces = [
			createSearchSpace({ pairs: 16, scale: 8, window: 256 }),
			createSearchSpace({ pairs: 16, scale: 1, window: 256 }),
			createSearchSpace({ pairs: 7, scale: 3, window: 20, upper: 4, step: 0.05 }),
			createSearchSpace({ pairs: 2, scale: 16, window: 256, upper: 17 }),
		];
		let changed = 0;
		for (let seed = 1; seed <= 400; seed++) {
			const random = seededRandom(seed);
			const space = spaces[seed % spaces.length];
			const a = randomGenome(space, random);
			const b = randomGenome(space, random);
			for (const p of [0.05, 0.3, 1]) {
				const m = mutate(space, a, random, p);
				assertValid(space, m, `mutate seed ${seed} p ${p}`);
				if (genomeKey(m) !== genomeKey(a)) changed++;
				assertValid(space, crossover(space, a, b, random), `crossover seed ${seed}`);
			}
		}
		assert.ok(changed > 800, `mutations should usually change something (${changed}/1200)`);
	});

	it('mutation at p = 0.3 changes about 30% of the genes', () => {
		const space = createSearchSpace({ pairs: 16, scale: 8, window: 256 });
		const random = seededRandom(5);
		const parent = genomeFromFactors(
			space,
			new Array(16).fill(0).map((_, i) => 1 + i * 0.5),
			8,
		);
		let moved = 0;
		const trials = 500;
		for (let t = 0; t < trials; t++) {
			const child = mutate(space, parent, random, 0.3);
			moved += child.ticks.filter((x, i) => x !== parent.ticks[i]).length;
		}
		const fraction = moved / (trials * 16);
		assert.ok(fraction > 0.15 && fraction < 0.4, `fraction ${fraction}`);
	});
});
