// npm run bench:realsize — speed and memory at real size: full-size random-weight replicas of
// Phi-3.5-mini and Phi-4-mini in the ORT-genai structure (test/replicas/make_realsize.py, built
// into the cache folder on first use), run by the engine (GenaiModel through a session), a bare
// session.run loop on the unadapted graph and transformers.js, against the machine's limits
// measured in the same run (copy bandwidth → decode ceiling, int4 GEMM → prefill ceiling).
// Every measurement is a child process of its own (its peak RSS is its own); the repeats are
// interleaved, side after side (A B C A B C), so the machine's noise hits every side alike.
// Prints the tables and writes bench/results/realsize.{md,json} (`--out NAME` to change).
//
//   npm run bench:realsize -- [--kinds phi3.5-mini,phi4-mini] [--repeats 2]
//     [--lengths 512,2048,4096] [--decode 8] [--follow-up 4096] [--chunk 256] [--threads N]
//     [--sides engine,bare,transformers.js] [--out NAME]
// A side may name a commit and settings: engine@1a2b3c4 (that commit's engine, checked out beside
// this one: the before of a before/after), /t2 (2 threads), /c512 (prefill chunk), /f16 (float16
// KV), /a8 or /a32 (int8 or float32 activations into the int4 matmuls), e.g.
// --sides engine,engine@main,engine/t2,engine/a32,bare.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatted } from './formatted';
import { checkoutAt } from './realsize/baseline';
import { measureBare } from './realsize/bareSide';
import { measureEngine } from './realsize/engineSide';
import { measureLimits, STREAM_PAIRS, type Limits } from './realsize/limits';
import { modelCost } from './realsize/modelCost';
import { ensureRealsize, REALSIZE_KINDS } from './realsize/replicaFolders';
import { kindTable, summarize, type SideSummary } from './realsize/report';
import { median, parseSide, type SideJob, type SideReport } from './realsize/shared';
import { measureTransformersJs } from './realsize/transformersSide';

const ROOT = path.resolve(__dirname, '..');

function option(name: string, fallback: string): string {
	const at = process.argv.indexOf(`--${name}`);
	return at >= 0 ? process.argv[at + 1] : fallback;
}
const list = (name: string, fallback: string) => option(name, fallback).split(',').filter(Boolean);

/** Per thread count, the median over the repeats' measurements. */
function medianByThreads(repeats: readonly Record<number, number>[]): Record<number, number> {
	return Object.fromEntries(
		Object.keys(repeats[0]).map((w) => [w, median(repeats.map((r) => r[Number(w)]))]),
	);
}

/** "12.3 GB/s with 1 thread(s), …" */
function perThreads(values: Record<number, number>, unit: string): string {
	return Object.entries(values)
		.map(([w, v]) => `${v.toFixed(1)} ${unit} with ${w} thread(s)`)
		.join(', ');
}

async function child(kind: 'job' | 'limits', arg: string): Promise<void> {
	const job = JSON.parse(arg) as SideJob & { hidden: number; intermediate: number };
	let report: unknown;
	if (kind === 'limits') {
		const cores = os.availableParallelism();
		const threads = [...new Set([1, job.threads || cores, cores])].sort((a, b) => a - b);
		report = await measureLimits(threads, job.prefillChunk, job.hidden, job.intermediate);
	} else {
		const measure = {
			engine: measureEngine,
			bare: measureBare,
			'transformers.js': measureTransformersJs,
		};
		try {
			report = await measure[job.side](job);
		} catch (err) {
			const error = err instanceof Error ? err.message.split('\n')[0] : String(err);
			report = {
				label: job.label,
				kind: job.kind,
				loadMs: 0,
				rows: [],
				loadRssMiB: 0,
				peakRssMiB: 0,
				error,
			};
		}
	}
	process.stdout.write(`${JSON.stringify(report)}\n`);
}

function spawnChild(flag: string, payload: object): unknown {
	const result = spawnSync(
		process.execPath,
		['-r', 'esbuild-register', __filename, flag, JSON.stringify(payload)],
		{
			cwd: ROOT,
			encoding: 'utf8',
			maxBuffer: 64 * 2 ** 20,
			stdio: ['ignore', 'pipe', 'inherit'],
		},
	);
	const line = result.stdout?.trim().split('\n').pop() ?? '';
	if (result.status !== 0 || !line.startsWith('{')) {
		throw new Error(
			`realsize: a child (${flag}) failed (exit ${result.status ?? result.signal})`,
		);
	}
	return JSON.parse(line);
}

