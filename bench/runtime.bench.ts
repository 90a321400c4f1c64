// npm run bench — the runtime side by side, in one run: the extension's engine, a bare session.run
// loop on the same graph, and transformers.js on the identical weights (the Hugging Face export).
// Each measurement is a child process of its own (its peak RSS is its own), and the repeats are
// interleaved side after side, every other round reversed (A B C, C B A, …), so that the
// machine's noise hits every side alike.
// Prints a markdown table of medians and writes bench/results/runtime.{json,md}.
//
//   npm run bench [-- --quick] [--repeats 3] [--sides longrope,bare,transformers.js]
//     --quick: shorter lengths, one repeat (a smoke test). A side may carry /t<threads>
//     (onnxruntime intra-op threads, engine and bare loop), e.g. --sides longrope,longrope/t1,bare
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatted } from './formatted';
import { measureBare } from './runtime/bareLoop';
import { measureLongrope } from './runtime/longropeEngine';
import { median, type EngineReport } from './runtime/shared';
import { measureTransformersJs } from './runtime/transformersJs';

const ROOT = path.resolve(__dirname, '..');
const MODEL = path.join(ROOT, 'models', process.env.LONGROPE_BENCH_MODEL ?? 'longrope-tiny');
const HF_MODEL = path.join(
	ROOT,
	'models',
	'hf',
	process.env.LONGROPE_BENCH_MODEL ?? 'longrope-tiny',
);
const quick = process.argv.includes('--quick');
const PREFILL = quick ? [256, 512] : [512, 2048, 8192];
const DECODE = quick ? [256, 512] : [2048, 8192];

function option(name: string, fallback: string): string {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? process.argv[at + 1] : fallback;
}
const REPEATS = Number(option('repeats', quick ? '1' : '3'));
const SIDES = option('sides', 'longrope,bare,transformers.js').split(',');

/** A side as named on the command line: engine[/t<threads>]. */
function parseSide(label: string): { engine: EngineReport['engine']; threads?: number } {
	const [engine, threads] = label.split('/');
	if (engine !== 'longrope' && engine !== 'bare' && engine !== 'transformers.js')
		throw new Error(`bench: unknown side ${label} (longrope, bare, transformers.js)`);
	if (threads === undefined) return { engine };
	const n = Number(threads.slice(1));
	if (threads[0] !== 't' || !Number.isInteger(n) || n < 0 || engine === 'transformers.js')
		throw new Error(`bench: ${label}: only longrope and bare take /t<threads>`);
	return { engine, threads: n };
}

async function child(label: string): Promise<void> {
	const { engine, threads } = parseSide(label);
	const report =
		engine === 'longrope'
			? await measureLongrope(MODEL, PREFILL, DECODE, 1, threads)
			: engine === 'bare'
				? await measureBare(MODEL, PREFILL, DECODE, 1, threads)
				: await measureTransformersJs(HF_MODEL, PREFILL, DECODE, 1);
	process.stdout.write(`${JSON.stringify(report)}\n`);
}

function runChild(label: string, round: number): EngineReport {
	const [one, five] = os.loadavg();
	process.stderr.write(
		`bench: round ${round}, ${label} (load average ${one.toFixed(2)} / ${five.toFixed(2)})…\n`,
	);
	const result = spawnSync(
		process.execPath,
		['-r', 'esbuild-register', __filename, '--child', label, ...(quick ? ['--quick'] : [])],
		{
			cwd: ROOT,
			encoding: 'utf8',
			maxBuffer: 64 * 1024 * 1024,
			stdio: ['ignore', 'pipe', 'inherit'],
		},
	);
	if (result.status !== 0)
		throw new Error(`bench: the ${label} child failed (exit ${result.status})`);
	return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as EngineReport;
}

