import { Worker } from 'node:worker_threads';
import {
	ATTR_INT,
	encodeModel,
	ONNX_FLOAT,
	type ModelProto,
	type ValueInfo,
} from '../../extension/runtime/genai/onnxProto';
import { loadOnnxRuntime } from '../../extension/runtime/onnxRuntime';
import { median } from './shared';

const ONNX_UINT8 = 2;

export interface Limits {
	/** Copy bandwidth, bytes read + bytes written per second, by worker threads copying at once. */
	readonly copyGBps: Record<number, number>;
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

function value(name: string, elemType: number, dims: (number | string)[]): ValueInfo {
	const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
	return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** One MatMulNBits node as the published CPU folders have it: int4, block 32, accuracy 4. */
function matMulNBitsModel(k: number, n: number): Uint8Array {
	const block = 32;
	const blocks = k / block;
	const weights = new Uint8Array(n * blocks * (block / 2));
	for (let i = 0; i < weights.length; i++) weights[i] = (i * 2_654_435_761) >>> 24;
	const scales = new Float32Array(n * blocks).fill(0.01);
	const model: ModelProto = {
		irVersion: 8,
		opsetImport: [
			{ domain: '', version: 17 },
			{ domain: 'com.microsoft', version: 1 },
		],
		graph: {
			name: 'matmulnbits',
			node: [
				{
					opType: 'MatMulNBits',
					domain: 'com.microsoft',
					name: 'gemm',
					input: ['a', 'b', 'scales'],
					output: ['y'],
					attribute: [
						{ name: 'K', type: ATTR_INT, i: k },
						{ name: 'N', type: ATTR_INT, i: n },
						{ name: 'bits', type: ATTR_INT, i: 4 },
						{ name: 'block_size', type: ATTR_INT, i: block },
						{ name: 'accuracy_level', type: ATTR_INT, i: 4 },
					],
				},
			],
			initializer: [
				{ name: 'b', dims: [n, blocks, block / 2], dataType: ONNX_UINT8, rawData: weights },
				{
					name: 'scales',
					dims: [n * blocks],
					dataType: ONNX_FLOAT,
					rawData: new Uint8Array(scales.buffer),
				},
			],
			input: [value('a', ONNX_FLOAT, ['m', k])],
			output: [value('y', ONNX_FLOAT, ['m', n])],
		},
	};
	return encodeModel(model);
}

/** Median GFLOP/s of `runs` products [m, k] × int4 [k, n] after two untimed ones. */
export async function gemmThroughput(
	m: number,
	k: number,
	n: number,
	threads: number,
	runs = 5,
): Promise<number> {
	const ort = await loadOnnxRuntime();
	const session = await ort.InferenceSession.create(Buffer.from(matMulNBitsModel(k, n)), {
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
		return (2 * m * k * n) / (median(times) / 1000) / 1e9;
	} finally {
		await session.release();
	}
}

/**
 * The machine's limits for these shapes: copy bandwidth by number of threads copying, and GEMM
 * throughput by shape (the layers' two K) and intra-op threads, for a prefill chunk (M = chunk)
 * and for one decoded token (M = 1: the kernel's own speed over the weights).
 */
export async function measureLimits(
	threads: readonly number[],
	chunk: number,
	hidden: number,
	intermediate: number,
): Promise<Limits> {
	const copyGBps: Record<number, number> = {};
	for (const w of threads) copyGBps[w] = await copyBandwidth(w, 512 * 2 ** 20);
	const gemm = [];
	for (const t of threads) {
		for (const [k, n] of [
			[hidden, intermediate],
			[intermediate, hidden],
		]) {
			for (const m of [chunk, 1]) {
				const gflops = await gemmThroughput(m, k, n, t, m === 1 ? 25 : 5);
				gemm.push({ m, k, n, threads: t, gflops });
			}
		}
	}
	return { copyGBps, gemm };
}
