import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
	assertDisjoint,
	overlapReason,
	sampleOverlaps,
	trainingOverlaps,
} from '../../../extension/engine/evaluation/disjoint';
import type { PerplexityFn } from '../../../extension/engine/evaluation/harness';
import {
	bootstrapInterval,
	bootstrapResamples,
	pooledPerplexity,
	quantile,
	wilsonInterval,
} from '../../../extension/engine/evaluation/intervals';
import {
	baselineComparable,
	qualityGoals,
	type PerplexityBaseline,
} from '../../../extension/engine/evaluation/qualityGoals';
import {
	intervalPerplexityTable,
	retrievalTable,
} from '../../../extension/engine/evaluation/qualityReport';
import {
	citesLocation,
	definitionTask,
	evaluateRetrieval,
	workspaceDefinitionQuestions,
	type RetrievalTask,
} from '../../../extension/engine/evaluation/retrieval';
import { workspaceQuestion } from '../../../extension/engine/evaluation/workspaceQuestions';
import {
	evaluateWindows,
	summarize,
	type PerplexitySummary,
} from '../../../extension/engine/evaluation/windowedPerplexity';
import {
	languageOf,
	selectInRegions,
	selectWindows,
	spreadIndices,
	windowCount,
	windowIds,
	windowsAvailable,
	type HeldOutDoc,
} from '../../../extension/engine/evaluation/windows';

const GEOMETRY = { base: 10000, headDim: 32, rotaryDim: 32, originalWindow: 256, maxWindow: 4096 };
const ROOT = path.resolve(__dirname, '../../..');

// Reference values from test/reference/quality_intervals.py (numpy: Wilson bounds as the
// roots of the score test's quadratic, the bootstrap with mulberry32 written again in Python
// and numpy.percentile).
const WILSON: Record<string, [number, number]> = {
	'0/10': [0.0, 0.2775327998628892],
	'8/10': [0.4901624715366418, 0.9433178485456248],
	'10/10': [0.7224672001371111, 0.9999999999999996],
	'19/20': [0.7638688065532582, 0.9911185511992044],
	'1/3': [0.061491944720396256, 0.7923403991979521],
};

function doc(name: string, tokens: number, language = 'ts'): HeldOutDoc {
	return { name, language, ids: Array.from({ length: tokens }, (_, k) => 1000 + k) };
}

describe('quality evaluation: intervals', () => {
	it('Wilson intervals match the roots of the score-test quadratic', () => {
		for (const [key, [low, high]] of Object.entries(WILSON)) {
			const [k, n] = key.split('/').map(Number);
			const got = wilsonInterval(k, n);
			assert.ok(Math.abs(got.low - low) < 1e-12, `${key} low ${got.low} vs ${low}`);
			assert.ok(Math.abs(got.high - high) < 1e-12, `${key} high ${got.high} vs ${high}`);
		}
		assert.deepEqual(wilsonInterval(0, 0), { low: 0, high: 1 });
	});

	it('quantiles interpolate between order statistics as numpy.percentile does', () => {
		assert.equal(quantile([1, 2, 3, 4], 0.025), 1.075);
		assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
		assert.ok(Math.abs(quantile([1, 2, 3, 4], 0.975) - 3.925) < 1e-12);
		assert.equal(quantile([7], 0.3), 7);
		assert.throws(() => quantile([], 0.5), /no values/);
	});

	it('bootstrap resamples draw ⌊u·n⌋ from mulberry32, as the Python reference does', () => {
		assert.deepEqual(bootstrapResamples(5, 2, 7), [
			[0, 0, 4, 3, 2],
			[2, 2, 1, 2, 3],
		]);
	});

	it('the bootstrap interval of a pooled perplexity matches the Python reference', () => {
		const items = [
			{ nll: 100, tokens: 40 },
			{ nll: 130, tokens: 50 },
			{ nll: 90, tokens: 40 },
			{ nll: 160, tokens: 50 },
			{ nll: 120, tokens: 45 },
		];
		const got = bootstrapInterval(bootstrapResamples(5, 200, 7), (k) =>
			pooledPerplexity(items, k),
		);
		assert.ok(Math.abs(got.low - 11.332003925897356) < 1e-9, `low ${got.low}`);
		assert.ok(Math.abs(got.high - 19.673270238212435) < 1e-9, `high ${got.high}`);
		assert.equal(pooledPerplexity(items), Math.exp(600 / 225));
	});
});

