import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { askJob } from '../../../extension/app/askJob';
import type { JobEvent } from '../../../extension/app/events';
import { summarizeJob } from '../../../extension/app/summarizeJob';
import { openWorkspace } from '../../../extension/app/workspaceSource';
import { CancellationTokenSource } from '../../../extension/engine/cancellation';
import type { ChatMessage } from '../../../extension/engine/generation/chatTemplate';
import { manifestProblems } from '../../../extension/engine/workspace/manifest';
import {
	MemoryTokenCountCache,
	TokenCounter,
} from '../../../extension/engine/workspace/tokenCount';
import { fakeLanguageModel } from '../helpers/fakeModel';
import { fakeHash } from '../helpers/fakeTokenizer';

function context(
	reply: (messages: readonly ChatMessage[], call: number) => string,
	...windows: number[]
) {
	const model = fakeLanguageModel(reply, ...windows);
	const events: JobEvent[] = [];
	let saves = 0;
	const counts = {
		counter: new TokenCounter(model.tokenizer, fakeHash, new MemoryTokenCountCache()),
		save: () => void saves++,
	};
	const source = new CancellationTokenSource();
	return {
		model,
		events,
		saves: () => saves,
		context: { model, counts, emit: (e: JobEvent) => events.push(e), token: source.token },
	};
}

