import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { throwIfCancelled, type CancellationToken } from '../engine/cancellation';
import type { WorkspaceEntry, WorkspaceReader } from '../engine/workspace/reader';
import type { WalkLimits } from '../engine/workspace/walkLimits';
import { NodeWorkspaceReader, type NodeWorkspaceReaderOptions } from './nodeWorkspaceReader';
import { isWithin, outsideDetail, problem, skip } from './workspaceSkips';

/**
 * Named files (`--files`), read with the same checks as a workspace's; paths are shown relative
 * to `base` when inside it, absolute otherwise. Links: a name inside `base` whose real path is
 * outside it went out through a link, and is skipped as in a walk; a name the user gives outside
 * `base` (absolute or `../`) is read there, since the user chose that place, unless the file is
 * itself a link out of its own folder (a name cannot smuggle in another file). The option
 * followExternalLinks lifts both.
 */
export class FileListReader implements WorkspaceReader {
	readonly name: string;
	readonly limits?: Partial<WalkLimits>;
	private readonly base: string;
	private readonly files: string[];
	private readonly options: NodeWorkspaceReaderOptions;

	constructor(files: readonly string[], base: string, options: NodeWorkspaceReaderOptions = {}) {
		this.base = path.resolve(base);
		this.name = path.basename(this.base) || this.base;
		this.options = options;
		if (options.limits) this.limits = options.limits;
		this.files = [...new Set(files.map((f) => this.display(f)))];
	}

	async *entries(token?: CancellationToken): AsyncGenerator<WorkspaceEntry> {
		for (const file of this.files) {
			throwIfCancelled(token);
			yield await this.read(file);
		}
	}

	async read(file: string): Promise<WorkspaceEntry> {
		const shown = this.display(file);
		const abs = path.resolve(this.base, file);
		if (!this.options.followExternalLinks && isWithin(this.base, abs)) {
			try {
				const real = await fsp.realpath(abs);
				if (!isWithin(await fsp.realpath(this.base), real)) {
					return skip(shown, 'outside-workspace', outsideDetail(real, false));
				}
			} catch (error) {
				return problem(shown, error, 'file');
			}
		}
		// Read as the one file of its folder: a link out of that folder is refused there.
		const reader = new NodeWorkspaceReader(path.dirname(abs), this.options);
		const entry = await reader.read(path.basename(abs));
		return { ...entry, path: shown };
	}

	private display(file: string): string {
		const abs = path.resolve(this.base, file);
		return isWithin(this.base, abs)
			? path.relative(this.base, abs).split(path.sep).join('/') || abs
			: abs;
	}
}
