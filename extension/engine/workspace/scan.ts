import {
	CancellationError,
	CancellationTokenSource,
	throwIfCancelled,
	type CancellationToken,
} from '../cancellation';
import { fileHeader } from '../prompts/filePrompts';
import { languageOf } from '../prompts/language';
import type { WorkspaceReader, WorkspaceSkippedFile } from './reader';
import { termCounts } from './relevance';
import { lineCount, type TokenCounter } from './tokenCount';
import { DEFAULT_WALK_LIMITS, walkStop, type WalkLimits, type WalkStop } from './walkLimits';

/** What the packer keeps of a file: no text, so a large tree costs little memory. */
export interface FileRecord {
	readonly path: string;
	readonly language: string;
	readonly bytes: number;
	/** Content hash of the text, to notice a file that changed before it is packed. */
	readonly hash: string;
	/** Tokens of the text alone. */
	readonly tokens: number;
	/** Tokens of the file's header line in the prompt. */
	readonly headerTokens: number;
	/** Tokens of the first line (of its first FIRST_LINE_CHARS characters): the least worth showing. */
	readonly firstLineTokens: number;
	readonly lines: number;
	/** How often each question term occurs in the text (same order as the terms). */
	readonly terms?: Uint16Array;
}

export interface ScanProgress {
	readonly files: number;
	readonly skipped: number;
	readonly tokens: number;
	/** The file just read. */
	readonly path?: string;
	readonly done: boolean;
}

export interface ScanResult {
	/** Text files in the reader's order. */
	readonly files: readonly FileRecord[];
	readonly skipped: readonly WorkspaceSkippedFile[];
	readonly tokens: number;
	readonly bytes: number;
	/** Set when a limit ended the walk before the workspace did. */
	readonly stopped?: WalkStop;
}

export interface ScanOptions {
	readonly counter: TokenCounter;
	/** Question terms to count in each file (see questionTerms). */
	readonly terms?: readonly string[];
	readonly token?: CancellationToken;
	readonly onProgress?: (progress: ScanProgress) => void;
	/** Report progress every this many files (default 100). */
	readonly progressEvery?: number;
	/** Over the reader's own limits, over the defaults. */
	readonly limits?: Partial<WalkLimits>;
}

/**
 * Enough of a first line to tell whether it is worth a cut (MIN_CUT_TOKENS is far less), without
 * counting a minified file's single line twice.
 */
const FIRST_LINE_CHARS = 4096;

export function firstLine(text: string): string {
	const end = text.indexOf('\n');
	return text.slice(0, Math.min(end < 0 ? text.length : end + 1, FIRST_LINE_CHARS));
}

/** setTimeout's largest delay (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Reads every file once, streaming: counts its tokens with the model's tokenizer (through the
 * content-hash cache), its lines and the question's terms, and keeps only those numbers. Stops at
 * the walk limits (files, bytes, tokens, time) with what it has read and a message that says so.
 */
export async function scanWorkspace(
	reader: WorkspaceReader,
	options: ScanOptions,
): Promise<ScanResult> {
	const { counter, token, onProgress } = options;
	const limits: WalkLimits = { ...DEFAULT_WALK_LIMITS, ...reader.limits, ...options.limits };
	const terms = options.terms ?? [];
	const every = options.progressEvery ?? 100;
	const files: FileRecord[] = [];
	const skipped: WorkspaceSkippedFile[] = [];
	let tokens = 0;
	let bytes = 0;
	let lastPath: string | undefined;
	let stopped: WalkStop | undefined;
	throwIfCancelled(token);
	// The walk runs on its own token, so that the time limit stops a read that hangs too.
	const walk = new CancellationTokenSource();
	const forward = token?.onCancellationRequested(() => walk.cancel());
	let outOfTime = false;
	const timer = setTimeout(
		() => {
			outOfTime = true;
			walk.cancel();
		},
		Math.min(limits.maxMilliseconds, MAX_TIMER_MS),
	);
	const stop = (limit: WalkStop['limit']): WalkStop =>
		walkStop(limit, limits, { files: files.length + skipped.length, bytes, tokens, lastPath });
	try {
		for await (const entry of reader.entries(walk.token)) {
			throwIfCancelled(walk.token);
			const over =
				files.length + skipped.length >= limits.maxFiles
					? 'files'
					: bytes >= limits.maxBytes
						? 'bytes'
						: tokens >= limits.maxTokens
							? 'tokens'
							: undefined;
			if (over) {
				stopped = stop(over);
				break;
			}
			lastPath = entry.path;
			if (entry.kind === 'skipped') {
				skipped.push(entry);
			} else {
				const language = languageOf(entry.path);
				const counted = counter.countFile(entry.text);
				files.push({
					path: entry.path,
					language,
					bytes: entry.bytes,
					hash: counted.hash,
					tokens: counted.tokens,
					headerTokens: counter.count(fileHeader({ path: entry.path, language })),
					firstLineTokens: counter.countLines(firstLine(entry.text)),
					lines: lineCount(entry.text),
					...(terms.length > 0 ? { terms: termCounts(entry.text, terms) } : {}),
				});
				tokens += counted.tokens;
				bytes += entry.bytes;
			}
			const seen = files.length + skipped.length;
			if (onProgress && seen % every === 0) {
				onProgress({
					files: files.length,
					skipped: skipped.length,
					tokens,
					path: entry.path,
					done: false,
				});
			}
		}
	} catch (error) {
		const timedOut = error instanceof CancellationError && outOfTime;
		if (!timedOut || token?.isCancellationRequested) throw error;
		stopped = stop('time');
	} finally {
		clearTimeout(timer);
		forward?.dispose();
		walk.dispose();
	}
	onProgress?.({ files: files.length, skipped: skipped.length, tokens, done: true });
	return { files, skipped, tokens, bytes, ...(stopped ? { stopped } : {}) };
}
