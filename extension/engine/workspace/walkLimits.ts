/**
 * Where a walk stops, whatever the workspace holds: a link to `/`, a generated tree of millions
 * of files or a drive that answers slowly must still end, with a message that says why.
 */
export interface WalkLimits {
	/** Files met, read or skipped. */
	readonly maxFiles: number;
	/** Bytes of text read. */
	readonly maxBytes: number;
	/** Tokens of text counted. */
	readonly maxTokens: number;
	/** Time the walk may take, in milliseconds. */
	readonly maxMilliseconds: number;
}

/** Generous for real repositories (a large monorepo has about 100,000 files). */
export const DEFAULT_WALK_LIMITS: WalkLimits = {
	maxFiles: 200_000,
	maxBytes: 2 * 1024 ** 3,
	maxTokens: 500_000_000,
	maxMilliseconds: 10 * 60_000,
};

export type WalkLimitName = 'files' | 'bytes' | 'tokens' | 'time';

/** Why a walk ended before the workspace did. */
export interface WalkStop {
	readonly limit: WalkLimitName;
	/** For people: which limit, what was read, and from where on nothing was. */
	readonly message: string;
}

/** What the walk had read when it stopped. */
export interface WalkTally {
	readonly files: number;
	readonly bytes: number;
	readonly tokens: number;
	/** The last path met; nothing after it (in walk order) was read. */
	readonly lastPath?: string;
}

function n(value: number): string {
	return value.toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
	if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1).replace(/\.0$/, '')} GiB`;
	if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
	if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
	return `${bytes} B`;
}

function formatDuration(ms: number): string {
	if (ms % 60_000 === 0) return `${n(ms / 60_000)}-minute`;
	if (ms % 1000 === 0) return `${n(ms / 1000)}-second`;
	return `${n(ms)}-millisecond`;
}

function limitText(limit: WalkLimitName, limits: WalkLimits): string {
	switch (limit) {
		case 'files':
			return `${n(limits.maxFiles)}-file limit`;
		case 'bytes':
			return `${formatBytes(limits.maxBytes)} limit`;
		case 'tokens':
			return `${n(limits.maxTokens)}-token limit`;
		case 'time':
			return `${formatDuration(limits.maxMilliseconds)} limit`;
		default: {
			const never: never = limit;
			return never;
		}
	}
}

export function walkStop(limit: WalkLimitName, limits: WalkLimits, tally: WalkTally): WalkStop {
	const after = tally.lastPath ? `nothing after ${tally.lastPath} was read` : 'nothing was read';
	return {
		limit,
		message:
			`The workspace walk stopped at its ${limitText(limit, limits)} after ${n(tally.files)} ` +
			`file${tally.files === 1 ? '' : 's'} ` +
			`(${formatBytes(tally.bytes)}, ${n(tally.tokens)} tokens); ${after}.`,
	};
}
