import type { ChatMessage } from '../generation/chatTemplate';

/** A file's text as the model sees it: a header with its path and language, then the text. */
export interface PromptFile {
	readonly path: string;
	readonly language: string;
	readonly text: string;
}

const SYSTEM =
	'You are a careful assistant for a software workspace. Answer from the files shown. ' +
	'Cite the lines you rely on as path:line. Say so when the files do not contain the answer.';

export function renderFile(file: PromptFile): string {
	return `### ${file.path} (${file.language})\n${file.text}\n`;
}

/** Q&A over files: the files come first so that the packed prefix is shared between questions. */
export function questionMessages(files: readonly PromptFile[], question: string): ChatMessage[] {
	return [
		{ role: 'system', content: SYSTEM },
		{ role: 'user', content: `${files.map(renderFile).join('\n')}\nQuestion: ${question}` },
	];
}

export function summaryMessages(files: readonly PromptFile[], what: string): ChatMessage[] {
	return [
		{ role: 'system', content: SYSTEM },
		{
			role: 'user',
			content: `${files.map(renderFile).join('\n')}\nSummarize ${what}: its purpose, main parts and anything unusual.`,
		},
	];
}
