import { throwIfCancelled } from '../cancellation';
import { seededRandom } from '../generation/random';
import { RopeInputError } from '../validation';
import { crossover, mutate, type Random } from './operators';
import {
	PAPER_PARAMETERS,
	type EvolutionParameters,
	type SearchCandidate,
	type SearchControl,
	type SearchOptions,
	type SearchResult,
	type SearchState,
	type StageSummary,
} from './evolutionTypes';
import {
	genomeFactors,
	genomeKey,
	isValidGenome,
	parseGenomeKey,
	type Genome,
	type SearchSpace,
} from './space';

const MAX_TRIES = 64;

/** A generator per (seed, stage, round): a resumed round draws exactly what the original did. */
export function roundRandom(seed: number, stage: number, round: number): Random {
	let h = (seed ^ 0x9e3779b9) >>> 0;
	for (const v of [stage, round]) {
		h = Math.imul(h ^ v, 0x85ebca6b) >>> 0;
		h = (h ^ (h >>> 13)) >>> 0;
		h = Math.imul(h, 0xc2b2ae35) >>> 0;
		h = (h ^ (h >>> 16)) >>> 0;
	}
	return seededRandom(h);
}

function resolveParameters(options: SearchOptions): EvolutionParameters {
	const p: EvolutionParameters = {
		populationSize: options.populationSize ?? PAPER_PARAMETERS.populationSize,
		parents: options.parents ?? PAPER_PARAMETERS.parents,
		mutations: options.mutations ?? PAPER_PARAMETERS.mutations,
		crossovers: options.crossovers ?? PAPER_PARAMETERS.crossovers,
		mutationProbability: options.mutationProbability ?? PAPER_PARAMETERS.mutationProbability,
		patience: options.patience ?? PAPER_PARAMETERS.patience,
	};
	for (const field of ['populationSize', 'parents'] as const) {
		if (!Number.isInteger(p[field]) || p[field] < 1) {
			throw new RopeInputError(field, p[field], 'a positive integer');
		}
	}
	for (const field of ['mutations', 'crossovers', 'patience'] as const) {
		if (!Number.isInteger(p[field]) || p[field] < 0) {
			throw new RopeInputError(field, p[field], 'a non-negative integer');
		}
	}
	if (p.parents > p.populationSize) {
		throw new RopeInputError('parents', p.parents, `≤ populationSize (${p.populationSize})`);
	}
	if (!(p.mutationProbability > 0 && p.mutationProbability <= 1)) {
		throw new RopeInputError('mutationProbability', p.mutationProbability, 'in (0, 1]');
	}
	return p;
}

/** Scales the paper's 64/32/16/16 to another population size. */
export function parametersForPopulation(populationSize: number): Partial<EvolutionParameters> {
	const parents = Math.max(2, Math.round(populationSize / 2));
	const mutations = Math.max(1, Math.round(populationSize / 4));
	return {
		populationSize,
		parents,
		mutations,
		crossovers: Math.max(1, populationSize - parents - mutations),
	};
}

function fingerprintOf(options: SearchOptions, params: EvolutionParameters): string {
	return JSON.stringify({
		space: options.space,
		attentionFactor: options.attentionFactor,
		seed: options.seed,
		seeds: options.seeds.map((s) => [s.name, genomeKey(s.genome)]),
		stages: options.stages.map((s) => [s.label, s.rounds, s.length ?? null]),
		params,
	});
}

function freshState(fingerprint: string): SearchState {
	return {
		version: 1,
		fingerprint,
		stage: 0,
		completedRounds: -1,
		population: [],
		cache: [],
		visitedCount: 0,
		stalled: 0,
		history: [],
		finishedStages: [],
		evaluations: 0,
		cacheHits: 0,
		computeSeconds: 0,
		elapsedSeconds: 0,
	};
}

function score(value: number): number {
	return Number.isFinite(value) ? value : Infinity;
}

