/**
 * The @vscode/test-electron path, for machines that have (or may download) desktop VS Code:
 * `npm run test:e2e:electron`. It starts VS Code with this folder as the extension under
 * development and runs suite.ts inside its extension host. $LONGROPE_VSCODE names a VS Code
 * executable to use instead of downloading one (this project's CI machines cannot download it,
 * so CI runs the code-server suite instead).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { buildSync } from 'esbuild';
import { writeFixtureWorkspace } from '../fixture';

async function main(): Promise<void> {
	const root = path.resolve(__dirname, '../../..');
	const out = mkdtempSync(path.join(tmpdir(), 'longrope-electron-'));
	const suite = path.join(out, 'suite.js');
	buildSync({
		entryPoints: [path.join(__dirname, 'suite.ts')],
		bundle: true,
		platform: 'node',
		format: 'cjs',
		outfile: suite,
		external: ['vscode'],
		logLevel: 'warning',
	});
	const workspace = writeFixtureWorkspace(path.join(out, 'calculator'), 256);
	await runTests({
		extensionDevelopmentPath: root,
		extensionTestsPath: suite,
		launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
		...(process.env.LONGROPE_VSCODE
			? { vscodeExecutablePath: process.env.LONGROPE_VSCODE }
			: {}),
	});
}

main().catch((error: unknown) => {
	console.error(`[e2e:electron] ${(error as Error).message}`);
	process.exit(1);
});
