import * as assert from 'node:assert/strict';
import {
	PROTOCOL_VERSION,
	assertNever,
	isHostToWebview,
	isWebviewToHost,
} from '../../extension/protocol';

describe('webview protocol', () => {
	it('recognises each message and refuses anything else', () => {
		assert.ok(isWebviewToHost({ type: 'ready', protocolVersion: PROTOCOL_VERSION }));
		assert.ok(!isWebviewToHost({ type: 'ready' }));
		assert.ok(!isWebviewToHost({ type: 'init', protocolVersion: 1 }));
		assert.ok(!isWebviewToHost('ready'));
		assert.ok(isHostToWebview({ type: 'init', protocolVersion: PROTOCOL_VERSION }));
		assert.ok(isHostToWebview({ type: 'error', message: 'no model' }));
		assert.ok(isHostToWebview({ type: 'error', requestId: 'r1', message: 'no model' }));
		assert.ok(!isHostToWebview({ type: 'error', requestId: 7, message: 'no model' }));
		assert.ok(!isHostToWebview(null));
	});

	it('assertNever throws on a message no switch handled', () => {
		assert.throws(() => assertNever({ type: 'surprise' } as never), /Unhandled message/);
	});
});
