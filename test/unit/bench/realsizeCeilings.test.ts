import * as assert from 'node:assert/strict';
import type { Limits } from '../../../bench/realsize/limits';
import type { ModelCost } from '../../../bench/realsize/modelCost';
import {
	decodeCeiling,
	kernelDecodeCeiling,
	peakRssGoalMiB,
	prefillCeiling,
} from '../../../bench/realsize/report';

// A model whose layers do 4 GFLOP per token at K = 1000 and 2 GFLOP at K = 3000, reading 2 GB
// of weights and 1 MB of KV per cached token. Expected values worked out by hand below.
const cost: ModelCost = {
	weightBytesPerStep: 2e9,
	weightBytes: 2.5e9,
	layerFlopsPerToken: 6e9,
	flopsByK: { 1000: 4e9, 3000: 2e9 },
	lmHeadFlopsPerToken: 1e9,
	kvBytesPerToken: 1e6,
};
const limits: Limits = {
	copyGBps: { 1: 10, 2: 20 },
	streamGBps: { 1: 5, 2: 8 },
	streamBytes: 1.26e9,
	gemm: [
		{ m: 256, k: 1000, n: 3000, threads: 1, gflops: 50 },
		{ m: 256, k: 3000, n: 1000, threads: 1, gflops: 40 },
		{ m: 256, k: 1000, n: 3000, threads: 2, gflops: 100 },
		{ m: 256, k: 3000, n: 1000, threads: 2, gflops: 80 },
	],
};

describe('real-size benchmark ceilings', () => {
	it('prefill: each K at its best chunk-sized GEMM speed', () => {
		// 4e9 / 100e9 + 2e9 / 80e9 = 0.04 + 0.025 = 0.065 s per token
		assert.equal(prefillCeiling(cost, limits), 1 / 0.065);
	});

	it('decode by bandwidth: weights plus the KV at that length over the copy bandwidth', () => {
		// (2e9 + 1e6 · 1000) bytes at 20 GB/s = 0.15 s per token
		assert.equal(decodeCeiling(cost, 20, 1000), 20e9 / 3e9);
	});

	it('decode by the int4 kernel: the weights at its best streamed rate plus the KV at bandwidth', () => {
		// 2e9 bytes at 8 GB/s + 1e9 bytes of KV at 20 GB/s = 0.25 + 0.05 = 0.3 s
		assert.equal(kernelDecodeCeiling(cost, limits, 20, 1000), 1 / (0.25 + 0.05));
	});

	it('memory goal: the weight files and the largest planned KV, plus 15%', () => {
		// 1.15 × (2.5e9 + 0.5 × 2^30) bytes = 2875000000 + 617401548.8 = 3492401548.8 B
		assert.equal(
			peakRssGoalMiB(cost.weightBytes, 2 ** 29).toFixed(6),
			(3492401548.8 / 2 ** 20).toFixed(6),
		);
	});
});