describe('the jobs (ask, chat turn, summarize) on a stand-in model', () => {
	let root: string;

	beforeEach(() => {
		root = mkdtempSync(path.join(os.tmpdir(), 'longrope-jobs-'));
		const write = (rel: string, text: string | Uint8Array) => {
			mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
			writeFileSync(path.join(root, rel), text);
		};
		write('.gitignore', 'dist/\n');
		write('README.md', '# Demo\nA tiny todo app.\n');
		write(
			'src/todo.ts',
			'export function addTodo(list, item) {\n\treturn [...list, item];\n}\n',
		);
		write('src/store.ts', 'export const store = new Map();\n');
		write('dist/bundle.js', 'ignored\n');
		write('logo.png', Uint8Array.from([0x89, 0x50, 0, 0, 1]));
	});

	afterEach(() => rmSync(root, { recursive: true, force: true }));

	it('ask: one plan from packer to model, events in order, citations checked', async () => {
		const run = context(
			() => 'It adds todos (src/todo.ts:1-2), see README.md:2 and nope.ts:3.',
			512,
			4096,
		);
		const { reader } = openWorkspace({ root });
		const result = await askJob(
			{ question: 'How are todos added?', answerTokens: 32 },
			reader,
			run.model.openSession(),
			run.context,
		);
		assert.deepEqual(
			result.manifest.files.map((f) => [f.path, f.status]),
			[
				['.gitignore', 'included'],
				['README.md', 'included'],
				['src/store.ts', 'included'],
				['src/todo.ts', 'included'],
				['logo.png', 'skipped'],
			],
		);
		assert.equal(run.model.plans.length, 1);
		const plan = run.model.plans[0];
		assert.deepEqual(
			plan.promptIds,
			result.promptIds,
			'the packed ids are the ids the model ran',
		);
		assert.equal(plan.plannedLength, plan.promptIds.length + 32);
		assert.equal(result.manifest.budget.set, plan.choice.name);
		assert.equal(run.saves(), 1, 'token counts saved once the scan is done');
		const b = result.manifest.budget;
		assert.equal(b.context + b.question + b.history + b.template + b.answer + b.free, b.window);
		assert.deepEqual(
			result.citations.map((c) => c.text),
			['src/todo.ts:1-2', 'README.md:2'],
		);
		assert.deepEqual(
			result.dropped.map((d) => d.text),
			['nope.ts:3'],
		);
		const kinds = [...new Set(run.events.map((e) => e.type))];
		assert.deepEqual(kinds, ['progress', 'manifest', 'delta']);
		const streamed = run.events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join('');
		assert.equal(streamed, result.text);
		assert.match(result.leftOut ?? '', /1 file not read \(1 binary\)/);
	});

	it('a chat turn sends the earlier exchanges back, oldest trimmed first, as their own budget segment', async () => {
		const run = context(() => 'ok', 4096);
		const { reader } = openWorkspace({ root });
		const history = [
			{ question: 'first question', answer: 'first answer' },
			{ question: 'second question', answer: 'second answer' },
		];
		const turn = await askJob(
			{ question: 'third question', history, answerTokens: 16 },
			reader,
			run.model.openSession(),
			run.context,
		);
		assert.equal(turn.historyKept, 2);
		const roles = run.model.plans[0].messages.map((m) => m.role);
		assert.deepEqual(roles, ['system', 'user', 'assistant', 'user', 'assistant', 'user']);
		const messages = run.model.plans[0].messages;
		assert.match(messages[1].content, /### src\/todo\.ts[\s\S]*Question: first question$/);
		assert.equal(messages[2].content, 'first answer');
		assert.equal(messages[5].content, 'Question: third question');
		assert.ok(turn.manifest.budget.history > 0);

		// In a small window the history may take half the room the files could have.
		const tight = context(() => 'ok', 400);
		const long = Array.from({ length: 6 }, (_, k) => ({
			question: `question ${k} ${'word '.repeat(10)}`,
			answer: `answer ${k} ${'word '.repeat(10)}`,
		}));
		const trimmed = await askJob(
			{ question: 'last', history: long, answerTokens: 16 },
			reader,
			tight.model.openSession(),
			tight.context,
		);
		assert.ok(
			trimmed.historyKept < long.length && trimmed.historyKept > 0,
			`${trimmed.historyKept}`,
		);
		const kept = tight.model.plans[0].messages.filter((m) => m.role === 'assistant');
		assert.equal(kept.at(-1)?.content, long.at(-1)?.answer, 'the newest exchanges stay');
		const bt = trimmed.manifest.budget;
		assert.equal(
			bt.context + bt.question + bt.history + bt.template + bt.answer + bt.free,
			bt.window,
		);
	});

	it('a follow-up shows the previous turn’s files first again, so the prompt keeps its prefix; a changed file packs anew', async () => {
		for (let k = 0; k < 30; k++) {
			writeFileSync(
				path.join(root, 'src', `part${String(k).padStart(2, '0')}.ts`),
				`export const value${k} = ${k};\n`.repeat(12),
			);
		}
		const run = context(() => 'An answer of several words.', 400);
		const { reader } = openWorkspace({ root });
		const session = run.model.openSession();
		const first = await askJob(
			{ question: 'What is value3?', answerTokens: 24 },
			reader,
			session,
			run.context,
		);
		assert.ok(
			first.manifest.files.some((f) => f.status === 'omitted'),
			'larger than the window',
		);
		const history = [{ question: 'What is value3?', answer: first.text }];
		const second = await askJob(
			{ question: 'And value17?', history, answerTokens: 24 },
			reader,
			session,
			run.context,
			first.conversation,
		);
		const shown = (r: typeof first) =>
			r.manifest.files.filter((f) => f.status === 'included' || f.status === 'truncated');
		assert.deepEqual(
			shown(second).map((f) => f.path),
			shown(first)
				.map((f) => f.path)
				.slice(0, shown(second).length),
			'the same files, in the same order (the last ones may give way to the history)',
		);
		let shared = 0;
		while (first.promptIds[shared] === second.promptIds[shared]) shared++;
		const filesEnd = first.promptIds.length - first.manifest.budget.question - 4;
		assert.ok(
			shared >= Math.min(filesEnd, second.manifest.budget.context) - 8,
			`${shared} prompt tokens shared`,
		);
		assert.ok(second.manifest.budget.history > 0);
		assert.deepEqual(manifestProblems(second.manifest), []);
		assert.match(shown(second)[0].reason, /kept from the conversation's earlier turn/);

		// A file the previous turn showed changes: the follow-up packs anew, for its own question.
		writeFileSync(path.join(root, 'README.md'), '# Demo\nNow a calculator.\n');
		const third = await askJob(
			{ question: 'And value17?', history, answerTokens: 24 },
			reader,
			session,
			run.context,
			second.conversation,
		);
		assert.doesNotMatch(shown(third)[0].reason, /kept from the conversation/);
		assert.ok(
			shown(third).some((f) => f.path === 'src/part17.ts'),
			'packed for the new question',
		);
	});

	it('summarize: one request when it fits; map-reduce beyond the window, each call planned once', async () => {
		const fits = context(() => 'A todo app.', 4096);
		const one = await summarizeJob(
			{ scope: { kind: 'folder', path: '.' }, answerTokens: 32 },
			openWorkspace({ root }).reader,
			fits.context,
		);
		assert.deepEqual([one.mode, one.calls], ['single', 1]);

		writeFileSync(path.join(root, 'src', 'long.ts'), 'const line = 1;\n'.repeat(400));
		const small = context(
			(m) => (m[1].content.includes('cover all') ? 'Final.' : 'Part.'),
			300,
		);
		const reduced = await summarizeJob(
			{ scope: { kind: 'folder', path: 'src' }, answerTokens: 24 },
			openWorkspace({ root, scope: { kind: 'folder', path: 'src' } }).reader,
			small.context,
		);
		assert.equal(reduced.summary, 'Final.');
		assert.equal(reduced.mode, 'map-reduce');
		assert.match(
			reduced.note ?? '',
			/^Summarized in \d+ parts and \d+ combining rounds? \(\d+ model calls\)/,
		);
		for (const plan of small.model.plans) {
			assert.ok(plan.plannedLength <= 300, `${plan.plannedLength}`);
			assert.equal(plan.plannedLength, plan.promptIds.length + 24);
		}
		const resets = small.events.filter((e) => e.type === 'delta' && e.reset).length;
		assert.equal(resets, small.model.plans.length - 1, 'each later call starts a new text');
	});

	it('summarize FILE uses the file prompt; an empty scope is an error that says so', async () => {
		const run = context(() => 'It adds a todo.', 4096);
		await summarizeJob(
			{ scope: { kind: 'file', path: 'src/todo.ts' }, answerTokens: 16 },
			openWorkspace({ root, scope: { kind: 'file', path: 'src/todo.ts' } }).reader,
			run.context,
		);
		assert.match(run.model.plans[0].messages[1].content, /Summarize the file src\/todo\.ts:/);
		await assert.rejects(
			summarizeJob(
				{ scope: { kind: 'file', path: 'logo.png' }, answerTokens: 16 },
				openWorkspace({ root, scope: { kind: 'file', path: 'logo.png' } }).reader,
				run.context,
			),
			/nothing to summarize: no readable text file in scope \(logo\.png: /,
		);
	});

	it('--files alone reads only those files; with a root they are packed first', async () => {
		const run = context(() => 'ok', 4096);
		const only = openWorkspace({ files: ['src/store.ts'], cwd: root });
		const a = await askJob(
			{ question: 'q', answerTokens: 8 },
			only.reader,
			run.model.openSession(),
			run.context,
		);
		assert.deepEqual(
			a.manifest.files.map((f) => f.path),
			['src/store.ts'],
		);
		const pinned = openWorkspace({ root: '.', files: ['src/store.ts'], cwd: root });
		const b = await askJob(
			{ question: 'q', answerTokens: 8, ...(pinned.focus ? { focus: pinned.focus } : {}) },
			pinned.reader,
			run.model.openSession(),
			run.context,
		);
		assert.equal(
			b.manifest.files.find((f) => f.path === 'src/store.ts')?.priority,
			'open-editor',
		);
	});

	it('reads unsaved buffers instead of the disk, and only the scope', async () => {
		const run = context(() => 'ok', 4096);
		const { reader } = openWorkspace({
			root,
			scope: { kind: 'folder', path: 'src' },
			overlays: { 'src/store.ts': 'export const store = new Set(); // unsaved\n' },
		});
		await askJob(
			{ question: 'q', answerTokens: 8 },
			reader,
			run.model.openSession(),
			run.context,
		);
		const prompt = run.model.plans[0].messages[1].content;
		assert.match(prompt, /new Set\(\); \/\/ unsaved/);
		assert.doesNotMatch(prompt, /README/);
	});
});
