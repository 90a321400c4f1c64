import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { JSDOM } from 'jsdom';
import {
	PROTOCOL_VERSION,
	type HostToWebview,
	type WebviewToHost,
} from '../../../extension/protocol';

const ROOT = path.resolve(__dirname, '../../..');

/** The webview bundle as esbuild makes it for dist/webview.js. */
let bundle = '';
before(() => {
	const result = buildSync({
		entryPoints: [path.join(ROOT, 'webview/main.ts')],
		bundle: true,
		write: false,
		platform: 'browser',
		format: 'iife',
		target: 'es2022',
		logLevel: 'silent',
	});
	bundle = result.outputFiles[0].text;
});

/** What a hostile file or a hostile model could put into an answer. */
export const HOSTILE = [
	'```html\n<script>window.pwned = "fenced"</script>\n```',
	'Intro with <script>window.pwned = "script"</script> inline.',
	'<img src=x onerror="window.pwned = \'img\'">',
	'[click me](javascript:window.pwned=%22link%22)',
	'<a href="javascript:window.pwned=\'a\'">raw link</a>',
	'<a href="JaVaScRiPt:window.pwned=1">mixed case</a>',
	'<a href="  javascript:window.pwned=1">leading space</a>',
	'[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
	'<iframe src="javascript:window.parent.pwned=\'iframe\'"></iframe>',
	'<svg onload="window.pwned=\'svg\'"><circle r="1"/></svg>',
	'<details open ontoggle="window.pwned=\'details\'">x</details>',
	'<div style="background:url(http://example.invalid/x.png)">styled</div>',
	'<form action="http://example.invalid"><input name=a><button>go</button></form>',
	'<object data="x.swf"></object><embed src="x.swf">',
	'<math><mtext><table><mglyph><style><img src=x onerror="window.pwned=\'mxss\'">',
	'<a href="#" onclick="window.pwned=\'onclick\'">hash link</a>',
	'![remote](http://example.invalid/track.png)',
	'Cites src/a.ts:12 and `lib/b.ts:3`.',
].join('\n\n');

interface Page {
	dom: JSDOM;
	window: JSDOM['window'];
	document: Document;
	posted: WebviewToHost[];
	warnings: unknown[][];
	receive(message: unknown): void;
	frame(): Promise<void>;
}

function openPage(view: 'chat' | 'diagnostics'): Page {
	const dom = new JSDOM(
		`<!DOCTYPE html><html><body data-view="${view}"><div id="app"></div></body></html>`,
		{ runScripts: 'dangerously', pretendToBeVisual: true, url: 'https://webview.invalid/' },
	);
	const window = dom.window;
	const posted: WebviewToHost[] = [];
	const warnings: unknown[][] = [];
	Object.assign(window, {
		acquireVsCodeApi: () => ({
			postMessage: (m: WebviewToHost) =>
				posted.push(JSON.parse(JSON.stringify(m)) as WebviewToHost),
		}),
	});
	window.console.warn = (...args: unknown[]) => warnings.push(args);
	window.eval(bundle);
	return {
		dom,
		window,
		document: window.document,
		posted,
		warnings,
		receive(message) {
			window.dispatchEvent(new window.MessageEvent('message', { data: message }));
		},
		frame: () => new Promise((resolve) => window.requestAnimationFrame(() => resolve())),
	};
}

function init(page: Page, extra: Partial<Extract<HostToWebview, { type: 'init' }>> = {}): void {
	page.receive({
		type: 'init',
		protocolVersion: PROTOCOL_VERSION,
		view: 'chat',
		history: [],
		status: { state: 'idle', model: 'longrope-tiny' },
		diagnostics: {},
		...extra,
	} satisfies HostToWebview);
}

/** The host starting turn `requestId` for the question "q". */
function startTurn(page: Page, requestId: string): void {
	page.receive({
		type: 'turnStart',
		requestId,
		user: { id: `${requestId}-q`, role: 'user', text: 'q' },
		assistantId: `${requestId}-a`,
	});
}

