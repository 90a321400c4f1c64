import {
	GraphShapeError,
	constantValue,
	dynamicRowsInput,
	floatMatrix,
	graphAttribute,
	initializerOf,
	intAttribute,
	namesRead,
	producerOf,
	subgraphs,
	type FloatMatrix,
} from './onnxGraph';
import { ONNX_INT64, int64, type GraphProto, type NodeProto, type TensorProto } from './onnxProto';

/** GroupQueryAttention's inputs 7 and 8 (com.microsoft contrib op spec). */
const COS_INPUT = 7;
const SIN_INPUT = 8;
/** The names the lifted caches get as graph inputs, and their first dimension's name. */
export const COS_CACHE_INPUT = 'cos_cache';
export const SIN_CACHE_INPUT = 'sin_cache';
export const CACHE_ROWS_PARAM = 'rotary_cache_rows';

/** Ops a length may pass through between Shape(attention_mask) and the comparison. */
const SHAPE_PASSTHROUGH = new Set([
	'Gather',
	'Shape',
	'Cast',
	'Squeeze',
	'Unsqueeze',
	'Reshape',
	'Identity',
]);
/** Ops that compute attention other than GroupQueryAttention, to name them when refusing. */
const OTHER_ATTENTION_OPS = [
	'Attention',
	'MultiHeadAttention',
	'PagedAttention',
	'SparseAttention',
	'PackedAttention',
	'PackedMultiHeadAttention',
	'DecoderMaskedMultiHeadAttention',
	'RotaryEmbedding',
];

export interface CachePair {
	readonly cos: FloatMatrix;
	readonly sin: FloatMatrix;
}

/** Where the attention layers' cos/sin caches come from in the exported graph. */
export type CacheSource =
	| {
			/** LongRoPE: an If on the attention mask's length (> window: long, else short). */
			readonly kind: 'if';
			readonly ifNode: NodeProto;
			readonly window: number;
			readonly short: CachePair;
			readonly long: CachePair;
	  }
	| { readonly kind: 'initializer'; readonly single: CachePair };

export interface AttentionNodes {
	readonly nodes: NodeProto[];
	readonly cosName: string;
	readonly sinName: string;
	readonly numHeads: number;
	readonly kvNumHeads: number;
}

/** The graph's GroupQueryAttention nodes, all rotating with one pair of caches inside the op. */
export function findAttention(graph: GraphProto): AttentionNodes {
	const all = graph.node ?? [];
	const nodes = all.filter((n) => n.opType === 'GroupQueryAttention');
	if (nodes.length === 0) {
		const found = OTHER_ATTENTION_OPS.filter((op) => all.some((n) => n.opType === op));
		const what =
			found.length > 0
				? `its attention is ${found.join(', ')}`
				: `it has no fused attention op (${all.filter((n) => n.opType === 'Softmax').length} Softmax nodes)`;
		throw new GraphShapeError(`the graph has no GroupQueryAttention node: ${what}`);
	}
	const first = nodes[0];
	const cosName = first.input?.[COS_INPUT] ?? '';
	const sinName = first.input?.[SIN_INPUT] ?? '';
	for (const node of nodes) {
		if (intAttribute(node, 'do_rotary') !== 1) {
			throw new GraphShapeError(
				`GroupQueryAttention ${node.name} has do_rotary=${intAttribute(node, 'do_rotary') ?? 0}: its rotary runs outside attention, which cannot take the factor manager's caches`,
			);
		}
		if (
			node.input?.[COS_INPUT] !== cosName ||
			node.input?.[SIN_INPUT] !== sinName ||
			cosName === ''
		) {
			throw new GraphShapeError(
				`GroupQueryAttention ${node.name} reads cos/sin caches ${node.input?.[COS_INPUT]}/${node.input?.[SIN_INPUT]}, not the ${cosName}/${sinName} the others read`,
			);
		}
	}
	return {
		nodes,
		cosName,
		sinName,
		numHeads: intAttribute(first, 'num_heads') ?? 0,
		kvNumHeads: intAttribute(first, 'kv_num_heads') ?? 0,
	};
}

