import { throwIfCancelled, type CancellationToken } from '../cancellation';
import type { FactorSet } from '../factorSet';
import { inverseFrequencies, type RotaryGeometry } from '../rotaryGeometry';
import { rotarySpec, type RotarySpec } from '../rotaryTables';
import type { RopeScaling } from '../scalings';
import { methodScaling, type EvalMethod } from './methods';

/** The runtime's perplexity (LocalModel.perplexity), injected. */
export type PerplexityFn = (
	ids: readonly number[],
	spec: RotarySpec,
	token?: CancellationToken,
) => Promise<{ readonly tokens: number; readonly negativeLogLikelihood: number }>;

export interface TokenSample {
	readonly name: string;
	/** `<s>` + the document's tokens. */
	readonly ids: readonly number[];
}

export interface PerplexityRow {
	readonly method: EvalMethod;
	readonly length: number;
	readonly scale: number;
	readonly set: string;
	/** exp(total NLL / total predicted tokens) over the samples' first `length` tokens. */
	readonly perplexity: number;
	readonly samples: number;
	readonly tokens: number;
	readonly seconds: number;
}

export interface HarnessContext {
	readonly geometry: RotaryGeometry;
	/** The model's factor sets (config.json + longrope.json): what `longrope` picks from. */
	readonly modelSets: readonly FactorSet[];
	readonly lengths: readonly number[];
	readonly methods: readonly EvalMethod[];
	readonly token?: CancellationToken;
	readonly onProgress?: (message: string) => void;
}

export function specFor(geometry: RotaryGeometry, scaling: RopeScaling): RotarySpec {
	return rotarySpec(inverseFrequencies(geometry.base, geometry.rotaryDim), scaling);
}

/**
 * Perplexity per method and length on held-out samples: every sample long enough for the
 * length is cut to its first `length` tokens, so all methods see the same tokens.
 */
export async function evaluatePerplexity(
	context: HarnessContext & {
		readonly samples: readonly TokenSample[];
		readonly perplexity: PerplexityFn;
	},
	now: () => number = () => performance.now(),
): Promise<PerplexityRow[]> {
	const rows: PerplexityRow[] = [];
	for (const length of context.lengths) {
		const usable = context.samples.filter((s) => s.ids.length >= length);
		if (usable.length === 0) {
			const longest = Math.max(0, ...context.samples.map((s) => s.ids.length));
			throw new Error(
				`no text sample has ${length} tokens (the longest has ${longest}); give longer --text files`,
			);
		}
		for (const method of context.methods) {
			const m = methodScaling(method, context.geometry, length, context.modelSets);
			const spec = specFor(context.geometry, m.scaling);
			const t0 = now();
			let nll = 0;
			let tokens = 0;
			for (const sample of usable) {
				throwIfCancelled(context.token);
				const r = await context.perplexity(
					sample.ids.slice(0, length),
					spec,
					context.token,
				);
				nll += r.negativeLogLikelihood;
				tokens += r.tokens;
			}
			const row: PerplexityRow = {
				method,
				length,
				scale: m.scale,
				set: m.set,
				perplexity: Math.exp(nll / tokens),
				samples: usable.length,
				tokens,
				seconds: (now() - t0) / 1000,
			};
			rows.push(row);
			context.onProgress?.(
				`ppl ${method} @${length} (${m.set}): ${row.perplexity.toFixed(3)} (${usable.length} samples, ${row.seconds.toFixed(1)} s)`,
			);
		}
	}
	return rows;
}

/** Greedy generation of up to `maxNewTokens` after `prompt` with the given scaling, as text. */
export type GenerateFn = (
	prompt: readonly number[],
	scaling: RopeScaling,
	setName: string,
	maxNewTokens: number,
	token?: CancellationToken,
) => Promise<string>;
