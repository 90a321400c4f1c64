import type { ChatMessage } from '../generation/chatTemplate';

/**
 * A file (or part of one) as the model sees it: a header with its path, language and, when only
 * part is shown, which lines; then the text, each line after its number (numberLines); then,
 * when the tail was cut, a visible marker.
 */
export interface PromptFile {
	readonly path: string;
	readonly language: string;
	readonly text: string;
	/** Set when the text is not the whole file: the 1-based lines shown, of how many. */
	readonly lines?: { readonly from: number; readonly to: number; readonly of: number };
	/** The text is the editor's selection. */
	readonly selection?: boolean;
	/** Lines are shown without their numbers (`longrope.lineNumbers` off). */
	readonly unnumbered?: boolean;
	/** The tail was cut to fit: the marker names the lines left out. */
	readonly cut?: {
		readonly from: number;
		readonly to: number;
		readonly of: number;
		/** Line `from` is shown in part: it was longer than the room. */
		readonly partial?: boolean;
	};
}

export const SYSTEM_PROMPT =
	'You are a careful assistant for a software workspace. Answer from the files shown. ' +
	'Cite the lines you rely on as path:line. Say so when the files do not contain the answer.';

/** C0 and C1 controls and the Unicode line and paragraph separators. */
function isControl(ch: string): boolean {
	const code = ch.charCodeAt(0);
	return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/**
 * A path as prompts show it: as it is, unless it holds a control character — then quoted with
 * every control escaped, so that a file named `a\n### b.ts (typescript)` cannot forge a header
 * (or a line of its own) in the prompt.
 */
export function promptPath(path: string): string {
	if (![...path].some(isControl)) return path;
	// JSON escapes the C0 controls, quotes and backslashes; the rest are escaped here.
	return [...JSON.stringify(path)]
		.map((ch) => (isControl(ch) ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch))
		.join('');
}

/**
 * The line before a file's text. It names the line range when the text starts past line 1 (a
 * selection, a part of a split file), so that the model can cite lines; a head cut names what it
 * left out in its marker instead, so the header (and the prompt's prefix up to the cut) stays
 * the same however much of the file a later request shows.
 */
export function fileHeader(file: Omit<PromptFile, 'text'>): string {
	const parts = [file.language];
	if (file.selection) parts.push('selection');
	const headCut = file.cut !== undefined && file.lines?.from === 1 && !file.selection;
	if (file.lines && !headCut) {
		parts.push(`lines ${file.lines.from}–${file.lines.to} of ${file.lines.of}`);
	}
	return `### ${promptPath(file.path)} (${parts.join(', ')})\n`;
}

/** The marker that replaces a cut tail; it says which lines the model does not see. */
export function cutMarker(cut: NonNullable<PromptFile['cut']>): string {
	const what = !cut.partial
		? `lines ${cut.from}–${cut.to}`
		: cut.from < cut.to
			? `the rest of line ${cut.from} and lines ${cut.from + 1}–${cut.to}`
			: `the rest of line ${cut.from}`;
	return `[… ${what} of ${cut.of} not shown: no room in the context]\n`;
}

/**
 * Text with each line's number and a tab before it (as `cat -n` writes it, without the padding,
 * which costs tokens), counting from `from`. A model that must cite `path:line` copies the number
 * instead of counting lines, which a small model cannot do and a large one gets wrong.
 */
export function numberLines(text: string, from = 1): string {
	if (text === '') return '';
	let line = from;
	let out = `${line}\t`;
	let start = 0;
	for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', start)) {
		out += text.slice(start, at + 1);
		start = at + 1;
		if (start < text.length) out += `${++line}\t`;
	}
	return out + text.slice(start);
}

export function renderFile(file: PromptFile): string {
	const shown = file.unnumbered ? file.text : numberLines(file.text, file.lines?.from ?? 1);
	const text = shown === '' || shown.endsWith('\n') ? shown : `${shown}\n`;
	return `${fileHeader(file)}${text}${file.cut ? cutMarker(file.cut) : ''}`;
}

/** Files one after another, a blank line between them. */
export function renderFiles(files: readonly PromptFile[]): string {
	return files.map(renderFile).join('\n');
}

function withFiles(files: readonly PromptFile[], request: string): string {
	return files.length === 0 ? request : `${renderFiles(files)}\n${request}`;
}

/** A question of an earlier turn and the answer it got. */
export interface Exchange {
	readonly question: string;
	readonly answer: string;
}

