import { readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireRopeModel, type RopeModel } from '../../app/evaluation';
import { openModel } from '../../app/models';
import { runSearchJob, type SearchRetrieval } from '../../app/searchJob';
import { CancellationTokenSource } from '../../engine/cancellation';
import type { FactorSearchOutcome } from '../../engine/search/factorSearch';
import { retrievalSamples, SEARCH_RETRIEVAL_SEED } from '../../engine/search/retrievalFitness';
import { mergeFactorSet, updateMaxPositionEmbeddings } from '../../runtime/longropeSetsWriter';
import { readTokenizedTexts, sha256Hex } from '../../runtime/textSamples';
import { booleanFlag, positiveIntegerFlag, required, stringFlag, UsageError } from '../args';
import { JSON_FLAG, type CliCommand } from '../command';
import { resolveModelFolder } from '../modelLocation';
import { cliEvents } from '../renderEvents';

function numberFlag(args: Parameters<CliCommand['run']>[0], name: string): number | undefined {
	const value = stringFlag(args, name);
	if (value === undefined) return undefined;
	const n = Number(value);
	if (!Number.isFinite(n) || n <= 0) {
		throw new UsageError(`--${name} must be a positive number (got "${value}")`);
	}
	return n;
}

/** `--text a b c` (the extra files arrive as positionals) and `--text a,b,c`. */
export function textFiles(args: Parameters<CliCommand['run']>[0]): string[] {
	const first = stringFlag(args, 'text');
	if (first === undefined) return [];
	return [first, ...args.positionals].flatMap((f) => f.split(',')).filter(Boolean);
}

export const searchCommand: CliCommand = {
	name: 'search',
	summary:
		'Search LongRoPE rescale factors for a target length on held-out text and merge the set into a longrope.json.',
	positionals: '[FILE...]',
	flags: [
		{ name: 'model', value: 'DIR', description: 'model folder (default: the bundled model)' },
		{
			name: 'length',
			value: 'N',
			description: 'target length in tokens (the original window gives the short set)',
			required: true,
		},
		{
			name: 'text',
			value: 'FILE...',
			description: 'plain-text samples (search text; never the text you evaluate on)',
			required: true,
		},
		{
			name: 'out',
			value: 'FILE',
			description: 'longrope.json to merge the set into',
			required: true,
		},
		{ name: 'name', value: 'NAME', description: 'set name (default short / long-4k / long-N)' },
		{ name: 'rounds', value: 'R', description: 'evolution rounds (default 40)' },
		{
			name: 'population',
			value: 'P',
			description: 'population (default 64: 32 parents, 16 mutations, 16 crossovers)',
		},
		{ name: 'seed', value: 'S', description: 'random seed (default 0)' },
		{ name: 'samples', value: 'N', description: 'use at most N of the texts' },
		{
			name: 'retrieval',
			value: 'N',
			description:
				'also score the answers of N passkeys and N "Where is X defined?" questions at each length (fitness: √(text × answer perplexity))',
		},
		{
			name: 'upper',
			value: 'X',
			description: 'upper bound of λ (default 1.25·s; 1.1 at s = 1)',
		},
		{ name: 'patience', value: 'R', description: 'stop a stage after R rounds without gain' },
		{
			name: 'budget',
			description: 'progressive: 60% of the rounds at half length, then the target',
		},
		{
			name: 'resume',
			value: 'STATE',
			description: 'continue a search from its state file (and keep writing it)',
		},
		{
			name: 'state',
			value: 'FILE',
			description: 'where to write the state (default: a temp file)',
		},
		{
			name: 'update-config',
			description:
				"raise config.json's max_position_embeddings (next to --out) to the longest set",
		},
		JSON_FLAG,
	],
	async run(args, io) {
		const length = required('length', positiveIntegerFlag(args, 'length'));
		const out = required('out', stringFlag(args, 'out'));
		const files = textFiles(args);
		if (files.length === 0) throw new UsageError('--text needs at least one file');
		const seedText = stringFlag(args, 'seed');
		const seed = seedText === undefined ? 0 : Number(seedText);
		if (!Number.isSafeInteger(seed) || seed < 0) {
			throw new UsageError(`--seed must be a non-negative integer (got "${seedText}")`);
		}
		const resumeFile = stringFlag(args, 'resume');
		const defaultState = path.join(
			os.tmpdir(),
			`longrope-search-${process.pid}-${length}.json`,
		);
		const stateFile = resumeFile ?? stringFlag(args, 'state') ?? defaultState;
		const roundsText = stringFlag(args, 'rounds');
		const rounds = roundsText === '0' ? 0 : positiveIntegerFlag(args, 'rounds');
		const { model: opened } = await openModel({
			folder: resolveModelFolder(stringFlag(args, 'model')),
		});
		const source = new CancellationTokenSource();
		const onSigint = () => {
			io.stderr(`cancelling; resume with --resume ${stateFile}\n`);
			source.cancel();
		};
		process.once('SIGINT', onSigint);
		try {
			const model = requireRopeModel(opened);
			const { geometry } = model.windows.rope;
			const texts = await readTokenizedTexts(files, model.tokenizer);
			const weights = path.join(model.description.location, 'model.onnx');
			const outcome = await runSearchJob({
				geometry,
				model: path.basename(model.description.location),
				modelSha256: sha256Hex(readFileSync(weights)),
				texts,
				perplexity: (ids, spec, scoreFrom) =>
					model.perplexity(ids, spec, source.token, scoreFrom),
				retrieval: searchRetrieval(model, positiveIntegerFlag(args, 'retrieval')),
				length,
				maxSamples: positiveIntegerFlag(args, 'samples'),
				name: stringFlag(args, 'name'),
				rounds,
				populationSize: positiveIntegerFlag(args, 'population'),
				seed,
				upper: numberFlag(args, 'upper'),
				patience: positiveIntegerFlag(args, 'patience'),
				budget: booleanFlag(args, 'budget'),
				stateFile,
				resume: resumeFile !== undefined,
				emit: cliEvents(io, { quiet: true }),
				command: commandLine(args),
				token: source.token,
			});
			const merged = mergeFactorSet(out, outcome.set, geometry);
			let maxPositionEmbeddings: number | undefined;
			if (booleanFlag(args, 'update-config')) {
				maxPositionEmbeddings = updateMaxPositionEmbeddings(
					path.join(path.dirname(out), 'config.json'),
					out,
				);
			}
			if (stateFile === defaultState) rmSync(stateFile, { force: true });
			io.stderr(
				`${merged.replaced ? 'replaced' : 'added'} set "${outcome.set.name}" in ${out} (sets: ${merged.names.join(', ')})\n`,
			);
			const doc = searchJson(
				outcome,
				out,
				stateFile === defaultState ? undefined : stateFile,
			);
			if (booleanFlag(args, 'json')) {
				io.stdout(
					`${JSON.stringify({ ...doc, ...(maxPositionEmbeddings ? { maxPositionEmbeddings } : {}) })}\n`,
				);
			} else {
				io.stdout(searchSummary(outcome));
			}
		} finally {
			process.removeListener('SIGINT', onSigint);
			source.dispose();
			await opened.dispose();
		}
	},
};

