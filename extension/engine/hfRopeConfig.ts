import type { FactorSet, RopeConfig } from './factorSet';
import { validateGeometry, type RotaryGeometry } from './rotaryGeometry';
import { longropeAttentionFactor, yarnScaling } from './scalings';
import {
	RopeInputError,
	requireFactors,
	requireFinitePositive,
	requirePositiveInteger,
	requireRecord,
} from './validation';

const SUPPORTED_TYPES = 'longrope, su, yarn, linear, dynamic or default';

/**
 * Reads the rotary part of a Hugging Face config.json: the geometry (rope_theta, head
 * size, partial rotary, windows) and the factor sets its `rope_scaling` implies.
 */
export function ropeConfigFromHf(json: unknown, source = 'config.json'): RopeConfig {
	const config = requireRecord('config', json);
	const geometry = validateGeometry(hfGeometry(config));
	const scaling = config.rope_scaling;
	if (scaling === undefined || scaling === null) {
		return { geometry, sets: [defaultSet(geometry, source)] };
	}
	const ropeScaling = requireRecord('rope_scaling', scaling);
	const typeField = 'type' in ropeScaling ? 'rope_scaling.type' : 'rope_scaling.rope_type';
	const type = ropeScaling.type ?? ropeScaling.rope_type;
	switch (type) {
		case 'default':
			return { geometry, sets: [defaultSet(geometry, source)] };
		case 'linear':
			return { geometry, sets: [linearSet(geometry, ropeScaling, source)] };
		case 'dynamic':
			return { geometry, sets: [dynamicSet(geometry, ropeScaling, source)] };
		case 'yarn':
			return { geometry, sets: [yarnSet(geometry, ropeScaling, source)] };
		case 'longrope':
		case 'su':
			return { geometry, sets: longropeSets(geometry, ropeScaling, source) };
		default:
			throw new RopeInputError(typeField, type, `one of ${SUPPORTED_TYPES}`);
	}
}

function hfGeometry(config: Record<string, unknown>): RotaryGeometry {
	const base = requireFinitePositive('rope_theta', config.rope_theta ?? 10000);
	if (base <= 1) throw new RopeInputError('rope_theta', base, 'a finite number > 1');
	const headDim = hfHeadDim(config);
	const rotaryDim = hfRotaryDim(config, headDim);
	const maxWindow = requirePositiveInteger(
		'max_position_embeddings',
		config.max_position_embeddings,
	);
	const ropeScaling = config.rope_scaling as Record<string, unknown> | null | undefined;
	const originalField =
		config.original_max_position_embeddings !== undefined
			? 'original_max_position_embeddings'
			: 'rope_scaling.original_max_position_embeddings';
	const original =
		config.original_max_position_embeddings ?? ropeScaling?.original_max_position_embeddings;
	const originalWindow =
		original === undefined ? maxWindow : requirePositiveInteger(originalField, original);
	return { base, headDim, rotaryDim, originalWindow, maxWindow };
}

function hfHeadDim(config: Record<string, unknown>): number {
	if (config.head_dim !== undefined && config.head_dim !== null) {
		return requirePositiveInteger('head_dim', config.head_dim);
	}
	const hidden = requirePositiveInteger('hidden_size', config.hidden_size);
	const heads = requirePositiveInteger('num_attention_heads', config.num_attention_heads);
	if (hidden % heads !== 0) {
		throw new RopeInputError(
			'hidden_size',
			hidden,
			`divisible by num_attention_heads (${heads})`,
		);
	}
	return hidden / heads;
}

function hfRotaryDim(config: Record<string, unknown>, headDim: number): number {
	let field = 'head_dim';
	let rotaryDim = headDim;
	if (config.partial_rotary_factor !== undefined) {
		field = 'partial_rotary_factor';
		const fraction = requireFinitePositive(field, config.partial_rotary_factor);
		if (fraction > 1) throw new RopeInputError(field, fraction, 'a number in (0, 1]');
		rotaryDim = Math.floor(headDim * fraction);
	} else if (config.rotary_dim !== undefined) {
		field = 'rotary_dim';
		rotaryDim = requirePositiveInteger(field, config.rotary_dim);
	}
	if (rotaryDim < 2 || rotaryDim % 2 !== 0 || rotaryDim > headDim) {
		throw new RopeInputError(
			field,
			config[field] ?? headDim,
			`such that the rotary dimension is even, ≥ 2 and ≤ the head size ${headDim} (it gives ${rotaryDim})`,
		);
	}
	return rotaryDim;
}

