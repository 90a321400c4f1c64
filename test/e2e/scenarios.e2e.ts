/**
 * The extension in a real VS Code (code-server from npm, Node 24 from npm, Debian's Chromium
 * driven by playwright-core), on a fixture workspace, with the bundled model. Screenshots go to
 * test-results/e2e/. Run alone with `npm run test:e2e`.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { findModelFolder } from '../../extension/runtime/modelFolder';
import { startCodeServer, type CodeServer } from './codeServer';
import { writeFixtureWorkspace } from './fixture';
import { provision, type Provisioned } from './provision';
import {
	ARTIFACTS,
	activeTabTitle,
	openFile,
	runCommand,
	screenshot,
	viewFrame,
	waitForWorkbench,
} from './workbench';

const ROOT = path.resolve(__dirname, '../..');

function bundledModel(): string {
	// The committed model; a local, uncommitted models/<other> must not win the name order.
	const preferred = path.join(ROOT, 'models', 'longrope-tiny');
	const folder = existsSync(path.join(preferred, 'config.json'))
		? preferred
		: findModelFolder('', undefined, ROOT);
	if (!folder) throw new Error('no bundled model under models/: the e2e suite needs one');
	return folder;
}

/**
 * The model folder for the scenarios: the bundled one when it has a factor set beyond its
 * original window (the searched sets in longrope.json), else a copy of it (weights linked)
 * with a position-interpolation set for 4× the window, so that the long-context scenario
 * has a long set to show.
 */
function modelWithLongSet(folder: string): string {
	const config = JSON.parse(readFileSync(path.join(folder, 'config.json'), 'utf8')) as {
		original_max_position_embeddings?: number;
		max_position_embeddings: number;
		head_dim?: number;
		hidden_size: number;
		num_attention_heads: number;
	};
	const original = originalWindow(folder);
	const setsFile = path.join(folder, 'longrope.json');
	const sets = existsSync(setsFile)
		? (JSON.parse(readFileSync(setsFile, 'utf8')) as { sets: { maxLength: number }[] }).sets
		: [];
	if (config.max_position_embeddings > original || sets.some((s) => s.maxLength > original)) {
		return folder;
	}
	const copy = path.join(
		mkdtempSync(path.join(tmpdir(), 'longrope-e2e-model-')),
		path.basename(folder),
	);
	mkdirSync(copy);
	for (const name of readdirSync(folder)) {
		const from = path.join(folder, name);
		if (name.startsWith('model.onnx')) symlinkSync(from, path.join(copy, name));
		else writeFileSync(path.join(copy, name), readFileSync(from));
	}
	const pairs = (config.head_dim ?? config.hidden_size / config.num_attention_heads) / 2;
	const scale = 4;
	writeFileSync(
		path.join(copy, 'longrope.json'),
		JSON.stringify({
			sets: [
				{
					name: `pi-${scale * original}`,
					maxLength: scale * original,
					factors: Array.from({ length: pairs }, () => scale),
					nHat: 0,
					attentionFactor: Math.sqrt(1 + Math.log(scale) / Math.log(original)),
					provenance: { method: 'position interpolation, for the e2e scenarios' },
				},
			],
		}),
	);
	console.log(
		`      (the bundled model has no set beyond ${original} tokens: using ${copy} with a PI set)`,
	);
	return copy;
}

function originalWindow(folder: string): number {
	const config = JSON.parse(readFileSync(path.join(folder, 'config.json'), 'utf8')) as {
		original_max_position_embeddings?: number;
		max_position_embeddings: number;
	};
	return config.original_max_position_embeddings ?? config.max_position_embeddings;
}

async function lastAnswer(chat: Frame): Promise<{ text: string; outcome: string }> {
	return chat.evaluate(() => {
		const turns = document.querySelectorAll('article.turn.assistant');
		const last = turns[turns.length - 1];
		if (!last) return { text: '', outcome: 'none' };
		const outcome = last.getAttribute('aria-busy')
			? 'busy'
			: last.classList.contains('stopped')
				? 'stopped'
				: last.classList.contains('failed')
					? 'error'
					: 'done';
		return { text: last.querySelector('.body')?.textContent ?? '', outcome };
	});
}

