import { openSync, readSync, closeSync } from 'node:fs';
import * as path from 'node:path';
import {
	ATTR_INT,
	ONNX_EXTERNAL,
	ONNX_FLOAT,
	int64,
	type AttributeProto,
	type GraphProto,
	type NodeProto,
	type TensorProto,
	type ValueInfo,
} from './onnxProto';

/** A graph that lacks what adaptation needs; the message names what was found instead. */
export class GraphShapeError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'GraphShapeError';
	}
}

export function attribute(node: NodeProto, name: string): AttributeProto | undefined {
	return node.attribute?.find((a) => a.name === name);
}

export function intAttribute(node: NodeProto, name: string): number | undefined {
	const attr = attribute(node, name);
	return attr?.type === ATTR_INT ? int64(attr.i) : undefined;
}

/**
 * Every subgraph a node holds (If branches, Loop and Scan bodies). Decoded messages read
 * absent message fields as null (protobufjs defaults), hence the truthiness checks.
 */
export function subgraphs(node: NodeProto): GraphProto[] {
	const found: GraphProto[] = [];
	for (const attr of node.attribute ?? []) {
		if (attr.g) found.push(attr.g);
		const graphs = attr.graphs as GraphProto[] | undefined;
		if (graphs !== undefined) found.push(...graphs);
	}
	return found;
}

/** Names the nodes of `graph` and of every nested subgraph read. */
export function namesRead(graph: GraphProto, into = new Set<string>()): Set<string> {
	for (const node of graph.node ?? []) {
		for (const name of node.input ?? []) if (name !== '') into.add(name);
		for (const sub of subgraphs(node)) namesRead(sub, into);
	}
	for (const output of graph.output ?? []) if (output.name) into.add(output.name);
	return into;
}

export function producerOf(graph: GraphProto, name: string): NodeProto | undefined {
	return graph.node?.find((node) => node.output?.includes(name));
}

export function initializerOf(graph: GraphProto, name: string): TensorProto | undefined {
	return graph.initializer?.find((tensor) => tensor.name === name);
}

export interface FloatMatrix {
	readonly rows: number;
	readonly columns: number;
	readonly data: Float32Array;
}

/**
 * The values of a 2-D float tensor: inline (raw_data or float_data) or in an external data
 * file, read relative to `modelDir` (the ONNX external data rule).
 */
export function floatMatrix(tensor: TensorProto, modelDir: string, what: string): FloatMatrix {
	const dims = (tensor.dims ?? []).map(int64);
	if (tensor.dataType !== ONNX_FLOAT || dims.length !== 2) {
		throw new GraphShapeError(
			`${what} must be a 2-D float32 tensor, not data type ${tensor.dataType} with dims [${dims.join(', ')}]`,
		);
	}
	const [rows, columns] = dims;
	const count = rows * columns;
	let bytes: Uint8Array;
	if (tensor.dataLocation === ONNX_EXTERNAL) {
		bytes = readExternal(tensor, modelDir, count * 4, what);
	} else if (tensor.rawData !== undefined && tensor.rawData.length > 0) {
		bytes = tensor.rawData;
	} else {
		const values = tensor.floatData ?? [];
		if (values.length !== count) {
			throw new GraphShapeError(
				`${what} holds ${values.length} floats, not ${rows}×${columns}`,
			);
		}
		return { rows, columns, data: Float32Array.from(values) };
	}
	if (bytes.length !== count * 4) {
		throw new GraphShapeError(
			`${what} holds ${bytes.length} bytes, not ${rows}×${columns} float32`,
		);
	}
	// Copy: raw_data may sit at an offset that is not a multiple of 4.
	const data = new Float32Array(count);
	Buffer.from(data.buffer).set(bytes);
	return { rows, columns, data };
}

/** An external-data entry of a tensor (`location`, `offset`, `length`). */
export function externalEntry(tensor: TensorProto, key: string): string | undefined {
	return tensor.externalData?.find((entry) => entry.key === key)?.value;
}

function readExternal(
	tensor: TensorProto,
	modelDir: string,
	expected: number,
	what: string,
): Uint8Array {
	const location = externalEntry(tensor, 'location');
	if (location === undefined)
		throw new GraphShapeError(`${what} is external but names no location`);
	const offset = Number(externalEntry(tensor, 'offset') ?? 0);
	const length = Number(externalEntry(tensor, 'length') ?? expected);
	const file = path.join(modelDir, location);
	const bytes = Buffer.alloc(length);
	let fd: number;
	try {
		fd = openSync(file, 'r');
	} catch (err) {
		throw new GraphShapeError(
			`${what} lives in ${file}, which cannot be read: ${(err as Error).message}`,
		);
	}
	try {
		const read = readSync(fd, bytes, 0, length, offset);
		if (read !== length) {
			throw new GraphShapeError(
				`${file} ends before ${what} (bytes ${offset}–${offset + length})`,
			);
		}
	} finally {
		closeSync(fd);
	}
	return bytes;
}

/** A float32 [rows, columns] value whose first dimension is named, not fixed. */
export function dynamicRowsInput(name: string, rowsParam: string, columns: number): ValueInfo {
	return {
		name,
		type: {
			tensorType: {
				elemType: ONNX_FLOAT,
				shape: { dim: [{ dimParam: rowsParam }, { dimValue: columns }] },
			},
		},
	};
}

/** The tensor a Constant node holds in its `value` attribute. */
export function constantValue(node: NodeProto): TensorProto | undefined {
	if (node.opType !== 'Constant') return undefined;
	const attr = attribute(node, 'value');
	return attr?.t ?? undefined;
}

export function graphAttribute(node: NodeProto, name: string): GraphProto | undefined {
	const attr = attribute(node, name);
	return attr?.g ?? undefined;
}