/** `--retrieval N`: passkeys and definition questions from the search's own seeds. */
function searchRetrieval(model: RopeModel, count?: number): SearchRetrieval | undefined {
	if (count === undefined) return undefined;
	return {
		count,
		seed: SEARCH_RETRIEVAL_SEED,
		samplesAt: (length) =>
			retrievalSamples(
				model.tokenizer,
				(messages) => model.renderChat(messages).ids,
				length,
				count,
			),
	};
}

/** The flags as given (paths relative to the working directory), for the provenance. */
function commandLine(args: Parameters<CliCommand['run']>[0]): string {
	const parts = ['longrope search'];
	for (const [name, value] of args.flags) {
		if (name === 'json') continue;
		parts.push(value === true ? `--${name}` : `--${name} ${value}`);
		if (name === 'text') parts.push(...args.positionals);
	}
	return parts.join(' ');
}

/** The `search --json` document. */
export function searchJson(
	outcome: FactorSearchOutcome,
	out: string,
	stateFile?: string,
): Record<string, unknown> {
	return {
		set: outcome.set,
		out,
		...(stateFile ? { state: stateFile } : {}),
		bestPerplexity: outcome.result.best.fitness,
		baselinePerplexities: outcome.baselines,
		evaluations: outcome.result.evaluations,
		computeSeconds: outcome.result.computeSeconds,
	};
}

function searchSummary(outcome: FactorSearchOutcome): string {
	const { set, baselines } = outcome;
	const lines = [
		`set ${set.name}: maxLength ${set.maxLength}, n̂ ${set.nHat}, attention ${set.attentionFactor}`,
		`factors ${set.factors.join(' ')}`,
		`perplexity ${outcome.result.best.fitness.toFixed(4)} on the search samples`,
		...Object.entries(baselines).map(([m, v]) => `  ${m.padEnd(5)} ${v.toFixed(4)}`),
		`${outcome.result.evaluations} evaluations, ${outcome.result.computeSeconds.toFixed(0)} s of compute`,
	];
	return `${lines.join('\n')}\n`;
}
