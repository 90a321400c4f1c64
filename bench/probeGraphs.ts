import { encodeModel, type GraphProto, type ValueInfo } from '../extension/runtime/genai/onnxProto';

/** A graph input or output: numbers are fixed dimensions, strings named dynamic ones. */
export function value(name: string, elemType: number, dims: (number | string)[]): ValueInfo {
	const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
	return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** The encoded model of a probe graph, with the opsets its standard and com.microsoft ops need. */
export function probeModel(graph: GraphProto): Uint8Array {
	return encodeModel({
		irVersion: 8,
		opsetImport: [
			{ domain: '', version: 17 },
			{ domain: 'com.microsoft', version: 1 },
		],
		graph,
	});
}
