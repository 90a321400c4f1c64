import * as assert from 'node:assert/strict';
import { buildChatPrompt } from '../../../extension/engine/generation/chatTemplate';
import type { TextTokenizer } from '../../../extension/engine/generation/tokenizer';
import { checkKvBudget, MemoryCapError } from '../../../extension/engine/generation/memoryGuard';

/** One id per character (code point + 100), special tokens 0–6 as in the bundled vocabulary. */
const SPECIAL = ['<s>', '</s>', '<pad>', '<|system|>', '<|user|>', '<|assistant|>', '<|end|>'];
const fake: TextTokenizer = {
	vocabSize: 1000,
	encode: (text) => [...text].map((c) => c.codePointAt(0)! + 100),
	decode: (ids) =>
		ids.map((id) => (id < 7 ? SPECIAL[id] : String.fromCodePoint(id - 100))).join(''),
	tokenId: (token) => (SPECIAL.includes(token) ? SPECIAL.indexOf(token) : undefined),
};

describe('chat template', () => {
	it('renders each turn as <|role|>\\n text <|end|>\\n and opens the assistant turn', () => {
		const prompt = buildChatPrompt(fake, [
			{ role: 'system', content: 'S' },
			{ role: 'user', content: 'hi' },
		]);
		assert.equal(
			fake.decode(prompt.ids),
			'<s><|system|>\nS<|end|>\n<|user|>\nhi<|end|>\n<|assistant|>\n',
		);
		assert.deepEqual(prompt.stopIds, [6, 1]);
	});

	it('keeps the token prefix when a conversation grows by a turn (prefix reuse depends on it)', () => {
		const one = buildChatPrompt(fake, [{ role: 'user', content: 'q1' }]).ids;
		const two = buildChatPrompt(fake, [
			{ role: 'user', content: 'q1' },
			{ role: 'assistant', content: 'a1' },
			{ role: 'user', content: 'q2' },
		]).ids;
		const shared = one.length - 2; // all but the opened assistant turn
		assert.deepEqual(two.slice(0, shared), one.slice(0, shared));
	});

	it('names the missing role token', () => {
		const bare = { ...fake, tokenId: (t: string) => (t === '<s>' ? 0 : undefined) };
		assert.throws(
			() => buildChatPrompt(bare, [{ role: 'user', content: 'x' }]),
			/no <\|user\|> token/,
		);
	});
});

describe('KV memory guard', () => {
	it('returns the planned bytes within the cap and refuses past it with both numbers', () => {
		assert.equal(checkKvBudget(1000, 6144, 8 * 1024 * 1024), 6_144_000);
		assert.throws(
			() => checkKvBudget(2000, 6144, 8 * 1024 * 1024),
			(err: Error) =>
				err instanceof MemoryCapError &&
				/2000-token request needs a 11\.7 MiB KV cache, over the 8\.0 MiB cap/.test(
					err.message,
				),
		);
	});
});
