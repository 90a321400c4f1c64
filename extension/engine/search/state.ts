import { RopeInputError } from '../validation';
import type { SearchState } from './evolutionTypes';

/**
 * The search state as JSON text. Fitness values may be ∞ (a candidate whose perplexity
 * overflowed), which JSON cannot hold, so non-finite numbers are written as the string "Infinity".
 */
export function serializeSearchState(state: SearchState): string {
	return JSON.stringify(state, (_key, value: unknown) =>
		typeof value === 'number' && !Number.isFinite(value) ? 'Infinity' : value,
	);
}

/** Parses what serializeSearchState wrote; the search itself checks that it fits its options. */
export function parseSearchState(text: string, source = 'search state'): SearchState {
	let value: unknown;
	try {
		value = JSON.parse(text, (_key, v: unknown) => (v === 'Infinity' ? Infinity : v));
	} catch (error) {
		throw new RopeInputError(source, text.slice(0, 40), `JSON (${(error as Error).message})`);
	}
	const state = value as Partial<SearchState> | null;
	const ok =
		typeof state === 'object' &&
		state !== null &&
		state.version === 1 &&
		typeof state.fingerprint === 'string' &&
		Number.isInteger(state.stage) &&
		Number.isInteger(state.completedRounds) &&
		Array.isArray(state.population) &&
		Array.isArray(state.cache) &&
		Number.isInteger(state.visitedCount) &&
		Array.isArray(state.finishedStages) &&
		Array.isArray(state.history) &&
		[
			state.stalled,
			state.evaluations,
			state.cacheHits,
			state.computeSeconds,
			state.elapsedSeconds,
		].every((n) => typeof n === 'number') &&
		[...state.population, ...state.cache].every(
			(e) => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number',
		);
	if (!ok) throw new RopeInputError(source, '(file)', 'a LongRoPE search state (version 1)');
	return state as SearchState;
}
