import * as assert from 'node:assert/strict';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { StaticFactorSet } from '../../../extension/engine/factorSet';
import { MemoryCapError } from '../../../extension/engine/generation/memoryGuard';
import { planPrompt } from '../../../extension/engine/model/requestPlan';
import { GenaiModel, isGenaiFolder } from '../../../extension/runtime/genai/genaiModel';
import { decodeModel, encodeModel } from '../../../extension/runtime/genai/onnxProto';
import { ModelFolderError } from '../../../extension/runtime/loadModelFolder';
import { planIds } from '../../../extension/engine/model/requestPlan';
import { ReplicaModels, answer } from '../helpers/genaiReplicaModels';
import { REPLICAS, sequence } from '../helpers/replicaReference';

// GenaiModel (the LanguageModel of ORT-genai folders) on the replicas (test/replicas/README.md):
// what it declares, requests through its sessions, what it refuses. Logits: genaiModelLogits.test.ts.

describe('GenaiModel on the ORT-genai replicas', function () {
	this.timeout(60_000);
	let models: ReplicaModels;
	before(() => (models = new ReplicaModels()));
	after(() => models.dispose());

	describe('what it declares', () => {
		it('phi3-128k: config.json sets, KV bytes per token, memory limit, stop strings', async () => {
			assert.ok(isGenaiFolder(path.join(REPLICAS, 'phi3-128k')));
			const model = await models.open('phi3-128k', { maxKvCacheBytes: 1 << 20 });
			assert.deepEqual(model.description, {
				name: 'phi3-128k',
				kind: 'local',
				format: 'ort-genai',
				location: path.join(REPLICAS, 'phi3-128k'),
			});
			assert.equal(model.windows.kind, 'factor-sets');
			const rope = model.windows.rope;
			assert.deepEqual(
				rope.sets.map((s) => [s.name, s.maxLength]),
				[
					['short', 64],
					['long', 512],
				],
			);
			assert.deepEqual(model.warnings, []);
			// 2 layers × (key + value) × 4 KV heads × 32 dims × 4 bytes.
			assert.equal(model.kvBytesPerToken, 2 * 2 * 4 * 32 * 4);
			assert.equal(model.memoryLimit.tokens, 512);
			assert.deepEqual(model.stopStrings, [
				'<|end|>',
				'<|user|>',
				'<|system|>',
				'<|endoftext|>',
			]);
			assert.equal(model.countMargin, 0);
		});

		it('phi4-mini: partial rotary from config.json (48 of 64 dims), 2 KV heads', async () => {
			const model = await models.open('phi4-mini');
			const rope = model.windows.rope;
			assert.equal(rope.geometry.rotaryDim, 48);
			assert.equal(rope.geometry.headDim, 64);
			assert.equal(model.kvBytesPerToken, 2 * 2 * 2 * 64 * 4);
		});

		it('prefills in fewer rows where the attention scores of a run would pass 36 MiB', async () => {
			const model = await models.open('phi4-mini', { prefillChunk: 256 });
			// 4 heads × capacity × 4 bytes per row: 36 MiB / 16 B = 2359296 row-positions,
			// rounded down to a multiple of 16 rows, at least 16, at most the tuned chunk.
			const rows = [100, 9216, 9217, 32768, 1_000_000].map((c) => model.prefillRows(c));
			assert.deepEqual(rows, [256, 256, 240, 64, 16]);
			model.retune({ prefillChunk: 48 });
			assert.equal(model.prefillRows(32768), 48);
			// Another limit: 1 MiB / (4 heads × 1000 positions × 4 bytes) = 65.5 → 64 rows.
			const small = await models.open('phi4-mini', {
				prefillChunk: 256,
				scoreBytes: 2 ** 20,
			});
			assert.equal(small.prefillRows(1000), 64);
			await assert.rejects(models.open('phi4-mini', { scoreBytes: 0 }), {
				message: 'scoreBytes must be positive, not 0',
			});
		});

		it('without config.json: the sets read back from the graph, said so', async () => {
			const configured = await models.open('phi3-128k');
			const dir = models.copy('phi3-128k');
			unlinkSync(path.join(dir, 'config.json'));
			const model = await models.open(dir);
			const sets = (m: GenaiModel) => m.windows.rope.sets as StaticFactorSet[];
			assert.deepEqual(
				sets(model).map((s) => [s.name, s.maxLength]),
				[
					['short', 64],
					['long', 512],
				],
			);
			sets(model).forEach((set, k) => {
				const expected = sets(configured)[k];
				assert.ok(Math.abs(set.attentionFactor - expected.attentionFactor) < 1e-6);
				set.factors.forEach((f, i) =>
					assert.ok(Math.abs(f / expected.factors[i] - 1) < 1e-5, `${set.name} λ_${i}`),
				);
			});
			assert.match(model.warnings[0], /no config\.json: the factor sets were read back/);

			const plain = models.copy('plain');
			unlinkSync(path.join(plain, 'config.json'));
			const single = await models.open(plain);
			assert.deepEqual(
				sets(single).map((s) => [s.name, s.method, s.maxLength]),
				[['default', 'none', 128]],
			);
		});

		it('surfaces where config.json and the graph disagree', async () => {
			const dir = models.copy('phi4-mini');
			const file = path.join(dir, 'config.json');
			const config = JSON.parse(readFileSync(file, 'utf8')) as {
				rope_scaling: { long_factor: number[] };
			};
			config.rope_scaling.long_factor[3] *= 1.01;
			writeFileSync(file, JSON.stringify(config));
			const model = await models.open(dir);
			assert.equal(model.warnings.length, 1);
			assert.match(
				model.warnings[0],
				/config\.json and the graph's own rotary caches disagree: long set: 1 of 24 factors differ .*λ_3/,
			);
		});
	});

	describe('requests through a session', () => {
		it('renders a chat, streams a greedy answer of at most 8 tokens, and reports the plan', async () => {
			const model = await models.open('phi4-mini');
			const messages = [{ role: 'user' as const, content: 'hi' }];
			const plan = planPrompt(model, messages, 8);
			assert.deepEqual(
				plan.promptIds,
				model.tokenizer.encode('<|user|>hi<|end|><|assistant|>'),
			);
			assert.deepEqual(plan.stopIds, [308, 311]);
			const starts: unknown[] = [];
			const session = model.openSession();
			const generator = session.generate({ plan }, undefined, {
				onStart: (p) => starts.push(p),
			});
			const deltas: string[] = [];
			let next = await generator.next();
			for (; !next.done; next = await generator.next()) deltas.push(next.value);
			const stats = next.value;
			assert.ok(deltas.length > 0 && stats.newTokens > 0 && stats.newTokens <= 8);
			assert.equal(deltas.join(''), model.tokenizer.decode(stats.tokenIds));
			assert.deepEqual(starts, [stats.plan]);
			assert.deepEqual(
				{ set: stats.plan.set, reused: stats.plan.reusedTokens, kv: stats.kvBytes },
				{ set: 'short', reused: 0, kv: plan.plannedLength * model.kvBytesPerToken },
			);
		});

		it('reuses the cached prefix, and rebuilds the cache when the plan picks another set', async () => {
			const model = await models.open('phi3-128k');
			const tokens = sequence('phi3-128k', 'long').tokens;
			const session = model.openSession();
			const first = await answer(session, planIds(model, tokens.slice(0, 30), 4));
			assert.equal(first.stats.plan.set, 'short');
			const prompt = [...tokens.slice(0, 30), ...first.stats.tokenIds.slice(0, 3), 5, 6];
			const second = await answer(session, planIds(model, prompt, 4));
			assert.equal(second.stats.plan.reusedTokens, 33);
			assert.equal(second.stats.plan.cacheRebuilt, undefined);
			// The same prompt from scratch answers the same.
			const fresh = await answer(model.openSession(), planIds(model, prompt, 4));
			assert.deepEqual(second.stats.tokenIds, fresh.stats.tokenIds);
			const third = await answer(session, planIds(model, prompt, 40));
			assert.equal(third.stats.plan.set, 'long');
			assert.equal(third.stats.plan.reusedTokens, 0);
			assert.match(
				third.stats.plan.cacheRebuilt ?? '',
				/factor set changed from short to long: 3[0-9] cached keys/,
			);
		});

		it('stops between prefill chunks when cancelled', async () => {
			const model = await models.open('plain');
			const source = {
				isCancellationRequested: false,
				onCancellationRequested: () => ({ dispose() {} }),
			};
			const chunks: number[] = [];
			const generator = model
				.openSession()
				.generate(
					{ plan: planIds(model, sequence('plain', 'full').tokens.slice(0, 60), 4) },
					source,
					{
						onPrefill: (p) => {
							chunks.push(p.done);
							source.isCancellationRequested = true;
						},
					},
				);
			await assert.rejects(generator.next(), { name: 'CancellationError' });
			assert.deepEqual(chunks, [16]);
		});

		it('refuses a plan whose KV cache is over the cap, and runs it once retuned', async () => {
			const model = await models.open('phi4-mini', { maxKvCacheBytes: 50 * 2048 });
			assert.equal(model.memoryLimit.tokens, 50);
			const plan = planIds(model, sequence('phi4-mini', 'short').tokens.slice(0, 40), 20);
			await assert.rejects(
				model.openSession().generate({ plan }).next(),
				(err: Error) =>
					err instanceof MemoryCapError &&
					/60-token request needs a 120\.0 KiB KV cache, over the 100\.0 KiB cap/.test(
						err.message,
					),
			);
			model.retune({ maxKvCacheBytes: 60 * 2048 });
			assert.equal(model.memoryLimit.tokens, 60);
			const { stats } = await answer(model.openSession(), plan);
			assert.equal(stats.kvBytes, 60 * 2048);
		});
	});

	it('refuses a folder whose attention is not GroupQueryAttention, naming what it found', async () => {
		const dir = models.copy('phi4-mini');
		const file = path.join(dir, 'model.onnx');
		const model = decodeModel(readFileSync(file), file);
		for (const node of model.graph?.node ?? []) {
			if (node.opType === 'GroupQueryAttention') node.opType = 'MultiHeadAttention';
		}
		writeFileSync(file, encodeModel(model));
		await assert.rejects(
			models.open(dir),
			(err: Error) =>
				err instanceof ModelFolderError &&
				/no GroupQueryAttention node: its attention is MultiHeadAttention/.test(
					err.message,
				),
		);
	});
});
