import type { Stats } from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import {
	CancellationError,
	throwIfCancelled,
	type CancellationToken,
} from '../engine/cancellation';
import { DEFAULT_EXCLUDES, excludeMatcher, type ExcludeSetting } from '../engine/workspace/glob';
import {
	emptyReadStats,
	type WorkspaceEntry,
	type WorkspaceReadStats,
	type WorkspaceReader,
	type WorkspaceSkippedFile,
} from '../engine/workspace/reader';
import { decodeWorkspaceText } from '../engine/workspace/textDecoding';
import { formatBytes, type WalkLimits } from '../engine/workspace/walkLimits';
import {
	DEFAULT_READ_TIMEOUT_MS,
	guarded,
	NODE_FILE_SYSTEM,
	specialFileSystem,
	type DirEntry,
	type ReaderFileSystem,
} from './readerFileSystem';
import { errorCode, isWithin, outsideDetail, problem, skip } from './workspaceSkips';

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

export interface NodeWorkspaceReaderOptions {
	/** Exclude globs, like `files.exclude`; merged over DEFAULT_EXCLUDES (set one to false to read it). */
	readonly exclude?: ExcludeSetting | readonly string[];
	/** Start from no default excludes. */
	readonly noDefaultExcludes?: boolean;
	/** Honour .gitignore files at every level and .git/info/exclude (default true). */
	readonly useGitignore?: boolean;
	/** Larger files are skipped unread (default 1 MiB). */
	readonly maxFileBytes?: number;
	/**
	 * Follow symbolic links whose real path is outside the workspace (default false: they are
	 * listed as skipped, so that a link to ~/.ssh or /etc never reaches a prompt).
	 */
	readonly followExternalLinks?: boolean;
	/** How long one file-system call may take before its file is skipped (default 30 s). */
	readonly readTimeoutMs?: number;
	/** Walk limits (files, bytes, tokens, time) for scans of this workspace. */
	readonly limits?: Partial<WalkLimits>;
	readonly fs?: ReaderFileSystem;
}

interface IgnoreLevel {
	/** The folder of the rules, relative to the root ('' for the root). */
	readonly base: string;
	readonly rules: Ignore;
}

