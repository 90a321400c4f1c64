import * as path from 'node:path';
import type { SkipReason, WorkspaceSkippedFile } from '../engine/workspace/reader';
import { NOT_REGULAR_FILE, READ_TIMEOUT } from './readerFileSystem';

export function errorCode(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}

export function skip(
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

/** A failed file-system call as a skipped entry that says what happened. */
export function problem(rel: string, error: unknown, what: string): WorkspaceSkippedFile {
	const code = errorCode(error);
	const message = error instanceof Error ? error.message : String(error);
	if (code === 'ENOENT')
		return skip(rel, 'vanished', `the ${what} vanished while the workspace was read`);
	if (code === 'ELOOP') return skip(rel, 'symlink-loop', 'symbolic link loop');
	if (code === NOT_REGULAR_FILE) {
		return skip(rel, 'not-a-file', 'not a regular file (socket, pipe or device)');
	}
	if (code === READ_TIMEOUT) {
		return skip(rel, 'timeout', `${message} (a pipe, a device or a hung network drive?)`);
	}
	return skip(
		rel,
		'unreadable',
		`${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : 'cannot read it'}: ${message}`,
	);
}

/** The note on a link, or a path through one, that leads out of the workspace. */
export function outsideDetail(real: string, isLink: boolean): string {
	const how = isLink
		? `symbolic link to ${real}, outside the workspace`
		: `leads to ${real}, outside the workspace, through a symbolic link`;
	return `${how}: not followed (allow it with the followExternalLinks setting or --follow-external-links)`;
}

/** Whether `target` is `root` or inside it. */
export function isWithin(root: string, target: string): boolean {
	const inside = path.relative(root, target);
	return (
		inside === '' ||
		(inside !== '..' && !inside.startsWith(`..${path.sep}`) && !path.isAbsolute(inside))
	);
}
