import * as assert from 'node:assert/strict';
import {
	CITATION_PATTERN,
	PROTOCOL_VERSION,
	assertNever,
	isHostToWebview,
	isWebviewToHost,
	type Diagnostics,
} from '../../extension/protocol';

const diagnostics: Diagnostics = {
	model: 'longrope-tiny',
	budget: {
		window: 4096,
		windowSet: 'long',
		template: 40,
		context: 3000,
		question: 10,
		history: 0,
		answer: 160,
		free: 886,
	},
	files: [{ path: 'src/a.ts', status: 'included', reason: 'relevant', tokens: 120 }],
	kv: { plannedBytes: 1000, capBytes: 2000 },
	factors: {
		set: 'long',
		method: 'longrope',
		reason: 'planned 4000 > 2048',
		plannedLength: 4000,
		originalWindow: 2048,
		setWindow: 8192,
		maxWindow: 8192,
		nHat: 0,
		attentionFactor: 1.1,
		factors: [1, 1.5, 2],
		sets: [{ name: 'long', maxLength: 8192 }],
	},
	speed: {
		promptTokens: 3900,
		reusedTokens: 0,
		newTokens: 20,
		timeToFirstTokenMs: 120,
		prefillTokensPerSecond: 3000,
		decodeTokensPerSecond: 80,
		stopReason: 'stop-token',
	},
};

describe('webview protocol', () => {
	it('recognises each message from the webview and refuses anything else', () => {
		const good = [
			{ type: 'ready', protocolVersion: PROTOCOL_VERSION, view: 'chat' },
			{ type: 'ask', requestId: 'r1', text: 'where is main?' },
			{ type: 'stop' },
			{ type: 'stop', requestId: 'r1' },
			{ type: 'newChat' },
			{ type: 'openCitation', path: 'src/a.ts', line: 12 },
			{ type: 'copy', text: 'x' },
			{ type: 'command', command: 'showDiagnostics' },
		];
		for (const message of good) assert.ok(isWebviewToHost(message), JSON.stringify(message));
		const bad: unknown[] = [
			null,
			'ready',
			[],
			{ type: 'ready' },
			{ type: 'ready', protocolVersion: 2, view: 'other' },
			{ type: 'init', protocolVersion: 1 },
			{ type: 'ask', requestId: 'r1', text: '   ' },
			{ type: 'ask', requestId: 'r 1; drop', text: 'q' },
			{ type: 'ask', requestId: 'r1', text: 7 },
			{ type: 'openCitation', path: 'a.ts', line: 0 },
			{ type: 'openCitation', path: 'a.ts', line: 1.5 },
			{ type: 'openCitation', path: '', line: 3 },
			{ type: 'command', command: 'workbench.action.terminal.new' },
			{ type: 'toString' },
			{ type: '__proto__' },
			{ type: 'constructor' },
			{ type: 'hasOwnProperty' },
			JSON.parse('{"type":"__proto__","protocolVersion":2}'),
		];
		for (const message of bad) assert.ok(!isWebviewToHost(message), JSON.stringify(message));
	});

	it('recognises each message from the host and refuses malformed ones', () => {
		const good = [
			{
				type: 'init',
				protocolVersion: PROTOCOL_VERSION,
				view: 'chat',
				history: [{ id: 'a1', role: 'assistant', text: 'hi', outcome: 'done' }],
				status: { state: 'idle', model: 'm' },
				diagnostics,
			},
			{
				type: 'status',
				status: { state: 'busy', set: 'long', contextUsed: 5, contextWindow: 10 },
			},
			{
				type: 'turnStart',
				requestId: 'r1',
				user: { id: 'q1', role: 'user', text: 'q' },
				assistantId: 'a1',
			},
			{
				type: 'progress',
				requestId: 'r1',
				progress: { phase: 'prefill', done: 1, total: 2, etaSeconds: 3 },
			},
			{ type: 'delta', requestId: 'r1', text: '<script>' },
			{ type: 'turnEnd', requestId: 'r1', outcome: 'stopped', text: '' },
			{
				type: 'turnEnd',
				requestId: 'r1',
				outcome: 'done',
				text: 'b.ts:3',
				citations: [{ text: 'b.ts:3', path: 'lib/b.ts', line: 3 }],
			},
			{ type: 'history', history: [] },
			{ type: 'diagnostics', diagnostics },
			{ type: 'diagnostics', diagnostics: {} },
			{ type: 'error', message: 'no model' },
			{ type: 'error', requestId: 'r1', message: 'no model' },
		];
		for (const message of good) assert.ok(isHostToWebview(message), JSON.stringify(message));
		const bad: unknown[] = [
			null,
			{ type: 'error', requestId: 7, message: 'no model' },
			{ type: 'init', protocolVersion: 2 },
			{ type: 'status', status: { state: 'sleeping' } },
			{
				type: 'progress',
				requestId: 'r1',
				progress: { phase: 'prefill', done: 'x', total: 2 },
			},
			{ type: 'turnEnd', requestId: 'r1', outcome: 'exploded', text: '' },
			{
				type: 'turnEnd',
				requestId: 'r1',
				outcome: 'done',
				text: 'b.ts:0',
				citations: [{ text: 'b.ts:0', path: 'lib/b.ts', line: 0 }],
			},
			{ type: 'history', history: [{ id: 'a', role: 'system', text: '' }] },
			{
				type: 'diagnostics',
				diagnostics: {
					...diagnostics,
					factors: { ...diagnostics.factors, factors: ['1'] },
				},
			},
			{
				type: 'diagnostics',
				diagnostics: { files: [{ path: 'a', status: 'x', reason: 'y', tokens: -1 }] },
			},
			{ type: 'delta', requestId: 'r1', text: 'x'.repeat(1_000_001) },
		];
		for (const message of bad)
			assert.ok(!isHostToWebview(message), JSON.stringify(message).slice(0, 200));
	});

	it('assertNever throws on a message no switch handled', () => {
		assert.throws(() => assertNever({ type: 'surprise' } as never), /Unhandled message/);
	});

	it('finds path:line citations, and not times, URLs or versions', () => {
		const find = (text: string) => [...text.matchAll(CITATION_PATTERN)].map((m) => m[0]);
		assert.deepEqual(find('see src/a.ts:12 and README.md:3-5, also lib/x.test.ts:7:2.'), [
			'src/a.ts:12',
			'README.md:3-5',
			'lib/x.test.ts:7:2',
		]);
		assert.deepEqual(find('at 12:30, http://host:8080/x, v1.2:3 no'), []);
		assert.deepEqual(find('`extension/vscode/views.ts:40`'), ['extension/vscode/views.ts:40']);
		assert.deepEqual(find('.eslintrc.json:2'), ['.eslintrc.json:2']);
	});
});
