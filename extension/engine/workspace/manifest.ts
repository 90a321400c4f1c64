import type { SkipReason } from './reader';
import type { ContextBudget } from './budget';

export type FileStatus = 'included' | 'truncated' | 'omitted' | 'skipped';

/** Highest first: the packer fills the context in this order and trims from the end. */
export const PRIORITIES = [
	'selection',
	'active-editor',
	'open-editor',
	'named-in-question',
	'relevant',
	'rest',
] as const;
export type FilePriority = (typeof PRIORITIES)[number];

export interface ManifestFile {
	readonly path: string;
	readonly status: FileStatus;
	/** For people: why this status, e.g. `no room: needs 5,678 tokens, 12 left`. */
	readonly reason: string;
	/** Tokens the file takes in the prompt (header and cut marker included); 0 unless shown. */
	readonly tokens: number;
	/** Tokens of the whole file's text. */
	readonly fileTokens?: number;
	readonly bytes?: number;
	readonly language?: string;
	readonly priority?: FilePriority;
	/** Relevance to the question (BM25 over question terms plus path hints); 0 when none. */
	readonly score?: number;
	/** The 1-based lines the prompt shows, when shown. */
	readonly lines?: { readonly from: number; readonly to: number; readonly of: number };
	readonly skipReason?: SkipReason;
}

/** Every file of the workspace with what became of it, and the budget of the request. */
export interface WorkspaceManifest {
	readonly files: readonly ManifestFile[];
	readonly budget: ContextBudget;
	/** Set when a walk limit ended the walk early: which limit, and what was read. */
	readonly stopped?: string;
}

export function isShown(file: ManifestFile): boolean {
	return file.status === 'included' || file.status === 'truncated';
}

/** The ways a manifest can fail to add up; empty when it is consistent. */
export function manifestProblems(manifest: WorkspaceManifest): string[] {
	const problems: string[] = [];
	const b = manifest.budget;
	const sum = manifest.files.reduce((total, f) => total + f.tokens, 0);
	if (sum !== b.context) problems.push(`file tokens add up to ${sum}, context is ${b.context}`);
	if (b.context + b.question + b.history + b.template !== b.prompt) {
		problems.push(
			`context ${b.context} + question ${b.question} + history ${b.history} + template ${b.template} ≠ prompt ${b.prompt}`,
		);
	}
	if (b.prompt + b.answer + b.free !== b.window) {
		problems.push(
			`prompt ${b.prompt} + answer ${b.answer} + free ${b.free} ≠ window ${b.window}`,
		);
	}
	if (b.free < 0) problems.push(`the request is ${-b.free} tokens over the window`);
	for (const f of manifest.files) {
		if (!isShown(f) && f.tokens !== 0)
			problems.push(`${f.path} is ${f.status} but has ${f.tokens} tokens`);
		if (
			f.status === 'included' &&
			f.priority !== 'selection' &&
			f.lines &&
			f.lines.to !== f.lines.of
		) {
			problems.push(
				`${f.path} is included but shows lines ${f.lines.from}–${f.lines.to} of ${f.lines.of}`,
			);
		}
	}
	return problems;
}

function n(value: number): string {
	return value.toLocaleString('en-US');
}

/** What a one-line summary needs of a manifest: also met by the editor's rows and budget. */
interface ManifestOutline {
	readonly files: readonly { readonly status: string; readonly fileTokens?: number }[];
	readonly budget: Pick<
		ContextBudget,
		'window' | 'windowSet' | 'context' | 'question' | 'history' | 'template' | 'answer' | 'free'
	>;
}

/** Counts by status, for progress lines and notes. */
export function manifestCounts(manifest: ManifestOutline): Record<FileStatus, number> & {
	readonly fileTokens: number;
} {
	const counts = { included: 0, truncated: 0, omitted: 0, skipped: 0, fileTokens: 0 };
	for (const f of manifest.files) {
		if (Object.hasOwn(counts, f.status)) counts[f.status as FileStatus]++;
		counts.fileTokens += f.fileTokens ?? 0;
	}
	return counts;
}

/** One line on what the context holds, e.g. for stderr. */
export function contextLine(manifest: ManifestOutline): string {
	const c = manifestCounts(manifest);
	const b = manifest.budget;
	const shown = c.included + c.truncated;
	const files = c.included + c.truncated + c.omitted;
	return (
		`context: ${shown} of ${files} files shown${c.truncated ? ` (${c.truncated} cut)` : ''} ` +
		`in ${n(b.context)} tokens, headers included (the files hold ${n(c.fileTokens)} tokens of text); ` +
		`window ${n(b.window)} ("${b.windowSet}") = ` +
		`files ${n(b.context)} + question ${n(b.question)}${b.history ? ` + history ${n(b.history)}` : ''} + template ${n(b.template)} + answer ${n(b.answer)} + free ${n(b.free)}` +
		(c.skipped ? `; ${c.skipped} skipped` : '')
	);
}

/**
 * For the user, after an answer from part of the workspace: what was left out and why.
 * Undefined when every readable file was shown whole.
 */
export function leftOutNote(manifest: WorkspaceManifest): string | undefined {
	const c = manifestCounts(manifest);
	if (c.omitted === 0 && c.truncated === 0 && c.skipped === 0 && !manifest.stopped) {
		return undefined;
	}
	const b = manifest.budget;
	const parts: string[] = manifest.stopped ? [manifest.stopped] : [];
	const files = c.included + c.truncated + c.omitted;
	if (c.omitted > 0 || c.truncated > 0) {
		const left = manifest.files
			.filter((f) => f.status === 'omitted')
			.reduce((t, f) => t + (f.fileTokens ?? 0), 0);
		parts.push(
			`Answered from ${c.included + c.truncated} of ${files} files` +
				(c.truncated ? ` (${c.truncated} cut short)` : '') +
				(c.omitted ? `; ${c.omitted} left out (${n(left)} tokens)` : '') +
				`: the ${n(b.window)}-token window of "${b.windowSet}" holds ${n(b.context)} tokens of files after the question, template and a ${n(b.answer)}-token answer.`,
		);
	}
	if (c.skipped > 0) {
		const reasons = new Map<string, number>();
		for (const f of manifest.files) {
			if (f.status === 'skipped') {
				const key = f.skipReason ?? 'skipped';
				reasons.set(key, (reasons.get(key) ?? 0) + 1);
			}
		}
		parts.push(
			`${c.skipped} file${c.skipped === 1 ? '' : 's'} not read (${[...reasons]
				.map(([reason, count]) => `${count} ${reason}`)
				.join(', ')}).`,
		);
	}
	return parts.join(' ');
}

/**
 * Makes the shown files' tokens sum to `context`: the difference (the tokenizer's merges across
 * file boundaries, about a token per file) goes a token at a time to the files in prompt order.
 */
export function spreadTokens(entries: readonly ManifestFile[], context: number): ManifestFile[] {
	const out: { -readonly [K in keyof ManifestFile]: ManifestFile[K] }[] = entries.map((e) => ({
		...e,
	}));
	const shown = out.filter((e) => e.status === 'included' || e.status === 'truncated');
	let diff = context - shown.reduce((t, e) => t + e.tokens, 0);
	if (shown.length === 0) return out;
	for (let k = 0; diff !== 0 && k < shown.length * 64; k++) {
		const e = shown[k % shown.length];
		if (diff > 0) {
			e.tokens++;
			diff--;
		} else if (e.tokens > 1) {
			e.tokens--;
			diff++;
		}
	}
	if (diff !== 0) shown[0].tokens += diff;
	return out;
}
