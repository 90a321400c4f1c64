import type { CancellationToken } from '../cancellation';
import { rotaryPairs, type RotaryGeometry } from '../rotaryGeometry';
import { longropeAttentionFactor, type RopeScaling } from '../scalings';
import { RopeInputError, requirePositiveInteger } from '../validation';
import { parametersForPopulation, runSearch } from './evolution';
import {
	PAPER_PARAMETERS,
	PAPER_ROUNDS,
	type EvolutionParameters,
	type Fitness,
	type SearchCandidate,
	type SearchOptions,
	type SearchProgress,
	type SearchResult,
	type SearchStage,
	type SearchState,
} from './evolutionTypes';
import { classicSeeds } from './seeds';
import { createSearchSpace } from './space';

/** Where a fitness sample came from, for the set's provenance. */
export interface SampleRecord {
	readonly source: string;
	/** sha256 of the source file's bytes. */
	readonly sha256: string;
	/** Tokens used (`<s>` included) and the sha256 of their ids (little-endian uint32). */
	readonly tokens: number;
	readonly tokensSha256: string;
}

/** One entry of longrope.json (extension/engine/longropeSetsFile.ts). */
export interface LongropeSetJson {
	readonly name: string;
	readonly maxLength: number;
	readonly factors: readonly number[];
	readonly nHat: number;
	readonly attentionFactor: number;
	readonly provenance: Readonly<Record<string, unknown>>;
}

export interface FactorSearchRequest {
	readonly geometry: RotaryGeometry;
	readonly targetLength: number;
	readonly name?: string;
	readonly seed?: number;
	readonly rounds?: number;
	readonly populationSize?: number;
	readonly mutationProbability?: number;
	readonly patience?: number;
	/** λ's upper bound; default 1.25·s (1.1 for the short-window search at s ≤ 1). */
	readonly upper?: number;
	/** Progressive mode: a first stage on samples cut to half the target, then the target. */
	readonly budget?: boolean;
	readonly samples: readonly SampleRecord[];
	/** What the fitness measures, for the provenance (default: perplexity of the samples). */
	readonly fitness?: Readonly<Record<string, unknown>>;
	/** Perplexity of a candidate on the samples cut to `length` tokens. */
	readonly fitnessAt: (length: number) => Fitness;
	/** The hand-made methods' perplexity at the target, each with its own attention factor. */
	readonly baselines?: (length: number) => Promise<Record<string, number>>;
	readonly model?: string;
	/** sha256 of the model's weights file: a set belongs to these weights. */
	readonly modelSha256?: string;
	/** The command line that ran the search, for the record. */
	readonly command?: string;
}

export interface FactorSearchControl {
	readonly token?: CancellationToken;
	readonly onProgress?: (progress: SearchProgress) => void;
	readonly onCheckpoint?: (state: SearchState) => void;
	readonly resume?: SearchState;
	readonly now?: () => number;
	/** The record's date; default now. */
	readonly date?: () => Date;
}

export interface FactorSearchOutcome {
	readonly set: LongropeSetJson;
	readonly result: SearchResult;
	readonly baselines: Readonly<Record<string, number>>;
}

/** `short` at the original window, else `long-4k` (multiples of 1024) or `long-N`. */
export function defaultSetName(targetLength: number, window: number): string {
	if (targetLength <= window) return 'short';
	return targetLength % 1024 === 0 ? `long-${targetLength / 1024}k` : `long-${targetLength}`;
}

/** The stages of a run: one at the target, or (budget) half length first, then the target. */
export function searchStages(
	targetLength: number,
	rounds: number,
	budget: boolean,
	fitnessAt: (length: number) => Fitness,
): SearchStage[] {
	if (!budget || rounds < 2) {
		return [
			{ label: 'target', rounds, length: targetLength, fitness: fitnessAt(targetLength) },
		];
	}
	const short = Math.max(2, Math.floor(targetLength / 2));
	const first = Math.max(1, Math.round(rounds * 0.6));
	return [
		{ label: 'half-length', rounds: first, length: short, fitness: fitnessAt(short) },
		{
			label: 'target',
			rounds: rounds - first,
			length: targetLength,
			fitness: fitnessAt(targetLength),
		},
	];
}

function round6(x: number): number {
	return Math.round(x * 1e6) / 1e6;
}

