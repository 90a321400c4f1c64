import { throwIfCancelled, type CancellationToken } from '../cancellation';
import type { FactorOverride } from '../factorSelection';
import type { ChatMessage, ChatPrompt } from '../generation/chatTemplate';
import type { LengthLimit, PlanningModel } from '../model/languageModel';
import { chooseSet, chooseWindow, planRendered, type RequestPlan } from '../model/requestPlan';
import {
	chunkSummaryMessages,
	combineSummariesMessages,
	renderPartSummary,
	summaryMessages,
	type PartSummary,
	type PromptFile,
	type SummaryScope,
} from '../prompts/filePrompts';
import type { ContextBudget } from './budget';
import type { ManifestFile, WorkspaceManifest } from './manifest';
import { packContext } from './packer';
import type { EditorFocus } from './relevance';
import type { ScanResult } from './scan';
import { partLabel, sliceFile, SLACK_PER_FILE, splitLines, type Slice } from './summaryParts';
import { headWithin, type TokenCounter } from './tokenCount';

/** One model call: a planned request in, the answer's text out (the job runs it on the model). */
export type CompleteFn = (
	plan: RequestPlan,
	token: CancellationToken | undefined,
) => Promise<string>;

/** Combining rounds before a map-reduce summary gives up (each should halve the summaries). */
export const MAX_REDUCE_ROUNDS = 12;

export interface SummarizeProgress {
	readonly phase: 'map' | 'reduce';
	/** Reduce rounds start at 1. */
	readonly level: number;
	readonly done: number;
	readonly total: number;
	readonly message: string;
}

export interface SummarizeOptions {
	readonly scan: ScanResult;
	readonly counter: TokenCounter;
	readonly model: PlanningModel;
	readonly scope: SummaryScope;
	/** Tokens each call may answer with; `complete` must keep to it. */
	readonly answerTokens: number;
	readonly complete: CompleteFn;
	readonly readText: (path: string) => Promise<string | undefined>;
	readonly focus?: EditorFocus;
	readonly override?: FactorOverride;
	/** A cap below the window (the user's), besides the model's memory limit. */
	readonly cap?: LengthLimit;
	readonly token?: CancellationToken;
	readonly onProgress?: (progress: SummarizeProgress) => void;
}

export interface SummaryResult {
	readonly summary: string;
	readonly mode: 'single' | 'map-reduce';
	/** Every file with what became of it; in map-reduce mode, which part summarized it. */
	readonly files: readonly ManifestFile[];
	/** The largest single request's budget (it adds up on its own). */
	readonly budget: ContextBudget;
	/** Map steps (parts), reduce rounds and model calls in all. */
	readonly parts: number;
	readonly levels: number;
	readonly calls: number;
	/** The single request's manifest (single mode only). */
	readonly manifest?: WorkspaceManifest;
}

/** A summary with the range of map parts it covers. */
interface Summarized {
	readonly part: PartSummary;
	readonly from: number;
	readonly to: number;
}

const SLACK = 8;

/**
 * Summarizes a scope. When it fits the window of the factor set the plan selects, one request
 * holds it all. Beyond the longest window it runs map-reduce: the files, in order, are cut
 * into parts that each fit one request (a file too large for one part is split at line
 * breaks), each part is summarized, and the summaries are combined, a window at a time, until
 * one is left.
 */
export async function summarizeWorkspace(options: SummarizeOptions): Promise<SummaryResult> {
	const { counter, model, scope, answerTokens, complete, token } = options;
	const packed = await packContext({
		scan: options.scan,
		counter,
		model,
		question: '',
		answerTokens,
		focus: options.focus,
		override: options.override,
		cap: options.cap,
		readText: options.readText,
		messages: (files) => summaryMessages(files, scope),
		token,
	});
	const fits = packed.manifest.files.every(
		(f) => f.status === 'included' || f.status === 'skipped',
	);
	if (fits) {
		options.onProgress?.({
			phase: 'map',
			level: 0,
			done: 0,
			total: 1,
			message: `summarizing ${packed.files.length} files in one request`,
		});
		const summary = await complete(packed.plan, token);
		options.onProgress?.({ phase: 'map', level: 0, done: 1, total: 1, message: 'done' });
		return {
			summary,
			mode: 'single',
			files: packed.manifest.files,
			budget: packed.manifest.budget,
			parts: 1,
			levels: 0,
			calls: 1,
			manifest: packed.manifest,
		};
	}
	return mapReduce(
		options,
		packed.manifest.files.filter((f) => f.status === 'skipped'),
	);
}

