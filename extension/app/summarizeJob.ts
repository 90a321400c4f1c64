import type { GenerationStats } from '../engine/model/languageModel';
import type { SummaryScope } from '../engine/prompts/filePrompts';
import type { ContextBudget } from '../engine/workspace/budget';
import {
	parseCitations,
	validateCitations,
	type Citation,
	type DroppedCitation,
} from '../engine/workspace/citations';
import { leftOutNote, type ManifestFile } from '../engine/workspace/manifest';
import { textFromReader } from '../engine/workspace/questionContext';
import type { WorkspaceReader } from '../engine/workspace/reader';
import type { EditorFocus } from '../engine/workspace/relevance';
import { scanWorkspace } from '../engine/workspace/scan';
import { summarizeWorkspace } from '../engine/workspace/summarize';
import { budgetInfo, manifestRows } from './events';
import { generate } from './generation';
import { scanProgress, type AnswerSettings, type JobContext } from './jobContext';

export interface SummarizeRequest extends AnswerSettings {
	readonly scope: SummaryScope;
	readonly focus?: EditorFocus;
}

export interface SummarizeResult {
	readonly summary: string;
	readonly mode: 'single' | 'map-reduce';
	readonly parts: number;
	readonly levels: number;
	readonly calls: number;
	readonly files: readonly ManifestFile[];
	/** The largest single request's budget. */
	readonly budget: ContextBudget;
	/** The last model call's statistics. */
	readonly stats: GenerationStats;
	readonly citations: readonly Citation[];
	readonly dropped: readonly DroppedCitation[];
	/** What was left out, or how a map-reduce went, for people. */
	readonly note?: string;
}

/**
 * A summary of a file, a selection, a folder or the workspace: one request when it fits the
 * longest window, map-reduce beyond it (each call planned once, all on one session).
 */
export async function summarizeJob(
	request: SummarizeRequest,
	reader: WorkspaceReader,
	context: JobContext,
): Promise<SummarizeResult> {
	const { model, counts, emit, token } = context;
	const scan = await scanWorkspace(reader, {
		counter: counts.counter,
		token,
		progressEvery: 25,
		onProgress: scanProgress(emit),
	});
	counts.save();
	if (scan.files.length === 0) {
		const why = scan.skipped.map((s) => `${s.path}: ${s.detail}`).join('; ');
		throw new Error(
			`nothing to summarize: no readable text file in scope${why ? ` (${why})` : ''}`,
		);
	}
	const session = model.openSession();
	let last: GenerationStats | undefined;
	let calls = 0;
	try {
		const result = await summarizeWorkspace({
			scan,
			counter: counts.counter,
			model,
			scope: request.scope,
			answerTokens: request.answerTokens,
			readText: textFromReader(reader),
			focus: request.focus,
			override: request.override,
			cap: request.cap,
			token,
			onProgress: (p) =>
				emit({
					type: 'progress',
					progress: { phase: 'packing', done: p.done, total: p.total, detail: p.message },
				}),
			complete: async (plan, callToken) => {
				const generated = await generate(model, session, plan, {
					sampling: request.sampling,
					emit,
					token: callToken ?? token,
					reset: calls++ > 0,
				});
				last = generated.stats;
				return generated.text;
			},
		});
		const budget = result.manifest?.budget ?? result.budget;
		// A single request's manifest says where the walk stopped; a map-reduce says it here.
		const leftOut = result.manifest ? leftOutNote(result.manifest) : scan.stopped?.message;
		emit({
			type: 'manifest',
			budget: budgetInfo(budget),
			files: manifestRows(result.files),
			...(leftOut ? { note: leftOut } : {}),
		});
		if (!last) throw new Error('nothing to summarize: no readable text file in scope');
		const mapReduce =
			result.mode === 'map-reduce'
				? `Summarized in ${result.parts} parts and ${result.levels} combining round${result.levels === 1 ? '' : 's'} (${result.calls} model calls): the scope is larger than the ${budget.window.toLocaleString('en-US')}-token window.`
				: undefined;
		const { citations, dropped } = validateCitations(
			parseCitations(result.summary),
			result.files,
		);
		const note = [mapReduce, leftOut].filter(Boolean).join(' ');
		return {
			summary: result.summary,
			mode: result.mode,
			parts: result.parts,
			levels: result.levels,
			calls: result.calls,
			files: result.files,
			budget,
			stats: last,
			citations,
			dropped,
			...(note ? { note } : {}),
		};
	} finally {
		session.dispose();
	}
}
