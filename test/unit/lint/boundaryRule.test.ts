import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '../../..');
const fixture = (name: string) => readFileSync(path.join(ROOT, 'test/fixtures/lint', name), 'utf8');

/** Lints a fixture's text as if it were the file at `filePath` in the repository. */
async function restrictedImportLines(
	filePath: string,
	text = fixture('engine-forbidden-imports.ts'),
): Promise<number[]> {
	const eslint = new ESLint({ cwd: ROOT });
	const [result] = await eslint.lintText(text, { filePath: path.join(ROOT, filePath) });
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

	it('allows Node and onnxruntime in extension/runtime/, but not the editor', async () => {
		assert.deepEqual(await restrictedImportLines('extension/runtime/fixture.ts'), [3]);
	});

	it('keeps every layer in its room: engine ← runtime ← app ← cli / vscode', async () => {
		// Lines: 3 app, 4 cli, 5 vscode front end, 6 runtime, 7 the vscode module.
		const layers = fixture('layer-imports.ts');
		const lines = (file: string) => restrictedImportLines(file, layers);
		assert.deepEqual(await lines('extension/engine/fixture.ts'), [3, 4, 5, 6, 7]);
		assert.deepEqual(await lines('extension/runtime/fixture.ts'), [3, 4, 5, 7]);
		assert.deepEqual(await lines('extension/app/fixture.ts'), [4, 5, 7]);
		assert.deepEqual(await lines('extension/cli/fixture.ts'), [5, 7]);
		assert.deepEqual(await lines('extension/vscode/fixture.ts'), [4]);
		assert.deepEqual(await lines('webview/fixture.ts'), [3, 4, 5, 6, 7]);
	});
});