function originalWindow(folder: string): number {
	const config = JSON.parse(readFileSync(path.join(folder, 'config.json'), 'utf8')) as {
		original_max_position_embeddings: number;
	};
	return config.original_max_position_embeddings;
}

function machine(): string {
	const [one, five] = os.loadavg();
	return `load average ${one.toFixed(2)} / ${five.toFixed(2)} (1 / 5 min), ${(os.freemem() / 2 ** 30).toFixed(1)} GiB free`;
}

async function main(): Promise<void> {
	for (const flag of ['job', 'limits'] as const) {
		const at = process.argv.indexOf(`--${flag}`);
		if (at >= 0) return child(flag, process.argv[at + 1]);
	}
	const kinds = list('kinds', REALSIZE_KINDS.join(','));
	const repeats = Number(option('repeats', '2'));
	const lengths = list('lengths', '512,2048,4096').map(Number);
	const decodeSteps = Number(option('decode', '8'));
	const followUp = Number(option('follow-up', '4096'));
	const prefillChunk = Number(option('chunk', '256'));
	// 0: onnxruntime's default (one thread per physical core), the engine's own default.
	const threads = Number(option('threads', '0'));
	const sides = list('sides', 'engine,bare,transformers.js').map(parseSide);
	const out = option('out', 'realsize');
	const started = new Date();
	const log = (text: string) => process.stderr.write(`realsize: ${text}\n`);
	log(`start: ${machine()}`);

	const folders = Object.fromEntries(kinds.map((k) => [k, ensureRealsize(k)]));
	const roots: Record<string, string> = {};
	for (const ref of new Set(sides.flatMap((s) => (s.ref ? [s.ref] : []))))
		roots[ref] = checkoutAt(ref);
	const jobs = (kind: string): SideJob[] =>
		sides.map((s) => ({
			kind,
			folder: folders[kind],
			lengths,
			decodeSteps,
			followUp,
			side: s.side,
			label: s.label,
			threads: s.threads ?? threads,
			prefillChunk: s.chunk ?? prefillChunk,
			...(s.kvType ? { kvType: s.kvType } : {}),
			...(s.int4Activations ? { int4Activations: s.int4Activations } : {}),
			...(s.ref ? { engineRoot: roots[s.ref] } : {}),
		}));
	// The GEMM shapes of the layers (both kinds share hidden 3072 and intermediate 8192).
	const hf = JSON.parse(readFileSync(path.join(folders[kinds[0]], 'config.json'), 'utf8')) as {
		hidden_size: number;
		intermediate_size: number;
	};
	const config = {
		hidden: hf.hidden_size,
		intermediate: hf.intermediate_size,
		threads,
		prefillChunk,
	};
	const limits: Limits[] = [];
	const reports: SideReport[] = [];
	const loads: string[] = [];
	for (let r = 0; r < repeats; r++) {
		log(`round ${r + 1}/${repeats}: limits (${machine()})`);
		limits.push(spawnChild('--limits', config) as Limits);
		for (const kind of kinds) {
			for (const job of jobs(kind)) {
				loads.push(`${job.label} ${kind} round ${r + 1}: ${machine()}`);
				log(loads[loads.length - 1]);
				reports.push(spawnChild('--job', job) as SideReport);
				const last = reports[reports.length - 1];
				if (last.error) log(`  ${job.label} failed: ${last.error}`);
			}
		}
	}
	const limit: Limits = {
		copyGBps: medianByThreads(limits.map((l) => l.copyGBps)),
		streamGBps: medianByThreads(limits.map((l) => l.streamGBps)),
		streamBytes: limits[0].streamBytes,
		gemm: limits[0].gemm.map((g, i) => ({
			...g,
			gflops: median(limits.map((l) => l.gemm[i].gflops)),
		})),
	};
	const summaries: Record<string, SideSummary[]> = {};
	const sections: string[] = [];
	for (const kind of kinds) {
		const cost = modelCost(folders[kind]);
		const labels = jobs(kind).map((j) => j.label);
		summaries[kind] = labels.map((label) =>
			summarize(
				label,
				reports.filter((r) => r.kind === kind && r.label === label),
			),
		);
		sections.push(
			`## ${kind}`,
			'',
			kindTable(summaries[kind], cost, limit, lengths),
			'',
			...summaries[kind]
				.filter((s) => s.error)
				.map((s) => `- ${s.label} did not run: ${s.error}`),
			...agreement(summaries[kind], lengths, decodeSteps, originalWindow(folders[kind])),
			`- weights ${(cost.weightBytes / 2 ** 30).toFixed(2)} GiB (a decode step reads ${(cost.weightBytesPerStep / 2 ** 30).toFixed(2)} GiB of them), KV ${(cost.kvBytesPerToken / 1024).toFixed(0)} KiB per token; ${(cost.layerFlopsPerToken / 1e9).toFixed(2)} GFLOP per token in the layers' int4 matmuls, ${(cost.lmHeadFlopsPerToken / 1e9).toFixed(2)} in the vocabulary projection`,
			'',
		);
	}
	const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
		cwd: ROOT,
		encoding: 'utf8',
	}).trim();
	const md = [
		`# Real-size benchmark (\`npm run bench:realsize\`)`,
		'',
		`Commit ${commit}, ${started.toISOString()} to ${new Date().toISOString()}; ${os.cpus()[0]?.model ?? 'CPU'} × ${os.availableParallelism()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; onnxruntime intra-op threads ${threads || `onnxruntime's default (one per physical core)`}; prefill chunk ${prefillChunk}; ${decodeSteps} decode steps per length; ${repeats} interleaved repeat(s), medians.`,
		`Command: \`npm run bench:realsize -- ${process.argv.slice(2).join(' ')}\``,
		'',
		`Limits (medians of ${repeats}): copy bandwidth ${perThreads(limit.copyGBps, 'GB/s')} (bytes read + written); int4 MatMulNBits (block 32, accuracy 4) ${limit.gemm.map((g) => `${g.gflops.toFixed(0)} GFLOP/s at ${g.m}×${g.k}×${g.n} on ${g.threads} thread(s)`).join(', ')}; the same kernel for one row through ${STREAM_PAIRS} distinct up/down layer pairs (${(limit.streamBytes / 1e9).toFixed(2)} GB of packed values and scales, larger than any cache) reads ${perThreads(limit.streamGBps, 'GB/s of weights')}. Decode ceiling = the best copy bandwidth / (weights a step reads + KV at that length); prefill ceiling = the layers' int4 matmul work per token at the best GEMM speed (attention and the vocabulary projection not counted); the int4 kernel ceiling = the weights a step reads at the kernel's best streamed one-row rate plus the KV at the copy bandwidth (what decode can reach when the kernel, not memory, limits it).`,
		'',
		...sections,
		'## Machine during the run',
		'',
		...loads.map((l) => `- ${l}`),
		'',
	].join('\n');
	const mdFile = path.join(ROOT, 'bench', 'results', `${out}.md`);
	const pretty = await formatted(md, mdFile);
	process.stdout.write(pretty);
	mkdirSync(path.dirname(mdFile), { recursive: true });
	writeFileSync(mdFile, pretty);
	writeFileSync(
		path.join(ROOT, 'bench', 'results', `${out}.json`),
		`${JSON.stringify({ commit, started, argv: process.argv.slice(2), limits, limit, reports, summaries }, null, 1)}\n`,
	);
}

