import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { findModelFolder } from '../runtime/modelFolder';
import { UsageError } from './args';

/** The repository or installed package root: the nearest folder up with our package.json. */
export function packageRoot(from = __dirname): string {
	for (let dir = from; ; dir = path.dirname(dir)) {
		const manifest = path.join(dir, 'package.json');
		if (
			existsSync(manifest) &&
			(JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name ===
				'longrope-assistant'
		) {
			return dir;
		}
		if (path.dirname(dir) === dir)
			throw new Error(`cannot find the longrope-assistant package above ${from}`);
	}
}

/** --model DIR, or the bundled model. */
export function resolveModelFolder(flag: string | undefined): string {
	const folder = findModelFolder(flag ?? '', process.cwd(), packageRoot());
	if (folder === undefined) {
		throw new UsageError(
			flag
				? `--model ${flag} is not a model folder (no config.json or genai_config.json there)`
				: 'no bundled model found under models/; pass --model DIR',
		);
	}
	return folder;
}
