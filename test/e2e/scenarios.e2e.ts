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
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { findModelFolder } from '../../extension/runtime/modelFolder';
import { startCodeServer, type CodeServer } from './codeServer';
import { writeFixtureWorkspace } from './fixture';
import { cliAnswer } from './cliAnswer';
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
/** The bundled model before the retraining for workspaces (test/fixtures/longrope-tiny-v1/README.md). */
const PREVIOUS_MODEL = path.join(ROOT, 'test', 'fixtures', 'longrope-tiny-v1');

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
 * The long-context scenario needs a factor set beyond the bundled model's original window
 * (its searched sets in longrope.json).
 */
function assertLongSet(folder: string): void {
	const original = originalWindow(folder);
	const file = path.join(folder, 'longrope.json');
	const sets = existsSync(file)
		? (JSON.parse(readFileSync(file, 'utf8')) as { sets: { maxLength: number }[] }).sets
		: [];
	assert.ok(
		sets.some((s) => s.maxLength > original),
		`${folder} has no factor set beyond its original window of ${original} tokens (longrope.json)`,
	);
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

/** The fixture workspace's temporary folder goes, unless LONGROPE_E2E_KEEP=1 keeps it. */
function removeWorkspace(workspace: string): void {
	if (process.env.LONGROPE_E2E_KEEP !== '1') {
		rmSync(path.dirname(workspace), { recursive: true, force: true });
	}
}

/** Starts a new chat, so that the next question's prompt is the CLI's (no earlier turns). */
async function newChat(chat: Frame): Promise<void> {
	await chat.click('#new-chat');
	await chat.waitForSelector('#empty', { state: 'attached', timeout: 10_000 });
}

/** Whether the chat shows its demonstration notice: rendered, not just its hidden flag. */
async function demoNoticeShown(chat: Frame): Promise<boolean> {
	return chat.locator('#demo-notice').isVisible();
}

async function waitForDemoNotice(chat: Frame, shown: boolean): Promise<void> {
	await chat
		.locator('#demo-notice')
		.waitFor({ state: shown ? 'visible' : 'hidden', timeout: 30_000 });
}

/** The last assistant turn's note and whether the chat marks it as an empty answer. */
async function lastNote(chat: Frame): Promise<{ note: string; empty: boolean }> {
	return chat.evaluate(() => {
		const turns = document.querySelectorAll('article.turn.assistant');
		const last = turns[turns.length - 1];
		return {
			note: last?.querySelector('.note')?.textContent?.trim() ?? '',
			empty: last?.classList.contains('empty') ?? false,
		};
	});
}

interface RequestLine {
	promptTokens: number;
	newTokens: number;
	promptSha256?: string;
}

/** The editor's log lines of its requests of `kind` (ask, summarize). */
function requestLines(server: CodeServer, kind: string): RequestLine[] {
	const pattern = new RegExp(
		`\\b${kind}: (\\d+) prompt tokens \\(\\d+ reused\\), (\\d+) new,.*?(?:prompt sha256 ([0-9a-f]{64}))?$`,
		'gm',
	);
	return [...server.extensionLog().matchAll(pattern)].map((m) => ({
		promptTokens: Number(m[1]),
		newTokens: Number(m[2]),
		...(m[3] ? { promptSha256: m[3] } : {}),
	}));
}

/**
 * The editor's log line of the request that `matches` (the CLI's prompt hash, say): its prompt
 * and answer token counts. The log reaches its file a moment after the answer.
 */
async function loggedRequest(
	server: CodeServer,
	kind: string,
	matches: (line: RequestLine) => boolean,
): Promise<RequestLine> {
	const deadline = Date.now() + 15_000;
	for (;;) {
		const line = requestLines(server, kind).find(matches);
		if (line) return line;
		if (Date.now() > deadline) {
			throw new Error(
				`the editor ran no such ${kind} request; its ${kind} requests: ${JSON.stringify(requestLines(server, kind))}`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

describe('LongRoPE Assistant in a real VS Code (code-server + Chromium)', function () {
	this.timeout(900_000);
	let tools: Provisioned;
	let server: CodeServer;
	let browser: Browser | undefined;
	let page: Page;
	let workspace = '';
	let model = '';
	const ANSWER_TOKENS = 48;
	const dialogs: string[] = [];
	const workspaceSettings = async (values: Record<string, unknown>) => {
		mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
		writeFileSync(
			path.join(workspace, '.vscode', 'settings.json'),
			JSON.stringify(values, null, 2),
		);
		// VS Code watches the workspace's files closely, but not instantly.
		await page.waitForTimeout(3_000);
	};
	/** The chat's model becomes PREVIOUS_MODEL (a machine setting, as for the replica). */
	const usePreviousModel = async (chat: Frame) => {
		server.updateMachineSettings({ 'longrope.modelPath': PREVIOUS_MODEL });
		await waitForDemoNotice(chat, false);
	};
	/** What the CLI answers for this question on the workspace, with the chat's model. */
	const cliAsk = (question: string, answerTokens: number, folder = model) =>
		cliAnswer(
			[
				'ask',
				question,
				'--workspace',
				workspace,
				'--model',
				folder,
				'--max-new-tokens',
				`${answerTokens}`,
			],
			workspace,
		);

	before(async function () {
		rmSync(ARTIFACTS, { recursive: true, force: true });
		tools = provision();
		model = bundledModel();
		assertLongSet(model);
		workspace = writeFixtureWorkspace(
			path.join(mkdtempSync(path.join(tmpdir(), 'longrope-e2e-ws-')), 'calculator'),
			originalWindow(model),
		);
		if (!existsSync(path.join(ROOT, 'dist', 'extension.js'))) {
			throw new Error('dist/ is not built: run `npm run build` first');
		}
		// No model folder set: the bundled model answers (and the chat says it is a demonstration).
		server = await startCodeServer(tools, {
			extension: { folder: ROOT },
			settings: { 'longrope.answerTokens': ANSWER_TOKENS },
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
		if (workspace) removeWorkspace(workspace);
	});

	afterEach(async function () {
		if (this.currentTest?.state === 'failed' && page) {
			await screenshot(page, `failed-${this.currentTest.title.replace(/\W+/g, '-')}`).catch(
				() => undefined,
			);
		}
	});

	it('activates: the chat view opens, the status bar shows the assistant, the chat says the bundled model is a demonstration', async () => {
		await runCommand(page, 'LongRoPE: Open Chat');
		const chat = await viewFrame(page, 'chat');
		await chat.waitForSelector('#prompt');
		await page
			.locator('.statusbar-item')
			.filter({ hasText: /LongRoPE|longrope/ })
			.first()
			.waitFor({ timeout: 30_000 });
		await waitForDemoNotice(chat, true);
		await screenshot(page, '01-activated');
	});

	it('asks about the workspace: the answer streams in, token for token as the CLI gives it, and a file from the list of context files opens', async () => {
		const chat = await viewFrame(page, 'chat');
		const question = 'What does the add function in src/math.ts do?';
		// The bundled greedy model's answer, known before asking: it must have text to stream.
		const expected = cliAsk(question, ANSWER_TOKENS);
		assert.ok(
			expected.answer.trim(),
			`the bundled model answers "${question}" with nothing (${expected.stopReason}): choose another question`,
		);
		await watchChat(chat);
		await ask(chat, question);
		const answer = await waitForAnswer(chat);
		assert.equal(answer.outcome, 'done', answer.text);
		const seen = await watched(chat);
		// Busy first (loading, reading, prefill), then the answer, streamed into the page.
		assert.ok(seen.busy, 'the busy state never showed');
		assert.ok(seen.phases.includes('prefill'), `phases seen: ${seen.phases.join(', ')}`);
		assert.ok(seen.streamed > 0, 'no answer streamed into the chat');
		assert.ok(answer.text.trim(), 'the chat shows no answer');
		// The editor ran the CLI's prompt (found by its hash in the log)…
		const line = await loggedRequest(
			server,
			'ask',
			(l) => l.promptSha256 === expected.promptSha256,
		);
		// … and its answer has the CLI's length.
		assert.equal(line.newTokens, expected.tokensOut);
		// Citations in the answer are linked as the CLI validates them (this model writes none).
		const inAnswer = await chat
			.locator('article.turn.assistant')
			.last()
			.locator('.body a.citation')
			.evaluateAll((links) => links.map((l) => l.textContent));
		assert.equal(inAnswer.length, expected.citations.length, inAnswer.join(', '));
		// The files the model was shown are listed under the answer (collapsed): open the list.
		await chat.click('article.turn.assistant:last-of-type details.sources > summary');
		const listed = await chat
			.locator('article.turn.assistant')
			.last()
			.locator('details.sources a.citation')
			.evaluateAll((links) => links.map((l) => l.textContent));
		assert.deepEqual(
			listed,
			(expected.sources ?? []).map(
				(s) => `${s.path}:${s.from}${s.to > s.from ? `-${s.to}` : ''}`,
			),
		);
		await screenshot(page, '02-answer');
		await chat
			.locator('article.turn.assistant')
			.last()
			.locator('details.sources a.citation', { hasText: 'src/math.ts' })
			.click();
		await page.waitForFunction(
			() => document.querySelector('.tab.active')?.textContent?.includes('math.ts') ?? false,
			undefined,
			{ timeout: 20_000 },
		);
		assert.match(await activeTabTitle(page), /math\.ts/);
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
		assert.match(
			(await diagnostics.textContent('#diag-model')) ?? '',
			/longrope-tiny \(the project's own graph\)/,
		);
		await screenshot(page, '04-diagnostics-long-set');
	});

	it('summarizes a file from the palette: as the CLI does, and as long', async () => {
		const expected = cliAnswer(
			['summarize', 'src/math.ts', '--model', model, '--max-new-tokens', `${ANSWER_TOKENS}`],
			workspace,
		);
		assert.ok(expected.answer.trim(), `the bundled model summarizes src/math.ts with nothing`);
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
		assert.ok(answer.text.trim(), 'the chat shows no summary');
		// The CLI's prompt length (summaries log no hash), and its answer length.
		const line = await loggedRequest(
			server,
			'summarize',
			(l) => l.promptTokens === expected.tokensIn,
		);
		assert.equal(line.newTokens, expected.tokensOut);
		await screenshot(page, '05-summary');
	});

	it('renders a hostile file and hostile questions inert', async () => {
		const chat = await viewFrame(page, 'chat');
		await ask(
			chat,
			'Summarize docs/hostile.md <img src=x onerror="alert(\'question\')"> <script>alert("q")</script>',
		);
		assert.equal((await waitForAnswer(chat)).outcome, 'done');
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
		await screenshot(page, '06-hostile-inert');
	});

	it('answers with an ONNX Runtime GenAI folder (a random-weight Phi-4-mini replica) set as the model: streamed, no demonstration notice, its sets in the diagnostics', async () => {
		const replica = path.join(ROOT, 'test', 'fixtures', 'replicas', 'phi4-mini');
		const config = JSON.parse(readFileSync(path.join(replica, 'config.json'), 'utf8')) as {
			original_max_position_embeddings: number;
			max_position_embeddings: number;
		};
		const question = 'What does the add function in src/math.ts do?';
		const chat = await viewFrame(page, 'chat');
		await runCommand(page, 'View: Close All Editors');
		await newChat(chat);
		// longrope.modelPath is machine-scoped: code-server's remote extension host reads it from
		// the machine's settings.
		server.updateMachineSettings({ 'longrope.modelPath': replica });
		await waitForDemoNotice(chat, false);
		// Random weights answer noise, but the same noise as the CLI's, and this noise has text.
		const expected = cliAsk(question, ANSWER_TOKENS, replica);
		assert.ok(
			expected.answer.trim(),
			`the replica answers "${question}" with nothing (${expected.stopReason}): choose another question`,
		);
		await watchChat(chat);
		await ask(chat, question);
		const answer = await waitForAnswer(chat);
		assert.equal(answer.outcome, 'done', answer.text);
		assert.ok((await watched(chat)).streamed > 0, 'no answer streamed into the chat');
		assert.ok(answer.text.trim(), 'the chat shows no answer');
		// The editor ran the CLI's prompt (found by its hash in the log)…
		const line = await loggedRequest(
			server,
			'ask',
			(l) => l.promptSha256 === expected.promptSha256,
		);
		// … and its answer has the CLI's length.
		assert.equal(line.newTokens, expected.tokensOut);
		assert.equal(await demoNoticeShown(chat), false);
		await screenshot(page, '07-genai-answer');

		await runCommand(page, 'LongRoPE: Show Diagnostics');
		const diagnostics = await viewFrame(page, 'diagnostics');
		await diagnostics.waitForFunction(
			() =>
				document.getElementById('diag-model')?.textContent?.includes('phi4-mini') ?? false,
			undefined,
			{ timeout: 30_000 },
		);
		const section = (await diagnostics.textContent('#diag-model')) ?? '';
		assert.match(section, /phi4-mini \(ONNX Runtime GenAI export\)/);
		assert.match(
			section,
			new RegExp(
				`sets short ${config.original_max_position_embeddings}, long ${config.max_position_embeddings}`,
			),
		);
		await screenshot(page, '08-genai-diagnostics');

		// Back to the bundled model: the chat says again that it is a demonstration.
		server.updateMachineSettings({ 'longrope.modelPath': undefined });
		await waitForDemoNotice(chat, true);
	});

	it('stops a generation midway', async () => {
		// A long answer budget, a fresh chat and no open editor: the prompt is the CLI's, whose
		// answer runs to the end of the budget, so there is time to stop it. The bundled model
		// answers in a sentence; its predecessor (PREVIOUS_MODEL) runs on.
		const answerTokens = 600;
		const question = 'Explain everything the manual in docs/manual.txt says, in detail.';
		await workspaceSettings({ 'longrope.answerTokens': answerTokens });
		await runCommand(page, 'View: Close All Editors');
		const chat = await viewFrame(page, 'chat');
		await usePreviousModel(chat);
		await newChat(chat);
		const expected = cliAsk(question, answerTokens, PREVIOUS_MODEL);
		assert.equal(
			expected.stopReason,
			'max-tokens',
			`the previous bundled model's answer to "${question}" ends after ${expected.tokensOut} tokens: choose another question`,
		);
		// Press Stop from inside the page the moment the first words of the answer appear.
		await chat.evaluate(() => {
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
		});
		await ask(chat, question);
		const answer = await waitForAnswer(chat, 120_000);
		assert.equal(answer.outcome, 'stopped', answer.text);
		assert.ok(answer.text.trim().length > 0, 'it stopped before the answer started');
		assert.ok(
			answer.text.length < expected.answer.length,
			`it ran to the end: ${answer.text.length} characters of ${expected.answer.length}`,
		);
		assert.match((await lastNote(chat)).note, /^Stopped\./);
		assert.ok(await chat.$('#busy[hidden]'));
		await screenshot(page, '09-stopped');
	});

	it('says why an answer is empty: a one-token budget the model spends on a line break', async () => {
		// The bundled model begins every answer with a word; its predecessor, shown the files with
		// numbered lines, answers "README?" with a tab.
		const question = 'README?';
		await workspaceSettings({ 'longrope.answerTokens': 1 });
		const chat = await viewFrame(page, 'chat');
		await usePreviousModel(chat);
		await newChat(chat);
		const expected = cliAsk(question, 1, PREVIOUS_MODEL);
		assert.deepEqual(
			{ text: expected.answer.trim(), stopReason: expected.stopReason },
			{ text: '', stopReason: 'max-tokens' },
			`the previous bundled model does not begin its answer to "${question}" with blank space: choose another question`,
		);
		await ask(chat, question);
		const answer = await waitForAnswer(chat);
		assert.equal(answer.outcome, 'done');
		assert.deepEqual(await lastNote(chat), {
			note: 'The model answered with nothing but blank space (1 token): the answer budget of 1 token (longrope.answerTokens) ran out before any text.',
			empty: true,
		});
		// The editor ran the CLI's prompt (found by its hash in the log), one token long.
		const line = await loggedRequest(
			server,
			'ask',
			(l) => l.promptSha256 === expected.promptSha256,
		);
		assert.equal(line.newTokens, 1);
		await screenshot(page, '10-empty-answer');
		server.updateMachineSettings({ 'longrope.modelPath': undefined });
		await waitForDemoNotice(chat, true);
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
			const question = 'What does src/math.ts do?';
			const expected = cliAnswer(
				[
					'ask',
					question,
					'--workspace',
					workspace,
					'--model',
					model,
					'--max-new-tokens',
					'24',
				],
				workspace,
			);
			assert.ok(
				expected.answer.trim(),
				`the bundled model answers "${question}" with nothing`,
			);
			await ask(chat, question);
			const answer = await waitForAnswer(chat);
			assert.equal(answer.outcome, 'done', answer.text);
			assert.ok(answer.text.trim(), 'the chat shows no answer');
			await screenshot(page, '11-vsix');
		} finally {
			await browser.close();
			await server.stop();
			removeWorkspace(workspace);
		}
	});
});
