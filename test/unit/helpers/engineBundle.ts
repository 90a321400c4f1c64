import { buildSync } from 'esbuild';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
let built: string | undefined;

/**
 * The engine child process bundled for tests, built once per mocha run. It sits inside the
 * repository so that onnxruntime-node resolves from node_modules.
 */
export function engineBundle(): string {
	if (built === undefined) {
		const outfile = path.join(ROOT, 'node_modules/.cache/longrope-test/engine.js');
		buildSync({
			entryPoints: [path.join(ROOT, 'extension/app/engineProcess.ts')],
			bundle: true,
			platform: 'node',
			format: 'cjs',
			target: 'node20',
			outfile,
			external: ['onnxruntime-node'],
			logLevel: 'silent',
		});
		built = outfile;
	}
	return built;
}
