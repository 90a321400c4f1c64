import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fakeVscode as fake } from '../helpers/fakeVscode';
// After the fake: the extension's `import * as vscode` must find it.
import { activate, type LongropeApi } from '../../../extension/extension';
import { PROTOCOL_VERSION, type HostToWebview } from '../../../extension/protocol';
import { findModelFolder } from '../../../extension/runtime/modelFolder';

const ROOT = path.resolve(__dirname, '../../..');
const MODEL = process.env.LONGROPE_TEST_MODEL ?? findModelFolder('', undefined, ROOT);

describe('a question from the palette, through the engine, into the views (stand-in vscode)', function () {
	this.timeout(120000);

	before(function () {
		if (!MODEL) {
			console.log('      (no bundled model under models/: these tests need one)');
			this.skip();
		}
	});

	it('streams the answer into the chat, fills the diagnostics, saves the history and the status', async () => {
		fake.reset();
		const root = mkdtempSync(path.join(tmpdir(), 'longrope-assistant-ws-'));
		mkdirSync(path.join(root, 'src'));
		writeFileSync(
			path.join(root, 'src', 'math.ts'),
			'export const add = (a: number, b: number) => a + b;\n',
		);
		fake.workspaceFolders = [{ uri: fake.module.Uri.file(root), name: 'calc', index: 0 }];
		fake.settings.modelPath = MODEL;
		fake.settings.answerTokens = 16;
		const context = fake.context(ROOT);
		const api = activate(context as never) as LongropeApi;
		const chat = fake.resolveView('longrope.chat');
		const diagnostics = fake.resolveView('longrope.diagnostics');
		chat.send({ type: 'ready', protocolVersion: PROTOCOL_VERSION, view: 'chat' });
		diagnostics.send({ type: 'ready', protocolVersion: PROTOCOL_VERSION, view: 'diagnostics' });
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
});