async function waitForAnswer(
	chat: Frame,
	timeoutMs = 240_000,
): Promise<{ text: string; outcome: string }> {
	await chat.waitForFunction(
		() => {
			const turns = document.querySelectorAll('article.turn.assistant');
			const last = turns[turns.length - 1];
			return !!last && !last.hasAttribute('aria-busy');
		},
		undefined,
		{ timeout: timeoutMs, polling: 200 },
	);
	return lastAnswer(chat);
}

interface Watch {
	busy: boolean;
	phases: string[];
	streamed: number;
}

/** Records, in the page, what the chat shows while a request runs. */
async function watchChat(chat: Frame): Promise<void> {
	await chat.evaluate(() => {
		const w = { busy: false, phases: [] as string[], streamed: 0 };
		(window as unknown as { __watch: typeof w }).__watch = w;
		const busy = document.getElementById('busy');
		new MutationObserver(() => {
			if (busy && !busy.hidden) {
				w.busy = true;
				const phase = busy.dataset.phase ?? '';
				if (phase && w.phases[w.phases.length - 1] !== phase) w.phases.push(phase);
			}
			const turns = document.querySelectorAll('article.turn.assistant');
			const last = turns[turns.length - 1];
			const text = last?.querySelector('.body')?.textContent?.trim() ?? '';
			if (last?.hasAttribute('aria-busy') && text && text !== '…') w.streamed++;
		}).observe(document.body, {
			subtree: true,
			childList: true,
			characterData: true,
			attributes: true,
		});
	});
}

async function watched(chat: Frame): Promise<Watch> {
	return chat.evaluate(() => (window as unknown as { __watch: Watch }).__watch);
}

async function ask(chat: Frame, question: string): Promise<void> {
	const before = await chat.evaluate(
		() => document.querySelectorAll('article.turn.assistant').length,
	);
	await chat.fill('#prompt', question);
	await chat.press('#prompt', 'Enter');
	await chat.waitForFunction(
		(n) => document.querySelectorAll('article.turn.assistant').length > n,
		before,
		{ timeout: 30_000 },
	);
}

