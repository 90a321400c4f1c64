import type { CancellationToken } from '../cancellation';
import type { FactorOverride } from '../factorSelection';
import type { LengthLimit, PlanningModel } from '../model/languageModel';
import type { Exchange } from '../prompts/filePrompts';
import type { ConversationContext } from './followUp';
import { packContext, type PackedContext } from './packer';
import type { WorkspaceReader } from './reader';
import { questionTerms, type EditorFocus } from './relevance';
import { scanWorkspace, type ScanProgress, type ScanResult } from './scan';
import type { TokenCounter } from './tokenCount';

export interface QuestionContextOptions {
	readonly reader: WorkspaceReader;
	readonly counter: TokenCounter;
	readonly model: PlanningModel;
	readonly question: string;
	readonly history?: readonly Exchange[];
	/** What the conversation's previous turn showed (its files first again when unchanged). */
	readonly previous?: ConversationContext;
	readonly answerTokens: number;
	readonly focus?: EditorFocus;
	readonly override?: FactorOverride;
	readonly cap?: LengthLimit;
	readonly token?: CancellationToken;
	readonly onScanProgress?: (progress: ScanProgress) => void;
}

/** The current text of a file through a reader, or undefined when it is no longer text. */
export function textFromReader(
	reader: WorkspaceReader,
): (path: string) => Promise<string | undefined> {
	return async (path) => {
		const entry = await reader.read(path);
		return entry.kind === 'text' ? entry.text : undefined;
	};
}

/** Q&A context for a workspace: scan (streaming, counted, scored), then pack. */
export async function prepareQuestion(
	options: QuestionContextOptions,
): Promise<PackedContext & { readonly scan: ScanResult }> {
	const terms = questionTerms(options.question);
	const scan = await scanWorkspace(options.reader, {
		counter: options.counter,
		terms,
		token: options.token,
		onProgress: options.onScanProgress,
	});
	const packed = await packContext({
		scan,
		counter: options.counter,
		model: options.model,
		question: options.question,
		history: options.history,
		previous: options.previous,
		terms,
		answerTokens: options.answerTokens,
		focus: options.focus,
		override: options.override,
		cap: options.cap,
		readText: textFromReader(options.reader),
		token: options.token,
	});
	return { ...packed, scan };
}
