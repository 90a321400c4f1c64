import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryTokenCountCache, type TokenCountCache } from '../engine/workspace/tokenCount';

/** SHA-256 of a text's UTF-8 bytes, hex: the content hash token counts are cached by. */
export function sha256Hex(text: string | Uint8Array): string {
	return createHash('sha256').update(text).digest('hex');
}

/** Where the CLI keeps caches: $LONGROPE_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, /longrope-assistant. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
	if (env.LONGROPE_CACHE_DIR) return path.resolve(env.LONGROPE_CACHE_DIR);
	const base = env.XDG_CACHE_HOME
		? path.resolve(env.XDG_CACHE_HOME)
		: path.join(os.homedir(), '.cache');
	return path.join(base, 'longrope-assistant');
}

// 2: counts of files as prompts show them (numbered, keyed by hash; plain, by `hash:plain`).
// Version 1's counts, of plain text keyed by hash alone, are dropped.
const VERSION = 2;

interface StoreFile {
	readonly version: typeof VERSION;
	readonly tokenizer: string;
	readonly counts: Record<string, number>;
}

/**
 * Token counts of one tokenizer on disk (a JSON file named by the tokenizer's hash), so that a
 * second run over the same workspace tokenizes only what changed. Keeps the most recently used
 * `maxEntries`; a missing or damaged file starts an empty cache.
 */
export class TokenCountStore implements TokenCountCache {
	private readonly memory: MemoryTokenCountCache;
	private dirty = false;
	readonly file: string;

	private constructor(
		file: string,
		private readonly tokenizerHash: string,
		maxEntries: number,
	) {
		this.file = file;
		this.memory = new MemoryTokenCountCache(maxEntries);
	}

	/** The store for the tokenizer whose tokenizer.json has these bytes. */
	static open(
		dir: string,
		tokenizerJson: Uint8Array | string,
		maxEntries = 200_000,
	): TokenCountStore {
		const tokenizerHash = sha256Hex(tokenizerJson).slice(0, 16);
		const store = new TokenCountStore(
			path.join(dir, 'token-counts', `${tokenizerHash}.json`),
			tokenizerHash,
			maxEntries,
		);
		store.load();
		return store;
	}

	get size(): number {
		return this.memory.size;
	}

	get(hash: string): number | undefined {
		return this.memory.get(hash);
	}

	set(hash: string, tokens: number): void {
		this.memory.set(hash, tokens);
		this.dirty = true;
	}

	/** Writes the counts if any changed (atomically: a temporary file, then rename). */
	save(): void {
		if (!this.dirty) return;
		const counts: Record<string, number> = {};
		for (const [hash, tokens] of this.memory.entries()) counts[hash] = tokens;
		const doc: StoreFile = { version: VERSION, tokenizer: this.tokenizerHash, counts };
		mkdirSync(path.dirname(this.file), { recursive: true });
		const temp = `${this.file}.${process.pid}.tmp`;
		writeFileSync(temp, JSON.stringify(doc));
		renameSync(temp, this.file);
		this.dirty = false;
	}

	private load(): void {
		if (!existsSync(this.file)) return;
		try {
			const doc = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<StoreFile>;
			if (doc.version !== VERSION || doc.tokenizer !== this.tokenizerHash || !doc.counts)
				return;
			for (const [hash, tokens] of Object.entries(doc.counts)) {
				if (Number.isInteger(tokens) && tokens >= 0) this.memory.set(hash, tokens);
			}
		} catch {
			// A damaged cache is rebuilt.
		}
	}
}
