import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ModelHolder, type ModelChoice } from '../../../extension/app/models';
import { GenaiModel } from '../../../extension/runtime/genai/genaiModel';
import { DEFAULT_PREFILL_CHUNK } from '../../../extension/runtime/decoding';
import { LocalModel } from '../../../extension/runtime/localModel';
import { REPLICAS } from '../helpers/replicaReference';

const BUNDLED = path.resolve(__dirname, '../../../models/longrope-tiny');

describe("the engine's model holder: the weights stay, the tuning follows each choice", () => {
	for (const [kind, folder] of [
		['an ONNX Runtime GenAI folder', path.join(REPLICAS, 'phi4-mini')],
		['the bundled model', BUNDLED],
	] as const) {
		it(`${kind}: a choice that names no prefill chunk gets the default (the editor names none)`, async () => {
			// The adapted GenAI graph goes to a scratch cache, not the user's.
			const cache = process.env.LONGROPE_CACHE_DIR;
			process.env.LONGROPE_CACHE_DIR = mkdtempSync(path.join(tmpdir(), 'longrope-holder-'));
			const holder = new ModelHolder();
			try {
				const first = await holder.get({ folder, maxKvCacheBytes: 1 << 26 });
				const model = first.model;
				assert.ok(model instanceof GenaiModel || model instanceof LocalModel);
				assert.equal(first.reused, false);
				assert.equal(model.prefillChunk, DEFAULT_PREFILL_CHUNK);
				const tuned = await holder.get({ folder, prefillChunk: 32 });
				assert.equal(tuned.reused, true);
				assert.equal(tuned.model, model);
				assert.equal(model.prefillChunk, 32);
				await holder.get({ folder });
				assert.equal(model.prefillChunk, DEFAULT_PREFILL_CHUNK);
			} finally {
				await holder.dispose();
				if (cache === undefined) delete process.env.LONGROPE_CACHE_DIR;
				else process.env.LONGROPE_CACHE_DIR = cache;
			}
		});
	}

	it('a float16 KV cache: a GenAI folder is reloaded with half the bytes per token; the bundled model keeps float32 and says so', async () => {
		const cache = process.env.LONGROPE_CACHE_DIR;
		process.env.LONGROPE_CACHE_DIR = mkdtempSync(path.join(tmpdir(), 'longrope-holder-'));
		const holder = new ModelHolder();
		const open = async (choice: ModelChoice) => {
			const opened = await holder.get(choice);
			return {
				bytes: opened.model.kvBytesPerToken,
				reused: opened.reused,
				warnings: opened.warnings,
			};
		};
		try {
			// phi4-mini replica: 2 layers × (keys + values) × 2 KV heads × 64 × 4 bytes.
			const genai = path.join(REPLICAS, 'phi4-mini');
			assert.deepEqual(await open({ folder: genai }), {
				bytes: 2 * 2 * 2 * 64 * 4,
				reused: false,
				warnings: [],
			});
			assert.deepEqual(await open({ folder: genai, kvPrecision: 'float16' }), {
				bytes: 2 * 2 * 2 * 64 * 2,
				reused: false,
				warnings: [],
			});
			assert.equal((await open({ folder: genai, kvPrecision: 'float16' })).reused, true);
			// Other activations are another graph: loaded anew, the cache's size unchanged.
			const fp32 = {
				folder: genai,
				kvPrecision: 'float16',
				int4Activations: 'float32',
			} as const;
			assert.deepEqual(await open(fp32), {
				bytes: 2 * 2 * 2 * 64 * 2,
				reused: false,
				warnings: [],
			});
			assert.equal((await open(fp32)).reused, true);
			// The bundled model: 6 layers × 2 × 4 KV heads × 32 × 4 bytes, whatever is asked.
			assert.deepEqual(
				await open({ folder: BUNDLED, kvPrecision: 'float16', int4Activations: 'int8' }),
				{
					bytes: 6 * 2 * 4 * 32 * 4,
					reused: false,
					warnings: [
						'a float16 KV cache applies to ONNX Runtime GenAI model folders; this model keeps its float32 cache',
						'int8 activations apply to the int4 matmuls of ONNX Runtime GenAI model folders; this model has none',
					],
				},
			);
		} finally {
			await holder.dispose();
			if (cache === undefined) delete process.env.LONGROPE_CACHE_DIR;
			else process.env.LONGROPE_CACHE_DIR = cache;
		}
	});
});
