import * as assert from 'node:assert/strict';
import type { StaticFactorSet } from '../../../extension/engine/factorSet';
import type { TextTokenizer } from '../../../extension/engine/generation/tokenizer';
import {
	evaluatePerplexity,
	type PerplexityFn,
} from '../../../extension/engine/evaluation/harness';
import { evaluatePasskey } from '../../../extension/engine/evaluation/retrieval';
import {
	DYNAMIC_NTK_FACTOR,
	methodScaling,
	parseMethods,
} from '../../../extension/engine/evaluation/methods';
import {
	fitPasskeyPrompt,
	parsePasskeyAnswer,
	passkeyPrompt,
	passkeyTrials,
} from '../../../extension/engine/evaluation/passkey';
import {
	passkeyTable,
	perplexitySvg,
	perplexityTable,
} from '../../../extension/engine/evaluation/qualityReport';

const GEOMETRY = { base: 10000, headDim: 32, rotaryDim: 32, originalWindow: 256, maxWindow: 4096 };

/** Words and punctuation are tokens; `<s>` is id 0. */
export function wordTokenizer(): TextTokenizer {
	const ids = new Map<string, number>([['<s>', 0]]);
	const words = ['<s>'];
	return {
		vocabSize: 100000,
		encode(text) {
			return (text.match(/\s*[^\s.?]+|[.?]/g) ?? []).map((w) => {
				let id = ids.get(w);
				if (id === undefined) {
					id = words.length;
					ids.set(w, id);
					words.push(w);
				}
				return id;
			});
		},
		decode: (list) => list.map((id) => words[id]).join(''),
		tokenId: (token) => ids.get(token),
	};
}

function longropeSet(name: string, maxLength: number, factor: number): StaticFactorSet {
	return {
		name,
		method: 'longrope',
		maxLength,
		scale: maxLength / 256,
		source: 'longrope.json',
		factors: new Array(16).fill(factor),
		nHat: 4,
		attentionFactor: 1.1,
	};
}

const MODEL_SETS = [
	{ ...longropeSet('default', 256, 1), method: 'none' as const, nHat: 0, attentionFactor: 1 },
	longropeSet('short', 256, 1.02),
	longropeSet('long-1k', 1024, 3),
	longropeSet('long-2k', 2048, 6),
];