describe('LongRoPE Assistant in a real VS Code (code-server + Chromium)', function () {
	this.timeout(900_000);
	let tools: Provisioned;
	let server: CodeServer | undefined;
	let browser: Browser | undefined;
	let page: Page;
	let workspace = '';
	let model = '';
	const dialogs: string[] = [];
	const workspaceSettings = (values: Record<string, unknown>) => {
		mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
		writeFileSync(
			path.join(workspace, '.vscode', 'settings.json'),
			JSON.stringify(values, null, 2),
		);
	};

	before(async function () {
		rmSync(ARTIFACTS, { recursive: true, force: true });
		tools = provision();
		model = modelWithLongSet(bundledModel());
		workspace = writeFixtureWorkspace(
			path.join(mkdtempSync(path.join(tmpdir(), 'longrope-e2e-ws-')), 'calculator'),
			originalWindow(model),
		);
		if (!existsSync(path.join(ROOT, 'dist', 'extension.js'))) {
			throw new Error('dist/ is not built: run `npm run build` first');
		}
		server = await startCodeServer(tools, {
			extension: { folder: ROOT },
			settings: { 'longrope.modelPath': model, 'longrope.answerTokens': 48 },
		});
		browser = await chromium.launch({
			executablePath: tools.chromium,
			args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
		});
		page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
		page.on('dialog', (dialog) => {
			dialogs.push(dialog.message());
			void dialog.dismiss();
		});
		await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
		await waitForWorkbench(page);
	});

	after(async function () {
		if (page && this.currentTest?.state === 'failed')
			await screenshot(page, 'failure').catch(() => undefined);
		await browser?.close();
		await server?.stop();
	});

	afterEach(async function () {
		if (this.currentTest?.state === 'failed' && page) {
			await screenshot(page, `failed-${this.currentTest.title.replace(/\W+/g, '-')}`).catch(
				() => undefined,
			);
		}
	});

	it('activates: the chat view opens and the status bar shows the assistant', async () => {
		await runCommand(page, 'LongRoPE: Open Chat');
		const chat = await viewFrame(page, 'chat');
		await chat.waitForSelector('#prompt');
		await page
			.locator('.statusbar-item')
			.filter({ hasText: /LongRoPE|longrope/ })
			.first()
			.waitFor({ timeout: 30_000 });
		await screenshot(page, '01-activated');
	});

	it('asks about the workspace: the answer streams in with citations, and a citation opens the file', async () => {
		const chat = await viewFrame(page, 'chat');
		// A small greedy model may answer a question with nothing at all: then ask another.
		const questions = [
			'What does the add function in src/math.ts do?',
			'What is in src/math.ts?',
			'Explain src/math.ts',
		];
		let seen: Watch = { busy: false, phases: [], streamed: 0 };
		for (const question of questions) {
			await watchChat(chat);
			await ask(chat, question);
			const answer = await waitForAnswer(chat);
			assert.equal(answer.outcome, 'done', answer.text);
			seen = await watched(chat);
			if (answer.text.trim()) break;
		}
		// Busy first (loading, reading, prefill), then the answer, streamed into the page.
		assert.ok(seen.busy, 'the busy state never showed');
		assert.ok(seen.phases.includes('prefill'), `phases seen: ${seen.phases.join(', ')}`);
		assert.ok(seen.streamed > 0, 'no answer streamed into the chat');
		await chat.waitForSelector('article.turn.assistant:last-of-type a.citation', {
			state: 'attached',
			timeout: 10_000,
		});
		// The files the model was shown are listed under the answer (collapsed): open the list.
		await chat.click('article.turn.assistant:last-of-type details.sources > summary');
		await screenshot(page, '02-answer');
		const link = chat
			.locator('article.turn.assistant')
			.last()
			.locator('a.citation', { hasText: 'src/math.ts' })
			.first();
		const target =
			(await link.count()) > 0
				? link
				: chat.locator('article.turn.assistant').last().locator('a.citation').first();
		const cited = (await target.getAttribute('data-path')) ?? '';
		await target.click();
		await page.waitForFunction(
			(name) => document.querySelector('.tab.active')?.textContent?.includes(name) ?? false,
			path.basename(cited),
			{ timeout: 20_000 },
		);
		assert.match(
			await activeTabTitle(page),
			new RegExp(path.basename(cited).replace('.', '\\.')),
		);
		await screenshot(page, '03-citation-opened');
	});

	it('the diagnostics show the long factor set: the workspace exceeds the original window', async () => {
		await runCommand(page, 'LongRoPE: Show Diagnostics');
		const diagnostics = await viewFrame(page, 'diagnostics');
		await diagnostics.waitForSelector('#active-set', { timeout: 30_000 });
		const text = (await diagnostics.textContent('#diag-factors')) ?? '';
		const m =
			/Planned length ([\d,]+) tokens; original window ([\d,]+); this set's window ([\d,]+)/.exec(
				text,
			);
		assert.ok(m, text);
		const [planned, original, setWindow] = m.slice(1).map((x) => Number(x.replace(/,/g, '')));
		assert.ok(planned > original, `planned ${planned} ≤ original window ${original}`);
		assert.ok(setWindow > original, `set window ${setWindow} is the original window`);
		assert.ok(await diagnostics.$('.lambda-chart rect.bar'));
		assert.ok(await diagnostics.$('table.files tbody tr'));
		await screenshot(page, '04-diagnostics-long-set');
	});

	it('summarizes a file from the palette', async () => {
		await openFile(page, 'src/math.ts');
		await runCommand(page, 'LongRoPE: Summarize File');
		const chat = await viewFrame(page, 'chat');
		await chat.waitForFunction(
			() =>
				[...document.querySelectorAll('article.turn.user')].some((t) =>
					t.textContent?.includes('Summarize the file'),
				),
			undefined,
			{ timeout: 30_000 },
		);
		const answer = await waitForAnswer(chat);
		assert.equal(answer.outcome, 'done', answer.text);
		await screenshot(page, '05-summary');
	});

	it('stops a generation midway', async () => {
		// A longer answer budget, so that there is time to stop it (workspace settings: VS Code
		// watches the workspace's files closely).
		workspaceSettings({ 'longrope.answerTokens': 600 });
		await page.waitForTimeout(3_000);
		const chat = await viewFrame(page, 'chat');
		// Press Stop from inside the page the moment the first words of the answer appear; a
		// question the model answers with nothing, or too fast to stop, is followed by another.
		const questions = [
			'Explain everything the manual in docs/manual.txt says, in detail.',
			'What does the calculator do with the history of results?',
			'How is precision configured?',
		];
		let answer = { text: '', outcome: 'none' };
		for (const question of questions) {
			await chat.evaluate(() => {
				const w = window as unknown as { __stopper?: MutationObserver };
				w.__stopper?.disconnect();
				const observer = new MutationObserver(() => {
					const turns = document.querySelectorAll('article.turn.assistant');
					const last = turns[turns.length - 1];
					const text = last?.querySelector('.body')?.textContent?.trim() ?? '';
					if (last?.hasAttribute('aria-busy') && text && text !== '…') {
						observer.disconnect();
						(document.getElementById('stop') as HTMLButtonElement).click();
					}
				});
				observer.observe(document.getElementById('messages') as HTMLElement, {
					subtree: true,
					childList: true,
					characterData: true,
				});
				w.__stopper = observer;
			});
			await ask(chat, question);
			answer = await waitForAnswer(chat, 120_000);
			if (answer.outcome === 'stopped') break;
		}
		await chat.evaluate(() =>
			(window as unknown as { __stopper?: MutationObserver }).__stopper?.disconnect(),
		);
		assert.equal(answer.outcome, 'stopped', answer.text);
		assert.ok(answer.text.trim().length > 0, 'it stopped before the answer started');
		assert.ok(await chat.$('#busy[hidden]'));
		await screenshot(page, '06-stopped');
		workspaceSettings({ 'longrope.answerTokens': 48 });
		await page.waitForTimeout(3_000);
	});

	it('renders a hostile file and hostile questions inert', async () => {
		const chat = await viewFrame(page, 'chat');
		await ask(
			chat,
			'Summarize docs/hostile.md <img src=x onerror="alert(\'question\')"> <script>alert("q")</script>',
		);
		await waitForAnswer(chat);
		const found = await chat.evaluate(() => ({
			active: document.querySelectorAll(
				'#messages script, #messages img, #messages iframe, #messages svg, #messages [onerror], #messages [onload], #messages a[href^="javascript"]',
			).length,
			pwned: (window as unknown as { pwned?: unknown }).pwned ?? null,
			question:
				document.querySelectorAll('article.turn.user')[
					document.querySelectorAll('article.turn.user').length - 1
				]?.textContent ?? '',
		}));
		assert.equal(found.active, 0);
		assert.equal(found.pwned, null);
		assert.match(found.question, /<img src=x onerror=/);
		await runCommand(page, 'LongRoPE: Show Diagnostics');
		const diagnostics = await viewFrame(page, 'diagnostics');
		const rows = (await diagnostics.textContent('table.files')) ?? '';
		assert.match(rows, /docs\/hostile\.md/);
		assert.deepEqual(dialogs, []);
		await screenshot(page, '07-hostile-inert');
	});
});

