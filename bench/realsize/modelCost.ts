import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeModel, int64 } from '../../extension/runtime/genai/onnxProto';

/** What one token costs a graph, read from its model.onnx (weights stay in model.onnx.data). */
export interface ModelCost {
	/** Bytes of all initializers but the embedding table, plus one row of it: a decode step reads these. */
	readonly weightBytesPerStep: number;
	/** Bytes of every initializer (the file's weights). */
	readonly weightBytes: number;
	/** 2·K·N summed over the MatMulNBits nodes but the one writing the logits. */
	readonly layerFlopsPerToken: number;
	/** The same, by the nodes' K (GEMM throughput depends on the shape). */
	readonly flopsByK: Record<number, number>;
	/** 2·K·N of the logits' MatMulNBits (the vocabulary projection). */
	readonly lmHeadFlopsPerToken: number;
	/** Bytes of KV cache one token adds (fp32, every layer, key and value). */
	readonly kvBytesPerToken: number;
}

export function modelCost(folder: string): ModelCost {
	const file = path.join(folder, 'model.onnx');
	const graph = decodeModel(readFileSync(file), file).graph ?? {};
	const bytes = new Map<string, number>();
	for (const t of graph.initializer ?? []) {
		const length = t.externalData?.find((e) => e.key === 'length')?.value;
		bytes.set(t.name ?? '', length !== undefined ? Number(length) : (t.rawData?.length ?? 0));
	}
	const weightBytes = [...bytes.values()].reduce((a, b) => a + b, 0);
	const nodes = graph.node ?? [];
	const gather = nodes.find((n) => n.opType === 'Gather' && bytes.has(n.input?.[0] ?? ''));
	const table = gather?.input?.[0] ?? '';
	const tableDims = (graph.initializer ?? []).find((t) => t.name === table)?.dims ?? [];
	const rowBytes = (bytes.get(table) ?? 0) / Math.max(1, int64(tableDims[0]));
	let layerFlopsPerToken = 0;
	let lmHeadFlopsPerToken = 0;
	const flopsByK: Record<number, number> = {};
	for (const node of nodes.filter((n) => n.opType === 'MatMulNBits')) {
		const attr = (name: string) => int64(node.attribute?.find((a) => a.name === name)?.i);
		const flops = 2 * attr('K') * attr('N');
		if (node.output?.includes('logits')) lmHeadFlopsPerToken += flops;
		else {
			layerFlopsPerToken += flops;
			flopsByK[attr('K')] = (flopsByK[attr('K')] ?? 0) + flops;
		}
	}
	const genai = JSON.parse(readFileSync(path.join(folder, 'genai_config.json'), 'utf8')) as {
		model: {
			decoder: { num_hidden_layers: number; num_key_value_heads: number; head_size: number };
		};
	};
	const d = genai.model.decoder;
	return {
		weightBytesPerStep: weightBytes - (bytes.get(table) ?? 0) + rowBytes,
		weightBytes,
		layerFlopsPerToken,
		flopsByK,
		lmHeadFlopsPerToken,
		kvBytesPerToken: 2 * d.num_hidden_layers * d.num_key_value_heads * d.head_size * 4,
	};
}
