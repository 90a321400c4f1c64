import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { loadOnnxRuntime } from '../../../extension/runtime/onnxRuntime';
import { FIXTURES } from '../helpers/fixtures';

// The ORT-genai replicas (test/replicas/make_replicas.py) run as published, with a plain
// InferenceSession fed the way ORT-genai feeds them, against reference.json
// (test/reference/phi3_reference.py: numpy float64, Hugging Face Phi-3 semantics).

const REPLICAS = path.join(FIXTURES, 'replicas');
const REPORT = process.env.REPLICA_REPORT === '1';

/** Largest logit error of an accuracy_level 0 replica against the float64 reference (measured ≤ 1.3e-5). */
const EXACT = 1e-4;

interface ReferenceSequence {
	name: string;
	factorSet: string;
	tokens: number[];
	argmax: number[];
	logsumexp: number[];
	targetLogit: number[];
	perplexity: number;
	rows: Record<string, number[]>;
}

interface ReferenceKind {
	originalMaxPositionEmbeddings: number;
	vocabSize: number;
	sequences: ReferenceSequence[];
}

const reference = JSON.parse(readFileSync(path.join(REPLICAS, 'reference.json'), 'utf8')) as {
	kinds: Record<string, ReferenceKind>;
};

function sequence(kind: string, name: string): ReferenceSequence {
	const found = reference.kinds[kind].sequences.find((s) => s.name === name);
	if (!found) throw new Error(`reference.json has no ${name} sequence for ${kind}`);
	return found;
}

/** A replica folder behind a plain session: attention_mask of ones, past grown from empty. */
class Replica {
	private constructor(
		private readonly ort: typeof Ort,
		private readonly session: Ort.InferenceSession,
		private readonly layers: number,
		private readonly kvHeads: number,
		private readonly headSize: number,
		readonly vocab: number,
	) {}

	static async open(folder: string): Promise<Replica> {
		const ort = await loadOnnxRuntime();
		const genai = JSON.parse(
			readFileSync(path.join(REPLICAS, folder, 'genai_config.json'), 'utf8'),
		) as {
			model: {
				vocab_size: number;
				decoder: {
					num_hidden_layers: number;
					num_key_value_heads: number;
					head_size: number;
				};
			};
		};
		const d = genai.model.decoder;
		const session = await ort.InferenceSession.create(
			path.join(REPLICAS, folder, 'model.onnx'),
		);
		return new Replica(
			ort,
			session,
			d.num_hidden_layers,
			d.num_key_value_heads,
			d.head_size,
			genai.model.vocab_size,
		);
	}

	/** Logits [tokens.length × vocab] of feeding `chunks` (lengths summing to tokens.length) in turn. */
	async logits(tokens: number[], chunks: number[]): Promise<Float32Array> {
		const out = new Float32Array(tokens.length * this.vocab);
		let past: Record<string, Ort.Tensor> = {};
		for (let i = 0; i < this.layers; i++) {
			for (const kind of ['key', 'value']) {
				past[`past_key_values.${i}.${kind}`] = new this.ort.Tensor(
					'float32',
					new Float32Array(0),
					[1, this.kvHeads, 0, this.headSize],
				);
			}
		}
		let start = 0;
		for (const length of chunks) {
			const ids = BigInt64Array.from(tokens.slice(start, start + length), (t) => BigInt(t));
			const results = await this.session.run({
				input_ids: new this.ort.Tensor('int64', ids, [1, length]),
				attention_mask: new this.ort.Tensor(
					'int64',
					new BigInt64Array(start + length).fill(1n),
					[1, start + length],
				),
				...past,
			});
			out.set(results.logits.data as Float32Array, start * this.vocab);
			past = {};
			for (let i = 0; i < this.layers; i++) {
				for (const kind of ['key', 'value'])
					past[`past_key_values.${i}.${kind}`] = results[`present.${i}.${kind}`];
			}
			start += length;
		}
		return out;
	}
}

