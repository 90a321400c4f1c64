import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * A detached checkout of `ref` beside this one (sharing its node_modules), so that an older
 * engine runs in the same interleaved run as this one: the before of a before/after. Removed
 * when the process exits.
 */
export function checkoutAt(ref: string): string {
	const dir = path.join(mkdtempSync(path.join(tmpdir(), 'realsize-base-')), 'checkout');
	execFileSync('git', ['worktree', 'add', '--detach', dir, ref], { cwd: ROOT, stdio: 'ignore' });
	symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
	process.once('exit', () => {
		execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
	});
	return dir;
}