describe('the packaged .vsix in a real VS Code', function () {
	this.timeout(900_000);

	it('installs from the .vsix, activates and answers', async () => {
		const tools = provision();
		const model = bundledModel();
		const built = spawnSync('node', ['scripts/package.mjs', 'linux-x64'], {
			cwd: ROOT,
			encoding: 'utf8',
			env: { ...process.env },
		});
		assert.equal(built.status, 0, `${built.stdout}\n${built.stderr}`);
		const vsix = readdirSync(ROOT)
			.filter((f) => f.endsWith('.vsix') && f.includes('linux-x64'))
			.map((f) => path.join(ROOT, f))[0];
		assert.ok(vsix, 'npm run package made no .vsix');
		const workspace = writeFixtureWorkspace(
			path.join(mkdtempSync(path.join(tmpdir(), 'longrope-e2e-vsix-')), 'calculator'),
			originalWindow(model),
		);
		const server = await startCodeServer(tools, {
			extension: { vsix },
			settings: { 'longrope.answerTokens': 24 },
		});
		const browser = await chromium.launch({
			executablePath: tools.chromium,
			args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
		});
		try {
			assert.ok(
				readdirSync(server.extensionsDir).some((d) =>
					d.startsWith('longrope.longrope-assistant'),
				),
				'the .vsix was not installed',
			);
			const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
			await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
			await waitForWorkbench(page);
			await runCommand(page, 'LongRoPE: Open Chat');
			const chat = await viewFrame(page, 'chat');
			await ask(chat, 'What does src/math.ts do?');
			const answer = await waitForAnswer(chat);
			assert.equal(answer.outcome, 'done', answer.text);
			await screenshot(page, '08-vsix');
		} finally {
			await browser.close();
			await server.stop();
		}
	});
});
