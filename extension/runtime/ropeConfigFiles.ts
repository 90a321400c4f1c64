import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { withFactorSets, type RopeConfig } from '../engine/factorSet';
import { ropeConfigFromHf } from '../engine/hfRopeConfig';
import { factorSetsFromLongropeJson } from '../engine/longropeSetsFile';

/** A file that is missing or not JSON; the message names the path. */
export class ConfigFileError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ConfigFileError';
	}
}

async function readJson(file: string): Promise<unknown> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new ConfigFileError(
			code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${String(error)}`,
		);
	}
	try {
		return JSON.parse(text) as unknown;
	} catch (error) {
		throw new ConfigFileError(`${file} is not valid JSON: ${(error as Error).message}`);
	}
}

/** A Hugging Face config.json, plus the sets of a longrope.json when one is given. */
export async function loadRopeConfig(configFile: string, setsFile?: string): Promise<RopeConfig> {
	const config = ropeConfigFromHf(await readJson(configFile), path.basename(configFile));
	if (setsFile === undefined) return config;
	const sets = factorSetsFromLongropeJson(
		await readJson(setsFile),
		config.geometry,
		path.basename(setsFile),
	);
	return withFactorSets(config, sets);
}

/** A model folder: its config.json and, when present, the search's longrope.json. */
export async function loadModelFolderRopeConfig(folder: string): Promise<RopeConfig> {
	const setsFile = path.join(folder, 'longrope.json');
	return loadRopeConfig(
		path.join(folder, 'config.json'),
		existsSync(setsFile) ? setsFile : undefined,
	);
}
