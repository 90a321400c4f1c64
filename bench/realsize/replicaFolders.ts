import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { defaultCacheDir } from '../../extension/runtime/tokenCountStore';

const ROOT = path.resolve(__dirname, '../..');
const GENERATOR = path.join(ROOT, 'test', 'replicas', 'make_realsize.py');
export const REALSIZE_KINDS = ['phi3.5-mini', 'phi4-mini'] as const;

/** The version make_realsize.py writes into realsize.json: older folders are rebuilt. */
function generatorVersion(): number {
	const match = /^GENERATOR_VERSION = (\d+)$/m.exec(readFileSync(GENERATOR, 'utf8'));
	if (!match) throw new Error(`${GENERATOR} does not say its GENERATOR_VERSION`);
	return Number(match[1]);
}

export function realsizeFolder(kind: string, env: NodeJS.ProcessEnv = process.env): string {
	return path.join(defaultCacheDir(env), 'realsize', kind);
}

/**
 * The full-size replica of `kind`, built on first use (2.7 GB for phi3.5-mini, 4.9 GB for
 * phi4-mini, about a minute) with Debian's python3-onnx and python3-numpy.
 */
export function ensureRealsize(kind: string): string {
	const folder = realsizeFolder(kind);
	const record = path.join(folder, 'realsize.json');
	const wanted = generatorVersion();
	if (existsSync(record)) {
		const built = JSON.parse(readFileSync(record, 'utf8')) as { generatorVersion?: number };
		if (built.generatorVersion === wanted) return folder;
	}
	process.stderr.write(`realsize: writing the ${kind} replica into ${folder}…\n`);
	const python = process.env.LONGROPE_PYTHON ?? '/usr/bin/python3';
	const result = spawnSync(python, [GENERATOR, kind, folder], { stdio: 'inherit' });
	if (result.status !== 0) {
		throw new Error(
			`${GENERATOR} failed for ${kind} (exit ${result.status ?? result.signal}); it needs python3 with onnx and numpy (set LONGROPE_PYTHON)`,
		);
	}
	return folder;
}