/** One report per side: the median of its rounds for every rate, the largest peak RSS. */
function combine(rounds: readonly EngineReport[]): EngineReport {
	const medians = (pick: (r: EngineReport) => Record<number, number>) =>
		Object.fromEntries(
			Object.keys(pick(rounds[0])).map((n) => [n, median(rounds.map((r) => pick(r)[+n]))]),
		);
	const first = rounds[0];
	const followUps = rounds.map((r) => r.followUp).filter((f) => f !== undefined);
	return {
		...first,
		prefill: medians((r) => r.prefill),
		decode: medians((r) => r.decode),
		...(followUps.length > 0
			? {
					followUp: {
						withReuseMs: median(followUps.map((f) => f.withReuseMs)),
						fullPrefillMs: median(followUps.map((f) => f.fullPrefillMs)),
						contextTokens: followUps[0].contextTokens,
					},
				}
			: {}),
		...(first.perplexityTokensPerSecond !== undefined
			? {
					perplexityTokensPerSecond: median(
						rounds.map((r) => r.perplexityTokensPerSecond ?? 0),
					),
				}
			: {}),
		peakRssMiB: Math.max(...rounds.map((r) => r.peakRssMiB)),
	};
}

const f0 = (x: number) => x.toFixed(0);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

interface Side {
	readonly label: string;
	readonly report: EngineReport;
}

/** Rates per side, then each engine side against the bare loop and transformers.js. */
function table(sides: readonly Side[]): string {
	const engines = sides.filter((s) => s.report.engine === 'longrope');
	const against = ['bare', 'transformers.js']
		.map((name) => sides.find((s) => s.report.engine === name))
		.filter((s) => s !== undefined);
	const ratioHeads = engines.flatMap((e) => against.map((o) => `${e.label} / ${o.label}`));
	const lines = [
		`| measure | ${[...sides.map((s) => s.label), ...ratioHeads].join(' | ')} |`,
		`|---|${[...sides, ...ratioHeads].map(() => '---:').join('|')}|`,
	];
	const row = (name: string, pick: (r: EngineReport) => number | undefined) => {
		const values = sides.map((s) => pick(s.report));
		const ratios = engines.flatMap((e) =>
			against.map((o) => {
				const [a, b] = [pick(e.report), pick(o.report)];
				return a !== undefined && b !== undefined ? ratio(a, b) : '';
			}),
		);
		lines.push(
			`| ${name} | ${[...values.map((v) => (v === undefined ? '' : f0(v))), ...ratios].join(' | ')} |`,
		);
	};
	for (const n of PREFILL) row(`prefill tok/s, ${n} tokens`, (r) => r.prefill[n]);
	for (const n of DECODE) row(`decode tok/s, ${n} cached`, (r) => r.decode[n]);
	const fu = engines[0]?.report.followUp;
	if (fu) {
		row(
			`follow-up TTFT ms, ${fu.contextTokens}-token context reused`,
			(r) => r.followUp?.withReuseMs,
		);
		row('follow-up TTFT ms, full prefill', (r) => r.followUp?.fullPrefillMs);
		lines.push(
			`| reuse / full prefill | ${((100 * fu.withReuseMs) / fu.fullPrefillMs).toFixed(1)}% |`,
		);
	}
	row("perplexity tok/s, 2048 tokens (the search's fitness)", (r) => r.perplexityTokensPerSecond);
	row('peak RSS MiB', (r) => r.peakRssMiB);
	return lines.join('\n');
}

/**
 * The lowest and highest rate of each side's repeats: on a shared machine a side's repeats can
 * spread wider than the gap between sides, and the medians alone do not show it.
 */
function spread(rounds: ReadonlyMap<string, readonly EngineReport[]>): string {
	const labels = [...rounds.keys()];
	const lines = [
		`| lowest–highest of the repeats | ${labels.join(' | ')} |`,
		`|---|${labels.map(() => '---:').join('|')}|`,
	];
	const row = (name: string, pick: (r: EngineReport) => number) => {
		const cells = labels.map((label) => {
			const values = (rounds.get(label) ?? []).map(pick);
			return `${f0(Math.min(...values))}–${f0(Math.max(...values))}`;
		});
		lines.push(`| ${name} | ${cells.join(' | ')} |`);
	};
	for (const n of PREFILL) row(`prefill tok/s, ${n} tokens`, (r) => r.prefill[n]);
	for (const n of DECODE) row(`decode tok/s, ${n} cached`, (r) => r.decode[n]);
	return lines.join('\n');
}

