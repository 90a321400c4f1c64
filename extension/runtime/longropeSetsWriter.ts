import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { factorSetsFromLongropeJson } from '../engine/longropeSetsFile';
import type { RotaryGeometry } from '../engine/rotaryGeometry';
import type { LongropeSetJson } from '../engine/search/factorSearch';

interface SetsFile {
	sets: Record<string, unknown>[];
	[key: string]: unknown;
}

function readSetsFile(file: string): SetsFile {
	if (!existsSync(file)) return { sets: [] };
	let value: unknown;
	try {
		value = JSON.parse(readFileSync(file, 'utf8'));
	} catch (error) {
		throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
	}
	const doc = value as Partial<SetsFile> | null;
	if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.sets)) {
		throw new Error(`${file} is not a longrope.json ({ "sets": [...] })`);
	}
	return doc as SetsFile;
}

/** Writes through a temporary file and a rename, so a crash never leaves half a file. */
export function writeFileAtomic(file: string, text: string): void {
	mkdirSync(path.dirname(file), { recursive: true });
	const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
	writeFileSync(tmp, text);
	renameSync(tmp, file);
}

/**
 * Merges one set into a longrope.json: a set with the same name is replaced in place, others
 * are kept as they are (and in their order), a new name is appended. With a geometry the result
 * is checked with the same parser the model loader uses before anything is written.
 */
export function mergeFactorSet(
	file: string,
	set: LongropeSetJson,
	geometry?: RotaryGeometry,
): { replaced: boolean; names: string[] } {
	const doc = readSetsFile(file);
	const index = doc.sets.findIndex((s) => s.name === set.name);
	const entry = { ...set } as unknown as Record<string, unknown>;
	if (index >= 0) doc.sets[index] = entry;
	else doc.sets.push(entry);
	if (geometry) factorSetsFromLongropeJson(doc, geometry, file);
	writeFileAtomic(file, `${JSON.stringify(doc, null, '\t')}\n`);
	return { replaced: index >= 0, names: doc.sets.map((s) => String(s.name)) };
}

/**
 * Sets config.json's max_position_embeddings to the longest set's maxLength (never below the
 * original window), keeping every other key. Returns the new value.
 */
export function updateMaxPositionEmbeddings(configFile: string, setsFile: string): number {
	const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
	const sets = readSetsFile(setsFile).sets;
	const original = Number(
		config.original_max_position_embeddings ?? config.max_position_embeddings,
	);
	const longest = Math.max(original, ...sets.map((s) => Number(s.maxLength)));
	config.max_position_embeddings = longest;
	writeFileAtomic(configFile, `${JSON.stringify(config, null, '\t')}\n`);
	return longest;
}
