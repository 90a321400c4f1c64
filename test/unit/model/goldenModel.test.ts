import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { KvCache } from '../../../extension/runtime/kvCache';
import { FactorManager } from '../../../extension/engine/factorManager';
import { ropeConfigFromHf } from '../../../extension/engine/hfRopeConfig';
import { LongropeGraph } from '../../../extension/runtime/longropeGraph';
import { FIXTURES } from '../helpers/fixtures';

const MODEL = process.env.LONGROPE_GOLDEN_MODEL ?? 'longrope-tiny';
const ROOT = path.resolve(__dirname, '../../..');

interface Golden {
	ids: number[];
	chunk: number;
	top: { id: number; logit: number }[][];
}

/**
 * The golden fixture was written by models/train/golden.mjs, which runs the graph through its own
 * plain-RoPE table code (models/train/ort-graph.mjs), independent of the engine used here. The
 * model card's numbers hold only while these logits do.
 */
describe('bundled model golden fixture', function () {
	this.timeout(60_000);
	const folder = path.join(ROOT, 'models', MODEL);
	const golden = JSON.parse(
		readFileSync(path.join(FIXTURES, `golden-${MODEL}.json`), 'utf8'),
	) as Golden;
	const config = JSON.parse(readFileSync(path.join(folder, 'config.json'), 'utf8')) as Record<
		string,
		number
	>;

	async function topLogits(chunk: number): Promise<{ id: number; logit: number }[][]> {
		const rope = new FactorManager(ropeConfigFromHf(config));
		rope.plan({ plannedLength: golden.ids.length });
		const graph = await LongropeGraph.open(path.join(folder, 'model.onnx'), {
			layers: config.num_hidden_layers,
			kvHeads: config.num_key_value_heads,
			headDim: config.head_dim,
			vocabSize: config.vocab_size,
		});
		const cache = new KvCache(graph.shape, golden.ids.length);
		const rows: { id: number; logit: number }[][] = [];
		try {
			for (let start = 0; start < golden.ids.length; start += chunk) {
				const ids = golden.ids.slice(start, start + chunk);
				const logits = await graph.forward(ids, rope.tables(start, ids.length), cache);
				for (let t = 0; t < ids.length; t++) {
					const row = logits.subarray(t * config.vocab_size, (t + 1) * config.vocab_size);
					rows.push(golden.top[rows.length].map(({ id }) => ({ id, logit: row[id] })));
				}
			}
		} finally {
			cache.dispose();
			await graph.dispose();
			rope.dispose();
		}
		return rows;
	}

	for (const chunk of [8, 1, 64]) {
		it(`reproduces the top logits at every position (chunks of ${chunk})`, async () => {
			const rows = await topLogits(chunk);
			assert.equal(rows.length, golden.ids.length);
			rows.forEach((row, t) =>
				row.forEach(({ id, logit }, k) => {
					const expected = golden.top[t][k].logit;
					assert.ok(
						Math.abs(logit - expected) <= 2e-4,
						`position ${t}, token ${id}: ${logit} vs golden ${expected}`,
					);
				}),
			);
		});
	}

	it("keeps the golden ranking: the fixture lists each position's top tokens in order", async () => {
		const rows = await topLogits(golden.chunk);
		for (const row of rows) {
			for (let k = 1; k < row.length; k++) assert.ok(row[k - 1].logit >= row[k].logit);
		}
	});
});
