import type { CancellationToken } from '../cancellation';
import type { WalkLimits } from './walkLimits';

/** Why a file that is part of the workspace was not read as text. */
export type SkipReason =
	| 'too-large'
	| 'binary'
	| 'encoding'
	| 'symlink-loop'
	| 'broken-symlink'
	| 'duplicate'
	| 'unreadable'
	| 'vanished'
	| 'not-a-file'
	/** A symbolic link whose real path is outside the workspace (followed only when allowed). */
	| 'outside-workspace'
	/** /proc, /sys, /dev and the like: kernel state, not files (a read may never end). */
	| 'special-filesystem'
	/** A read or listing that did not answer in time (a hung network drive, a device). */
	| 'timeout'
	/** A name that cannot be shown as text (not UTF-8). */
	| 'file-name';

/** The encodings the readers decode; anything else is skipped with reason `encoding`. */
export type TextEncodingName = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be';

export interface WorkspaceTextFile {
	readonly kind: 'text';
	/** Relative to the workspace root, `/`-separated, never starting with `./` or `/`. */
	readonly path: string;
	readonly bytes: number;
	readonly encoding: TextEncodingName;
	/** The decoded text, byte-order mark removed. */
	readonly text: string;
}

export interface WorkspaceSkippedFile {
	readonly kind: 'skipped';
	readonly path: string;
	readonly bytes?: number;
	readonly reason: SkipReason;
	/** For people: what was found, e.g. `NUL byte at offset 112`. */
	readonly detail: string;
}

export type WorkspaceEntry = WorkspaceTextFile | WorkspaceSkippedFile;

/** What a reader met on its last walk, including what it left out silently. */
export interface WorkspaceReadStats {
	directories: number;
	text: number;
	skipped: number;
	/** Paths left out by .gitignore (a directory counts once; its contents are never listed). */
	ignored: number;
	/** Paths left out by exclude globs (files.exclude). */
	excluded: number;
}

/**
 * A workspace as the engine sees it: the Node implementation walks the file system (CLI,
 * tests), the editor's uses its workspace API. Readers stream: a tree of any size is walked one
 * file at a time, and the caller decides what to keep.
 */
export interface WorkspaceReader {
	/** For people: the root folder's name. */
	readonly name: string;
	/**
	 * Every file that is neither ignored nor excluded, in a deterministic order (depth first,
	 * names in code-unit order). Problems are entries of kind `skipped`, never exceptions; only
	 * cancellation and an unreadable root throw.
	 */
	entries(token?: CancellationToken): AsyncIterable<WorkspaceEntry>;
	/** One file by its relative path, with the same checks (size cap, binary, encoding). */
	read(path: string): Promise<WorkspaceEntry>;
	/** Limits the user set for walks of this workspace; the scan applies them (defaults otherwise). */
	readonly limits?: Partial<WalkLimits>;
}

export function emptyReadStats(): WorkspaceReadStats {
	return { directories: 0, text: 0, skipped: 0, ignored: 0, excluded: 0 };
}
