import * as assert from 'node:assert/strict';
import type { RopeConfig } from '../../../extension/engine/factorSet';
import { buildChatPrompt } from '../../../extension/engine/generation/chatTemplate';
import { ropeConfigFromHf } from '../../../extension/engine/hfRopeConfig';
import { numberLines } from '../../../extension/engine/prompts/filePrompts';
import { manifestProblems, type ManifestFile } from '../../../extension/engine/workspace/manifest';
import { packContext, type PackedContext } from '../../../extension/engine/workspace/packer';
import { textFromReader } from '../../../extension/engine/workspace/questionContext';
import {
	namedInQuestion,
	priorityRank,
	questionTerms,
	type EditorFocus,
} from '../../../extension/engine/workspace/relevance';
import { scanWorkspace } from '../../../extension/engine/workspace/scan';
import { TokenCounter } from '../../../extension/engine/workspace/tokenCount';
import { phi3Config } from '../helpers/fixtures';
import {
	FakeTokenizer,
	fakeHash,
	fakePlanningModel,
	ropeWithWindows,
} from '../helpers/fakeTokenizer';
import { fakeSource, MemoryReader, seeded } from '../helpers/memoryReader';

interface PackCase {
	files: Record<string, string>;
	question: string;
	rope: RopeConfig;
	answerTokens?: number;
	focus?: EditorFocus;
	maxTokens?: number;
	reader?: MemoryReader;
	lineNumbers?: boolean;
}

async function pack(c: PackCase): Promise<PackedContext & { counter: TokenCounter }> {
	const tokenizer = new FakeTokenizer();
	const counter = new TokenCounter(tokenizer, fakeHash, undefined, c.lineNumbers);
	const reader = c.reader ?? new MemoryReader(c.files);
	const terms = questionTerms(c.question);
	const scan = await scanWorkspace(reader, { counter, terms });
	const packed = await packContext({
		scan,
		counter,
		model: fakePlanningModel(tokenizer, c.rope, c.maxTokens),
		question: c.question,
		terms,
		answerTokens: c.answerTokens ?? 64,
		focus: c.focus,
		readText: textFromReader(reader),
	});
	return { ...packed, counter };
}

function checkInvariants(packed: PackedContext, files: Record<string, string>, c: PackCase) {
	const { manifest } = packed;
	const { messages, promptIds } = packed.plan;
	const b = manifest.budget;
	const tokenizer = new FakeTokenizer();
	assert.deepEqual(manifestProblems(manifest), []);
	assert.equal(promptIds.length, buildChatPrompt(tokenizer, messages).ids.length);
	assert.equal(b.prompt, promptIds.length);
	assert.ok(
		b.prompt + b.answer <= b.window,
		`prompt ${b.prompt} + answer ${b.answer} > ${b.window}`,
	);
	const paths = manifest.files
		.filter((f) => f.priority !== 'selection')
		.map((f) => f.path)
		.sort();
	assert.deepEqual(paths, Object.keys(files).sort(), 'every file once');
	const content = messages[messages.length - 1].content;
	for (const f of manifest.files) {
		const text = f.priority === 'selection' ? (c.focus?.selection?.text ?? '') : files[f.path];
		if (f.status === 'included') {
			assert.ok(content.includes(`### ${f.path} (`), `${f.path} has a header`);
			const from = f.priority === 'selection' ? (c.focus?.selection?.fromLine ?? 1) : 1;
			const shown = c.lineNumbers === false ? text : numberLines(text, from);
			assert.ok(content.includes(shown), `${f.path} is shown whole`);
		} else if (f.status === 'truncated') {
			const shown = packed.files.find((p) => p.path === f.path);
			assert.ok(shown?.cut, `${f.path} has a cut marker`);
			assert.ok(text.startsWith(shown.text), 'a cut keeps the head');
			assert.equal(shown.text !== '' && !shown.text.endsWith('\n'), !!shown.cut.partial);
			assert.match(
				content,
				new RegExp(`\\[… (the rest of line|lines) ${shown.cut.from}[ –]`),
			);
		} else {
			assert.equal(f.tokens, 0);
		}
	}
	assert.equal(c.answerTokens ?? 64, b.answer);
}

