import { existsSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Folders under models/ that hold training code, not a model. */
const NOT_MODELS = new Set(['train']);

/**
 * The model folder to use: the configured path (`~` expanded, relative paths against the
 * workspace), or else the bundled default — `models/` itself when it holds a config.json,
 * otherwise the first of its subfolders (by name) that does (genai_config.json counts too). Undefined when none has one.
 */
export function findModelFolder(
	configuredPath: string,
	workspaceRoot: string | undefined,
	extensionRoot: string,
): string | undefined {
	const configured = configuredPath.trim();
	if (configured !== '') {
		const expanded = configured.replace(/^~(?=$|[/\\])/, os.homedir());
		const folder = path.resolve(workspaceRoot ?? process.cwd(), expanded);
		return hasConfig(folder) ? folder : undefined;
	}
	const models = path.join(extensionRoot, 'models');
	if (hasConfig(models)) return models;
	if (!existsSync(models)) return undefined;
	return readdirSync(models, { withFileTypes: true })
		.filter((entry) => entry.isDirectory() && !NOT_MODELS.has(entry.name))
		.map((entry) => path.join(models, entry.name))
		.sort()
		.find(hasConfig);
}

/** The project's own folders have a config.json; ONNX Runtime GenAI exports a genai_config.json. */
function hasConfig(folder: string): boolean {
	return (
		existsSync(path.join(folder, 'config.json')) ||
		existsSync(path.join(folder, 'genai_config.json'))
	);
}

/**
 * The files a model folder lacks, by kind: the project's own (config.json, tokenizer.json,
 * model.onnx) or an ONNX Runtime GenAI export (genai_config.json, its tokenizer files). Empty when
 * nothing is missing; loading still checks the rest and names what is wrong.
 */
export function missingModelFiles(folder: string): string[] {
	const needed = existsSync(path.join(folder, 'genai_config.json'))
		? ['genai_config.json', 'tokenizer.json', 'tokenizer_config.json']
		: ['config.json', 'tokenizer.json', 'model.onnx'];
	return needed.filter((name) => !existsSync(path.join(folder, name)));
}
