import { readFileSync } from 'node:fs';
import type { TextTokenizer } from '../engine/generation/tokenizer';
import { MemoryTokenCountCache, TokenCounter } from '../engine/workspace/tokenCount';
import { defaultCacheDir, sha256Hex, TokenCountStore } from '../runtime/tokenCountStore';

/** A token counter whose counts outlive the process when they can, and how to keep them. */
export interface PersistentCounter {
	readonly counter: TokenCounter;
	/** Writes the counts learned since the last save; problems go to `warn`. */
	save(): void;
}

/** How prompts show file text: each line after its number (the default), or as it is. */
export interface CountingChoice {
	readonly lineNumbers?: boolean;
}

export interface CounterOptions extends CountingChoice {
	/** Where the counts are kept (default the user's cache folder). */
	readonly cacheDir?: string;
}

/**
 * Counts by content hash, kept per tokenizer in `cacheDir` (default the user's cache folder), so
 * a second question tokenizes only what changed. Without a tokenizer file or a writable folder
 * the counts live in memory, and `warn` says why.
 */
export function openTokenCounter(
	tokenizer: TextTokenizer,
	tokenizerFile: string | undefined,
	warn: (message: string) => void,
	options: CounterOptions = {},
): PersistentCounter {
	const cacheDir = options.cacheDir ?? defaultCacheDir();
	let store: TokenCountStore | undefined;
	if (tokenizerFile) {
		try {
			store = TokenCountStore.open(cacheDir, readFileSync(tokenizerFile));
		} catch (error) {
			warn(`token counts are not cached: ${(error as Error).message}`);
		}
	}
	return {
		counter: new TokenCounter(
			tokenizer,
			sha256Hex,
			store ?? new MemoryTokenCountCache(),
			options.lineNumbers ?? true,
		),
		save: () => {
			try {
				store?.save();
			} catch (error) {
				warn(`cannot save token counts to ${store?.file}: ${(error as Error).message}`);
			}
		},
	};
}
