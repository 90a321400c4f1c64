import { statSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_MAX_FILE_BYTES } from '../runtime/nodeWorkspaceReader';
import {
	booleanFlag,
	positiveIntegerFlag,
	stringFlag,
	UsageError,
	type FlagSpec,
	type ParsedArgs,
} from './args';

/** Flags every workspace job shares. */
export const READER_FLAGS: readonly FlagSpec[] = [
	{
		name: 'exclude',
		value: 'GLOBS',
		description:
			'comma-separated globs to leave out, like files.exclude (besides .gitignore, .git and node_modules)',
	},
	{
		name: 'max-file-size',
		value: 'BYTES',
		description: `skip larger files (default ${DEFAULT_MAX_FILE_BYTES})`,
	},
	{
		name: 'follow-external-links',
		description:
			'read what symbolic links out of the workspace point to (default: list them as skipped)',
	},
	{
		name: 'factor-set',
		value: 'NAME',
		description: 'auto (default), short, long or a set name: which window to pack for',
	},
];

export function listFlag(args: ParsedArgs, name: string): string[] | undefined {
	return stringFlag(args, name)
		?.split(',')
		.map((item) => item.trim())
		.filter(Boolean);
}

export function readerFlags(args: ParsedArgs): {
	exclude?: string[];
	maxFileBytes?: number;
	followExternalLinks?: boolean;
} {
	return {
		exclude: listFlag(args, 'exclude'),
		maxFileBytes: positiveIntegerFlag(args, 'max-file-size'),
		...(booleanFlag(args, 'follow-external-links') ? { followExternalLinks: true } : {}),
	};
}

/** `--files`: each must be a file that exists, or the answer would come from less than asked. */
export function namedFiles(args: ParsedArgs, cwd = process.cwd()): string[] | undefined {
	const files = listFlag(args, 'files');
	for (const file of files ?? []) {
		let isFolder: boolean;
		try {
			isFolder = statSync(path.resolve(cwd, file)).isDirectory();
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			throw new UsageError(
				code === 'ENOENT'
					? `--files: ${file} does not exist`
					: `--files: cannot read ${file}: ${(error as Error).message}`,
			);
		}
		if (isFolder) throw new UsageError(`--files: ${file} is a folder (use --workspace DIR)`);
	}
	return files;
}
