import { rotaryPairs, type RotaryGeometry } from './rotaryGeometry';
import { dynamicNtkScaling, type RopeScaling } from './scalings';
import { RopeInputError } from './validation';

interface FactorSetCommon {
	readonly name: string;
	/** The longest planned request (prompt + answer budget) this set is meant for. */
	readonly maxLength: number;
	/** s, the stretch this set was made for (shown in explanations). */
	readonly scale: number;
	/** Where the set was read from, e.g. `config.json rope_scaling.long_factor`. */
	readonly source: string;
	/** Free-form record of how a searched set was found (longrope.json). */
	readonly provenance?: Readonly<Record<string, unknown>>;
}

/** A set whose factors are fixed: LongRoPE's searched λ_i, or PI/YaRN turned into λ_i. */
export interface StaticFactorSet extends FactorSetCommon {
	readonly method: 'none' | 'linear' | 'yarn' | 'longrope';
	readonly factors: readonly number[];
	readonly nHat: number;
	readonly attentionFactor: number;
}

/** Dynamic NTK: its factors depend on the planned length, so they are made per plan. */
export interface DynamicNtkFactorSet extends FactorSetCommon {
	readonly method: 'dynamic-ntk';
}

export type FactorSet = StaticFactorSet | DynamicNtkFactorSet;

/** A model's rotary geometry with every factor set it can choose from. */
export interface RopeConfig {
	readonly geometry: RotaryGeometry;
	readonly sets: readonly FactorSet[];
}

/** The scaling a set applies to a request of the planned length. */
export function scalingForPlan(
	set: FactorSet,
	geometry: RotaryGeometry,
	plannedLength: number,
): RopeScaling {
	if (set.method === 'dynamic-ntk') return dynamicNtkScaling(geometry, set.scale, plannedLength);
	return {
		factors: Float64Array.from(set.factors),
		nHat: set.nHat,
		attentionFactor: set.attentionFactor,
	};
}

/** Adds sets (e.g. from longrope.json) to a config; names must stay unique. */
export function withFactorSets(config: RopeConfig, extra: readonly FactorSet[]): RopeConfig {
	const sets = [...config.sets, ...extra];
	const seen = new Set<string>();
	for (const set of sets) {
		if (seen.has(set.name)) {
			throw new RopeInputError('name', set.name, `unique among factor sets (${set.source})`);
		}
		seen.add(set.name);
		if (set.method !== 'dynamic-ntk' && set.factors.length !== rotaryPairs(config.geometry)) {
			throw new RopeInputError(
				`${set.name}.factors`,
				set.factors,
				`an array of ${rotaryPairs(config.geometry)} factors (rotary_dim/2)`,
			);
		}
	}
	return { geometry: config.geometry, sets };
}
