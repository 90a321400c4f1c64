import * as assert from 'node:assert/strict';
import { KvCache } from '../../../extension/runtime/kvCache';

const SHAPE = { layers: 2, kvHeads: 2, headDim: 3 };
const ROW = 6;

function rows(count: number, first: number): Float32Array {
	return Float32Array.from({ length: count * ROW }, (_, i) => first + i);
}

describe('KvCache', () => {
	it('exposes only the filled prefix, sequence-major, after write and commit', () => {
		const cache = new KvCache(SHAPE, 4);
		assert.equal(cache.prefix(0).keys.length, 0);
		cache.write(0, rows(2, 0), rows(2, 100));
		cache.write(1, rows(2, 200), rows(2, 300));
		assert.equal(cache.length, 0, 'nothing counts before commit');
		cache.commit(2);
		assert.equal(cache.length, 2);
		assert.deepEqual(Array.from(cache.prefix(0).keys), Array.from(rows(2, 0)));
		assert.deepEqual(Array.from(cache.prefix(1).values), Array.from(rows(2, 300)));
	});

	it('is sized exactly for a plan, keeps what it held, and never shrinks', () => {
		const cache = new KvCache(SHAPE, 2);
		cache.write(0, rows(2, 0), rows(2, 0));
		cache.write(1, rows(2, 0), rows(2, 0));
		cache.commit(2);
		cache.ensureCapacity(5);
		assert.equal(cache.capacity, 5, 'the planned length, not the next power of two');
		assert.equal(cache.bytes, 2 * 2 * 5 * ROW * 4);
		assert.deepEqual(Array.from(cache.prefix(0).keys), Array.from(rows(2, 0)));
		cache.ensureCapacity(3);
		assert.equal(cache.capacity, 5);
	});

	it('accounts bytes for a planned length without allocating', () => {
		assert.equal(
			KvCache.bytesFor({ layers: 6, kvHeads: 4, headDim: 32 }, 4096),
			2 * 6 * 4096 * 4 * 32 * 4,
		);
	});

	it('truncates to a shared prefix and refuses to extend by truncation', () => {
		const cache = new KvCache(SHAPE, 4);
		cache.write(0, rows(3, 0), rows(3, 0));
		cache.write(1, rows(3, 0), rows(3, 0));
		cache.commit(3);
		cache.truncate(1);
		assert.equal(cache.length, 1);
		assert.throws(() => cache.truncate(2), /cannot truncate 1 cached tokens to 2/);
	});

	it('names the problem for partial rows, overflow and use after dispose', () => {
		const cache = new KvCache(SHAPE, 1);
		assert.throws(
			() => cache.write(0, new Float32Array(5), new Float32Array(5)),
			/not whole rows of 6/,
		);
		assert.throws(
			() => cache.write(0, rows(2, 0), rows(2, 0)),
			/2 new rows do not fit after 0 of the 1 positions planned/,
		);
		assert.throws(() => cache.commit(2), /would pass the capacity 1/);
		cache.dispose();
		assert.throws(() => cache.prefix(0), /used after dispose/);
	});
});
