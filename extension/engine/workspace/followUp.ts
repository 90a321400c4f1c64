import type { ChatMessage, ChatPrompt } from '../generation/chatTemplate';
import { renderFile, type Exchange, type PromptFile } from '../prompts/filePrompts';
import type { ManifestFile, WorkspaceManifest } from './manifest';
import type { ScanResult } from './scan';
import { headWithin, lineCount, type TokenCounter } from './tokenCount';

/**
 * What a chat turn showed the model, kept so that the next turn shows the same files first: its
 * prompt then begins with the previous one's, and the runtime reuses those cached keys instead
 * of packing (and prefilling) the workspace anew for every follow-up.
 */
export interface ConversationContext {
	/** The files in prompt order, as shown (cut ones with their markers). */
	readonly files: readonly PromptFile[];
	/** Each file's content hash when it was shown: a changed file ends the reuse. */
	readonly hashes: Readonly<Record<string, string>>;
	readonly manifest: WorkspaceManifest;
}

/** Fewer text tokens than this are not worth keeping of a file cut for a follow-up. */
const MIN_KEPT_TOKENS = 32;
/** Tokens kept spare when a file is cut: the tokenizer may merge across the new boundary. */
const SLACK = 4;

export interface FollowUp {
	readonly files: readonly PromptFile[];
	readonly history: readonly Exchange[];
	readonly messages: ChatMessage[];
	readonly prompt: ChatPrompt;
	/** Manifest entries: the files kept (tokens still to be spread), then the rest. */
	readonly entries: readonly ManifestFile[];
}

/** The previous turn's files when none changed since (and none is a selection), else undefined. */
export function unchangedFiles(
	previous: ConversationContext,
	scan: ScanResult,
): readonly PromptFile[] | undefined {
	const hashes = new Map(scan.files.map((r) => [r.path, r.hash]));
	const same = previous.files.every(
		(f) => !f.selection && hashes.get(f.path) === previous.hashes[f.path],
	);
	return same && previous.files.length > 0 ? previous.files : undefined;
}

/**
 * Fits the previous turn's files, the exchanges and the new question into the window: the
 * oldest exchanges go first while they take more than `historyRoom`, then files are cut or
 * dropped from the end of the file section (the prompt's prefix stays), then older exchanges.
 * Undefined when even the files alone do not fit: the caller packs anew.
 */
export function fitFollowUp(options: {
	readonly previous: ConversationContext;
	readonly files: readonly PromptFile[];
	readonly history: readonly Exchange[];
	readonly window: number;
	readonly answerTokens: number;
	readonly historyRoom: number;
	readonly counter: TokenCounter;
	readonly compose: (files: readonly PromptFile[], history: readonly Exchange[]) => ChatMessage[];
	readonly render: (messages: readonly ChatMessage[]) => ChatPrompt;
}): FollowUp | undefined {
	const { counter, window, answerTokens } = options;
	let files = [...options.files];
	let history = options.history;
	const historyTokens = (h: readonly Exchange[]) =>
		options.render(options.compose([], h)).ids.length -
		options.render(options.compose([], [])).ids.length;
	for (let step = 0; step < 4 * (files.length + history.length) + 8; step++) {
		const messages = options.compose(files, history);
		const prompt = options.render(messages);
		const over = prompt.ids.length + answerTokens - window;
		if (over <= 0) {
			return {
				files,
				history,
				messages,
				prompt,
				entries: entries(options.previous, files, counter),
			};
		}
		if (history.length > 0 && historyTokens(history) > options.historyRoom) {
			history = history.slice(1);
		} else if (files.length > 0) {
			const last = files[files.length - 1];
			const cut = cutTail(last, over, counter);
			files = cut ? [...files.slice(0, -1), cut] : files.slice(0, -1);
		} else if (history.length > 0) {
			history = history.slice(1);
		} else {
			return undefined;
		}
	}
	return undefined;
}

/**
 * A shown file cut `over` tokens (and SLACK) shorter at a line break, its marker naming what is left
 * out; undefined when too little would stay.
 */
function cutTail(file: PromptFile, over: number, counter: TokenCounter): PromptFile | undefined {
	const from = file.lines?.from ?? 1;
	const shown = counter.countLines(file.text, from);
	const maxTokens = shown - over - SLACK;
	if (maxTokens < MIN_KEPT_TOKENS) return undefined;
	const head = headWithin(file.text, maxTokens, (t) => counter.countLines(t, from), shown);
	if (head.lines === 0 || head.tokens < MIN_KEPT_TOKENS) return undefined;
	const of = file.lines?.of ?? lineCount(file.text);
	// A line cut in part is shown (to) and named by the marker (from), as the packer does.
	const to = from + head.lines - (head.partial ? 0 : 1);
	const end = file.cut?.to ?? file.lines?.to ?? of;
	return {
		...file,
		text: head.text,
		lines: { from, to, of },
		cut: { from: from + head.lines, to: end, of, ...(head.partial ? { partial: true } : {}) },
	};
}

/** Manifest entries of a follow-up: kept files as shown now, the previous turn's others as they were. */
function entries(
	previous: ConversationContext,
	files: readonly PromptFile[],
	counter: TokenCounter,
): ManifestFile[] {
	const before = new Map(previous.manifest.files.map((f) => [f.path, f]));
	const kept = new Set(files.map((f) => f.path));
	const shown: ManifestFile[] = files.map((f) => {
		const was = before.get(f.path);
		const lines = f.lines ?? { from: 1, to: lineCount(f.text), of: lineCount(f.text) };
		return {
			...(was ?? { path: f.path }),
			status: f.cut ? 'truncated' : 'included',
			reason: `${was?.reason ?? 'shown before'}; kept from the conversation's earlier turn`,
			tokens: counter.count(renderFile(f)) + 1,
			lines,
		};
	});
	const rest: ManifestFile[] = previous.manifest.files
		.filter((f) => !kept.has(f.path))
		.map((f) =>
			f.status === 'included' || f.status === 'truncated'
				? {
						...f,
						status: 'omitted',
						reason: 'no room once the conversation grew',
						tokens: 0,
					}
				: f,
		);
	return [...shown, ...rest];
}
