import * as assert from 'node:assert/strict';
import { CancellationError, CancellationTokenSource } from '../../../extension/engine/cancellation';
import { runSearch } from '../../../extension/engine/search/evolution';
import type {
	Fitness,
	SearchOptions,
	SearchProgress,
	SearchState,
} from '../../../extension/engine/search/evolutionTypes';
import { classicSeeds } from '../../../extension/engine/search/seeds';
import {
	createSearchSpace,
	genomeFromFactors,
	genomeKey,
	type SearchSpace,
} from '../../../extension/engine/search/space';
import { parseSearchState, serializeSearchState } from '../../../extension/engine/search/state';

const GEOMETRY = { base: 10000, headDim: 16, rotaryDim: 16, originalWindow: 64, maxWindow: 64 };
const SPACE = createSearchSpace({ pairs: 8, scale: 4, window: 64 });
/** The known optimum: monotone, on the grid, inside [1, 5]. */
const TARGET = [1, 1, 1.3, 1.8, 2.5, 3.2, 4, 4.4];
const TARGET_NHAT = 16;

/** A smooth bowl around TARGET / TARGET_NHAT; 1 exactly at the optimum. */
function bowl(space: SearchSpace): Fitness {
	return async (candidate) => {
		let d = 0;
		for (let i = 0; i < space.pairs; i++) d += (candidate.factors[i] - TARGET[i]) ** 2;
		d += (Math.log2(1 + candidate.nHat) - Math.log2(1 + TARGET_NHAT)) ** 2 * 0.05;
		return 1 + d;
	};
}

function options(overrides: Partial<SearchOptions> = {}): SearchOptions {
	return {
		space: SPACE,
		attentionFactor: 1.2,
		seed: 7,
		seeds: classicSeeds(SPACE, GEOMETRY, 4),
		stages: [{ label: 'target', rounds: 40, fitness: bowl(SPACE) }],
		...overrides,
	};
}

