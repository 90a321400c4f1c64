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

/**
 * Narrows what the graph hands back to what the runtime reads, because onnxruntime-node copies
 * every output into a fresh buffer after each run:
 * - logits only from position `logits_from` of the run on (the last one while generating, all
 *   for perplexity): the vocabulary projection's input is sliced, so the rows before are not
 *   even computed;
 * - instead of each present (the whole cache, kv_heads × capacity rows), only the rows this run
 *   added, [1, kv_heads, run length, head_size]. GroupQueryAttention then keeps its present to
 *   itself (its own copy of the past plus the new rows, in onnxruntime's arena) and the runtime
 *   appends the new rows to its cache.
 */
export function narrowOutputs(
	graph: GraphProto,
	attention: AttentionNodes,
	names: GenaiNames,
	layers: number,
): void {
	const taken = new Set([...namesRead(graph), ...(graph.input ?? []).map((v) => v.name)]);
	if (taken.has(LOGITS_FROM_INPUT)) {
		throw new GraphShapeError(`the graph already uses the name ${LOGITS_FROM_INPUT}`);
	}
	const nodes: NodeProto[] = [];
	const initializers: TensorProto[] = [];
	const constant = (name: string, values: bigint[]) => {
		initializers.push({
			name: `${PREFIX}/${name}`,
			dims: [values.length],
			dataType: ONNX_INT64,
			rawData: new Uint8Array(BigInt64Array.from(values).buffer),
		});
		return `${PREFIX}/${name}`;
	};
	const node = (op: string, name: string, input: string[], output = `${PREFIX}/${name}`) => {
		nodes.push({ opType: op, name: `${PREFIX}/${name}`, input, output: [output] });
		return output;
	};
	const one = constant('one', [1n]);
	const end = constant('end', [BigInt(Number.MAX_SAFE_INTEGER)]);

	// Logits: slice the projection's input (or, for another producer, its output) on axis 1.
	const projection = producerOf(graph, names.logits);
	if (projection === undefined) throw new GraphShapeError(`nothing computes ${names.logits}`);
	if (ROW_WISE.has(projection.opType ?? '') && projection.input?.[0]) {
		const rows = node('Slice', 'logits_rows', [
			projection.input[0],
			LOGITS_FROM_INPUT,
			end,
			one,
		]);
		projection.input[0] = rows;
		// Placed before the projection, so that the nodes stay in topological order.
		const all = graph.node ?? [];
		const at = all.indexOf(projection);
		graph.node = [...all.slice(0, at), ...nodes.splice(0), ...all.slice(at)];
	} else {
		const all = `${PREFIX}/all_logits`;
		projection.output = (projection.output ?? []).map((o) => (o === names.logits ? all : o));
		node('Slice', 'logits_rows', [all, LOGITS_FROM_INPUT, end, one], names.logits);
	}

	// New rows: positions [total − run length, total) of each present, where total is the
	// attention mask's length and the run length the input ids'.
	const index = constant('index_one', [1n]);
	const total = node('Gather', 'total', [
		node('Shape', 'mask_shape', [names.attentionMask]),
		index,
	]);
	const run = node('Gather', 'run', [node('Shape', 'ids_shape', [names.inputIds]), index]);
	const from = node('Sub', 'from', [total, run]);
	const seqAxis = constant('axis_two', [2n]);
	const presents = new Set<string>();
	for (let l = 0; l < layers; l++) {
		for (const template of [names.presentKey, names.presentValue]) {
			const present = layerName(template, l);
			if (!attention.nodes.some((n) => n.output?.slice(1, 3).includes(present))) {
				throw new GraphShapeError(`${present} is not a GroupQueryAttention present output`);
			}
			presents.add(present);
			node('Slice', `rows/${present}`, [present, from, total, seqAxis], newRowsName(present));
		}
	}
	const outputs: ValueInfo[] = [];
	for (const output of graph.output ?? []) {
		const name = output.name ?? '';
		if (presents.has(name))
			outputs.push(renamedDim(output, newRowsName(name), 2, 'run_length'));
		else if (name === names.logits) outputs.push(renamedDim(output, name, 1, 'logits_length'));
		else outputs.push(output);
	}
	graph.output = outputs;
	graph.node = [...(graph.node ?? []), ...nodes];
	graph.initializer = [...(graph.initializer ?? []), ...initializers];
	graph.input = [...(graph.input ?? []), int64Vector(LOGITS_FROM_INPUT)];
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
