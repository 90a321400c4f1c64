import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { argmax } from '../../extension/engine/generation/sampling';
import { loadOnnxRuntime } from '../../extension/runtime/onnxRuntime';
import {
	peakRssMiB,
	rssMiB,
	promptIds,
	QUESTION_TOKENS,
	type LengthRow,
	type SideJob,
	type SideReport,
} from './shared';

interface DecoderConfig {
	num_hidden_layers: number;
	num_key_value_heads: number;
	head_size: number;
}

/**
 * The floor the engine is held to: a bare session.run loop on the folder's own, unadapted
 * graph, driven as ORT-genai drives it without a shared buffer: the attention mask of the total
 * length, the past fed in and each present fetched and fed back as the next past (its caches
 * switch to the long set inside the graph past the original window). The prompt runs in the
 * engine's chunks; nothing else is done between runs but an argmax.
 */
export async function measureBare(job: SideJob): Promise<SideReport> {
	const ort = await loadOnnxRuntime();
	const genai = JSON.parse(readFileSync(path.join(job.folder, 'genai_config.json'), 'utf8')) as {
		model: { vocab_size: number; decoder: DecoderConfig };
	};
	const { vocab_size: vocab, decoder } = genai.model;
	const layers = decoder.num_hidden_layers;
	const started = performance.now();
	const session = await ort.InferenceSession.create(path.join(job.folder, 'model.onnx'), {
		executionProviders: ['cpu'],
		...(job.threads > 0 ? { intraOpNumThreads: job.threads } : {}),
	});
	const loadMs = performance.now() - started;
	const loadRssMiB = rssMiB();
	const kvDims = (rows: number) => [1, decoder.num_key_value_heads, rows, decoder.head_size];

	let past: Ort.Tensor[] = [];
	let total = 0;
	const reset = () => {
		past = Array.from(
			{ length: 2 * layers },
			() => new ort.Tensor('float32', new Float32Array(0), kvDims(0)),
		);
		total = 0;
	};
	const run = async (ids: readonly number[]): Promise<number> => {
		total += ids.length;
		const feeds: Record<string, Ort.Tensor> = {
			input_ids: new ort.Tensor(
				'int64',
				BigInt64Array.from(ids, (id) => BigInt(id)),
				[1, ids.length],
			),
			attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
		};
		for (let l = 0; l < layers; l++) {
			feeds[`past_key_values.${l}.key`] = past[2 * l];
			feeds[`past_key_values.${l}.value`] = past[2 * l + 1];
		}
		const out = await session.run(feeds);
		past = [];
		for (let l = 0; l < layers; l++)
			past.push(out[`present.${l}.key`], out[`present.${l}.value`]);
		const logits = out.logits.data as Float32Array;
		return argmax(logits.subarray((ids.length - 1) * vocab));
	};
	const prefill = async (ids: readonly number[]): Promise<number> => {
		let next = 0;
		for (let s = 0; s < ids.length; s += job.prefillChunk) {
			next = await run(ids.slice(s, s + job.prefillChunk));
		}
		return next;
	};

	const rows: LengthRow[] = [];
	let followUp: SideReport['followUp'];
	for (const length of job.lengths) {
		reset();
		const prompt = promptIds(length, vocab);
		const t0 = performance.now();
		const greedy = [await prefill(prompt)];
		const ttft = performance.now() - t0;
		const t1 = performance.now();
		for (let s = 0; s < job.decodeSteps; s++)
			greedy.push(await run([greedy[greedy.length - 1]]));
		const decodeMs = performance.now() - t1;
		rows.push({
			length,
			prefillTokensPerSecond: length / (ttft / 1000),
			decodeTokensPerSecond: job.decodeSteps / (decodeMs / 1000),
			timeToFirstTokenMs: ttft,
			kvBytes: 2 * layers * (past[0].data as Float32Array).byteLength,
			greedy,
		});
		if (length === job.followUp) {
			// The last answer token and a new question, on top of the cached past.
			const question = [greedy[greedy.length - 1], ...promptIds(QUESTION_TOKENS, vocab, 2)];
			const t2 = performance.now();
			await prefill(question);
			followUp = { contextTokens: length, timeToFirstTokenMs: performance.now() - t2 };
		}
	}
	reset();
	await session.release();
	return {
		label: job.label,
		kind: job.kind,
		loadMs,
		rows,
		followUp,
		loadRssMiB,
		peakRssMiB: peakRssMiB(),
	};
}
