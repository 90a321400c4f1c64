import * as path from 'node:path';
import { CancellationTokenSource } from '../../engine/cancellation';
import { evaluatePerplexity, type PerplexityRow } from '../../engine/evaluation/harness';
import { evaluatePasskey, type PasskeyRow } from '../../engine/evaluation/retrieval';
import { EVAL_METHODS, parseMethods, type EvalMethod } from '../../engine/evaluation/methods';
import { passkeyTable, perplexityTable } from '../../engine/evaluation/qualityReport';
import { requireRopeModel, ropeGenerate } from '../../app/evaluation';
import { openModel } from '../../app/models';
import { readTokenizedTexts } from '../../runtime/textSamples';
import { booleanFlag, integerListFlag, positiveIntegerFlag, stringFlag, UsageError } from '../args';
import { JSON_FLAG, type CliCommand, type CliIo } from '../command';
import { resolveModelFolder } from '../modelLocation';
import { textFiles } from './search';

export const DEFAULT_TRIALS = 10;
const LENGTH_MULTIPLES = [1, 2, 4, 8, 16];

export interface EvalOptions {
	readonly lengths: readonly number[];
	readonly methods: readonly EvalMethod[];
}

function evalOptions(args: Parameters<CliCommand['run']>[0], window: number): EvalOptions {
	const lengths = integerListFlag(args, 'lengths') ?? LENGTH_MULTIPLES.map((m) => m * window);
	if (lengths.some((n) => n < 2)) throw new UsageError('--lengths must all be ≥ 2');
	let methods: EvalMethod[];
	try {
		methods = parseMethods(stringFlag(args, 'methods') ?? EVAL_METHODS.join(','));
	} catch (error) {
		throw new UsageError((error as Error).message);
	}
	return { lengths, methods };
}

/** The `eval ppl --json` document. */
export function perplexityJson(
	model: string,
	samples: readonly { path: string; sha256: string; tokens: number }[],
	rows: readonly PerplexityRow[],
): Record<string, unknown> {
	return { kind: 'perplexity', model, samples, results: rows };
}

/** The `eval passkey --json` document. */
export function passkeyJson(
	model: string,
	trials: number,
	seed: number,
	rows: readonly PasskeyRow[],
): Record<string, unknown> {
	return { kind: 'passkey', model, trials, seed, results: rows };
}

export const evalCommand: CliCommand = {
	name: 'eval',
	summary:
		'Long-context quality per method and length: "eval ppl" (perplexity on held-out text) or "eval passkey" (retrieval).',
	positionals: 'ppl|passkey',
	flags: [
		{ name: 'model', value: 'DIR', description: 'model folder (default: the bundled model)' },
		{
			name: 'text',
			value: 'FILE...',
			description: 'ppl: held-out plain-text files (not the search samples)',
		},
		{
			name: 'lengths',
			value: 'LIST',
			description: 'comma-separated lengths (default 1,2,4,8,16 × the window)',
		},
		{
			name: 'methods',
			value: 'LIST',
			description: `comma-separated, from ${EVAL_METHODS.join(',')} (default all)`,
		},
		{
			name: 'trials',
			value: 'N',
			description: `passkey: trials per length (default ${DEFAULT_TRIALS})`,
		},
		{ name: 'seed', value: 'S', description: 'passkey: seed of keys and depths (default 0)' },
		JSON_FLAG,
	],
	async run(args, io) {
		const [kind, ...rest] = args.positionals;
		if (kind !== 'ppl' && kind !== 'passkey') {
			throw new UsageError('say which evaluation: "eval ppl" or "eval passkey"');
		}
		const { model: opened } = await openModel({
			folder: resolveModelFolder(stringFlag(args, 'model')),
		});
		const source = new CancellationTokenSource();
		const onSigint = () => source.cancel();
		process.once('SIGINT', onSigint);
		try {
			const model = requireRopeModel(opened);
			const { geometry, sets } = model.windows.rope;
			const options = evalOptions(args, geometry.originalWindow);
			const name = path.basename(model.description.location);
			const perplexity = model.perplexity.bind(model);
			const json = booleanFlag(args, 'json');
			const progress = (line: string) => io.stderr(`${line}\n`);
			if (kind === 'ppl') {
				const files = textFiles({ ...args, positionals: rest });
				if (files.length === 0) throw new UsageError('eval ppl needs --text FILE');
				const texts = await readTokenizedTexts(files, model.tokenizer);
				const rows = await evaluatePerplexity({
					geometry,
					modelSets: sets,
					...options,
					samples: texts.map((t) => ({ name: t.path, ids: t.ids })),
					perplexity,
					token: source.token,
					onProgress: progress,
				});
				const samples = texts.map((t) => ({
					path: t.path,
					sha256: t.sha256,
					tokens: t.ids.length,
				}));
				writeResult(io, json, perplexityJson(name, samples, rows), perplexityTable(rows));
				return;
			}
			if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
			const trials = positiveIntegerFlag(args, 'trials') ?? DEFAULT_TRIALS;
			const seedText = stringFlag(args, 'seed');
			const seed = seedText === undefined ? 0 : Number(seedText);
			if (!Number.isSafeInteger(seed) || seed < 0) {
				throw new UsageError(`--seed must be a non-negative integer (got "${seedText}")`);
			}
			const rows = await evaluatePasskey({
				geometry,
				modelSets: sets,
				...options,
				tokenizer: model.tokenizer,
				trials,
				seed,
				generate: ropeGenerate(model),
				token: source.token,
				onProgress: progress,
			});
			writeResult(io, json, passkeyJson(name, trials, seed, rows), passkeyTable(rows));
		} finally {
			process.removeListener('SIGINT', onSigint);
			source.dispose();
			await opened.dispose();
		}
	},
};

function writeResult(io: CliIo, json: boolean, doc: Record<string, unknown>, table: string): void {
	io.stdout(json ? `${JSON.stringify(doc)}\n` : `${table}\n`);
}
