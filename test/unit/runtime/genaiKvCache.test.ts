import * as assert from 'node:assert/strict';
import { GenaiKvCache } from '../../../extension/runtime/genai/genaiGraph';
import { loadOnnxRuntime } from '../../../extension/runtime/onnxRuntime';

// The runtime's KV cache: head-major [1, kv_heads, capacity, head_size] per layer and side, the
// graph's new rows [1, kv_heads, run, head_size] appended after the cached positions.

const shape = { layers: 2, kvHeads: 2, headSize: 3, type: 'float32' as const };

/** New rows whose values say where they belong: layer·1000 + side·100 + head·10 + row. */
function rows(layer: number, side: number, tokens: number, first: number): Float32Array {
	const out = new Float32Array(shape.kvHeads * tokens * shape.headSize);
	for (let h = 0; h < shape.kvHeads; h++) {
		for (let t = 0; t < tokens; t++) {
			out.fill(
				layer * 1000 + side * 100 + h * 10 + first + t,
				(h * tokens + t) * 3,
				(h * tokens + t + 1) * 3,
			);
		}
	}
	return out;
}

describe('GenaiKvCache', () => {
	it('appends each run after the cached rows of every head, and hands a prefix over', async () => {
		const ort = await loadOnnxRuntime();
		const cache = new GenaiKvCache(ort, shape, 5);
		const run = (tokens: number) => {
			const at = cache.length;
			cache.append(
				[rows(0, 0, tokens, at), rows(1, 0, tokens, at)],
				[rows(0, 1, tokens, at), rows(1, 1, tokens, at)],
				tokens,
			);
		};
		run(2);
		run(1);
		assert.equal(cache.length, 3);
		// Layer 1's values, head 1: rows 0, 1, 2 at positions 5…7 of the 10-row head-major buffer.
		const values = cache.values[1].data as Float32Array;
		assert.deepEqual(
			Array.from(values.subarray(15, 24)),
			[1110, 1110, 1110, 1111, 1111, 1111, 1112, 1112, 1112],
		);
		assert.deepEqual(Array.from(values.subarray(24, 30)), [0, 0, 0, 0, 0, 0]);
		assert.throws(() => run(3), /3 \+ 3 tokens pass the planned 5/);
		// A larger cache takes the first 2 positions over and leaves the old one empty.
		const bigger = new GenaiKvCache(ort, shape, 8, { cache, tokens: 2 });
		assert.equal(bigger.length, 2);
		const keys = bigger.keys[0].data as Float32Array;
		assert.deepEqual(Array.from(keys.subarray(24, 30)), [10, 10, 10, 11, 11, 11]);
		assert.deepEqual(Array.from(keys.subarray(30, 36)), [0, 0, 0, 0, 0, 0]);
		assert.equal(cache.length, 0);
		assert.ok(cache.keys.every((t) => t.dims[2] === 0 && t.data.length === 0));
		assert.throws(() => run(1), /handed to a larger cache/);
	});

	it('holds float16 as its bits, half the bytes', async () => {
		const ort = await loadOnnxRuntime();
		const half = new GenaiKvCache(ort, { ...shape, type: 'float16' }, 4);
		assert.ok(half.keys[0].data instanceof Uint16Array);
		assert.equal(half.bytes, 2 * 2 * 2 * 4 * 3 * 2);
		assert.equal(GenaiKvCache.bytesFor(shape, 4), 2 * half.bytes);
	});

	it('refuses rows of the wrong size', async () => {
		const ort = await loadOnnxRuntime();
		const cache = new GenaiKvCache(ort, shape, 4);
		assert.throws(
			() =>
				cache.append(
					[new Float32Array(5), new Float32Array(12)],
					[new Float32Array(12), new Float32Array(12)],
					2,
				),
			/layer 0 returned 5 values, not 2 heads × 2 rows × 3/,
		);
	});
});