describe('packer', () => {
	it('never plans more than the window, and the manifest adds up (200 random workspaces)', async function () {
		this.timeout(60000);
		const random = seeded(6);
		for (let trial = 0; trial < 200; trial++) {
			const files: Record<string, string> = {};
			const count = Math.floor(random() * 30);
			for (let k = 0; k < count; k++) {
				const dir = ['', 'src/', 'src/deep/', 'test/'][Math.floor(random() * 4)];
				files[`${dir}f${k}.ts`] = fakeSource(
					random,
					Math.floor(random() * (random() < 0.2 ? 400 : 40)),
				);
			}
			const windows = [300, 1200, 5000].filter(() => random() < 0.7);
			const c: PackCase = {
				files,
				question: random() < 0.5 ? 'How does the cache window work?' : 'What is f3.ts for?',
				rope: ropeWithWindows(...(windows.length ? windows : [600])),
				answerTokens: 16 + Math.floor(random() * 100),
				...(random() < 0.3 && count > 2
					? {
							focus: {
								activeEditor: Object.keys(files)[1],
								openEditors: [Object.keys(files)[2]],
								selection: {
									path: Object.keys(files)[1],
									fromLine: 1,
									toLine: 2,
									text: 'alpha beta;\ngamma;\n',
								},
							},
						}
					: {}),
			};
			const packed = await pack(c);
			checkInvariants(packed, { ...files }, c);
		}
	});

	it('takes the window from the set the plan selects: the smallest that holds everything, else the largest', async () => {
		const files = { 'a.ts': 'alpha;\n'.repeat(12), 'b.ts': 'beta;\n'.repeat(12) };
		const small = await pack({ files, question: 'q?', rope: ropeWithWindows(300, 1200, 5000) });
		assert.equal(small.manifest.budget.windowSet, 'w300');
		assert.equal(small.manifest.budget.window, 300);
		assert.ok(small.manifest.files.every((f) => f.status === 'included'));

		const big = { ...files, 'c.ts': 'gamma delta;\n'.repeat(3000) };
		const packed = await pack({
			files: big,
			question: 'q?',
			rope: ropeWithWindows(300, 1200, 5000),
		});
		assert.equal(packed.manifest.budget.windowSet, 'w5000');
		assert.equal(packed.manifest.budget.set, 'w5000');
		const c = packed.manifest.files.find((f) => f.path === 'c.ts');
		assert.equal(c?.status, 'truncated');
	});

	it('packs up to a 128k window (Phi-3-mini-128k config) and caps it by memory', async function () {
		this.timeout(60000);
		const random = seeded(128);
		const files: Record<string, string> = {};
		for (let k = 0; k < 220; k++) files[`pkg${k % 7}/file${k}.go`] = fakeSource(random, 120);
		const rope = ropeConfigFromHf(phi3Config());
		const packed = await pack({
			files,
			question: 'Where is the window cache?',
			rope,
			answerTokens: 512,
		});
		const b = packed.manifest.budget;
		assert.equal(b.windowSet, 'long');
		assert.equal(b.window, 131072);
		assert.ok(b.free >= 0 && b.free < 2000, `free ${b.free}`);
		checkInvariants(packed, files, { files, question: '', rope, answerTokens: 512 });

		const capped = await pack({
			files,
			question: 'q',
			rope,
			answerTokens: 512,
			maxTokens: 20000,
		});
		assert.equal(capped.manifest.budget.window, 20000);
		assert.match(capped.manifest.budget.limit ?? '', /allows 20000 tokens/);
		assert.ok(capped.manifest.budget.prompt + 512 <= 20000);
	});

	it('fills by priority and trims the lowest first: whole files, then one tail cut', async () => {
		const body = (n: number) => 'token line here;\n'.repeat(n); // 5 tokens a line
		const files = {
			'a/active.ts': body(20),
			'a/open.ts': body(20),
			'b/named.ts': body(20),
			'c/relevant.ts': `cache ${body(20)}`,
			'd/rest1.ts': body(20),
			'd/rest2.ts': body(20),
			'd/rest3.ts': body(20),
		};
		const focus: EditorFocus = { activeEditor: 'a/active.ts', openEditors: ['a/open.ts'] };
		const full = await pack({
			files,
			question: 'Where does named.ts use the cache?',
			rope: ropeWithWindows(100000),
			focus,
		});
		const priority = Object.fromEntries(full.manifest.files.map((f) => [f.path, f.priority]));
		assert.deepEqual(priority, {
			'd/rest1.ts': 'rest',
			'd/rest2.ts': 'rest',
			'd/rest3.ts': 'rest',
			'c/relevant.ts': 'relevant',
			'a/open.ts': 'open-editor',
			'a/active.ts': 'active-editor',
			'b/named.ts': 'named-in-question',
		});
		// Each file takes about 110 tokens; leave room for about four and a half.
		for (const window of [260, 420, 560, 700, 900]) {
			const packed = await pack({
				files,
				question: 'Where does named.ts use the cache?',
				rope: ropeWithWindows(window),
				focus,
			});
			checkInvariants(packed, files, { files, question: '', rope: ropeWithWindows(window) });
			const order = [...packed.manifest.files].sort(
				(x, y) =>
					priorityRank(x.priority ?? 'rest') - priorityRank(y.priority ?? 'rest') ||
					(x.path < y.path ? -1 : 1),
			);
			const statuses = order.map((f) => f.status);
			const firstNotIncluded = statuses.findIndex((s) => s !== 'included');
			if (firstNotIncluded >= 0) {
				assert.ok(
					statuses.slice(firstNotIncluded + 1).every((s) => s === 'omitted'),
					`window ${window}: ${statuses.join(',')}`,
				);
			}
		}
	});

	it('finds the files a question names by path, tail, folder or stem', () => {
		const paths = [
			'src/cli/ask.ts',
			'src/cli/run.ts',
			'src/engine/factorManager.ts',
			'README.md',
			'ask.md',
		];
		const named = (q: string) => [...namedInQuestion(q, paths)].sort();
		assert.deepEqual(named('What does src/cli/ask.ts do?'), ['src/cli/ask.ts']);
		assert.deepEqual(named('Is cli/run.ts tested?'), ['src/cli/run.ts']);
		assert.deepEqual(named('Explain the files in src/cli.'), [
			'src/cli/ask.ts',
			'src/cli/run.ts',
		]);
		assert.deepEqual(named('How does FactorManager plan?'), ['src/engine/factorManager.ts']);
		assert.deepEqual(named('What does this project do?'), []);
		assert.deepEqual(questionTerms('How is the KV cache stored in kvCache.ts?'), [
			'kv',
			'cache',
			'stored',
			'kvcache',
			'cachestored',
		]);
	});

	it('keeps the packed prefix stable between questions', async () => {
		const random = seeded(3);
		const files: Record<string, string> = {};
		for (let k = 0; k < 12; k++) files[`src/m${k}.ts`] = fakeSource(random, 15);
		const rope = ropeWithWindows(100000);
		const one = await pack({ files, question: 'What does the cache do?', rope });
		const two = await pack({ files, question: 'Explain the tensor layer.', rope });
		const again = await pack({ files, question: 'What does the cache do?', rope });
		assert.deepEqual(one.plan.promptIds, again.plan.promptIds, 'same question, same prompt');
		let shared = 0;
		while (one.plan.promptIds[shared] === two.plan.promptIds[shared]) shared++;
		const filesEnd = one.manifest.budget.context;
		assert.ok(shared >= filesEnd, `shared prefix ${shared} < ${filesEnd} file tokens`);
		assert.deepEqual(
			one.files.map((f) => f.path),
			Object.keys(files).sort(),
			'workspace files in path order',
		);
	});

	it('puts the selection last, next to the question, with its lines in the header', async () => {
		const files = { 'a.ts': 'one;\ntwo;\nthree;\nfour;\n', 'b.ts': 'other;\n' };
		const packed = await pack({
			files,
			question: 'What do these lines do?',
			rope: ropeWithWindows(4000),
			focus: {
				activeEditor: 'a.ts',
				selection: { path: 'a.ts', fromLine: 2, toLine: 3, text: 'two;\nthree;\n' },
			},
		});
		assert.deepEqual(
			packed.files.map((f) => [f.path, !!f.selection]),
			[
				['b.ts', false],
				['a.ts', false],
				['a.ts', true],
			],
		);
		const content = packed.plan.messages[1].content;
		assert.match(
			content,
			/### a\.ts \(typescript, selection, lines 2–3 of 4\)\n2\ttwo;\n3\tthree;\n\nQuestion: /,
		);
		const selection = packed.manifest.files.find((f) => f.priority === 'selection');
		assert.deepEqual(selection?.lines, { from: 2, to: 3, of: 4 });
	});

	it('without line numbers, shows the text as it is and counts it so', async () => {
		const c: PackCase = {
			files: { 'a.ts': 'one;\ntwo;\nthree;\nfour;\n', 'b.ts': 'other;\n' },
			question: 'What do these lines do?',
			rope: ropeWithWindows(4000),
			focus: {
				activeEditor: 'a.ts',
				selection: { path: 'a.ts', fromLine: 2, toLine: 3, text: 'two;\nthree;\n' },
			},
			lineNumbers: false,
		};
		const plain = await pack(c);
		checkInvariants(plain, c.files, c);
		const content = plain.plan.messages[1].content;
		assert.match(content, /### a\.ts \(typescript\)\none;\ntwo;\nthree;\nfour;\n\n/);
		assert.match(content, /lines 2–3 of 4\)\ntwo;\nthree;\n\nQuestion: /);
		// Each shown line costs two fewer tokens (its number and the tab): 4 + 1 + 2 lines.
		const numbered = await pack({ ...c, lineNumbers: true });
		assert.equal(numbered.manifest.budget.context - plain.manifest.budget.context, 2 * 7);
	});

	it('cuts a file at a line break with a visible marker naming the lines left out', async () => {
		const text =
			Array.from({ length: 100 }, (_, k) => `line ${k + 1} alpha beta;`).join('\n') + '\n';
		const packed = await pack({
			files: { 'big.ts': text },
			question: 'q',
			rope: ropeWithWindows(400),
		});
		const entry = packed.manifest.files[0];
		assert.equal(entry.status, 'truncated');
		const shown = packed.files[0];
		assert.ok(shown.lines && shown.cut);
		assert.equal(shown.cut.from, shown.lines.to + 1);
		assert.equal(shown.cut.to, 100);
		assert.equal(shown.text.split('\n').length - 1, shown.lines.to);
		assert.match(
			packed.plan.messages[1].content,
			/\[… lines \d+–100 of 100 not shown: no room in the context\]/,
		);
		assert.match(entry.reason, /cut to lines 1–\d+ of 100/);
	});

	it('re-counts a file that changed after the scan, and leaves out one that vanished', async () => {
		const reader = new MemoryReader({
			'a.ts': 'alpha;\n',
			'b.ts': 'beta;\n',
			'c.ts': 'gamma;\n',
		});
		const tokenizer = new FakeTokenizer();
		const counter = new TokenCounter(tokenizer, fakeHash);
		const scan = await scanWorkspace(reader, { counter });
		reader.files.set('a.ts', 'alpha changed;\n'.repeat(3));
		reader.files.delete('b.ts');
		const packed = await packContext({
			scan,
			counter,
			model: fakePlanningModel(tokenizer, ropeWithWindows(2000)),
			question: 'q',
			answerTokens: 32,
			readText: textFromReader(reader),
		});
		const byPath = new Map<string, ManifestFile>(packed.manifest.files.map((f) => [f.path, f]));
		assert.equal(byPath.get('b.ts')?.status, 'omitted');
		assert.match(byPath.get('b.ts')?.reason ?? '', /vanished/);
		assert.ok(['included', 'truncated'].includes(byPath.get('a.ts')?.status ?? ''));
		assert.deepEqual(manifestProblems(packed.manifest), []);
	});

	it('lists skipped files with their reasons and refuses a question longer than the window', async () => {
		const reader = new MemoryReader({ 'a.ts': 'x;\n' }, [
			{
				kind: 'skipped',
				path: 'logo.png',
				reason: 'binary',
				detail: 'binary: NUL byte at offset 7',
			},
		]);
		const packed = await pack({ files: {}, reader, question: 'q', rope: ropeWithWindows(500) });
		const logo = packed.manifest.files.find((f) => f.path === 'logo.png');
		assert.deepEqual(
			{ status: logo?.status, reason: logo?.reason, tokens: logo?.tokens },
			{ status: 'skipped', reason: 'binary: NUL byte at offset 7', tokens: 0 },
		);
		await assert.rejects(
			pack({
				files: { 'a.ts': 'x' },
				question: 'word '.repeat(400),
				rope: ropeWithWindows(500),
			}),
			/more than the 500-token window of "w500"; shorten the question/,
		);
	});
});
