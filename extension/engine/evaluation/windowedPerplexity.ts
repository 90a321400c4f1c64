import { throwIfCancelled } from '../cancellation';
import type { RopeScaling } from '../scalings';
import { specFor, type HarnessContext, type PerplexityFn } from './harness';
import {
	bootstrapInterval,
	bootstrapResamples,
	pooledPerplexity,
	type Interval,
} from './intervals';
import { methodScaling, type EvalMethod } from './methods';
import {
	groupOf,
	selectInRegions,
	selectWindows,
	windowCount,
	windowIds,
	windowsAvailable,
	type HeldOutDoc,
	type LanguageGroup,
	type TextWindow,
} from './windows';

/** One window's score under one method. */
export interface WindowScore {
	readonly window: TextWindow;
	readonly group: LanguageGroup;
	readonly nll: number;
	/** Predicted tokens (the window less its first). */
	readonly tokens: number;
	/** UTF-8 bytes of the predicted tokens' text (for bits per byte across tokenizers). */
	readonly bytes: number;
}

export interface WindowedRow {
	readonly method: EvalMethod;
	readonly length: number;
	readonly scale: number;
	readonly set: string;
	/** The same windows, in the same order, for every method at this length. */
	readonly windows: readonly WindowScore[];
	readonly seconds: number;
	/** The earlier method whose scaling is identical at this length (its scores are reused). */
	readonly sameAs?: EvalMethod;
}

export interface WindowedOptions {
	readonly docs: readonly HeldOutDoc[];
	readonly bos?: number;
	/** Tokens per group and length: ⌊budget/length⌋ windows, at least `minWindows`. */
	readonly tokenBudget: number;
	readonly minWindows: number;
	readonly seed: number;
	/** Take every length's windows inside regions of this length (the longest, for a sweep). */
	readonly regionLength?: number;
	readonly perplexity: PerplexityFn;
	/** Bytes of the text of predicted ids; 0 when not given. */
	readonly byteLength?: (ids: readonly number[]) => number;
}

function scalingKey(s: RopeScaling): string {
	return `${Array.from(s.factors).join(',')}|${s.nHat}|${s.attentionFactor}`;
}

/**
 * The windows of each language group at `length`: ⌊tokenBudget/length⌋ but at least
 * `minWindows` (as many as there are at most). With `regionLength`, they are taken inside the
 * group's regions, that many windows of `regionLength` chosen the same way (`selectInRegions`:
 * the same text at every length); without, from the whole documents (`selectWindows`).
 */
export function groupWindows(
	docs: readonly HeldOutDoc[],
	length: number,
	options: Pick<WindowedOptions, 'tokenBudget' | 'minWindows' | 'seed' | 'regionLength'>,
): { window: TextWindow; group: LanguageGroup; doc: HeldOutDoc }[] {
	const groups = new Map<LanguageGroup, HeldOutDoc[]>();
	for (const doc of docs) {
		const group = groupOf(doc.language);
		if (group === undefined)
			throw new Error(`${doc.name}: no language group for ${doc.language}`);
		groups.set(group, [...(groups.get(group) ?? []), doc]);
	}
	const { tokenBudget, minWindows, seed, regionLength } = options;
	const out: { window: TextWindow; group: LanguageGroup; doc: HeldOutDoc }[] = [];
	for (const [group, members] of groups) {
		const fromDocs = (n: number) => {
			const available = members.reduce((a, d) => a + windowsAvailable(d.ids.length, n), 0);
			return selectWindows(
				members,
				n,
				windowCount(n, tokenBudget, minWindows, available),
				seed,
			);
		};
		let windows: TextWindow[];
		if (regionLength === undefined) windows = fromDocs(length);
		else {
			const regions = fromDocs(regionLength);
			const available = regions.length * windowsAvailable(regionLength - 1, length);
			const count = windowCount(length, tokenBudget, minWindows, available);
			windows = selectInRegions(regions, length, count, seed);
		}
		const byName = new Map(members.map((d) => [d.name, d]));
		for (const window of windows) {
			out.push({ window, group, doc: byName.get(window.name) as HeldOutDoc });
		}
	}
	return out;
}

/**
 * Perplexity of every method on several non-overlapping windows per length and language
 * group (see `groupWindows`), each window scored separately so intervals can be drawn over
 * windows. A method whose scaling equals an earlier one's at a length (every rule at 1×)
 * reuses its scores instead of running the model again.
 */
