import { layerName, type GenaiNames } from './genaiFolder';
import { newRowsName } from './graphOutputs';
import { GraphShapeError, attribute, intAttribute } from './onnxGraph';
import {
	ATTR_INT,
	ONNX_FLOAT,
	ONNX_INT64,
	type AttributeProto,
	type GraphProto,
	type NodeProto,
	type TensorProto,
	type ValueInfo,
} from './onnxProto';
import { COS_CACHE_INPUT, SIN_CACHE_INPUT, type AttentionNodes } from './rotaryCaches';

const PREFIX = '/longrope/attention';
const ATTR_INTS = 7;
/** GroupQueryAttention inputs past 8 (position ids, attention bias, head sink) change its math. */
const LAST_KNOWN_INPUT = 8;

/**
 * Replaces each GroupQueryAttention with the same attention in plain ops that read the past
 * keys and values where they lie: the graph inputs, i.e. the runtime's own cache buffers
 * [1, kv_heads, capacity, head_size], which onnxruntime reads without copying. The op itself
 * copies the whole past into a new present on every run unless that present is bound to the
 * past's buffer, and onnxruntime-node copies every bound output out again after the run; so a
 * decode step cost three passes over the cache instead of one (bench/results/realsize.md).
 *
 * Per layer: the packed projection is split into q, k and v; q and k are rotated by
 * RotaryEmbedding (the cos/sin caches, positions past … total − 1); scores against the past
 * (FusedMatMul, masked: rows at or past the cached length, and out of a local window) and
 * against the run's own keys (causal) are concatenated, softmaxed, split, and applied to the past
 * values and the new ones. The new keys and values [1, kv_heads, run length, head_size] are the
 * outputs the runtime appends to its cache (the presents' new-row names). Query head h reads KV
 * head ⌊h / group⌋, as in GroupQueryAttention.
 */
