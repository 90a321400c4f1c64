import * as path from 'node:path';
import {
	peakRssMiB,
	promptIds,
	rssMiB,
	type LengthRow,
	type SideJob,
	type SideReport,
} from './shared';

/**
 * transformers.js (@huggingface/transformers on onnxruntime-node) on the folder's own graph and
 * weights, called as its users call it: generate() with greedy decoding, the whole prompt in one
 * run. A streamer stamps each new token: the first gives the time to first token, the rest the
 * decode rate. It keeps no cache between generate() calls, so it has no follow-up row.
 */
export async function measureTransformersJs(job: SideJob): Promise<SideReport> {
	const { AutoModelForCausalLM, Tensor, env } = await import('@huggingface/transformers');
	env.allowRemoteModels = false;
	env.localModelPath = path.dirname(job.folder) + path.sep;
	const started = performance.now();
	const model = await AutoModelForCausalLM.from_pretrained(path.basename(job.folder), {
		local_files_only: true,
		dtype: 'fp32',
		device: 'cpu',
		// The ORT-genai folder keeps model.onnx at its top, not under onnx/.
		subfolder: '',
		...(job.threads > 0 ? { session_options: { intraOpNumThreads: job.threads } } : {}),
	});
	const loadMs = performance.now() - started;
	const loadRssMiB = rssMiB();
	const config = model.config as unknown as Record<string, number>;
	const vocab = config.vocab_size;
	// What its past holds after the answer: [1, kv_heads, length + steps, head] fp32 per layer and side.
	const kvPerToken =
		2 *
		config.num_hidden_layers *
		config.num_key_value_heads *
		(config.hidden_size / config.num_attention_heads) *
		4;
	const rows: LengthRow[] = [];
	for (const length of job.lengths) {
		const ids = promptIds(length, vocab);
		const stamps: number[] = [];
		const greedy: number[] = [];
		let calls = 0;
		const streamer = {
			put(value: bigint[][]) {
				// The first call carries the prompt; each later one a new token.
				if (calls++ === 0) return;
				stamps.push(performance.now());
				greedy.push(Number(value[0][0]));
			},
			end() {},
		};
		const t0 = performance.now();
		await model.generate({
			input_ids: new Tensor(
				'int64',
				BigInt64Array.from(ids, (id) => BigInt(id)),
				[1, length],
			),
			attention_mask: new Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]),
			max_new_tokens: job.decodeSteps + 1,
			min_new_tokens: job.decodeSteps + 1,
			do_sample: false,
			streamer: streamer as never,
		});
		const ttft = stamps[0] - t0;
		rows.push({
			length,
			prefillTokensPerSecond: length / (ttft / 1000),
			decodeTokensPerSecond:
				job.decodeSteps / ((stamps[stamps.length - 1] - stamps[0]) / 1000),
			timeToFirstTokenMs: ttft,
			kvBytes: kvPerToken * (length + job.decodeSteps),
			greedy,
		});
	}
	await model.dispose();
	return { label: job.label, kind: job.kind, loadMs, rows, loadRssMiB, peakRssMiB: peakRssMiB() };
}
