// Writes the golden fixture of a model folder: a fixed text's tokens and, per position, the top logits
// that onnxruntime-node gives with chunked prefill and plain RoPE. A unit test recomputes them.
//
//   node models/train/golden.mjs MODEL_DIR OUT.json
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { openGraph, runChunks } from './ort-graph.mjs';

const GOLDEN_TEXT = 'def greet(name):\n    """Say hello."""\n    return f"Hello, {name}!"\n\nThe pass key is 4217. Remember it.';
const TOP = 5;
const CHUNK = 8;

const [dir, out] = process.argv.slice(2);
const tokenizer = new Tokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')), {});
const ids = [tokenizer.token_to_id('<s>'), ...tokenizer.encode(GOLDEN_TEXT, { add_special_tokens: false }).ids];
const graph = await openGraph(dir);
const logits = await runChunks(graph, ids, CHUNK);
const top = logits.map((row) => {
	const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a]).slice(0, TOP);
	return order.map((id) => ({ id, logit: Number(row[id].toFixed(5)) }));
});
writeFileSync(out, JSON.stringify({ model: dir, text: GOLDEN_TEXT, chunk: CHUNK, ids, top }, null, '\t') + '\n');
console.error(`golden: ${ids.length} positions written to ${out}`);