/**
 * Whether each side's greedy answer matches the first side's, and why they may differ where a
 * request crosses the original window: the engine plans the long set from the first token, the
 * unadapted graph switches caches at that position with the earlier keys rotated by the short set.
 */
function agreement(
	sides: readonly SideSummary[],
	lengths: readonly number[],
	decodeSteps: number,
	originalWindow: number,
): string[] {
	const [engine, ...others] = sides;
	const same = (a?: readonly number[], b?: readonly number[]) =>
		a && b ? (JSON.stringify(a) === JSON.stringify(b) ? 'same' : 'differ') : 'n/a';
	const lines = [
		`- greedy answers vs ${engine.label}: ${others
			.map(
				(o) =>
					`${o.label} ${lengths.map((l) => `${l}: ${same(engine.greedy[l], o.greedy[l])}`).join(', ')}`,
			)
			.join('; ')}`,
	];
	const crossing = lengths.filter((l) => l <= originalWindow && l + decodeSteps > originalWindow);
	const unadapted = others.filter((o) => parseSide(o.label).side !== 'engine');
	if (crossing.length > 0 && unadapted.length > 0) {
		lines.push(
			`- at ${crossing.join(', ')} tokens the prompt and its answer pass the original ${originalWindow}-token window: the engine's plan runs the long factor set from the first token, while the unadapted graph (${unadapted.map((o) => o.label).join(', ')}) prefills with the short set and switches to the long one at position ${originalWindow}, its cached keys still rotated by the short set; their answers may differ there`,
		);
	}
	return lines;
}

main().catch((err: unknown) => {
	process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
	process.exitCode = 1;
});
