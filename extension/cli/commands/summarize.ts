import { LocalModel } from '../../runtime/localModel';
import { booleanFlag, positiveIntegerFlag, stringFlag, UsageError } from '../args';
import { JSON_FLAG, type CliCommand } from '../command';
import { runChatJob, statsJson } from '../generationJob';
import { resolveModelFolder } from '../modelLocation';
import { DEFAULT_MAX_NEW_TOKENS, readPromptFiles } from './ask';
import { summaryMessages } from '../../engine/prompts/filePrompts';

export const summarizeCommand: CliCommand = {
	name: 'summarize',
	summary: 'Summarize a file with the local model.',
	positionals: 'PATH',
	flags: [
		{ name: 'model', value: 'DIR', description: 'model folder (default: the bundled model)' },
		{
			name: 'max-new-tokens',
			value: 'N',
			description: `summary budget in tokens (default ${DEFAULT_MAX_NEW_TOKENS})`,
		},
		JSON_FLAG,
	],
	async run(args, io) {
		const [target, ...extra] = args.positionals;
		if (!target) throw new UsageError('PATH is missing');
		if (extra.length > 0)
			throw new UsageError(`one PATH at a time (got ${args.positionals.length})`);
		const files = await readPromptFiles([target]);
		const json = booleanFlag(args, 'json');
		const model = await LocalModel.load(resolveModelFolder(stringFlag(args, 'model')));
		try {
			const maxNewTokens =
				positiveIntegerFlag(args, 'max-new-tokens') ?? DEFAULT_MAX_NEW_TOKENS;
			const { answer, stats } = await runChatJob(
				model,
				summaryMessages(files, files[0].path),
				maxNewTokens,
				io,
				json,
			);
			if (json)
				io.stdout(
					`${JSON.stringify({ path: files[0].path, summary: answer, ...statsJson(stats) })}\n`,
				);
		} finally {
			await model.dispose();
		}
	},
};
