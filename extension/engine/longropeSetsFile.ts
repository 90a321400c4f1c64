import type { FactorSet } from './factorSet';
import { rotaryPairs, type RotaryGeometry } from './rotaryGeometry';
import {
	RopeInputError,
	requireFactors,
	requireFinitePositive,
	requireNonEmptyString,
	requireNonNegativeInteger,
	requirePositiveInteger,
	requireRecord,
} from './validation';

/**
 * `longrope.json`: the factor sets the LongRoPE search found for a model, kept in the
 * model folder next to config.json (which supplies the geometry). Format:
 *
 *     {
 *       "sets": [
 *         {
 *           "name": "search-16k",        unique; "auto" is reserved for the override
 *           "maxLength": 16384,          the longest planned request it is for
 *           "factors": [1.0, …],         λ_i, one per rotary pair (rotary_dim/2), each > 0
 *           "nHat": 64,                  leading positions that keep their original angles
 *           "attentionFactor": 1.19,     multiplies cos and sin
 *           "provenance": { … }          optional, free-form: how the set was found
 *         }
 *       ]
 *     }
 *
 * See extension/engine/README.md for how the factor manager chooses among these sets.
 */
export function factorSetsFromLongropeJson(
	json: unknown,
	geometry: RotaryGeometry,
	source = 'longrope.json',
): FactorSet[] {
	const file = requireRecord(source, json);
	const sets = file.sets;
	if (!Array.isArray(sets) || sets.length === 0) {
		throw new RopeInputError(`${source} sets`, sets, 'a non-empty array of factor sets');
	}
	return sets.map((entry, k) => parseSet(entry, `${source} sets[${k}]`, geometry, source));
}

function parseSet(
	entry: unknown,
	field: string,
	geometry: RotaryGeometry,
	source: string,
): FactorSet {
	const set = requireRecord(field, entry);
	const name = requireNonEmptyString(`${field}.name`, set.name);
	if (name === 'auto') {
		throw new RopeInputError(`${field}.name`, name, 'a name other than "auto" (reserved)');
	}
	const maxLength = requirePositiveInteger(`${field}.maxLength`, set.maxLength);
	const provenance =
		set.provenance === undefined
			? undefined
			: requireRecord(`${field}.provenance`, set.provenance);
	return {
		name,
		method: 'longrope',
		maxLength,
		scale: Math.max(1, maxLength / geometry.originalWindow),
		source,
		...(provenance ? { provenance } : {}),
		factors: requireFactors(`${field}.factors`, set.factors, rotaryPairs(geometry)),
		nHat: requireNonNegativeInteger(`${field}.nHat`, set.nHat),
		attentionFactor: requireFinitePositive(`${field}.attentionFactor`, set.attentionFactor),
	};
}