/** Finds what fills the caches: an `If` recognized by its structure, or plain initializers. */
export function findCacheSource(
	graph: GraphProto,
	attention: AttentionNodes,
	attentionMask: string,
	modelDir: string,
): CacheSource {
	const { cosName, sinName } = attention;
	const cosInit = initializerOf(graph, cosName);
	const sinInit = initializerOf(graph, sinName);
	if (cosInit !== undefined && sinInit !== undefined) {
		return {
			kind: 'initializer',
			single: pair(
				floatMatrix(cosInit, modelDir, `initializer ${cosName}`),
				floatMatrix(sinInit, modelDir, `initializer ${sinName}`),
			),
		};
	}
	const producer = producerOf(graph, cosName);
	if (producer === undefined || producerOf(graph, sinName) !== producer) {
		throw new GraphShapeError(
			`the rotary caches ${cosName}/${sinName} come from ${describeSource(graph, cosName)} and ${describeSource(graph, sinName)}, not from one If node or initializers`,
		);
	}
	if (producer.opType !== 'If') {
		throw new GraphShapeError(
			`the rotary caches come from a ${producer.opType} node (${producer.name}), not an If or initializers`,
		);
	}
	const [out0, out1] = producer.output ?? [];
	if (producer.output?.length !== 2 || out0 !== cosName || out1 !== sinName) {
		throw new GraphShapeError(
			`If ${producer.name} does not output exactly (${cosName}, ${sinName})`,
		);
	}
	const window = lengthThreshold(graph, producer, attentionMask);
	const long = branchCaches(producer, 'then_branch', modelDir);
	const short = branchCaches(producer, 'else_branch', modelDir);
	if (long.cos.columns !== short.cos.columns) {
		throw new GraphShapeError(
			`If ${producer.name}: its branches' caches are ${long.cos.columns} and ${short.cos.columns} wide`,
		);
	}
	return { kind: 'if', ifNode: producer, window, short, long };
}

function pair(cos: FloatMatrix, sin: FloatMatrix): CachePair {
	if (cos.rows !== sin.rows || cos.columns !== sin.columns) {
		throw new GraphShapeError(
			`cos cache is ${cos.rows}×${cos.columns} but sin cache ${sin.rows}×${sin.columns}`,
		);
	}
	if (cos.rows < 2)
		throw new GraphShapeError(
			`the rotary caches have ${cos.rows} row(s); at least 2 are needed`,
		);
	return { cos, sin };
}

function describeSource(graph: GraphProto, name: string): string {
	if (initializerOf(graph, name) !== undefined) return `initializer ${name}`;
	const node = producerOf(graph, name);
	if (node !== undefined) return `${node.opType} ${node.name}`;
	return (graph.input ?? []).some((i) => i.name === name)
		? `graph input ${name}`
		: `nothing (${name})`;
}

/** One branch of the If: no inputs, two float outputs held by Constant nodes or initializers. */
function branchCaches(ifNode: NodeProto, branchName: string, modelDir: string): CachePair {
	const branch = graphAttribute(ifNode, branchName);
	if (
		branch === undefined ||
		(branch.output ?? []).length !== 2 ||
		(branch.input ?? []).length > 0
	) {
		throw new GraphShapeError(
			`If ${ifNode.name}: ${branchName} is not a graph with two outputs and no inputs`,
		);
	}
	const [cos, sin] = (branch.output ?? []).map((output) => {
		const name = output.name ?? '';
		const what = `If ${ifNode.name} ${branchName} output ${name}`;
		const tensor = branchTensor(branch, name);
		if (tensor === undefined) throw new GraphShapeError(`${what} is not a constant`);
		return floatMatrix(tensor, modelDir, what);
	});
	return pair(cos, sin);
}

function branchTensor(branch: GraphProto, name: string): TensorProto | undefined {
	const init = initializerOf(branch, name);
	if (init !== undefined) return init;
	const node = producerOf(branch, name);
	return node === undefined ? undefined : constantValue(node);
}

/**
 * The If's condition must be Greater(length of attention_mask, W): W is the original window,
 * the then-branch the long caches. Anything else is refused rather than guessed.
 */
function lengthThreshold(graph: GraphProto, ifNode: NodeProto, attentionMask: string): number {
	const condition = ifNode.input?.[0] ?? '';
	const greater = producerOf(graph, condition);
	const refuse = (why: string) =>
		new GraphShapeError(
			`If ${ifNode.name} selects the rotary caches on ${condition}, ${why}; expected Greater(length of ${attentionMask}, window)`,
		);
	if (greater?.opType !== 'Greater') throw refuse(`made by ${greater?.opType ?? 'nothing'}`);
	const [length, bound] = greater.input ?? [];
	if (!tracesToShapeOf(graph, length, attentionMask))
		throw refuse(`whose left side does not come from ${attentionMask}'s shape`);
	const tensor = initializerOf(graph, bound) ?? constantOf(graph, bound);
	const window = tensor === undefined ? undefined : intScalar(tensor);
	if (window === undefined || window <= 0)
		throw refuse(`whose right side ${bound} is not a positive int64 constant`);
	return window;
}

