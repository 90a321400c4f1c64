import type * as Ort from 'onnxruntime-node';

let loaded: Promise<typeof Ort> | undefined;

/**
 * onnxruntime-node, loaded on first use so that activating the extension stays cheap.
 *
 * Its telemetry is turned off first, unless the user set ORT_DISABLE_TELEMETRY themselves: the
 * Linux and macOS builds (1.30) record usage events (a device id, the OS, model file names) in
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime to upload them, which an offline assistant must
 * not do; and on Linux they read /proc/self/cmdline through a std::regex that recurses once per
 * character, so a command line over about 28 KB (8 MiB stack) overflows the stack and kills the
 * process when the first session is created.
 */
export function loadOnnxRuntime(): Promise<typeof Ort> {
	process.env.ORT_DISABLE_TELEMETRY ??= '1';
	loaded ??= import('onnxruntime-node').catch((err: unknown) => {
		loaded = undefined;
		throw new Error(
			`onnxruntime-node could not be loaded: ${err instanceof Error ? err.message : String(err)}`,
		);
	});
	return loaded;
}