export async function evaluateWindows(
	context: HarnessContext & WindowedOptions,
	now: () => number = () => performance.now(),
): Promise<WindowedRow[]> {
	const rows: WindowedRow[] = [];
	for (const length of context.lengths) {
		const chosen = groupWindows(context.docs, length, context);
		if (chosen.length === 0) {
			throw new Error(`no held-out document has a window of ${length} tokens`);
		}
		const byKey = new Map<string, WindowedRow>();
		for (const method of context.methods) {
			const m = methodScaling(method, context.geometry, length, context.modelSets);
			const key = scalingKey(m.scaling);
			const earlier = byKey.get(key);
			if (earlier) {
				rows.push({ ...earlier, method, set: m.set, sameAs: earlier.method, seconds: 0 });
				continue;
			}
			const spec = specFor(context.geometry, m.scaling);
			const t0 = now();
			const windows: WindowScore[] = [];
			for (const { window, group, doc } of chosen) {
				throwIfCancelled(context.token);
				const ids = windowIds(doc, window, context.bos);
				const r = await context.perplexity(ids, spec, context.token);
				windows.push({
					window,
					group,
					nll: r.negativeLogLikelihood,
					tokens: r.tokens,
					bytes: context.byteLength?.(ids.slice(ids.length - r.tokens)) ?? 0,
				});
			}
			const row: WindowedRow = {
				method,
				length,
				scale: m.scale,
				set: m.set,
				windows,
				seconds: (now() - t0) / 1000,
			};
			byKey.set(key, row);
			rows.push(row);
			context.onProgress?.(
				`ppl ${method} @${length} (${m.set}): ${pooledPerplexity(windows).toFixed(3)} over ${windows.length} windows, ${row.seconds.toFixed(1)} s`,
			);
		}
	}
	return rows;
}

/** Pooled perplexity of a subset of windows for one method and length, with its interval. */
export interface PerplexitySummary {
	readonly subset: string;
	readonly method: EvalMethod;
	readonly length: number;
	readonly scale: number;
	readonly set: string;
	readonly perplexity: number;
	readonly interval: Interval;
	/** Windows in the subset (`samples` so reports of whole-file rows read it too). */
	readonly samples: number;
	readonly tokens: number;
	readonly bytes: number;
	readonly seconds: number;
}

export interface Subset {
	readonly name: string;
	readonly includes: (score: WindowScore) => boolean;
}

/**
 * Per subset, method and length: the pooled perplexity exp(Σnll/Σtokens) of the subset's
 * windows and a percentile-bootstrap interval (`resamples` resamples of the windows with
 * replacement; the same resamples for every method of a subset and length, seeded by
 * seed, subset position and length).
 */
export function summarize(
	rows: readonly WindowedRow[],
	subsets: readonly Subset[],
	resamples: number,
	seed: number,
	level = 0.95,
): PerplexitySummary[] {
	const out: PerplexitySummary[] = [];
	subsets.forEach((subset, s) => {
		const lengths = [...new Set(rows.map((r) => r.length))];
		for (const length of lengths) {
			const atLength = rows.filter((r) => r.length === length);
			const count = atLength[0].windows.filter(subset.includes).length;
			if (count === 0) continue;
			const draws = bootstrapResamples(
				count,
				resamples,
				(Math.imul(seed >>> 0, 7919) + Math.imul(s + 1, 104729) + length) >>> 0,
			);
			for (const row of atLength) {
				const items = row.windows.filter(subset.includes);
				out.push({
					subset: subset.name,
					method: row.method,
					length,
					scale: row.scale,
					set: row.set,
					perplexity: pooledPerplexity(items),
					interval: bootstrapInterval(draws, (k) => pooledPerplexity(items, k), level),
					samples: items.length,
					tokens: items.reduce((a, w) => a + w.tokens, 0),
					bytes: items.reduce((a, w) => a + w.bytes, 0),
					seconds: row.seconds,
				});
			}
		}
	});
	return out;
}

/** The subsets the quality report shows: each language group and all windows. */
export const REPORT_SUBSETS: readonly Subset[] = [
	{ name: 'workspace', includes: (w) => w.group === 'workspace' },
	{ name: 'original', includes: (w) => w.group === 'original' },
	{ name: 'all', includes: () => true },
	{ name: 'ts+md', includes: (w) => w.window.language === 'ts' || w.window.language === 'md' },
];
