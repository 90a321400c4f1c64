// node -r esbuild-register bench/genaiKvProbe.bench.ts — how onnxruntime-node passes an ORT-genai
// KV cache: one GroupQueryAttention decode step (24 heads over 8 KV heads of 128, rotary inside,
// like Phi-4-mini) over a buffer of MAX rows, with `past_present_share_buffer`-style buffers:
//   grow:    past [1, 8, P, 128] in, present [1, 8, P+1, 128] fetched (a fresh buffer each step);
//   bound:   past = a pre-allocated [1, 8, MAX, 128] tensor, and the same tensor passed as the
//            present outputs in `fetches` (the shared buffer ORT-genai uses);
//   attn:    the same pre-allocated past, but only the attention output fetched.
// Prints medians of a few steps (a quick probe on a shared machine, not a benchmark).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { ATTR_INT, ONNX_FLOAT, ONNX_INT32 } from '../extension/runtime/genai/onnxProto';
import { loadOnnxRuntime } from '../extension/runtime/onnxRuntime';
import { probeModel, value } from './probeGraphs';
import { median } from './runtime/shared';

const HEADS = 24;
const KV_HEADS = 8;
const HEAD = 128;
const ROTARY_HALF = 48;
const SIZES = (process.env.PROBE_MAX ?? '1024,4096,16384').split(',').map(Number);
const STEPS = Number(process.env.PROBE_STEPS ?? 7);

function gqaModel(): Uint8Array {
	const kv = (name: string, len: string) => value(name, ONNX_FLOAT, [1, KV_HEADS, len, HEAD]);
	return probeModel({
		name: 'gqa_probe',
		node: [
			{
				opType: 'GroupQueryAttention',
				domain: 'com.microsoft',
				name: 'gqa',
				input: [
					'q',
					'k',
					'v',
					'past_key',
					'past_value',
					'seqlens_k',
					'total_len',
					'cos_cache',
					'sin_cache',
				],
				output: ['attn', 'present_key', 'present_value'],
				attribute: [
					{ name: 'num_heads', type: ATTR_INT, i: HEADS },
					{ name: 'kv_num_heads', type: ATTR_INT, i: KV_HEADS },
					{ name: 'do_rotary', type: ATTR_INT, i: 1 },
				],
			},
		],
		input: [
			value('q', ONNX_FLOAT, [1, 'seq', HEADS * HEAD]),
			value('k', ONNX_FLOAT, [1, 'seq', KV_HEADS * HEAD]),
			value('v', ONNX_FLOAT, [1, 'seq', KV_HEADS * HEAD]),
			kv('past_key', 'past'),
			kv('past_value', 'past'),
			value('seqlens_k', ONNX_INT32, [1]),
			value('total_len', ONNX_INT32, []),
			value('cos_cache', ONNX_FLOAT, ['rows', ROTARY_HALF]),
			value('sin_cache', ONNX_FLOAT, ['rows', ROTARY_HALF]),
		],
		output: [
			value('attn', ONNX_FLOAT, [1, 'seq', HEADS * HEAD]),
			kv('present_key', 'present'),
			kv('present_value', 'present'),
		],
	});
}

