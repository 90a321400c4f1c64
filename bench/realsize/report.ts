import type { Limits } from './limits';
import type { ModelCost } from './modelCost';
import { median, type SideReport } from './shared';

/** The medians over repeats of one side on one kind. */
export interface SideSummary {
	readonly label: string;
	readonly runs: number;
	readonly error?: string;
	readonly prefill: Record<number, number>;
	readonly decode: Record<number, number>;
	readonly ttftMs: Record<number, number>;
	readonly kvBytes: Record<number, number>;
	readonly followUpMs?: number;
	/** The largest KV the side planned: its longest length, or its follow-up's plan. */
	readonly maxKvBytes: number;
	readonly loadRssMiB: number;
	readonly peakRssMiB: number;
	readonly loadMs: number;
	readonly greedy: Record<number, readonly number[]>;
}

export function summarize(label: string, reports: readonly SideReport[]): SideSummary {
	const ok = reports.filter((r) => r.error === undefined);
	const error = reports.find((r) => r.error !== undefined)?.error;
	const byLength = (pick: (row: SideReport['rows'][number]) => number) => {
		const out: Record<number, number> = {};
		for (const length of new Set(ok.flatMap((r) => r.rows.map((row) => row.length)))) {
			out[length] = median(
				ok.flatMap((r) => r.rows.filter((row) => row.length === length).map(pick)),
			);
		}
		return out;
	};
	const followUps = ok.flatMap((r) => (r.followUp ? [r.followUp.timeToFirstTokenMs] : []));
	const greedy: Record<number, readonly number[]> = {};
	for (const row of ok[0]?.rows ?? []) greedy[row.length] = row.greedy;
	return {
		label,
		runs: ok.length,
		...(error !== undefined && ok.length === 0 ? { error } : {}),
		prefill: byLength((row) => row.prefillTokensPerSecond),
		decode: byLength((row) => row.decodeTokensPerSecond),
		ttftMs: byLength((row) => row.timeToFirstTokenMs),
		kvBytes: byLength((row) => row.kvBytes),
		...(followUps.length > 0 ? { followUpMs: median(followUps) } : {}),
		maxKvBytes: Math.max(
			0,
			...ok.flatMap((r) => [...r.rows.map((row) => row.kvBytes), r.followUp?.kvBytes ?? 0]),
		),
		loadRssMiB: ok.length > 0 ? median(ok.map((r) => r.loadRssMiB)) : 0,
		peakRssMiB: ok.length > 0 ? median(ok.map((r) => r.peakRssMiB)) : 0,
		loadMs: ok.length > 0 ? median(ok.map((r) => r.loadMs)) : 0,
		greedy,
	};
}

/** The decode ceiling at `length` cached: bandwidth over the bytes a step must read. */
export function decodeCeiling(cost: ModelCost, bandwidthGBps: number, length: number): number {
	return (bandwidthGBps * 1e9) / (cost.weightBytesPerStep + cost.kvBytesPerToken * length);
}

/** The best measured int4 GEMM throughput, GFLOP/s, for a prefill chunk with K = `k`. */
function bestGemm(limits: Limits, k: number): number {
	return Math.max(...limits.gemm.filter((g) => g.k === k).map((g) => g.gflops));
}

/** The prefill ceiling: the layers' int4 GEMM work per token at the best measured GEMM throughput. */
export function prefillCeiling(cost: ModelCost, limits: Limits): number {
	let seconds = 0;
	for (const [k, flops] of Object.entries(cost.flopsByK)) {
		seconds += flops / (bestGemm(limits, Number(k)) * 1e9);
	}
	return 1 / seconds;
}

/**
 * The decode ceiling this kernel allows at `length` cached: the weights a step reads at the
 * int4 kernel's best one-row rate from memory, plus the KV at the copy bandwidth. Below the
 * bandwidth ceiling when the kernel, not memory, is what a step waits on.
 */
