import type { TextTokenizer } from '../generation/tokenizer';
import { numberLines } from '../prompts/filePrompts';

/** Token counts by content hash; the runtime keeps one per tokenizer on disk. */
export interface TokenCountCache {
	get(hash: string): number | undefined;
	set(hash: string, tokens: number): void;
}

/** A content hash of text (the runtime passes SHA-256 from node:crypto). */
export type ContentHasher = (text: string) => string;

/** An in-memory cache that forgets the least recently used counts beyond `maxEntries`. */
export class MemoryTokenCountCache implements TokenCountCache {
	private readonly counts = new Map<string, number>();

	constructor(private readonly maxEntries = 200_000) {}

	get size(): number {
		return this.counts.size;
	}

	get(hash: string): number | undefined {
		const tokens = this.counts.get(hash);
		if (tokens !== undefined) {
			this.counts.delete(hash);
			this.counts.set(hash, tokens);
		}
		return tokens;
	}

	/** Least recently used first. */
	entries(): IterableIterator<[string, number]> {
		return this.counts.entries();
	}

	set(hash: string, tokens: number): void {
		this.counts.delete(hash);
		this.counts.set(hash, tokens);
		if (this.counts.size > this.maxEntries) {
			const oldest = this.counts.keys().next().value;
			if (oldest !== undefined) this.counts.delete(oldest);
		}
	}
}

export interface CountedText {
	readonly tokens: number;
	readonly hash: string;
}

/**
 * Counts tokens with the model's own tokenizer, remembering file counts by content hash so that a
 * second question about the same workspace tokenizes only what changed.
 */
export class TokenCounter {
	hits = 0;
	misses = 0;

	/**
	 * `lineNumbers`: prompts show file lines after their numbers (numberLines), and counts include
	 * them; off, file text is shown and counted as it is (`longrope.lineNumbers`).
	 */
	constructor(
		readonly tokenizer: TextTokenizer,
		private readonly hash: ContentHasher,
		private readonly cache: TokenCountCache = new MemoryTokenCountCache(),
		readonly lineNumbers = true,
	) {}

	/** Tokens of a short text (headers, questions, markers); not cached. */
	count(text: string): number {
		return text.length === 0 ? 0 : this.tokenizer.encode(text).length;
	}

	/** Tokens of file text as prompts show it, its lines numbered from `from` when they are. */
	countLines(text: string, from = 1): number {
		return this.count(this.lineNumbers ? numberLines(text, from) : text);
	}

	/** Tokens of a whole file as prompts show it, through the cache. */
	countFile(text: string): CountedText {
		const hash = this.hash(text);
		// The two ways of showing a file count apart; one cache file holds both.
		const key = this.lineNumbers ? hash : `${hash}:plain`;
		const cached = this.cache.get(key);
		if (cached !== undefined) {
			this.hits++;
			return { tokens: cached, hash };
		}
		this.misses++;
		const tokens = this.countLines(text);
		this.cache.set(key, tokens);
		return { tokens, hash };
	}

	/** Content hash without counting (to notice a file that changed since it was counted). */
	hashOf(text: string): string {
		return this.hash(text);
	}
}

/** Number of lines in a text (a trailing newline does not start another line). */
export function lineCount(text: string): number {
	if (text.length === 0) return 0;
	let lines = 1;
	for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
	return text.endsWith('\n') ? lines - 1 : lines;
}

export interface TextHead {
	readonly text: string;
	readonly tokens: number;
	/** Whole lines kept. */
	readonly lines: number;
	/** The head goes on into line `lines + 1`, which is longer than `maxTokens` and was cut. */
	readonly partial: boolean;
}

/**
 * The longest head of `text` that ends at a line break and has at most `maxTokens` tokens; then,
 * when the next line alone is longer than `maxTokens` (minified code, a data line) and so could
 * never be shown whole, as much of that line as still fits. Searches between bounds estimated
 * from the text's characters per token, so a cut of a large file costs a handful of tokenizer
 * calls, not one per line.
 */
export function headWithin(
	text: string,
	maxTokens: number,
	count: (text: string) => number,
	knownTokens?: number,
): TextHead {
	const total = knownTokens ?? count(text);
	if (total <= maxTokens) return { text, tokens: total, lines: lineCount(text), partial: false };
	if (maxTokens <= 0) return { text: '', tokens: 0, lines: 0, partial: false };
	const ends: number[] = []; // ends[k] = length of the head with k + 1 lines
	for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) ends.push(at + 1);
	if (ends.length === 0 || ends[ends.length - 1] !== text.length) ends.push(text.length);

	const charsPerToken = text.length / Math.max(total, 1);
	const guess = maxTokens * charsPerToken;
	let lo = 0; // heads with lo lines fit (0 lines always does)
	let hi = ends.length; // heads with hi lines do not
	let loTokens = 0;
	const fits = (lines: number): number | undefined => {
		const tokens = count(text.slice(0, ends[lines - 1]));
		return tokens <= maxTokens ? tokens : undefined;
	};
	// Probe around the estimate first, then bisect.
	const estimate = lowerBound(ends, guess * 0.9);
	if (estimate > 0 && estimate < hi) {
		const tokens = fits(estimate);
		if (tokens !== undefined) {
			lo = estimate;
			loTokens = tokens;
		} else hi = estimate;
	}
	const upper = lowerBound(ends, guess * 1.1) + 1;
	if (upper > lo && upper < hi) {
		const tokens = fits(upper);
		if (tokens !== undefined) {
			lo = upper;
			loTokens = tokens;
		} else hi = upper;
	}
	while (hi - lo > 1) {
		const mid = (lo + hi) >> 1;
		const tokens = fits(mid);
		if (tokens !== undefined) {
			lo = mid;
			loTokens = tokens;
		} else hi = mid;
	}
	const start = lo > 0 ? ends[lo - 1] : 0;
	const whole = { text: text.slice(0, start), tokens: loTokens, lines: lo, partial: false };
	// The first line that did not fit: cut inside it only if it could never fit whole.
	if (lo > 0 && count(text.slice(start, ends[lo])) <= maxTokens) return whole;
	let a = start;
	let b = ends[lo];
	let aTokens = loTokens;
	while (b - a > 1) {
		const mid = (a + b) >> 1;
		const tokens = count(text.slice(0, mid));
		if (tokens <= maxTokens) {
			a = mid;
			aTokens = tokens;
		} else b = mid;
	}
	// Never split a surrogate pair.
	const code = text.charCodeAt(a - 1);
	if (a > start && code >= 0xd800 && code <= 0xdbff) {
		a--;
		aTokens = count(text.slice(0, a));
	}
	if (a === start) return whole;
	return { text: text.slice(0, a), tokens: aTokens, lines: lo, partial: true };
}

/** Number of entries of the ascending `ends` that are ≤ value. */
function lowerBound(ends: readonly number[], value: number): number {
	let lo = 0;
	let hi = ends.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (ends[mid] <= value) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}
