import type * as Ort from 'onnxruntime-node';

export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

/**
 * Session options for onnxruntime's CPU provider, shared by both runtimes. `threads` 0 is
 * onnxruntime's own choice (one per physical core). Its worker threads spin between operators
 * unless `spinning` is false: on an otherwise idle 2-core machine spinning ran the bundled model
 * 1.26× faster in prefill and 1.41× in decode (bench/results/session.md); on 2 cores busy with
 * other jobs, sleeping threads ran it twice as fast as spinning ones.
 *
 * Denormal floats are flushed to zero: masked attention scores (−∞, clamped by the exponential)
 * come out of softmax as denormals, which x86 handles about a hundred times slower; on a
 * Phi-3.5-mini prefill chunk at 3840 cached, softmax took 3.9 s of 18.3 s with them and 0.5 s
 * of 12.9 s without (onnxruntime's profile). Values that small change no logit.
 */
export function cpuSessionOptions(
	threads: number,
	graphOptimization: GraphOptimization = 'all',
	spinning = true,
): Ort.InferenceSession.SessionOptions {
	return {
		executionProviders: ['cpu'],
		graphOptimizationLevel: graphOptimization,
		...(threads === 0 ? {} : { intraOpNumThreads: threads }),
		extra: {
			session: {
				intra_op: { allow_spinning: spinning ? '1' : '0' },
				set_denormal_as_zero: '1',
			},
		},
	};
}
