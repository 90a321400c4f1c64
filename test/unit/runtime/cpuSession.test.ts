import * as assert from 'node:assert/strict';
import { cpuSessionOptions } from '../../../extension/runtime/cpuSession';

describe('cpuSessionOptions', () => {
	it('defaults: one thread per physical core that spins, denormals flushed, full optimization', () => {
		assert.deepEqual(cpuSessionOptions(0), {
			executionProviders: ['cpu'],
			graphOptimizationLevel: 'all',
			extra: { session: { intra_op: { allow_spinning: '1' }, set_denormal_as_zero: '1' } },
		});
	});

	it('passes a thread count, an optimization level and spinning through', () => {
		assert.deepEqual(cpuSessionOptions(3, 'basic', false), {
			executionProviders: ['cpu'],
			graphOptimizationLevel: 'basic',
			intraOpNumThreads: 3,
			extra: { session: { intra_op: { allow_spinning: '0' }, set_denormal_as_zero: '1' } },
		});
	});
});
