// npm run bench:session — the measurements behind LocalModel's defaults: prefill chunk size,
// onnxruntime intra-op threads and graph optimization level, on the bundled model.
// Prints a markdown table of medians (3 interleaved runs each) and writes bench/results/session.md.
import { writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GraphOptimization } from '../extension/runtime/cpuSession';
import { planIds } from '../extension/engine/model/requestPlan';
import { LocalModel } from '../extension/runtime/localModel';
import { median, promptIds } from './runtime/shared';

const ROOT = path.resolve(__dirname, '..');
const MODEL = path.join(ROOT, 'models', process.env.LONGROPE_BENCH_MODEL ?? 'longrope-tiny');
const PROMPT = 2048;
const DECODE = 32;
const RUNS = 3;

interface Setting {
	readonly prefillChunk: number;
	readonly intraOpThreads: number;
	readonly graphOptimization: GraphOptimization;
	readonly spinning: boolean;
}

/** One request: a fresh conversation, the prompt prefilled, DECODE tokens decoded. */
async function once(model: LocalModel, seed: number): Promise<{ prefill: number; decode: number }> {
	const conversation = model.openSession();
	const stream = conversation.generate({
		plan: planIds(model, promptIds(PROMPT, seed), DECODE + 1),
	});
	let next = await stream.next();
	while (!next.done) next = await stream.next();
	conversation.dispose();
	return { prefill: next.value.prefillTokensPerSecond, decode: next.value.decodeTokensPerSecond };
}

async function main(): Promise<void> {
	const base: Setting = {
		prefillChunk: 256,
		intraOpThreads: 0,
		graphOptimization: 'all',
		spinning: false,
	};
	const settings: Setting[] = [
		...[64, 128, 256, 512, 1024].map((prefillChunk) => ({ ...base, prefillChunk })),
		{ ...base, intraOpThreads: 1 },
		{ ...base, spinning: true },
		{ ...base, intraOpThreads: 1, spinning: true },
		{ ...base, graphOptimization: 'basic' as const },
		{ ...base, graphOptimization: 'disabled' as const },
	];
	// Every setting's session is open at once and the runs are interleaved (one request of each
	// setting per round), so that the machine's noise hits every setting alike.
	const models = await Promise.all(settings.map((setting) => LocalModel.load(MODEL, setting)));
	const runs = settings.map(() => ({ prefill: [] as number[], decode: [] as number[] }));
	for (let round = 0; round <= RUNS; round++) {
		for (const [i, model] of models.entries()) {
			const { prefill, decode } = await once(model, round);
			// The first round warms each session up and is not counted.
			if (round > 0) {
				runs[i].prefill.push(prefill);
				runs[i].decode.push(decode);
			}
		}
	}
	await Promise.all(models.map((model) => model.dispose()));
	const lines = [
		`Session settings on ${path.relative(ROOT, MODEL)}: ${PROMPT}-token prompt, ${DECODE} decoded tokens, median of ${RUNS} interleaved runs; ${os.cpus().length} cores, load average at the end ${os
			.loadavg()
			.map((x) => x.toFixed(2))
			.join(' / ')}. Command: npm run bench:session`,
		'',
		'| prefill chunk | intra-op threads | threads spin | graph optimization | prefill tok/s | decode tok/s |',
		'|---:|---:|---|---|---:|---:|',
	];
	settings.forEach((setting, i) => {
		lines.push(
			`| ${setting.prefillChunk} | ${setting.intraOpThreads || 'one per core'} | ${setting.spinning ? 'yes' : 'no'} | ${setting.graphOptimization} | ${median(runs[i].prefill).toFixed(0)} | ${median(runs[i].decode).toFixed(0)} |`,
		);
	});
	const md = `${lines.join('\n')}\n`;
	process.stdout.write(md);
	mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
	writeFileSync(path.join(ROOT, 'bench', 'results', 'session.md'), md);
}

main().catch((err: unknown) => {
	process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
	process.exitCode = 1;
});
