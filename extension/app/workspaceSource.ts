import * as path from 'node:path';
import type { WorkspaceReader } from '../engine/workspace/reader';
import type { ExcludeSetting } from '../engine/workspace/glob';
import type { EditorFocus } from '../engine/workspace/relevance';
import type { WalkLimits } from '../engine/workspace/walkLimits';
import { FileListReader } from '../runtime/fileListReader';
import {
	NodeWorkspaceReader,
	type NodeWorkspaceReaderOptions,
} from '../runtime/nodeWorkspaceReader';
import { ScopedWorkspaceReader, underFolder } from '../runtime/scopedWorkspaceReader';

/** Which part of the workspace a job reads, by workspace-relative path. */
export type WorkspaceScope =
	| { readonly kind: 'all' }
	| { readonly kind: 'file'; readonly path: string }
	| { readonly kind: 'folder'; readonly path: string };

/**
 * Where a job's text comes from, as plain data: the CLI makes it from flags, the editor from its
 * workspace folder, settings and unsaved buffers; the job's own process reads the files.
 */
export interface WorkspaceSource {
	/** The workspace folder; without it, `files` alone are read. */
	readonly root?: string;
	/** Named files: alone, the only files read; with `root`, packed first like open editors. */
	readonly files?: readonly string[];
	readonly scope?: WorkspaceScope;
	/** Globs to leave out, like `files.exclude`, besides .gitignore, .git and node_modules. */
	readonly exclude?: ExcludeSetting | readonly string[];
	readonly maxFileBytes?: number;
	/** Read what symbolic links out of the workspace point to (default: list them as skipped). */
	readonly followExternalLinks?: boolean;
	/** Where a walk stops (files, bytes, tokens, time); defaults are generous for real repositories. */
	readonly limits?: Partial<WalkLimits>;
	/** The editor's text of files whose buffers are unsaved, by workspace-relative path. */
	readonly overlays?: Readonly<Record<string, string>>;
	/** What relative paths are resolved against (default: the process's folder). */
	readonly cwd?: string;
}

/** The reader for a source, and the files it pins (named files, like open editors). */
export function openWorkspace(source: WorkspaceSource): {
	reader: WorkspaceReader;
	focus?: EditorFocus;
} {
	const cwd = source.cwd ?? process.cwd();
	const options: NodeWorkspaceReaderOptions = {
		...(source.exclude ? { exclude: source.exclude } : {}),
		...(source.maxFileBytes ? { maxFileBytes: source.maxFileBytes } : {}),
		...(source.followExternalLinks ? { followExternalLinks: true } : {}),
		...(source.limits ? { limits: source.limits } : {}),
	};
	const files = source.files ?? [];
	if (source.root === undefined && files.length > 0) {
		return { reader: new FileListReader(files, cwd, options) };
	}
	const root = path.resolve(cwd, source.root ?? '.');
	const scope = source.scope ?? { kind: 'all' };
	const overlays = source.overlays ?? {};
	const include =
		scope.kind === 'all'
			? undefined
			: scope.kind === 'file'
				? (p: string) => p === scope.path
				: underFolder(scope.path);
	const reader = new ScopedWorkspaceReader(new NodeWorkspaceReader(root, options), {
		...(include ? { include } : {}),
		overlay: (p) => (Object.hasOwn(overlays, p) ? overlays[p] : undefined),
	});
	if (files.length === 0) return { reader };
	const openEditors = files.map((f) =>
		path.relative(root, path.resolve(cwd, f)).split(path.sep).join('/'),
	);
	return { reader, focus: { openEditors } };
}
