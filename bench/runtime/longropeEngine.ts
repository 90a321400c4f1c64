import { inverseFrequencies } from '../../extension/engine/rotaryGeometry';
import { rotarySpec } from '../../extension/engine/rotaryTables';
import { noScaling } from '../../extension/engine/scalings';
import { planIds } from '../../extension/engine/model/requestPlan';
import { LocalModel } from '../../extension/runtime/localModel';
import {
	DECODE_STEPS,
	WARM_UP,
	median,
	peakRssMiB,
	PREFILL_CHUNK,
	promptIds,
	type EngineReport,
} from './shared';

async function run(
	model: LocalModel,
	prompt: number[],
	maxNewTokens: number,
	reuse?: ReturnType<LocalModel['openSession']>,
) {
	const conversation = reuse ?? model.openSession();
	// Plain RoPE (the unscaled set, whatever the length), as transformers.js computes inside its graph,
	// so that the three engines' greedy tokens can be compared; the cost is the same for any set.
	const stream = conversation.generate({
		plan: planIds(model, prompt, maxNewTokens, 'default'),
	});
	let next = await stream.next();
	while (!next.done) next = await stream.next();
	if (!reuse) conversation.dispose();
	return { stats: next.value, ids: [...next.value.tokenIds] };
}

/** The extension's own engine: LocalModel conversations, as the CLI and the editor use them. */
export async function measureLongrope(
	folder: string,
	prefillLengths: number[],
	decodeLengths: number[],
	repeats: number,
	intraOpThreads?: number,
): Promise<EngineReport> {
	const model = await LocalModel.load(folder, {
		prefillChunk: PREFILL_CHUNK,
		...(intraOpThreads === undefined ? {} : { intraOpThreads }),
	});
	const prefill: Record<number, number> = {};
	const decode: Record<number, number> = {};
	const greedy: Record<number, number[]> = {};
	await run(model, promptIds(WARM_UP), 2);
	for (const n of prefillLengths) {
		const rates = [];
		for (let r = 0; r < repeats; r++)
			rates.push((await run(model, promptIds(n), 1)).stats.prefillTokensPerSecond);
		prefill[n] = median(rates);
	}
	for (const n of decodeLengths) {
		const rates = [];
		for (let r = 0; r < repeats; r++) {
			const { stats, ids } = await run(model, promptIds(n), DECODE_STEPS + 1);
			rates.push(stats.decodeTokensPerSecond);
			greedy[n] = ids;
		}
		decode[n] = median(rates);
	}
	// A follow-up question over the same 2k-token context: reuse the cached prefix, or prefill it all.
	const context = promptIds(2048, 3);
	const withReuse = [];
	const full = [];
	for (let r = 0; r < repeats; r++) {
		const conversation = model.openSession();
		await run(model, [...context, ...promptIds(24, 4)], 1, conversation);
		withReuse.push(
			(await run(model, [...context, ...promptIds(24, 5)], 1, conversation)).stats
				.timeToFirstTokenMs,
		);
		conversation.dispose();
		full.push(
			(await run(model, [...context, ...promptIds(24, 5)], 1)).stats.timeToFirstTokenMs,
		);
	}
	const spec = rotarySpec(
		inverseFrequencies(model.folder.rope.geometry.base, model.folder.rope.geometry.rotaryDim),
		noScaling(model.folder.rope.geometry),
	);
	const ppl = [];
	for (let r = 0; r < repeats; r++) {
		const t0 = performance.now();
		const result = await model.perplexity(promptIds(2048, 6), spec);
		ppl.push(result.tokens / ((performance.now() - t0) / 1000));
	}
	await model.dispose();
	return {
		perplexityTokensPerSecond: median(ppl),
		engine: 'longrope',
		prefill,
		decode,
		greedy,
		followUp: {
			withReuseMs: median(withReuse),
			fullPrefillMs: median(full),
			contextTokens: context.length,
		},
		peakRssMiB: peakRssMiB(),
	};
}
