import * as path from 'node:path';
import { DECODE_STEPS, WARM_UP, median, peakRssMiB, promptIds, type EngineReport } from './shared';

/**
 * transformers.js (@huggingface/transformers on onnxruntime-node) running the identical weights
 * from the Hugging Face export, timed as its users call it: generate() with greedy decoding.
 * Prefill = generate 1 token; decode rate = the tokens after the first over the time between them
 * (a streamer stamps each one).
 */
export async function measureTransformersJs(
	hfFolder: string,
	prefillLengths: number[],
	decodeLengths: number[],
	repeats: number,
): Promise<EngineReport> {
	const { AutoModelForCausalLM, Tensor, env } = await import('@huggingface/transformers');
	env.allowRemoteModels = false;
	env.localModelPath = path.dirname(hfFolder) + path.sep;
	const model = await AutoModelForCausalLM.from_pretrained(path.basename(hfFolder), {
		local_files_only: true,
		dtype: 'fp32',
		device: 'cpu',
	});
	const generate = async (n: number, tokens: number) => {
		const ids = promptIds(n);
		// A streamer stamps each new token (its first call carries the prompt).
		const stamps: number[] = [];
		const streamer = {
			put: () => stamps.push(performance.now()),
			end: () => undefined,
		};
		const t0 = performance.now();
		const out = (await model.generate({
			input_ids: new Tensor(
				'int64',
				BigInt64Array.from(ids, (id) => BigInt(id)),
				[1, n],
			),
			attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
			max_new_tokens: tokens,
			min_new_tokens: tokens,
			do_sample: false,
			streamer: streamer as never,
		})) as InstanceType<typeof Tensor>;
		const tokenStamps = stamps.slice(1);
		return {
			ms: performance.now() - t0,
			decodeMs: tokenStamps[tokenStamps.length - 1] - tokenStamps[0],
			ids: Array.from(out.data as BigInt64Array, Number).slice(n),
		};
	};
	const prefill: Record<number, number> = {};
	const decode: Record<number, number> = {};
	const greedy: Record<number, number[]> = {};
	await generate(WARM_UP, 2);
	for (const n of prefillLengths) {
		const rates = [];
		for (let r = 0; r < repeats; r++) rates.push(n / ((await generate(n, 1)).ms / 1000));
		prefill[n] = median(rates);
	}
	for (const n of decodeLengths) {
		const rates = [];
		for (let r = 0; r < repeats; r++) {
			const many = await generate(n, DECODE_STEPS + 1);
			rates.push(DECODE_STEPS / (many.decodeMs / 1000));
			greedy[n] = many.ids;
		}
		decode[n] = median(rates);
	}
	await model.dispose();
	return { engine: 'transformers.js', prefill, decode, greedy, peakRssMiB: peakRssMiB() };
}
