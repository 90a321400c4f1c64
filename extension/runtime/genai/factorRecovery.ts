import type { RopeConfig, StaticFactorSet } from '../../engine/factorSet';
import type { CachePair } from './rotaryCaches';

/** A factor set read back from a graph's own cos/sin caches. */
export interface RecoveredSet {
	/** `short`/`long` for an If's branches, `single` for a plain cache. */
	readonly name: 'short' | 'long' | 'single';
	readonly rows: number;
	/** λ_i, one per rotated pair. */
	readonly factors: readonly number[];
	/** The magnitude every cos/sin carries (√(1 + ln s / ln L) for Phi-3 LongRoPE). */
	readonly attentionFactor: number;
}

/**
 * Relative tolerances for comparing a recovered set with config.json. The caches are float32:
 * cos/sin at position 1 carry ~6e-8 relative rounding and θ_i/λ_i was itself rounded to
 * float32 before the builder took cos/sin of it, so λ comes back within ~1e-6; 1e-5 leaves
 * room and still flags any factor that was really changed (they differ by ≥ 1e-3).
 */
export const FACTOR_TOLERANCE = 1e-5;
export const ATTENTION_FACTOR_TOLERANCE = 1e-5;

/**
 * Reads λ_i back from a cache: row 0 holds the attention factor a (cos 0 = 1), row 1 holds
 * a·cos(θ_i/λ_i) and a·sin(θ_i/λ_i), so θ_i/λ_i = atan2(sin, cos) and λ_i = θ_i / that, with
 * θ_i = base^(−2i/rotaryDim). θ_0 = 1 whatever the base, so λ_0 never depends on it.
 */
export function recoverFactors(
	name: RecoveredSet['name'],
	caches: CachePair,
	base: number,
): RecoveredSet {
	const { cos, sin } = caches;
	const pairs = cos.columns;
	const rotaryDim = 2 * pairs;
	const attentionFactor = cos.data[0];
	const factors: number[] = [];
	for (let i = 0; i < pairs; i++) {
		const angle = Math.atan2(sin.data[pairs + i], cos.data[pairs + i]);
		factors.push(Math.pow(base, (-2 * i) / rotaryDim) / angle);
	}
	return { name, rows: cos.rows, factors, attentionFactor };
}

/** Where recovery took the rotary base from. */
export interface BaseChoice {
	readonly base: number;
	readonly source: string;
}

/** Phi-3, Phi-3.5 and Phi-4-mini all use 10000, which is also Hugging Face's default. */
export const ASSUMED_BASE = 10000;

export function chooseBase(rope: RopeConfig | undefined): BaseChoice {
	return rope === undefined
		? {
				base: ASSUMED_BASE,
				source: `assumed ${ASSUMED_BASE} (no config.json; only λ_0 is base-free)`,
			}
		: { base: rope.geometry.base, source: 'config.json rope_theta' };
}

/**
 * What differs between the sets recovered from the graph and those config.json declares:
 * one message per difference, empty when they agree within the tolerances above.
 */
export function compareWithConfig(
	recovered: readonly RecoveredSet[],
	rope: RopeConfig,
	window?: number,
): string[] {
	const messages: string[] = [];
	const geometry = rope.geometry;
	if (recovered[0] !== undefined && recovered[0].factors.length !== geometry.rotaryDim / 2) {
		messages.push(
			`the graph rotates ${2 * recovered[0].factors.length} dims per head but config.json says ${geometry.rotaryDim}`,
		);
		return messages;
	}
	if (window !== undefined && window !== geometry.originalWindow) {
		messages.push(
			`the graph switches to the long caches past ${window} tokens but config.json's original window is ${geometry.originalWindow}`,
		);
	}
	const configSets = rope.sets.filter((s): s is StaticFactorSet => s.method !== 'dynamic-ntk');
	for (const set of recovered) {
		const match =
			set.name === 'single'
				? configSets.length === 1
					? configSets[0]
					: undefined
				: configSets.find((s) => s.name === set.name);
		if (match === undefined) {
			const declared = rope.sets.map((s) => s.name).join(', ');
			messages.push(
				`the graph has a ${set.name} cache but config.json declares the sets ${declared}`,
			);
			continue;
		}
		const expectedRows = set.name === 'short' ? geometry.originalWindow : geometry.maxWindow;
		if (set.rows !== expectedRows) {
			messages.push(
				`the graph's ${set.name} cache has ${set.rows} rows but config.json implies ${expectedRows}`,
			);
		}
		if (!close(set.attentionFactor, match.attentionFactor, ATTENTION_FACTOR_TOLERANCE)) {
			messages.push(
				`${set.name} set: the graph's attention factor is ${set.attentionFactor} but config.json gives ${match.attentionFactor}`,
			);
		}
		const off = set.factors.flatMap((factor, i) =>
			close(factor, match.factors[i], FACTOR_TOLERANCE)
				? []
				: [`λ_${i} ${factor.toPrecision(7)} vs ${match.factors[i]}`],
		);
		if (off.length > 0) {
			messages.push(
				`${set.name} set: ${off.length} of ${set.factors.length} factors differ from ${match.source} beyond ${FACTOR_TOLERANCE} relative (${off.slice(0, 4).join('; ')}${off.length > 4 ? '; …' : ''})`,
			);
		}
	}
	for (const set of configSets) {
		if (recovered.length > 1 && !recovered.some((r) => r.name === set.name)) {
			messages.push(`config.json declares a ${set.name} set that the graph has no cache for`);
		}
	}
	return messages;
}

function close(a: number, b: number, tolerance: number): boolean {
	return Math.abs(a - b) <= tolerance * Math.abs(b);
}