describe('quality evaluation: windows', () => {
	it('languages come from the name before .txt', () => {
		assert.equal(languageOf('commander-index.d.ts.txt'), 'ts');
		assert.equal(languageOf('minimatch-README.md.txt'), 'md');
		assert.equal(languageOf('esm.mjs.txt'), 'js');
		assert.equal(languageOf('x-package.json.txt'), 'json');
		assert.equal(languageOf('futures-_base.py.txt'), 'py');
		assert.equal(languageOf('whatsnew-3.0.rst.txt'), 'rst');
		assert.equal(languageOf('notes.txt'), undefined);
		assert.equal(languageOf('image.png.txt'), undefined);
	});

	it('counts, spreads and sizes windows', () => {
		assert.equal(windowsAvailable(1000, 256), 3); // ⌊1000/255⌋
		assert.equal(windowsAvailable(254, 256), 0);
		assert.throws(() => windowsAvailable(10, 1), /at least 2 tokens/);
		assert.deepEqual(spreadIndices(10, 4), [0, 2, 5, 7]);
		assert.deepEqual(spreadIndices(3, 3), [0, 1, 2]);
		assert.deepEqual(spreadIndices(5, 1), [0]);
		assert.throws(() => spreadIndices(2, 3), /cannot pick 3 of 2/);
		assert.equal(windowCount(256, 4096, 2, 100), 16);
		assert.equal(windowCount(4096, 4096, 2, 100), 2);
		assert.equal(windowCount(4096, 4096, 2, 1), 1);
		assert.equal(windowCount(512, 0, 3, 100), 3);
	});

	it('deals windows one per document per round and never overlaps them', () => {
		const docs = [doc('a', 1000), doc('b', 600), doc('c', 100)];
		// Two windows: one from each document that holds any, whatever the seeded order.
		const two = selectWindows(docs, 256, 2, 0);
		assert.deepEqual(
			two.map((w) => [w.name, w.index, w.start]),
			[
				['a', 0, 0],
				['b', 0, 0],
			],
		);
		// Every window there is: a 0, 255, 510; b 0, 255.
		const all = selectWindows(docs, 256, 5, 3);
		assert.deepEqual(
			all.map((w) => `${w.name}@${w.start}`),
			['a@0', 'a@255', 'a@510', 'b@0', 'b@255'],
		);
		assert.throws(() => selectWindows(docs, 256, 6, 0), /only 5 windows of 256 tokens/);
		// Inside two regions of 1024 tokens (1023 after <s>: 4 windows of 256 each).
		const regions = [
			{ name: 'a', language: 'ts', length: 1024, index: 0, start: 0 },
			{ name: 'b', language: 'md', length: 1024, index: 2, start: 2046 },
		];
		assert.deepEqual(
			selectInRegions(regions, 256, 8, 0).map((w) => `${w.name}@${w.start}`),
			['a@0', 'a@255', 'a@510', 'a@765', 'b@2046', 'b@2301', 'b@2556', 'b@2811'],
		);
		assert.deepEqual(
			selectInRegions(regions, 256, 2, 5).map((w) => `${w.name}@${w.start}/${w.language}`),
			['a@0/ts', 'b@2046/md'],
		);
		assert.deepEqual(
			selectInRegions(regions, 1024, 2, 0).map((w) => w.start),
			[0, 2046],
		);
		assert.deepEqual(windowIds(docs[0], all[1], 7).slice(0, 3), [7, 1255, 1256]);
		assert.equal(windowIds(docs[0], all[1], 7).length, 256);
		assert.equal(windowIds(docs[0], all[1]).length, 255);
	});
});

