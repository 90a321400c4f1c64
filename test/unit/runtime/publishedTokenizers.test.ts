import * as assert from 'node:assert/strict';
import { encode as o200kEncode } from 'gpt-tokenizer/encoding/o200k_base';
import * as native from 'tokenizers';
import { HfTokenizer } from '../../../extension/runtime/hfTokenizer';
import {
	PHI3_ADDED_TOKENS,
	PHI4_MINI_ADDED_TOKENS,
	phi3TokenizerJson,
	phi4MiniTokenizerJson,
	type TokenizerJson,
} from '../../tokenizers/publishedTokenizers';

const SAMPLES: Record<string, string> = {
	ascii: 'The quick brown fox jumps over the lazy dog. It was the best of times , it was…',
	code: 'export function add(a: number, b: number): number {\n\treturn a + b; // sum\n}\n',
	indentedCode: 'def f(x):\n    if x:\n        return [x ** 2 for _ in range(3)]\n',
	unicode: 'naïve café, 日本語のテキスト, Ünïcödé, Ελληνικά, русский, עברית, हिन्दी',
	emoji: 'Deploy 🚀 done ✅ — 👩‍💻 🇫🇷 👍🏽',
	leadingSpaces: '   three leading spaces and trailing   ',
	leadingNewlines: '\n\n\tindented after two newlines\r\n',
	numbers: 'pass key 31415926535, 3.14, 1e-9, 0x1F',
};

/** Rust `tokenizers` (the library behind Hugging Face's Python outputs) on the same file. */
function rustEncoder(json: TokenizerJson): (text: string) => Promise<number[]> {
	const tokenizer = native.Tokenizer.fromString(JSON.stringify(json));
	return async (text) =>
		(await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds();
}

describe('published tokenizers, rebuilt from npm packages', function () {
	// The first run builds Phi-4-mini's merges from the o200k ranks (a few seconds), later runs
	// read the cached file.
	this.timeout(60_000);

	describe('Phi-3/3.5-mini (Llama-2 SentencePiece BPE, byte fallback)', () => {
		let tokenizer: HfTokenizer;
		let rust: (text: string) => Promise<number[]>;
		before(() => {
			const json = phi3TokenizerJson();
			tokenizer = new HfTokenizer(json, 'phi-3 tokenizer.json');
			rust = rustEncoder(json);
		});

		it('has the 32000 LLaMA pieces and the added tokens up to <|user|> = 32010', () => {
			assert.equal(tokenizer.vocabSize, 32011);
			for (const { id, content } of PHI3_ADDED_TOKENS)
				assert.equal(tokenizer.tokenId(content), id);
			assert.equal(tokenizer.tokenId('<0xE2>'), 229);
		});

		it('encodes the published chat prompt to the published ids', () => {
			// onnxruntime-extensions' Phi3MiniChatTemplate test, "from HuggingFace Python output for
			// microsoft/Phi-3-mini-4k-instruct". The role tokens strip the newline after them.
			const text =
				'<|system|>\nSystem message<|end|>\n<|user|>\nHello, can you call some tools for me?<|end|>\n' +
				'<|assistant|>\nSure, I can calculate the sum for you!<|end|>\n<|assistant|>\n';
			assert.deepEqual(
				tokenizer.encode(text),
				[
					32006, 2184, 2643, 32007, 32010, 15043, 29892, 508, 366, 1246, 777, 8492, 363,
					592, 29973, 32007, 32001, 18585, 29892, 306, 508, 8147, 278, 2533, 363, 366,
					29991, 32007, 32001,
				],
			);
		});

		it('encodes text to the published ids, byte fallback included', () => {
			// onnxruntime-extensions' Phi3Tokenizer test (its leading <s> = 1 dropped): 析 has no
			// piece, so its three UTF-8 bytes come as <0xE6><0x9E><0x90>.
			assert.deepEqual(tokenizer.encode('分析'), [29871, 30748, 233, 161, 147]);
			assert.deepEqual(
				tokenizer.encode(' こんにちは'),
				[259, 30589, 30389, 30353, 30644, 30449],
			);
			// llama-tokenizer-js's README (its <s> dropped).
			assert.deepEqual(tokenizer.encode('Hello world!'), [15043, 3186, 29991]);
		});

		for (const [name, text] of Object.entries(SAMPLES)) {
			it(`round-trips ${name}, with the ids of Hugging Face's Rust tokenizer`, async () => {
				const ids = tokenizer.encode(text);
				assert.equal(tokenizer.decode(ids), text);
				assert.deepEqual(ids, await rust(text));
			});
		}
	});

	describe('Phi-4-mini (o200k byte-level BPE)', () => {
		let tokenizer: HfTokenizer;
		let rust: (text: string) => Promise<number[]>;
		before(() => {
			const json = phi4MiniTokenizerJson();
			tokenizer = new HfTokenizer(json, 'phi-4-mini tokenizer.json');
			rust = rustEncoder(json);
		});

		it('has the 200k o200k tokens and the added tokens up to <|tag|> = 200028', () => {
			assert.equal(tokenizer.vocabSize, 200029);
			for (const { id, content } of PHI4_MINI_ADDED_TOKENS) {
				assert.equal(tokenizer.tokenId(content), id);
			}
		});

		it('encodes the published chat prompt to the published ids', () => {
			// onnxruntime-extensions' Phi4MiniReasoningChatTemplate test, "from HuggingFace Python
			// output for microsoft/Phi-4-mini-reasoning" (Phi-4-mini's tokenizer and added tokens).
			const text =
				'<|system|>Your name is Phi, an AI math expert developed by Microsoft. You are a medieval ' +
				'knight and must provide explanations to modern people.<|end|><|user|>How should I ' +
				'explain the Internet?<|end|><|assistant|>';
			assert.deepEqual(
				tokenizer.encode(text),
				[
					200022, 9719, 1308, 382, 102143, 11, 448, 20837, 13324, 8333, 9742, 656, 8321,
					13, 1608, 553, 261, 55145, 105457, 326, 2804, 3587, 69457, 316, 6809, 1665, 13,
					200020, 200021, 5299, 1757, 357, 16644, 290, 7380, 30, 200020, 200019,
				],
			);
		});

		for (const [name, text] of Object.entries(SAMPLES)) {
			it(`round-trips ${name}, with the ids of gpt-tokenizer's o200k encoder and the Rust tokenizer`, async () => {
				const ids = tokenizer.encode(text);
				assert.equal(tokenizer.decode(ids), text);
				assert.deepEqual(ids, o200kEncode(text));
				assert.deepEqual(ids, await rust(text));
			});
		}
	});
});

describe('HfTokenizer', () => {
	it('measures a 200k-entry vocabulary without overflowing the stack', () => {
		const vocab: Record<string, number> = {};
		for (let id = 0; id < 200_000; id++) vocab[`t${id}`] = id;
		const json = {
			added_tokens: [{ id: 200_063, content: '<|last|>', special: true, normalized: false }],
			normalizer: null,
			pre_tokenizer: { type: 'WhitespaceSplit' },
			post_processor: null,
			decoder: null,
			model: { type: 'BPE', vocab, merges: [], unk_token: null },
		};
		const tokenizer = new HfTokenizer(json, 'big tokenizer.json');
		assert.equal(tokenizer.vocabSize, 200_064);
		assert.deepEqual(tokenizer.encode('<|last|>'), [200_063]);
		assert.equal(tokenizer.decode([199_999]), 't199999');
	});

	it('decodes an empty list to an empty string', () => {
		assert.equal(new HfTokenizer(phi3TokenizerJson(), 'phi-3').decode([]), '');
	});
});
