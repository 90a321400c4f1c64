// Checks an exported LongRoPE-ready graph in onnxruntime-node against PyTorch's logits (export.py --reference):
// the full sequence in one run, chunked prefill through the cache, and token-by-token decoding.
// With --against DIR the reference logits come from another graph run here instead (a quantized graph
// against its dequantized fp32 twin, which checks the packing of the quantized weights).
//
//   node models/train/verify.mjs MODEL_DIR REFERENCE_JSON [TOLERANCE] [--against DIR]
import { readFileSync } from 'node:fs';
import { openGraph, runChunks } from './ort-graph.mjs';

const args = process.argv.slice(2);
const againstAt = args.indexOf('--against');
const against = againstAt >= 0 ? args.splice(againstAt, 2)[1] : undefined;
const [dir, refPath, tolArg] = args;
const tolerance = Number(tolArg ?? '1e-4');
const ref = JSON.parse(readFileSync(refPath, 'utf8'));
if (against) {
	const twin = await openGraph(against);
	ref.logits = await runChunks(twin, ref.ids, ref.ids.length);
}
const graph = await openGraph(dir);

let failed = false;
for (const [label, chunk] of [
	['full sequence', ref.ids.length],
	['chunked prefill (16)', 16],
	['token-by-token decode', 1],
]) {
	const logits = await runChunks(graph, ref.ids, chunk);
	let diff = 0;
	logits.forEach((row, t) => row.forEach((x, v) => (diff = Math.max(diff, Math.abs(x - ref.logits[t][v])))));
	const ok = diff <= tolerance;
	failed ||= !ok;
	console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}: max |onnx - reference| = ${diff.toExponential(3)} (tolerance ${tolerance})`);
}
process.exit(failed ? 1 : 0);