describe('quality evaluation: windowed perplexity', () => {
	const docs = [doc('a.ts', 2000, 'ts'), doc('b.md', 1200, 'md'), doc('c.py', 1500, 'py')];
	// NLL of a window = (its first document id − 1000) / 100 per token + 1: differs by window.
	const calls: string[] = [];
	const perplexity: PerplexityFn = async (ids, spec) => {
		calls.push(`${ids.length}:${spec.attentionFactor}`);
		const tokens = ids.length - 1;
		return { tokens, negativeLogLikelihood: tokens * (1 + (ids[1] - 1000) / 10000) };
	};

	it('scores the same windows for every method and reuses identical scalings', async () => {
		calls.length = 0;
		const rows = await evaluateWindows({
			geometry: GEOMETRY,
			modelSets: [],
			lengths: [256, 512],
			methods: ['none', 'pi', 'yarn'],
			docs,
			bos: 0,
			tokenBudget: 1024,
			minWindows: 2,
			seed: 0,
			perplexity,
			byteLength: (ids) => ids.length * 3,
		});
		// 1×: pi and yarn are plain RoPE, scored once; 2×: three scalings.
		assert.deepEqual(
			rows.map((r) => [r.method, r.length, r.sameAs]),
			[
				['none', 256, undefined],
				['pi', 256, 'none'],
				['yarn', 256, 'none'],
				['none', 512, undefined],
				['pi', 512, undefined],
				['yarn', 512, undefined],
			],
		);
		// Workspace 4 windows (⌊1024/256⌋) + original 4 at 256; 2 + 2 at 512.
		assert.equal(rows[0].windows.length, 8);
		assert.equal(rows[3].windows.length, 4);
		assert.equal(calls.length, 8 + 3 * 4);
		assert.deepEqual(
			rows[3].windows.map((w) => w.window.start),
			rows[5].windows.map((w) => w.window.start),
		);
		assert.equal(rows[0].windows[0].bytes, 255 * 3);

		const summary = summarize(
			rows,
			[{ name: 'md', includes: (w) => w.window.language === 'md' }],
			50,
			1,
		);
		const md = rows[0].windows.filter((w) => w.window.language === 'md');
		const first = summary.find(
			(s) => s.method === 'none' && s.length === 256,
		) as PerplexitySummary;
		assert.equal(first.samples, md.length);
		assert.equal(first.perplexity, pooledPerplexity(md));
		assert.deepEqual(
			first.interval,
			bootstrapInterval(
				bootstrapResamples(md.length, 50, (Math.imul(1, 7919) + 104729 + 256) >>> 0),
				(k) => pooledPerplexity(md, k),
			),
		);
		assert.match(
			intervalPerplexityTable(summary.filter((s) => s.length === 256)),
			/\| windows \| 2 \|/,
		);
	});

	it('a sweep reads every length inside the regions of the longest', async () => {
		const rows = await evaluateWindows({
			geometry: GEOMETRY,
			modelSets: [],
			lengths: [256, 1024],
			methods: ['none'],
			docs,
			bos: 0,
			tokenBudget: 1024,
			minWindows: 1,
			seed: 0,
			regionLength: 1024,
			perplexity,
		});
		const regions = rows[1].windows.map((w): [string, number] => [
			w.window.name,
			w.window.start,
		]);
		// One region per group (⌊1024/1024⌋), 4 windows of 256 in each (⌊1024/256⌋ per group).
		assert.equal(regions.length, 2);
		assert.equal(rows[0].windows.length, 8);
		for (const w of rows[0].windows) {
			const region = regions.find(([name]) => name === w.window.name) as [string, number];
			assert.ok(w.window.start >= region[1] && w.window.start + 255 <= region[1] + 1023);
		}
		assert.equal(rows[0].windows[0].bytes, 0);
	});
});

