import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Template } from '@huggingface/jinja';
import type { ChatMessage, ChatPrompt } from '../engine/generation/chatTemplate';
import type { TextTokenizer } from '../engine/generation/tokenizer';

/** A model's own chat template, as its tokenizer_config.json (or chat_template.jinja) gives it. */
export interface ChatTemplateSource {
	readonly template: string;
	readonly bosToken?: string;
	readonly eosToken?: string;
}

/** Tokens that end a turn in the Phi family, used as stops whenever the vocabulary has them. */
const TURN_END_TOKENS = ['<|end|>', '<|endoftext|>'];

/**
 * The chat template of a tokenizer_config.json: `chat_template` as a string, or as a list of named
 * templates (the one named `default`); a separate chat_template.jinja file wins, as in
 * transformers. `bos_token`/`eos_token` are strings or `{ content }` objects.
 */
export function chatTemplateSource(
	tokenizerConfig: Record<string, unknown>,
	source: string,
	jinjaFile?: string,
): ChatTemplateSource {
	const raw = jinjaFile ?? tokenizerConfig.chat_template;
	const template = Array.isArray(raw)
		? (raw as { name?: unknown; template?: unknown }[]).find((t) => t.name === 'default')
				?.template
		: raw;
	if (typeof template !== 'string' || template.trim() === '') {
		throw new Error(`${source} has no chat_template, so the model's chat format is unknown`);
	}
	return {
		template,
		bosToken: tokenText(tokenizerConfig.bos_token),
		eosToken: tokenText(tokenizerConfig.eos_token),
	};
}

function tokenText(value: unknown): string | undefined {
	if (typeof value === 'string') return value;
	if (typeof value === 'object' && value !== null) {
		const content = (value as { content?: unknown }).content;
		if (typeof content === 'string') return content;
	}
	return undefined;
}

/**
 * The ids that end an answer: every `eos_token_id` (a number or a list) of genai_config.json
 * (under `model`), config.json and generation_config.json, then `<|end|>` and `<|endoftext|>`
 * when the vocabulary has them. Each id once, in that order.
 */
export function stopTokenIds(
	tokenizer: TextTokenizer,
	configs: {
		genaiConfig?: Record<string, unknown>;
		config?: Record<string, unknown>;
		generationConfig?: Record<string, unknown>;
	},
): number[] {
	const genaiModel = configs.genaiConfig?.model as Record<string, unknown> | undefined;
	const found: number[] = [];
	for (const value of [
		genaiModel?.eos_token_id,
		configs.config?.eos_token_id,
		configs.generationConfig?.eos_token_id,
	]) {
		for (const id of Array.isArray(value) ? value : [value]) {
			if (Number.isInteger(id)) found.push(id as number);
		}
	}
	for (const token of TURN_END_TOKENS) {
		const id = tokenizer.tokenId(token);
		if (id !== undefined) found.push(id);
	}
	return [...new Set(found)];
}

/**
 * Renders conversations with the model's own Jinja chat template (@huggingface/jinja) and turns
 * them into ids with the model's tokenizer, which maps the special tokens in the rendered text to
 * their single ids. The whole conversation is rendered at once, as transformers does; for the
 * Phi templates a conversation that grows by a turn keeps its token prefix (the tests check it).
 */
export class ModelChatTemplate {
	private readonly compiled: Template;

	constructor(
		private readonly source: ChatTemplateSource,
		private readonly tokenizer: TextTokenizer,
		readonly stopIds: readonly number[],
	) {
		try {
			this.compiled = new Template(source.template);
		} catch (err) {
			throw new Error(
				`the model's chat template does not parse: ${err instanceof Error ? err.message : String(err)}`,
			);
		}
	}

	/** The prompt text, left open for the assistant's turn when `addGenerationPrompt`. */
	render(messages: readonly ChatMessage[], addGenerationPrompt = true): string {
		return this.compiled.render({
			messages: messages.map((m) => ({ role: m.role, content: m.content })),
			add_generation_prompt: addGenerationPrompt,
			bos_token: this.source.bosToken ?? '',
			eos_token: this.source.eosToken ?? '',
		});
	}

	/** The same `{ ids, stopIds }` as the bundled model's buildChatPrompt. */
	buildPrompt(messages: readonly ChatMessage[]): ChatPrompt {
		return { ids: this.tokenizer.encode(this.render(messages)), stopIds: [...this.stopIds] };
	}
}

/**
 * The chat template and stop ids of a model folder: tokenizer_config.json (required), and
 * chat_template.jinja, genai_config.json, config.json, generation_config.json when present.
 */
export async function readModelChatTemplate(
	folder: string,
	tokenizer: TextTokenizer,
): Promise<ModelChatTemplate> {
	const configFile = path.join(folder, 'tokenizer_config.json');
	const tokenizerConfig = await readJson(configFile);
	if (tokenizerConfig === undefined) {
		throw new Error(
			`${folder} has no tokenizer_config.json, so the model's chat format is unknown`,
		);
	}
	const jinjaFile = path.join(folder, 'chat_template.jinja');
	const jinja = existsSync(jinjaFile) ? await readFile(jinjaFile, 'utf8') : undefined;
	const source = chatTemplateSource(tokenizerConfig, configFile, jinja);
	const stopIds = stopTokenIds(tokenizer, {
		genaiConfig: await readJson(path.join(folder, 'genai_config.json')),
		config: await readJson(path.join(folder, 'config.json')),
		generationConfig: await readJson(path.join(folder, 'generation_config.json')),
	});
	if (stopIds.length === 0) {
		throw new Error(
			`${folder} names no eos_token_id and its vocabulary has neither <|end|> nor <|endoftext|>, so answers could not stop`,
		);
	}
	return new ModelChatTemplate(source, tokenizer, stopIds);
}

/** A JSON object file, or undefined when the file is absent. */
async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
	if (!existsSync(file)) return undefined;
	let value: unknown;
	try {
		value = JSON.parse(await readFile(file, 'utf8'));
	} catch (err) {
		throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new Error(`${file} must hold a JSON object`);
	}
	return value as Record<string, unknown>;
}
