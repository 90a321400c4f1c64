import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as native from 'tokenizers';

const MODEL = process.env.LONGROPE_GOLDEN_MODEL ?? 'longrope-tiny';
const FILE = path.resolve(__dirname, '../../../models', MODEL, 'tokenizer.json');

const SAMPLES: Record<string, string> = {
	code: 'export function add(a: number, b: number): number {\n\treturn a + b; // sum\n}\n',
	prose: 'The quick brown fox jumps over the lazy dog. It was the best of times.',
	emoji: 'Deploy 🚀 done ✅ — naïve café, 日本語, Ünïcödé, 👩‍💻',
	crlf: 'line one\r\nline two\r\n\r\n\tindented\r\n',
	whitespace: '   leading and trailing   \n\n\n',
	passkey: 'The pass key is 31415. Remember it. 31415 is the pass key.',
};

/** Runtime tokenizer (@huggingface/tokenizers, pure JS) against the native one that trained it. */
describe('bundled tokenizer', () => {
	const json = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>;
	const runtime = new Tokenizer(json, {});
	const reference = native.Tokenizer.fromFile(FILE);

	it('has the byte alphabet, the special tokens and a vocabulary of 4096', () => {
		assert.equal(reference.getVocabSize(true), 4096);
		const specials = [
			'<s>',
			'</s>',
			'<pad>',
			'<|system|>',
			'<|user|>',
			'<|assistant|>',
			'<|end|>',
		];
		specials.forEach((token, id) => assert.equal(runtime.token_to_id(token), id));
		// Every byte is a token of its own, so no text is ever unknown.
		for (let b = 0; b < 256; b++) {
			const ids = runtime.encode(Buffer.from([b]).toString('latin1'), {
				add_special_tokens: false,
			}).ids;
			assert.ok(ids.length >= 1 && ids.every((id) => id >= 7), `byte ${b}`);
		}
	});

	for (const [name, text] of Object.entries(SAMPLES)) {
		it(`round-trips ${name} exactly, with the same ids in both tokenizers`, async () => {
			const ids = runtime.encode(text, { add_special_tokens: false }).ids;
			assert.equal(runtime.decode(ids), text);
			const nativeIds = (await reference.encode(text)).getIds();
			assert.deepEqual(ids, nativeIds);
			assert.equal(await reference.decode(nativeIds, false), text);
		});
	}

	it('keeps chat role tokens whole', () => {
		const ids = runtime.encode('<|user|>hi<|end|><|assistant|>', {
			add_special_tokens: false,
		}).ids;
		assert.deepEqual([ids[0], ids.at(-2), ids.at(-1)], [4, 6, 5]);
	});
});
