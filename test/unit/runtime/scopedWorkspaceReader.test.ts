import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { WorkspaceEntry } from '../../../extension/engine/workspace/reader';
import { NodeWorkspaceReader } from '../../../extension/runtime/nodeWorkspaceReader';
import {
	ScopedWorkspaceReader,
	underFolder,
} from '../../../extension/runtime/scopedWorkspaceReader';

function tree(): string {
	const root = mkdtempSync(path.join(tmpdir(), 'longrope-scoped-'));
	mkdirSync(path.join(root, 'src', 'deep'), { recursive: true });
	writeFileSync(path.join(root, 'src', 'a.ts'), 'a\n');
	writeFileSync(path.join(root, 'src', 'deep', 'b.ts'), 'b\n');
	writeFileSync(path.join(root, 'srcfile.ts'), 'not in src/\n');
	writeFileSync(path.join(root, 'README.md'), 'readme\n');
	return root;
}

async function all(reader: ScopedWorkspaceReader): Promise<WorkspaceEntry[]> {
	const out: WorkspaceEntry[] = [];
	for await (const entry of reader.entries()) out.push(entry);
	return out;
}

describe('the editor workspace reader', () => {
	it('narrows to a folder (and not to names that merely start like it)', async () => {
		const reader = new ScopedWorkspaceReader(new NodeWorkspaceReader(tree()), {
			include: underFolder('src/'),
		});
		assert.deepEqual(
			(await all(reader)).map((e) => e.path),
			['src/a.ts', 'src/deep/b.ts'],
		);
		assert.ok(underFolder('')('anything'));
		assert.ok(underFolder('.')('anything'));
		assert.ok(underFolder('./src')('src/a.ts'));
	});

	it('shows unsaved editor text instead of the disk, in walks and in single reads', async () => {
		const reader = new ScopedWorkspaceReader(new NodeWorkspaceReader(tree()), {
			overlay: (p) => (p === 'README.md' ? 'edited, not saved\n' : undefined),
		});
		const readme = (await all(reader)).find((e) => e.path === 'README.md');
		assert.equal(readme?.kind === 'text' && readme.text, 'edited, not saved\n');
		const single = await reader.read('README.md');
		assert.equal(single.kind === 'text' && single.bytes, 18);
		const other = await reader.read('src/a.ts');
		assert.equal(other.kind === 'text' && other.text, 'a\n');
	});
});
