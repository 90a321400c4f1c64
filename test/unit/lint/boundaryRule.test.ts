import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURE = readFileSync(
	path.join(ROOT, 'test/fixtures/lint/engine-forbidden-imports.ts'),
	'utf8',
);

/** Lints the fixture's text as if it were the file at `filePath` in the repository. */
async function restrictedImportLines(filePath: string): Promise<number[]> {
	const eslint = new ESLint({ cwd: ROOT });
	const [result] = await eslint.lintText(FIXTURE, { filePath: path.join(ROOT, filePath) });
	return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.line);
}

describe('ESLint boundary rule', () => {
	it('reports every vscode, onnxruntime-node, fs, child_process and upper-layer import in extension/engine/', async () => {
		// Lines 3–11 of the fixture each hold one forbidden import.
		assert.deepEqual(
			await restrictedImportLines('extension/engine/fixture.ts'),
			[3, 4, 5, 6, 7, 8, 9, 10, 11],
		);
	});

	it('allows the same imports in extension/runtime/', async () => {
		assert.deepEqual(await restrictedImportLines('extension/runtime/fixture.ts'), []);
	});
});