export function kernelDecodeCeiling(
	cost: ModelCost,
	limits: Limits,
	bandwidthGBps: number,
	length: number,
): number {
	const stream = Math.max(...Object.values(limits.streamGBps));
	return (
		1 /
		(cost.weightBytesPerStep / (stream * 1e9) +
			(cost.kvBytesPerToken * length) / (bandwidthGBps * 1e9))
	);
}

/** The memory goal: the weights and the largest planned KV, plus 15%. */
export function peakRssGoalMiB(weightBytes: number, kvBytes: number): number {
	return (1.15 * (weightBytes + kvBytes)) / 2 ** 20;
}

/** A markdown table's header row and its alignment row (every column but the first right-aligned). */
export function tableHead(head: readonly string[]): string[] {
	return [
		`| ${head.join(' | ')} |`,
		`|---|${head
			.slice(1)
			.map(() => '---:')
			.join('|')}|`,
	];
}

const f = (x: number | undefined, digits = 1) =>
	x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
const mib = (bytes: number | undefined) => (bytes ? (bytes / 2 ** 20).toFixed(0) : '—');

/** The markdown table of one kind: one column per side, then the ratios and the ceilings. */
export function kindTable(
	sides: readonly SideSummary[],
	cost: ModelCost,
	limits: Limits,
	lengths: readonly number[],
): string {
	const [engine, ...others] = sides;
	const bandwidth = Math.max(...Object.values(limits.copyGBps));
	const head = [
		'measure',
		...sides.map((s) => s.label),
		...others.map((o) => `${engine.label} / ${o.label}`),
		'ceiling',
		`${engine.label} / ceiling`,
	];
	const lines = tableHead(head);
	const push = (cells: string[]) => lines.push(`| ${cells.join(' | ')} |`);
	const row = (name: string, values: (number | undefined)[], ceiling?: number, digits = 1) => {
		const ratios = others.map((_, i) => {
			const [a, b] = [values[0], values[i + 1]];
			return a && b ? `${(a / b).toFixed(2)}×` : '—';
		});
		const vsCeiling = ceiling && values[0] ? `${(values[0] / ceiling).toFixed(2)}×` : '';
		push([
			name,
			...values.map((v) => f(v, digits)),
			...ratios,
			ceiling ? f(ceiling) : '',
			vsCeiling,
		]);
	};
	const prefillMax = prefillCeiling(cost, limits);
	for (const l of lengths) {
		row(
			`prefill tok/s, ${l} tokens`,
			sides.map((s) => s.prefill[l]),
			prefillMax,
		);
	}
	for (const l of lengths) {
		row(
			`decode tok/s, ${l} cached`,
			sides.map((s) => s.decode[l]),
			decodeCeiling(cost, bandwidth, l),
			2,
		);
	}
	for (const l of lengths) {
		row(
			`decode tok/s, ${l} cached, against the int4 kernel streaming its weights`,
			sides.map((s) => s.decode[l]),
			kernelDecodeCeiling(cost, limits, bandwidth, l),
			2,
		);
	}
	for (const l of lengths) {
		row(
			`time to first token s, ${l} tokens`,
			sides.map((s) => (s.ttftMs[l] === undefined ? undefined : s.ttftMs[l] / 1000)),
		);
	}
	row(
		'follow-up time to first token s (prefix reused)',
		sides.map((s) => (s.followUpMs === undefined ? undefined : s.followUpMs / 1000)),
		undefined,
		2,
	);
	const last = lengths[lengths.length - 1];
	const blank = Array<string>(others.length + 2).fill('');
	push([`KV MiB at ${last}`, ...sides.map((s) => mib(s.kvBytes[last])), ...blank]);
	push(['RSS after load MiB', ...sides.map((s) => f(s.loadRssMiB, 0)), ...blank]);
	row(
		'peak RSS MiB (goal: weights + largest planned KV + 15%)',
		sides.map((s) => s.peakRssMiB),
		peakRssGoalMiB(cost.weightBytes, engine.maxKvBytes),
		0,
	);
	push(['load s', ...sides.map((s) => f(s.loadMs / 1000)), ...blank]);
	return lines.join('\n');
}