/** Everything in a subtree that could run code or load something. */
function activeContent(root: Element): string[] {
	const found: string[] = [];
	for (const element of Array.from(root.querySelectorAll('*'))) {
		const tag = element.tagName.toLowerCase();
		if (
			[
				'script',
				'iframe',
				'object',
				'embed',
				'form',
				'input',
				'img',
				'style',
				'svg',
				'math',
				'details',
				'link',
				'meta',
				'base',
			].includes(tag)
		) {
			found.push(`<${tag}>`);
		}
		for (const attr of Array.from(element.attributes)) {
			if (/^on/i.test(attr.name)) found.push(`${tag}[${attr.name}]`);
			if (attr.name === 'style') found.push(`${tag}[style]`);
			if (['href', 'src', 'action', 'data', 'xlink:href', 'formaction'].includes(attr.name)) {
				const value = [...attr.value]
					.filter((c) => c.charCodeAt(0) > 0x20)
					.join('')
					.toLowerCase();
				if (!/^(https?:|mailto:|#|$)/.test(value))
					found.push(`${tag}[${attr.name}=${attr.value}]`);
			}
		}
	}
	return found;
}

describe('webview: chat page (the real bundle in jsdom)', () => {
	it('says ready with its view and protocol version, and nothing before init', () => {
		const page = openPage('chat');
		assert.deepEqual(page.posted, [
			{ type: 'ready', protocolVersion: PROTOCOL_VERSION, view: 'chat' },
		]);
	});

	it('drops malformed and unknown messages, logging them', () => {
		const page = openPage('chat');
		init(page);
		const before = page.document.getElementById('messages')?.innerHTML;
		page.receive({ type: 'delta', text: 'no request id' });
		page.receive({ type: 'turnStart', requestId: 'r1' });
		page.receive({ type: 'evil', html: '<img src=x onerror=alert(1)>' });
		page.receive('<script>');
		page.receive({ type: 'history', history: [{ id: 'x', role: 'system', text: 'sneaky' }] });
		assert.equal(page.document.getElementById('messages')?.innerHTML, before);
		assert.equal(page.warnings.length, 5);
	});

	it('renders hostile model output and file text inert: nothing runs, nothing loads', async () => {
		const page = openPage('chat');
		init(page);
		page.receive({
			type: 'turnStart',
			requestId: 'r1',
			user: {
				id: 'r1-q',
				role: 'user',
				text: '<img src=x onerror="window.pwned=\'user\'"> what?',
			},
			assistantId: 'r1-a',
		});
		// Streamed in awkward pieces, as a model would.
		for (let at = 0; at < HOSTILE.length; at += 7) {
			page.receive({ type: 'delta', requestId: 'r1', text: HOSTILE.slice(at, at + 7) });
		}
		await page.frame();
		const answer = page.document.querySelector('[data-turn="r1-a"] .body');
		assert.ok(answer);
		assert.deepEqual(activeContent(answer), []);
		page.receive({
			type: 'turnEnd',
			requestId: 'r1',
			outcome: 'done',
			text: HOSTILE,
			note: '<b>not html</b>',
		});
		const log = page.document.getElementById('messages');
		assert.ok(log);
		assert.deepEqual(activeContent(log), []);
		// The user's text and the note are text, not HTML.
		assert.match(
			page.document.querySelector('[data-turn="r1-q"]')?.textContent ?? '',
			/<img src=x onerror=/,
		);
		assert.match(page.document.querySelector('.note')?.textContent ?? '', /<b>not html<\/b>/);
		// The fenced script is shown as code.
		assert.match(
			answer.querySelector('pre code')?.textContent ?? '',
			/<script>window\.pwned = "fenced"<\/script>/,
		);
		// Clicking every link runs nothing either.
		for (const link of Array.from(answer.querySelectorAll('a'))) (link as HTMLElement).click();
		await new Promise((resolve) => setTimeout(resolve, 20));
		assert.equal((page.window as unknown as { pwned?: unknown }).pwned, undefined);
		page.window.close();
	});

	it('control: the same content inserted unsanitized does run (so the test above can fail)', async () => {
		const page = openPage('chat');
		const box = page.document.createElement('div');
		box.innerHTML = '<a href="#" onclick="window.pwned=\'onclick\'">hash link</a>';
		page.document.body.append(box);
		(box.querySelector('a') as HTMLElement).click();
		assert.equal((page.window as unknown as { pwned?: unknown }).pwned, 'onclick');
		assert.notDeepEqual(activeContent(box), []);
	});

	it('links the citations the host checked, to the file it resolved; other path:line stay text', async () => {
		const page = openPage('chat');
		init(page, {
			history: [
				{
					id: 'a1',
					role: 'assistant',
					text: 'See src/a.ts:12, `b.ts:3` and src/made/up.ts:4; not http://x.invalid:80.',
					outcome: 'done',
					citations: [
						{ text: 'src/a.ts:12', path: 'src/a.ts', line: 12 },
						{ text: 'b.ts:3', path: 'lib/b.ts', line: 3 },
					],
				},
			],
		});
		const links = Array.from(page.document.querySelectorAll('a.citation')) as HTMLElement[];
		assert.deepEqual(
			links.map((l) => l.textContent),
			['src/a.ts:12', 'b.ts:3'],
		);
		assert.match(page.document.body.textContent ?? '', /src\/made\/up\.ts:4/);
		links[0].click();
		links[1].click();
		assert.deepEqual(page.posted.slice(1), [
			{ type: 'openCitation', path: 'src/a.ts', line: 12 },
			{ type: 'openCitation', path: 'lib/b.ts', line: 3 },
		]);
	});

	it('links the citations of an answer when it ends, as the host checked them', () => {
		const page = openPage('chat');
		init(page);
		startTurn(page, 'r1');
		page.receive({
			type: 'turnEnd',
			requestId: 'r1',
			outcome: 'done',
			text: 'In src/a.ts:2, not in src/b.ts:9.',
			citations: [{ text: 'src/a.ts:2', path: 'src/a.ts', line: 2 }],
		});
		const links = Array.from(page.document.querySelectorAll('.body a.citation'));
		assert.deepEqual(
			links.map((l) => l.textContent),
			['src/a.ts:2'],
		);
	});

	it('lists the files the model was shown as links to their lines', () => {
		const page = openPage('chat');
		init(page);
		startTurn(page, 'r1');
		page.receive({
			type: 'turnEnd',
			requestId: 'r1',
			outcome: 'done',
			text: 'An answer.',
			sources: [
				{ path: 'src/a.ts', from: 1, to: 40 },
				{ path: 'README.md', from: 1, to: 1 },
			],
		});
		const links = Array.from(
			page.document.querySelectorAll('.sources a.citation'),
		) as HTMLElement[];
		assert.deepEqual(
			links.map((l) => l.textContent),
			['src/a.ts:1-40', 'README.md:1'],
		);
		links[0].click();
		assert.deepEqual(page.posted.at(-1), { type: 'openCitation', path: 'src/a.ts', line: 1 });
	});

	it('Enter sends, Shift+Enter does not; the send button is off while busy; Stop stops', () => {
		const page = openPage('chat');
		init(page);
		const input = page.document.getElementById('prompt') as HTMLTextAreaElement;
		const key = (shiftKey: boolean) =>
			input.dispatchEvent(
				new page.window.KeyboardEvent('keydown', {
					key: 'Enter',
					shiftKey,
					bubbles: true,
					cancelable: true,
				}),
			);
		input.value = 'first line';
		key(true);
		assert.equal(page.posted.length, 1);
		key(false);
		const ask = page.posted[1] as Extract<WebviewToHost, { type: 'ask' }>;
		assert.equal(ask.type, 'ask');
		assert.equal(ask.text, 'first line');
		assert.equal(input.value, '');
		page.receive({
			type: 'turnStart',
			requestId: ask.requestId,
			user: { id: 'q', role: 'user', text: 'first line' },
			assistantId: 'a',
		});
		assert.equal((page.document.getElementById('send') as HTMLButtonElement).disabled, true);
		assert.equal((page.document.getElementById('busy') as HTMLElement).hidden, false);
		page.receive({
			type: 'progress',
			requestId: ask.requestId,
			progress: {
				phase: 'prefill',
				done: 512,
				total: 2048,
				etaSeconds: 3.2,
				tokensPerSecond: 400,
			},
		});
		assert.match(
			page.document.getElementById('busy-text')?.textContent ?? '',
			/512 \/ 2,048 tokens · 400 tok\/s · 3 s left/,
		);
		(page.document.getElementById('stop') as HTMLButtonElement).click();
		assert.deepEqual(page.posted.at(-1), { type: 'stop', requestId: ask.requestId });
		page.receive({
			type: 'turnEnd',
			requestId: ask.requestId,
			outcome: 'stopped',
			text: 'partial',
		});
		assert.equal((page.document.getElementById('busy') as HTMLElement).hidden, true);
		assert.match(
			page.document.querySelector('[data-turn="a"]')?.textContent ?? '',
			/partial[\s\S]*Stopped\./,
		);
	});

	it('shows an empty answer as such, with the reason the host gave; a stop before any text says so', () => {
		const page = openPage('chat');
		init(page);
		const note = (id: string) =>
			page.document.querySelector(`[data-turn="${id}"] .note`)?.textContent?.trim();
		const announced = () => page.document.querySelector('[aria-live]')?.textContent;
		startTurn(page, 'r1');
		page.receive({
			type: 'turnEnd',
			requestId: 'r1',
			outcome: 'done',
			text: '\n',
			note: 'The model answered with nothing: its stop token came first.',
		});
		const empty = page.document.querySelector('[data-turn="r1-a"]') as HTMLElement;
		assert.ok(empty.classList.contains('empty'));
		assert.equal(note('r1-a'), 'The model answered with nothing: its stop token came first.');
		assert.ok(empty.querySelector('.note .codicon-warning'));
		assert.equal(announced(), 'The model gave no answer.');

		startTurn(page, 'r2');
		page.receive({ type: 'turnEnd', requestId: 'r2', outcome: 'done', text: 'Yes.' });
		assert.equal(
			page.document.querySelector('[data-turn="r2-a"]')?.classList.contains('empty'),
			false,
		);
		assert.equal(note('r2-a'), undefined);
		assert.equal(announced(), 'Answer complete.');

		startTurn(page, 'r3');
		page.receive({
			type: 'turnEnd',
			requestId: 'r3',
			outcome: 'stopped',
			text: '',
			note: 'The model had not said anything yet.',
		});
		assert.equal(note('r3-a'), 'Stopped. The model had not said anything yet.');
		assert.equal(
			page.document.querySelector('[data-turn="r3-a"]')?.classList.contains('empty'),
			false,
		);

		// A saved empty turn without a note (from an older version) is still not silent.
		page.receive({
			type: 'history',
			history: [{ id: 'old', role: 'assistant', text: '', outcome: 'done' }],
		});
		assert.equal(note('old'), 'The model gave no answer.');
	});

	it('code blocks have a copy button that sends the code to the host', () => {
		const page = openPage('chat');
		init(page, {
			history: [
				{ id: 'a1', role: 'assistant', text: '```ts\nconst x = 1;\n```', outcome: 'done' },
			],
		});
		(page.document.querySelector('button.copy-code') as HTMLButtonElement).click();
		assert.deepEqual(page.posted.at(-1), { type: 'copy', text: 'const x = 1;\n' });
	});

	it('new chat asks the host; a history message replaces the log', () => {
		const page = openPage('chat');
		init(page, { history: [{ id: 'q1', role: 'user', text: 'old' }] });
		(page.document.getElementById('new-chat') as HTMLButtonElement).click();
		assert.deepEqual(page.posted.at(-1), { type: 'newChat' });
		page.receive({ type: 'history', history: [] });
		assert.equal(page.document.querySelectorAll('.turn').length, 0);
		assert.ok(page.document.getElementById('empty'));
	});
});

describe('webview: diagnostics page', () => {
	it('shows budget, factor set, λ chart, KV memory, speed and the file table, as text', () => {
		const page = openPage('diagnostics');
		page.receive({
			type: 'init',
			protocolVersion: PROTOCOL_VERSION,
			view: 'diagnostics',
			history: [],
			status: { state: 'idle' },
			diagnostics: {
				budget: {
					window: 8192,
					windowSet: 'long',
					template: 50,
					context: 6000,
					question: 12,
					history: 0,
					answer: 160,
					free: 1970,
				},
				files: [
					{
						path: '<img src=x onerror="window.pwned=1">.md',
						status: 'included',
						reason: '<b>why</b>',
						tokens: 10,
					},
					{
						path: 'big.txt',
						status: 'truncated',
						reason: 'cut',
						tokens: 100,
						fileTokens: 900,
						lines: '1–20 of 300',
					},
				],
				kv: {
					plannedBytes: 50 * 1024 * 1024,
					usedBytes: 40 * 1024 * 1024,
					capBytes: 1024 ** 3,
				},
				factors: {
					set: 'long',
					method: 'longrope',
					reason: 'planned length 6222 is beyond the original window 2048',
					plannedLength: 6222,
					originalWindow: 2048,
					setWindow: 8192,
					maxWindow: 8192,
					nHat: 4,
					attentionFactor: 1.19,
					factors: [1, 1.1, 1.5, 2, 3, 4, 6, 8],
					sets: [
						{ name: 'short', maxLength: 2048 },
						{ name: 'long', maxLength: 8192 },
					],
				},
				speed: {
					promptTokens: 6062,
					reusedTokens: 0,
					newTokens: 40,
					timeToFirstTokenMs: 900,
					prefillTokensPerSecond: 6700,
					decodeTokensPerSecond: 120,
					stopReason: 'stop-token',
				},
			},
		});
		const text = page.document.body.textContent ?? '';
		assert.match(text, /Window 8,192 tokens \(set "long"\)/);
		assert.match(text, /Workspace context: 6,000/);
		assert.equal(page.document.getElementById('active-set')?.textContent, 'long');
		assert.match(text, /beyond the original window 2048/);
		assert.equal(page.document.querySelectorAll('.lambda-chart rect.bar').length, 8);
		assert.match(text, /Planned50\.0 MiB/);
		assert.match(text, /6700 tokens\/s/);
		assert.match(text, /100 \/ 900/);
		assert.equal(page.document.querySelectorAll('table.files tbody tr').length, 2);
		const table = page.document.querySelector('table.files');
		assert.ok(table);
		assert.deepEqual(activeContent(table), []);
		assert.equal(page.document.querySelectorAll('img, script').length, 0);
		(page.document.querySelector('table.files a') as HTMLElement).click();
		assert.deepEqual(page.posted.at(-1), {
			type: 'openCitation',
			path: '<img src=x onerror="window.pwned=1">.md',
			line: 1,
		});
	});
});
