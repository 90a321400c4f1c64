/** The evolutionary search's inputs, progress, state and result (the paper's Algorithm 1). */
import type { CancellationToken } from '../cancellation';
import type { NamedGenome } from './seeds';
import type { Genome, SearchSpace } from './space';

/** What the fitness function is given: a point of the space, ready to become a rotary spec. */
export interface SearchCandidate {
	readonly key: string;
	readonly factors: readonly number[];
	readonly nHat: number;
	readonly attentionFactor: number;
}

/** Lower is better (perplexity); NaN and ±∞ count as the worst. Injected by the host. */
export type Fitness = (candidate: SearchCandidate, token?: CancellationToken) => Promise<number>;

/**
 * One pass of the evolution. Budget (progressive) mode runs two or more: cheap short samples and
 * few rounds first, then refinement at the target, seeded with the previous stage's best.
 */
export interface SearchStage {
	readonly label: string;
	readonly rounds: number;
	readonly fitness: Fitness;
	/** Sample length in tokens (for the ETA's cost weighting and the record); optional. */
	readonly length?: number;
}

export interface EvolutionParameters {
	readonly populationSize: number;
	/** Top-k kept as parents each round. */
	readonly parents: number;
	readonly mutations: number;
	readonly crossovers: number;
	/** Per gene. */
	readonly mutationProbability: number;
	/** Stop a stage after this many rounds without improvement; 0 never stops early. */
	readonly patience: number;
}

/** Algorithm 1 of the LongRoPE paper. */
export const PAPER_PARAMETERS: EvolutionParameters = {
	populationSize: 64,
	parents: 32,
	mutations: 16,
	crossovers: 16,
	mutationProbability: 0.3,
	patience: 0,
};

export const PAPER_ROUNDS = 40;

export interface SearchOptions extends Partial<EvolutionParameters> {
	readonly space: SearchSpace;
	/** Every candidate's attention factor (the search does not move it). */
	readonly attentionFactor: number;
	readonly seed: number;
	/** The initial population's starting points (PI, NTK, YaRN); the rest are their mutations. */
	readonly seeds: readonly NamedGenome[];
	readonly stages: readonly SearchStage[];
}

export interface RoundRecord {
	readonly round: number;
	readonly best: number;
	readonly median: number;
	readonly evaluations: number;
}

export interface StageSummary {
	readonly label: string;
	readonly length?: number;
	readonly rounds: number;
	readonly evaluations: number;
	readonly bestKey: string;
	readonly best: number;
	/** Fitness of each seed at this stage. */
	readonly seedFitness: Readonly<Record<string, number>>;
	readonly history: readonly RoundRecord[];
	/** The final population's parents, ranked: the next stage starts from them. */
	readonly topKeys: readonly string[];
}

export interface SearchProgress {
	readonly stage: number;
	readonly stageLabel: string;
	readonly stages: number;
	/** 0 = the initial population. */
	readonly round: number;
	readonly rounds: number;
	readonly best: number;
	readonly median: number;
	/** Fitness evaluations so far, all stages and sessions. */
	readonly evaluations: number;
	readonly cacheHits: number;
	readonly evaluationsPerSecond: number;
	readonly etaSeconds: number;
	readonly elapsedSeconds: number;
}

/** Everything needed to continue after a crash or a cancel; plain JSON. */
export interface SearchState {
	readonly version: 1;
	/** The options it belongs to; resuming with other options is refused. */
	readonly fingerprint: string;
	readonly stage: number;
	/** −1 while the initial population is being evaluated. */
	readonly completedRounds: number;
	/** The ranked population after `completedRounds` (key, fitness). */
	readonly population: readonly (readonly [string, number])[];
	/** This stage's evaluations in order; the first `visitedCount` are the candidates made before the current round. */
	readonly cache: readonly (readonly [string, number])[];
	readonly visitedCount: number;
	readonly stalled: number;
	readonly history: readonly RoundRecord[];
	readonly finishedStages: readonly StageSummary[];
	readonly evaluations: number;
	readonly cacheHits: number;
	/** Seconds spent inside the fitness function, all sessions. */
	readonly computeSeconds: number;
	/** Wall-clock seconds of the search, all sessions. */
	readonly elapsedSeconds: number;
}

export interface SearchControl {
	readonly token?: CancellationToken;
	readonly onProgress?: (progress: SearchProgress) => void;
	/** Called after every evaluation and every round with a state to save. */
	readonly onCheckpoint?: (state: SearchState) => void;
	readonly resume?: SearchState;
	/** For tests: a clock in milliseconds. */
	readonly now?: () => number;
}

export interface SearchResult {
	readonly best: SearchCandidate & { readonly fitness: number; readonly genome: Genome };
	readonly stages: readonly StageSummary[];
	/** Seeds' fitness at the last stage (PI, NTK, YaRN under the search's attention factor). */
	readonly seedFitness: Readonly<Record<string, number>>;
	readonly evaluations: number;
	readonly cacheHits: number;
	readonly computeSeconds: number;
	readonly elapsedSeconds: number;
	readonly state: SearchState;
}
