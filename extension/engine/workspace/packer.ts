import { throwIfCancelled, type CancellationToken } from '../cancellation';
import type { FactorOverride } from '../factorSelection';
import type { ChatMessage, ChatPrompt } from '../generation/chatTemplate';
import type { LengthLimit, PlanningModel } from '../model/languageModel';
import {
	chooseWindow,
	planRendered,
	type RequestPlan,
	type WindowChoice,
} from '../model/requestPlan';
import {
	cutMarker,
	fileHeader,
	questionMessages,
	type Exchange,
	type PromptFile,
} from '../prompts/filePrompts';
import type { ContextBudget } from './budget';
import { fitFollowUp, unchangedFiles, type ConversationContext } from './followUp';
import {
	cutOverhead,
	NEWLINE_TOKENS,
	rankCandidates,
	SEPARATOR_TOKENS,
	worthCutting,
	type Candidate,
} from './packCandidates';
import {
	spreadTokens,
	type FilePriority,
	type ManifestFile,
	type WorkspaceManifest,
} from './manifest';
import { comparePaths, compareRenderOrder, type EditorFocus } from './relevance';
import type { ScanResult } from './scan';
import { headWithin, lineCount, type TokenCounter } from './tokenCount';

const MAX_ATTEMPTS = 8;

export interface PackOptions {
	readonly scan: ScanResult;
	readonly counter: TokenCounter;
	/** The model the request is planned for: its windows, limits and chat template. */
	readonly model: PlanningModel;
	/** The question (Q&A); empty for a summary, whose request is part of the template. */
	readonly question: string;
	/** Earlier exchanges of the conversation, oldest first; the oldest are trimmed first. */
	readonly history?: readonly Exchange[];
	/** What the conversation's previous turn showed: its files come first again when unchanged. */
	readonly previous?: ConversationContext;
	/** Question terms the scan counted (questionTerms(question)); relevance uses them. */
	readonly terms?: readonly string[];
	/** Tokens kept for the answer (max new tokens). */
	readonly answerTokens: number;
	readonly focus?: EditorFocus;
	readonly override?: FactorOverride;
	/** A cap below the window (the user's), besides the model's memory limit. */
	readonly cap?: LengthLimit;
	/** The current text of a file, or undefined when it is gone. */
	readonly readText: (path: string) => Promise<string | undefined>;
	/** The messages around the files (summaries); default: questionMessages with the history. */
	readonly messages?: (files: readonly PromptFile[]) => ChatMessage[];
	readonly token?: CancellationToken;
}

export interface PackedContext {
	/** The files in prompt order. */
	readonly files: readonly PromptFile[];
	readonly manifest: WorkspaceManifest;
	/** The request as the runtime runs it: these prompt ids, this factor set. */
	readonly plan: RequestPlan;
	/** The earlier exchanges that went back to the model (the oldest may have been trimmed). */
	readonly history: readonly Exchange[];
	/** What this request shows, for the conversation's next turn. */
	readonly conversation: ConversationContext;
}

const PRIORITY_REASON: Record<FilePriority, string> = {
	selection: 'the selection',
	'active-editor': 'the active editor',
	'open-editor': 'an open editor',
	'named-in-question': 'named in the question',
	relevant: 'relevant to the question',
	rest: 'the rest of the workspace',
};

function fmt(value: number): string {
	return value.toLocaleString('en-US');
}

/**
 * Packs files into the window of the factor set the plan selects, minus the answer budget and
 * the template: in priority order (selection, active editor, open editors, files the question
 * names, then by relevance, then the rest), trimming the lowest priority first — whole files,
 * then tail cuts with a visible marker (see place). The result never plans more than the window: the
 * finished prompt is measured with the chat template and packed again, tighter, if boundary
 * effects of the tokenizer made it longer than the file counts said.
 */
