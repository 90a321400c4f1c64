import type { CancellationToken } from '../engine/cancellation';
import type { WorkspaceEntry, WorkspaceReader } from '../engine/workspace/reader';

export interface ScopeOptions {
	/** Keep only these workspace-relative paths (a folder's files, one file). */
	readonly include?: (path: string) => boolean;
	/**
	 * The editor's text of a file when it differs from the disk (an unsaved buffer), else
	 * undefined: the model sees what the user sees.
	 */
	readonly overlay?: (path: string) => string | undefined;
}

/**
 * A workspace reader narrowed to a scope and overlaid with the editor's unsaved buffers. The
 * editor's reader is this around the Node reader (which walks the folder with .gitignore and the
 * user's `files.exclude`), so the CLI, the tests and the editor read a workspace the same way.
 */
export class ScopedWorkspaceReader implements WorkspaceReader {
	constructor(
		private readonly inner: WorkspaceReader,
		private readonly scope: ScopeOptions = {},
	) {}

	get name(): string {
		return this.inner.name;
	}

	get limits(): WorkspaceReader['limits'] {
		return this.inner.limits;
	}

	async *entries(token?: CancellationToken): AsyncIterable<WorkspaceEntry> {
		for await (const entry of this.inner.entries(token)) {
			if (this.scope.include && !this.scope.include(entry.path)) continue;
			yield this.overlaid(entry);
		}
	}

	async read(path: string): Promise<WorkspaceEntry> {
		return this.overlaid(await this.inner.read(path));
	}

	private overlaid(entry: WorkspaceEntry): WorkspaceEntry {
		const text = this.scope.overlay?.(entry.path);
		if (text === undefined || entry.kind !== 'text') return entry;
		return { ...entry, text, bytes: Buffer.byteLength(text, 'utf8') };
	}
}

/** `folder` and everything under it; '' or '.' is the whole workspace. */
export function underFolder(folder: string): (path: string) => boolean {
	const prefix = folder
		.replace(/\\/g, '/')
		.replace(/^\.?\/?/, '')
		.replace(/\/+$/, '');
	if (prefix === '' || prefix === '.') return () => true;
	return (path) => path === prefix || path.startsWith(`${prefix}/`);
}
