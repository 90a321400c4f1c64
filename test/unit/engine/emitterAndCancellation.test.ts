import * as assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import {
	CancellationError,
	CancellationTokenSource,
	throwIfCancelled,
	type CancellationToken,
} from '../../../extension/engine/cancellation';
import { Emitter, type Event } from '../../../extension/engine/emitter';

// Compile-time proof that the editor's objects fit the engine's interfaces: tsc rejects
// Assert<false>, so `npm run typecheck` fails if vscode's shapes ever drift from ours.
type Assert<T extends true> = T;
export type EditorTokenFits = Assert<
	vscode.CancellationToken extends CancellationToken ? true : false
>;
export type EditorEventFits = Assert<vscode.Event<number> extends Event<number> ? true : false>;

describe('Emitter', () => {
	it('delivers to listeners until they unsubscribe, with thisArgs bound', () => {
		const emitter = new Emitter<number>();
		const seen: number[] = [];
		const owner = { factor: 10, seen };
		const sub = emitter.event(function (this: typeof owner, n) {
			this.seen.push(n * this.factor);
		}, owner);
		emitter.fire(1);
		sub.dispose();
		emitter.fire(2);
		assert.deepEqual(seen, [10]);
	});

	it('a listener that unsubscribes during delivery does not make others miss it', () => {
		const emitter = new Emitter<string>();
		const seen: string[] = [];
		const first = emitter.event(() => first.dispose());
		emitter.event((e) => seen.push(e));
		emitter.fire('a');
		assert.deepEqual(seen, ['a']);
	});
});

describe('CancellationTokenSource', () => {
	it('flips the token once and notifies', () => {
		const source = new CancellationTokenSource();
		let notified = 0;
		source.token.onCancellationRequested(() => notified++);
		assert.equal(source.token.isCancellationRequested, false);
		assert.doesNotThrow(() => throwIfCancelled(source.token));
		source.cancel();
		source.cancel();
		assert.equal(source.token.isCancellationRequested, true);
		assert.equal(notified, 1);
		assert.throws(() => throwIfCancelled(source.token), CancellationError);
		assert.doesNotThrow(() => throwIfCancelled(undefined));
	});
});
