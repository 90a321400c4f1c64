// npm run bench — the runtime side by side, in one run: the extension's engine, a bare session.run
// loop on the same graph, and transformers.js on the identical weights (the Hugging Face export).
// Each engine runs in a child process of its own so that its peak RSS is its own.
// Prints a markdown table and writes bench/results/runtime.{json,md}.
//
//   npm run bench [-- --quick]        --quick: shorter lengths, one repeat (a smoke test)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { measureBare } from './runtime/bareLoop';
import { measureLongrope } from './runtime/longropeEngine';
import type { EngineReport } from './runtime/shared';
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
const REPEATS = quick ? 1 : 3;

async function child(engine: string): Promise<void> {
	const report =
		engine === 'longrope'
			? await measureLongrope(MODEL, PREFILL, DECODE, REPEATS)
			: engine === 'bare'
				? await measureBare(MODEL, PREFILL, DECODE, REPEATS)
				: await measureTransformersJs(HF_MODEL, PREFILL, DECODE, REPEATS);
	process.stdout.write(`${JSON.stringify(report)}\n`);
}

function runChild(engine: string): EngineReport {
	process.stderr.write(`bench: measuring ${engine}…\n`);
	const result = spawnSync(
		process.execPath,
		['-r', 'esbuild-register', __filename, '--child', engine, ...(quick ? ['--quick'] : [])],
		{
			cwd: ROOT,
			encoding: 'utf8',
			maxBuffer: 64 * 1024 * 1024,
			stdio: ['ignore', 'pipe', 'inherit'],
		},
	);
	if (result.status !== 0)
		throw new Error(`bench: the ${engine} child failed (exit ${result.status})`);
	return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as EngineReport;
}

const f0 = (x: number) => x.toFixed(0);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

function table(ours: EngineReport, bare: EngineReport, tjs: EngineReport): string {
	const lines = [
		'| measure | longrope engine | bare session.run | transformers.js | engine / transformers.js | engine / bare |',
		'|---|---:|---:|---:|---:|---:|',
	];
	for (const n of PREFILL) {
		lines.push(
			`| prefill tok/s, ${n} tokens | ${f0(ours.prefill[n])} | ${f0(bare.prefill[n])} | ${f0(tjs.prefill[n])} | ${ratio(ours.prefill[n], tjs.prefill[n])} | ${ratio(ours.prefill[n], bare.prefill[n])} |`,
		);
	}
	for (const n of DECODE) {
		lines.push(
			`| decode tok/s, ${n} cached | ${f0(ours.decode[n])} | ${f0(bare.decode[n])} | ${f0(tjs.decode[n])} | ${ratio(ours.decode[n], tjs.decode[n])} | ${ratio(ours.decode[n], bare.decode[n])} |`,
		);
	}
	const fu = ours.followUp;
	if (fu) {
		lines.push(
			`| follow-up TTFT ms, ${fu.contextTokens}-token context reused | ${f0(fu.withReuseMs)} | | | | |`,
		);
		lines.push(`| follow-up TTFT ms, full prefill | ${f0(fu.fullPrefillMs)} | | | | |`);
		lines.push(
			`| reuse / full prefill | ${((100 * fu.withReuseMs) / fu.fullPrefillMs).toFixed(1)}% | | | | |`,
		);
	}
	if (ours.perplexityTokensPerSecond) {
		lines.push(
			`| perplexity tok/s, 2048 tokens (the search's fitness) | ${f0(ours.perplexityTokensPerSecond)} | | | | |`,
		);
	}
	lines.push(
		`| peak RSS MiB | ${f0(ours.peakRssMiB)} | ${f0(bare.peakRssMiB)} | ${f0(tjs.peakRssMiB)} | | |`,
	);
	return lines.join('\n');
}

function agreement(ours: EngineReport, others: EngineReport[]): string {
	return DECODE.map((n) => {
		const same = others.map(
			(o) =>
				`${o.engine} ${JSON.stringify(o.greedy[n]) === JSON.stringify(ours.greedy[n]) ? 'agrees' : 'DIFFERS'}`,
		);
		return `- greedy tokens after ${n} cached: ${same.join(', ')}`;
	}).join('\n');
}

async function main(): Promise<void> {
	const at = process.argv.indexOf('--child');
	if (at >= 0) return child(process.argv[at + 1]);
	const reports = ['longrope', 'bare', 'transformers.js'].map(runChild);
	const [ours, bare, tjs] = reports;
	const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
		cwd: ROOT,
		encoding: 'utf8',
	}).trim();
	const md = [
		`Runtime benchmark — commit ${commit}, ${new Date().toISOString()}, model ${path.relative(ROOT, MODEL)}, ${REPEATS} repeat(s), medians.`,
		`Command: npm run bench${quick ? ' -- --quick' : ''}`,
		'',
		table(ours, bare, tjs),
		'',
		agreement(ours, [bare, tjs]),
		'',
	].join('\n');
	process.stdout.write(md);
	mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
	writeFileSync(
		path.join(ROOT, 'bench', 'results', 'runtime.json'),
		JSON.stringify({ commit, quick, reports }, null, 1),
	);
	writeFileSync(
		path.join(ROOT, 'bench', 'results', quick ? 'runtime-quick.md' : 'runtime.md'),
		md,
	);
}

main().catch((err: unknown) => {
	process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
	process.exitCode = 1;
});
