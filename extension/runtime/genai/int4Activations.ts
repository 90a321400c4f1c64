import { attribute } from './onnxGraph';
import { ATTR_INT, type GraphProto } from './onnxProto';

/**
 * What the int4 matmuls (MatMulNBits) do with their float32 input, by onnxruntime's
 * `accuracy_level`: `int8` (4) quantizes each block of it to int8, as the published CPU exports
 * ask; `float32` (1) keeps it, so the kernel holds no int8-ready copy of the weights beside the
 * scales: on the Phi-3.5-mini replica 1315 MiB less after load and 884 MiB less at the peak of a
 * 4096-token request, decode 0.65–0.98× as fast (bench/results/realsize-activations.md). `exported` leaves the graph's own.
 */
export type Int4Activations = 'exported' | 'int8' | 'float32';

const ACCURACY_LEVEL: Record<Exclude<Int4Activations, 'exported'>, number> = {
	int8: 4,
	float32: 1,
};

export function isInt4Activations(value: unknown): value is Int4Activations {
	return value === 'exported' || value === 'int8' || value === 'float32';
}

/** Sets every MatMulNBits node's accuracy_level for `choice`; returns how many nodes it set. */
export function setInt4Activations(graph: GraphProto, choice: Int4Activations): number {
	if (choice === 'exported') return 0;
	let count = 0;
	for (const node of graph.node ?? []) {
		if (node.opType !== 'MatMulNBits') continue;
		const level = attribute(node, 'accuracy_level');
		if (level) {
			level.type = ATTR_INT;
			level.i = ACCURACY_LEVEL[choice];
		} else {
			node.attribute = [
				...(node.attribute ?? []),
				{ name: 'accuracy_level', type: ATTR_INT, i: ACCURACY_LEVEL[choice] },
			];
		}
		count++;
	}
	return count;
}
