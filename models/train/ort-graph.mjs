// Runs a LongRoPE-ready graph (models/README.md) from build scripts: plain RoPE tables and a
// caller-owned, sequence-major KV buffer of which each run sees only the filled prefix.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';

export async function openGraph(dir, options = {}) {
	const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
	const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), options);
	return { config, session, headDim: config.head_dim ?? config.hidden_size / config.num_attention_heads };
}

export function ropeTables(graph, start, count) {
	const { headDim, config } = graph;
	const half = headDim / 2;
	const cos = new Float32Array(count * half);
	const sin = new Float32Array(count * half);
	for (let p = 0; p < count; p++) {
		for (let i = 0; i < half; i++) {
			const angle = (start + p) * Math.pow(config.rope_theta, (-2 * i) / headDim);
			cos[p * half + i] = Math.cos(angle);
			sin[p * half + i] = Math.sin(angle);
		}
	}
	return [new ort.Tensor('float32', cos, [count, half]), new ort.Tensor('float32', sin, [count, half])];
}

// A cache for up to `capacity` tokens; feed() appends tokens and returns their logits rows.
export function createCache(graph, capacity) {
	const { config, headDim, session } = graph;
	const layers = config.num_hidden_layers;
	const kvHeads = config.num_key_value_heads;
	const row = kvHeads * headDim;
	const keys = Array.from({ length: layers }, () => new Float32Array(capacity * row));
	const values = Array.from({ length: layers }, () => new Float32Array(capacity * row));
	let length = 0;
	return {
		get length() {
			return length;
		},
		async feed(ids) {
			if (length + ids.length > capacity) {
				throw new Error(`cache: ${length} + ${ids.length} tokens exceed its capacity of ${capacity}`);
			}
			const [cos, sin] = ropeTables(graph, length, ids.length);
			const feeds = {
				input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
				rope_cos: cos,
				rope_sin: sin,
			};
			for (let l = 0; l < layers; l++) {
				feeds[`past_key_values.${l}.key`] = new ort.Tensor('float32', keys[l].subarray(0, length * row), [1, length, kvHeads, headDim]);
				feeds[`past_key_values.${l}.value`] = new ort.Tensor('float32', values[l].subarray(0, length * row), [1, length, kvHeads, headDim]);
			}
			const out = await session.run(feeds);
			for (let l = 0; l < layers; l++) {
				keys[l].set(out[`present.${l}.key`].data, length * row);
				values[l].set(out[`present.${l}.value`].data, length * row);
			}
			length += ids.length;
			const vocab = config.vocab_size;
			return Array.from({ length: ids.length }, (_, t) => out.logits.data.subarray(t * vocab, (t + 1) * vocab));
		},
	};
}

export async function runChunks(graph, ids, chunk) {
	const cache = createCache(graph, ids.length);
	const logits = [];
	for (let start = 0; start < ids.length; start += chunk) {
		logits.push(...(await cache.feed(ids.slice(start, start + chunk))));
	}
	return logits;
}

export function argmax(row) {
	let best = 0;
	for (let v = 1; v < row.length; v++) {
		if (row[v] > row[best]) {
			best = v;
		}
	}
	return best;
}