describe('evaluation harness', () => {
	it('the passkey answer is the first integer generated', () => {
		assert.equal(parsePasskeyAnswer(' 41235. Remember it.'), 41235);
		assert.equal(parsePasskeyAnswer('\n\nit is 7 or 8'), 7);
		assert.equal(parsePasskeyAnswer(' 0012'), 12);
		assert.equal(parsePasskeyAnswer(' forty-two'), undefined);
		assert.equal(parsePasskeyAnswer(''), undefined);
		assert.equal(parsePasskeyAnswer('99999999999999999999'), undefined);
	});

	it('passkey prompts: the Landmark text, filled to the length, the key at the depth', () => {
		const text = passkeyPrompt(1, 2, 123);
		assert.match(text, /^There is an important info hidden inside a lot of irrelevant text\./);
		assert.match(
			text,
			/yellow\. Here we go\. There and back again\. The pass key is 123\. Remember it\. 123 is the pass key\. The grass/,
		);
		assert.ok(text.endsWith('What is the pass key? The pass key is'));
		assert.equal(text.split('The grass is green.').length - 1, 3);

		const tokenizer = wordTokenizer();
		for (const length of [120, 256, 1000]) {
			for (const depth of [0, 0.5, 1]) {
				const p = fitPasskeyPrompt(tokenizer, length, { key: 777, depth });
				assert.ok(p.ids.length + 8 <= length, `fits ${length}`);
				const more = passkeyPrompt(p.before, p.fillers + 1 - p.before, 777);
				assert.ok(
					1 + tokenizer.encode(more).length + 8 > length,
					'one more filler would not fit',
				);
				assert.equal(p.ids[0], 0, 'starts with <s>');
				assert.equal(p.before, Math.round(depth * p.fillers));
			}
		}
		assert.throws(
			() => fitPasskeyPrompt(tokenizer, 20, { key: 1, depth: 0 }),
			/even without filler/,
		);
	});

	it('passkey trials are seeded: the same per (seed, length), keys in 1…50000', () => {
		assert.deepEqual(passkeyTrials(3, 1024, 10), passkeyTrials(3, 1024, 10));
		assert.notDeepEqual(passkeyTrials(3, 1024, 10), passkeyTrials(4, 1024, 10));
		assert.notDeepEqual(passkeyTrials(3, 1024, 10), passkeyTrials(3, 2048, 10));
		for (const t of passkeyTrials(1, 512, 200)) {
			assert.ok(Number.isInteger(t.key) && t.key >= 1 && t.key <= 50000);
			assert.ok(t.depth >= 0 && t.depth < 1);
		}
	});

	it('methods: hand-made rules at s = length/L, longrope = the model’s auto choice', () => {
		assert.deepEqual(parseMethods('none,pi, yarn'), ['none', 'pi', 'yarn']);
		assert.throws(
			() => parseMethods('none,rope2'),
			/one of none, pi, ntk, dynamic-ntk, yarn, longrope/,
		);
		const pi = methodScaling('pi', GEOMETRY, 2048, MODEL_SETS);
		assert.equal(pi.scale, 8);
		assert.deepEqual([...pi.scaling.factors], new Array(16).fill(8));
		assert.equal(methodScaling('ntk', GEOMETRY, 256, MODEL_SETS).scaling.factors[15], 1);
		const dyn = methodScaling('dynamic-ntk', GEOMETRY, 1024, MODEL_SETS);
		assert.ok(Math.abs(dyn.scaling.factors[15] - (DYNAMIC_NTK_FACTOR * 4 - 1)) < 1e-9);
		assert.ok(methodScaling('yarn', GEOMETRY, 1024, MODEL_SETS).scaling.attentionFactor > 1);
		assert.equal(methodScaling('longrope', GEOMETRY, 256, MODEL_SETS).set, 'short');
		assert.equal(methodScaling('longrope', GEOMETRY, 512, MODEL_SETS).set, 'long-1k');
		assert.equal(methodScaling('longrope', GEOMETRY, 2048, MODEL_SETS).set, 'long-2k');
		assert.equal(methodScaling('longrope', GEOMETRY, 2048, MODEL_SETS).scaling.nHat, 4);
	});

	it('perplexity: the same samples cut to each length, total NLL over total tokens', async () => {
		const seen: string[] = [];
		const perplexity: PerplexityFn = async (ids, spec) => {
			seen.push(`${ids.length}:${spec.factors[15]}`);
			return {
				tokens: ids.length - 1,
				negativeLogLikelihood: (ids.length - 1) * spec.factors[15] * 0.1,
			};
		};
		const rows = await evaluatePerplexity({
			geometry: GEOMETRY,
			modelSets: MODEL_SETS,
			lengths: [256, 1024],
			methods: ['none', 'pi', 'longrope'],
			samples: [
				{ name: 'a', ids: new Array(2000).fill(1) },
				{ name: 'b', ids: new Array(600).fill(1) },
			],
			perplexity,
		});
		assert.deepEqual(
			rows.map((r) => [r.method, r.length, r.set, r.samples, r.tokens]),
			[
				['none', 256, 'none', 2, 510],
				['pi', 256, 'pi', 2, 510],
				['longrope', 256, 'short', 2, 510],
				['none', 1024, 'none', 1, 1023],
				['pi', 1024, 'pi ×4', 1, 1023],
				['longrope', 1024, 'long-1k', 1, 1023],
			],
		);
		assert.ok(Math.abs(rows[4].perplexity - Math.exp(0.4)) < 1e-12);
		assert.ok(seen.includes('1024:3'));
		await assert.rejects(
			evaluatePerplexity({
				geometry: GEOMETRY,
				modelSets: MODEL_SETS,
				lengths: [4096],
				methods: ['none'],
				samples: [{ name: 'a', ids: [0, 1, 2] }],
				perplexity,
			}),
			/no text sample has 4096 tokens \(the longest has 3\)/,
		);

		const table = perplexityTable(rows);
		assert.match(table, /\| perplexity \| 256 \(1×\) \| 1024 \(4×\) \|/);
		assert.match(table, /\| pi \| \*\*1\.11\*\* \| 1\.49 \|/);
		assert.match(table, /256 → `short`, 1024 → `long-1k`/);
		const svg = perplexitySvg(rows, { title: 'test <plot>' });
		assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
		assert.match(svg, /test &lt;plot&gt;/);
		assert.equal(svg.match(/<path /g)?.length, 3, 'one line per method');
		assert.ok(!/NaN|undefined/.test(svg));
	});

	it('passkey: same trials for every method; accuracy from the first integer', async () => {
		const tokenizer = wordTokenizer();
		const rows = await evaluatePasskey({
			geometry: GEOMETRY,
			modelSets: MODEL_SETS,
			lengths: [256, 512],
			methods: ['none', 'longrope'],
			tokenizer,
			trials: 4,
			seed: 1,
			generate: async (prompt, scaling, set) => {
				const text = tokenizer.decode(prompt);
				const key = /The pass key is (\d+)\./.exec(text)?.[1] ?? '0';
				// 'none' answers right only inside the window; longrope always.
				return set === 'none' && prompt.length > 256 ? ' 1.' : ` ${key}. ${scaling.nHat}`;
			},
		});
		assert.deepEqual(
			rows.map((r) => [r.method, r.length, r.set, r.correct, r.trials]),
			[
				['none', 256, 'none', 4, 4],
				['longrope', 256, 'short', 4, 4],
				['none', 512, 'none', 0, 4],
				['longrope', 512, 'long-1k', 4, 4],
			],
		);
		assert.deepEqual(
			rows[0].details.map((d) => d.key),
			rows[1].details.map((d) => d.key),
		);
		assert.match(passkeyTable(rows), /\| none \| 100% \(4\/4\) \| 0% \(0\/4\) \|/);
	});
});
