import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource } from '../../../extension/engine/cancellation';
import { numberLines } from '../../../extension/engine/prompts/filePrompts';
import { HfTokenizer } from '../../../extension/runtime/hfTokenizer';
import { findModelFolder } from '../../../extension/runtime/modelFolder';
import { loadModelFolderRopeConfig } from '../../../extension/runtime/ropeConfigFiles';
import { saveSearchedModel } from '../../../extension/vscode/searchedModel';
import { EngineClient, JobError } from '../../../extension/vscode/engine/engineClient';
import type { EngineJob } from '../../../extension/app/engineMessages';
import type { JobEvent } from '../../../extension/app/events';
import type { WorkspaceScope, WorkspaceSource } from '../../../extension/app/workspaceSource';
import { engineBundle } from '../helpers/engineBundle';

const ROOT = path.resolve(__dirname, '../../..');

/** The bundled model (or LONGROPE_TEST_MODEL). */
const MODEL = process.env.LONGROPE_TEST_MODEL ?? findModelFolder('', undefined, ROOT);

function workspace(): string {
	const root = mkdtempSync(path.join(tmpdir(), 'longrope-engine-ws-'));
	mkdirSync(path.join(root, 'src'));
	writeFileSync(
		path.join(root, 'src', 'math.ts'),
		'export function add(a: number, b: number): number {\n\treturn a + b;\n}\n',
	);
	writeFileSync(path.join(root, 'README.md'), '# Demo\n\nA small project that adds numbers.\n');
	writeFileSync(path.join(root, '.gitignore'), 'secret.txt\n');
	writeFileSync(path.join(root, 'secret.txt'), 'do not read me\n');
	return root;
}

/** A job as the editor sends it: the request, and the workspace the engine reads itself. */
function ask(root: string, question: string, answerTokens = 24): EngineJob {
	return { kind: 'ask', request: { question, answerTokens }, source: { root } };
}

function summarize(
	root: string,
	scope: WorkspaceScope,
	extra: Partial<WorkspaceSource> = {},
): EngineJob {
	const path = scope.kind === 'all' ? '.' : scope.path;
	return {
		kind: 'summarize',
		request: { scope: { kind: 'file', path }, answerTokens: 24 },
		source: { root, scope, ...extra },
	};
}

/** Collects a job's events. */
function recorder() {
	const events: JobEvent[] = [];
	return { events, emit: (e: JobEvent) => events.push(e) };
}

