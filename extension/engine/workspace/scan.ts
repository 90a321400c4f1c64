import { throwIfCancelled, type CancellationToken } from '../cancellation';
import { fileHeader } from '../prompts/filePrompts';
import { languageOf } from '../prompts/language';
import type { WorkspaceReader, WorkspaceSkippedFile } from './reader';
import { termCounts } from './relevance';
import { lineCount, type TokenCounter } from './tokenCount';

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
}

export interface ScanOptions {
	readonly counter: TokenCounter;
	/** Question terms to count in each file (see questionTerms). */
	readonly terms?: readonly string[];
	readonly token?: CancellationToken;
	readonly onProgress?: (progress: ScanProgress) => void;
	/** Report progress every this many files (default 100). */
	readonly progressEvery?: number;
}

/**
 * Reads every file once, streaming: counts its tokens with the model's tokenizer (through the
 * content-hash cache), its lines and the question's terms, and keeps only those numbers.
 */
export async function scanWorkspace(
	reader: WorkspaceReader,
	options: ScanOptions,
): Promise<ScanResult> {
	const { counter, token, onProgress } = options;
	const terms = options.terms ?? [];
	const every = options.progressEvery ?? 100;
	const files: FileRecord[] = [];
	const skipped: WorkspaceSkippedFile[] = [];
	let tokens = 0;
	let bytes = 0;
	throwIfCancelled(token);
	for await (const entry of reader.entries(token)) {
		throwIfCancelled(token);
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
	onProgress?.({ files: files.length, skipped: skipped.length, tokens, done: true });
	return { files, skipped, tokens, bytes };
}