function ranked(entries: Iterable<readonly [string, number]>): [string, number][] {
	return [...entries]
		.map(([k, v]) => [k, score(v)] as [string, number])
		.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function median(values: readonly number[]): number {
	const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
	if (finite.length === 0) return Infinity;
	const mid = finite.length >> 1;
	return finite.length % 2 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

/**
 * The LongRoPE evolutionary search (Ding et al. 2024, Algorithm 1): an initial population of the
 * seeds and their mutations; each round keeps the top `parents`, adds `mutations` mutated
 * parents and `crossovers` children of two parents (never a candidate seen before in the stage),
 * and evaluates only new candidates. Deterministic for a seed, resumable from its state.
 */
export async function runSearch(
	options: SearchOptions,
	control: SearchControl = {},
): Promise<SearchResult> {
	const params = resolveParameters(options);
	const { space } = options;
	if (options.stages.length === 0) throw new RopeInputError('stages', [], 'at least one stage');
	for (const seed of options.seeds) {
		if (!isValidGenome(space, seed.genome)) {
			throw new RopeInputError(
				`seed ${seed.name}`,
				genomeKey(seed.genome),
				'inside the search space',
			);
		}
	}
	if (options.seeds.length === 0) throw new RopeInputError('seeds', [], 'at least one seed');
	const fingerprint = fingerprintOf(options, params);
	const now = control.now ?? (() => performance.now());
	const token = control.token;
	const started = now();

	let state: SearchState = control.resume ?? freshState(fingerprint);
	if (state.version !== 1 || state.fingerprint !== fingerprint) {
		throw new RopeInputError(
			'resume state',
			'(state file)',
			'from a search with the same model geometry, length, seed, stages and parameters',
		);
	}
	const baseElapsed = state.elapsedSeconds;
	let sessionCalls = 0;
	let sessionComputeSeconds = 0;
	let sessionCost = 0;

	const candidate = (genome: Genome): SearchCandidate => ({
		key: genomeKey(genome),
		factors: genomeFactors(space, genome),
		nHat: genome.nHat,
		attentionFactor: options.attentionFactor,
	});

	const stageCost = (k: number): number => {
		const length = options.stages[k].length;
		const first = options.stages[0].length;
		// Measured on the bundled model: twice the tokens cost about 2.8× (attention grows too).
		return length && first ? (length / first) ** 1.5 : 1;
	};
	const remainingCost = (k: number, completedRounds: number): number => {
		const perRound = params.mutations + params.crossovers;
		let cost = 0;
		for (let j = k; j < options.stages.length; j++) {
			const done = j === k ? completedRounds : -1;
			const evals =
				(done < 0 ? params.populationSize : 0) +
				perRound * (options.stages[j].rounds - Math.max(0, done));
			cost += evals * stageCost(j);
		}
		return cost;
	};

	const emit = (round: number, population: readonly [string, number][]): void => {
		if (!control.onProgress) return;
		const stage = state.stage;
		const elapsed = (now() - started) / 1000;
		const rate = sessionCalls / Math.max(1e-9, sessionComputeSeconds || elapsed);
		const costRate = sessionCost / Math.max(1e-9, elapsed);
		control.onProgress({
			stage,
			stageLabel: options.stages[stage].label,
			stages: options.stages.length,
			round,
			rounds: options.stages[stage].rounds,
			best: population.length ? population[0][1] : Infinity,
			median: median(population.map(([, v]) => v)),
			evaluations: state.evaluations,
			cacheHits: state.cacheHits,
			evaluationsPerSecond: sessionCalls === 0 ? 0 : rate,
			etaSeconds:
				sessionCost === 0 ? NaN : remainingCost(stage, state.completedRounds) / costRate,
			elapsedSeconds: baseElapsed + elapsed,
		});
	};

	const checkpoint = (patch: Partial<SearchState>): void => {
		state = { ...state, ...patch, elapsedSeconds: baseElapsed + (now() - started) / 1000 };
		control.onCheckpoint?.(state);
	};

	for (let k = state.stage; k < options.stages.length; k++) {
		const stage = options.stages[k];
		const cache = new Map<string, number>(state.cache.map(([key, v]) => [key, v]));

		const evaluate = async (genomes: readonly Genome[]): Promise<[string, number][]> => {
			const out: [string, number][] = [];
			for (const genome of genomes) {
				const key = genomeKey(genome);
				let value = cache.get(key);
				if (value === undefined) {
					throwIfCancelled(token);
					const t0 = now();
					value = score(await stage.fitness(candidate(genome), token));
					const seconds = (now() - t0) / 1000;
					sessionCalls++;
					sessionComputeSeconds += seconds;
					sessionCost += stageCost(k);
					cache.set(key, value);
					checkpoint({
						cache: [...cache.entries()],
						evaluations: state.evaluations + 1,
						computeSeconds: state.computeSeconds + seconds,
					});
				} else {
					// Only a resumed round meets candidates it already evaluated.
					state = { ...state, cacheHits: state.cacheHits + 1 };
				}
				out.push([key, value]);
			}
			return out;
		};

		if (state.completedRounds < 0) {
			const initial = initialPopulation(options, params, k, state.finishedStages);
			const population = ranked(await evaluate(initial));
			const history = [
				{
					round: 0,
					best: population[0][1],
					median: median(population.map((e) => e[1])),
					evaluations: state.evaluations,
				},
			];
			checkpoint({
				completedRounds: 0,
				population,
				visitedCount: cache.size,
				stalled: 0,
				history,
			});
			emit(0, population);
		}

		for (let round = state.completedRounds + 1; round <= stage.rounds; round++) {
			if (params.patience > 0 && state.stalled >= params.patience) break;
			throwIfCancelled(token);
			const random = roundRandom(options.seed, k, round);
			const visited = new Set([...cache.keys()].slice(0, state.visitedCount));
			const parents = state.population
				.slice(0, params.parents)
				.map(([key]) => parseGenomeKey(space, key));
			const children = breed(space, params, parents, visited, random);
			const evaluated = await evaluate(children);
			const previousBest = state.population[0][1];
			const population = ranked([...state.population.slice(0, params.parents), ...evaluated]);
			const best = population[0][1];
			checkpoint({
				completedRounds: round,
				population,
				visitedCount: cache.size,
				stalled: best < previousBest ? 0 : state.stalled + 1,
				history: [
					...state.history,
					{
						round,
						best,
						median: median(population.map((e) => e[1])),
						evaluations: state.evaluations,
					},
				],
			});
			emit(round, population);
		}

		const seedFitness: Record<string, number> = {};
		for (const seed of options.seeds) {
			const value = cache.get(genomeKey(seed.genome));
			if (value !== undefined) seedFitness[seed.name] = value;
		}
		const summary: StageSummary = {
			label: stage.label,
			...(stage.length !== undefined ? { length: stage.length } : {}),
			rounds: state.completedRounds,
			evaluations: cache.size,
			bestKey: state.population[0][0],
			best: state.population[0][1],
			seedFitness,
			history: state.history,
			topKeys: state.population.slice(0, params.parents).map(([key]) => key),
		};
		// One checkpoint closes the stage and opens the next, so a crash cannot record it twice.
		checkpoint({
			finishedStages: [...state.finishedStages, summary],
			stage: k + 1,
			completedRounds: -1,
			population: [],
			cache: [],
			visitedCount: 0,
			stalled: 0,
			history: [],
		});
	}

	const last = state.finishedStages[state.finishedStages.length - 1];
	const genome = parseGenomeKey(space, last.bestKey);
	return {
		best: { ...candidate(genome), fitness: last.best, genome },
		stages: state.finishedStages,
		seedFitness: last.seedFitness,
		evaluations: state.evaluations,
		cacheHits: state.cacheHits,
		computeSeconds: state.computeSeconds,
		elapsedSeconds: state.elapsedSeconds,
		state,
	};
}

/** Seeds, then (after the first stage) the previous stage's parents, then mutations of them. */
function initialPopulation(
	options: SearchOptions,
	params: EvolutionParameters,
	stage: number,
	finished: readonly StageSummary[],
): Genome[] {
	const { space } = options;
	const random = roundRandom(options.seed, stage, 0);
	const out: Genome[] = [];
	const seen = new Set<string>();
	const add = (genome: Genome): void => {
		const key = genomeKey(genome);
		if (seen.has(key) || out.length >= params.populationSize) return;
		if (!isValidGenome(space, genome)) throw new Error(`invalid candidate ${key}`);
		seen.add(key);
		out.push(genome);
	};
	const carried =
		stage > 0 ? finished[stage - 1].topKeys.map((key) => parseGenomeKey(space, key)) : [];
	const sources = [...carried, ...options.seeds.map((s) => s.genome)];
	for (const genome of sources) add(genome);
	let tries = 0;
	while (out.length < params.populationSize && tries < params.populationSize * MAX_TRIES) {
		tries++;
		const parent = sources[Math.floor(random() * sources.length)];
		add(mutate(space, parent, random, params.mutationProbability));
	}
	return out;
}

/** One round's new candidates: mutations, then crossovers, none seen before in the stage. */
function breed(
	space: SearchSpace,
	params: EvolutionParameters,
	parents: readonly Genome[],
	visited: Set<string>,
	random: Random,
): Genome[] {
	const children: Genome[] = [];
	const accept = (genome: Genome): boolean => {
		const key = genomeKey(genome);
		if (visited.has(key)) return false;
		if (!isValidGenome(space, genome)) throw new Error(`invalid candidate ${key}`);
		visited.add(key);
		children.push(genome);
		return true;
	};
	const pick = (): Genome => parents[Math.floor(random() * parents.length)];
	for (let m = 0; m < params.mutations; m++) {
		for (let t = 0; t < MAX_TRIES; t++) {
			if (accept(mutate(space, pick(), random, params.mutationProbability))) break;
		}
	}
	for (let c = 0; c < params.crossovers; c++) {
		for (let t = 0; t < MAX_TRIES; t++) {
			const a = pick();
			let b = pick();
			if (parents.length > 1) while (b === a) b = pick();
			let child = crossover(space, a, b, random);
			// A child equal to a known candidate gets a mutation on top (the paper's p).
			if (visited.has(genomeKey(child))) {
				child = mutate(space, child, random, params.mutationProbability);
			}
			if (accept(child)) break;
		}
	}
	return children;
}
