import { seededRandom } from '../generation/random';

/** Languages of the held-out text, by the file name's extension before `.txt`. */
export const LANGUAGE_GROUPS = {
	/** What VS Code workspaces hold: the domain the bundled model is to learn. */
	workspace: ['ts', 'js', 'md', 'json'],
	/** The first training corpus's domain. */
	original: ['py', 'go', 'rst'],
} as const;
export type LanguageGroup = keyof typeof LANGUAGE_GROUPS;

/** `x.d.ts.txt` → ts, `README.md.txt` → md …; undefined for an extension no group holds. */
export function languageOf(fileName: string): string | undefined {
	const base = fileName.replace(/\.txt$/, '');
	const ext = /\.([A-Za-z0-9]+)$/.exec(base)?.[1]?.toLowerCase();
	if (ext === undefined) return undefined;
	const alias: Record<string, string> = { mjs: 'js', cjs: 'js', mts: 'ts', cts: 'ts' };
	const language = alias[ext] ?? ext;
	return groupOf(language) ? language : undefined;
}

export function groupOf(language: string): LanguageGroup | undefined {
	for (const [group, languages] of Object.entries(LANGUAGE_GROUPS)) {
		if ((languages as readonly string[]).includes(language)) return group as LanguageGroup;
	}
	return undefined;
}

/** A held-out document: its tokens without `<s>`. */
export interface HeldOutDoc {
	readonly name: string;
	readonly language: string;
	readonly ids: readonly number[];
}

/**
 * One evaluation window of `length` tokens: `<s>` + the document's tokens [start, start +
 * length − 1). Windows of one length never overlap; window k of a document starts at
 * k·(length − 1).
 */
export interface TextWindow {
	readonly name: string;
	readonly language: string;
	readonly length: number;
	readonly index: number;
	readonly start: number;
}

/** Non-overlapping windows of `length` tokens (with `<s>`) a document of `tokens` tokens holds. */
export function windowsAvailable(tokens: number, length: number): number {
	if (!Number.isInteger(length) || length < 2) {
		throw new Error(`a window needs at least 2 tokens, not ${length}`);
	}
	return Math.floor(tokens / (length - 1));
}

/** `count` of `available` window indices spread evenly from the start: ⌊i·available/count⌋. */
export function spreadIndices(available: number, count: number): number[] {
	if (count > available) throw new Error(`cannot pick ${count} of ${available} windows`);
	return Array.from({ length: count }, (_, i) => Math.floor((i * available) / count));
}

/**
 * How many windows a group gets at `length`: the token budget's worth (⌊budget/length⌋) but at
 * least `minWindows`, and no more than the documents hold.
 */
export function windowCount(
	length: number,
	tokenBudget: number,
	minWindows: number,
	available: number,
): number {
	return Math.min(available, Math.max(minWindows, Math.floor(tokenBudget / length)));
}

/**
 * Deals `count` windows of `length` over spans of `tokens[k]` tokens: one per span per round,
 * the spans in a seeded order (so a count smaller than the spans does not always favour the
 * same ones), each span's share spread evenly over it. Returns [span, window index] pairs.
 */
export function dealWindows(
	tokens: readonly number[],
	length: number,
	count: number,
	seed: number,
): [number, number][] {
	const available = tokens.map((t) => windowsAvailable(t, length));
	const total = available.reduce((a, b) => a + b, 0);
	if (count > total) {
		throw new Error(`only ${total} windows of ${length} tokens in the text, not ${count}`);
	}
	const order = seededOrder(tokens.length, (Math.imul(seed >>> 0, 1000003) + length) >>> 0);
	const share = tokens.map(() => 0);
	for (let dealt = 0; dealt < count;) {
		for (const k of order) {
			if (dealt === count) break;
			if (share[k] < available[k]) {
				share[k]++;
				dealt++;
			}
		}
	}
	return share.flatMap((n, k) =>
		spreadIndices(available[k], n).map((index): [number, number] => [k, index]),
	);
}

/** `count` windows of `length` from whole documents (see `dealWindows`). */
export function selectWindows(
	docs: readonly HeldOutDoc[],
	length: number,
	count: number,
	seed: number,
): TextWindow[] {
	return dealWindows(
		docs.map((d) => d.ids.length),
		length,
		count,
		seed,
	).map(([d, index]) => ({
		name: docs[d].name,
		language: docs[d].language,
		length,
		index,
		start: index * (length - 1),
	}));
}

/**
 * `count` windows of `length` inside fixed regions (windows of the longest length): the same
 * files and places at every length, so lengths differ in context, not in which text they read.
 */
export function selectInRegions(
	regions: readonly TextWindow[],
	length: number,
	count: number,
	seed: number,
): TextWindow[] {
	return dealWindows(
		regions.map((r) => r.length - 1),
		length,
		count,
		seed,
	).map(([r, index]) => ({
		name: regions[r].name,
		language: regions[r].language,
		length,
		index,
		start: regions[r].start + index * (length - 1),
	}));
}

/** A seeded permutation of 0…n−1 (Fisher–Yates on mulberry32). */
export function seededOrder(n: number, seed: number): number[] {
	const random = seededRandom(seed);
	const order = Array.from({ length: n }, (_, k) => k);
	for (let k = n - 1; k > 0; k--) {
		const j = Math.floor(random() * (k + 1));
		[order[k], order[j]] = [order[j], order[k]];
	}
	return order;
}

/** The ids a window feeds the model. */
export function windowIds(doc: HeldOutDoc, window: TextWindow, bos?: number): number[] {
	const body = doc.ids.slice(window.start, window.start + window.length - 1);
	return bos === undefined ? body : [bos, ...body];
}
