import type { Dirent, Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { throwIfCancelled, type CancellationToken } from '../engine/cancellation';
import { DEFAULT_EXCLUDES, excludeMatcher, type ExcludeSetting } from '../engine/workspace/glob';
import {
	emptyReadStats,
	type SkipReason,
	type WorkspaceEntry,
	type WorkspaceReadStats,
	type WorkspaceReader,
	type WorkspaceSkippedFile,
} from '../engine/workspace/reader';
import { decodeWorkspaceText } from '../engine/workspace/textDecoding';

/** The file-system calls the reader makes; tests pass one that fails on purpose. */
export interface ReaderFileSystem {
	readdir(dir: string, options: { withFileTypes: true }): Promise<Dirent[]>;
	stat(file: string): Promise<Stats>;
	readFile(file: string): Promise<Uint8Array>;
	realpath(file: string): Promise<string>;
}

export const NODE_FILE_SYSTEM: ReaderFileSystem = {
	readdir: (dir, options) => fsp.readdir(dir, options),
	stat: (file) => fsp.stat(file),
	readFile: (file) => fsp.readFile(file),
	realpath: (file) => fsp.realpath(file),
};

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
	/** Follow symbolic links that lead out of the workspace (default true). */
	readonly followSymlinks?: boolean;
	readonly fs?: ReaderFileSystem;
}

interface IgnoreLevel {
	/** The folder of the rules, relative to the root ('' for the root). */
	readonly base: string;
	readonly rules: Ignore;
}

function errorCode(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}

function formatBytes(bytes: number): string {
	if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
	if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
	return `${bytes} B`;
}

