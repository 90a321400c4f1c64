import { bootstrapInterval, bootstrapResamples, pooledPerplexity } from './intervals';
import type { EvalMethod } from './methods';
import type { RetrievalRow } from './retrieval';
import type { PerplexitySummary, WindowedRow } from './windowedPerplexity';

/** One of issue 14's goals with what was measured; `met` is undefined when it was not measured. */
export interface Goal {
	readonly goal: string;
	readonly measured: string;
	readonly met: boolean | undefined;
}

/** The previous model's held-out TS/MD perplexity at its window: the "before" of goal 1. */
export interface PerplexityBaseline {
	readonly model: string;
	readonly commit: string;
	readonly window: number;
	readonly perplexity: number;
	readonly tokens: number;
	readonly bytes: number;
	readonly tokenizerSha256: string;
}

export const RULES: readonly EvalMethod[] = ['pi', 'ntk', 'dynamic-ntk', 'yarn'];

export interface GoalInputs {
	readonly window: number;
	/** The length sweep (subsets `all`, …): goals 6 and 7. */
	readonly summaries: readonly PerplexitySummary[];
	/** The wider selection at the window (subset `ts+md`): goal 1. */
	readonly atWindow: readonly PerplexitySummary[];
	readonly windowRows: readonly WindowedRow[];
	readonly retrieval: readonly RetrievalRow[];
	readonly baseline?: PerplexityBaseline;
	readonly tokenizerSha256: string;
	readonly resamples: number;
	readonly seed: number;
}

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '∞');
const percent = (r: RetrievalRow) => `${Math.round(100 * r.accuracy)}% (${r.correct}/${r.trials})`;

/**
 * TS/MD perplexity at the window against the baseline's. With another tokenizer the token
 * counts differ, so the figure compared is the NLL per byte times the baseline's bytes per
 * token: the perplexity per baseline token (equal to the plain perplexity for one tokenizer).
 */
export function baselineComparable(
	now: Pick<PerplexitySummary, 'perplexity' | 'tokens' | 'bytes'>,
	baseline: PerplexityBaseline,
	sameTokenizer: boolean,
): number {
	if (sameTokenizer) return now.perplexity;
	const nllPerByte = (Math.log(now.perplexity) * now.tokens) / now.bytes;
	return Math.exp((nllPerByte * baseline.bytes) / baseline.tokens);
}

