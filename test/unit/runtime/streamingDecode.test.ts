import * as assert from 'node:assert/strict';
import { TextStream } from '../../../extension/engine/generation/textStream';
import { HfTokenizer } from '../../../extension/runtime/hfTokenizer';
import { phi3TokenizerJson, phi4MiniTokenizerJson } from '../../tokenizers/publishedTokenizers';

const ANSWERS: Record<string, string> = {
	prose: 'Hello world. The answer is 42, and it is  spaced   oddly.',
	leadingSpace: ' starts with a space',
	code: 'def f(x):\n    return x + 1\n\n\tprint(f(2))\n',
	// 析 and the emoji have no piece in Phi-3's vocabulary: byte fallback, 3 and 4 byte tokens.
	multiByte: 'データ分析 🚀 done ✅ — naïve café 👩‍💻!',
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function streamed(tokenizer: HfTokenizer, ids: readonly number[]): string[] {
	const stream = new TextStream((window) => tokenizer.decode(window));
	const deltas = ids.map((id) => stream.push(id));
	deltas.push(stream.flush());
	return deltas;
}

describe('streaming decode with the published tokenizers', function () {
	this.timeout(60_000);
	const tokenizers: Record<string, () => HfTokenizer> = {
		'Phi-3': () => new HfTokenizer(phi3TokenizerJson(), 'phi-3'),
		'Phi-4-mini': () => new HfTokenizer(phi4MiniTokenizerJson(), 'phi-4-mini'),
	};

	for (const [model, load] of Object.entries(tokenizers)) {
		describe(model, () => {
			let tokenizer: HfTokenizer;
			before(() => {
				tokenizer = load();
			});

			for (const [name, text] of Object.entries(ANSWERS)) {
				it(`streams ${name} token by token as exactly decode(all ids), never splitting a character`, () => {
					const ids = tokenizer.encode(text);
					const deltas = streamed(tokenizer, ids);
					assert.equal(deltas.join(''), tokenizer.decode(ids));
					assert.equal(deltas.join(''), text);
					for (const delta of deltas) {
						assert.ok(!delta.includes('\uFFFD'), `a delta split a character: ${delta}`);
						assert.ok(
							!LONE_SURROGATE.test(delta),
							`a delta split a surrogate pair: ${delta}`,
						);
					}
				});
			}
		});
	}

	it("keeps Phi-3's spaces that decoding each token alone would drop", () => {
		const tokenizer = tokenizers['Phi-3']();
		const ids = tokenizer.encode('Hello world again');
		assert.equal(ids.map((id) => tokenizer.decode([id])).join(''), 'Helloworldagain');
		assert.deepEqual(streamed(tokenizer, ids), ['Hello', ' world', ' again', '']);
	});

	it('holds the byte-fallback pieces of a character until it is complete', () => {
		const tokenizer = tokenizers['Phi-3']();
		const ids = tokenizer.encode('析');
		assert.deepEqual(ids, [29871, 233, 161, 147]);
		assert.deepEqual(streamed(tokenizer, ids), ['', '', '', '析', '']);
	});
});