async function probe(ort: typeof Ort, session: Ort.InferenceSession, max: number) {
	const filled = max - STEPS - 2;
	const rows = max;
	const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
	const step = (past: number) => ({
		q: new ort.Tensor('float32', random(HEADS * HEAD), [1, 1, HEADS * HEAD]),
		k: new ort.Tensor('float32', random(KV_HEADS * HEAD), [1, 1, KV_HEADS * HEAD]),
		v: new ort.Tensor('float32', random(KV_HEADS * HEAD), [1, 1, KV_HEADS * HEAD]),
		seqlens_k: new ort.Tensor('int32', Int32Array.of(past), [1]),
		total_len: new ort.Tensor('int32', Int32Array.of(past + 1), []),
		cos_cache: new ort.Tensor('float32', new Float32Array(rows * ROTARY_HALF).fill(1), [
			rows,
			ROTARY_HALF,
		]),
		sin_cache: new ort.Tensor('float32', new Float32Array(rows * ROTARY_HALF), [
			rows,
			ROTARY_HALF,
		]),
	});
	const kvDims = (len: number) => [1, KV_HEADS, len, HEAD];
	const kvSize = KV_HEADS * HEAD;
	const timings = { grow: [] as number[], bound: [] as number[], attn: [] as number[] };

	// grow: a past of exactly P rows; present comes back as a new [P+1] buffer.
	let pastKey: Ort.Tensor = new ort.Tensor('float32', random(filled * kvSize), kvDims(filled));
	let pastValue: Ort.Tensor = new ort.Tensor('float32', random(filled * kvSize), kvDims(filled));
	for (let s = 0; s <= STEPS; s++) {
		const past = filled + s;
		const start = performance.now();
		const out = await session.run({ ...step(past), past_key: pastKey, past_value: pastValue });
		if (s > 0) timings.grow.push(performance.now() - start);
		pastKey = out.present_key as Ort.Tensor;
		pastValue = out.present_value as Ort.Tensor;
	}

	// bound: one [MAX] buffer per side, fed as past and bound as present.
	const keyBuffer = new ort.Tensor('float32', random(max * kvSize), kvDims(max));
	const valueBuffer = new ort.Tensor('float32', random(max * kvSize), kvDims(max));
	let aliased = true;
	let sameObject = true;
	for (let s = 0; s <= STEPS; s++) {
		const past = filled + s;
		const feeds = step(past);
		const start = performance.now();
		const out = await session.run(
			{ ...feeds, past_key: keyBuffer, past_value: valueBuffer },
			{ attn: null, present_key: keyBuffer, present_value: valueBuffer },
		);
		if (s > 0) timings.bound.push(performance.now() - start);
		// With cos 1 and sin 0 the rotation is the identity, so the new key row of KV head 0
		// must appear as-is in the JavaScript buffer at row `past`.
		const keyData = keyBuffer.data as Float32Array;
		const newKey = feeds.k.data as Float32Array;
		const row = keyData.subarray(past * HEAD, (past + 1) * HEAD);
		aliased &&= row.every((x, j) => x === newKey[j]);
		sameObject &&= out.present_key === keyBuffer;
	}

	// attn: the same pre-allocated past, only the attention output fetched.
	for (let s = 0; s <= STEPS; s++) {
		const past = filled + s;
		const start = performance.now();
		await session.run({ ...step(past), past_key: keyBuffer, past_value: valueBuffer }, [
			'attn',
		]);
		if (s > 0) timings.attn.push(performance.now() - start);
	}
	return {
		kvMiB: (2 * max * kvSize * 4) / 2 ** 20,
		grow: median(timings.grow),
		bound: median(timings.bound),
		attn: median(timings.attn),
		aliased,
		sameObject,
	};
}

async function main(): Promise<void> {
	const ort = await loadOnnxRuntime();
	const dir = mkdtempSync(path.join(tmpdir(), 'gqa-probe-'));
	try {
		const file = path.join(dir, 'gqa.onnx');
		writeFileSync(file, gqaModel());
		const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'] });
		console.log(
			`onnxruntime-node ${ort.env.versions.node ?? '?'}, ${STEPS} decode steps per cell (median ms)`,
		);
		console.log(
			'| MAX rows | KV MiB | grow (fetch present) | bound (present = past buffer) | attention output only | new row in JS buffer | fetch returns the bound tensor |',
		);
		console.log('|---:|---:|---:|---:|---:|:---|:---|');
		for (const max of SIZES) {
			const r = await probe(ort, session, max);
			console.log(
				`| ${max} | ${r.kvMiB.toFixed(0)} | ${r.grow.toFixed(1)} | ${r.bound.toFixed(1)} | ${r.attn.toFixed(1)} | ${r.aliased ? 'yes' : 'no'} | ${r.sameObject ? 'yes' : 'no'} |`,
			);
		}
		await session.release();
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

void main();