export async function packContext(options: PackOptions): Promise<PackedContext> {
	const { counter, model, question, answerTokens, token } = options;
	if (!Number.isInteger(answerTokens) || answerTokens <= 0) {
		throw new Error(`the answer budget must be a positive integer, not ${answerTokens}`);
	}
	const compose = (files: readonly PromptFile[], history: readonly Exchange[]): ChatMessage[] =>
		options.messages ? options.messages(files) : questionMessages(files, question, history);
	const measure = (files: readonly PromptFile[], history: readonly Exchange[]): number =>
		model.renderChat(compose(files, history)).ids.length;
	const candidates = rankCandidates(options);
	const bare = measure([], []);
	const questionTokens = counter.count(question);
	const templateTokens = bare - questionTokens;
	const allHistory = options.messages ? [] : (options.history ?? []);
	const everything = candidates.reduce(
		(total, c) => total + c.headerTokens + c.tokens + SEPARATOR_TOKENS,
		measure([], allHistory),
	);
	const window = chooseWindow(model, everything + answerTokens, options.override, options.cap);
	if (bare + answerTokens > window.window) {
		throw new Error(
			`the ${question ? 'question and the ' : ''}prompt template take ${bare} tokens and the answer ${answerTokens}: more than the ${window.window}-token window of "${window.set}"; ${question ? 'shorten the question or ' : ''}lower the answer budget`,
		);
	}
	// Earlier exchanges take at most half the room the files could have; the oldest go first.
	const historyRoom = Math.floor((window.window - answerTokens - bare) / 2);
	let history = allHistory;
	let emptyPrompt = measure([], history);
	while (history.length > 0 && emptyPrompt - bare > historyRoom) {
		history = history.slice(1);
		emptyPrompt = measure([], history);
	}
	const historyTokens = emptyPrompt - bare;

	const kept = options.previous && unchangedFiles(options.previous, options.scan);
	const followUp =
		kept &&
		fitFollowUp({
			previous: options.previous as ConversationContext,
			files: kept,
			history: allHistory,
			window: window.window,
			answerTokens,
			historyRoom,
			counter,
			compose,
			render: (messages) => model.renderChat(messages),
		});
	if (followUp) {
		const empty = measure([], followUp.history);
		return finish(options, {
			...followUp,
			window,
			budgetParts: {
				empty,
				question: questionTokens,
				history: empty - bare,
				template: templateTokens,
			},
			hashes: options.previous?.hashes ?? {},
		});
	}

	const texts = new Map<string, string | undefined>();
	const textOf = async (path: string): Promise<string | undefined> => {
		if (!texts.has(path)) texts.set(path, await options.readText(path));
		return texts.get(path);
	};

	let room = window.window - answerTokens - emptyPrompt;
	for (let attempt = 0; ; attempt++) {
		throwIfCancelled(token);
		const rendered = await place(candidates, room, counter, textOf);
		const messages = compose(rendered.files, history);
		const prompt = model.renderChat(messages);
		const over = prompt.ids.length + answerTokens - window.window;
		if (over > 0 && attempt < MAX_ATTEMPTS && room > 0) {
			room = Math.max(0, room - over - attempt * SEPARATOR_TOKENS);
			continue;
		}
		if (over > 0) {
			throw new Error(
				`could not fit the prompt in the ${window.window}-token window (${over} tokens over after ${attempt + 1} attempts)`,
			);
		}
		const hashes: Record<string, string> = {};
		for (const f of rendered.files) {
			const text = texts.get(f.path);
			if (!f.selection && text !== undefined) hashes[f.path] = counter.hashOf(text);
		}
		return finish(options, {
			files: rendered.files,
			entries: rendered.entries,
			history,
			messages,
			prompt,
			window,
			budgetParts: {
				empty: emptyPrompt,
				question: questionTokens,
				history: historyTokens,
				template: templateTokens,
			},
			hashes,
		});
	}
}

/**
 * The plan, the budget and the manifest of a packed prompt. The file blocks take what the prompt
 * has beyond the empty one; the tokenizer's boundary effects (a token or so per file) are spread
 * so that the manifest adds up exactly.
 */
function finish(
	options: PackOptions,
	packed: {
		readonly files: readonly PromptFile[];
		readonly entries: readonly ManifestFile[];
		readonly history: readonly Exchange[];
		readonly messages: ChatMessage[];
		readonly prompt: ChatPrompt;
		readonly window: WindowChoice;
		readonly budgetParts: {
			readonly empty: number;
			readonly question: number;
			readonly history: number;
			readonly template: number;
		};
		readonly hashes: Readonly<Record<string, string>>;
	},
): PackedContext {
	const { prompt, window, budgetParts } = packed;
	const context = prompt.ids.length - budgetParts.empty;
	const entries = spreadTokens(packed.entries, context);
	const plan = planRendered(
		options.model,
		packed.messages,
		prompt,
		options.answerTokens,
		window,
		options.override,
	);
	const budget: ContextBudget = {
		window: window.window,
		windowSet: window.set,
		set: plan.choice.name,
		setReason: plan.choice.reason,
		...(window.limit ? { limit: window.limit } : {}),
		context,
		question: budgetParts.question,
		history: budgetParts.history,
		template: budgetParts.template,
		answer: options.answerTokens,
		free: window.window - plan.plannedLength,
		prompt: prompt.ids.length,
	};
	const listed = new Set(entries.map((e) => e.path));
	const skipped: ManifestFile[] = [...options.scan.skipped]
		.filter((s) => !listed.has(s.path))
		.sort((a, b) => comparePaths(a.path, b.path))
		.map((s) => ({
			path: s.path,
			status: 'skipped',
			reason: s.detail,
			tokens: 0,
			...(s.bytes !== undefined ? { bytes: s.bytes } : {}),
			skipReason: s.reason,
		}));
	const manifest: WorkspaceManifest = {
		files: [...entries, ...skipped],
		budget,
		...(options.scan.stopped ? { stopped: options.scan.stopped.message } : {}),
	};
	return {
		files: packed.files,
		manifest,
		plan,
		history: packed.history,
		conversation: { files: packed.files, hashes: packed.hashes, manifest },
	};
}

interface Rendered {
	readonly files: PromptFile[];
	/** Manifest entries of every candidate: shown ones in prompt order, then the rest. */
	readonly entries: ManifestFile[];
}

