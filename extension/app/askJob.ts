import type { ModelSession } from '../engine/model/languageModel';
import type { Exchange } from '../engine/prompts/filePrompts';
import {
	parseCitations,
	validateCitations,
	type Citation,
	type DroppedCitation,
} from '../engine/workspace/citations';
import type { ConversationContext } from '../engine/workspace/followUp';
import { leftOutNote, type WorkspaceManifest } from '../engine/workspace/manifest';
import { prepareQuestion } from '../engine/workspace/questionContext';
import type { WorkspaceReader } from '../engine/workspace/reader';
import type { EditorFocus } from '../engine/workspace/relevance';
import { budgetInfo, manifestRows } from './events';
import { generate, type Generated } from './generation';
import { scanProgress, type AnswerSettings, type JobContext } from './jobContext';

export interface AskRequest extends AnswerSettings {
	readonly question: string;
	/** Earlier exchanges of the chat, oldest first (the oldest are trimmed to fit). */
	readonly history?: readonly Exchange[];
	readonly focus?: EditorFocus;
}

export interface AskResult extends Generated {
	readonly manifest: WorkspaceManifest;
	readonly citations: readonly Citation[];
	readonly dropped: readonly DroppedCitation[];
	/** What was left out of the context, for people. */
	readonly leftOut?: string;
	/** The prompt the model ran. */
	readonly promptIds: readonly number[];
	/** How many earlier exchanges went back to the model. */
	readonly historyKept: number;
	/** What this turn showed, for the chat's next turn. */
	readonly conversation: ConversationContext;
}

/**
 * A question about a workspace (a chat turn when it has history): read, count, pack one plan,
 * answer on `session`, check the answer's citations against what the model was shown. A chat
 * passes its previous turn's context and keeps its session: the same files come first again
 * and the cached keys of that prefix are reused.
 */
export async function askJob(
	request: AskRequest,
	reader: WorkspaceReader,
	session: ModelSession,
	context: JobContext,
	previous?: ConversationContext,
): Promise<AskResult> {
	const { model, counts, emit, token } = context;
	const packed = await prepareQuestion({
		reader,
		counter: counts.counter,
		model,
		question: request.question,
		history: request.history,
		previous,
		answerTokens: request.answerTokens,
		focus: request.focus,
		override: request.override,
		cap: request.cap,
		token,
		onScanProgress: scanProgress(emit),
	});
	counts.save();
	const leftOut = leftOutNote(packed.manifest);
	emit({
		type: 'manifest',
		budget: budgetInfo(packed.manifest.budget),
		files: manifestRows(packed.manifest.files),
		...(leftOut ? { note: leftOut } : {}),
	});
	const generated = await generate(model, session, packed.plan, {
		sampling: request.sampling,
		emit,
		token,
	});
	const { citations, dropped } = validateCitations(
		parseCitations(generated.text),
		packed.manifest.files,
	);
	return {
		...generated,
		manifest: packed.manifest,
		citations,
		dropped,
		...(leftOut ? { leftOut } : {}),
		promptIds: packed.plan.promptIds,
		historyKept: packed.history.length,
		conversation: packed.conversation,
	};
}
