import { cutMarker, fileHeader } from '../prompts/filePrompts';
import { languageOf } from '../prompts/language';
import type { FilePriority } from './manifest';
import {
	comparePackingOrder,
	namedInQuestion,
	relevanceScores,
	type EditorFocus,
} from './relevance';
import { firstLine, type FileRecord, type ScanResult } from './scan';
import { lineCount, type TokenCounter } from './tokenCount';

/** Fewer text tokens than this are not worth a cut file: the file is left out instead. */
export const MIN_CUT_TOKENS = 32;
/** The blank line between two files. */
export const SEPARATOR_TOKENS = 1;
/** The line break renderFile adds after text that does not end with one (a line cut in part). */
export const NEWLINE_TOKENS = 1;

/** What ranking needs of a pack request. */
export interface CandidateOptions {
	readonly scan: ScanResult;
	readonly counter: TokenCounter;
	readonly question: string;
	readonly terms?: readonly string[];
	readonly focus?: EditorFocus;
}

/** A file (or the selection) that may go into the context, with what it costs. */
export interface Candidate {
	readonly key: string;
	readonly path: string;
	readonly language: string;
	readonly priority: FilePriority;
	readonly score: number;
	readonly record?: FileRecord;
	/** The selection's text (the selection is packed apart from its file). */
	readonly selection?: NonNullable<EditorFocus['selection']>;
	readonly tokens: number;
	readonly headerTokens: number;
	/** Lines of the text (the selection's, for the selection). */
	readonly lines: number;
	/** Lines of the whole file. */
	readonly fileLines: number;
	/** Tokens of the first line: a cut that cannot show that much (or MIN_CUT_TOKENS) is not made. */
	readonly firstLineTokens: number;
}

/** Candidates in packing order, each file once, at its highest priority. */
export function rankCandidates(options: CandidateOptions): Candidate[] {
	const { scan, focus, counter } = options;
	const records = scan.files;
	const byPath = new Map(records.map((r) => [r.path, r]));
	const named = namedInQuestion(options.question, byPath.keys());
	const open = new Set(focus?.openEditors ?? []);
	const anchors = [
		...(focus?.activeEditor ? [focus.activeEditor] : []),
		...(focus?.selection ? [focus.selection.path] : []),
		...open,
		...named,
	];
	const scores = relevanceScores(records, options.terms ?? [], anchors);
	const candidates: Candidate[] = records.map((record, k) => {
		const priority: FilePriority =
			record.path === focus?.activeEditor
				? 'active-editor'
				: open.has(record.path)
					? 'open-editor'
					: named.has(record.path)
						? 'named-in-question'
						: scores[k] > 0
							? 'relevant'
							: 'rest';
		return {
			key: record.path,
			path: record.path,
			language: record.language,
			priority,
			score: scores[k],
			record,
			tokens: record.tokens,
			headerTokens: record.headerTokens,
			lines: record.lines,
			fileLines: record.lines,
			firstLineTokens: record.firstLineTokens,
		};
	});
	const selection = focus?.selection;
	if (selection && selection.text.length > 0) {
		const language = byPath.get(selection.path)?.language ?? languageOf(selection.path);
		const of = byPath.get(selection.path)?.lines ?? selection.toLine;
		candidates.push({
			key: `selection:${selection.path}`,
			path: selection.path,
			language,
			priority: 'selection',
			score: 0,
			selection,
			tokens: counter.countLines(selection.text, selection.fromLine),
			headerTokens: counter.count(
				fileHeader({
					path: selection.path,
					language,
					selection: true,
					lines: { from: selection.fromLine, to: selection.toLine, of },
				}),
			),
			lines: lineCount(selection.text),
			fileLines: of,
			firstLineTokens: counter.countLines(firstLine(selection.text), selection.fromLine),
		});
	}
	return candidates.sort(comparePackingOrder);
}

/** Whether a cut with `textRoom` tokens of text is worth making: its first line, or MIN_CUT_TOKENS. */
export function worthCutting(c: Candidate, textRoom: number, textTokens: number): boolean {
	return textTokens > 0 && textRoom >= Math.min(MIN_CUT_TOKENS, c.firstLineTokens, textTokens);
}

/** Header with a line range, the cut marker and the separator, with the widest line numbers. */
export function cutOverhead(c: Candidate, counter: TokenCounter): number {
	const n = c.fileLines;
	const span = { from: n, to: n, of: n };
	// The longest marker: the rest of a line cut in part and the lines after it.
	return (
		counter.count(
			fileHeader({
				path: c.path,
				language: c.language,
				selection: !!c.selection,
				lines: span,
			}),
		) +
		counter.count(cutMarker({ from: n, to: n + 1, of: n, partial: true })) +
		NEWLINE_TOKENS +
		SEPARATOR_TOKENS
	);
}
