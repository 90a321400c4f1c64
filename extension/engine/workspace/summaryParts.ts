import { fileHeader, promptPath, type PromptFile } from '../prompts/filePrompts';
import type { FileRecord } from './scan';
import { headWithin, lineCount, type TokenCounter } from './tokenCount';

/** Tokens kept spare per file for the tokenizer's merges at file boundaries. */
export const SLACK_PER_FILE = 2;

/** One map part's share of a file: all of it, or a range of its lines. */
export interface Slice {
	readonly record: FileRecord;
	/** Set when the part holds only these lines of the file. */
	readonly lines?: { readonly from: number; readonly to: number };
	readonly tokens: number;
}

/** Line ranges of a file too large for one part, each fitting `room` tokens with its header. */
export function splitLines(
	text: string,
	record: FileRecord,
	room: number,
	counter: TokenCounter,
): { from: number; to: number }[] {
	const total = lineCount(text);
	const wide = { from: total, to: total, of: total };
	const header = counter.count(
		fileHeader({ path: record.path, language: record.language, lines: wide }),
	);
	const budget = room - header - SLACK_PER_FILE;
	const ranges: { from: number; to: number }[] = [];
	let rest = text;
	let line = 1;
	while (rest.length > 0) {
		const head = headWithin(rest, budget, (t) => counter.countLines(t, line));
		// A line longer than a part is kept whole in a part of its own; the map step cuts it.
		const lines = Math.max(1, head.lines);
		ranges.push({ from: line, to: line + lines - 1 });
		rest = dropLines(rest, lines);
		line += lines;
	}
	return ranges;
}

function dropLines(text: string, lines: number): string {
	let at = 0;
	for (let k = 0; k < lines; k++) {
		const next = text.indexOf('\n', at);
		if (next < 0) return '';
		at = next + 1;
	}
	return text.slice(at);
}

export function sliceFile(slice: Slice, text: string, lineNumbers: boolean): PromptFile {
	const { record, lines } = slice;
	const shown = lineNumbers ? {} : { unnumbered: true };
	if (!lines) return { path: record.path, language: record.language, text, ...shown };
	const of = lineCount(text);
	const body = dropLines(text, lines.from - 1);
	let end = 0;
	for (let k = 0; k < lines.to - lines.from + 1 && end >= 0; k++) {
		const next = body.indexOf('\n', end);
		end = next < 0 ? body.length : next + 1;
	}
	return {
		path: record.path,
		language: record.language,
		text: body.slice(0, end),
		lines: { from: lines.from, to: lines.to, of },
		...shown,
	};
}

function describeSlice(slice: Slice): string {
	const path = promptPath(slice.record.path);
	return slice.lines ? `${path}:${slice.lines.from}-${slice.lines.to}` : path;
}

export function partLabel(slices: readonly Slice[]): string {
	if (slices.length === 1) return describeSlice(slices[0]);
	return `${describeSlice(slices[0])} … ${describeSlice(slices[slices.length - 1])} (${slices.length} files)`;
}