function compareNames(a: Dirent, b: Dirent): number {
	return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The workspace on the local file system (CLI, tests; the editor wraps it with its settings).
 * Walks depth first in code-unit name order, one directory listing at a time, so a tree of any
 * size streams through. Follows .gitignore at every level (negations included, via the `ignore`
 * package, with git's precedence: deeper files win, .git/info/exclude loses to all), exclude
 * globs, a size cap, binary detection and the text decodings of decodeWorkspaceText. Links
 * into the workspace are reported as duplicates (the target is read where it is), links out of
 * it are followed, and a link back to a folder being walked is reported as a loop.
 */
export class NodeWorkspaceReader implements WorkspaceReader {
	readonly root: string;
	readonly name: string;
	readonly maxFileBytes: number;
	private readonly fs: ReaderFileSystem;
	private readonly isExcluded: (path: string) => boolean;
	private readonly useGitignore: boolean;
	private readonly followSymlinks: boolean;
	private rootReal = '';
	/** What the last (or current) walk met. */
	stats: WorkspaceReadStats = emptyReadStats();

	constructor(root: string, options: NodeWorkspaceReaderOptions = {}) {
		this.root = path.resolve(root);
		this.name = path.basename(this.root) || this.root;
		this.fs = options.fs ?? NODE_FILE_SYSTEM;
		this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
		this.useGitignore = options.useGitignore ?? true;
		this.followSymlinks = options.followSymlinks ?? true;
		this.isExcluded = excludeMatcher(
			options.noDefaultExcludes ? {} : DEFAULT_EXCLUDES,
			options.exclude ?? {},
		);
	}

	async *entries(token?: CancellationToken): AsyncGenerator<WorkspaceEntry> {
		this.stats = emptyReadStats();
		let rootStat: Stats;
		try {
			this.rootReal = await this.fs.realpath(this.root);
			rootStat = await this.fs.stat(this.rootReal);
		} catch (error) {
			throw new Error(
				`cannot read the workspace folder ${this.root}: ${(error as Error).message}`,
			);
		}
		if (!rootStat.isDirectory()) throw new Error(`${this.root} is not a folder`);
		const levels: IgnoreLevel[] = [];
		if (this.useGitignore) {
			const info = await this.readRules(path.join(this.root, '.git', 'info', 'exclude'));
			if (info) levels.push({ base: '', rules: info });
		}
		yield* this.walk('', this.root, this.rootReal, levels, new Set([this.rootReal]), token);
	}

	async read(relative: string): Promise<WorkspaceEntry> {
		const normal = path.posix.normalize(relative.replace(/\\/g, '/')).replace(/^\.\//, '');
		if (normal === '..' || normal.startsWith('../') || path.isAbsolute(normal)) {
			return skip(normal, 'not-a-file', 'outside the workspace folder');
		}
		return this.readFile(normal, path.join(this.root, normal));
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
		let dirents: Dirent[];
		try {
			dirents = await this.fs.readdir(abs, { withFileTypes: true });
		} catch (error) {
			yield this.count(problem(rel || '.', error, 'folder'));
			return;
		}
		this.stats.directories++;
		dirents.sort(compareNames);
		let levels = parentLevels;
		if (this.useGitignore && dirents.some((d) => d.name === '.gitignore')) {
			const rules = await this.readRules(path.join(abs, '.gitignore'));
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
			let isDirectory = dirent.isDirectory();
			let isFile = dirent.isFile();
			let target: Stats | undefined;
			let linkReal: string | undefined;
			if (dirent.isSymbolicLink()) {
				try {
					target = await this.fs.stat(childAbs);
					linkReal = await this.fs.realpath(childAbs);
				} catch (error) {
					const code = errorCode(error);
					if (this.ignored(levels, childRel, false)) {
						this.stats.ignored++;
						continue;
					}
					yield this.count(
						code === 'ELOOP'
							? skip(
									childRel,
									'symlink-loop',
									'symbolic link loop: it never reaches a file',
								)
							: code === 'ENOENT'
								? skip(
										childRel,
										'broken-symlink',
										'symbolic link to a missing target',
									)
								: problem(childRel, error, 'link'),
					);
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
				const linkProblem = this.linkProblem(childRel, linkReal, isDirectory, ancestors);
				if (linkProblem) {
					yield this.count(linkProblem);
					continue;
				}
			}
			if (isDirectory) {
				const childReal = linkReal ?? path.join(real, dirent.name);
				ancestors.add(childReal);
				try {
					yield* this.walk(childRel, childAbs, childReal, levels, ancestors, token);
				} finally {
					ancestors.delete(childReal);
				}
			} else if (isFile) {
				yield this.count(await this.readFile(childRel, childAbs, target));
			} else {
				yield this.count(
					skip(childRel, 'not-a-file', 'not a regular file (socket, pipe or device)'),
				);
			}
		}
	}

	/** A link into the workspace is a duplicate, a link to a folder being walked a loop. */
	private linkProblem(
		rel: string,
		real: string,
		isDirectory: boolean,
		ancestors: ReadonlySet<string>,
	): WorkspaceSkippedFile | undefined {
		const inside = path.relative(this.rootReal, real);
		const within = inside === '' || (!inside.startsWith('..') && !path.isAbsolute(inside));
		const shown = within ? inside.split(path.sep).join('/') || '.' : real;
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
		if (!this.followSymlinks) {
			return skip(
				rel,
				'not-a-file',
				`symbolic link out of the workspace (to ${real}), not followed`,
			);
		}
		return undefined;
	}

	private async readFile(rel: string, abs: string, known?: Stats): Promise<WorkspaceEntry> {
		let stat = known;
		try {
			stat ??= await this.fs.stat(abs);
		} catch (error) {
			return problem(rel, error, 'file');
		}
		if (!stat.isFile()) return skip(rel, 'not-a-file', 'not a regular file');
		if (stat.size > this.maxFileBytes) {
			return skip(
				rel,
				'too-large',
				`${formatBytes(stat.size)}, over the ${formatBytes(this.maxFileBytes)} cap`,
				stat.size,
			);
		}
		let bytes: Uint8Array;
		try {
			bytes = await this.fs.readFile(abs);
		} catch (error) {
			return problem(rel, error, 'file');
		}
		if (bytes.length > this.maxFileBytes) {
			return skip(
				rel,
				'too-large',
				`${formatBytes(bytes.length)}, over the ${formatBytes(this.maxFileBytes)} cap`,
				bytes.length,
			);
		}
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

	private async readRules(file: string): Promise<Ignore | undefined> {
		try {
			const bytes = await this.fs.readFile(file);
			const decoded = decodeWorkspaceText(bytes);
			return decoded.ok ? ignore().add(decoded.text) : undefined;
		} catch {
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

	private count(entry: WorkspaceEntry): WorkspaceEntry {
		if (entry.kind === 'text') this.stats.text++;
		else this.stats.skipped++;
		return entry;
	}
}

function skip(
	rel: string,
	reason: SkipReason,
	detail: string,
	bytes?: number,
): WorkspaceSkippedFile {
	return {
		kind: 'skipped',
		path: rel,
		reason,
		detail,
		...(bytes !== undefined ? { bytes } : {}),
	};
}

function problem(rel: string, error: unknown, what: string): WorkspaceSkippedFile {
	const code = errorCode(error);
	if (code === 'ENOENT')
		return skip(rel, 'vanished', `the ${what} vanished while the workspace was read`);
	if (code === 'ELOOP') return skip(rel, 'symlink-loop', 'symbolic link loop');
	const message = error instanceof Error ? error.message : String(error);
	return skip(
		rel,
		'unreadable',
		`${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : 'cannot read it'}: ${message}`,
	);
}

/**
 * Named files (`--files`), read with the same checks as a workspace's; paths are shown relative
 * to `base` when inside it, absolute otherwise.
 */
export class FileListReader implements WorkspaceReader {
	readonly name: string;
	private readonly base: string;
	private readonly files: string[];
	private readonly options: NodeWorkspaceReaderOptions;

	constructor(files: readonly string[], base: string, options: NodeWorkspaceReaderOptions = {}) {
		this.base = path.resolve(base);
		this.name = path.basename(this.base) || this.base;
		this.options = options;
		this.files = [...new Set(files.map((f) => this.display(f)))];
	}

	async *entries(token?: CancellationToken): AsyncGenerator<WorkspaceEntry> {
		for (const file of this.files) {
			throwIfCancelled(token);
			yield await this.read(file);
		}
	}

	async read(file: string): Promise<WorkspaceEntry> {
		const abs = path.resolve(this.base, file);
		const reader = new NodeWorkspaceReader(path.dirname(abs), this.options);
		const entry = await reader.read(path.basename(abs));
		return { ...entry, path: this.display(file) };
	}

	private display(file: string): string {
		const abs = path.resolve(this.base, file);
		const rel = path.relative(this.base, abs);
		return rel === '' || rel.startsWith('..') || path.isAbsolute(rel)
			? abs
			: rel.split(path.sep).join('/');
	}
}
