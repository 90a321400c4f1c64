import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { RopeConfig } from '../../engine/factorSet';
import { ropeConfigFromHf } from '../../engine/hfRopeConfig';
import { ModelFolderError } from '../loadModelFolder';

export const GENAI_CONFIG = 'genai_config.json';
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'];
/** genai_config `model.type`s and sections that mean a multimodal pipeline, not one decoder. */
const MULTIMODAL_TYPES = new Set(['phi3v', 'phi4mm', 'whisper']);
const MULTIMODAL_SECTIONS = ['vision', 'embedding', 'speech', 'encoder'];

/** The graph's input and output names, as genai_config.json gives them (`%d` = layer). */
export interface GenaiNames {
	readonly inputIds: string;
	readonly attentionMask: string;
	readonly positionIds?: string;
	readonly pastKey: string;
	readonly pastValue: string;
	readonly logits: string;
	readonly presentKey: string;
	readonly presentValue: string;
}

/** An ONNX Runtime GenAI export, read and cross-checked (DESIGN.md, Model folder, kind 2). */
export interface GenaiFolder {
	readonly folder: string;
	readonly modelFile: string;
	readonly type: string;
	readonly layers: number;
	readonly heads: number;
	readonly kvHeads: number;
	readonly headSize: number;
	readonly hidden: number;
	readonly vocabSize: number;
	readonly contextLength: number;
	readonly eosTokenIds: readonly number[];
	readonly bosTokenId?: number;
	readonly padTokenId?: number;
	readonly names: GenaiNames;
	readonly pastPresentShareBuffer: boolean;
	readonly tokenizerFile: string;
	readonly tokenizerConfigFile: string;
	/** config.json's rotary part, when the folder has one. */
	readonly rope?: RopeConfig;
}

/** Whether `folder` looks like an ORT-genai export (a genai_config.json sits in it). */
export function isGenaiFolder(folder: string): boolean {
	return existsSync(path.join(folder, GENAI_CONFIG));
}

/** `%d` in a genai name template, filled with the layer. */
export function layerName(template: string, layer: number): string {
	return template.replace('%d', String(layer));
}

export async function readGenaiFolder(folder: string): Promise<GenaiFolder> {
	if (!existsSync(folder) || !statSync(folder).isDirectory()) {
		throw new ModelFolderError(`model folder ${folder} does not exist or is not a folder`);
	}
	const configFile = path.join(folder, GENAI_CONFIG);
	const genai = await readJson(configFile);
	const model = record(genai.model, 'model', configFile);
	const type = text(model.type, 'model.type', configFile);
	const sections = MULTIMODAL_SECTIONS.filter((key) => model[key] !== undefined);
	if (MULTIMODAL_TYPES.has(type) || sections.length > 0) {
		const what =
			sections.length > 0
				? `its model has ${sections.join(', ')} sections`
				: `model.type is ${type}`;
		throw new ModelFolderError(
			`${configFile} describes a multimodal (vision/speech) model, which is not supported: ${what}; use a text-only export`,
		);
	}
	const decoder = record(model.decoder, 'model.decoder', configFile);
	const filename = text(decoder.filename ?? 'model.onnx', 'model.decoder.filename', configFile);
	if (path.isAbsolute(filename) || filename.split(/[/\\]/).includes('..')) {
		throw new ModelFolderError(
			`${configFile}: model.decoder.filename ${filename} must name a file inside the folder`,
		);
	}
	const missing = [filename, ...TOKENIZER_FILES].filter(
		(name) => !existsSync(path.join(folder, name)),
	);
	if (missing.length > 0) {
		throw new ModelFolderError(
			`ORT-genai folder ${folder} lacks ${missing.join(', ')} (it needs the decoder ${filename}, tokenizer.json and tokenizer_config.json beside ${GENAI_CONFIG})`,
		);
	}
	const int = (value: unknown, key: string) => positiveInt(value, key, configFile);
	const inputs = record(decoder.inputs, 'model.decoder.inputs', configFile);
	const outputs = record(decoder.outputs, 'model.decoder.outputs', configFile);
	const name = (
		from: Record<string, unknown>,
		key: string,
		section: string,
		perLayer = false,
	) => {
		const value = text(from[key], `model.decoder.${section}.${key}`, configFile);
		if (perLayer && !value.includes('%d')) {
			throw new ModelFolderError(
				`${configFile}: model.decoder.${section}.${key} ${value} has no %d for the layer`,
			);
		}
		return value;
	};
	if (inputs.input_ids === undefined) {
		throw new ModelFolderError(
			`${configFile}: the decoder takes ${Object.keys(inputs).join(', ')} but no input_ids (an embeddings-input decoder belongs to a multimodal pipeline)`,
		);
	}
	const search = genai.search === undefined ? {} : record(genai.search, 'search', configFile);
	const folderModel = {
		folder,
		modelFile: path.join(folder, filename),
		type,
		layers: int(decoder.num_hidden_layers, 'model.decoder.num_hidden_layers'),
		heads: int(decoder.num_attention_heads, 'model.decoder.num_attention_heads'),
		kvHeads: int(decoder.num_key_value_heads, 'model.decoder.num_key_value_heads'),
		headSize: int(decoder.head_size, 'model.decoder.head_size'),
		hidden: int(decoder.hidden_size, 'model.decoder.hidden_size'),
		vocabSize: int(model.vocab_size, 'model.vocab_size'),
		contextLength: int(model.context_length, 'model.context_length'),
		eosTokenIds: tokenIds(model.eos_token_id, 'model.eos_token_id', configFile),
		bosTokenId: optionalTokenId(model.bos_token_id, 'model.bos_token_id', configFile),
		padTokenId: optionalTokenId(model.pad_token_id, 'model.pad_token_id', configFile),
		names: {
			inputIds: name(inputs, 'input_ids', 'inputs'),
			attentionMask: name(inputs, 'attention_mask', 'inputs'),
			...(inputs.position_ids === undefined
				? {}
				: { positionIds: name(inputs, 'position_ids', 'inputs') }),
			pastKey: name(inputs, 'past_key_names', 'inputs', true),
			pastValue: name(inputs, 'past_value_names', 'inputs', true),
			logits: name(outputs, 'logits', 'outputs'),
			presentKey: name(outputs, 'present_key_names', 'outputs', true),
			presentValue: name(outputs, 'present_value_names', 'outputs', true),
		},
		pastPresentShareBuffer: search.past_present_share_buffer === true,
		tokenizerFile: path.join(folder, 'tokenizer.json'),
		tokenizerConfigFile: path.join(folder, 'tokenizer_config.json'),
	};
	if (folderModel.kvHeads > folderModel.heads || folderModel.heads % folderModel.kvHeads !== 0) {
		throw new ModelFolderError(
			`${configFile}: ${folderModel.heads} attention heads cannot share ${folderModel.kvHeads} KV heads`,
		);
	}
	const hfConfigFile = path.join(folder, 'config.json');
	if (!existsSync(hfConfigFile)) return folderModel;
	return { ...folderModel, rope: await readRope(hfConfigFile, folderModel) };
}