describe('quality evaluation: retrieval', () => {
	it('scores an answer by its first path:line citation', () => {
		const at = { path: 'src/util/parse.ts', line: 12 };
		assert.equal(citesLocation('It is defined at src/util/parse.ts:12.', at), true);
		assert.equal(citesLocation('`src/util/parse.ts:12-18` defines it', at), true);
		assert.equal(citesLocation('src/util/parse.ts#L12', at), true);
		assert.equal(citesLocation('parse.ts:12', at), false);
		assert.equal(citesLocation('util/parse.ts:12', at), false);
		assert.equal(citesLocation('./src/util/parse.ts:12', at), true);
		assert.equal(citesLocation('src/util/parse.ts:13', at), false);
		assert.equal(citesLocation('src/util/other.ts:12', at), false);
		assert.equal(citesLocation('arse.ts:12', at), false);
		assert.equal(citesLocation('see src/b.ts:3, then src/util/parse.ts:12', at), false);
		assert.equal(citesLocation('line 12 of src/util/parse.ts', at), false);
		assert.equal(citesLocation('', at), false);
	});

	it('runs each distinct scaling once per trial and gives Wilson intervals', async () => {
		let generated = 0;
		const task: RetrievalTask = definitionTask(
			(length, count, seed) =>
				Array.from({ length: count }, (_, k) => ({
					ids: [seed, length, k],
					answer: { path: 'a.ts', line: k + 1 },
					depth: k / count,
				})),
			1_000_000,
			10,
			16,
		);
		const rows = await evaluateRetrieval({
			geometry: GEOMETRY,
			modelSets: [],
			lengths: [256, 512],
			methods: ['none', 'pi'],
			task,
			generate: async (prompt, scaling) => {
				generated++;
				// Right for the first 8 trials of plain RoPE, else a wrong line.
				const k = prompt[2];
				return scaling.factors[0] === 1 && k < 8 ? ` a.ts:${k + 1}` : ' a.ts:99';
			},
		});
		assert.equal(generated, 10 + 2 * 10);
		assert.deepEqual(
			rows.map((r) => [r.method, r.length, r.correct, r.trials]),
			[
				['none', 256, 8, 10],
				['pi', 256, 8, 10],
				['none', 512, 8, 10],
				['pi', 512, 0, 10],
			],
		);
		assert.deepEqual(rows[0].interval, wilsonInterval(8, 10));
		assert.equal(rows[0].details[0].expected, 'a.ts:1');
		assert.equal(
			retrievalTable(rows).split('\n')[2],
			'| none | 80% (8/10) [49–94] | 80% (8/10) [49–94] |',
		);
	});
});

describe('quality evaluation: definition questions', () => {
	// A stand-in chat template: one token per 4 characters of the messages' text.
	const render = (messages: readonly { content: string }[]) =>
		Array.from(
			{ length: Math.ceil(messages.map((m) => m.content).join('').length / 4) },
			() => 1,
		);

	it('renders evaluation-seeded questions that fit the length with the answer budget', () => {
		const questions = workspaceDefinitionQuestions(render, 24)(600, 3, 1_000_000);
		assert.equal(questions.length, 3);
		questions.forEach((q, k) => {
			const direct = workspaceQuestion(1_000_000 + k, {
				promptTokens: (m) => render(m).length,
				targetTokens: 576,
				kind: 'defined',
			});
			assert.deepEqual(q.answer, { path: direct.path, line: direct.line });
			assert.equal(q.ids.length, render(direct.messages).length);
			assert.ok(q.ids.length + 24 <= 600, `${q.ids.length} tokens`);
		});
	});

	it('refuses training seeds and lengths too short for one file', () => {
		assert.throws(
			() => workspaceDefinitionQuestions(render)(600, 1, 999_999),
			/evaluation seeds \(≥ 1000000\), not 999999/,
		);
		assert.throws(
			() => workspaceDefinitionQuestions(render)(40, 1, 1_000_000),
			/more than 40 less the 24-token answer/,
		);
	});
});

