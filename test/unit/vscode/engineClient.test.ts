import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource } from '../../../extension/engine/cancellation';
import { NodeWorkspaceReader } from '../../../extension/runtime/nodeWorkspaceReader';
import { findModelFolder } from '../../../extension/runtime/modelFolder';
import { loadModelFolderRopeConfig } from '../../../extension/runtime/ropeConfigFiles';
import { saveSearchedModel } from '../../../extension/vscode/searchedModel';
import { EngineClient, JobError } from '../../../extension/vscode/engine/engineClient';
import type { EngineJob } from '../../../extension/vscode/engine/messages';
import { ScopedWorkspaceReader, underFolder } from '../../../extension/vscode/workspaceReader';
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

const job = (extra: Partial<EngineJob> & Pick<EngineJob, 'kind'>): EngineJob =>
	({
		answerTokens: 24,
		override: 'auto',
		sampling: {},
		maxContextTokens: 0,
		workspaceName: 'demo',
		...extra,
	}) as EngineJob;

describe('engine process (the model off the extension host)', function () {
	this.timeout(120000);
	let client: EngineClient;
	const log: string[] = [];

	before(function () {
		if (!MODEL) {
			console.log('      (no bundled model under models/: the engine tests need one)');
			this.skip();
		}
		client = new EngineClient(engineBundle(), (line) => log.push(line));
	});

	after(() => client?.dispose());

	const cacheDir = mkdtempSync(path.join(tmpdir(), 'longrope-engine-cache-'));
	const load = () =>
		client.load(MODEL as string, { intraOpThreads: 1, maxKvCacheBytes: 1 << 28, cacheDir });

	it('loads the model in a child process and answers from the workspace, streaming', async () => {
		const info = await load();
		assert.equal(info.folder, MODEL);
		assert.ok(info.kvBytesPerToken > 0);
		const deltas: string[] = [];
		const phases = new Set<string>();
		let files: string[] = [];
		let set = '';
		const source = new CancellationTokenSource();
		const lags: number[] = [];
		let last = performance.now();
		const timer = setInterval(() => {
			const now = performance.now();
			lags.push(now - last);
			last = now;
		}, 5);
		const result = await client.run(
			job({ kind: 'ask', question: 'What does add do?' }),
			new NodeWorkspaceReader(workspace()),
			{
				onDelta: (d) => deltas.push(d),
				onProgress: (p) => phases.add(p.phase),
				onManifest: (m) => (files = m.files.map((f) => f.path)),
				onPlan: (p) => (set = p.factors.set),
			},
			source.token,
		);
		clearInterval(timer);
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
				job({ kind: 'ask', question: 'Explain the project.', answerTokens: 120 }),
				new NodeWorkspaceReader(workspace()),
				{
					onDelta: () => {
						deltas++;
						source.cancel();
					},
				},
				source.token,
			),
			(err: unknown) => err instanceof JobError && err.cancelled,
		);
		assert.ok(deltas >= 1 && deltas < 20, `${deltas} pieces after the stop`);
		const again = await client.run(
			job({ kind: 'summarize', scope: { kind: 'file', path: 'src/math.ts' } }),
			new ScopedWorkspaceReader(new NodeWorkspaceReader(workspace()), {
				include: underFolder('src'),
			}),
			{},
			new CancellationTokenSource().token,
		);
		assert.ok(again.speed.promptTokens > 0);
	});

	it('serves unsaved editor text instead of the disk', async () => {
		await load();
		let files: { path: string; fileTokens?: number }[] = [];
		const root = workspace();
		await client.run(
			job({ kind: 'summarize', scope: { kind: 'file', path: 'README.md' } }),
			new ScopedWorkspaceReader(new NodeWorkspaceReader(root), {
				include: (p) => p === 'README.md',
				overlay: (p) =>
					p === 'README.md' ? `# Demo\n${'More text. '.repeat(40)}\n` : undefined,
			}),
			{ onManifest: (m) => (files = m.files) },
			new CancellationTokenSource().token,
		);
		assert.equal(files.length, 1);
		assert.ok((files[0].fileTokens ?? 0) > 40, JSON.stringify(files));
	});

	it('a crashed engine rejects what was pending, and the next request starts a new one', async () => {
		await load();
		const source = new CancellationTokenSource();
		const running = client.run(
			job({ kind: 'ask', question: 'What is this?', answerTokens: 120 }),
			new NodeWorkspaceReader(workspace()),
			{ onProgress: () => client.kill() },
			source.token,
		);
		await assert.rejects(running, /engine process exited/);
		const info = await load();
		assert.equal(info.folder, MODEL);
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
				kind: 'search',
				workspaceName: 'demo',
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
			new NodeWorkspaceReader(root),
			{ onProgress: (p) => p.phase === 'search' && rounds.push(p.done) },
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
