import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource } from '../../engine/cancellation';
import { specFor } from '../../engine/evaluation/harness';
import { methodScaling, type EvalMethod } from '../../engine/evaluation/methods';
import type { Fitness, SearchProgress } from '../../engine/search/evolution';
import {
	defaultSetName,
	scalingFromCandidate,
	searchFactorSet,
	type FactorSearchOutcome,
	type SampleRecord,
} from '../../engine/search/factorSearch';
import { parseSearchState, serializeSearchState } from '../../engine/search/state';
import type { RotaryGeometry } from '../../engine/rotaryGeometry';
import type { RotarySpec } from '../../engine/rotaryTables';
import { LocalModel } from '../../runtime/localModel';
import {
	mergeFactorSet,
	updateMaxPositionEmbeddings,
	writeFileAtomic,
} from '../../runtime/longropeSetsWriter';
import {
	readTokenizedTexts,
	sha256Hex,
	tokensSha256,
	type TokenizedText,
} from '../../runtime/textSamples';
import { booleanFlag, positiveIntegerFlag, required, stringFlag, UsageError } from '../args';
import { JSON_FLAG, type CliCommand, type CliIo } from '../command';
import { resolveModelFolder } from '../modelLocation';

/** The runtime's perplexity, as the search needs it (injectable for tests). */
export type SearchPerplexity = (
	ids: readonly number[],
	spec: RotarySpec,
) => Promise<{ tokens: number; negativeLogLikelihood: number }>;

export interface SearchJob {
	readonly geometry: RotaryGeometry;
	readonly model: string;
	readonly modelSha256?: string;
	readonly texts: readonly TokenizedText[];
	readonly perplexity: SearchPerplexity;
	readonly length: number;
	readonly maxSamples?: number;
	readonly name?: string;
	readonly rounds?: number;
	readonly populationSize?: number;
	readonly seed?: number;
	readonly upper?: number;
	readonly patience?: number;
	readonly budget?: boolean;
	readonly stateFile: string;
	readonly resume: boolean;
	readonly io: CliIo;
	readonly command?: string;
	readonly token?: CancellationTokenSource['token'];
}

/** The texts long enough for the target, each cut to its first `length` tokens. */
export function searchSamples(
	texts: readonly TokenizedText[],
	length: number,
	maxSamples = Infinity,
): { samples: TokenizedText[]; records: SampleRecord[] } {
	const samples = texts.filter((t) => t.ids.length >= length).slice(0, maxSamples);
	if (samples.length === 0) {
		const longest = Math.max(0, ...texts.map((t) => t.ids.length));
		throw new UsageError(
			`no --text file has ${length} tokens (the longest has ${longest}); give longer held-out text`,
		);
	}
	const records = samples.map((s) => ({
		source: s.path,
		sha256: s.sha256,
		tokens: length,
		tokensSha256: tokensSha256(s.ids.slice(0, length)),
	}));
	return { samples, records };
}

/** Runs one search on injected perplexity; writes the state file as it goes. */
export async function runSearchJob(job: SearchJob): Promise<FactorSearchOutcome> {
	const { samples, records } = searchSamples(job.texts, job.length, job.maxSamples);
	const { geometry } = job;
	const ppl = async (spec: RotarySpec, length: number): Promise<number> => {
		let nll = 0;
		let tokens = 0;
		for (const sample of samples) {
			const r = await job.perplexity(sample.ids.slice(0, length), spec);
			nll += r.negativeLogLikelihood;
			tokens += r.tokens;
		}
		return Math.exp(nll / tokens);
	};
	const fitnessAt =
		(length: number): Fitness =>
		async (candidate) =>
			ppl(specFor(geometry, scalingFromCandidate(candidate)), length);
	const baselines = async (length: number): Promise<Record<string, number>> => {
		const methods: EvalMethod[] =
			length > geometry.originalWindow ? ['none', 'pi', 'ntk', 'yarn'] : ['none'];
		const out: Record<string, number> = {};
		for (const method of methods) {
			const m = methodScaling(method, geometry, length, []);
			out[method] = await ppl(specFor(geometry, m.scaling), length);
		}
		return out;
	};
	const resumeState =
		job.resume && existsSync(job.stateFile)
			? parseSearchState(readFileSync(job.stateFile, 'utf8'), job.stateFile)
			: undefined;
	if (job.resume && !resumeState) {
		throw new UsageError(`--resume ${job.stateFile}: no such state file`);
	}
	const name = job.name ?? defaultSetName(job.length, geometry.originalWindow);
	job.io.stderr(
		`search "${name}" at ${job.length} tokens on ${samples.length} sample(s); state: ${job.stateFile}${resumeState ? ' (resumed)' : ''}\n`,
	);
	return searchFactorSet(
		{
			geometry,
			targetLength: job.length,
			name,
			seed: job.seed,
			rounds: job.rounds,
			populationSize: job.populationSize,
			upper: job.upper,
			patience: job.patience,
			budget: job.budget,
			samples: records,
			fitnessAt,
			baselines,
			model: job.model,
			modelSha256: job.modelSha256,
			command: job.command,
		},
		{
			token: job.token,
			resume: resumeState,
			onCheckpoint: (state) => writeFileAtomic(job.stateFile, serializeSearchState(state)),
			onProgress: (p) => job.io.stderr(`${progressLine(name, p)}\n`),
		},
	);
}

export function progressLine(name: string, p: SearchProgress): string {
	const eta = Number.isFinite(p.etaSeconds) ? formatSeconds(p.etaSeconds) : '?';
	return (
		`search ${name} [${p.stageLabel} ${p.stage + 1}/${p.stages}] round ${p.round}/${p.rounds}: ` +
		`best ${p.best.toFixed(4)}, median ${p.median.toFixed(4)}, ${p.evaluations} evaluations ` +
		`(${p.evaluationsPerSecond.toFixed(2)}/s), elapsed ${formatSeconds(p.elapsedSeconds)}, ETA ${eta}`
	);
}

function formatSeconds(s: number): string {
	if (s < 90) return `${s.toFixed(0)} s`;
	if (s < 5400) return `${(s / 60).toFixed(1)} min`;
	return `${(s / 3600).toFixed(1)} h`;
}

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
		const model = await LocalModel.load(resolveModelFolder(stringFlag(args, 'model')));
		const source = new CancellationTokenSource();
		const onSigint = () => {
			io.stderr(`cancelling; resume with --resume ${stateFile}\n`);
			source.cancel();
		};
		process.once('SIGINT', onSigint);
		try {
			const texts = await readTokenizedTexts(files, model.folder.tokenizer);
			const outcome = await runSearchJob({
				geometry: model.folder.rope.geometry,
				model: path.basename(model.folder.folder),
				modelSha256: sha256Hex(readFileSync(model.folder.modelFile)),
				texts,
				perplexity: (ids, spec) => model.perplexity(ids, spec, source.token),
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
				io,
				command: commandLine(args),
				token: source.token,
			});
			const merged = mergeFactorSet(out, outcome.set, model.folder.rope.geometry);
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
			await model.dispose();
		}
	},
};

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
