import * as assert from 'node:assert/strict';
import type { ChatMessage } from '../../../extension/engine/generation/chatTemplate';
import type { TextTokenizer } from '../../../extension/engine/generation/tokenizer';
import { fitPasskeyPrompt, passkeyTrials } from '../../../extension/engine/evaluation/passkey';
import { workspaceQuestion } from '../../../extension/engine/evaluation/workspaceQuestions';
import {
	SEARCH_RETRIEVAL_SEED,
	retrievalSamples,
} from '../../../extension/engine/search/retrievalFitness';

// A stand-in tokenizer: one token per character (its code), no special tokens.
const tokenizer: TextTokenizer = {
	vocabSize: 0x110000,
	encode: (text: string) => Array.from(text, (c) => c.codePointAt(0) ?? 0),
	decode: (ids: readonly number[]) => String.fromCodePoint(...ids),
	tokenId: () => undefined,
};
const render = (messages: readonly ChatMessage[]): number[] =>
	tokenizer.encode(messages.map((m) => `<${m.role}>${m.content}`).join('') + '<assistant>');

describe("the search's retrieval samples", () => {
	it('passkeys then definition questions, each its prompt and the answer scored from answerFrom', () => {
		const length = 3000;
		const samples = retrievalSamples(tokenizer, render, length, 2);
		assert.deepEqual(
			samples.map((s) => s.kind),
			['passkey', 'passkey', 'definition', 'definition'],
		);
		const trials = passkeyTrials(SEARCH_RETRIEVAL_SEED, length, 2);
		for (const [k, trial] of trials.entries()) {
			const s = samples[k];
			assert.deepEqual(
				s.ids.slice(0, s.answerFrom),
				fitPasskeyPrompt(tokenizer, length, trial).ids,
			);
			assert.equal(tokenizer.decode(s.ids.slice(s.answerFrom)), ` ${trial.key}`);
		}
		for (const k of [0, 1]) {
			const s = samples[2 + k];
			const q = workspaceQuestion(SEARCH_RETRIEVAL_SEED + k, {
				promptTokens: (m) => render(m).length,
				targetTokens: length - 24,
				kind: 'defined',
			});
			assert.deepEqual(s.ids.slice(0, s.answerFrom), render(q.messages));
			assert.equal(tokenizer.decode(s.ids.slice(s.answerFrom)), q.answer);
			assert.match(q.answer, /:\d+/);
		}
		for (const s of samples) assert.ok(s.ids.length <= length, `${s.kind}: ${s.ids.length}`);
	});

	it("uses keys apart from the evaluation's (seed 1,000,000) and refuses training seeds", () => {
		const search = passkeyTrials(SEARCH_RETRIEVAL_SEED, 1024, 20).map((t) => t.key);
		const evaluation = passkeyTrials(1_000_000, 1024, 20).map((t) => t.key);
		assert.equal(search.filter((k) => evaluation.includes(k)).length, 0);
		assert.throws(
			() => retrievalSamples(tokenizer, render, 1024, 1, 999_999),
			/retrieval seeds must be ≥ 1000000 \(lower ones are the training's\), not 999999/,
		);
	});
});
