import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { fakeVscode as fake } from '../helpers/fakeVscode';
// After the fake: the extension's `import * as vscode` must find it.
import { activate } from '../../../extension/extension';
import { PROTOCOL_VERSION } from '../../../extension/protocol';

const ROOT = path.resolve(__dirname, '../../..');

describe('webview views against a stand-in vscode', () => {
	beforeEach(() => fake.reset());

	it('serve a page with a nonce CSP, only the bundle and media as resource roots', () => {
		activate(fake.context(ROOT) as never);
		const view = fake.resolveView('longrope.chat');
		assert.deepEqual(
			view.options.localResourceRoots?.map((u) => path.relative(ROOT, u.fsPath)).sort(),
			['dist', 'media'],
		);
		assert.equal(view.options.enableScripts, true);
		const csp =
			/http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(view.html)?.[1] ?? '';
		const nonce = /script-src 'nonce-([A-Za-z0-9]+)'/.exec(csp)?.[1];
		assert.ok(nonce && nonce.length >= 16, csp);
		assert.match(csp, /^default-src 'none'/);
		const scripts = [...view.html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
		assert.equal(scripts.length, 1);
		assert.match(scripts[0], new RegExp(`nonce="${nonce}"`));
		assert.match(scripts[0], /src="vscode-resource:\/\/.*\/dist\/webview\.js"/);
		assert.doesNotMatch(view.html, /https?:\/\//);
		assert.match(view.html, /data-view="chat"/);
		// A second page load gets a new nonce.
		const again = fake.resolveView('longrope.diagnostics');
		assert.notEqual(/nonce-([A-Za-z0-9]+)/.exec(again.html)?.[1], nonce);
		assert.match(again.html, /data-view="diagnostics"/);
	});

	it('post nothing before ready, then init with the history; drop and log malformed messages', async () => {
		const context = fake.context(ROOT);
		context.workspaceState.update('longrope.chatHistory', [
			{ id: 'q1', role: 'user', text: 'hello' },
		]);
		activate(context as never);
		const view = fake.resolveView('longrope.chat');
		assert.deepEqual(view.posted, []);
		view.send({ type: 'ready', protocolVersion: PROTOCOL_VERSION, view: 'chat' });
		assert.equal(view.posted.length, 1);
		const init = view.posted[0] as { type: string; history: unknown[] };
		assert.equal(init.type, 'init');
		assert.deepEqual(init.history, [{ id: 'q1', role: 'user', text: 'hello' }]);
		view.send({ type: 'openCitation', path: '../../etc/passwd', line: -1 });
		view.send({ type: 'command', command: 'workbench.action.terminal.sendSequence' });
		view.send({ type: 'eval', code: 'process.exit()' });
		assert.equal(fake.output.filter((l) => /Dropped a malformed message/.test(l)).length, 3);
		assert.deepEqual(fake.executed, []);
		view.send({ type: 'copy', text: 'code' });
		await new Promise((resolve) => setImmediate(resolve));
		assert.equal(fake.clipboard, 'code');
		view.send({ type: 'newChat' });
		await new Promise((resolve) => setImmediate(resolve));
		assert.deepEqual(context.workspaceState.get('longrope.chatHistory', ['x']), []);
		// The status that activation refreshes on a timer may come in between.
		assert.deepEqual(
			view.posted.filter((m) => (m as { type: string }).type !== 'status').at(-1),
			{ type: 'history', history: [] },
		);
	});
});