/**
 * Searches one factor set for `targetLength` and returns it as a longrope.json entry with its
 * provenance. Everything model-specific (perplexity on the samples) comes in as functions.
 */
export async function searchFactorSet(
	request: FactorSearchRequest,
	control: FactorSearchControl = {},
): Promise<FactorSearchOutcome> {
	const { geometry } = request;
	const targetLength = requirePositiveInteger('targetLength', request.targetLength);
	const window = geometry.originalWindow;
	const scale = Math.max(1, targetLength / window);
	const rounds = request.rounds ?? PAPER_ROUNDS;
	if (!Number.isInteger(rounds) || rounds < 0) {
		throw new RopeInputError('rounds', rounds, 'a non-negative integer');
	}
	const space = createSearchSpace({
		pairs: rotaryPairs(geometry),
		scale,
		window,
		upper: request.upper,
	});
	const attentionFactor = longropeAttentionFactor(scale, window);
	const params: Partial<EvolutionParameters> = {
		...(request.populationSize === undefined ||
		request.populationSize === PAPER_PARAMETERS.populationSize
			? {}
			: parametersForPopulation(request.populationSize)),
		...(request.mutationProbability === undefined
			? {}
			: { mutationProbability: request.mutationProbability }),
		...(request.patience === undefined ? {} : { patience: request.patience }),
	};
	const seed = request.seed ?? 0;
	const budget = request.budget ?? false;
	const options: SearchOptions = {
		space,
		attentionFactor,
		seed,
		seeds: classicSeeds(space, geometry, scale),
		stages: searchStages(targetLength, rounds, budget, request.fitnessAt),
		...params,
	};
	const result = await runSearch(options, control);
	const baselines = request.baselines ? await request.baselines(targetLength) : {};
	const resolved = {
		populationSize: options.populationSize ?? PAPER_PARAMETERS.populationSize,
		parents: options.parents ?? PAPER_PARAMETERS.parents,
		mutations: options.mutations ?? PAPER_PARAMETERS.mutations,
		crossovers: options.crossovers ?? PAPER_PARAMETERS.crossovers,
		mutationProbability: options.mutationProbability ?? PAPER_PARAMETERS.mutationProbability,
		patience: options.patience ?? PAPER_PARAMETERS.patience,
	};
	const set: LongropeSetJson = {
		name: request.name ?? defaultSetName(targetLength, window),
		maxLength: targetLength,
		factors: result.best.factors,
		nHat: result.best.nHat,
		attentionFactor: round6(attentionFactor),
		provenance: {
			method: 'LongRoPE evolutionary search (Ding et al. 2024, Algorithm 1), no fine-tuning',
			...(request.model ? { model: request.model } : {}),
			...(request.modelSha256 ? { modelSha256: request.modelSha256 } : {}),
			targetLength,
			originalWindow: window,
			scale: round6(scale),
			searchSpace: {
				lower: space.lower,
				upper: space.upper,
				step: space.step,
				nHatChoices: space.nHatChoices,
				monotone: true,
			},
			parameters: { ...resolved, rounds, budget },
			seed,
			stages: result.stages.map((s) => ({
				label: s.label,
				length: s.length,
				rounds: s.rounds,
				evaluations: s.evaluations,
				bestPerplexity: round6(s.best),
			})),
			samples: request.samples,
			fitness: request.fitness ?? { kind: 'perplexity', of: 'the text samples' },
			bestPerplexity: round6(result.best.fitness),
			seedPerplexities: Object.fromEntries(
				Object.entries(result.seedFitness).map(([k, v]) => [k, round6(v)]),
			),
			baselinePerplexities: Object.fromEntries(
				Object.entries(baselines).map(([k, v]) => [k, round6(v)]),
			),
			evaluations: result.evaluations,
			computeSeconds: Math.round(result.computeSeconds * 10) / 10,
			elapsedSeconds: Math.round(result.elapsedSeconds * 10) / 10,
			finishedAt: (control.date?.() ?? new Date()).toISOString(),
			...(request.command ? { command: request.command } : {}),
		},
	};
	return { set, result, baselines };
}

/** A candidate as the rotary tables take it. */
export function scalingFromCandidate(candidate: SearchCandidate): RopeScaling {
	return {
		factors: Float64Array.from(candidate.factors),
		nHat: candidate.nHat,
		attentionFactor: candidate.attentionFactor,
	};
}
