// npm run bench:session — the measurements behind LocalModel's defaults: prefill chunk size,
// onnxruntime intra-op threads and graph optimization level, on the bundled model.
// Prints a markdown table of medians (3 runs each) and writes bench/results/session.md.
import { writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { GraphOptimization } from '../extension/runtime/longropeGraph';
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
}

async function measure(setting: Setting): Promise<{ prefill: number; decode: number }> {
	const model = await LocalModel.load(MODEL, setting);
	const prefill: number[] = [];
	const decode: number[] = [];
	for (let r = 0; r <= RUNS; r++) {
		const conversation = model.openSession();
		const stream = conversation.generate({
			plan: planIds(model, promptIds(PROMPT, r), DECODE + 1),
		});
		let next = await stream.next();
		while (!next.done) next = await stream.next();
		conversation.dispose();
		// The first run warms the session up and is not counted.
		if (r > 0) {
			prefill.push(next.value.prefillTokensPerSecond);
			decode.push(next.value.decodeTokensPerSecond);
		}
	}
	await model.dispose();
	return { prefill: median(prefill), decode: median(decode) };
}

async function main(): Promise<void> {
	const base: Setting = { prefillChunk: 256, intraOpThreads: 0, graphOptimization: 'all' };
	const settings: Setting[] = [
		...[64, 128, 256, 512, 1024].map((prefillChunk) => ({ ...base, prefillChunk })),
		{ ...base, intraOpThreads: 1 },
		{ ...base, intraOpThreads: 2 },
		{ ...base, graphOptimization: 'basic' as const },
		{ ...base, graphOptimization: 'disabled' as const },
	];
	const lines = [
		`Session settings on ${path.relative(ROOT, MODEL)}: ${PROMPT}-token prompt, ${DECODE} decoded tokens, median of ${RUNS} runs. Command: npm run bench:session`,
		'',
		'| prefill chunk | intra-op threads | graph optimization | prefill tok/s | decode tok/s |',
		'|---:|---:|---|---:|---:|',
	];
	for (const setting of settings) {
		const { prefill, decode } = await measure(setting);
		const line = `| ${setting.prefillChunk} | ${setting.intraOpThreads || 'all cores'} | ${setting.graphOptimization} | ${prefill.toFixed(0)} | ${decode.toFixed(0)} |`;
		process.stderr.write(`${line}\n`);
		lines.push(line);
	}
	const md = `${lines.join('\n')}\n`;
	process.stdout.write(md);
	mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
	writeFileSync(path.join(ROOT, 'bench', 'results', 'session.md'), md);
}

main().catch((err: unknown) => {
	process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
	process.exitCode = 1;
});
