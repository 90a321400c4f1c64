import { Worker } from 'node:worker_threads';
import { ATTR_INT, ONNX_FLOAT } from '../../extension/runtime/genai/onnxProto';
import { loadOnnxRuntime } from '../../extension/runtime/onnxRuntime';
import { probeModel, value } from '../probeGraphs';
import { median } from './shared';

const ONNX_UINT8 = 2;

export interface Limits {
	/** Copy bandwidth, bytes read + bytes written per second, by worker threads copying at once. */
	readonly copyGBps: Record<number, number>;
	/**
	 * int4 weight bytes (packed values and scales) per second that MatMulNBits reads for one row
	 * (M = 1) through a chain of distinct layers larger than any cache, as decode streams them,
	 * by intra-op threads.
	 */
	readonly streamGBps: Record<number, number>;
	/** The weight bytes (packed values and scales) of that chain. */
	readonly streamBytes: number;
	/** int4 MatMulNBits throughput alone (one node), GFLOP/s = 2·M·K·N / time, by shape and threads. */
	readonly gemm: readonly {
		readonly m: number;
		readonly k: number;
		readonly n: number;
		readonly threads: number;
		readonly gflops: number;
	}[];
}

/**
 * Each worker copies its own pair of `bytes`-byte buffers (larger than the last-level cache)
 * `rounds` times, all workers at once; the median round of each, summed.
 */
export async function copyBandwidth(workers: number, bytes: number, rounds = 5): Promise<number> {
	const source = `
		const { parentPort, workerData } = require('node:worker_threads');
		const n = workerData.bytes / 8;
		const a = new Float64Array(n).fill(1);
		const b = new Float64Array(n).fill(2);
		parentPort.once('message', () => {
			const times = [];
			for (let r = 0; r < workerData.rounds; r++) {
				const t = performance.now();
				b.set(a);
				times.push(performance.now() - t);
			}
			parentPort.postMessage(times);
		});
		parentPort.postMessage('ready');
	`;
	const pool = Array.from(
		{ length: workers },
		() => new Worker(source, { eval: true, workerData: { bytes, rounds } }),
	);
	try {
		await Promise.all(pool.map((w) => new Promise((ready) => w.once('message', ready))));
		const results = pool.map(
			(w) =>
				new Promise<number[]>((done) => w.once('message', done as (t: number[]) => void)),
		);
		for (const w of pool) w.postMessage('go');
		const perWorker = await Promise.all(results);
		return perWorker.reduce(
			(sum, times) => sum + (2 * bytes) / (median(times) / 1000) / 1e9,
			0,
		);
	} finally {
		await Promise.all(pool.map((w) => w.terminate()));
	}
}

/** One MatMulNBits node as the published CPU folders have it: int4, block 32, accuracy 4. */
function matMulNBitsNode(index: number, input: string, output: string, k: number, n: number) {
	const name = `mm${index}`;
	const block = 32;
	const blocks = k / block;
	const weights = new Uint8Array(n * blocks * (block / 2));
	// Every node its own bytes: onnxruntime shares identical initializers, which would stay in cache.
	const salt = index * 40_503;
	for (let i = 0; i < weights.length; i++) weights[i] = ((i + salt) * 2_654_435_761) >>> 24;
	// Values q − 8 in [−8, 7] (std ≈ 4.6): this scale keeps a chain's activations near 1.
	const scales = new Float32Array(n * blocks).fill(1 / (4.6 * Math.sqrt(k)));
	return {
		node: {
			opType: 'MatMulNBits',
			domain: 'com.microsoft',
			name,
			input: [input, `${name}.b`, `${name}.scales`],
			output: [output],
			attribute: [
				{ name: 'K', type: ATTR_INT, i: k },
				{ name: 'N', type: ATTR_INT, i: n },
				{ name: 'bits', type: ATTR_INT, i: 4 },
				{ name: 'block_size', type: ATTR_INT, i: block },
				{ name: 'accuracy_level', type: ATTR_INT, i: 4 },
			],
		},
		initializers: [
			{
				name: `${name}.b`,
				dims: [n, blocks, block / 2],
				dataType: ONNX_UINT8,
				rawData: weights,
			},
			{
				name: `${name}.scales`,
				dims: [n * blocks],
				dataType: ONNX_FLOAT,
				rawData: new Uint8Array(scales.buffer),
			},
		],
		bytes: weights.length + scales.byteLength,
	};
}

