// Checks an exported LongRoPE-ready graph in onnxruntime-node against PyTorch's logits (export.py --reference):
// the full sequence in one run, chunked prefill through the cache, and token-by-token decoding.
// With --against DIR the reference logits come from another graph run here instead (a quantized graph
// against its dequantized fp32 twin, which checks the packing of the quantized weights).
//
//   node models/train/verify.mjs MODEL_DIR REFERENCE_JSON [TOLERANCE] [--against DIR]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';

const args = process.argv.slice(2);
const againstAt = args.indexOf('--against');
const against = againstAt >= 0 ? args.splice(againstAt, 2)[1] : undefined;
const [dir, refPath, tolArg] = args;
const tolerance = Number(tolArg ?? '1e-4');
const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
const ref = JSON.parse(readFileSync(refPath, 'utf8'));
const layers = config.num_hidden_layers;
const kvHeads = config.num_key_value_heads;
const headDim = config.head_dim ?? config.hidden_size / config.num_attention_heads;
const vocab = config.vocab_size;

function ropeTables(start, count) {
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

async function runChunks(session, ids, chunk) {
	const row = kvHeads * headDim;
	const keys = Array.from({ length: layers }, () => new Float32Array(ids.length * row));
	const values = Array.from({ length: layers }, () => new Float32Array(ids.length * row));
	const logits = [];
	for (let start = 0; start < ids.length; start += chunk) {
		const part = ids.slice(start, start + chunk);
		const [cos, sin] = ropeTables(start, part.length);
		const feeds = {
			input_ids: new ort.Tensor('int64', BigInt64Array.from(part.map(BigInt)), [1, part.length]),
			rope_cos: cos,
			rope_sin: sin,
		};
		for (let l = 0; l < layers; l++) {
			feeds[`past_key_values.${l}.key`] = new ort.Tensor('float32', keys[l].subarray(0, start * row), [1, start, kvHeads, headDim]);
			feeds[`past_key_values.${l}.value`] = new ort.Tensor('float32', values[l].subarray(0, start * row), [1, start, kvHeads, headDim]);
		}
		const out = await session.run(feeds);
		for (let l = 0; l < layers; l++) {
			keys[l].set(out[`present.${l}.key`].data, start * row);
			values[l].set(out[`present.${l}.value`].data, start * row);
		}
		const data = out.logits.data;
		for (let t = 0; t < part.length; t++) {
			logits.push(data.subarray(t * vocab, (t + 1) * vocab));
		}
	}
	return logits;
}

function maxDiff(logits) {
	let worst = 0;
	for (let t = 0; t < ref.logits.length; t++) {
		for (let v = 0; v < vocab; v++) {
			worst = Math.max(worst, Math.abs(logits[t][v] - ref.logits[t][v]));
		}
	}
	return worst;
}

if (against) {
	const twin = await ort.InferenceSession.create(join(against, 'model.onnx'));
	ref.logits = (await runChunks(twin, ref.ids, ref.ids.length)).map((row) => Array.from(row));
}
const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
let failed = false;
for (const [label, chunk] of [
	['full sequence', ref.ids.length],
	['chunked prefill (16)', 16],
	['token-by-token decode', 1],
]) {
	const diff = maxDiff(await runChunks(session, ref.ids, chunk));
	const ok = diff <= tolerance;
	failed ||= !ok;
	console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}: max |onnx - reference| = ${diff.toExponential(3)} (tolerance ${tolerance})`);
}
process.exit(failed ? 1 : 0);
