import { LocalModel } from '../../runtime/localModel';
import { DEFAULT_MAX_FILE_BYTES } from '../../runtime/nodeWorkspaceReader';
import {
	booleanFlag,
	positiveIntegerFlag,
	stringFlag,
	UsageError,
	type FlagSpec,
	type ParsedArgs,
} from '../args';
import { JSON_FLAG, type CliCommand } from '../command';
import { resolveModelFolder } from '../modelLocation';
import { askJob, localBackend } from '../workspaceJobs';

export const DEFAULT_MAX_NEW_TOKENS = 64;

/** Flags every workspace job shares. */
export const READER_FLAGS: readonly FlagSpec[] = [
	{
		name: 'exclude',
		value: 'GLOBS',
		description:
			'comma-separated globs to leave out, like files.exclude (besides .gitignore, .git and node_modules)',
	},
	{
		name: 'max-file-size',
		value: 'BYTES',
		description: `skip larger files (default ${DEFAULT_MAX_FILE_BYTES})`,
	},
	{
		name: 'factor-set',
		value: 'NAME',
		description: 'auto (default), short, long or a set name: which window to pack for',
	},
];

export const MODEL_FLAGS: readonly FlagSpec[] = [
	{ name: 'model', value: 'DIR', description: 'model folder (default: the bundled model)' },
	{
		name: 'max-new-tokens',
		value: 'N',
		description: `answer budget in tokens (default ${DEFAULT_MAX_NEW_TOKENS})`,
	},
];

export function listFlag(args: ParsedArgs, name: string): string[] | undefined {
	return stringFlag(args, name)
		?.split(',')
		.map((item) => item.trim())
		.filter(Boolean);
}

export function readerFlags(args: ParsedArgs): {
	exclude?: string[];
	maxFileBytes?: number;
	override?: string;
} {
	return {
		exclude: listFlag(args, 'exclude'),
		maxFileBytes: positiveIntegerFlag(args, 'max-file-size'),
		override: stringFlag(args, 'factor-set'),
	};
}

export const askCommand: CliCommand = {
	name: 'ask',
	summary:
		'Answer a question about a workspace (or named files) with the local model, citing path:line.',
	positionals: '"QUESTION"',
	flags: [
		{
			name: 'workspace',
			value: 'DIR',
			description: 'folder to answer from (default: the current folder)',
		},
		{
			name: 'files',
			value: 'LIST',
			description:
				'comma-separated files: alone, the only files read; with --workspace, packed first',
		},
		...READER_FLAGS,
		...MODEL_FLAGS,
		JSON_FLAG,
	],
	async run(args, io) {
		const [question, ...extra] = args.positionals;
		if (!question?.trim()) throw new UsageError('the question is missing');
		if (extra.length > 0)
			throw new UsageError(
				`one question at a time; quote it ("${[question, ...extra].join(' ')}")`,
			);
		const answerTokens = positiveIntegerFlag(args, 'max-new-tokens') ?? DEFAULT_MAX_NEW_TOKENS;
		const options = {
			question,
			answerTokens,
			json: booleanFlag(args, 'json'),
			workspace: stringFlag(args, 'workspace'),
			files: listFlag(args, 'files'),
			...readerFlags(args),
		};
		const model = await LocalModel.load(resolveModelFolder(stringFlag(args, 'model')));
		try {
			await askJob(options, await localBackend(model, io), io);
		} finally {
			await model.dispose();
		}
	},
};
