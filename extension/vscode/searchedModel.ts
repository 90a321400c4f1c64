import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import type { RotaryGeometry } from '../engine/rotaryGeometry';
import type { LongropeSetJson } from '../engine/search/factorSearch';
import { mergeFactorSet, updateMaxPositionEmbeddings } from '../runtime/longropeSetsWriter';

/**
 * A model folder for searched factor sets, outside the extension: the source folder's small
 * files copied, its weights linked (hard link, else symbolic link, else copied), and the set
 * merged into its own longrope.json, so the bundled files stay as they shipped.
 */
export function saveSearchedModel(
	sourceFolder: string,
	targetFolder: string,
	set: Readonly<Record<string, unknown>> & { readonly name: string },
	geometry: RotaryGeometry,
): string {
	if (path.resolve(sourceFolder) === path.resolve(targetFolder)) {
		throw new Error('the searched model folder must not be the source folder');
	}
	mkdirSync(targetFolder, { recursive: true });
	for (const entry of readdirSync(sourceFolder, { withFileTypes: true })) {
		if (!entry.isFile()) continue;
		const from = path.join(sourceFolder, entry.name);
		const to = path.join(targetFolder, entry.name);
		if (entry.name.startsWith('model.onnx') || entry.name.endsWith('.onnx_data')) {
			if (existsSync(to)) continue;
			try {
				linkSync(from, to);
			} catch {
				try {
					symlinkSync(from, to);
				} catch {
					copyFileSync(from, to);
				}
			}
		} else if (entry.name === 'longrope.json' && existsSync(to)) {
			continue; // keep the sets searched before
		} else {
			copyFileSync(from, to);
		}
	}
	const setsFile = path.join(targetFolder, 'longrope.json');
	mergeFactorSet(setsFile, set as unknown as LongropeSetJson, geometry);
	updateMaxPositionEmbeddings(path.join(targetFolder, 'config.json'), setsFile);
	return targetFolder;
}
