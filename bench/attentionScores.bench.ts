// npm run bench:attention — a decode step's attention scores against the past keys, as the
// adapted GenAI graph computes them (attentionRewrite.ts): FusedMatMul of the queries
// [1, kv heads, group, head] with the cached keys [1, kv heads, capacity, head] transposed, with
// the 1/√head scale in the matmul (alpha) or already on the queries (alpha 1). Rounds interleave
// the two; each timing runs one node per layer over distinct key buffers larger than any cache,
// as a step reads them. Prints and writes bench/results/attention-scores.md.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ATTR_INT, ONNX_FLOAT, type AttributeProto } from '../extension/runtime/genai/onnxProto';
import { loadOnnxRuntime } from '../extension/runtime/onnxRuntime';
import { probeModel, value } from './probeGraphs';
import { median } from './realsize/shared';

const ATTR_FLOAT = 1;
const SHAPES = [
	{ model: 'Phi-3.5-mini', layers: 32, kvHeads: 32, group: 1, head: 96 },
	{ model: 'Phi-4-mini', layers: 32, kvHeads: 8, group: 3, head: 128 },
];
const CAPACITIES = [2048, 4096, 8192];
const ROUNDS = 7;
/** Distinct key buffers cycled through, so that each run reads its keys from memory. */
const BUFFERS = 8;
const SIDES = ['scale in the matmul (alpha)', 'scale on the queries (alpha 1)'] as const;

function scoresGraph(kvHeads: number, group: number, head: number, alpha: boolean): Uint8Array {
	const attribute: AttributeProto[] = [{ name: 'transB', type: ATTR_INT, i: 1 }];
	if (alpha) attribute.push({ name: 'alpha', type: ATTR_FLOAT, f: 1 / Math.sqrt(head) });
	return probeModel({
		name: 'scores',
		node: [
			{
				opType: 'FusedMatMul',
				domain: 'com.microsoft',
				name: 'scores',
				input: ['queries', 'keys'],
				output: ['scores'],
				attribute,
			},
		],
		input: [
			value('queries', ONNX_FLOAT, [1, kvHeads, group, head]),
			value('keys', ONNX_FLOAT, [1, kvHeads, 'capacity', head]),
		],
		output: [value('scores', ONNX_FLOAT, [1, kvHeads, group, 'capacity'])],
	});
}

async function main(): Promise<void> {
	const ort = await loadOnnxRuntime();
	const rows: string[] = [];
	for (const shape of SHAPES) {
		const { kvHeads, group, head, layers } = shape;
		const sessions = await Promise.all(
			[true, false].map((alpha) =>
				ort.InferenceSession.create(scoresGraph(kvHeads, group, head, alpha), {
					executionProviders: ['cpu'],
				}),
			),
		);
		const queries = new ort.Tensor(
			'float32',
			Float32Array.from({ length: kvHeads * group * head }, (_, i) => Math.sin(i)),
			[1, kvHeads, group, head],
		);
		for (const capacity of CAPACITIES) {
			const keys = Array.from({ length: BUFFERS }, (_, b) =>
				Float32Array.from({ length: kvHeads * capacity * head }, (_, i) => Math.cos(i + b)),
			);
			const times: number[][] = SIDES.map(() => []);
			const outputs: Float32Array[] = [];
			for (let round = 0; round <= ROUNDS; round++) {
				for (let side = 0; side < SIDES.length; side++) {
					const started = performance.now();
					for (let layer = 0; layer < layers; layer++) {
						const out = await sessions[side].run({
							queries,
							keys: new ort.Tensor('float32', keys[layer % BUFFERS], [
								1,
								kvHeads,
								capacity,
								head,
							]),
						});
						if (layer === 0) outputs[side] = out.scores.data as Float32Array;
					}
					// Round 0 warms up.
					if (round > 0) times[side].push((performance.now() - started) / layers);
				}
			}
			// The two sides compute the same scores up to rounding (checked, not timed).
			const [a, b] = outputs;
			const scale = 1 / Math.sqrt(head);
			const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i] * scale)), 0);
			const [withAlpha, withoutAlpha] = times.map(median);
			const gbps = (ms: number) => (kvHeads * capacity * head * 4) / (ms * 1e6);
			rows.push(
				`| ${shape.model} | ${capacity} | ${withAlpha.toFixed(2)} (${gbps(withAlpha).toFixed(1)} GB/s) | ${withoutAlpha.toFixed(2)} (${gbps(withoutAlpha).toFixed(1)} GB/s) | ${(withAlpha / withoutAlpha).toFixed(2)}× | ${worst.toExponential(1)} |`,
			);
			console.log(rows[rows.length - 1]);
		}
		await Promise.all(sessions.map((s) => s.release()));
	}
	const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
		encoding: 'utf8',
	}).trim();
	const report = [
		'# Decode attention scores against the past keys (`npm run bench:attention`)',
		'',
		`Commit ${commit}, ${new Date().toISOString()}; ${os.cpus()[0]?.model ?? 'CPU'} × ${os.availableParallelism()}; onnxruntime's default intra-op threads; ${ROUNDS} interleaved rounds after one warm-up, medians of ms per layer (one query row per query head, keys read from ${BUFFERS} distinct buffers).`,
		'',
		`| model shape | cached keys | ${SIDES[0]} ms | ${SIDES[1]} ms | ratio | largest difference |`,
		'| --- | ---: | ---: | ---: | ---: | ---: |',
		...rows,
		'',
		"GB/s: the keys' bytes read per second. Largest difference: alpha's scores against the other's times the scale, one layer, in float32.",
		'',
	].join('\n');
	const out = path.join(__dirname, 'results', 'attention-scores.md');
	writeFileSync(out, report);
	console.log(`\nwritten ${path.relative(process.cwd(), out)}`);
}

main().catch((err: unknown) => {
	console.error(err);
	process.exitCode = 1;
});