export function rewriteAttention(
	graph: GraphProto,
	attention: AttentionNodes,
	names: GenaiNames,
	headSize: number,
	rotaryDim: number,
): void {
	const added: NodeProto[] = [];
	const initializers: TensorProto[] = [];
	let count = 0;
	const node = (op: string, input: string[], attrs: AttributeProto[] = [], output?: string) => {
		const name = `${PREFIX}/${op}_${count++}`;
		added.push({
			opType: op,
			name,
			input,
			output: [output ?? name],
			attribute: attrs,
			...(op === 'FusedMatMul' || op === 'RotaryEmbedding'
				? { domain: 'com.microsoft' }
				: {}),
		});
		return output ?? name;
	};
	const ints = (name: string, values: number[]) => {
		initializers.push({
			name: `${PREFIX}/${name}`,
			dims: [values.length],
			dataType: ONNX_INT64,
			rawData: new Uint8Array(BigInt64Array.from(values, BigInt).buffer),
		});
		return `${PREFIX}/${name}`;
	};
	const float = (name: string, value: number) => {
		initializers.push({
			name: `${PREFIX}/${name}`,
			dims: [],
			dataType: ONNX_FLOAT,
			rawData: new Uint8Array(Float32Array.of(value).buffer),
		});
		return `${PREFIX}/${name}`;
	};
	const int = (name: string, i: number): AttributeProto => ({ name, type: ATTR_INT, i });
	const perm = (order: number[]): AttributeProto => ({
		name: 'perm',
		type: ATTR_INTS,
		ints: order,
	});
	const scalar = (vector: string) => node('Squeeze', [vector, ints('axis_0', [0])]);

	const first = attention.nodes[0];
	const heads = attention.numHeads;
	const kvHeads = attention.kvNumHeads;
	const group = heads / kvHeads;
	const window = intAttribute(first, 'local_window_size') ?? -1;
	for (const gqa of attention.nodes) {
		const problem = unsupported(gqa, window);
		if (problem) throw new GraphShapeError(`GroupQueryAttention ${gqa.name} ${problem}`);
	}

	// Lengths: the run (input ids), the total (attention mask), the cache's capacity (a past).
	const index1 = ints('index_1', [1]);
	const runLength = node('Gather', [node('Shape', [names.inputIds]), index1]);
	const total = node('Gather', [node('Shape', [names.attentionMask]), index1]);
	const past = node('Sub', [total, runLength]);
	const capacity = node('Gather', [
		node('Shape', [first.input?.[3] ?? '']),
		ints('index_2', [2]),
	]);
	const [zero, one, axis0] = [ints('zero', [0]), ints('one', [1]), ints('axis_0', [0])];
	const range = (from: string, to: string) =>
		node('Range', [scalar(from), scalar(to), scalar(one)]);
	const queryPositions = range(past, total);
	const positions = node('Unsqueeze', [queryPositions, axis0]);
	const column = (v: string) => node('Unsqueeze', [v, axis0]);
	const row = (v: string) => node('Unsqueeze', [v, ints('axis_1', [1])]);
	const cols = column(range(zero, capacity));
	const runRows = range(zero, runLength);

	// Masks (0 or −∞) added to the scores [1, kv_heads, group·run, keys], whose row j·run + t is
	// query t of the group's j-th head. Past rows count below the cached length; a local window
	// keeps keys at positions > query position − window, as GroupQueryAttention does.
	const [open, shut] = [float('zero_f', 0), float('minus_inf', -Infinity)];
	const tile = ints('tile', [group, 1]);
	let pastOk = node('Less', [cols, past]);
	let newOk = node('LessOrEqual', [column(runRows), row(runRows)]);
	if (window > 0) {
		// The last `window` positions, the query's own included (onnxruntime 1.30's CPU kernel).
		const w = ints('window', [window - 1]);
		const lowest = row(node('Sub', [queryPositions, w]));
		pastOk = node('And', [pastOk, node('GreaterOrEqual', [cols, lowest])]);
		const lowestNew = row(node('Sub', [runRows, w]));
		newOk = node('And', [newOk, node('GreaterOrEqual', [column(runRows), lowestNew])]);
	}
	let pastMask = node('Where', [pastOk, open, shut]);
	if (window > 0) pastMask = node('Tile', [pastMask, tile]);
	const newMask = node('Tile', [node('Where', [newOk, open, shut]), tile]);
	const splitSizes = node('Concat', [capacity, runLength], [int('axis', 0)]);

	const qkvSizes = ints('qkv_sizes', [heads * headSize, kvHeads * headSize, kvHeads * headSize]);
	const rotary = (input: string, n: number) =>
		node(
			'RotaryEmbedding',
			[input, positions, COS_CACHE_INPUT, SIN_CACHE_INPUT],
			[
				int('interleaved', intAttribute(first, 'rotary_interleaved') ?? 0),
				int('num_heads', n),
				int('rotary_embedding_dim', rotaryDim),
			],
		);
	const headsFirst = (input: string, n: number, output: string) =>
		node(
			'Transpose',
			[node('Reshape', [input, ints(`bsnh_${n}`, [0, 0, n, headSize])])],
			[perm([0, 2, 1, 3])],
			output,
		);
	const replaced = new Map<NodeProto, NodeProto[]>();
	for (const gqa of attention.nodes) {
		const inputs = gqa.input ?? [];
		const [output, presentKey, presentValue] = gqa.output ?? [];
		const before = added.length;
		let [q, k, v] = [inputs[0], inputs[1], inputs[2]];
		if (!k) {
			const split = `${PREFIX}/${output}/qkv`;
			added.push({
				opType: 'Split',
				name: split,
				input: [q, qkvSizes],
				output: [`${split}/q`, `${split}/k`, `${split}/v`],
				attribute: [int('axis', 2)],
			});
			[q, k, v] = [`${split}/q`, `${split}/k`, `${split}/v`];
		}
		// The scale goes on the queries before their rotation (a linear map), not on the scores:
		// with alpha 1 onnxruntime's one-row kernel reads the past keys where they lie instead of
		// packing them first, 1.5× faster on a decode step's scores (bench/attentionScores.bench.ts).
		// Placed before the rotation, graph optimization cannot fold it back into the matmul.
		const scale = attribute(gqa, 'scale')?.f || 1 / Math.sqrt(headSize);
		const scaled = node('Mul', [q, float(`scale_${scale}`, scale)]);
		const grouped = node(
			'Transpose',
			[
				node('Reshape', [
					rotary(scaled, heads),
					ints('bsgh', [0, 0, kvHeads, group, headSize]),
				]),
			],
			[perm([0, 2, 3, 1, 4])],
		);
		const queries = node('Reshape', [grouped, ints('grouped', [0, kvHeads, -1, headSize])]);
		const scores = (keys: string) => node('FusedMatMul', [queries, keys], [int('transB', 1)]);
		const newKeys = headsFirst(rotary(k, kvHeads), kvHeads, newRowsName(presentKey));
		const newValues = headsFirst(v, kvHeads, newRowsName(presentValue));
		const logits = node(
			'Concat',
			[node('Add', [scores(inputs[3]), pastMask]), node('Add', [scores(newKeys), newMask])],
			[int('axis', 3)],
		);
		const probs = `${PREFIX}/${output}/probs`;
		added.push({
			opType: 'Split',
			name: probs,
			input: [node('Softmax', [logits], [int('axis', -1)]), splitSizes],
			output: [`${probs}/past`, `${probs}/new`],
			attribute: [int('axis', 3)],
		});
		const context = node('Add', [
			node('MatMul', [`${probs}/past`, inputs[4]]),
			node('MatMul', [`${probs}/new`, newValues]),
		]);
		const perGroup = node('Reshape', [
			context,
			ints('ungroup', [0, kvHeads, group, -1, headSize]),
		]);
		const tokensFirst = node('Transpose', [perGroup], [perm([0, 3, 1, 2, 4])]);
		node('Reshape', [tokensFirst, ints('merge', [0, 0, -1])], [], output);
		replaced.set(gqa, added.splice(before));
	}
	// The shared nodes first, then each layer's in place of its GroupQueryAttention.
	const shared = added.splice(0);
	const nodes: NodeProto[] = [];
	for (const n of graph.node ?? []) {
		if (!replaced.has(n)) nodes.push(n);
		else nodes.push(...shared.splice(0), ...(replaced.get(n) ?? []));
	}
	graph.node = nodes;
	graph.initializer = [...(graph.initializer ?? []), ...dedupe(initializers)];
	const presents = new Set(attention.nodes.flatMap((n) => (n.output ?? []).slice(1, 3)));
	graph.output = (graph.output ?? []).map((o) =>
		presents.has(o.name ?? '') ? runRows4(o, newRowsName(o.name ?? '')) : o,
	);
	graph.valueInfo = (graph.valueInfo ?? []).filter((v) => !presents.has(v.name ?? ''));
	checkLayers(graph, names, attention.nodes.length);
}