/**
 * Each engine side against each other side, round by round: the two ran minutes apart in the
 * same round, so the ratio of the pair drops the slow swings of a shared machine that separate
 * the rounds; its median is the figure to quote, its range shows what is left.
 */
function pairedRatios(rounds: ReadonlyMap<string, readonly EngineReport[]>): string {
	const engines = [...rounds.keys()].filter((label) => parseSide(label).engine === 'longrope');
	const others = [...rounds.keys()].filter((label) => parseSide(label).engine !== 'longrope');
	const heads = engines.flatMap((e) => others.map((o) => `${e} / ${o}`));
	const lines = [
		`| paired by round: median (lowest–highest) | ${heads.join(' | ')} |`,
		`|---|${heads.map(() => '---:').join('|')}|`,
	];
	const row = (name: string, pick: (r: EngineReport) => number) => {
		const cells = engines.flatMap((e) =>
			others.map((o) => {
				const [a, b] = [rounds.get(e) ?? [], rounds.get(o) ?? []];
				const ratios = a.map((r, i) => pick(r) / pick(b[i]));
				const [low, high] = [Math.min(...ratios), Math.max(...ratios)];
				return `${median(ratios).toFixed(2)}× (${low.toFixed(2)}–${high.toFixed(2)})`;
			}),
		);
		lines.push(`| ${name} | ${cells.join(' | ')} |`);
	};
	for (const n of PREFILL) row(`prefill tok/s, ${n} tokens`, (r) => r.prefill[n]);
	for (const n of DECODE) row(`decode tok/s, ${n} cached`, (r) => r.decode[n]);
	return lines.join('\n');
}

function agreement(sides: readonly Side[]): string {
	const [ours, ...others] = sides;
	return DECODE.map((n) => {
		const same = others.map(
			(o) =>
				`${o.label} ${JSON.stringify(o.report.greedy[n]) === JSON.stringify(ours.report.greedy[n]) ? 'agrees' : 'DIFFERS'}`,
		);
		return `- greedy tokens after ${n} cached, against ${ours.label}: ${same.join(', ')}`;
	}).join('\n');
}

async function main(): Promise<void> {
	const at = process.argv.indexOf('--child');
	if (at >= 0) return child(process.argv[at + 1]);
	SIDES.forEach(parseSide);
	const rounds = new Map<string, EngineReport[]>(SIDES.map((label) => [label, []]));
	const started = new Date().toISOString();
	// Every other round runs the sides in reverse (A B C, C B A, …), so that whatever drifts over a
	// round (the machine's other load, its clock) does not always fall on the same side.
	for (let round = 1; round <= REPEATS; round++) {
		const order = round % 2 === 1 ? SIDES : [...SIDES].reverse();
		for (const label of order) rounds.get(label)?.push(runChild(label, round));
	}
	const sides = SIDES.map((label) => ({ label, report: combine(rounds.get(label) ?? []) }));
	const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
		cwd: ROOT,
		encoding: 'utf8',
	}).trim();
	const args = process.argv.slice(2).join(' ');
	const md = [
		`Runtime benchmark — commit ${commit}, ${started} to ${new Date().toISOString()}, model ${path.relative(ROOT, MODEL)}, ${REPEATS} interleaved repeat(s), medians; ${os.cpus().length} cores, load average at the end ${os
			.loadavg()
			.map((x) => x.toFixed(2))
			.join(' / ')}.`,
		`Command: npm run bench${args ? ` -- ${args}` : ''}`,
		'',
		table(sides),
		'',
		agreement(sides),
		'',
		spread(rounds),
		'',
		...(REPEATS > 1 ? [pairedRatios(rounds), ''] : []),
	].join('\n');
	const mdFile = path.join(ROOT, 'bench', 'results', quick ? 'runtime-quick.md' : 'runtime.md');
	const pretty = await formatted(md, mdFile);
	process.stdout.write(pretty);
	mkdirSync(path.dirname(mdFile), { recursive: true });
	writeFileSync(
		path.join(ROOT, 'bench', 'results', 'runtime.json'),
		JSON.stringify({ commit, quick, rounds: Object.fromEntries(rounds), sides }, null, 1),
	);
	writeFileSync(mdFile, pretty);
}

main().catch((err: unknown) => {
	process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
	process.exitCode = 1;
});
