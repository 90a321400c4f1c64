import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChatMessage } from '../../../extension/engine/generation/chatTemplate';
import { askCommand } from '../../../extension/cli/commands/ask';
import { commandUsage } from '../../../extension/cli/runCli';
import { askJob, summarizeJob, type ChatBackend } from '../../../extension/cli/workspaceJobs';
import { FakeTokenizer, ropeWithWindows } from '../helpers/fakeTokenizer';

function backend(window: number, reply: (messages: readonly ChatMessage[]) => string) {
	const requests: (readonly ChatMessage[])[] = [];
	const fake: ChatBackend = {
		tokenizer: new FakeTokenizer(),
		rope: ropeWithWindows(Math.min(window, 512), window),
		async complete(messages, _maxNewTokens, options) {
			requests.push(messages);
			const text = reply(messages);
			if (options.stream) out.push(text);
			return { text };
		},
	};
	const out: string[] = [];
	const err: string[] = [];
	const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
	return { fake, io, out, err, requests };
}

describe('ask and summarize jobs (CLI, with a stand-in model)', () => {
	let root: string;

	beforeEach(() => {
		root = mkdtempSync(path.join(os.tmpdir(), 'longrope-cli-'));
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

	it('ask --workspace --json: files, budget and checked citations', async () => {
		const { fake, io, out, err, requests } = backend(
			4096,
			() => 'It adds todos (src/todo.ts:1-2), see README.md:2 and nope.ts:3.',
		);
		await askJob(
			{ question: 'How are todos added?', answerTokens: 32, json: true, workspace: root },
			fake,
			io,
		);
		const doc = JSON.parse(out.join('')) as {
			answer: string;
			files: { path: string; tokens: number; status: string; reason: string }[];
			budget: Record<string, number | string>;
			citations: { path: string; line: number; endLine?: number }[];
			droppedCitations: { text: string }[];
		};
		assert.deepEqual(
			doc.files.map((f) => [f.path, f.status]),
			[
				['.gitignore', 'included'],
				['README.md', 'included'],
				['src/store.ts', 'included'],
				['src/todo.ts', 'included'],
				['logo.png', 'skipped'],
			],
		);
		for (const f of doc.files)
			assert.ok(typeof f.tokens === 'number' && typeof f.reason === 'string');
		const b = doc.budget as Record<string, number>;
		assert.equal(b.context + b.question + b.template + b.answer + b.free, b.window);
		assert.equal(doc.budget.windowSet, 'w512');
		assert.deepEqual(doc.citations, [
			{ path: 'src/todo.ts', line: 1, endLine: 2, text: 'src/todo.ts:1-2' },
			{ path: 'README.md', line: 2, text: 'README.md:2' },
		]);
		assert.deepEqual(
			doc.droppedCitations.map((d) => d.text),
			['nope.ts:3'],
		);
		assert.match(
			requests[0][1].content,
			/### src\/todo\.ts \(typescript\)\nexport function addTodo/,
		);
		assert.match(err.join(''), /context: 4 of 4 files/);
	});

	it('ask without --json streams the answer, then sources and what was left out', async () => {
		const { fake, io, out } = backend(150, () => 'See src/todo.ts:1.');
		await askJob(
			{ question: 'Where is addTodo?', answerTokens: 16, json: false, workspace: root },
			fake,
			io,
		);
		const text = out.join('');
		assert.match(text, /^See src\/todo\.ts:1\./);
		assert.match(text, /Sources: src\/todo\.ts:1/);
		assert.match(text, /Note: Answered from \d of 4 files/);
		assert.match(text, /1 file not read \(1 binary\)/);
	});

	it('--files alone reads only those files; with --workspace they are packed first', async () => {
		const only = backend(4096, () => 'ok');
		const cwd = root;
		await askJob(
			{ question: 'q', answerTokens: 8, json: true, files: ['src/store.ts'], cwd },
			only.fake,
			only.io,
		);
		const doc = JSON.parse(only.out.join('')) as { files: { path: string }[] };
		assert.deepEqual(
			doc.files.map((f) => f.path),
			['src/store.ts'],
		);

		const pinned = backend(4096, () => 'ok');
		await askJob(
			{
				question: 'q',
				answerTokens: 8,
				json: true,
				files: ['src/store.ts'],
				workspace: '.',
				cwd,
			},
			pinned.fake,
			pinned.io,
		);
		const both = JSON.parse(pinned.out.join('')) as {
			files: { path: string; priority?: string }[];
		};
		assert.equal(both.files.find((f) => f.path === 'src/store.ts')?.priority, 'open-editor');
	});

	it('summarize DIR: one request when it fits, map-reduce when it does not', async () => {
		const fits = backend(4096, () => 'A todo app.');
		await summarizeJob({ target: root, answerTokens: 32, json: true }, fits.fake, fits.io);
		const one = JSON.parse(fits.out.join('')) as { mode: string; calls: number; scope: string };
		assert.deepEqual([one.mode, one.calls, one.scope], ['single', 1, 'folder']);

		writeFileSync(path.join(root, 'src', 'long.ts'), 'const line = 1;\n'.repeat(400));
		const small = backend(300, (m) =>
			m[1].content.includes('cover all') ? 'Final.' : 'Part.',
		);
		await summarizeJob(
			{ target: 'src', answerTokens: 24, json: false, cwd: root },
			small.fake,
			small.io,
		);
		assert.match(
			small.out.join(''),
			/^Final\.\n\nNote: 3 files did not fit the 300-token window; summarized in \d+ parts/,
		);
		assert.match(small.err.join(''), /\[map 0\/\d+\] summarizing part 1 of/);
	});

	it('summarize FILE uses the file prompt', async () => {
		const { fake, io, requests } = backend(4096, () => 'It adds a todo.');
		await summarizeJob(
			{ target: 'src/todo.ts', answerTokens: 16, json: false, cwd: root },
			fake,
			io,
		);
		assert.match(requests[0][1].content, /Summarize the file src\/todo\.ts:/);
	});

	it('documents the workspace flags', () => {
		const usage = commandUsage(askCommand);
		for (const flag of [
			'--workspace DIR',
			'--files LIST',
			'--exclude GLOBS',
			'--max-file-size BYTES',
			'--factor-set NAME',
		]) {
			assert.ok(usage.includes(flag), flag);
		}
	});
});
