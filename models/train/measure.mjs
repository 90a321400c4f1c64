// Measures each model variant in onnxruntime-node: file size, held-out perplexity at the trained window
// (the old corpus's held-out files, and the held-out npm packages' TypeScript/JavaScript/JSON/Markdown),
// top-1 agreement with the fp32 graph, passkey accuracy and workspace-question accuracy (the cited
// path:line, greedy) at the window, prefill and decode speed.
// Prints a markdown table and writes the numbers as JSON.
//
//   node models/train/measure.mjs --build .model-build --baseline DIR --variants NAME=DIR,... --out FILE.json
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { argmax, createCache, openGraph, runChunks } from './ort-graph.mjs';
import { passkeyPrompt, rng } from './passkey.mjs';

const PPL_WINDOWS = 48;
const PASSKEY_TRIALS = 50;
const SPEED_REPEATS = 5;
const DECODE_STEPS = 64;
const WORKSPACE_ANSWER_TOKENS = 40;

function option(name) {
	const at = process.argv.indexOf(`--${name}`);
	if (at < 0) {
		throw new Error(`measure: --${name} is required`);
	}
	return process.argv[at + 1];
}

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)];
}

function logSoftmaxAt(row, target) {
	let max = -Infinity;
	for (const x of row) {
		max = Math.max(max, x);
	}
	let sum = 0;
	for (const x of row) {
		sum += Math.exp(x - max);
	}
	return row[target] - max - Math.log(sum);
}

function tokenFile(build, name) {
	const buf = readFileSync(join(build, 'tokens', name));
	return new Uint16Array(buf.buffer, buf.byteOffset, buf.length / 2);
}

// Evenly spaced windows of held-out tokens, the same for every variant.
function heldOutWindows(build, window, split = 'val') {
	const tokens = tokenFile(build, `${split}.bin`);
	const step = Math.floor((tokens.length - window - 1) / PPL_WINDOWS);
	return Array.from({ length: PPL_WINDOWS }, (_, w) => Array.from(tokens.subarray(w * step, w * step + window + 1)));
}

async function quality(graph, windows, baselineTop1) {
	let nll = 0;
	let count = 0;
	let agree = 0;
	const top1 = [];
	for (const win of windows) {
		const logits = await runChunks(graph, win.slice(0, -1), win.length - 1);
		logits.forEach((row, t) => {
			nll -= logSoftmaxAt(row, win[t + 1]);
			const best = argmax(row);
			top1.push(best);
			if (baselineTop1 && baselineTop1[count] === best) {
				agree++;
			}
			count++;
		});
	}
	return { ppl: Math.exp(nll / count), top1, agreement: baselineTop1 ? agree / count : 1 };
}

async function passkey(graph, tokenizer, window) {
	const random = rng(7);
	const bos = tokenizer.token_to_id('<s>');
	let correct = 0;
	for (let trial = 0; trial < PASSKEY_TRIALS; trial++) {
		const key = 1 + Math.floor(random() * 50000);
		// As many fillers as fit the window, the key at a random depth.
		let fillers = 12;
		let ids;
		const depth = random();
		do {
			fillers--;
			const before = Math.round(depth * fillers);
			ids = [bos, ...tokenizer.encode(passkeyPrompt(before, fillers - before, key), { add_special_tokens: false }).ids];
		} while (ids.length + 8 > window);
		const cache = createCache(graph, ids.length + 8);
		let logits = (await cache.feed(ids)).at(-1);
		const out = [];
		for (let step = 0; step < 8; step++) {
			const next = argmax(logits);
			out.push(next);
			logits = (await cache.feed([next]))[0];
		}
		const answer = tokenizer.decode(out).match(/\d+/)?.[0];
		if (answer === String(key)) {
			correct++;
		}
	}
	return correct / PASSKEY_TRIALS;
}

