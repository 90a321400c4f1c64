import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource } from '../../../extension/engine/cancellation';
import type { JobEvent } from '../../../extension/app/events';
import { findModelFolder } from '../../../extension/runtime/modelFolder';
import { EngineClient, JobError } from '../../../extension/vscode/engine/engineClient';
import { engineBundle } from '../helpers/engineBundle';
import { SseParser, chatCompletionsUrl } from '../../../extension/runtime/remoteEndpoint';
import { readSettings } from '../../../extension/vscode/settings';

const ROOT = path.resolve(__dirname, '../../..');
const MODEL = process.env.LONGROPE_TEST_MODEL ?? findModelFolder('', undefined, ROOT);

const source = (values: Record<string, unknown>) => ({
	get: <T>(key: string, fallback: T): T => (key in values ? (values[key] as T) : fallback),
});

describe('remote endpoint (OpenAI-compatible)', () => {
	it('settings: a URL and a model make a remote; no key in settings; bad ones are named and ignored', () => {
		const ok = readSettings(
			source({
				'remote.url': 'http://127.0.0.1:8000/v1',
				'remote.model': 'big',
				'remote.apiKeyVariable': 'GITHUB_TOKEN',
			}),
		);
		assert.deepEqual(ok.problems, []);
		assert.deepEqual(
			ok.settings.remote,
			{ url: 'http://127.0.0.1:8000/v1', model: 'big', contextWindow: 0 },
			'an old apiKeyVariable setting sends nothing',
		);
		for (const url of [
			'https://gpu.example.org/v1',
			'http://localhost:8000/v1',
			'http://[::1]:8000/v1',
		]) {
			assert.deepEqual(
				readSettings(source({ 'remote.url': url, 'remote.model': 'm' })).problems,
				[],
				url,
			);
		}
		const plain = readSettings(
			source({ 'remote.url': 'http://10.0.0.5:8000/v1', 'remote.model': 'm' }),
		);
		assert.equal(plain.settings.remote, undefined);
		assert.match(
			plain.problems[0],
			/plain http to 10\.0\.0\.5:8000: workspace text and the API key would cross the network unencrypted/,
		);
		const bad = readSettings(source({ 'remote.url': 'ftp://x', 'remote.model': 'm' }));
		assert.equal(bad.settings.remote, undefined);
		assert.match(bad.problems[0], /must be an https URL \(or http to this machine\)/);
		const noModel = readSettings(source({ 'remote.url': 'https://x/v1' }));
		assert.equal(noModel.settings.remote, undefined);
		assert.match(noModel.problems[0], /remote\.model must name the model/);
		assert.equal(chatCompletionsUrl('http://x/v1/'), 'http://x/v1/chat/completions');
	});

	it('parses server-sent events split anywhere', () => {
		const parser = new SseParser();
		const body = 'data: {"a":1}\n\ndata: [DONE]\n\n';
		const events: string[] = [];
		for (const ch of body) events.push(...parser.push(ch));
		assert.deepEqual(events, ['{"a":1}', '[DONE]']);
	});

	describe('through the engine process', function () {
		this.timeout(60000);
		let server: http.Server;
		let url = '';
		const requests: { headers: http.IncomingHttpHeaders; body: string }[] = [];
		let client: EngineClient;
		let tokenizerOnly = '';

		before(async () => {
			assert.ok(
				MODEL,
				'no bundled model under models/: the remote tests count with its tokenizer',
			);
			server = http.createServer((req, res) => {
				if (req.method === 'GET' && req.url === '/v1/models') {
					res.writeHead(200, { 'content-type': 'application/json' });
					res.end(JSON.stringify({ data: [{ id: 'big', max_model_len: 2048 }] }));
					return;
				}
				if (req.method === 'POST' && req.url === '/tokenize') {
					// vLLM's own count of the rendered prompt (the stub: 1000, or 2040 when asked to overflow).
					let asked = '';
					req.on('data', (d: Buffer) => (asked += d.toString()));
					req.on('end', () => {
						res.writeHead(200, { 'content-type': 'application/json' });
						res.end(
							JSON.stringify({ count: asked.includes('overflow') ? 2040 : 1000 }),
						);
					});
					return;
				}
				let body = '';
				req.on('data', (d: Buffer) => (body += d.toString()));
				req.on('end', () => {
					requests.push({ headers: req.headers, body });
					res.writeHead(200, { 'content-type': 'text/event-stream' });
					const pieces = ['The ', 'answer ', 'cites ', 'src/a.ts:1.'];
					let k = 0;
					const timer = setInterval(() => {
						if (res.destroyed) return clearInterval(timer);
						if (k < pieces.length) {
							res.write(
								`data: ${JSON.stringify({ choices: [{ delta: { content: pieces[k++] } }] })}\n\n`,
							);
						} else if (
							!JSON.parse(body).max_tokens ||
							JSON.parse(body).max_tokens < 1000
						) {
							res.write(
								`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`,
							);
							res.end();
							clearInterval(timer);
						}
					}, 20);
				});
			});
			await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
			url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
			// A folder with nothing but the tokenizer: loading any local model from it would fail.
			tokenizerOnly = mkdtempSync(path.join(tmpdir(), 'longrope-tokenizer-only-'));
			copyFileSync(
				path.join(MODEL as string, 'tokenizer.json'),
				path.join(tokenizerOnly, 'tokenizer.json'),
			);
			client = new EngineClient(engineBundle());
		});

		after(() => {
			client?.dispose();
			server?.closeAllConnections();
			server?.close();
		});

		function workspace(): string {
			const root = mkdtempSync(path.join(tmpdir(), 'longrope-remote-ws-'));
			writeFileSync(path.join(root, 'a.ts'), 'export const secretValue = 42;\n');
			return root;
		}

		const load = (apiKey?: string) =>
			client.load({
				folder: tokenizerOnly,
				remote: { url, model: 'big', contextWindow: 0, ...(apiKey ? { apiKey } : {}) },
			});

		it('loads no local model, packs to the window the server states, and streams its answer', async () => {
			const info = await load('sk-test');
			assert.equal(info.format, 'openai');
			assert.equal(info.maxWindow, 2048, 'max_model_len from GET /v1/models');
			assert.equal(info.kvBytesPerToken, 0);
			const events: JobEvent[] = [];
			const result = await client.run(
				{
					kind: 'ask',
					request: { question: 'What is secretValue?', answerTokens: 16 },
					source: { root: workspace() },
				},
				(e) => events.push(e),
				new CancellationTokenSource().token,
			);
			assert.equal(result.text, 'The answer cites src/a.ts:1.');
			assert.deepEqual(
				events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])),
				['The ', 'answer ', 'cites ', 'src/a.ts:1.'],
			);
			assert.equal(result.set, 'fixed');
			const manifest = events.find((e) => e.type === 'manifest');
			assert.ok(manifest?.type === 'manifest');
			assert.equal(manifest.budget.window, Math.floor(2048 / 1.15), '15% kept in reserve');
			assert.match(manifest.budget.limit ?? '', /counted with a local tokenizer/);
			const plan = events.find((e) => e.type === 'plan');
			assert.ok(plan?.type === 'plan');
			assert.match(
				plan.reason,
				new RegExp(`answered by big at ${url}, prompt counted by the server`),
			);
			assert.equal(plan.promptTokens, 1000, "the server's count, not the estimate");
			assert.equal(result.speed.promptTokens, 1000);
			const sent = requests.at(-1);
			assert.equal(sent?.headers.authorization, 'Bearer sk-test');
			const body = JSON.parse(sent?.body ?? '{}') as {
				model: string;
				max_tokens: number;
				messages: { content: string }[];
				stream: boolean;
			};
			assert.equal(body.model, 'big');
			assert.equal(body.stream, true);
			assert.equal(body.max_tokens, 16);
			assert.match(
				body.messages.map((m) => m.content).join('\n'),
				/export const secretValue = 42;/,
			);
		});

		it('refuses a prompt the server counts past its window, before asking it', async () => {
			await load();
			const before = requests.length;
			await assert.rejects(
				client.run(
					{
						kind: 'ask',
						request: { question: 'overflow please', answerTokens: 16 },
						source: { root: workspace() },
					},
					() => undefined,
					new CancellationTokenSource().token,
				),
				/big counts 2040 prompt tokens \(estimated \d+\); with the 16-token answer that is past its 2048-token window/,
			);
			assert.equal(requests.length, before, 'no completion was requested');
		});

		it('stop aborts the request', async () => {
			await load();
			const cancel = new CancellationTokenSource();
			await assert.rejects(
				client.run(
					{
						kind: 'ask',
						request: { question: 'Go on forever', answerTokens: 1000 },
						source: { root: workspace() },
					},
					(e) => e.type === 'delta' && cancel.cancel(),
					cancel.token,
				),
				(err: unknown) => err instanceof JobError && err.cancelled,
			);
		});
	});
});