describe('engine process (the model off the extension host)', function () {
	this.timeout(120000);
	let client: EngineClient;
	const log: string[] = [];

	before(() => {
		assert.ok(MODEL, 'no bundled model under models/: the engine tests need one');
		client = new EngineClient(engineBundle(), (line) => log.push(line));
	});

	after(() => client?.dispose());

	const cacheDir = mkdtempSync(path.join(tmpdir(), 'longrope-engine-cache-'));
	const load = () =>
		client.load({ folder: MODEL as string, threads: 1, maxKvCacheBytes: 1 << 28, cacheDir });

	it('loads the model in a child process and answers from the workspace, streaming', async () => {
		const info = await load();
		assert.equal(info.location, MODEL);
		assert.equal(info.format, 'own');
		assert.ok(info.kvBytesPerToken > 0);
		const { events, emit } = recorder();
		const source = new CancellationTokenSource();
		const lags: number[] = [];
		let last = performance.now();
		const timer = setInterval(() => {
			const now = performance.now();
			lags.push(now - last);
			last = now;
		}, 5);
		const result = await client.run(ask(workspace(), 'What does add do?'), emit, source.token);
		clearInterval(timer);
		const deltas = events.flatMap((e) => (e.type === 'delta' ? [e.text] : []));
		const phases = new Set(
			events.flatMap((e) => (e.type === 'progress' ? [e.progress.phase] : [])),
		);
		const manifest = events.find((e) => e.type === 'manifest');
		const files = manifest?.type === 'manifest' ? manifest.files.map((f) => f.path) : [];
		const plan = events.find((e) => e.type === 'plan');
		const set = plan?.type === 'plan' ? plan.set : '';
		assert.equal(result.text, deltas.join(''));
		assert.ok(result.speed.newTokens > 0);
		assert.ok(result.speed.prefillTokensPerSecond > 0);
		assert.equal(result.set, set);
		assert.ok(result.plannedLength <= result.window);
		assert.deepEqual(files.sort(), ['.gitignore', 'README.md', 'src/math.ts']);
		assert.ok(phases.has('scanning') && phases.has('prefill'), [...phases].join());
		// Token counts are kept for the next session.
		assert.equal(readdirSync(path.join(cacheDir, 'token-counts')).length, 1);
		// The host's event loop kept turning while the model ran.
		assert.ok(Math.max(...lags) < 250, `event loop stalled ${Math.max(...lags).toFixed(0)} ms`);
	});

	it('stops a generation midway, and the next request still works', async () => {
		await load();
		const source = new CancellationTokenSource();
		let deltas = 0;
		await assert.rejects(
			client.run(
				ask(workspace(), 'Explain the project.', 120),
				(e) => {
					if (e.type !== 'delta') return;
					deltas++;
					source.cancel();
				},
				source.token,
			),
			(err: unknown) => err instanceof JobError && err.cancelled,
		);
		assert.ok(deltas >= 1 && deltas < 20, `${deltas} pieces after the stop`);
		const again = await client.run(
			summarize(workspace(), { kind: 'folder', path: 'src' }),
			() => undefined,
			new CancellationTokenSource().token,
		);
		assert.ok(again.speed.promptTokens > 0);
	});

	it('reads unsaved editor text instead of the disk, within the scope', async () => {
		await load();
		const { events, emit } = recorder();
		await client.run(
			summarize(
				workspace(),
				{ kind: 'file', path: 'README.md' },
				{ overlays: { 'README.md': `# Demo\n${'More text. '.repeat(40)}\n` } },
			),
			emit,
			new CancellationTokenSource().token,
		);
		const manifest = events.find((e) => e.type === 'manifest');
		const files = manifest?.type === 'manifest' ? manifest.files : [];
		assert.equal(files.length, 1);
		assert.ok((files[0].fileTokens ?? 0) > 40, JSON.stringify(files));
	});

	it('keeps the weights when only the KV cap changes; other threads reload them', async () => {
		const first = await load();
		const retuned = await client.load({
			folder: MODEL as string,
			threads: 1,
			maxKvCacheBytes: 1 << 27,
			cacheDir,
		});
		assert.equal(retuned.reused, true);
		const result = await client.run(
			ask(workspace(), 'What does add do?', 8),
			() => undefined,
			new CancellationTokenSource().token,
		);
		assert.equal(result.kv.capBytes, 1 << 27, 'the new cap applies');
		const rethreaded = await client.load({ folder: MODEL as string, threads: 2, cacheDir });
		assert.equal(rethreaded.reused, false);
		assert.equal(first.location, rethreaded.location);
	});

	it('line numbers off keeps the weights and counts files without them; on again counts them', async () => {
		const root = workspace();
		const mathTokens = async (lineNumbers: boolean) => {
			const loaded = await client.load({
				folder: MODEL as string,
				threads: 1,
				maxKvCacheBytes: 1 << 28,
				cacheDir,
				lineNumbers,
			});
			const { events, emit } = recorder();
			await client.run(
				ask(root, 'What does add do?', 4),
				emit,
				new CancellationTokenSource().token,
			);
			const manifest = events.find((e) => e.type === 'manifest');
			const math =
				manifest?.type === 'manifest'
					? manifest.files.find((f) => f.path === 'src/math.ts')
					: undefined;
			return { reused: loaded.reused, tokens: math?.fileTokens };
		};
		await load();
		const tokenizer = new HfTokenizer(
			JSON.parse(
				readFileSync(path.join(MODEL as string, 'tokenizer.json'), 'utf8'),
			) as Record<string, unknown>,
			'tokenizer.json',
		);
		const text = readFileSync(path.join(root, 'src', 'math.ts'), 'utf8');
		const off = await mathTokens(false);
		assert.deepEqual(off, { reused: true, tokens: tokenizer.encode(text).length });
		const on = await mathTokens(true);
		assert.deepEqual(on, { reused: true, tokens: tokenizer.encode(numberLines(text)).length });
	});

	it('a crashed engine rejects what was pending, and the next request starts a new one', async () => {
		await load();
		const source = new CancellationTokenSource();
		const running = client.run(
			ask(workspace(), 'What is this?', 120),
			(e) => e.type === 'progress' && client.kill(),
			source.token,
		);
		await assert.rejects(running, /engine process exited/);
		const info = await load();
		assert.equal(info.location, MODEL);
		assert.ok(log.some((l) => /exited/.test(l)));
	});

	it('searches factors on the workspace text and saves them beside, never into, the model', async () => {
		await load();
		const geometry = (await loadModelFolderRopeConfig(MODEL as string)).geometry;
		const root = workspace();
		const prose = 'The calculator keeps a running total and prints it after every line. ';
		writeFileSync(
			path.join(root, 'manual.txt'),
			prose.repeat(Math.ceil((geometry.originalWindow * 12) / prose.length)),
		);
		const before = readFileSync(path.join(MODEL as string, 'config.json'), 'utf8');
		const rounds: number[] = [];
		const result = await client.search(
			{
				source: { root },
				targetLength: geometry.originalWindow * 2,
				rounds: 1,
				populationSize: 8,
				budget: false,
				samples: 1,
				stateFile: path.join(
					mkdtempSync(path.join(tmpdir(), 'longrope-search-')),
					'state.json',
				),
			},
			(e) =>
				e.type === 'progress' &&
				e.progress.phase === 'search' &&
				rounds.push(e.progress.done),
			new CancellationTokenSource().token,
		);
		assert.equal(result.set.maxLength, geometry.originalWindow * 2);
		assert.ok(Number.isFinite(result.best));
		assert.ok(rounds.includes(1));
		const target = path.join(mkdtempSync(path.join(tmpdir(), 'longrope-searched-')), 'model');
		saveSearchedModel(MODEL as string, target, result.set, geometry);
		const rope = await loadModelFolderRopeConfig(target);
		assert.ok(rope.sets.some((s) => s.name === result.set.name));
		assert.equal(readFileSync(path.join(MODEL as string, 'config.json'), 'utf8'), before);
	});
});
