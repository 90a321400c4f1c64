import type * as Ort from 'onnxruntime-node';

let loaded: Promise<typeof Ort> | undefined;

/** onnxruntime-node, loaded on first use so that activating the extension stays cheap. */
export function loadOnnxRuntime(): Promise<typeof Ort> {
	loaded ??= import('onnxruntime-node').catch((err: unknown) => {
		loaded = undefined;
		throw new Error(
			`onnxruntime-node could not be loaded: ${err instanceof Error ? err.message : String(err)}`,
		);
	});
	return loaded;
}
