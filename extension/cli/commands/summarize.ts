import { LocalModel } from '../../runtime/localModel';
import { booleanFlag, positiveIntegerFlag, stringFlag, UsageError } from '../args';
import { JSON_FLAG, type CliCommand } from '../command';
import { resolveModelFolder } from '../modelLocation';
import { localBackend, summarizeJob } from '../workspaceJobs';
import { DEFAULT_MAX_NEW_TOKENS, MODEL_FLAGS, READER_FLAGS, readerFlags } from './ask';

export const summarizeCommand: CliCommand = {
	name: 'summarize',
	summary:
		'Summarize a file or a folder with the local model; map-reduce when it is larger than the window.',
	positionals: 'PATH',
	flags: [...READER_FLAGS, ...MODEL_FLAGS, JSON_FLAG],
	async run(args, io) {
		const [target, ...extra] = args.positionals;
		if (!target) throw new UsageError('PATH is missing');
		if (extra.length > 0)
			throw new UsageError(`one PATH at a time (got ${args.positionals.length})`);
		const options = {
			target,
			answerTokens: positiveIntegerFlag(args, 'max-new-tokens') ?? DEFAULT_MAX_NEW_TOKENS,
			json: booleanFlag(args, 'json'),
			...readerFlags(args),
		};
		const model = await LocalModel.load(resolveModelFolder(stringFlag(args, 'model')));
		try {
			await summarizeJob(options, await localBackend(model, io), io);
		} finally {
			await model.dispose();
		}
	},
};