describe('quality evaluation: search and evaluation samples', () => {
	const file = (name: string, text: string) => ({
		name,
		text,
		sha256: createHash('sha256').update(text).digest('hex'),
	});

	it('a file is in both sets by bytes, name or a shared start', () => {
		const body = 'x'.repeat(1200);
		assert.equal(overlapReason(file('a.txt', body), file('b.txt', body)), 'the same bytes');
		assert.equal(overlapReason(file('a.txt', 'one'), file('a.txt', 'two')), 'the same name');
		assert.equal(
			overlapReason(file('cut.txt', body.slice(0, 1000)), file('whole.txt', `${body}y`)),
			'the same first 1000 characters',
		);
		assert.equal(overlapReason(file('a.txt', 'one'), file('b.txt', 'two')), undefined);
		assert.equal(
			overlapReason({ name: 'h.txt', sha256: 'f00', text: '' }, file('b.txt', 'two')),
			undefined,
		);
		assert.deepEqual(
			sampleOverlaps([file('a.txt', 'one')], [file('a.txt', 'two'), file('c.txt', 'z')]),
			['a.txt ↔ a.txt: the same name'],
		);
		assert.throws(
			() => assertDisjoint([file('s.txt', body)], [file('e.txt', body)]),
			/share files: s\.txt ↔ e\.txt: the same bytes/,
		);
	});

	it('training may hold no evaluation file, source or held-out package', () => {
		const evaluation = [
			{ file: 'eval/m-README.md.txt', sha256: 'aa', package: 'minimatch' },
			{ file: 'eval/typing.py.txt', sha256: 'bb', source: '/usr/lib/python3.11/typing.py' },
			{ file: 'eval/x.go.txt', sha256: 'cc', source: '/usr/share/go/x.go' },
		];
		assert.deepEqual(
			trainingOverlaps(evaluation, [
				{ path: 'minimatch@11.0.9/LICENSE.md', sha256: 'dd', split: 'train' },
				{ path: '/usr/lib/python3.11/typing.py', sha256: 'ee', split: 'train' },
				{ path: '/usr/share/go/x.go', sha256: 'ff', split: 'val' },
				{ path: 'minimatchx@1.0.0/a.js', sha256: '00', split: 'train' },
			]),
			[
				'eval/m-README.md.txt: training has minimatch@11.0.9/LICENSE.md',
				'eval/typing.py.txt: training has /usr/lib/python3.11/typing.py',
			],
		);
		assert.deepEqual(
			trainingOverlaps(evaluation, [{ path: 'copy.go', sha256: 'cc', split: 'train' }]),
			['eval/x.go.txt: training has copy.go'],
		);
	});

	it('the committed search and evaluation files are disjoint and match the manifest', () => {
		const dir = path.join(ROOT, 'bench/data/quality');
		const read = (sub: string) =>
			readdirSync(path.join(dir, sub))
				.filter((f) => f.endsWith('.txt'))
				.map((f) => file(f, readFileSync(path.join(dir, sub, f), 'utf8')));
		const search = read('search');
		const evaluation = read('eval');
		assert.doesNotThrow(() => assertDisjoint(search, evaluation));
		const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
			files: { file: string; sha256: string }[];
		};
		const recorded = new Map(manifest.files.map((f) => [f.file, f.sha256]));
		for (const [sub, files] of [
			['search', search],
			['eval', evaluation],
		] as const) {
			for (const f of files) assert.equal(recorded.get(`${sub}/${f.name}`), f.sha256, f.name);
		}
		assert.equal(recorded.size, search.length + evaluation.length);
		const bytes = evaluation.reduce((a, f) => a + Buffer.byteLength(f.text), 0);
		assert.ok(bytes < 1_000_000, `${bytes} bytes of evaluation text`);
	});
});

describe('quality evaluation: goals', () => {
	const baseline: PerplexityBaseline = {
		model: 'models/old',
		commit: 'abcdef0123',
		window: 256,
		perplexity: 100,
		tokens: 1000,
		bytes: 3000,
		tokenizerSha256: 'old',
	};

	it('compares against the baseline per baseline token when the tokenizer changed', () => {
		const now = { perplexity: Math.exp(2), tokens: 800, bytes: 3200 };
		assert.equal(baselineComparable(now, baseline, true), Math.exp(2));
		// NLL 1600 over 3200 bytes = 0.5 per byte; 3 bytes per baseline token → e^1.5.
		assert.ok(Math.abs(baselineComparable(now, baseline, false) - Math.exp(1.5)) < 1e-12);
	});

	it('prints each goal met / not met, or not measured', () => {
		const summary = (subset: string, method: 'longrope' | 'pi', length: number, ppl: number) =>
			({
				subset,
				method,
				length,
				scale: length / 256,
				set: method,
				perplexity: ppl,
				interval: { low: ppl - 1, high: ppl + 1 },
				samples: 4,
				tokens: 1000,
				bytes: 3000,
				seconds: 0,
			}) satisfies PerplexitySummary;
		const goals = qualityGoals({
			window: 256,
			atWindow: [summary('ts+md', 'longrope', 256, 30)],
			summaries: [
				summary('all', 'longrope', 256, 20),
				summary('all', 'longrope', 2048, 25),
				summary('all', 'pi', 2048, 40),
			],
			windowRows: [],
			retrieval: [],
			baseline,
			tokenizerSha256: 'old',
			resamples: 10,
			seed: 0,
		});
		assert.deepEqual(
			goals.map((g) => [g.measured, g.met]),
			[
				[
					'30.00 [29.00–31.00] vs 100.00 (models/old at 256, commit abcdef0): ratio 0.300',
					true,
				],
				['not measured (no passkey rows at 256)', undefined],
				['not measured (no passkey rows at 2048)', undefined],
				['4×: not measured; 8×: not measured; 16×: not measured', undefined],
				['not measured (no definition questions)', undefined],
				['25.00 vs pi 40.00: ratio 0.625', true],
				['25.00 vs 20.00: ratio 1.250', true],
			],
		);
	});
});
