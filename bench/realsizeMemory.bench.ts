// npm run bench:realsize-memory — where the engine's memory goes at real size: resident memory by
// phase (load, prefill, decode, a follow-up on the reused prefix) of one request on a full-size
// replica (bench:realsize builds them), for several limits on a prefill run's attention scores
// (GenaiModelOptions.scoreBytes, which sets the rows per run). Each limit runs in a child process
// of its own, one after another; memory, not speed, is what this compares. Prints the table and
// writes bench/results/realsize-memory.{md,json} (`--out NAME` to change).
//
//   npm run bench:realsize-memory -- [--kind phi3.5-mini] [--length 4096] [--score-mib 134,67,36]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelSession } from '../extension/engine/model/languageModel';
import { planIds } from '../extension/engine/model/requestPlan';
import { GenaiModel } from '../extension/runtime/genai/genaiModel';
import { ensureRealsize } from './realsize/replicaFolders';
import { peakRssGoalMiB, tableHead } from './realsize/report';
import { peakRssMiB, promptIds, QUESTION_TOKENS } from './realsize/shared';

const ANSWER_TOKENS = 9;
const PHASES = ['load', 'prefill', 'decode', 'follow-up'] as const;
type Phase = (typeof PHASES)[number];

interface Report {
	readonly scoreMiB: number;
	readonly rows: number;
	readonly kvMiB: number;
	readonly followUpKvMiB: number;
	/** The highest resident memory sampled in each phase (every 50 ms and at its edges). */
	readonly rssMiB: Record<Phase, number>;
	/** The highest JavaScript ArrayBuffer total in each phase (the KV cache, run outputs). */
	readonly arrayBuffersMiB: Record<Phase, number>;
	readonly peakRssMiB: number;
	readonly prefillTokensPerSecond: number;
}

function option(name: string, fallback: string): string {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? process.argv[at + 1] : fallback;
}

async function measure(folder: string, length: number, scoreMiB: number): Promise<Report> {
	const rss = {} as Record<Phase, number>;
	const buffers = {} as Record<Phase, number>;
	let phase: Phase = 'load';
	const sample = () => {
		const m = process.memoryUsage();
		rss[phase] = Math.max(rss[phase] ?? 0, m.rss / 2 ** 20);
		buffers[phase] = Math.max(buffers[phase] ?? 0, m.arrayBuffers / 2 ** 20);
	};
	const enter = (next: Phase) => {
		sample();
		phase = next;
		sample();
	};
	const timer = setInterval(sample, 50);
	try {
		const model = await GenaiModel.open(folder, {
			maxKvCacheBytes: 64 * 2 ** 30,
			scoreBytes: scoreMiB * 2 ** 20,
		});
		const session = model.openSession();
		const vocab = model.folder.vocabSize;
		const prompt = promptIds(length, vocab);
		const ask = async (s: ModelSession, ids: number[], start: Phase) => {
			enter(start);
			const stream = s.generate({ plan: planIds(model, ids, ANSWER_TOKENS, 'auto') });
			let next = await stream.next();
			if (start === 'prefill') enter('decode');
			while (!next.done) next = await stream.next();
			return next.value;
		};
		const first = await ask(session, prompt, 'prefill');
		const again = [...prompt, ...first.tokenIds, ...promptIds(QUESTION_TOKENS, vocab, 2)];
		const second = await ask(session, again, 'follow-up');
		sample();
		const rows = model.prefillRows(first.plan.plannedLength);
		session.dispose();
		await model.dispose();
		return {
			scoreMiB,
			rows,
			kvMiB: first.kvBytes / 2 ** 20,
			followUpKvMiB: second.kvBytes / 2 ** 20,
			rssMiB: rss,
			arrayBuffersMiB: buffers,
			peakRssMiB: peakRssMiB(),
			prefillTokensPerSecond: first.prefillTokensPerSecond,
		};
	} finally {
		clearInterval(timer);
	}
}