/**
 * Q&A over files, with the conversation's earlier exchanges. The files come first, then the
 * exchanges oldest first, then the question, so that a conversation that grows by a turn keeps
 * its token prefix (the same files) and the runtime reuses its cached keys.
 */
export function questionMessages(
	files: readonly PromptFile[],
	question: string,
	history: readonly Exchange[] = [],
): ChatMessage[] {
	const asked = (q: string) => `Question: ${q}`;
	const turns: ChatMessage[] = [];
	history.forEach((exchange, k) => {
		turns.push(
			{
				role: 'user',
				content:
					k === 0 ? withFiles(files, asked(exchange.question)) : asked(exchange.question),
			},
			{ role: 'assistant', content: exchange.answer },
		);
	});
	turns.push({
		role: 'user',
		content: history.length === 0 ? withFiles(files, asked(question)) : asked(question),
	});
	return [{ role: 'system', content: SYSTEM_PROMPT }, ...turns];
}

/** What a summary is about. */
export type SummaryScope =
	| { readonly kind: 'file'; readonly path: string }
	| {
			readonly kind: 'selection';
			readonly path: string;
			readonly from: number;
			readonly to: number;
	  }
	| { readonly kind: 'folder'; readonly path: string }
	| { readonly kind: 'workspace'; readonly name: string };

export function scopeLabel(scope: SummaryScope): string {
	switch (scope.kind) {
		case 'file':
			return `the file ${promptPath(scope.path)}`;
		case 'selection':
			return `lines ${scope.from}–${scope.to} of ${promptPath(scope.path)}`;
		case 'folder':
			return `the folder ${promptPath(scope.path)}`;
		case 'workspace':
			return `the workspace ${promptPath(scope.name)}`;
		default: {
			const never: never = scope;
			return never;
		}
	}
}

/** The request for a final summary of a scope. */
export function summaryRequest(scope: SummaryScope): string {
	switch (scope.kind) {
		case 'file':
			return `Summarize the file ${promptPath(scope.path)}: what it is for, its main parts, and anything unusual. Cite lines as path:line.`;
		case 'selection':
			return `Summarize the selected lines ${scope.from}–${scope.to} of ${promptPath(scope.path)}: what they do and how they fit into the file. Cite lines as path:line.`;
		case 'folder':
			return `Summarize the folder ${promptPath(scope.path)}: what it is for, what each main file does, how they fit together, and where to start reading. Cite lines as path:line.`;
		case 'workspace':
			return `Summarize the workspace ${promptPath(scope.name)}: what the project does, its main parts and how they fit together, and where to start reading. Cite lines as path:line.`;
		default: {
			const never: never = scope;
			return never;
		}
	}
}

/** A summary of the given files, all of which fit in one request. */
export function summaryMessages(files: readonly PromptFile[], scope: SummaryScope): ChatMessage[] {
	return [
		{ role: 'system', content: SYSTEM_PROMPT },
		{ role: 'user', content: withFiles(files, summaryRequest(scope)) },
	];
}

/** Map step: one chunk of a scope too large for one request. */
export function chunkSummaryMessages(
	files: readonly PromptFile[],
	scope: SummaryScope,
	part: number,
	parts: number,
): ChatMessage[] {
	return [
		{ role: 'system', content: SYSTEM_PROMPT },
		{
			role: 'user',
			content: withFiles(
				files,
				`These files are part ${part} of ${parts} of ${scopeLabel(scope)}. Summarize what they do in a few sentences, naming the files and citing lines as path:line.`,
			),
		},
	];
}

/** A summary of part of a scope, as the reduce step shows it. */
export interface PartSummary {
	/** For people and the model: which part, e.g. `part 3 of 7: src/a.ts … src/f.ts`. */
	readonly label: string;
	readonly text: string;
}

export function renderPartSummary(part: PartSummary): string {
	const text = part.text.trim();
	return `## Summary of ${part.label}\n${text}\n`;
}

/**
 * Reduce step: summaries of parts → one summary. `final` asks for the scope's summary; otherwise
 * for a shorter combined summary that a later step combines again.
 */
export function combineSummariesMessages(
	parts: readonly PartSummary[],
	scope: SummaryScope,
	final: boolean,
): ChatMessage[] {
	const request = final
		? `The summaries above cover all of ${scopeLabel(scope)}. ${summaryRequest(scope)}`
		: `The summaries above cover part of ${scopeLabel(scope)}. Combine them into one shorter summary that keeps the file names and path:line citations.`;
	return [
		{ role: 'system', content: SYSTEM_PROMPT },
		{ role: 'user', content: `${parts.map(renderPartSummary).join('\n')}\n${request}` },
	];
}
