import * as assert from 'node:assert/strict';
import { Sampler } from '../../../extension/engine/generation/sampling';
import type { TextTokenizer } from '../../../extension/engine/generation/tokenizer';
import { decodeAnswer } from '../../../extension/runtime/decoding';

/** Token k is the letter 'a' + k. */
const letters: TextTokenizer = {
	vocabSize: 4,
	encode: () => [],
	decode: (ids) => ids.map((id) => String.fromCharCode(97 + id)).join(''),
	tokenId: () => undefined,
};

async function answer(prompt: number[], rows: number[][], repetitionPenalty: number) {
	const steps = rows.map((row) => Float32Array.from(row));
	let at = 0;
	const stream = decodeAnswer({
		prompt,
		logits: steps[0],
		step: async () => steps[Math.min(++at, steps.length - 1)],
		sampler: new Sampler({ repetitionPenalty }),
		stopIds: [],
		stopStrings: [],
		tokenizer: letters,
		maxNewTokens: rows.length,
		started: performance.now(),
	});
	let next = await stream.next();
	while (!next.done) next = await stream.next();
	return next.value.tokenIds;
}

describe('decodeAnswer: the repetition penalty', () => {
	// Every step's logits: token 0 at 4, 1 at 3, 2 at 2.5, 3 at 1. With a penalty of 2 a seen
	// token's positive score halves: 0 → 2, 1 → 1.5, 2 → 1.25.
	const rows = [0, 1, 2].map(() => [4, 3, 2.5, 1]);

	it('lowers the prompt tokens and each answer token as it is chosen', async () => {
		// Prompt [0]: step 1 picks 1 (3 > 2.5 > 2); step 2, 1 seen: 2 (2.5 > 2 > 1.5); step 3, 0, 1
		// and 2 seen: 0 (2 > 1.5 > 1.25, and 2 > 1).
		assert.deepEqual(await answer([0, 0, 0], rows, 2), [1, 2, 0]);
	});

	it('without a penalty, greedy picks the best score every step', async () => {
		assert.deepEqual(await answer([0], rows, 1), [0, 0, 0]);
	});
});