function defaultSet(geometry: RotaryGeometry, source: string): FactorSet {
	return {
		name: 'default',
		method: 'none',
		// Unscaled RoPE covers the trained window; longer claims come from factor sets.
		maxLength: geometry.originalWindow,
		scale: 1,
		source: `${source} (no rope_scaling)`,
		factors: new Array<number>(geometry.rotaryDim / 2).fill(1),
		nHat: 0,
		attentionFactor: 1,
	};
}

function scaleFactor(ropeScaling: Record<string, unknown>): number {
	return requireFinitePositive('rope_scaling.factor', ropeScaling.factor);
}

function stretchedWindow(geometry: RotaryGeometry, scale: number): number {
	return Math.max(1, Math.floor(geometry.originalWindow * scale));
}

function linearSet(
	geometry: RotaryGeometry,
	ropeScaling: Record<string, unknown>,
	source: string,
): FactorSet {
	const scale = scaleFactor(ropeScaling);
	return {
		name: 'linear',
		method: 'linear',
		maxLength: stretchedWindow(geometry, scale),
		scale,
		source: `${source} rope_scaling (linear)`,
		factors: new Array<number>(geometry.rotaryDim / 2).fill(scale),
		nHat: 0,
		attentionFactor: 1,
	};
}

function dynamicSet(
	geometry: RotaryGeometry,
	ropeScaling: Record<string, unknown>,
	source: string,
): FactorSet {
	const scale = scaleFactor(ropeScaling);
	return {
		name: 'dynamic',
		method: 'dynamic-ntk',
		maxLength: stretchedWindow(geometry, scale),
		scale,
		source: `${source} rope_scaling (dynamic)`,
	};
}

function optionalPositive(ropeScaling: Record<string, unknown>, key: string): number | undefined {
	const value = ropeScaling[key];
	return value === undefined || value === null
		? undefined
		: requireFinitePositive(`rope_scaling.${key}`, value);
}

function yarnSet(
	geometry: RotaryGeometry,
	ropeScaling: Record<string, unknown>,
	source: string,
): FactorSet {
	const scale = scaleFactor(ropeScaling);
	const truncate = ropeScaling.truncate ?? true;
	if (typeof truncate !== 'boolean') {
		throw new RopeInputError('rope_scaling.truncate', truncate, 'true or false');
	}
	const scaling = yarnScaling(geometry, {
		scale,
		betaFast: optionalPositive(ropeScaling, 'beta_fast'),
		betaSlow: optionalPositive(ropeScaling, 'beta_slow'),
		attentionFactor: optionalPositive(ropeScaling, 'attention_factor'),
		mscale: optionalPositive(ropeScaling, 'mscale'),
		mscaleAllDim: optionalPositive(ropeScaling, 'mscale_all_dim'),
		truncate,
	});
	return {
		name: 'yarn',
		method: 'yarn',
		maxLength: stretchedWindow(geometry, scale),
		scale,
		source: `${source} rope_scaling (yarn)`,
		factors: Array.from(scaling.factors),
		nHat: 0,
		attentionFactor: scaling.attentionFactor,
	};
}

/**
 * Phi-3 style: a short set for requests within the original window and a long set up to
 * max_position_embeddings; s = max/original (or `factor` when no original is given).
 */
function longropeSets(
	geometry: RotaryGeometry,
	ropeScaling: Record<string, unknown>,
	source: string,
): FactorSet[] {
	const pairs = geometry.rotaryDim / 2;
	const stretched = geometry.maxWindow > geometry.originalWindow;
	const scale = stretched
		? geometry.maxWindow / geometry.originalWindow
		: (optionalPositive(ropeScaling, 'factor') ?? 1);
	const attentionFactor =
		optionalPositive(ropeScaling, 'attention_factor') ??
		longropeAttentionFactor(scale, geometry.originalWindow);
	const set = (name: 'short' | 'long', maxLength: number): FactorSet => ({
		name,
		method: 'longrope',
		maxLength,
		scale,
		source: `${source} rope_scaling.${name}_factor`,
		factors: requireFactors(
			`rope_scaling.${name}_factor`,
			ropeScaling[`${name}_factor`],
			pairs,
		),
		nHat: 0,
		attentionFactor: optionalPositive(ropeScaling, `${name}_mscale`) ?? attentionFactor,
	});
	const longWindow = stretched ? geometry.maxWindow : stretchedWindow(geometry, scale);
	return [set('short', geometry.originalWindow), set('long', longWindow)];
}