function table(reports: readonly Report[], weightsMiB: number): string {
	const f = (x: number) => x.toFixed(0);
	const head = ['measure', ...reports.map((r) => `${r.scoreMiB} MiB (${r.rows} rows)`)];
	const lines = tableHead(head);
	const push = (name: string, cell: (r: Report) => string) =>
		lines.push(`| ${name} | ${reports.map(cell).join(' | ')} |`);
	for (const p of PHASES) push(`RSS MiB, ${p}`, (r) => f(r.rssMiB[p]));
	for (const p of PHASES) push(`ArrayBuffers MiB, ${p}`, (r) => f(r.arrayBuffersMiB[p]));
	push(
		'planned KV MiB (first request / follow-up)',
		(r) => `${f(r.kvMiB)} / ${f(r.followUpKvMiB)}`,
	);
	push('prefill RSS − load RSS − KV MiB (onnxruntime workspace, run outputs)', (r) =>
		f(r.rssMiB.prefill - r.rssMiB.load - r.kvMiB),
	);
	push('load RSS − weight files MiB', (r) => f(r.rssMiB.load - weightsMiB));
	push('peak RSS MiB (getrusage)', (r) => f(r.peakRssMiB));
	push('goal MiB: 1.15 × (weights + follow-up KV)', (r) =>
		f(peakRssGoalMiB(weightsMiB * 2 ** 20, r.followUpKvMiB * 2 ** 20)),
	);
	push('prefill tok/s (one run, not a speed comparison)', (r) =>
		r.prefillTokensPerSecond.toFixed(1),
	);
	return lines.join('\n');
}

async function main(): Promise<void> {
	const at = process.argv.indexOf('--child');
	if (at >= 0) {
		const { folder, length, scoreMiB } = JSON.parse(process.argv[at + 1]) as {
			folder: string;
			length: number;
			scoreMiB: number;
		};
		process.stdout.write(`${JSON.stringify(await measure(folder, length, scoreMiB))}\n`);
		return;
	}
	const kind = option('kind', 'phi3.5-mini');
	const length = Number(option('length', '4096'));
	const limits = option('score-mib', '134,67,36').split(',').map(Number);
	const out = option('out', 'realsize-memory');
	const folder = ensureRealsize(kind);
	const started = new Date();
	const reports: Report[] = [];
	for (const scoreMiB of limits) {
		process.stderr.write(`realsize-memory: ${kind} at ${length}, scores ≤ ${scoreMiB} MiB\n`);
		const run = spawnSync(
			process.execPath,
			[
				'-r',
				'esbuild-register',
				__filename,
				'--child',
				JSON.stringify({ folder, length, scoreMiB }),
			],
			{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
		);
		if (run.status !== 0)
			throw new Error(`the child for ${scoreMiB} MiB failed (${run.status})`);
		reports.push(JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as Report);
	}
	const weightsMiB = weightFilesMiB(folder);
	const text = [
		'# Engine memory by phase at real size (`npm run bench:realsize-memory`)',
		'',
		`${started.toISOString()} to ${new Date().toISOString()}; ${os.cpus()[0]?.model ?? 'CPU'} × ${os.availableParallelism()}; ${kind} replica, a ${length}-token prompt, ${ANSWER_TOKENS}-token answers, then a ${QUESTION_TOKENS}-token follow-up on the reused prefix; weight files ${weightsMiB.toFixed(0)} MiB.`,
		`Command: \`npm run bench:realsize-memory -- ${process.argv.slice(2).join(' ')}\``,
		'',
		table(reports, weightsMiB),
		'',
	].join('\n');
	process.stdout.write(`${text}\n`);
	const results = path.join(__dirname, 'results');
	writeFileSync(path.join(results, `${out}.md`), text);
	writeFileSync(
		path.join(results, `${out}.json`),
		`${JSON.stringify({ kind, length, reports }, null, '\t')}\n`,
	);
}

function weightFilesMiB(folder: string): number {
	return (
		readdirSync(folder)
			.filter((name) => name.endsWith('.onnx.data'))
			.reduce((sum, name) => sum + statSync(path.join(folder, name)).size, 0) /
		2 ** 20
	);
}

main().catch((err: unknown) => {
	process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
	process.exit(1);
});
