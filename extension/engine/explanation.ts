import type { ActiveRope } from './factorManager';
import type { RopeConfig } from './factorSet';

export interface PairExplanation {
	readonly index: number;
	/** θ_i, unscaled. */
	readonly inverseFrequency: number;
	/** λ_i; the scaled frequency is θ_i / λ_i. */
	readonly factor: number;
	/** Positions per full turn, 2π/θ_i, and after scaling, 2πλ_i/θ_i. */
	readonly wavelengthBefore: number;
	readonly wavelengthAfter: number;
}

/** Everything the diagnostics panel, the output channel and the CLI show about a choice. */
export interface FactorExplanation {
	readonly set: string;
	readonly method: string;
	readonly source: string;
	readonly reason: string;
	readonly warning?: string;
	readonly override: string;
	readonly plannedLength: number;
	readonly setWindow: number;
	readonly originalWindow: number;
	readonly maxWindow: number;
	readonly scale: number;
	readonly nHat: number;
	readonly attentionFactor: number;
	readonly base: number;
	readonly headDim: number;
	readonly rotaryDim: number;
	readonly pairs: readonly PairExplanation[];
	readonly sets: readonly { name: string; maxLength: number; method: string }[];
	readonly provenance?: Readonly<Record<string, unknown>>;
}

export function describeFactors(
	config: RopeConfig,
	active: ActiveRope,
	theta: Float64Array,
): FactorExplanation {
	const { geometry } = config;
	const { set, spec } = active;
	const turn = 2 * Math.PI;
	return {
		set: set.name,
		method: set.method,
		source: set.source,
		reason: active.reason,
		...(active.warning ? { warning: active.warning } : {}),
		override: active.override,
		plannedLength: active.plannedLength,
		setWindow: set.maxLength,
		originalWindow: geometry.originalWindow,
		maxWindow: geometry.maxWindow,
		scale: set.scale,
		nHat: spec.nHat,
		attentionFactor: spec.attentionFactor,
		base: geometry.base,
		headDim: geometry.headDim,
		rotaryDim: geometry.rotaryDim,
		pairs: Array.from(theta, (inverseFrequency, index) => ({
			index,
			inverseFrequency,
			factor: spec.factors[index],
			wavelengthBefore: turn / inverseFrequency,
			wavelengthAfter: (turn * spec.factors[index]) / inverseFrequency,
		})),
		sets: config.sets.map((s) => ({ name: s.name, maxLength: s.maxLength, method: s.method })),
		...(set.provenance ? { provenance: set.provenance } : {}),
	};
}

/** Plain text for the output channel and the CLI. */
export function formatExplanation(e: FactorExplanation): string {
	const lines = [
		`Factor set: ${e.set} (${e.method}, from ${e.source})`,
		`Why: ${e.reason}`,
		...(e.warning ? [`Warning: ${e.warning}`] : []),
		`Override: ${e.override}`,
		`Planned length: ${e.plannedLength} tokens; set window ${e.setWindow}`,
		`Original window L: ${e.originalWindow}; model maximum ${e.maxWindow}; scale s = ${round(e.scale)}`,
		`Rotary: base ${e.base}, ${e.rotaryDim} of ${e.headDim} head dimensions rotate (${e.pairs.length} pairs)`,
		`n̂ = ${e.nHat}: positions below it keep their original angles`,
		`Attention factor: ${round(e.attentionFactor)} (multiplies cos and sin)`,
		`Available sets: ${e.sets.map((s) => `${s.name} (≤ ${s.maxLength})`).join(', ')}`,
		...(e.provenance ? [`Provenance: ${JSON.stringify(e.provenance)}`] : []),
		'',
		'pair       θ_i        λ_i   wavelength before → after (positions)',
		...e.pairs.map(
			(p) =>
				`${String(p.index).padStart(4)}  ${p.inverseFrequency.toExponential(4).padStart(11)}  ${round(p.factor).toString().padStart(8)}   ${round(p.wavelengthBefore).toString().padStart(12)} → ${round(p.wavelengthAfter)}`,
		),
	];
	return lines.join('\n');
}

function round(value: number): number {
	return Number(value.toPrecision(6));
}
