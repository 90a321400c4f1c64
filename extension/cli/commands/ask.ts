import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { languageOf } from '../../engine/prompts/language';
import { questionMessages, type PromptFile } from '../../engine/prompts/filePrompts';
import { LocalModel } from '../../runtime/localModel';
import { booleanFlag, positiveIntegerFlag, stringFlag, UsageError } from '../args';
import { JSON_FLAG, type CliCommand } from '../command';
import { runChatJob, statsJson } from '../generationJob';
import { resolveModelFolder } from '../modelLocation';

export const DEFAULT_MAX_NEW_TOKENS = 64;

export async function readPromptFiles(paths: readonly string[]): Promise<PromptFile[]> {
	return Promise.all(
		paths.map(async (file) => {
			const bytes = await readFile(file).catch((err: Error) => {
				throw new Error(`cannot read ${file}: ${err.message}`);
			});
			const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
			return {
				path: path.relative(process.cwd(), path.resolve(file)) || file,
				language: languageOf(file),
				text,
			};
		}),
	).catch((err: Error) => {
		throw err instanceof TypeError
			? new Error(`a file is not valid UTF-8 text: ${err.message}`)
			: err;
	});
}

export const askCommand: CliCommand = {
	name: 'ask',
	summary: 'Answer a question about files with the local model.',
	positionals: '"QUESTION"',
	flags: [
		{ name: 'files', value: 'LIST', description: 'comma-separated files to answer from' },
		{ name: 'model', value: 'DIR', description: 'model folder (default: the bundled model)' },
		{
			name: 'max-new-tokens',
			value: 'N',
			description: `answer budget in tokens (default ${DEFAULT_MAX_NEW_TOKENS})`,
		},
		JSON_FLAG,
	],
	async run(args, io) {
		const [question, ...extra] = args.positionals;
		if (!question?.trim()) throw new UsageError('the question is missing');
		if (extra.length > 0)
			throw new UsageError(
				`one question at a time; quote it ("${[question, ...extra].join(' ')}")`,
			);
		const files = await readPromptFiles(
			stringFlag(args, 'files')?.split(',').filter(Boolean) ?? [],
		);
		const maxNewTokens = positiveIntegerFlag(args, 'max-new-tokens') ?? DEFAULT_MAX_NEW_TOKENS;
		const json = booleanFlag(args, 'json');
		const model = await LocalModel.load(resolveModelFolder(stringFlag(args, 'model')));
		try {
			const { answer, stats } = await runChatJob(
				model,
				questionMessages(files, question),
				maxNewTokens,
				io,
				json,
			);
			if (json)
				io.stdout(
					`${JSON.stringify({ question, answer, ...statsJson(stats), files: files.map((f) => f.path) })}\n`,
				);
		} finally {
			await model.dispose();
		}
	},
};