/** config.json's rotary sets, after checking it describes the same network as genai_config. */
async function readRope(file: string, genai: Omit<GenaiFolder, 'rope'>): Promise<RopeConfig> {
	const config = await readJson(file);
	let rope: RopeConfig;
	try {
		rope = ropeConfigFromHf(config, file);
	} catch (err) {
		throw new ModelFolderError(`${file}: ${(err as Error).message}`);
	}
	const pairs: [string, unknown, number][] = [
		['num_hidden_layers', config.num_hidden_layers, genai.layers],
		['num_attention_heads', config.num_attention_heads, genai.heads],
		[
			'num_key_value_heads',
			config.num_key_value_heads ?? config.num_attention_heads,
			genai.kvHeads,
		],
		['head size', rope.geometry.headDim, genai.headSize],
	];
	const differ = pairs.filter(([, value, expected]) => value !== undefined && value !== expected);
	if (differ.length > 0) {
		throw new ModelFolderError(
			`${file} describes another network than ${GENAI_CONFIG}: ${differ.map(([key, value, expected]) => `${key} ${String(value)} vs ${expected}`).join(', ')}`,
		);
	}
	return rope;
}

async function readJson(file: string): Promise<Record<string, unknown>> {
	let value: unknown;
	try {
		value = JSON.parse(await readFile(file, 'utf8'));
	} catch (err) {
		throw new ModelFolderError(`cannot read ${file} as JSON: ${(err as Error).message}`);
	}
	return record(value, 'the file', file);
}

function record(value: unknown, key: string, file: string): Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new ModelFolderError(
			`${file}: ${key} must be a JSON object, not ${JSON.stringify(value)}`,
		);
	}
	return value as Record<string, unknown>;
}

function text(value: unknown, key: string, file: string): string {
	if (typeof value !== 'string' || value === '') {
		throw new ModelFolderError(
			`${file}: ${key} must be a non-empty string, not ${JSON.stringify(value)}`,
		);
	}
	return value;
}

function positiveInt(value: unknown, key: string, file: string): number {
	if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
		throw new ModelFolderError(
			`${file}: ${key} must be a positive integer, not ${JSON.stringify(value)}`,
		);
	}
	return value;
}

function isTokenId(value: unknown): value is number {
	return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function tokenIds(value: unknown, key: string, file: string): number[] {
	const ids = Array.isArray(value) ? value : [value];
	if (ids.length === 0 || !ids.every(isTokenId)) {
		throw new ModelFolderError(
			`${file}: ${key} must be a token id or a non-empty list of them, not ${JSON.stringify(value)}`,
		);
	}
	return ids;
}

function optionalTokenId(value: unknown, key: string, file: string): number | undefined {
	if (value === undefined || value === null) return undefined;
	if (!isTokenId(value))
		throw new ModelFolderError(
			`${file}: ${key} must be a token id, not ${JSON.stringify(value)}`,
		);
	return value;
}