function compareNames(a: DirEntry, b: DirEntry): number {
	return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A .gitignore larger than this is not read (its folder is walked as if it had none). */
const MAX_RULES_BYTES = 16 * 1024 * 1024;

/**
 * The workspace on the local file system (CLI, tests; the editor wraps it with its settings).
 * Walks depth first in code-unit name order, one directory listing at a time, so a tree of any
 * size streams through. Follows .gitignore at every level (negations included, via the `ignore`
 * package, with git's precedence: deeper files win, .git/info/exclude loses to all), exclude
 * globs, a size cap, binary detection and the text decodings of decodeWorkspaceText. Links
 * into the workspace are reported as duplicates (the target is read where it is), links out of
 * it are skipped unless allowed, and a link back to a folder being walked is a loop. Special
 * file systems (/proc, /sys, /dev) are never walked; every file-system call is raced against the
 * cancellation token and a timeout, and files are opened without blocking.
 */
export class NodeWorkspaceReader implements WorkspaceReader {
	readonly root: string;
	readonly name: string;
	readonly maxFileBytes: number;
	readonly limits?: Partial<WalkLimits>;
	private readonly fs: ReaderFileSystem;
	private readonly isExcluded: (path: string) => boolean;
	private readonly useGitignore: boolean;
	private readonly followExternalLinks: boolean;
	private readonly readTimeoutMs: number;
	private rootReal = '';
	/** What the last (or current) walk met. */
	stats: WorkspaceReadStats = emptyReadStats();

	constructor(root: string, options: NodeWorkspaceReaderOptions = {}) {
		this.root = path.resolve(root);
		this.name = path.basename(this.root) || this.root;
		this.fs = options.fs ?? NODE_FILE_SYSTEM;
		this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
		this.useGitignore = options.useGitignore ?? true;
		this.followExternalLinks = options.followExternalLinks ?? false;
		this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
		if (options.limits) this.limits = options.limits;
		this.isExcluded = excludeMatcher(
			options.noDefaultExcludes ? {} : DEFAULT_EXCLUDES,
			options.exclude ?? {},
		);
	}

	async *entries(token?: CancellationToken): AsyncGenerator<WorkspaceEntry> {
		this.stats = emptyReadStats();
		let rootStat: Stats;
		try {
			this.rootReal = await this.call(this.fs.realpath(this.root), token);
			rootStat = await this.call(this.fs.stat(this.rootReal), token);
		} catch (error) {
			if (error instanceof CancellationError) throw error;
			throw new Error(
				`cannot read the workspace folder ${this.root}: ${(error as Error).message}`,
			);
		}
		if (!rootStat.isDirectory()) throw new Error(`${this.root} is not a folder`);
		const special = await this.special(this.rootReal, token);
		if (special) {
			yield this.count(skip('.', 'special-filesystem', special));
			return;
		}
		const levels: IgnoreLevel[] = [];
		if (this.useGitignore) {
			const exclude = path.join(this.root, '.git', 'info', 'exclude');
			const info = await this.readRules(exclude, token);
			if (info) levels.push({ base: '', rules: info });
		}
		yield* this.walk('', this.root, this.rootReal, levels, new Set([this.rootReal]), token);
	}

	/** One file; a path that leads out of the workspace (through a link) is refused unless allowed. */
	async read(relative: string): Promise<WorkspaceEntry> {
		const normal = path.posix.normalize(relative.replace(/\\/g, '/')).replace(/^\.\//, '');
		if (normal === '..' || normal.startsWith('../') || path.isAbsolute(normal)) {
			return skip(normal, 'not-a-file', 'outside the workspace folder');
		}
		const abs = path.join(this.root, normal);
		let real: string;
		try {
			const rootReal = await this.call(this.fs.realpath(this.root));
			real = await this.call(this.fs.realpath(abs));
			if (!this.followExternalLinks && !isWithin(rootReal, real)) {
				const folder = await this.call(this.fs.realpath(path.dirname(abs)));
				return skip(
					normal,
					'outside-workspace',
					outsideDetail(real, isWithin(rootReal, folder)),
				);
			}
		} catch (error) {
			return this.failed(normal, error, 'file');
		}
		const special = await this.special(real);
		if (special) return skip(normal, 'special-filesystem', special);
		return this.readFile(normal, abs);
	}

	private async *walk(
		rel: string,
		abs: string,
		real: string,
		parentLevels: readonly IgnoreLevel[],
		ancestors: Set<string>,
		token: CancellationToken | undefined,
	): AsyncGenerator<WorkspaceEntry> {
		throwIfCancelled(token);
		let dirents: DirEntry[];
		try {
			dirents = await this.call(this.fs.readdir(abs, { withFileTypes: true }), token);
		} catch (error) {
			yield this.count(this.failed(rel || '.', error, 'folder'));
			return;
		}
		this.stats.directories++;
		dirents.sort(compareNames);
		let levels = parentLevels;
		if (this.useGitignore && dirents.some((d) => d.name === '.gitignore')) {
			const rules = await this.readRules(path.join(abs, '.gitignore'), token);
			if (rules) levels = [...parentLevels, { base: rel, rules }];
		}
		for (const dirent of dirents) {
			throwIfCancelled(token);
			const childRel = rel ? `${rel}/${dirent.name}` : dirent.name;
			const childAbs = path.join(abs, dirent.name);
			if (this.isExcluded(childRel)) {
				this.stats.excluded++;
				continue;
			}
			if (dirent.invalidName) {
				if (this.ignored(levels, childRel, dirent.isDirectory())) this.stats.ignored++;
				else yield this.count(badName(childRel, dirent));
				continue;
			}
			let isDirectory = dirent.isDirectory();
			let isFile = dirent.isFile();
			let target: Stats | undefined;
			let linkReal: string | undefined;
			if (dirent.isSymbolicLink()) {
				try {
					target = await this.call(this.fs.stat(childAbs), token);
					linkReal = await this.call(this.fs.realpath(childAbs), token);
				} catch (error) {
					if (error instanceof CancellationError) throw error;
					if (this.ignored(levels, childRel, false)) {
						this.stats.ignored++;
						continue;
					}
					yield this.count(brokenLink(childRel, error));
					continue;
				}
				isDirectory = target.isDirectory();
				isFile = target.isFile();
			}
			if (this.ignored(levels, childRel, isDirectory)) {
				this.stats.ignored++;
				continue;
			}
			if (linkReal !== undefined) {
				const linkProblem = await this.linkProblem(
					childRel,
					linkReal,
					isDirectory,
					ancestors,
					token,
				);
				if (linkProblem) {
					yield this.count(linkProblem);
					continue;
				}
			}
			if (isDirectory) {
				const childReal = linkReal ?? path.join(real, dirent.name);
				// A folder inside may still be a mount point of another file system.
				const special = linkReal ? undefined : await this.special(childReal, token);
				if (special) {
					yield this.count(skip(childRel, 'special-filesystem', special));
					continue;
				}
				ancestors.add(childReal);
				try {
					yield* this.walk(childRel, childAbs, childReal, levels, ancestors, token);
				} finally {
					ancestors.delete(childReal);
				}
			} else if (isFile) {
				yield this.count(await this.readFile(childRel, childAbs, target, token));
			} else {
				yield this.count(
					skip(childRel, 'not-a-file', 'not a regular file (socket, pipe or device)'),
				);
			}
		}
	}

	/**
	 * A link into the workspace is a duplicate, a link to a folder being walked a loop, a link out
	 * is skipped unless allowed, and never followed onto a special file system.
	 */
	private async linkProblem(
		rel: string,
		real: string,
		isDirectory: boolean,
		ancestors: ReadonlySet<string>,
		token: CancellationToken | undefined,
	): Promise<WorkspaceSkippedFile | undefined> {
		const within = isWithin(this.rootReal, real);
		const shown = within
			? path.relative(this.rootReal, real).split(path.sep).join('/') || '.'
			: real;
		if (isDirectory && ancestors.has(real)) {
			return skip(
				rel,
				'symlink-loop',
				`symbolic link loop: it leads back to ${shown}, a folder that contains it`,
			);
		}
		if (within) {
			return skip(rel, 'duplicate', `symbolic link to ${shown}, which is read where it is`);
		}
		if (!this.followExternalLinks) {
			return skip(rel, 'outside-workspace', outsideDetail(real, true));
		}
		const special = await this.special(real, token);
		return special ? skip(rel, 'special-filesystem', special) : undefined;
	}

	private async readFile(
		rel: string,
		abs: string,
		known?: Stats,
		token?: CancellationToken,
	): Promise<WorkspaceEntry> {
		let stat = known;
		try {
			stat ??= await this.call(this.fs.stat(abs), token);
		} catch (error) {
			return this.failed(rel, error, 'file');
		}
		if (!stat.isFile()) {
			return skip(rel, 'not-a-file', 'not a regular file (socket, pipe or device)');
		}
		if (stat.size > this.maxFileBytes) return this.tooLarge(rel, stat.size, true);
		let bytes: Uint8Array;
		try {
			bytes = await this.call(this.fs.readFile(abs, this.maxFileBytes), token);
		} catch (error) {
			return this.failed(rel, error, 'file');
		}
		if (bytes.length > this.maxFileBytes) return this.tooLarge(rel, bytes.length, false);
		const decoded = decodeWorkspaceText(bytes);
		if (!decoded.ok) return skip(rel, decoded.reason, decoded.detail, bytes.length);
		return {
			kind: 'text',
			path: rel,
			bytes: bytes.length,
			encoding: decoded.encoding,
			text: decoded.text,
		};
	}

	/** `exact`: the size is known; otherwise the file grew past the cap while it was read. */
	private tooLarge(rel: string, bytes: number, exact: boolean): WorkspaceSkippedFile {
		const cap = formatBytes(this.maxFileBytes);
		return exact
			? skip(rel, 'too-large', `${formatBytes(bytes)}, over the ${cap} cap`, bytes)
			: skip(rel, 'too-large', `it grew past the ${cap} cap while it was read`);
	}

	private async readRules(file: string, token?: CancellationToken): Promise<Ignore | undefined> {
		try {
			const bytes = await this.call(this.fs.readFile(file, MAX_RULES_BYTES), token);
			const decoded = bytes.length > MAX_RULES_BYTES ? undefined : decodeWorkspaceText(bytes);
			return decoded?.ok ? ignore().add(decoded.text) : undefined;
		} catch (error) {
			if (error instanceof CancellationError) throw error;
			return undefined; // missing or unreadable: the file itself is reported when walked
		}
	}

	/** git's precedence: the deepest .gitignore with a matching rule decides. */
	private ignored(levels: readonly IgnoreLevel[], rel: string, isDirectory: boolean): boolean {
		for (let k = levels.length - 1; k >= 0; k--) {
			const { base, rules } = levels[k];
			const sub = base === '' ? rel : rel.slice(base.length + 1);
			try {
				const result = rules.test(isDirectory ? `${sub}/` : sub);
				if (result.ignored) return true;
				if (result.unignored) return false;
			} catch {
				return false; // a name `ignore` cannot test (e.g. with a backslash): keep it
			}
		}
		return false;
	}

	/** A file-system call raced against the token and the read timeout. */
	private call<T>(work: Promise<T>, token?: CancellationToken): Promise<T> {
		return guarded(work, token, this.readTimeoutMs);
	}

	private special(real: string, token?: CancellationToken): Promise<string | undefined> {
		return specialFileSystem(real, (file) => this.call(this.fs.fsType(file), token));
	}

	/** A failed call as a skipped entry; cancellation is not a failure and goes on up. */
	private failed(rel: string, error: unknown, what: string): WorkspaceSkippedFile {
		if (error instanceof CancellationError) throw error;
		return problem(rel, error, what);
	}

	private count(entry: WorkspaceEntry): WorkspaceEntry {
		if (entry.kind === 'text') this.stats.text++;
		else this.stats.skipped++;
		return entry;
	}
}

function brokenLink(rel: string, error: unknown): WorkspaceSkippedFile {
	const code = errorCode(error);
	if (code === 'ELOOP') {
		return skip(rel, 'symlink-loop', 'symbolic link loop: it never reaches a file');
	}
	if (code === 'ENOENT') return skip(rel, 'broken-symlink', 'symbolic link to a missing target');
	return problem(rel, error, 'link');
}

function badName(rel: string, dirent: DirEntry): WorkspaceSkippedFile {
	const bytes = [...(dirent.invalidName ?? [])]
		.map((b) => b.toString(16).padStart(2, '0'))
		.join(' ');
	const what = dirent.isDirectory() ? 'folder' : 'file';
	return skip(
		rel,
		'file-name',
		`the ${what} name is not UTF-8 (bytes ${bytes}), so it cannot be named in a prompt`,
	);
}
