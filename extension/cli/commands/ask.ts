import { askJob } from '../../app/askJob';
import { DEFAULT_SAMPLING } from '../../app/jobContext';
import { sourcesOf } from '../../app/events';
import type { ModelChoice } from '../../app/models';
import type { CountingChoice } from '../../app/tokenCounts';
import type { Citation } from '../../engine/workspace/citations';
import { openWorkspace } from '../../app/workspaceSource';
import { DEFAULT_MAX_KV_CACHE_BYTES } from '../../runtime/decoding';
import { isKvType } from '../../runtime/genai/adaptGraph';
import { isInt4Activations } from '../../runtime/genai/int4Activations';
import { tokensSha256 } from '../../runtime/textSamples';
import {
	booleanFlag,
	positiveIntegerFlag,
	stringFlag,
	UsageError,
	type FlagSpec,
	type ParsedArgs,
} from '../args';
import { JSON_FLAG, type CliCommand } from '../command';
import { runCliJob } from '../jobRunner';
import { resolveModelFolder } from '../modelLocation';
import { checkQuestionFits, QUESTION_FILE_FLAG, readQuestion } from '../question';
import { cliEvents, statsJson } from '../renderEvents';
import { namedFiles, READER_FLAGS, readerFlags } from '../workspaceFlags';

export const DEFAULT_MAX_NEW_TOKENS = 64;

export const MODEL_FLAGS: readonly FlagSpec[] = [
	{ name: 'model', value: 'DIR', description: 'model folder (default: the bundled model)' },
	{
		name: 'max-new-tokens',
		value: 'N',
		description: `answer budget in tokens (default ${DEFAULT_MAX_NEW_TOKENS})`,
	},
	{
		name: 'kv-cache-mb',
		value: 'N',
		description: `memory cap for the KV cache of the request, MiB (default ${DEFAULT_MAX_KV_CACHE_BYTES / 2 ** 20}); the context is packed to fit`,
	},
	{
		name: 'kv-precision',
		value: 'float32|float16',
		description:
			'KV cache element type (default float32); float16 halves the cache of an ONNX Runtime GenAI model, so the cap holds twice the context',
	},
	{
		name: 'int4-activations',
		value: 'exported|int8|float32',
		description:
			"what an ONNX Runtime GenAI model's int4 matmuls do with their input (default exported); float32 holds about 1 GiB less on a Phi-3.5-mini-sized model and decodes slower",
	},
	{
		name: 'threads',
		value: 'N',
		description: "onnxruntime's intra-op threads (default: one per physical core)",
	},
	{
		name: 'line-numbers',
		value: 'on|off',
		description:
			'show file lines after their numbers (default on: citations copy them); off saves the tokens they cost',
	},
];

/** The model and how to run it, from the flags (the editor reads the same from its settings). */
export function modelChoice(args: ParsedArgs): ModelChoice & CountingChoice {
	const precision = stringFlag(args, 'kv-precision');
	if (precision !== undefined && !isKvType(precision)) {
		throw new UsageError(`--kv-precision must be float32 or float16 (got "${precision}")`);
	}
	const activations = stringFlag(args, 'int4-activations');
	if (activations !== undefined && !isInt4Activations(activations)) {
		throw new UsageError(
			`--int4-activations must be exported, int8 or float32 (got "${activations}")`,
		);
	}
	const lineNumbers = stringFlag(args, 'line-numbers');
	if (lineNumbers !== undefined && lineNumbers !== 'on' && lineNumbers !== 'off') {
		throw new UsageError(`--line-numbers must be on or off (got "${lineNumbers}")`);
	}
	const cacheMb = positiveIntegerFlag(args, 'kv-cache-mb');
	return {
		folder: resolveModelFolder(stringFlag(args, 'model')),
		threads: positiveIntegerFlag(args, 'threads'),
		...(cacheMb ? { maxKvCacheBytes: cacheMb * 2 ** 20 } : {}),
		...(precision ? { kvPrecision: precision } : {}),
		...(activations ? { int4Activations: activations } : {}),
		...(lineNumbers ? { lineNumbers: lineNumbers === 'on' } : {}),
	};
}

/** The answer settings from the flags, with the defaults the editor uses too. */
export function answerFlags(args: ParsedArgs) {
	return {
		answerTokens: positiveIntegerFlag(args, 'max-new-tokens') ?? DEFAULT_MAX_NEW_TOKENS,
		override: stringFlag(args, 'factor-set'),
		sampling: DEFAULT_SAMPLING,
	};
}

export function citationText(c: Citation): string {
	return `${c.path}:${c.line}${c.endLine ? `-${c.endLine}` : ''}`;
}

export const askCommand: CliCommand = {
	name: 'ask',
	summary:
		'Answer a question about a workspace (or named files) with the local model, citing path:line.',
	positionals: '"QUESTION" | -',
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
		QUESTION_FILE_FLAG,
		...READER_FLAGS,
		...MODEL_FLAGS,
		JSON_FLAG,
	],
	async run(args, io) {
		const question = await readQuestion(args, io);
		const json = booleanFlag(args, 'json');
		const { reader, focus } = openWorkspace({
			root: stringFlag(args, 'workspace'),
			files: namedFiles(args),
			...readerFlags(args),
		});
		const emit = cliEvents(io, { quiet: json, name: reader.name });
		const choice = modelChoice(args);
		await checkQuestionFits(choice.folder, question, answerFlags(args).answerTokens);
		const result = await runCliJob(choice, io, emit, async (context) => {
			const session = context.model.openSession();
			try {
				return await askJob(
					{ question, ...answerFlags(args), ...(focus ? { focus } : {}) },
					reader,
					session,
					context,
				);
			} finally {
				session.dispose();
			}
		});
		if (json) {
			io.stdout(
				`${JSON.stringify({
					question,
					answer: result.text,
					...statsJson(result.stats),
					promptSha256: tokensSha256(result.promptIds),
					workspace: reader.name,
					files: result.manifest.files,
					budget: result.manifest.budget,
					citations: result.citations,
					droppedCitations: result.dropped,
					sources: sourcesOf(result.manifest.files),
					...(result.leftOut ? { leftOut: result.leftOut } : {}),
				})}\n`,
			);
			return;
		}
		io.stdout('\n');
		if (result.citations.length > 0) {
			io.stdout(`\nSources: ${result.citations.map(citationText).join(', ')}\n`);
		}
		if (result.leftOut) io.stdout(`\nNote: ${result.leftOut}\n`);
	},
};
