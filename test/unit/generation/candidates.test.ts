import * as assert from 'node:assert/strict';
import { nucleus, sortByScore, topK } from '../../../extension/engine/generation/candidates';
import { seededRandom } from '../../../extension/engine/generation/random';

/** Scores with many ties (rounded to a tenth), and their order by a full sort. */
function scores(n: number, seed: number): { scores: Float64Array; order: number[] } {
	const random = seededRandom(seed);
	const s = Float64Array.from({ length: n }, () => Math.round(random() * 200 - 100) / 10);
	return {
		scores: s,
		order: sortByScore(
			Array.from({ length: n }, (_, i) => i),
			s,
		),
	};
}

describe('candidates', () => {
	it('sorts by score descending, ties to the lower id', () => {
		assert.deepEqual(sortByScore([0, 1, 2, 3], [1, 3, 3, 2]), [1, 2, 3, 0]);
	});

	it('topK gives the first k of the full order, ties included', () => {
		for (const seed of [1, 2, 3]) {
			const { scores: s, order } = scores(5000, seed);
			for (const k of [1, 7, 40, 1000]) assert.deepEqual(topK(s, k), order.slice(0, k));
		}
		assert.deepEqual(topK([2, 1], 5), [0, 1]);
	});

	it('nucleus keeps the shortest prefix of the full order reaching the mass', () => {
		for (const seed of [4, 5]) {
			const { scores: s, order } = scores(20_000, seed);
			const max = s[order[0]];
			for (const temperature of [0.3, 1, 4]) {
				const weights = Float64Array.from(s, (x) => Math.exp((x - max) / temperature));
				const total = weights.reduce((a, b) => a + b, 0);
				for (const p of [0.1, 0.5, 0.9, 0.999]) {
					// The reference: walk the full order until the mass is reached.
					let mass = 0;
					let keep = 0;
					while (keep < order.length && mass < p * total) mass += weights[order[keep++]];
					const got = nucleus(s, weights, p * total);
					assert.deepEqual(
						[...got.ids].sort((a, b) => a - b),
						order.slice(0, keep).sort((a, b) => a - b),
						`seed ${seed}, T ${temperature}, p ${p}`,
					);
					assert.ok(Math.abs(got.mass - mass) <= 1e-9 * total);
				}
			}
		}
	});
});
