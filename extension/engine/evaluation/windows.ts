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
 * `count` windows of `length` from the documents: dealt one per document per round, the
 * documents in a seeded order (so a count smaller than the documents does not always favour
 * the same files), each document's share spread evenly over it.
 */
export function selectWindows(
	docs: readonly HeldOutDoc[],
	length: number,
	count: number,
	seed: number,
): TextWindow[] {
	const available = docs.map((d) => windowsAvailable(d.ids.length, length));
	const total = available.reduce((a, b) => a + b, 0);
	if (count > total) {
		throw new Error(`only ${total} windows of ${length} tokens in the text, not ${count}`);
	}
	const order = seededOrder(docs.length, (Math.imul(seed >>> 0, 1000003) + length) >>> 0);
	const share = docs.map(() => 0);
	for (let dealt = 0; dealt < count;) {
		for (const d of order) {
			if (dealt === count) break;
			if (share[d] < available[d]) {
				share[d]++;
				dealt++;
			}
		}
	}
	const out: TextWindow[] = [];
	docs.forEach((doc, d) => {
		for (const index of spreadIndices(available[d], share[d])) {
			out.push({
				name: doc.name,
				language: doc.language,
				length,
				index,
				start: index * (length - 1),
			});
		}
	});
	return out;
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