function constantOf(graph: GraphProto, name: string): TensorProto | undefined {
	const node = producerOf(graph, name);
	return node === undefined ? undefined : constantValue(node);
}

function tracesToShapeOf(graph: GraphProto, name: string, attentionMask: string): boolean {
	const seen = new Set<string>();
	const pending = [name];
	let sawShape = false;
	while (pending.length > 0) {
		const current = pending.pop() as string;
		if (seen.has(current) || initializerOf(graph, current) !== undefined) continue;
		seen.add(current);
		if (current === attentionMask) return sawShape;
		const node = producerOf(graph, current);
		if (node === undefined || !SHAPE_PASSTHROUGH.has(node.opType ?? '')) continue;
		if (node.opType === 'Shape' && node.input?.[0] === attentionMask) sawShape = true;
		pending.push(
			...(node.opType === 'Gather' ? (node.input ?? []).slice(0, 1) : (node.input ?? [])),
		);
	}
	return false;
}

function intScalar(tensor: TensorProto): number | undefined {
	const dims = (tensor.dims ?? []).map(int64);
	if (tensor.dataType !== ONNX_INT64 || dims.reduce((a, b) => a * b, 1) !== 1) return undefined;
	if (tensor.rawData !== undefined && tensor.rawData.length === 8) {
		return Number(Buffer.from(tensor.rawData).readBigInt64LE(0));
	}
	const values = tensor.int64Data as Parameters<typeof int64>[0][] | undefined;
	return values?.length === 1 ? int64(values[0]) : undefined;
}

/**
 * Rewrites the graph so that the caches are inputs `cos_cache`/`sin_cache` (float32
 * [rows, columns], rows named): the If or the initializers go, and so does whatever only fed
 * the If's condition. Returns the names of the nodes removed.
 */
export function liftCaches(
	graph: GraphProto,
	attention: AttentionNodes,
	source: CacheSource,
	columns: number,
): string[] {
	const renames = new Map([
		[attention.cosName, COS_CACHE_INPUT],
		[attention.sinName, SIN_CACHE_INPUT],
	]);
	const taken = new Set([...namesRead(graph), ...(graph.initializer ?? []).map((t) => t.name)]);
	for (const [from, to] of renames) {
		if (from !== to && taken.has(to)) {
			throw new GraphShapeError(
				`the graph already uses the name ${to}, so the caches cannot be lifted under it`,
			);
		}
	}
	const removed: NodeProto[] = [];
	if (source.kind === 'if') {
		removed.push(source.ifNode);
		graph.node = (graph.node ?? []).filter((n) => n !== source.ifNode);
	} else {
		graph.initializer = (graph.initializer ?? []).filter((t) => !renames.has(t.name ?? ''));
	}
	for (const node of graph.node ?? []) {
		node.input = (node.input ?? []).map((name) => renames.get(name) ?? name);
	}
	graph.valueInfo = (graph.valueInfo ?? []).filter((v) => !renames.has(v.name ?? ''));
	graph.input = [
		...(graph.input ?? []).filter((v) => !renames.has(v.name ?? '')),
		dynamicRowsInput(COS_CACHE_INPUT, CACHE_ROWS_PARAM, columns),
		dynamicRowsInput(SIN_CACHE_INPUT, CACHE_ROWS_PARAM, columns),
	];
	removed.push(...pruneOrphans(graph, removed));
	return removed.map((n) => n.name ?? '');
}

/** Drops nodes and initializers that only fed what was removed (the If's condition chain). */
function pruneOrphans(graph: GraphProto, removed: NodeProto[]): NodeProto[] {
	const pruned: NodeProto[] = [];
	let candidates = new Set(
		removed.flatMap((n) => [
			...(n.input ?? []),
			...subgraphs(n).flatMap((g) => [...namesRead(g)]),
		]),
	);
	while (candidates.size > 0) {
		const read = namesRead(graph);
		const dead = (graph.node ?? []).filter(
			(n) =>
				(n.output ?? []).some((o) => candidates.has(o)) &&
				(n.output ?? []).every((o) => !read.has(o)),
		);
		graph.initializer = (graph.initializer ?? []).filter(
			(t) => !candidates.has(t.name ?? '') || read.has(t.name ?? ''),
		);
		graph.node = (graph.node ?? []).filter((n) => !dead.includes(n));
		const deadOutputs = new Set(dead.flatMap((n) => n.output ?? []));
		graph.valueInfo = (graph.valueInfo ?? []).filter((v) => !deadOutputs.has(v.name ?? ''));
		pruned.push(...dead);
		candidates = new Set(dead.flatMap((n) => n.input ?? []));
	}
	return pruned;
}
