import { chooseFactorSet } from '../factorSelection';
import { scalingForPlan, type FactorSet } from '../factorSet';
import type { RotaryGeometry } from '../rotaryGeometry';
import {
	dynamicNtkScaling,
	linearScaling,
	noScaling,
	ntkScaling,
	yarnScaling,
	type RopeScaling,
} from '../scalings';
import { RopeInputError } from '../validation';

/** The methods the harness compares; `longrope` is the model's own factor sets (auto choice). */
export const EVAL_METHODS = ['none', 'pi', 'ntk', 'dynamic-ntk', 'yarn', 'longrope'] as const;
export type EvalMethod = (typeof EVAL_METHODS)[number];

/**
 * Hugging Face's dynamic NTK with `factor` 2: base' = base·(2·n/L − 1)^(d/(d−2)) for a sequence
 * of n > L tokens. The harness scores a whole sequence with the scaling of its full length (as a
 * single forward pass in transformers does), which is what makes it differ from NTK at s = n/L.
 */
export const DYNAMIC_NTK_FACTOR = 2;

export function parseMethods(text: string): EvalMethod[] {
	const methods = text
		.split(',')
		.map((m) => m.trim())
		.filter(Boolean);
	for (const m of methods) {
		if (!(EVAL_METHODS as readonly string[]).includes(m)) {
			throw new RopeInputError('methods', m, `one of ${EVAL_METHODS.join(', ')}`);
		}
	}
	if (methods.length === 0) throw new RopeInputError('methods', text, 'a non-empty list');
	return methods as EvalMethod[];
}

export interface MethodScaling {
	readonly method: EvalMethod;
	/** The factor set's name for `longrope`, else e.g. `pi ×4`. */
	readonly set: string;
	readonly scale: number;
	readonly scaling: RopeScaling;
}

/**
 * The scaling each method uses for sequences of `length` tokens: the hand-made rules at
 * s = max(1, length / L), and for `longrope` the set the model's factor manager picks for a
 * plan of that length (its searched sets, or plain RoPE when it has none).
 */
export function methodScaling(
	method: EvalMethod,
	geometry: RotaryGeometry,
	length: number,
	modelSets: readonly FactorSet[],
): MethodScaling {
	const scale = Math.max(1, length / geometry.originalWindow);
	const label = (name: string) => (scale > 1 ? `${name} ×${+scale.toFixed(3)}` : name);
	switch (method) {
		case 'none':
			return { method, set: 'none', scale, scaling: noScaling(geometry) };
		case 'pi':
			return { method, set: label('pi'), scale, scaling: linearScaling(geometry, scale) };
		case 'ntk':
			return { method, set: label('ntk'), scale, scaling: ntkScaling(geometry, scale) };
		case 'dynamic-ntk':
			return {
				method,
				set: label('dynamic-ntk'),
				scale,
				scaling: dynamicNtkScaling(geometry, DYNAMIC_NTK_FACTOR, length),
			};
		case 'yarn':
			return { method, set: label('yarn'), scale, scaling: yarnScaling(geometry, { scale }) };
		case 'longrope': {
			const choice = chooseFactorSet(modelSets, length);
			return {
				method,
				set: choice.set.name,
				scale,
				scaling: scalingForPlan(choice.set, geometry, length),
			};
		}
	}
}
