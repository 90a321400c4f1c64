import * as assert from 'node:assert/strict';
import '../helpers/fakeVscode';
import { readSettings, DEFAULTS } from '../../../extension/vscode/settings';
import { compactTokens, statusBarText } from '../../../extension/vscode/statusBar';
import { contentSecurityPolicy } from '../../../extension/vscode/webviewHtml';

const source = (values: Record<string, unknown>) => ({
	get: <T>(key: string, fallback: T): T => (key in values ? (values[key] as T) : fallback),
});

describe('settings', () => {
	it('defaults: nothing to complain about', () => {
		const { settings, problems } = readSettings(source({}));
		assert.deepEqual(problems, []);
		assert.equal(settings.answerTokens, DEFAULTS.answerTokens);
		assert.equal(settings.factorSet, 'auto');
		assert.equal(settings.maxKvCacheBytes, 1024 * 1024 * 1024);
		assert.equal(settings.kvCachePrecision, 'float32');
		assert.equal(settings.lineNumbers, true);
		assert.deepEqual(settings.sampling, {
			temperature: 0,
			topP: 1,
			topK: 0,
			repetitionPenalty: 1.1,
		});
	});

	it('refuses bad values with a readable reason and falls back to the default', () => {
		const { settings, problems } = readSettings(
			source({
				answerTokens: 0,
				maxKvCacheMB: '512',
				threads: 2.5,
				'sampling.temperature': -1,
				'sampling.topP': 0,
				factorSet: 42,
			}),
		);
		assert.equal(settings.answerTokens, DEFAULTS.answerTokens);
		assert.equal(settings.maxKvCacheBytes, DEFAULTS.maxKvCacheMB * 1024 * 1024);
		assert.equal(settings.threads, 0);
		assert.equal(settings.factorSet, 'auto');
		assert.equal(problems.length, 6);
		assert.match(
			problems.join('\n'),
			/longrope\.answerTokens must be a whole number from 1 to 32768, not 0; using 160/,
		);
		assert.match(
			problems.join('\n'),
			/longrope\.maxKvCacheMB must be a whole number from 16 to .*, not "512"/,
		);
		assert.match(
			problems.join('\n'),
			/longrope\.sampling\.topP must be a number above 0 and at most 1, not 0/,
		);
	});

	it('the KV cache precision: float16 is taken, anything else is named and float32 used', () => {
		const half = readSettings(source({ kvCachePrecision: 'float16' }));
		assert.deepEqual(half.problems, []);
		assert.equal(half.settings.kvCachePrecision, 'float16');
		const { settings, problems } = readSettings(source({ kvCachePrecision: 'fp16' }));
		assert.equal(settings.kvCachePrecision, 'float32');
		assert.deepEqual(problems, [
			'longrope.kvCachePrecision must be "float32" or "float16", not "fp16"; using float32',
		]);
	});

	it('int4 activations: exported by default, float32 is taken, anything else is named and exported used', () => {
		assert.equal(readSettings(source({})).settings.int4Activations, 'exported');
		const fp32 = readSettings(source({ int4Activations: 'float32' }));
		assert.deepEqual(fp32.problems, []);
		assert.equal(fp32.settings.int4Activations, 'float32');
		const { settings, problems } = readSettings(source({ int4Activations: 'fp32' }));
		assert.equal(settings.int4Activations, 'exported');
		assert.deepEqual(problems, [
			'longrope.int4Activations must be "exported", "int8" or "float32", not "fp32"; using exported',
		]);
	});

	it('line numbers: false is taken, anything but a boolean is named and the default used', () => {
		const off = readSettings(source({ lineNumbers: false }));
		assert.deepEqual(off.problems, []);
		assert.equal(off.settings.lineNumbers, false);
		const { settings, problems } = readSettings(source({ lineNumbers: 'no' }));
		assert.equal(settings.lineNumbers, true);
		assert.deepEqual(problems, [
			'longrope.lineNumbers must be true or false, not "no"; using true',
		]);
	});

	it('a context cap that leaves no room for the prompt is named', () => {
		const { problems } = readSettings(source({ maxContextTokens: 100, answerTokens: 200 }));
		assert.match(problems[0], /maxContextTokens \(100\) leaves no room/);
	});
});

describe('status bar', () => {
	it('shows model, active set and context used', () => {
		const { text, tooltip } = statusBarText({
			state: 'idle',
			model: 'longrope-tiny',
			set: 'long',
			contextUsed: 5321,
			contextWindow: 8192,
		});
		assert.equal(text, '$(sparkle) longrope-tiny · long · 5.3k/8.2k');
		assert.match(tooltip, /no workspace text leaves it/);
		assert.match(statusBarText({ state: 'busy' }).text, /loading~spin/);
		assert.match(
			statusBarText({ state: 'idle', remote: 'https://x.invalid' }).tooltip,
			/sent to https:\/\/x\.invalid/,
		);
		assert.equal(compactTokens(131072), '131k');
	});
});

describe('webview Content-Security-Policy', () => {
	it('allows nothing by default, scripts only by nonce, resources only from the extension', () => {
		const csp = contentSecurityPolicy('vscode-resource:', 'abc123');
		assert.match(csp, /^default-src 'none'/);
		assert.match(csp, /script-src 'nonce-abc123'(;|$)/);
		assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/);
	});
});
