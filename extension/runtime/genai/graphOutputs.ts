import { layerName, type GenaiNames } from './genaiFolder';
import { GraphShapeError, namesRead, producerOf } from './onnxGraph';
import {
	ONNX_INT64,
	type GraphProto,
	type NodeProto,
	type TensorProto,
	type ValueInfo,
} from './onnxProto';
import type { AttentionNodes } from './rotaryCaches';

/** The input that says from which position of the run logits are wanted (int64 [1]). */
export const LOGITS_FROM_INPUT = 'logits_from';
/** The output holding the run's new key or value rows, for a present output's name. */
export const newRowsName = (present: string): string => `${present}/new_rows`;

const PREFIX = '/longrope/outputs';
/** Ops that compute each row of their first input's sequence on its own (a row slice commutes). */
const ROW_WISE = new Set(['MatMulNBits', 'MatMul']);

/** Nodes and int64 constants added under PREFIX, in the order they are made. */
class Additions {
	readonly nodes: NodeProto[] = [];
	readonly initializers: TensorProto[] = [];

	constant(name: string, values: bigint[]): string {
		this.initializers.push({
			name: `${PREFIX}/${name}`,
			dims: [values.length],
			dataType: ONNX_INT64,
			rawData: new Uint8Array(BigInt64Array.from(values).buffer),
		});
		return `${PREFIX}/${name}`;
	}

	node(op: string, name: string, input: string[], output = `${PREFIX}/${name}`): string {
		this.nodes.push({ opType: op, name: `${PREFIX}/${name}`, input, output: [output] });
		return output;
	}

	/** Appends the nodes (after `graph.node`, or before `at`) and the constants to the graph. */
	addTo(graph: GraphProto, at?: NodeProto): void {
		const all = graph.node ?? [];
		const index = at === undefined ? all.length : all.indexOf(at);
		graph.node = [...all.slice(0, index), ...this.nodes, ...all.slice(index)];
		graph.initializer = [...(graph.initializer ?? []), ...this.initializers];
	}
}

/**
 * Narrows the logits to what the runtime reads, because onnxruntime-node copies every output into
 * a fresh buffer after each run: logits only from position `logits_from` of the run on (the last
 * one while generating, all for perplexity). The vocabulary projection's input is sliced, so the
 * rows before are not even computed.
 */
export function narrowLogits(graph: GraphProto, names: GenaiNames): void {
	const taken = new Set([...namesRead(graph), ...(graph.input ?? []).map((v) => v.name)]);
	if (taken.has(LOGITS_FROM_INPUT)) {
		throw new GraphShapeError(`the graph already uses the name ${LOGITS_FROM_INPUT}`);
	}
	const add = new Additions();
	const one = add.constant('one', [1n]);
	const end = add.constant('end', [BigInt(Number.MAX_SAFE_INTEGER)]);
	const projection = producerOf(graph, names.logits);
	if (projection === undefined) throw new GraphShapeError(`nothing computes ${names.logits}`);
	const input = projection.input?.[0];
	if (ROW_WISE.has(projection.opType ?? '') && input) {
		// Slice the projection's input, placed before it to keep the nodes in topological order.
		projection.input = [
			add.node('Slice', 'logits_rows', [input, LOGITS_FROM_INPUT, end, one]),
			...(projection.input ?? []).slice(1),
		];
		add.addTo(graph, projection);
	} else {
		const all = `${PREFIX}/all_logits`;
		projection.output = (projection.output ?? []).map((o) => (o === names.logits ? all : o));
		add.node('Slice', 'logits_rows', [all, LOGITS_FROM_INPUT, end, one], names.logits);
		add.addTo(graph);
	}
	graph.output = (graph.output ?? []).map((o) =>
		o.name === names.logits ? renamedDim(o, o.name, 1, 'logits_length') : o,
	);
	graph.input = [...(graph.input ?? []), int64Vector(LOGITS_FROM_INPUT)];
}

/**
 * For GroupQueryAttention kept as it is (the float16 cache): instead of each present (the whole
 * cache, kv_heads × capacity rows), only the rows this run added [1, kv_heads, run length,
 * head_size]. The op then keeps its present to itself (its own copy of the past plus the new
 * rows, in onnxruntime's arena) and the runtime appends the new rows to its cache.
 */
export function presentRows(
	graph: GraphProto,
	attention: AttentionNodes,
	names: GenaiNames,
	layers: number,
): void {
	const add = new Additions();
	// Positions [total − run length, total): total is the attention mask's length, the run's
	// the input ids'.
	const index = add.constant('index_one', [1n]);
	const total = add.node('Gather', 'total', [
		add.node('Shape', 'mask_shape', [names.attentionMask]),
		index,
	]);
	const run = add.node('Gather', 'run', [
		add.node('Shape', 'ids_shape', [names.inputIds]),
		index,
	]);
	const from = add.node('Sub', 'from', [total, run]);
	const seqAxis = add.constant('axis_two', [2n]);
	const presents = new Set<string>();
	for (let l = 0; l < layers; l++) {
		for (const template of [names.presentKey, names.presentValue]) {
			const present = layerName(template, l);
			if (!attention.nodes.some((n) => n.output?.slice(1, 3).includes(present))) {
				throw new GraphShapeError(`${present} is not a GroupQueryAttention present output`);
			}
			presents.add(present);
			add.node(
				'Slice',
				`rows/${present}`,
				[present, from, total, seqAxis],
				newRowsName(present),
			);
		}
	}
	add.addTo(graph);
	graph.output = (graph.output ?? []).map((o) =>
		presents.has(o.name ?? '') ? renamedDim(o, newRowsName(o.name ?? ''), 2, 'run_length') : o,
	);
}

/** `value` under a new name, dimension `axis` named `param` (its length changes with the run). */
function renamedDim(value: ValueInfo, name: string, axis: number, param: string): ValueInfo {
	const tensor = value.type?.tensorType;
	const dims = [...(tensor?.shape?.dim ?? [])];
	if (dims.length > axis) dims[axis] = { dimParam: param };
	return {
		...value,
		name,
		type: { ...value.type, tensorType: { ...tensor, shape: { dim: dims } } },
	};
}

function int64Vector(name: string): ValueInfo {
	return {
		name,
		type: { tensorType: { elemType: ONNX_INT64, shape: { dim: [{ dimValue: 1 }] } } },
	};
}