/** Issue 14's goals, each met / not met with the measured numbers. */
export function qualityGoals(inputs: GoalInputs): Goal[] {
	const { window, summaries, retrieval } = inputs;
	const ppl = (subset: string, method: EvalMethod, length: number) =>
		summaries.find((r) => r.subset === subset && r.method === method && r.length === length);
	const task = (name: string, method: EvalMethod, length: number) =>
		retrieval.find((r) => r.task === name && r.method === method && r.length === length);
	const missing = (goal: string, what: string): Goal => ({
		goal,
		measured: `not measured (${what})`,
		met: undefined,
	});
	const out: Goal[] = [];

	const g1 = `held-out TS/MD perplexity at the window (${window}) ≤ 0.4 × the previous model's`;
	const tsmd = inputs.atWindow.find(
		(r) => r.subset === 'ts+md' && r.method === 'longrope' && r.length === window,
	);
	if (!tsmd) out.push(missing(g1, `no TS/MD windows at ${window}`));
	else if (!inputs.baseline) out.push(missing(g1, 'no baseline file'));
	else {
		const b = inputs.baseline;
		const same = b.tokenizerSha256 === inputs.tokenizerSha256;
		const now = baselineComparable(tsmd, b, same);
		const ratio = now / b.perplexity;
		out.push({
			goal: g1,
			measured: `${fmt(tsmd.perplexity)} [${fmt(tsmd.interval.low)}–${fmt(tsmd.interval.high)}]${same ? '' : ` (${fmt(now)} per baseline token: another tokenizer)`} vs ${fmt(b.perplexity)} (${b.model} at ${b.window}, commit ${b.commit.slice(0, 7)}): ratio ${fmt(ratio, 3)}`,
			met: ratio <= 0.4,
		});
	}

	const passkeyAt = (multiple: number, threshold: number) => {
		const goal = `passkey at ${multiple}× (${multiple * window}) with longrope ≥ ${Math.round(100 * threshold)}%`;
		const r = task('passkey', 'longrope', multiple * window);
		out.push(
			r
				? { goal, measured: `${percent(r)}`, met: r.accuracy >= threshold }
				: missing(goal, `no passkey rows at ${multiple * window}`),
		);
	};
	passkeyAt(1, 0.95);
	passkeyAt(8, 0.6);

	const aheadGoal =
		'passkey: longrope ahead of every rule (PI, NTK, dynamic NTK, YaRN) at 4×, 8×, 16×';
	const ahead: string[] = [];
	let allAhead: boolean | undefined = true;
	for (const multiple of [4, 8, 16]) {
		const length = multiple * window;
		const lr = task('passkey', 'longrope', length);
		const rules = RULES.map((m) => task('passkey', m, length)).filter(
			(r): r is RetrievalRow => r !== undefined,
		);
		if (!lr || rules.length < RULES.length) {
			allAhead = undefined;
			ahead.push(`${multiple}×: not measured`);
			continue;
		}
		const best = rules.reduce((a, b) => (b.correct > a.correct ? b : a));
		if (lr.correct <= best.correct && allAhead !== undefined) allAhead = false;
		ahead.push(
			`${multiple}×: ${lr.correct}/${lr.trials} vs ${best.method} ${best.correct}/${best.trials}`,
		);
	}
	out.push({ goal: aheadGoal, measured: ahead.join('; '), met: allAhead });

	const g5 = `"where is X defined" at 1× (${window}) with longrope ≥ 80%`;
	const def = task('definition', 'longrope', window);
	out.push(
		def
			? { goal: g5, measured: percent(def), met: def.accuracy >= 0.8 }
			: missing(g5, 'no definition questions'),
	);

	const eight = 8 * window;
	const g6 = `LongRoPE perplexity at 8× (${eight}) ≤ 0.85 × the best rule (all held-out windows)`;
	const lr8 = ppl('all', 'longrope', eight);
	const rules8 = RULES.map((m) => ppl('all', m, eight)).filter(
		(r): r is PerplexitySummary => r !== undefined,
	);
	if (!lr8 || rules8.length === 0) out.push(missing(g6, `no perplexity at ${eight}`));
	else {
		const best = rules8.reduce((a, b) => (b.perplexity < a.perplexity ? b : a));
		const ratio = lr8.perplexity / best.perplexity;
		const interval = pairedRatioInterval(inputs, 'longrope', best.method, eight);
		out.push({
			goal: g6,
			measured: `${fmt(lr8.perplexity)} vs ${best.method} ${fmt(best.perplexity)}: ratio ${fmt(ratio, 3)}${interval ? ` [${fmt(interval.low, 3)}–${fmt(interval.high, 3)}]` : ''}`,
			met: ratio <= 0.85,
		});
	}

	const g7 = `LongRoPE perplexity at 8× (${eight}) ≤ 1.3 × at 1× (${window}) (all held-out windows)`;
	const lr1 = ppl('all', 'longrope', window);
	if (!lr8 || !lr1) out.push(missing(g7, `no perplexity at ${window} and ${eight}`));
	else {
		const ratio = lr8.perplexity / lr1.perplexity;
		out.push({
			goal: g7,
			measured: `${fmt(lr8.perplexity)} vs ${fmt(lr1.perplexity)}: ratio ${fmt(ratio, 3)}`,
			met: ratio <= 1.3,
		});
	}
	return out;
}

/** Bootstrap interval of ppl(a)/ppl(b) over the same resampled windows (a paired comparison). */
function pairedRatioInterval(
	inputs: GoalInputs,
	a: EvalMethod,
	b: EvalMethod,
	length: number,
): { low: number; high: number } | undefined {
	const rowA = inputs.windowRows.find((r) => r.method === a && r.length === length);
	const rowB = inputs.windowRows.find((r) => r.method === b && r.length === length);
	if (!rowA || !rowB || rowA.windows.length === 0) return undefined;
	const draws = bootstrapResamples(rowA.windows.length, inputs.resamples, inputs.seed + length);
	return bootstrapInterval(
		draws,
		(k) => pooledPerplexity(rowA.windows, k) / pooledPerplexity(rowB.windows, k),
	);
}