interface Measured {
	logsumexp: number[];
	targetLogit: number[];
	argmax: number[];
	perplexity: number;
}

function measure(logits: Float32Array, tokens: number[], vocab: number): Measured {
	const m: Measured = { logsumexp: [], targetLogit: [], argmax: [], perplexity: 0 };
	let nll = 0;
	for (let t = 0; t < tokens.length; t++) {
		const row = logits.subarray(t * vocab, (t + 1) * vocab);
		let best = 0;
		for (let v = 1; v < vocab; v++) if (row[v] > row[best]) best = v;
		let sum = 0;
		for (let v = 0; v < vocab; v++) sum += Math.exp(row[v] - row[best]);
		const lse = row[best] + Math.log(sum);
		m.logsumexp.push(lse);
		m.argmax.push(best);
		if (t + 1 < tokens.length) {
			m.targetLogit.push(row[tokens[t + 1]]);
			nll += lse - row[tokens[t + 1]];
		}
	}
	m.perplexity = Math.exp(nll / (tokens.length - 1));
	return m;
}

/** Largest |graph − reference| over the positions [from, to): logsumexp, target logits and full rows. */
function maxError(
	logits: Float32Array,
	ref: ReferenceSequence,
	vocab: number,
	from: number,
	to: number,
): number {
	const m = measure(logits, ref.tokens, vocab);
	let worst = 0;
	for (let t = from; t < to; t++) {
		worst = Math.max(worst, Math.abs(m.logsumexp[t] - ref.logsumexp[t]));
		if (t < ref.targetLogit.length)
			worst = Math.max(worst, Math.abs(m.targetLogit[t] - ref.targetLogit[t]));
	}
	for (const [position, row] of Object.entries(ref.rows)) {
		const t = Number(position);
		if (t < from || t >= to) continue;
		for (let v = 0; v < vocab; v++)
			worst = Math.max(worst, Math.abs(logits[t * vocab + v] - row[v]));
	}
	return worst;
}

function report(line: string): void {
	if (REPORT) console.log(`      ${line}`);
}

const ones = (n: number): number[] => Array.from({ length: n }, () => 1);

