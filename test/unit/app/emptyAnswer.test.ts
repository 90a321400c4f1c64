import * as assert from 'node:assert/strict';
import { emptyAnswerNote } from '../../../extension/app/emptyAnswer';

const BUDGET = { tokens: 48, setting: 'longrope.answerTokens' };

describe('an empty answer says why', () => {
	it('says nothing about an answer with text', () => {
		assert.equal(
			emptyAnswerNote(' x ', { newTokens: 3, stopReason: 'stop-token' }, BUDGET),
			undefined,
		);
	});

	it('names the stop token, the stop string, the spent budget, or the reason it was given', () => {
		assert.equal(
			emptyAnswerNote('', { newTokens: 0, stopReason: 'stop-token' }, BUDGET),
			'The model answered with nothing: its stop token came first.',
		);
		assert.equal(
			emptyAnswerNote('\n\n', { newTokens: 2, stopReason: 'stop-token' }, BUDGET),
			'The model answered with nothing but blank space (2 tokens): its stop token came next.',
		);
		assert.equal(
			emptyAnswerNote('', { newTokens: 0, stopReason: 'stop-string' }, BUDGET),
			'The model answered with nothing: it began a new turn (a stop string) before any text.',
		);
		assert.equal(
			emptyAnswerNote(' \n', { newTokens: 48, stopReason: 'max-tokens' }, BUDGET),
			'The model answered with nothing but blank space (48 tokens): the answer budget of 48 tokens (longrope.answerTokens) ran out before any text.',
		);
		// A remote endpoint's count is of the text, so zero; the budget is still the request's.
		assert.equal(
			emptyAnswerNote('', { newTokens: 0, stopReason: 'max-tokens' }, BUDGET),
			'The model answered with nothing: the answer budget of 48 tokens (longrope.answerTokens) ran out before any text.',
		);
		assert.equal(
			emptyAnswerNote('', { newTokens: 0, stopReason: 'content_filter' }, BUDGET),
			'The model answered with nothing (it ended by content_filter).',
		);
	});
});
