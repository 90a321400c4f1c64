import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { argmax } from '../../extension/engine/generation/sampling';
import { ropeConfigFromHf } from '../../extension/engine/hfRopeConfig';
import { inverseFrequencies } from '../../extension/engine/rotaryGeometry';
import { buildRotaryTables, rotarySpec } from '../../extension/engine/rotaryTables';
import { noScaling } from '../../extension/engine/scalings';
import {
	DECODE_STEPS,
	WARM_UP,
	median,
	peakRssMiB,
	PREFILL_CHUNK,
	promptIds,
	type EngineReport,
} from './shared';

/**
 * The floor: session.run in a loop on the same graph, with tables computed before the clock starts
 * and KV buffers allocated once at full size. The engine's overhead is measured against this.
 */
export async function measureBare(
	folder: string,
	prefillLengths: number[],
	decodeLengths: number[],
	repeats: number,
	intraOpThreads?: number,
): Promise<EngineReport> {
	const config = JSON.parse(readFileSync(path.join(folder, 'config.json'), 'utf8')) as Record<
		string,
		number
	>;
	// onnxruntime's defaults, as a user's own loop would open the graph.
	const session = await ort.InferenceSession.create(path.join(folder, 'model.onnx'), {
		executionProviders: ['cpu'],
		...(intraOpThreads ? { intraOpNumThreads: intraOpThreads } : {}),
	});
	const {
		num_hidden_layers: layers,
		num_key_value_heads: kvHeads,
		head_dim: headDim,
		vocab_size: vocab,
	} = config;
	const half = headDim / 2;
	const row = kvHeads * headDim;
	const longest = Math.max(...prefillLengths, ...decodeLengths) + DECODE_STEPS + 1;
	// Plain RoPE from the engine's own table code, built before any clock starts.
	const geometry = ropeConfigFromHf(config).geometry;
	const { cos, sin } = buildRotaryTables(
		rotarySpec(inverseFrequencies(geometry.base, geometry.rotaryDim), noScaling(geometry)),
		0,
		longest,
	);
	const keys = Array.from({ length: layers }, () => new Float32Array(longest * row));
	const values = Array.from({ length: layers }, () => new Float32Array(longest * row));

	async function step(ids: number[], start: number): Promise<Float32Array> {
		const n = ids.length;
		const feeds: Record<string, ort.Tensor> = {
			input_ids: new ort.Tensor(
				'int64',
				BigInt64Array.from(ids, (id) => BigInt(id)),
				[1, n],
			),
			rope_cos: new ort.Tensor('float32', cos.subarray(start * half, (start + n) * half), [
				n,
				half,
			]),
			rope_sin: new ort.Tensor('float32', sin.subarray(start * half, (start + n) * half), [
				n,
				half,
			]),
		};
		for (let l = 0; l < layers; l++) {
			feeds[`past_key_values.${l}.key`] = new ort.Tensor(
				'float32',
				keys[l].subarray(0, start * row),
				[1, start, kvHeads, headDim],
			);
			feeds[`past_key_values.${l}.value`] = new ort.Tensor(
				'float32',
				values[l].subarray(0, start * row),
				[1, start, kvHeads, headDim],
			);
		}
		const out = await session.run(feeds);
		for (let l = 0; l < layers; l++) {
			keys[l].set(out[`present.${l}.key`].data as Float32Array, start * row);
			values[l].set(out[`present.${l}.value`].data as Float32Array, start * row);
		}
		return (out.logits.data as Float32Array).subarray((n - 1) * vocab);
	}

	async function prefillAll(ids: number[]): Promise<Float32Array> {
		let logits: Float32Array = new Float32Array(0);
		for (let s = 0; s < ids.length; s += PREFILL_CHUNK)
			logits = await step(ids.slice(s, s + PREFILL_CHUNK), s);
		return logits;
	}

	const prefill: Record<number, number> = {};
	const decode: Record<number, number> = {};
	const greedy: Record<number, number[]> = {};
	await prefillAll(promptIds(WARM_UP));
	for (const n of prefillLengths) {
		const rates = [];
		for (let r = 0; r < repeats; r++) {
			const t0 = performance.now();
			await prefillAll(promptIds(n));
			rates.push(n / ((performance.now() - t0) / 1000));
		}
		prefill[n] = median(rates);
	}
	for (const n of decodeLengths) {
		const rates = [];
		for (let r = 0; r < repeats; r++) {
			let logits = await prefillAll(promptIds(n));
			const ids = [argmax(logits)];
			const t0 = performance.now();
			for (let s = 0; s < DECODE_STEPS; s++) {
				logits = await step([ids[ids.length - 1]], n + s);
				ids.push(argmax(logits));
			}
			rates.push(DECODE_STEPS / ((performance.now() - t0) / 1000));
			greedy[n] = ids;
		}
		decode[n] = median(rates);
	}
	await session.release();
	return { engine: 'bare', prefill, decode, greedy, peakRssMiB: peakRssMiB() };
}