// The watch workspace questions of retrieval.ts (seeds the training never used): the prompt as the
// extension renders it, greedy decoding to <|end|>, right when the answer cites the expected path:line.
async function workspaceAccuracy(graph, tokenizer, build) {
	const docs = JSON.parse(readFileSync(join(build, 'tokens', 'retrieval.docs.json'), 'utf8')).filter(
		(d) => d.split === 'watch' && d.kind === 'workspace',
	);
	const tokens = tokenFile(build, 'retrieval.bin');
	const end = tokenizer.token_to_id('<|end|>');
	let correct = 0;
	for (const doc of docs) {
		const ids = Array.from(tokens.subarray(doc.offset, doc.offset + doc.length));
		const cite = tokenizer.decode(ids.slice(doc.answer)).match(/[\w./-]+:\d+/)[0];
		const prompt = ids.slice(0, doc.answer);
		const cache = createCache(graph, prompt.length + WORKSPACE_ANSWER_TOKENS);
		let logits = (await cache.feed(prompt)).at(-1);
		const out = [];
		for (let step = 0; step < WORKSPACE_ANSWER_TOKENS; step++) {
			const next = argmax(logits);
			if (next === end) break;
			out.push(next);
			if (step + 1 < WORKSPACE_ANSWER_TOKENS) logits = (await cache.feed([next]))[0];
		}
		const cited = tokenizer.decode(out).match(/[\w./-]+:\d+/)?.[0];
		if (cited === cite) correct++;
	}
	return { workspaceAtWindow: correct / docs.length, workspaceQuestions: docs.length };
}

async function speed(graph, window) {
	const ids = Array.from({ length: window }, (_, i) => 7 + ((i * 31) % 4000));
	const prefill = [];
	const decode = [];
	for (let r = 0; r < SPEED_REPEATS; r++) {
		const cache = createCache(graph, window + DECODE_STEPS);
		let t0 = performance.now();
		await cache.feed(ids);
		prefill.push(window / ((performance.now() - t0) / 1000));
		t0 = performance.now();
		for (let s = 0; s < DECODE_STEPS; s++) {
			await cache.feed([7 + s]);
		}
		decode.push(DECODE_STEPS / ((performance.now() - t0) / 1000));
	}
	return { prefillTokPerS: median(prefill), decodeTokPerS: median(decode) };
}

async function main() {
	const build = option('build');
	const variants = option('variants')
		.split(',')
		.map((pair) => pair.split('='));
	const baselineDir = option('baseline');
	const tokenizer = new Tokenizer(JSON.parse(readFileSync(join(build, 'tokenizer.json'), 'utf8')), {});
	const baseline = await openGraph(baselineDir);
	const window = baseline.config.original_max_position_embeddings;
	const windows = heldOutWindows(build, window);
	const npmWindows = heldOutWindows(build, window, 'heldout');
	const base = await quality(baseline, windows);
	const npmBase = await quality(baseline, npmWindows);
	const rows = [];
	for (const [name, dir] of variants) {
		const graph = await openGraph(dir);
		const q = dir === baselineDir ? base : await quality(graph, windows, base.top1);
		const npm = dir === baselineDir ? npmBase : await quality(graph, npmWindows);
		const row = {
			variant: name,
			sizeBytes: statSync(join(dir, 'model.onnx')).size,
			heldOutPpl: q.ppl,
			npmHeldOutPpl: npm.ppl,
			top1Agreement: q.agreement,
			passkeyAtWindow: await passkey(graph, tokenizer, window),
			...(await workspaceAccuracy(graph, tokenizer, build)),
			...(await speed(graph, window)),
		};
		rows.push(row);
		console.error(`measure: ${JSON.stringify(row)}`);
	}
	const table = [
		`| variant | size (MB) | held-out ppl @${window} | npm held-out ppl @${window} | top-1 agreement with fp32 | passkey @${window} | path:line @${window} | prefill tok/s (${window}) | decode tok/s (${window} cached) |`,
		'|---|---:|---:|---:|---:|---:|---:|---:|---:|',
		...rows.map(
			(r) =>
				`| ${r.variant} | ${(r.sizeBytes / 1e6).toFixed(2)} | ${r.heldOutPpl.toFixed(3)} | ${r.npmHeldOutPpl.toFixed(3)} | ${(100 * r.top1Agreement).toFixed(2)}% | ${(100 * r.passkeyAtWindow).toFixed(0)}% | ${(100 * r.workspaceAtWindow).toFixed(0)}% | ${r.prefillTokPerS.toFixed(0)} | ${r.decodeTokPerS.toFixed(0)} |`,
		),
	].join('\n');
	console.log(table);
	writeFileSync(option('out'), JSON.stringify({ window, pplWindows: PPL_WINDOWS, passkeyTrials: PASSKEY_TRIALS, rows }, null, 1));
}

main().catch((err) => {
	console.error(err.message);
	process.exit(1);
});
