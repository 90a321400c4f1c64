import { existsSync, readFileSync } from 'node:fs';
import { CancellationError, type CancellationToken } from '../engine/cancellation';
import { specFor } from '../engine/evaluation/harness';
import { methodScaling, type EvalMethod } from '../engine/evaluation/methods';
import type { Fitness, SearchProgress } from '../engine/search/evolutionTypes';
import {
	defaultSetName,
	scalingFromCandidate,
	searchFactorSet,
	type FactorSearchOutcome,
	type SampleRecord,
} from '../engine/search/factorSearch';
import type { AnswerSample } from '../engine/search/retrievalFitness';
import { parseSearchState, serializeSearchState } from '../engine/search/state';
import type { RotaryGeometry } from '../engine/rotaryGeometry';
import type { RotarySpec } from '../engine/rotaryTables';
import type { WorkspaceReader } from '../engine/workspace/reader';
import type { TextTokenizer } from '../engine/generation/tokenizer';
import { writeFileAtomic } from '../runtime/longropeSetsWriter';
import { tokensSha256, type TokenizedText } from '../runtime/textSamples';
import type { EmitEvent } from './events';

/** The runtime's perplexity, as the search needs it (injectable for tests). */
export type SearchPerplexity = (
	ids: readonly number[],
	spec: RotarySpec,
	scoreFrom?: number,
) => Promise<{ tokens: number; negativeLogLikelihood: number }>;

/** What the search's fitness adds to the text's perplexity: answers to score at a length. */
export interface SearchRetrieval {
	/** Samples per kind (passkeys, definition questions) at every length. */
	readonly count: number;
	readonly seed: number;
	readonly samplesAt: (length: number) => readonly AnswerSample[];
}

export interface SearchJob {
	readonly geometry: RotaryGeometry;
	readonly model: string;
	readonly modelSha256?: string;
	readonly texts: readonly TokenizedText[];
	readonly perplexity: SearchPerplexity;
	/** Retrieval answers in the fitness; without it, the fitness is the text's perplexity. */
	readonly retrieval?: SearchRetrieval;
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
	/** Progress: a line per round, and the start. */
	readonly emit: EmitEvent;
	readonly command?: string;
	readonly token?: CancellationToken;
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
		throw new Error(
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
	const answersAt = new Map<number, readonly AnswerSample[]>();
	/** Mean NLL per scored token over the runs: whole texts, or answers after their prompts. */
	const meanNll = async (
		spec: RotarySpec,
		runs: readonly { readonly ids: readonly number[]; readonly answerFrom?: number }[],
	): Promise<number> => {
		let nll = 0;
		let tokens = 0;
		for (const run of runs) {
			const r = await job.perplexity(run.ids, spec, run.answerFrom);
			nll += r.negativeLogLikelihood;
			tokens += r.tokens;
		}
		return nll / tokens;
	};
	const ppl = async (spec: RotarySpec, length: number): Promise<number> => {
		const textNll = await meanNll(
			spec,
			samples.map((s) => ({ ids: s.ids.slice(0, length) })),
		);
		if (!job.retrieval) return Math.exp(textNll);
		let answers = answersAt.get(length);
		if (!answers) {
			answers = job.retrieval.samplesAt(length);
			answersAt.set(length, answers);
		}
		const answerNll = await meanNll(spec, answers);
		return retrievalFitness(textNll, answerNll);
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
		throw new Error(`--resume ${job.stateFile}: no such state file`);
	}
	const name = job.name ?? defaultSetName(job.length, geometry.originalWindow);
	job.emit({
		type: 'progress',
		progress: {
			phase: 'search',
			done: 0,
			total: 0,
			detail: `search "${name}" at ${job.length} tokens on ${samples.length} sample(s)${job.retrieval ? ` and ${2 * job.retrieval.count} retrieval answer(s)` : ''}; state: ${job.stateFile}${resumeState ? ' (resumed)' : ''}`,
		},
	});
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
			fitness: job.retrieval && retrievalFitnessRecord(job.retrieval),
			command: job.command,
		},
		{
			token: job.token,
			resume: resumeState,
			onCheckpoint: (state) => writeFileAtomic(job.stateFile, serializeSearchState(state)),
			onProgress: (p) =>
				job.emit({
					type: 'progress',
					progress: {
						phase: 'search',
						done: p.round,
						total: p.rounds,
						detail: progressLine(name, p),
						...(Number.isFinite(p.etaSeconds) ? { etaSeconds: p.etaSeconds } : {}),
					},
				}),
		},
	);
}

/**
 * The fitness with retrieval: the geometric mean of the text's perplexity and the answers'
 * (exp of the mean of the two mean NLLs), so that a set which keeps the text fluent but loses
 * the needle — or finds the needle but garbles the text — ranks below one that does both.
 */
function retrievalFitness(textNll: number, answerNll: number): number {
	return Math.exp((textNll + answerNll) / 2);
}

/** The retrieval fitness as the set's provenance records it. */
function retrievalFitnessRecord(retrieval: SearchRetrieval): Record<string, unknown> {
	return {
		kind: 'sqrt(text perplexity × answer perplexity)',
		of: `the text samples, and the answer tokens of ${retrieval.count} passkey(s) and ${retrieval.count} "Where is X defined?" question(s) filled to each stage's length`,
		retrievalSeed: retrieval.seed,
	};
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

/** Samples of a workspace's own text, `length` tokens each, for a search on the user's code. */
export async function workspaceSamples(
	reader: WorkspaceReader,
	tokenizer: TextTokenizer,
	length: number,
	count: number,
	token?: CancellationToken,
): Promise<TokenizedText[]> {
	const bos = tokenizer.tokenId('<s>');
	const ids: number[] = [];
	const want = length * count;
	for await (const entry of reader.entries(token)) {
		if (token?.isCancellationRequested) throw new CancellationError();
		if (entry.kind !== 'text') continue;
		for (const id of tokenizer.encode(`### ${entry.path}\n${entry.text}\n`)) ids.push(id);
		if (ids.length >= want) break;
	}
	const samples: TokenizedText[] = [];
	const body = length - (bos === undefined ? 0 : 1);
	for (let at = 0; at + body <= ids.length && samples.length < count; at += body) {
		const chunk = [...(bos === undefined ? [] : [bos]), ...ids.slice(at, at + body)];
		samples.push({
			path: `${reader.name} (workspace text, part ${samples.length + 1})`,
			sha256: tokensSha256(chunk),
			ids: chunk,
		});
	}
	if (samples.length === 0) {
		throw new Error(
			`the workspace holds ${ids.length} tokens of text; a search at ${length} tokens needs at least ${length}`,
		);
	}
	return samples;
}