describe('ORT-genai replica graphs against the Hugging Face reference', function () {
	this.timeout(60_000);

	for (const kind of ['phi3-128k', 'phi4-mini', 'plain']) {
		it(`${kind}: a prefill of the short sequence gives the reference logits`, async () => {
			const replica = await Replica.open(kind);
			const ref = sequence(kind, 'short');
			const logits = await replica.logits(ref.tokens, [ref.tokens.length]);
			const err = maxError(logits, ref, replica.vocab, 0, ref.tokens.length);
			report(`${kind} short prefill: max |diff| ${err.toExponential(2)}`);
			assert.ok(err <= EXACT, `max |diff| ${err}`);
			assert.deepEqual(measure(logits, ref.tokens, replica.vocab).argmax, ref.argmax);
		});

		it(`${kind}: chunked prefill and token-by-token decode of the short sequence agree with it too`, async () => {
			const replica = await Replica.open(kind);
			const ref = sequence(kind, 'short');
			for (const chunks of [
				[40, 24],
				[16, ...ones(48)],
			]) {
				const err = maxError(
					await replica.logits(ref.tokens, chunks),
					ref,
					replica.vocab,
					0,
					ref.tokens.length,
				);
				assert.ok(
					err <= EXACT,
					`chunks ${chunks.slice(0, 3).join(',')}…: max |diff| ${err}`,
				);
			}
		});
	}

	for (const kind of ['phi3-128k', 'phi4-mini']) {
		const window = reference.kinds[kind].originalMaxPositionEmbeddings;

		it(`${kind}: the long sequence prefilled in one go gives the long-regime logits (the If picks the long caches)`, async () => {
			const replica = await Replica.open(kind);
			const ref = sequence(kind, 'long');
			assert.equal(ref.factorSet, 'long');
			assert.ok(ref.tokens.length > window);
			const logits = await replica.logits(ref.tokens, [ref.tokens.length]);
			const err = maxError(logits, ref, replica.vocab, 0, ref.tokens.length);
			report(`${kind} long prefill: max |diff| ${err.toExponential(2)}`);
			assert.ok(err <= EXACT, `max |diff| ${err}`);
		});

		it(`${kind}: decoding across the window reuses short-set keys under the long set and misses the reference`, async () => {
			const replica = await Replica.open(kind);
			const short = sequence(kind, 'short');
			const long = sequence(kind, 'long');
			assert.deepEqual(
				long.tokens.slice(0, window),
				short.tokens,
				'the long sequence extends the short one',
			);
			const prompt = 40;
			const logits = await replica.logits(long.tokens, [
				prompt,
				...ones(long.tokens.length - prompt),
			]);
			// Up to the window the short set is right, and the cache is consistent with it.
			const before = maxError(
				logits.subarray(0, window * replica.vocab),
				short,
				replica.vocab,
				0,
				window,
			);
			assert.ok(before <= EXACT, `before the crossing: max |diff| ${before}`);
			// Past it the If hands out the long caches, but keys 0..window-1 stay rotated by the short set.
			const after = maxError(logits, long, replica.vocab, window, long.tokens.length);
			const m = measure(logits, long.tokens, replica.vocab);
			const agree = m.argmax
				.slice(window)
				.filter((a, i) => a === long.argmax[window + i]).length;
			report(
				`${kind} decode across the crossing: max |diff| after it ${after.toFixed(3)}, ` +
					`top-1 agreement ${agree}/${long.tokens.length - window}, ` +
					`perplexity ${m.perplexity.toFixed(2)} vs reference ${long.perplexity.toFixed(2)}`,
			);
			assert.ok(
				after > 1,
				`after the crossing the stale keys should show: max |diff| ${after}`,
			);
			assert.ok(
				agree < long.tokens.length - window,
				'some greedy tokens after the crossing should change',
			);
		});
	}

	it('plain: the full sequence, prefilled or decoded token by token, gives the reference logits', async () => {
		const replica = await Replica.open('plain');
		const ref = sequence('plain', 'full');
		for (const chunks of [[ref.tokens.length], [40, ...ones(ref.tokens.length - 40)]]) {
			const err = maxError(
				await replica.logits(ref.tokens, chunks),
				ref,
				replica.vocab,
				0,
				ref.tokens.length,
			);
			report(`plain full, ${chunks.length} run(s): max |diff| ${err.toExponential(2)}`);
			assert.ok(err <= EXACT, `${chunks.length} run(s): max |diff| ${err}`);
		}
	});

	for (const kind of ['phi3-128k', 'phi4-mini', 'plain']) {
		it(`${kind}-acc4: accuracy_level 4 keeps top-1 and perplexity within 1% of the reference`, async () => {
			const replica = await Replica.open(`${kind}-acc4`);
			for (const ref of reference.kinds[kind].sequences) {
				const logits = await replica.logits(ref.tokens, [ref.tokens.length]);
				const m = measure(logits, ref.tokens, replica.vocab);
				const agree =
					m.argmax.filter((a, i) => a === ref.argmax[i]).length / ref.argmax.length;
				const drift = Math.abs(m.perplexity / ref.perplexity - 1);
				report(
					`${kind}-acc4 ${ref.name}: top-1 ${(agree * 100).toFixed(1)}%, perplexity ${m.perplexity.toFixed(3)} ` +
						`vs ${ref.perplexity.toFixed(3)} (${(drift * 100).toFixed(2)}%), ` +
						`max |diff| ${maxError(logits, ref, replica.vocab, 0, ref.tokens.length).toFixed(3)}`,
				);
				assert.ok(agree >= 0.95, `${ref.name}: top-1 agreement ${agree}`);
				assert.ok(
					drift <= 0.01,
					`${ref.name}: perplexity ${m.perplexity} vs ${ref.perplexity}`,
				);
			}
		});
	}
});
