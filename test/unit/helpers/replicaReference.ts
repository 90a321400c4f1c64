import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { loadOnnxRuntime } from '../../../extension/runtime/onnxRuntime';
import { FIXTURES } from './fixtures';

/**
 * reference.json of the ORT-genai replicas (test/replicas/README.md): logits of a float64 numpy
 * forward written from Hugging Face's modeling_phi3, never from the graph.
 */
export const REPLICAS = path.join(FIXTURES, 'replicas');

/** Largest logit error of an accuracy_level 0 replica against the float64 reference (measured ≤ 1.3e-5). */
export const EXACT = 1e-4;

export interface ReferenceSequence {
	name: string;
	factorSet: string;
	tokens: number[];
	argmax: number[];
	logsumexp: number[];
	targetLogit: number[];
	perplexity: number;
	rows: Record<string, number[]>;
}

export interface ReferenceKind {
	originalMaxPositionEmbeddings: number;
	vocabSize: number;
	sequences: ReferenceSequence[];
}

export const reference = JSON.parse(
	readFileSync(path.join(REPLICAS, 'reference.json'), 'utf8'),
) as {
	kinds: Record<string, ReferenceKind>;
};

export function sequence(kind: string, name: string): ReferenceSequence {
	const found = reference.kinds[kind].sequences.find((s) => s.name === name);
	if (!found) throw new Error(`reference.json has no ${name} sequence for ${kind}`);
	return found;
}

export interface Measured {
	logsumexp: number[];
	targetLogit: number[];
	argmax: number[];
	perplexity: number;
}

export function measure(logits: Float32Array, tokens: number[], vocab: number): Measured {
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
export function maxError(
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

export const ones = (n: number): number[] => Array.from({ length: n }, () => 1);

/** A replica folder behind a plain session: attention_mask of ones, past grown from empty. */
export class Replica {
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