/** A graph of MatMulNBits nodes [k0 → k1 → … ], each with its own weights; and their bytes. */
function matMulNBitsChain(dims: readonly number[]): { model: Uint8Array; bytes: number } {
	const parts = dims
		.slice(1)
		.map((n, i) =>
			matMulNBitsNode(
				i,
				i === 0 ? 'a' : `h${i}`,
				i === dims.length - 2 ? 'y' : `h${i + 1}`,
				dims[i],
				n,
			),
		);
	const model = probeModel({
		name: 'matmulnbits',
		node: parts.map((p) => p.node),
		initializer: parts.flatMap((p) => p.initializers),
		input: [value('a', ONNX_FLOAT, ['m', dims[0]])],
		output: [value('y', ONNX_FLOAT, ['m', dims[dims.length - 1]])],
	});
	return { model, bytes: parts.reduce((sum, p) => sum + p.bytes, 0) };
}

/** Median seconds of `runs` runs of a graph on an [m, k] input, after two untimed ones. */
async function medianRunSeconds(
	model: Uint8Array,
	m: number,
	k: number,
	threads: number,
	runs: number,
): Promise<number> {
	const ort = await loadOnnxRuntime();
	const session = await ort.InferenceSession.create(Buffer.from(model), {
		executionProviders: ['cpu'],
		...(threads > 0 ? { intraOpNumThreads: threads } : {}),
	});
	try {
		const a = new ort.Tensor(
			'float32',
			Float32Array.from({ length: m * k }, (_, i) => Math.sin(i)),
			[m, k],
		);
		const times: number[] = [];
		for (let r = 0; r < runs + 2; r++) {
			const t = performance.now();
			await session.run({ a });
			if (r >= 2) times.push(performance.now() - t);
		}
		return median(times) / 1000;
	} finally {
		await session.release();
	}
}

/** Median GFLOP/s of `runs` products [m, k] × int4 [k, n] after two untimed ones. */
export async function gemmThroughput(
	m: number,
	k: number,
	n: number,
	threads: number,
	runs = 5,
): Promise<number> {
	const { model } = matMulNBitsChain([k, n]);
	return (2 * m * k * n) / (await medianRunSeconds(model, m, k, threads, runs)) / 1e9;
}

/** Up/down layer pairs in the streamed chain: for Phi-3.5-mini's shapes, 1.26 GB. */
export const STREAM_PAIRS = 40;

/**
 * Weight bytes per second of one row through `pairs` distinct [hidden → intermediate → hidden]
 * layers (the MLP's up and down shapes), several times any last-level cache, so the weights come
 * from memory as in decode; and those bytes.
 */
export async function streamedWeightRate(
	hidden: number,
	intermediate: number,
	threads: number,
	pairs = STREAM_PAIRS,
	runs = 5,
): Promise<{ gbps: number; bytes: number }> {
	const dims = [hidden, ...Array.from({ length: pairs }, () => [intermediate, hidden]).flat()];
	const { model, bytes } = matMulNBitsChain(dims);
	return { gbps: bytes / (await medianRunSeconds(model, 1, hidden, threads, runs)) / 1e9, bytes };
}

/**
 * The machine's limits for these shapes: copy bandwidth by number of threads copying, the int4
 * kernel's one-row speed over weights streamed from memory, and GEMM throughput for a prefill
 * chunk by shape (the layers' two K) and intra-op threads.
 */
export async function measureLimits(
	threads: readonly number[],
	chunk: number,
	hidden: number,
	intermediate: number,
): Promise<Limits> {
	const copyGBps: Record<number, number> = {};
	for (const w of threads) copyGBps[w] = await copyBandwidth(w, 512 * 2 ** 20);
	const streamGBps: Record<number, number> = {};
	let streamBytes = 0;
	for (const t of threads) {
		const stream = await streamedWeightRate(hidden, intermediate, t);
		streamGBps[t] = stream.gbps;
		streamBytes = stream.bytes;
	}
	const gemm = [];
	for (const t of threads) {
		for (const [k, n] of [
			[hidden, intermediate],
			[intermediate, hidden],
		]) {
			gemm.push({ m: chunk, k, n, threads: t, gflops: await gemmThroughput(chunk, k, n, t) });
		}
	}
	return { copyGBps, streamGBps, streamBytes, gemm };
}
