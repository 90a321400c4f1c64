import type { FactorSet } from './factorSet';
import { RopeInputError, requirePositiveInteger } from './validation';

/** `auto`, `short` (the smallest window), `long` (the largest), or a set's name. */
export type FactorOverride = string;

export interface FactorChoice {
	readonly set: FactorSet;
	readonly reason: string;
	/** Set when the plan is longer than the chosen set's window. */
	readonly warning?: string;
}

/**
 * Picks the factor set for a request from its planned length (prompt + answer budget),
 * before prefill: keys enter the KV cache already rotated, so the set must be right from
 * the first token. Auto picks the smallest window that covers the plan (the later-listed set
 * on a tie); an exact set name
 * wins over the `short`/`long` keywords, so Phi-3's sets named short and long mean what
 * they say.
 */
export function chooseFactorSet(
	sets: readonly FactorSet[],
	plannedLength: number,
	override: FactorOverride = 'auto',
): FactorChoice {
	requirePositiveInteger('plannedLength', plannedLength);
	if (sets.length === 0) throw new RopeInputError('sets', sets, 'at least one factor set');
	// On equal windows the set listed later wins: longrope.json's sets come after config.json's,
	// so a searched set (e.g. the short-window recovery set) replaces the config's for its window.
	const byWindow = sets
		.map((set, index) => ({ set, index }))
		.sort((a, b) => a.set.maxLength - b.set.maxLength || b.index - a.index)
		.map((entry) => entry.set);
	const widest = byWindow[byWindow.length - 1].maxLength;
	const largest = byWindow.find((set) => set.maxLength === widest) ?? byWindow[0];
	if (override !== 'auto') return overridden(sets, byWindow, largest, plannedLength, override);

	const fit = byWindow.find((set) => set.maxLength >= plannedLength);
	if (!fit) {
		return {
			set: largest,
			reason: `planned length ${plannedLength} exceeds every set's window; "${largest.name}" has the largest (${largest.maxLength})`,
			warning: beyondWindow(plannedLength, largest),
		};
	}
	const outgrown = byWindow.filter((set) => set.maxLength < plannedLength).pop();
	const reason = outgrown
		? `planned length ${plannedLength} > ${outgrown.maxLength}, the window of "${outgrown.name}"; "${fit.name}" (window ${fit.maxLength}) is the smallest set that covers it`
		: `planned length ${plannedLength} fits "${fit.name}" (window ${fit.maxLength}), the smallest set that covers it`;
	return { set: fit, reason };
}

function overridden(
	sets: readonly FactorSet[],
	byWindow: readonly FactorSet[],
	largest: FactorSet,
	plannedLength: number,
	override: FactorOverride,
): FactorChoice {
	const set =
		sets.find((s) => s.name === override) ??
		(override === 'short' ? byWindow[0] : undefined) ??
		(override === 'long' ? largest : undefined);
	if (!set) {
		const names = sets.map((s) => s.name).join(', ');
		throw new RopeInputError(
			'override',
			override,
			`auto, short, long or a set name (${names})`,
		);
	}
	const reason = `override "${override}" selects "${set.name}" (window ${set.maxLength})`;
	return plannedLength > set.maxLength
		? { set, reason, warning: beyondWindow(plannedLength, set) }
		: { set, reason };
}

function beyondWindow(plannedLength: number, set: FactorSet): string {
	return `planned length ${plannedLength} is past the window of "${set.name}" (${set.maxLength}); positions beyond it were never tuned for and answers may degrade`;
}
