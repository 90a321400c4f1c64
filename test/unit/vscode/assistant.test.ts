import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fakeVscode as fake } from '../helpers/fakeVscode';
// After the fake: the extension's `import * as vscode` must find it.
import { activate, type LongropeApi } from '../../../extension/extension';
import type { EngineJob, JobResult } from '../../../extension/app/engineMessages';
import { PROTOCOL_VERSION, type HostToWebview } from '../../../extension/protocol';
import { EngineClient } from '../../../extension/vscode/engine/engineClient';
import { findModelFolder } from '../../../extension/runtime/modelFolder';

const ROOT = path.resolve(__dirname, '../../..');
const MODEL = process.env.LONGROPE_TEST_MODEL ?? findModelFolder('', undefined, ROOT);

describe('a question from the palette, through the engine, into the views (stand-in vscode)', function () {
	this.timeout(120000);

	before(() => assert.ok(MODEL, 'no bundled model under models/: these tests need one'));

	/** The extension on a one-file workspace, with the chat and diagnostics views open. */
	function start(answerTokens: number) {
		fake.reset();
		const root = mkdtempSync(path.join(tmpdir(), 'longrope-assistant-ws-'));
		mkdirSync(path.join(root, 'src'));
		writeFileSync(
			path.join(root, 'src', 'math.ts'),
			'export const add = (a: number, b: number) => a + b;\n',
		);
		writeFileSync(path.join(root, 'build.log'), 'compiled add\n');
		fake.workspaceFolders = [{ uri: fake.module.Uri.file(root), name: 'calc', index: 0 }];
		// files.exclude, an object setting: it reaches the engine (as a copy) and leaves out the log.
		fake.settings.exclude = { '**/*.log': true };
		fake.settings.modelPath = MODEL;
		fake.settings.answerTokens = answerTokens;
		const context = fake.context(ROOT);
		const api = activate(context as never) as LongropeApi;
		const chat = fake.resolveView('longrope.chat');
		const diagnostics = fake.resolveView('longrope.diagnostics');
		chat.send({ type: 'ready', protocolVersion: PROTOCOL_VERSION, view: 'chat' });
		diagnostics.send({ type: 'ready', protocolVersion: PROTOCOL_VERSION, view: 'diagnostics' });
		return { context, api, chat, diagnostics };
	}

	it('streams the answer into the chat, fills the diagnostics, saves the history and the status', async () => {
		const { context, api, chat, diagnostics } = start(16);
		try {
			await fake.commands.get('longrope.askWorkspace')?.('What does add do?');
			const types = (chat.posted as HostToWebview[]).map((m) => m.type);
			assert.equal(types[0], 'init');
			assert.ok(
				types.includes('turnStart') &&
					types.includes('progress') &&
					types.includes('turnEnd'),
				types.join(),
			);
			const end = (chat.posted as HostToWebview[]).find(
				(m) => m.type === 'turnEnd',
			) as Extract<HostToWebview, { type: 'turnEnd' }>;
			assert.equal(end.outcome, 'done', end.note);
			assert.deepEqual(
				end.sources?.map((s) => s.path),
				['src/math.ts'],
			);
			const streamed = (chat.posted as HostToWebview[])
				.filter((m): m is Extract<HostToWebview, { type: 'delta' }> => m.type === 'delta')
				.map((m) => m.text)
				.join('');
			assert.equal(streamed, end.text);
			const last = (diagnostics.posted as HostToWebview[])
				.filter((m) => m.type === 'diagnostics')
				.at(-1) as Extract<HostToWebview, { type: 'diagnostics' }>;
			assert.ok(
				last.diagnostics.budget &&
					last.diagnostics.factors &&
					last.diagnostics.speed &&
					last.diagnostics.files,
			);
			assert.equal(api.history().length, 2);
			assert.equal(api.status().state, 'idle');
			assert.ok(api.status().set);
			assert.match(fake.statusItems[0].text, new RegExp(`${api.status().set}`));
			assert.deepEqual(fake.errors, []);
		} finally {
			for (const d of context.subscriptions) d.dispose();
		}
	});

	it('says why an answer is empty: a one-token budget spent on a line break is not a silent "done"', async () => {
		// The engine's answer is scripted: a line break, the whole budget of 1 token (what the
		// model answers is its own business; emptyAnswer.test.ts covers every stop reason).
		const { context, api, chat } = start(1);
		const jobs: EngineJob[] = [];
		const run = EngineClient.prototype.run;
		EngineClient.prototype.run = async (job, emit) => {
			jobs.push(job);
			emit({ type: 'delta', text: '\n' });
			return scriptedResult({ text: '\n', newTokens: 1, stopReason: 'max-tokens' });
		};
		try {
			await fake.commands.get('longrope.askWorkspace')?.('What does add do?');
			assert.deepEqual(
				jobs.map((j) => j.request.answerTokens),
				[1],
			);
			const end = (chat.posted as HostToWebview[]).find(
				(m) => m.type === 'turnEnd',
			) as Extract<HostToWebview, { type: 'turnEnd' }>;
			assert.equal(end.outcome, 'done');
			assert.equal(end.text, '\n');
			assert.equal(
				end.note,
				'The model answered with nothing but blank space (1 token): the answer budget of 1 token (longrope.answerTokens) ran out before any text.',
			);
			assert.equal(api.history().at(-1)?.note, end.note, 'the history keeps the note');
		} finally {
			EngineClient.prototype.run = run;
			for (const d of context.subscriptions) d.dispose();
		}
	});

	it('passes the checked citations on to the chat and its history, and only those', async () => {
		// Scripted: the engine checked one citation and dropped the other (its note says so).
		const { context, api, chat } = start(16);
		const checked = [{ text: 'math.ts:1', path: 'src/math.ts', line: 1 }];
		const run = EngineClient.prototype.run;
		EngineClient.prototype.run = async (_job, emit) => {
			emit({ type: 'delta', text: 'See math.ts:1, not src/nope.ts:2.' });
			return {
				...scriptedResult({
					text: 'See math.ts:1, not src/nope.ts:2.',
					newTokens: 12,
					stopReason: 'stop-token',
				}),
				note: '1 citation points outside what the model was shown (src/nope.ts:2).',
				sources: [{ path: 'src/math.ts', from: 1, to: 9 }],
				citations: checked,
			};
		};
		try {
			await fake.commands.get('longrope.askWorkspace')?.('Where is add?');
			const end = (chat.posted as HostToWebview[]).find(
				(m) => m.type === 'turnEnd',
			) as Extract<HostToWebview, { type: 'turnEnd' }>;
			assert.deepEqual(end.citations, checked);
			assert.deepEqual(api.history().at(-1)?.citations, checked);
		} finally {
			EngineClient.prototype.run = run;
			for (const d of context.subscriptions) d.dispose();
		}
	});
});

/** What a scripted engine returns for an answer of `newTokens` after a 90-token prompt. */
function scriptedResult(answer: {
	text: string;
	newTokens: number;
	stopReason: string;
}): JobResult {
	return {
		text: answer.text,
		sources: [],
		citations: [],
		speed: {
			promptTokens: 90,
			reusedTokens: 0,
			newTokens: answer.newTokens,
			timeToFirstTokenMs: 1,
			prefillTokensPerSecond: 1,
			decodeTokensPerSecond: 1,
			stopReason: answer.stopReason,
		},
		kv: { plannedBytes: 0, capBytes: 0 },
		set: 'short',
		plannedLength: 90 + answer.newTokens,
		window: 256,
	};
}
