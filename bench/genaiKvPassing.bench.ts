// node -r esbuild-register bench/genaiKvPassing.bench.ts — how to pass the KV cache to an adapted
// ORT-genai graph, measured on the phi4-mini replica (2 layers, 2 KV heads of 64: 2 KiB per token).
// The caches are inputs after adaptation, so the replica runs far past its 512-token context.
// Per cached length P, the median of a few decode steps (1 token at position P) for:
//   grow:     past [1, kv, P, head] in, present [P+1] fetched and fed back (ORT-genai without
//             past_present_share_buffer);
//   capacity: past = a [CAP] buffer, present fetched unbound: GQA copies the valid rows into a
//             fresh [CAP] present, which becomes the next past;
//   bound:    past = one [CAP] buffer per layer and side, the same tensors bound as the present
//             outputs: GQA writes the new row in place (ORT-genai's share-buffer mode).
// A quick probe on a shared machine, not a benchmark. PROBE_LENGTHS, PROBE_STEPS override.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { adaptGenaiGraph, openAdaptedSession } from '../extension/runtime/genai/adaptGraph';
import { layerName, readGenaiFolder } from '../extension/runtime/genai/genaiFolder';
import { loadOnnxRuntime } from '../extension/runtime/onnxRuntime';
import { median } from './runtime/shared';

const FOLDER = path.resolve(__dirname, '../test/fixtures/replicas/phi4-mini');
const LENGTHS = (process.env.PROBE_LENGTHS ?? '256,4096,16384').split(',').map(Number);
const STEPS = Number(process.env.PROBE_STEPS ?? 7);
const PAIRS = 24;

type Mode = 'grow' | 'capacity' | 'bound';

async function main(): Promise<void> {
	const ort = await loadOnnxRuntime();
	const folder = await readGenaiFolder(FOLDER);
	const work = mkdtempSync(path.join(tmpdir(), 'genai-kv-'));
	try {
		const session = await openAdaptedSession(await adaptGenaiGraph(folder, work), {
			intraOpNumThreads: 1,
		});
		const { layers, kvHeads, headSize } = folder;
		const names: string[] = [];
		for (let l = 0; l < layers; l++) {
			names.push(layerName(folder.names.pastKey, l), layerName(folder.names.pastValue, l));
		}
		const presentOf = (past: string) => past.replace('past_key_values', 'present');
		const kv = (rows: number) =>
			new ort.Tensor('float32', new Float32Array(rows * kvHeads * headSize), [
				1,
				kvHeads,
				rows,
				headSize,
			]);
		const step = async (mode: Mode, pastRows: number, cap: number, past: Ort.Tensor[]) => {
			const total = pastRows + 1;
			const rows = total;
			const feeds: Record<string, Ort.Tensor> = {
				input_ids: new ort.Tensor('int64', BigInt64Array.of(7n), [1, 1]),
				attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [
					1,
					total,
				]),
				cos_cache: new ort.Tensor('float32', new Float32Array(rows * PAIRS).fill(1), [
					rows,
					PAIRS,
				]),
				sin_cache: new ort.Tensor('float32', new Float32Array(rows * PAIRS), [rows, PAIRS]),
			};
			names.forEach((name, i) => (feeds[name] = past[i]));
			const fetches: Record<string, Ort.Tensor | null> = { logits: null };
			names.forEach(
				(name, i) => (fetches[presentOf(name)] = mode === 'bound' ? past[i] : null),
			);
			const started = performance.now();
			const out = await session.run(feeds, fetches);
			const ms = performance.now() - started;
			const next = mode === 'bound' ? past : names.map((n) => out[presentOf(n)]);
			if (mode !== 'grow' && next[0].dims[2] !== cap) throw new Error('capacity changed');
			return { ms, next };
		};
		console.log(`phi4-mini replica, ${STEPS} decode steps per cell, 1 thread (median ms)`);
		console.log('| cached P | KV MiB at P+16 | grow | capacity | bound |');
		console.log('|---:|---:|---:|---:|---:|');
		for (const length of LENGTHS) {
			const cap = length + 16;
			const cells: string[] = [];
			for (const mode of ['grow', 'capacity', 'bound'] as Mode[]) {
				let past: Ort.Tensor[] = names.map(() => kv(mode === 'grow' ? length : cap));
				const times: number[] = [];
				for (let s = 0; s <= STEPS; s++) {
					const r = await step(mode, length + s, cap, past);
					if (s > 0) times.push(r.ms);
					past = r.next;
				}
				cells.push(median(times).toFixed(2));
			}
			const mib = (2 * layers * cap * kvHeads * headSize * 4) / 2 ** 20;
			console.log(`| ${length} | ${mib.toFixed(1)} | ${cells.join(' | ')} |`);
		}
		await session.release();
	} finally {
		rmSync(work, { recursive: true, force: true });
	}
}

void main();