describe('LongRoPE evolutionary search', function () {
	this.timeout(60_000);

	it('finds the known optimum of a synthetic fitness (paper parameters, seeds 1–4)', async () => {
		for (const seed of [1, 2, 3, 4]) {
			const result = await runSearch(options({ seed }));
			// 8 genes × 401 grid points: 40 rounds end within a few grid steps of the bottom.
			result.best.factors.forEach((f, i) =>
				assert.ok(Math.abs(f - TARGET[i]) <= 0.05, `seed ${seed} λ${i} ${f}`),
			);
			assert.equal(result.best.nHat, TARGET_NHAT);
			assert.ok(result.best.fitness - 1 < 0.005, `fitness ${result.best.fitness}`);
			const seedBest = Math.min(...Object.values(result.seedFitness));
			assert.ok(seedBest - 1 > 100 * (result.best.fitness - 1), 'far better than the seeds');
			assert.equal(result.best.attentionFactor, 1.2);
			assert.equal(result.stages[0].rounds, 40);
		}
	});

	it('finds the exact optimum in a short-window space (λ in [1, 1.1])', async () => {
		const space = createSearchSpace({ pairs: 16, scale: 1, window: 64 });
		const target = [...new Array(10).fill(1), 1.01, 1.02, 1.02, 1.05, 1.08, 1.1];
		const result = await runSearch({
			space,
			attentionFactor: 1,
			seed: 1,
			seeds: classicSeeds(space, { ...GEOMETRY, rotaryDim: 32, headDim: 32 }, 1),
			stages: [
				{
					label: 'short',
					rounds: 40,
					fitness: async (c) =>
						c.factors.reduce((s, f, i) => s + Math.abs(f - target[i]), 0) +
						Math.abs(c.nHat - 4) / 100,
				},
			],
		});
		assert.deepEqual(result.best.factors, target);
		assert.equal(result.best.nHat, 4);
		assert.equal(result.best.fitness, 0);
	});

	it('is deterministic for a seed, evaluates each candidate once, and reports progress', async () => {
		const calls = new Map<string, number>();
		const base = bowl(SPACE);
		const counting: Fitness = async (c, t) => {
			calls.set(c.key, (calls.get(c.key) ?? 0) + 1);
			return base(c, t);
		};
		const events: SearchProgress[] = [];
		const stages = [{ label: 'target', rounds: 12, fitness: counting }];
		const a = await runSearch(options({ stages }), { onProgress: (e) => events.push(e) });
		assert.ok(
			[...calls.values()].every((n) => n === 1),
			'no candidate evaluated twice',
		);
		assert.equal(a.evaluations, calls.size);
		assert.equal(a.evaluations, 64 + 12 * 32);
		const b = await runSearch(
			options({ stages: [{ label: 'target', rounds: 12, fitness: base }] }),
		);
		assert.deepEqual(b.best, a.best);
		assert.deepEqual(b.stages, a.stages);
		const c = await runSearch(
			options({ seed: 8, stages: [{ label: 'target', rounds: 12, fitness: base }] }),
		);
		assert.notDeepEqual(c.stages[0].history, a.stages[0].history);

		assert.deepEqual(
			events.map((e) => e.round),
			Array.from({ length: 13 }, (_, i) => i),
		);
		for (let k = 1; k < events.length; k++) {
			assert.ok(events[k].best <= events[k - 1].best, 'best never gets worse (elitism)');
			assert.ok(events[k].median >= events[k].best);
		}
		const last = events[events.length - 1];
		assert.equal(last.etaSeconds, 0);
		assert.ok(last.evaluationsPerSecond > 0);
		assert.equal(last.evaluations, a.evaluations);
	});

	it('resumes after a cancel mid-round with the same result as an uninterrupted run', async () => {
		const base = bowl(SPACE);
		const stages = (fitness: (stage: number) => Fitness) => [
			{ label: 'short', rounds: 5, fitness: fitness(0), length: 128 },
			{ label: 'target', rounds: 6, fitness: fitness(1), length: 256 },
		];
		const whole = await runSearch(options({ stages: stages(() => base) }));

		for (const stopAfter of [10, 64 + 3 * 32 + 5, 64 + 5 * 32 + 40]) {
			const source = new CancellationTokenSource();
			let calls = 0;
			const stopping: Fitness = async (c, t) => {
				if (++calls === stopAfter) source.cancel();
				return base(c, t);
			};
			let saved: SearchState | undefined;
			await assert.rejects(
				runSearch(options({ stages: stages(() => stopping) }), {
					token: source.token,
					onCheckpoint: (s) => (saved = s),
				}),
				CancellationError,
			);
			assert.ok(saved);
			const restored = parseSearchState(serializeSearchState(saved));
			const fresh = new Set<string>();
			const resumed = await runSearch(
				options({
					stages: stages((stage) => async (c, t) => {
						if (stage === saved?.stage) fresh.add(c.key);
						return base(c, t);
					}),
				}),
				{ resume: restored },
			);
			assert.deepEqual(resumed.best, whole.best, `stopped after ${stopAfter}`);
			assert.deepEqual(resumed.stages, whole.stages);
			assert.equal(resumed.evaluations, whole.evaluations, 'no candidate evaluated twice');
			for (const [key] of saved.cache)
				assert.ok(!fresh.has(key), 'saved evaluations are reused');
		}
	});

	it('the second stage starts from the first stage’s parents (progressive mode)', async () => {
		const base = bowl(SPACE);
		const result = await runSearch(
			options({
				stages: [
					{ label: 'short', rounds: 8, fitness: base },
					{ label: 'target', rounds: 2, fitness: async (c, t) => 2 * (await base(c, t)) },
				],
			}),
		);
		assert.equal(result.stages.length, 2);
		assert.ok(result.stages[1].best <= 2 * result.stages[0].best + 1e-12);
		assert.equal(result.best.fitness, result.stages[1].best);
	});

	it('refuses a state from other options; infinite fitness ranks last and survives JSON', async () => {
		let saved: SearchState | undefined;
		const nan: Fitness = async (c) => (c.nHat === 0 ? NaN : 1 + c.factors[7]);
		const stages = [{ label: 'target', rounds: 2, fitness: nan }];
		const result = await runSearch(
			options({ stages, populationSize: 16, parents: 8, mutations: 4, crossovers: 4 }),
			{
				onCheckpoint: (s) => (saved = s),
			},
		);
		assert.ok(Number.isFinite(result.best.fitness));
		assert.ok(saved);
		const text = serializeSearchState(saved);
		const back = parseSearchState(text);
		assert.deepEqual(back, saved);
		await assert.rejects(
			runSearch(options({ seed: 99, stages }), { resume: back }),
			/same model geometry/,
		);
		assert.throws(() => parseSearchState('{"version":2}'), /search state/);
	});

	it('stops a stage early after `patience` rounds without improvement', async () => {
		const flat: Fitness = async () => 3;
		const result = await runSearch(
			options({ patience: 2, stages: [{ label: 'target', rounds: 40, fitness: flat }] }),
		);
		assert.equal(result.stages[0].rounds, 2);
	});

	it('never hands the fitness a candidate outside the space', async () => {
		const space = createSearchSpace({ pairs: 8, scale: 16, window: 64, upper: 17 });
		const seen: string[] = [];
		const check: Fitness = async (c) => {
			for (let i = 0; i < c.factors.length; i++) {
				assert.ok(c.factors[i] >= 1 && c.factors[i] <= 17);
				if (i > 0) assert.ok(c.factors[i] >= c.factors[i - 1]);
			}
			assert.ok(space.nHatChoices.includes(c.nHat));
			seen.push(c.key);
			return c.factors.reduce((s, f) => s + Math.abs(f - 3), 0);
		};
		await runSearch({
			space,
			attentionFactor: 1,
			seed: 3,
			seeds: [{ name: 'pi', genome: genomeFromFactors(space, new Array(8).fill(16)) }],
			stages: [{ label: 'target', rounds: 10, fitness: check }],
		});
		assert.equal(new Set(seen).size, seen.length);
		assert.ok(seen.includes(genomeKey(genomeFromFactors(space, new Array(8).fill(16)))));
	});
});
