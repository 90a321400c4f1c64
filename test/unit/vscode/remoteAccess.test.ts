import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fakeVscode as fake } from '../helpers/fakeVscode';
// After the fake: the extension's `import * as vscode` must find it.
import { activate } from '../../../extension/extension';
import { PROTOCOL_VERSION, type HostToWebview } from '../../../extension/protocol';
import { findModelFolder } from '../../../extension/runtime/modelFolder';

const ROOT = path.resolve(__dirname, '../../..');
const MODEL = findModelFolder('', undefined, ROOT);

describe('the remote endpoint from the editor: asked before text leaves, key from secret storage', function () {
	this.timeout(60000);
	let server: http.Server;
	const completions: http.IncomingHttpHeaders[] = [];

	before(async () => {
		assert.ok(MODEL, 'the bundled model (its tokenizer counts for the endpoint)');
		server = http.createServer((req, res) => {
			req.resume();
			req.on('end', () => {
				if (req.url === '/v1/chat/completions') {
					completions.push(req.headers);
					res.writeHead(200, { 'content-type': 'text/event-stream' });
					res.end(
						`data: ${JSON.stringify({ choices: [{ delta: { content: 'Remote answer.' } }] })}\n\ndata: [DONE]\n\n`,
					);
					return;
				}
				res.writeHead(404);
				res.end();
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	});

	after(() => {
		server.closeAllConnections();
		server.close();
	});

	it('sends nothing until the user agrees for this workspace, then sends the stored key', async () => {
		fake.reset();
		const root = mkdtempSync(path.join(tmpdir(), 'longrope-remote-access-'));
		writeFileSync(path.join(root, 'a.ts'), 'export const secretValue = 42;\n');
		fake.workspaceFolders = [{ uri: fake.module.Uri.file(root), name: 'secret', index: 0 }];
		fake.settings.modelPath = MODEL;
		fake.settings['remote.url'] =
			`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
		fake.settings['remote.model'] = 'big';
		fake.settings['remote.contextWindow'] = 4096;
		fake.secrets.set('longrope.remote.apiKey', 'sk-from-secret-storage');
		const context = fake.context(ROOT);
		activate(context as never);
		const chat = fake.resolveView('longrope.chat');
		chat.send({ type: 'ready', protocolVersion: PROTOCOL_VERSION, view: 'chat' });
		const ends = () =>
			(chat.posted as HostToWebview[]).filter(
				(m): m is Extract<HostToWebview, { type: 'turnEnd' }> => m.type === 'turnEnd',
			);
		try {
			await fake.commands.get('longrope.askWorkspace')?.('What is secretValue?');
			assert.match(
				fake.warnings[0],
				/send text from the workspace "secret" to 127\.0\.0\.1:\d+/,
			);
			assert.equal(ends()[0].outcome, 'error');
			assert.match(ends()[0].note ?? '', /^Nothing was sent/);
			assert.equal(completions.length, 0, 'declined: no request left');

			fake.warningChoice = 'Send';
			await fake.commands.get('longrope.askWorkspace')?.('What is secretValue?');
			assert.equal(ends()[1].outcome, 'done', ends()[1].note);
			assert.equal(ends()[1].text, 'Remote answer.');
			assert.equal(completions[0].authorization, 'Bearer sk-from-secret-storage');

			fake.warningChoice = undefined;
			const asked = fake.warnings.length;
			await fake.commands.get('longrope.askWorkspace')?.('And again?');
			assert.equal(fake.warnings.length, asked, 'asked once per workspace and host');
			assert.equal(ends()[2].outcome, 'done');
		} finally {
			for (const d of context.subscriptions) d.dispose();
		}
	});
});