async function mapReduce(
	options: SummarizeOptions,
	skipped: readonly ManifestFile[],
): Promise<SummaryResult> {
	const { counter, model, scope, answerTokens, complete, token } = options;
	const measure = (messages: readonly ChatMessage[]): number =>
		model.renderChat(messages).ids.length;
	const window = chooseWindow(model, Number.MAX_SAFE_INTEGER, options.override, options.cap);
	const run = (
		messages: readonly ChatMessage[],
		prompt: ChatPrompt = model.renderChat(messages),
	) =>
		complete(
			planRendered(model, messages, prompt, answerTokens, window, options.override),
			token,
		);
	const wide = 99999;
	const mapTemplate = measure(chunkSummaryMessages([], scope, wide, wide));
	const mapRoom = window.window - answerTokens - mapTemplate - SLACK;
	if (mapRoom < 16) {
		throw new Error(
			`the ${window.window}-token window of "${window.set}" leaves no room for files after the ${mapTemplate}-token prompt and the ${answerTokens}-token answer; lower the answer budget`,
		);
	}

	// Plan the parts from the token counts; only files larger than a part are read here.
	const parts: Slice[][] = [];
	let current: Slice[] = [];
	let used = 0;
	const flush = (): void => {
		if (current.length > 0) parts.push(current);
		current = [];
		used = 0;
	};
	for (const record of options.scan.files) {
		throwIfCancelled(token);
		const cost = record.headerTokens + record.tokens + SLACK_PER_FILE;
		if (cost <= mapRoom) {
			if (used + cost > mapRoom) flush();
			current.push({ record, tokens: cost });
			used += cost;
			continue;
		}
		flush();
		const text = await options.readText(record.path);
		if (text === undefined) continue;
		for (const lines of splitLines(text, record, mapRoom, counter)) {
			parts.push([{ record, lines, tokens: mapRoom }]);
		}
	}
	flush();

	const partOf = new Map<string, number[]>();
	const summaries: Summarized[] = [];
	let calls = 0;
	let largest: { prompt: number; context: number } = { prompt: 0, context: 0 };
	for (let k = 0; k < parts.length; k++) {
		throwIfCancelled(token);
		const files: PromptFile[] = [];
		for (const slice of parts[k]) {
			const text = await options.readText(slice.record.path);
			if (text === undefined) continue;
			files.push(sliceFile(slice, text, counter.lineNumbers));
			const list = partOf.get(slice.record.path) ?? [];
			list.push(k + 1);
			partOf.set(slice.record.path, list);
		}
		const label = `part ${k + 1} of ${parts.length}: ${partLabel(parts[k])}`;
		options.onProgress?.({
			phase: 'map',
			level: 0,
			done: k,
			total: parts.length,
			message: `summarizing ${label}`,
		});
		let messages = chunkSummaryMessages(files, scope, k + 1, parts.length);
		let rendered = model.renderChat(messages);
		// The tokenizer's merges across file boundaries may still overflow: cut the last file.
		while (rendered.ids.length + answerTokens > window.window && files.length > 0) {
			const last = files[files.length - 1];
			const over = rendered.ids.length + answerTokens - window.window;
			const from = last.lines?.from ?? 1;
			const shown = counter.countLines(last.text, from);
			const head = headWithin(
				last.text,
				shown - over - SLACK,
				(t) => counter.countLines(t, from),
				shown,
			);
			if (head.text.length === 0) files.pop();
			else files[files.length - 1] = { ...last, text: head.text };
			messages = chunkSummaryMessages(files, scope, k + 1, parts.length);
			rendered = model.renderChat(messages);
		}
		const prompt = rendered.ids.length;
		if (prompt > largest.prompt) largest = { prompt, context: prompt - mapTemplate };
		const text = await run(messages, rendered);
		calls++;
		summaries.push({ part: { label, text }, from: k + 1, to: k + 1 });
	}
	options.onProgress?.({
		phase: 'map',
		level: 0,
		done: parts.length,
		total: parts.length,
		message: `summarized ${parts.length} parts`,
	});

	// Reduce: combine summaries a window at a time until one is left.
	let level = 0;
	let current2 = summaries;
	let summary: string | undefined;
	while (summary === undefined) {
		throwIfCancelled(token);
		level++;
		if (level > MAX_REDUCE_ROUNDS) {
			throw new Error(
				`the summaries did not combine into one within ${MAX_REDUCE_ROUNDS} rounds; lower the answer budget (now ${answerTokens}) so that several summaries fit one window`,
			);
		}
		const finalTemplate = measure(combineSummariesMessages([], scope, true));
		const partTemplate = measure(combineSummariesMessages([], scope, false));
		const room = window.window - answerTokens - Math.max(finalTemplate, partTemplate) - SLACK;
		const half = Math.floor(room / 2);
		if (half < 8) {
			throw new Error(
				`the ${window.window}-token window leaves no room to combine summaries; lower the answer budget`,
			);
		}
		// Every summary fits in half the room, so every group holds at least two.
		const sized = current2.map((item) => {
			const cost = counter.count(renderPartSummary(item.part)) + SLACK_PER_FILE;
			if (cost <= half) return { ...item, cost };
			const head = headWithin(
				item.part.text,
				half - (cost - counter.count(item.part.text)),
				(t) => counter.count(t),
			);
			const part = { ...item.part, text: head.text };
			return { ...item, part, cost: counter.count(renderPartSummary(part)) + SLACK_PER_FILE };
		});
		const total = sized.reduce((t, s) => t + s.cost, 0);
		if (total <= room) {
			options.onProgress?.({
				phase: 'reduce',
				level,
				done: 0,
				total: 1,
				message: `combining ${sized.length} summaries into the final one`,
			});
			summary = await run(
				combineSummariesMessages(
					sized.map((s) => s.part),
					scope,
					true,
				),
			);
			calls++;
			options.onProgress?.({ phase: 'reduce', level, done: 1, total: 1, message: 'done' });
			break;
		}
		const groups: Summarized[][] = [];
		let group: Summarized[] = [];
		let size = 0;
		for (const s of sized) {
			if (size + s.cost > room && group.length > 0) {
				groups.push(group);
				group = [];
				size = 0;
			}
			group.push(s);
			size += s.cost;
		}
		if (group.length > 0) groups.push(group);
		const next: Summarized[] = [];
		for (let g = 0; g < groups.length; g++) {
			throwIfCancelled(token);
			options.onProgress?.({
				phase: 'reduce',
				level,
				done: g,
				total: groups.length,
				message: `combining summaries, round ${level}: group ${g + 1} of ${groups.length}`,
			});
			const members = groups[g];
			const text = await run(
				combineSummariesMessages(
					members.map((m) => m.part),
					scope,
					false,
				),
			);
			calls++;
			const from = members[0].from;
			const to = members[members.length - 1].to;
			next.push({
				part: { label: `parts ${from}–${to} of ${parts.length}`, text },
				from,
				to,
			});
		}
		current2 = next;
	}

	const files: ManifestFile[] = options.scan.files.map((record) => {
		const seen = partOf.get(record.path);
		if (!seen) {
			return {
				path: record.path,
				status: 'omitted',
				reason: 'vanished after it was counted',
				tokens: 0,
				fileTokens: record.tokens,
				bytes: record.bytes,
				language: record.language,
			};
		}
		const where =
			seen.length === 1
				? `part ${seen[0]} of ${parts.length}`
				: `parts ${seen[0]}–${seen[seen.length - 1]} of ${parts.length} (split at line breaks)`;
		return {
			path: record.path,
			status: 'included',
			reason: `summarized in ${where}`,
			tokens: record.headerTokens + record.tokens,
			fileTokens: record.tokens,
			bytes: record.bytes,
			language: record.language,
		};
	});
	const planned = largest.prompt + answerTokens;
	const runtimeSet = chooseSet(model, planned, options.override);
	const budget: ContextBudget = {
		window: window.window,
		windowSet: window.set,
		set: runtimeSet.name,
		setReason: runtimeSet.reason,
		...(window.limit ? { limit: window.limit } : {}),
		context: largest.context,
		question: 0,
		history: 0,
		template: largest.prompt - largest.context,
		answer: answerTokens,
		free: window.window - planned,
		prompt: largest.prompt,
	};
	return {
		summary,
		mode: 'map-reduce',
		files: [...files, ...skipped],
		budget,
		parts: parts.length,
		levels: level,
		calls,
	};
}