function unsupported(node: NodeProto, window: number): string | undefined {
	const inputs = node.input ?? [];
	if (inputs.slice(LAST_KNOWN_INPUT + 1).some((name) => name !== '')) {
		return `has inputs past cos/sin (position ids, attention bias or a head sink)`;
	}
	if (!inputs[3] || !inputs[4]) return 'has no past key and value inputs';
	if ((attribute(node, 'softcap')?.f ?? 0) !== 0) return 'caps its scores (softcap)';
	if ((intAttribute(node, 'local_window_size') ?? -1) !== window) {
		return 'has another local window than the first layer';
	}
	if (Boolean(inputs[1]) !== Boolean(inputs[2])) return 'has a key input without a value input';
	return undefined;
}

/** Initializers named once (a shape constant may be asked for by every layer). */
function dedupe(tensors: TensorProto[]): TensorProto[] {
	const seen = new Set<string>();
	return tensors.filter((t) => !seen.has(t.name ?? '') && seen.add(t.name ?? ''));
}

/** A present's value info, renamed, its sequence axis the run's length. */
function runRows4(value: ValueInfo, name: string): ValueInfo {
	const tensor = value.type?.tensorType;
	const dims = [...(tensor?.shape?.dim ?? [])];
	if (dims.length > 2) dims[2] = { dimParam: 'run_length' };
	return {
		...value,
		name,
		type: { ...value.type, tensorType: { ...tensor, shape: { dim: dims } } },
	};
}

function checkLayers(graph: GraphProto, names: GenaiNames, layers: number): void {
	const outputs = new Set((graph.output ?? []).map((o) => o.name));
	for (let l = 0; l < layers; l++) {
		for (const template of [names.presentKey, names.presentValue]) {
			const name = newRowsName(layerName(template, l));
			if (!outputs.has(name))
				throw new GraphShapeError(`${name} is not an output after the rewrite`);
		}
	}
}
