import * as assert from 'node:assert/strict';
import { StopStringFilter, TextStream } from '../../../extension/engine/generation/textStream';

/** A byte-level "tokenizer": each id is one byte, decoded as UTF-8 like a ByteLevel BPE decoder does. */
const decodeBytes = (ids: readonly number[]) => Buffer.from(ids).toString('utf8');

describe('TextStream', () => {
	it('never splits a multi-byte character across deltas', () => {
		const text = 'a€😀b';
		const stream = new TextStream(decodeBytes);
		const deltas = [...Buffer.from(text)].map((byte) => stream.push(byte));
		// '€' is 3 bytes and '😀' 4: nothing is emitted until each is complete.
		assert.deepEqual(deltas, ['a', '', '', '€', '', '', '', '😀', 'b']);
		assert.equal(stream.flush(), '');
	});

	it('flushes an unfinished character as U+FFFD at the end', () => {
		const stream = new TextStream(decodeBytes);
		assert.equal(stream.push(0xe2), '');
		assert.equal(stream.flush(), '\uFFFD');
	});
});

describe('StopStringFilter', () => {
	it('holds back a possible stop string and cuts before it, even when split over deltas', () => {
		const filter = new StopStringFilter(['<|end|>', '\n\n']);
		assert.equal(filter.push('Hello <|'), 'Hello ');
		assert.equal(filter.push('en'), '');
		assert.equal(filter.push('d|> more'), '');
		assert.equal(filter.stopped, true);
		assert.equal(filter.push('ignored'), '');
	});

	it('releases held text that turned out not to be a stop string', () => {
		const filter = new StopStringFilter(['STOP']);
		assert.equal(filter.push('ST'), '');
		assert.equal(filter.push('AR'), 'STAR');
		assert.equal(filter.push('ST'), '');
		assert.equal(filter.flush(), 'ST');
	});

	it('cuts at the earliest of several stop strings', () => {
		const filter = new StopStringFilter(['bb', 'a']);
		assert.equal(filter.push('xxbba'), 'xx');
	});

	it('refuses an empty stop string', () => {
		assert.throws(() => new StopStringFilter(['']), /must not be empty/);
	});
});
