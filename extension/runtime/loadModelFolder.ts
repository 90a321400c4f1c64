import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { withFactorSets, type RopeConfig } from '../engine/factorSet';
import { ropeConfigFromHf } from '../engine/hfRopeConfig';
import { factorSetsFromLongropeJson } from '../engine/longropeSetsFile';
import { HfTokenizer } from './hfTokenizer';
import type { GraphShape } from './longropeGraph';

/** A model folder that cannot be used; the message names the file and what is wrong with it. */
export class ModelFolderError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ModelFolderError';
	}
}

export interface ModelFolder {
	readonly folder: string;
	readonly modelFile: string;
	readonly config: Readonly<Record<string, unknown>>;
	readonly rope: RopeConfig;
	readonly shape: GraphShape;
	readonly tokenizer: HfTokenizer;
}

const REQUIRED_FILES = ['config.json', 'tokenizer.json', 'model.onnx'];

async function readJsonObject(file: string): Promise<Record<string, unknown>> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (err) {
		throw new ModelFolderError(`cannot read ${file}: ${(err as Error).message}`);
	}
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (err) {
		throw new ModelFolderError(`${file} is not valid JSON: ${(err as Error).message}`);
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new ModelFolderError(`${file} must hold a JSON object`);
	}
	return value as Record<string, unknown>;
}

function positiveInt(config: Record<string, unknown>, key: string, file: string): number {
	const value = config[key];
	if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
		throw new ModelFolderError(
			`${file}: ${key} must be a positive integer, not ${JSON.stringify(value)}`,
		);
	}
	return value;
}

/**
 * Reads and cross-checks a model folder (DESIGN.md, Model folder) without touching onnxruntime:
 * the graph itself is checked against this shape when a session opens it.
 */
export async function loadModelFolder(folder: string): Promise<ModelFolder> {
	if (!existsSync(folder) || !statSync(folder).isDirectory()) {
		throw new ModelFolderError(`model folder ${folder} does not exist or is not a folder`);
	}
	const missing = REQUIRED_FILES.filter((name) => !existsSync(path.join(folder, name)));
	if (missing.length > 0) {
		throw new ModelFolderError(
			`model folder ${folder} lacks ${missing.join(', ')} (a model folder holds config.json, tokenizer.json and model.onnx)`,
		);
	}
	const configFile = path.join(folder, 'config.json');
	const config = await readJsonObject(configFile);
	let rope: RopeConfig;
	try {
		rope = ropeConfigFromHf(config, configFile);
		const setsFile = path.join(folder, 'longrope.json');
		if (existsSync(setsFile)) {
			rope = withFactorSets(
				rope,
				factorSetsFromLongropeJson(await readJsonObject(setsFile), rope.geometry, setsFile),
			);
		}
	} catch (err) {
		if (err instanceof ModelFolderError) throw err;
		throw new ModelFolderError(`${configFile}: ${(err as Error).message}`);
	}
	const heads = positiveInt(config, 'num_attention_heads', configFile);
	const kvHeads =
		config.num_key_value_heads === undefined
			? heads
			: positiveInt(config, 'num_key_value_heads', configFile);
	const shape: GraphShape = {
		layers: positiveInt(config, 'num_hidden_layers', configFile),
		kvHeads,
		headDim: rope.geometry.headDim,
		vocabSize: positiveInt(config, 'vocab_size', configFile),
	};
	const tokenizerFile = path.join(folder, 'tokenizer.json');
	const tokenizer = new HfTokenizer(await readJsonObject(tokenizerFile), tokenizerFile);
	if (tokenizer.vocabSize > shape.vocabSize) {
		throw new ModelFolderError(
			`${tokenizerFile} has ${tokenizer.vocabSize} tokens but ${configFile} says vocab_size ${shape.vocabSize}`,
		);
	}
	return { folder, modelFile: path.join(folder, 'model.onnx'), config, rope, shape, tokenizer };
}

/** Only a folder's tokenizer (a remote model counts tokens with it); nothing else is read. */
export async function loadModelTokenizer(folder: string): Promise<HfTokenizer> {
	const file = path.join(folder, 'tokenizer.json');
	return new HfTokenizer(await readJsonObject(file), file);
}
