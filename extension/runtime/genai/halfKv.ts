import { layerName, type GenaiNames } from './genaiFolder';
import { newRowsName } from './graphOutputs';
import { ATTR_INT, ONNX_FLOAT, type GraphProto, type NodeProto, type ValueInfo } from './onnxProto';
import { COS_CACHE_INPUT, SIN_CACHE_INPUT, type AttentionNodes } from './rotaryCaches';

export const ONNX_FLOAT16 = 10;
const PREFIX = '/longrope/half_kv';

/**
 * Runs attention in half precision so that the KV cache is float16 (half the memory and half
 * the bytes a decode step reads from it): GroupQueryAttention's inputs are cast to float16 and
 * its output back to float32; the past inputs and new-row outputs become float16. Everything
 * else (the int4 matmuls, norms, logits) stays float32. Apply after `narrowOutputs`.
 */
export function halfPrecisionKv(
	graph: GraphProto,
	attention: AttentionNodes,
	names: GenaiNames,
	layers: number,
): void {
	const cast = (input: string, output: string, to: number): NodeProto => ({
		opType: 'Cast',
		name: `${PREFIX}/${output}`,
		input: [input],
		output: [output],
		attribute: [{ name: 'to', type: ATTR_INT, i: to }],
	});
	const added: NodeProto[] = [];
	const halves = new Map<string, string>();
	const half = (name: string) => {
		if (!halves.has(name)) {
			halves.set(name, `${PREFIX}/${name}`);
			added.push(cast(name, `${PREFIX}/${name}`, ONNX_FLOAT16));
		}
		return halves.get(name) as string;
	};
	const kvNames = new Set<string>();
	for (let l = 0; l < layers; l++) {
		for (const template of [names.pastKey, names.pastValue])
			kvNames.add(layerName(template, l));
		for (const template of [names.presentKey, names.presentValue]) {
			kvNames.add(newRowsName(layerName(template, l)));
			kvNames.add(layerName(template, l));
		}
	}
	const rebuilt: NodeProto[] = [];
	for (const node of graph.node ?? []) {
		if (!attention.nodes.includes(node)) {
			rebuilt.push(node);
			continue;
		}
		const inputs = node.input ?? [];
		// query, key, value (packed: query only) and the rotary caches; past and lengths as they are.
		node.input = inputs.map((name, i) =>
			name !== '' && (i <= 2 || name === COS_CACHE_INPUT || name === SIN_CACHE_INPUT)
				? half(name)
				: name,
		);
		const output = (node.output ?? [])[0];
		const halfOutput = `${PREFIX}/${output}`;
		node.output = [halfOutput, ...(node.output ?? []).slice(1)];
		rebuilt.push(...added.splice(0), node, cast(halfOutput, output, ONNX_FLOAT));
	}
	graph.node = rebuilt;
	const toHalf = (value: ValueInfo): ValueInfo =>
		kvNames.has(value.name ?? '')
			? {
					...value,
					type: {
						...value.type,
						tensorType: { ...value.type?.tensorType, elemType: ONNX_FLOAT16 },
					},
				}
			: value;
	graph.input = (graph.input ?? []).map(toHalf);
	graph.output = (graph.output ?? []).map(toHalf);
	// Types the exporter recorded for what is now float16 would contradict the new ones.
	graph.valueInfo = (graph.valueInfo ?? []).filter((v) => !kvNames.has(v.name ?? ''));
}
