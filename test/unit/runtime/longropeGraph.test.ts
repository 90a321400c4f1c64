import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KvCache } from '../../../extension/runtime/kvCache';
import { expectedGraphNames, LongropeGraph } from '../../../extension/runtime/longropeGraph';

const MODEL = process.env.LONGROPE_GOLDEN_MODEL ?? 'longrope-tiny';
const MODELS = path.resolve(__dirname, '../../../models');
const SHAPE = { layers: 6, kvHeads: 4, headDim: 32, vocabSize: 4096 };

describe('LongropeGraph', function () {
	this.timeout(30_000);

	it('lists the contract names of models/README.md', () => {
		assert.deepEqual(expectedGraphNames(1), {
			inputs: [
				'input_ids',
				'rope_cos',
				'rope_sin',
				'past_key_values.0.key',
				'past_key_values.0.value',
			],
			outputs: ['logits', 'present.0.key', 'present.0.value'],
		});
	});

	it('refuses the Hugging Face export, naming the inputs it lacks and has instead', async () => {
		await assert.rejects(
			LongropeGraph.open(path.join(MODELS, 'hf', MODEL, 'onnx', 'model.onnx'), SHAPE),
			/not a LongRoPE-ready graph for 6 layers: missing inputs rope_cos, rope_sin; unexpected inputs attention_mask, position_ids/,
		);
	});

	it('refuses a graph whose layer count disagrees with the config', async () => {
		await assert.rejects(
			LongropeGraph.open(path.join(MODELS, MODEL, 'model.onnx'), { ...SHAPE, layers: 7 }),
			/missing inputs past_key_values\.6\.key, past_key_values\.6\.value/,
		);
	});

	it('refuses a config whose heads or vocabulary disagree with the graph', async () => {
		await assert.rejects(
			LongropeGraph.open(path.join(MODELS, MODEL, 'model.onnx'), {
				...SHAPE,
				kvHeads: 8,
				vocabSize: 32000,
			}),
			/past_key_values\.0\.key has 4 at axis 2 but the config's num_key_value_heads is 8; logits has 4096 at axis 2 but the config's vocab_size is 32000/,
		);
	});

	it('refuses a truncated model file with the file named', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'longrope-'));
		const file = path.join(dir, 'model.onnx');
		writeFileSync(file, readFileSync(path.join(MODELS, MODEL, 'model.onnx')).subarray(0, 4096));
		try {
			await assert.rejects(LongropeGraph.open(file, SHAPE), (err: Error) =>
				err.message.startsWith(`${file} is not a loadable ONNX model`),
			);
		} finally {
			rmSync(dir, { recursive: true });
		}
	});

	it('refuses rotary tables that do not cover the positions being fed', async () => {
		const graph = await LongropeGraph.open(path.join(MODELS, MODEL, 'model.onnx'), SHAPE);
		const cache = new KvCache(graph.shape);
		const tables = {
			start: 1,
			count: 2,
			pairs: 16,
			cos: new Float32Array(32),
			sin: new Float32Array(32),
		};
		try {
			await assert.rejects(
				graph.forward([5, 6], tables, cache),
				/tables cover positions 1…2 with 16 pairs, but the tokens sit at 0…1/,
			);
			assert.equal(cache.length, 0);
		} finally {
			cache.dispose();
			await graph.dispose();
		}
	});
});