/**
 * Places the candidates in packing order: whole files while they fit; a file that does not is
 * cut to the room left (inside a line longer than that room, with the marker saying so), and
 * what the cut does not use goes on to the next files. A file is left out only when the room
 * left cannot hold its header, marker and first line.
 */
async function place(
	candidates: readonly Candidate[],
	room: number,
	counter: TokenCounter,
	textOf: (path: string) => Promise<string | undefined>,
): Promise<Rendered> {
	const shown: { c: Candidate; file: PromptFile; entry: ManifestFile }[] = [];
	const hidden: ManifestFile[] = [];
	const base = (c: Candidate): Omit<ManifestFile, 'status' | 'reason' | 'tokens'> => ({
		path: c.path,
		fileTokens: c.tokens,
		...(c.record ? { bytes: c.record.bytes } : {}),
		language: c.language,
		priority: c.priority,
		score: c.score,
	});
	const why = (c: Candidate): string =>
		c.priority === 'relevant'
			? `${PRIORITY_REASON.relevant} (score ${c.score})`
			: PRIORITY_REASON[c.priority];
	const omit = (c: Candidate, left: number): void => {
		hidden.push({
			...base(c),
			status: 'omitted',
			reason: `no room: ${why(c)}, needs ${fmt(c.headerTokens + c.tokens + SEPARATOR_TOKENS)} tokens, ${fmt(left)} of the ${fmt(room)}-token context left`,
			tokens: 0,
		});
	};
	let left = room;
	for (const c of candidates) {
		const whole = (textTokens: number, text?: string): number =>
			c.headerTokens +
			textTokens +
			(text === undefined || text === '' || text.endsWith('\n') ? 0 : NEWLINE_TOKENS) +
			SEPARATOR_TOKENS;
		if (whole(c.tokens) > left && !worthCutting(c, left - cutOverhead(c, counter), c.tokens)) {
			omit(c, left);
			continue;
		}
		const text = c.selection ? c.selection.text : await textOf(c.path);
		if (text === undefined) {
			hidden.push({
				...base(c),
				status: 'omitted',
				reason: 'vanished after it was counted',
				tokens: 0,
			});
			continue;
		}
		const changed = c.record !== undefined && counter.hashOf(text) !== c.record.hash;
		const textTokens = changed ? counter.countFile(text).tokens : c.tokens;
		if (whole(textTokens, text) <= left) {
			const textLines = lineCount(text);
			const lines = c.selection
				? { from: c.selection.fromLine, to: c.selection.toLine, of: c.fileLines }
				: { from: 1, to: textLines, of: textLines };
			const file: PromptFile = {
				path: c.path,
				language: c.language,
				text,
				...(c.selection ? { selection: true, lines } : {}),
				...(counter.lineNumbers ? {} : { unnumbered: true }),
			};
			const tokens =
				whole(textTokens, text) - c.headerTokens + counter.count(fileHeader(file));
			shown.push({
				c,
				file,
				entry: { ...base(c), status: 'included', reason: why(c), tokens, lines },
			});
			left -= tokens;
			continue;
		}
		const limit = left - cutOverhead(c, counter);
		if (!worthCutting(c, limit, textTokens)) {
			omit(c, left); // it grew since it was counted
			continue;
		}
		// Lines of the file (or of the selection's range) shown, and those cut.
		const first = c.selection ? c.selection.fromLine : 1;
		const head = headWithin(text, limit, (t) => counter.countLines(t, first), textTokens);
		const last = c.selection ? c.selection.toLine : Math.max(lineCount(text), 1);
		const of = c.selection ? c.fileLines : last;
		const through = first + head.lines - (head.partial ? 0 : 1);
		const lines = { from: first, to: Math.max(first, through), of };
		const cut = {
			from: first + head.lines,
			to: last,
			of,
			...(head.partial ? { partial: true } : {}),
		};
		const file: PromptFile = {
			path: c.path,
			language: c.language,
			text: head.text,
			lines,
			cut,
			...(c.selection ? { selection: true } : {}),
			...(counter.lineNumbers ? {} : { unnumbered: true }),
		};
		const tokens =
			counter.count(fileHeader(file)) +
			head.tokens +
			(head.partial ? NEWLINE_TOKENS : 0) +
			counter.count(cutMarker(cut)) +
			SEPARATOR_TOKENS;
		shown.push({
			c,
			file,
			entry: {
				...base(c),
				status: 'truncated',
				reason: `${why(c)}, cut to lines ${lines.from}–${lines.to} of ${lines.of}${head.partial ? ` (line ${lines.to} in part)` : ''} (${fmt(head.tokens)} of ${fmt(textTokens)} tokens): no room for the rest`,
				tokens,
				lines,
			},
		});
		left = Math.max(0, left - tokens);
	}
	shown.sort((a, b) => compareRenderOrder(a.c, b.c));
	return {
		files: shown.map((s) => s.file),
		entries: [...shown.map((s) => s.entry), ...hidden],
	};
}
