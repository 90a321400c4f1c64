import * as assert from 'node:assert/strict';
import { argmax, resolveSampling, Sampler } from '../../../extension/engine/generation/sampling';

const logits = (...xs: number[]) => Float32Array.from(xs);

/** Frequencies of `draws` samples; the expected shares are softmax values worked out by hand below. */
function shares(sampler: Sampler, row: Float32Array, draws: number): number[] {
	const counts = new Array<number>(row.length).fill(0);
	for (let k = 0; k < draws; k++) counts[sampler.next(row, new Set())]++;
	return counts.map((c) => c / draws);
}

describe('Sampler', () => {
	it('is greedy at temperature 0, ties going to the lower id', () => {
		assert.equal(new Sampler().next(logits(1, 3, 3, 2), new Set()), 1);
		assert.equal(argmax([0, -1, 5, 5]), 2);
	});

	it('applies the repetition penalty to seen tokens only, dividing positive and multiplying negative scores', () => {
		const sampler = new Sampler({ repetitionPenalty: 2 });
		// 4/2 = 2 < 3: the seen token 0 loses to token 1.
		assert.equal(sampler.next(logits(4, 3, -1), new Set([0])), 1);
		// -1·2 = -2 < -1.5: a seen negative score gets worse.
		assert.equal(sampler.next(logits(-1, -1.5, -3), new Set([0])), 1);
	});

	it('keeps only the top k', () => {
		const sampler = new Sampler({ temperature: 1, topK: 2, seed: 1 });
		const s = shares(sampler, logits(2, 1, 0, 5), 2000);
		assert.equal(s[2], 0);
		assert.equal(s[1], 0);
		assert.ok(s[3] > 0.9 && s[0] > 0.02, JSON.stringify(s));
	});

	it('keeps the smallest nucleus reaching top-p', () => {
		// softmax(ln 6, ln 3, ln 1) = 0.6, 0.3, 0.1: p = 0.8 keeps the first two (0.9 ≥ 0.8), p = 0.5 only the first.
		const row = logits(Math.log(6), Math.log(3), Math.log(1));
		const wide = shares(new Sampler({ temperature: 1, topP: 0.8, seed: 2 }), row, 3000);
		assert.equal(wide[2], 0);
		assert.ok(Math.abs(wide[0] - 2 / 3) < 0.04, `renormalised 0.6/0.9, got ${wide[0]}`);
		assert.deepEqual(
			shares(new Sampler({ temperature: 1, topP: 0.5, seed: 3 }), row, 100),
			[1, 0, 0],
		);
	});

	it('follows the temperature-scaled softmax', () => {
		// temperature 2 on (ln 9, 0): weights 3 and 1, so token 0 has probability 0.75.
		const s = shares(new Sampler({ temperature: 2, seed: 4 }), logits(Math.log(9), 0), 4000);
		assert.ok(Math.abs(s[0] - 0.75) < 0.03, `${s[0]}`);
	});

	it('repeats itself for the same seed', () => {
		const row = logits(0.1, 0.2, 0.3, 0.4);
		const run = () =>
			Array.from(
				{ length: 20 },
				(
					(sampler) => () =>
						sampler.next(row, new Set())
				)(new Sampler({ temperature: 1, seed: 9 })),
			);
		assert.deepEqual(run(), run());
	});

	it('names the bad option', () => {
		assert.throws(() => resolveSampling({ temperature: -1 }), /temperature/);
		assert.throws(() => resolveSampling({ topK: 1.5 }), /topK/);
		assert.throws(() => resolveSampling({ topP: 0 }), /topP/);
		assert.throws(() => resolveSampling({ repetitionPenalty: 0 }), /repetitionPenalty/);
		assert.throws(() => resolveSampling({ seed: 0.5 }), /seed/);
	});
});
