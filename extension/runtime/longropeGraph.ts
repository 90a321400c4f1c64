import type * as Ort from 'onnxruntime-node';
import type { RotaryTables } from '../engine/rotaryTables';
import { cpuSessionOptions, type GraphOptimization } from './cpuSession';
import { KvCache, type KvShape } from './kvCache';
import { loadOnnxRuntime } from './onnxRuntime';

/** What the config says the graph must look like (models/README.md fixes the names). */
export interface GraphShape extends KvShape {
	readonly vocabSize: number;
}

export interface GraphOptions {
	/** onnxruntime's intra-op threads; 0 or undefined: one per physical core. */
	readonly intraOpThreads?: number;
	readonly graphOptimization?: GraphOptimization;
	/** Whether onnxruntime's worker threads spin between operators (default yes: cpuSession.ts). */
	readonly spinning?: boolean;
}

export const pastKeyName = (layer: number) => `past_key_values.${layer}.key`;
export const pastValueName = (layer: number) => `past_key_values.${layer}.value`;
export const presentKeyName = (layer: number) => `present.${layer}.key`;
export const presentValueName = (layer: number) => `present.${layer}.value`;

/** The names a LongRoPE-ready graph with `layers` layers has, inputs and outputs. */
export function expectedGraphNames(layers: number): { inputs: string[]; outputs: string[] } {
	const inputs = ['input_ids', 'rope_cos', 'rope_sin'];
	const outputs = ['logits'];
	for (let l = 0; l < layers; l++) {
		inputs.push(pastKeyName(l), pastValueName(l));
		outputs.push(presentKeyName(l), presentValueName(l));
	}
	return { inputs, outputs };
}

/**
 * One ONNX session of a LongRoPE-ready graph: the caller supplies the rotary tables for the
 * positions it feeds, and the cache's filled prefix is passed as a view, never copied.
 */
export class LongropeGraph {
	private constructor(
		private readonly ort: typeof Ort,
		private readonly session: Ort.InferenceSession,
		readonly shape: GraphShape,
	) {}

	static async open(
		modelFile: string,
		shape: GraphShape,
		options: GraphOptions = {},
	): Promise<LongropeGraph> {
		const ort = await loadOnnxRuntime();
		let session: Ort.InferenceSession;
		try {
			session = await ort.InferenceSession.create(
				modelFile,
				cpuSessionOptions(
					options.intraOpThreads ?? 0,
					options.graphOptimization,
					options.spinning,
				),
			);
		} catch (err) {
			throw new Error(
				`${modelFile} is not a loadable ONNX model: ${err instanceof Error ? err.message : String(err)}`,
			);
		}
		const expected = expectedGraphNames(shape.layers);
		const problems = [
			...describeNameMismatch('inputs', expected.inputs, session.inputNames),
			...describeNameMismatch('outputs', expected.outputs, session.outputNames),
		];
		if (problems.length === 0) problems.push(...describeShapeMismatch(session, shape));
		if (problems.length > 0) {
			await session.release();
			throw new Error(
				`${modelFile} is not a LongRoPE-ready graph for ${shape.layers} layers: ${problems.join('; ')}`,
			);
		}
		return new LongropeGraph(ort, session, shape);
	}

	/** Runs `ids` at positions cache.length …; appends their keys/values to the cache and returns logits [ids.length × vocab]. */
	async forward(
		ids: readonly number[],
		tables: RotaryTables,
		cache: KvCache,
	): Promise<Float32Array> {
		const { ort, shape } = this;
		const past = cache.length;
		if (ids.length === 0) throw new Error('forward: no tokens to run');
		if (
			tables.start !== past ||
			tables.count !== ids.length ||
			tables.pairs !== shape.headDim / 2
		) {
			throw new Error(
				`forward: rotary tables cover positions ${tables.start}…${tables.start + tables.count - 1} with ${tables.pairs} pairs, ` +
					`but the tokens sit at ${past}…${past + ids.length - 1} with ${shape.headDim / 2} pairs`,
			);
		}
		const feeds: Record<string, Ort.Tensor> = {
			input_ids: new ort.Tensor(
				'int64',
				BigInt64Array.from(ids, (id) => BigInt(id)),
				[1, ids.length],
			),
			rope_cos: new ort.Tensor('float32', tables.cos, [tables.count, tables.pairs]),
			rope_sin: new ort.Tensor('float32', tables.sin, [tables.count, tables.pairs]),
		};
		const kvDims = [1, past, shape.kvHeads, shape.headDim];
		for (let l = 0; l < shape.layers; l++) {
			const prefix = cache.prefix(l);
			feeds[pastKeyName(l)] = new ort.Tensor('float32', prefix.keys, kvDims);
			feeds[pastValueName(l)] = new ort.Tensor('float32', prefix.values, kvDims);
		}
		const out = await this.session.run(feeds);
		for (let l = 0; l < shape.layers; l++) {
			cache.write(
				l,
				out[presentKeyName(l)].data as Float32Array,
				out[presentValueName(l)].data as Float32Array,
			);
		}
		cache.commit(ids.length);
		return out.logits.data as Float32Array;
	}

	async dispose(): Promise<void> {
		await this.session.release();
	}
}

/** Fixed dimensions of the graph that must agree with the config (symbolic ones are free). */
function describeShapeMismatch(session: Ort.InferenceSession, shape: GraphShape): string[] {
	const checks: [string, number, number, string][] = [
		['rope_cos', 1, shape.headDim / 2, 'head_dim/2'],
		[pastKeyName(0), 2, shape.kvHeads, 'num_key_value_heads'],
		[pastKeyName(0), 3, shape.headDim, 'head_dim'],
		['logits', 2, shape.vocabSize, 'vocab_size'],
	];
	const metadata = [...session.inputMetadata, ...session.outputMetadata];
	const problems: string[] = [];
	for (const [name, axis, expected, field] of checks) {
		const meta = metadata.find((m) => m.name === name);
		const dim = meta?.isTensor ? meta.shape[axis] : undefined;
		if (typeof dim === 'number' && dim !== expected) {
			problems.push(
				`${name} has ${dim} at axis ${axis} but the config's ${field} is ${expected}`,
			);
		}
	}
	return problems;
}

function describeNameMismatch(
	kind: string,
	expected: readonly string[],
	actual: readonly string[],
): string[] {
	const missing = expected.filter((name) => !actual.includes(name));
	const extra = actual.filter((name) => !expected.includes(name));
	const problems: string[] = [];
	if (missing.length > 0) problems.push(`missing ${kind} ${missing.join(', ')}`);
	if (extra.length > 0) problems.push(`unexpected ${kind} ${extra.join(', ')}`);
	return problems;
}
