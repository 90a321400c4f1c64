import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ModelHolder } from '../../../extension/app/models';
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
});
