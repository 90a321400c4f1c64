import * as assert from 'node:assert/strict';
import { FactorManager } from '../../../extension/engine/factorManager';
import type { FactorChoice } from '../../../extension/engine/factorSelection';
import { chooseSet } from '../../../extension/engine/model/requestPlan';
import { planIds } from '../../../extension/engine/model/requestPlan';
import { ReplicaModels, answer, runtimeLogits } from '../helpers/genaiReplicaModels';
import {
	EXACT,
	Replica,
	maxError,
	measure,
	ones,
	reference,
	sequence,
} from '../helpers/replicaReference';

// GenaiModel's logits on the replicas against reference.json, the float64 numpy forward written
// from Hugging Face's modeling_phi3 (never from the graph). REPLICA_REPORT=1 prints the errors.

const REPORT = process.env.REPLICA_REPORT === '1';
const report = (line: string): void => {
	if (REPORT) console.log(`      ${line}`);
};

describe('GenaiModel logits against the Hugging Face reference', function () {
	this.timeout(60_000);
	let models: ReplicaModels;
	before(() => (models = new ReplicaModels()));
	after(() => models.dispose());

	describe('logits against the reference (accuracy_level 0)', () => {
		for (const kind of ['phi3-128k', 'phi4-mini', 'plain']) {
			const names = kind === 'plain' ? ['short', 'full'] : ['short', 'long'];
			for (const name of names) {
				it(`${kind} ${name}: one prefill, chunked prefill, token by token`, async () => {
					const model = await models.open(kind);
					const ref = sequence(kind, name);
					const n = ref.tokens.length;
					const planned = chooseSet(model, n);
					assert.equal(
						planned.name,
						ref.factorSet === 'plain' ? 'default' : ref.factorSet,
					);
					for (const chunks of [[n], [40, n - 40], [16, ...ones(n - 16)]]) {
						const logits = await runtimeLogits(model, ref.tokens, chunks);
						const err = maxError(logits, ref, model.folder.vocabSize, 0, n);
						report(
							`${kind} ${name} in ${chunks.length} run(s): max |diff| ${err.toExponential(2)}`,
						);
						assert.ok(err <= EXACT, `${chunks.length} run(s): max |diff| ${err}`);
					}
				});
			}
		}

		it("perplexity() with the plan's spec gives the reference perplexity", async () => {
			for (const kind of ['phi3-128k', 'phi4-mini', 'plain']) {
				const model = await models.open(kind);
				for (const ref of reference.kinds[kind].sequences) {
					const rope = new FactorManager(model.windows.rope);
					const n = ref.tokens.length;
					const { spec } = rope.use(chooseSet(model, n) as FactorChoice, n);
					const result = await model.perplexity(ref.tokens, spec);
					assert.equal(result.tokens, n - 1);
					const drift = Math.abs(result.perplexity / ref.perplexity - 1);
					assert.ok(
						drift < 1e-5,
						`${kind} ${ref.name}: ${result.perplexity} vs ${ref.perplexity}`,
					);
				}
			}
		});

		it('perplexity() from token k scores ids[k…] alone: the reference NLLs of those tokens', async () => {
			const model = await models.open('phi3-128k');
			const ref = sequence('phi3-128k', 'long');
			const n = ref.tokens.length;
			const rope = new FactorManager(model.windows.rope);
			const { spec } = rope.use(chooseSet(model, n) as FactorChoice, n);
			for (const from of [1, 40, n - 1]) {
				// Token t is predicted at position t − 1: NLL = logsumexp − target logit there.
				let expected = 0;
				for (let t = from; t < n; t++) {
					expected += ref.logsumexp[t - 1] - ref.targetLogit[t - 1];
				}
				const result = await model.perplexity(ref.tokens, spec, undefined, from);
				assert.equal(result.tokens, n - from);
				assert.ok(
					Math.abs(result.negativeLogLikelihood - expected) < 1e-3,
					`from ${from}: ${result.negativeLogLikelihood} vs ${expected}`,
				);
			}
			await assert.rejects(
				model.perplexity(ref.tokens, spec, undefined, n),
				/scores from token 1 to \d+ of \d+; scoreFrom \d+ is outside/,
			);
			await assert.rejects(
				model.perplexity(ref.tokens, spec, undefined, 0),
				/scoreFrom 0 is outside/,
			);
		});
	});

	describe('accuracy_level 4 (int8 activations, as published)', () => {
		for (const kind of ['phi3-128k', 'phi4-mini', 'plain']) {
			it(`${kind}-acc4: top-1 ≥ 95% and perplexity within 1%, prefilled and decoded`, async () => {
				const model = await models.open(`${kind}-acc4`);
				for (const ref of reference.kinds[kind].sequences) {
					const n = ref.tokens.length;
					for (const chunks of [[n], [40, ...ones(n - 40)]]) {
						const m = measure(
							await runtimeLogits(model, ref.tokens, chunks),
							ref.tokens,
							model.folder.vocabSize,
						);
						const agree = m.argmax.filter((a, i) => a === ref.argmax[i]).length / n;
						const drift = Math.abs(m.perplexity / ref.perplexity - 1);
						report(
							`${kind}-acc4 ${ref.name} ${chunks.length} run(s): top-1 ${(agree * 100).toFixed(1)}%, perplexity drift ${(drift * 100).toFixed(2)}%`,
						);
						assert.ok(agree >= 0.95, `${ref.name}: top-1 agreement ${agree}`);
						assert.ok(
							drift <= 0.01,
							`${ref.name}: perplexity ${m.perplexity} vs ${ref.perplexity}`,
						);
					}
				}
			});
		}
	});

	describe('int4 activations chosen at load (accuracy_level rewritten, same weights)', () => {
		for (const kind of ['phi3-128k', 'phi4-mini']) {
			it(`${kind}-acc4 with float32 activations: the reference's logits; ${kind} with int8: the acc4 twin's`, async () => {
				const fp32 = await models.open(`${kind}-acc4`, { int4Activations: 'float32' });
				const int8 = await models.open(kind, { int4Activations: 'int8' });
				const twin = await models.open(`${kind}-acc4`);
				for (const ref of reference.kinds[kind].sequences) {
					const n = ref.tokens.length;
					for (const chunks of [[n], [40, ...ones(n - 40)]]) {
						const exact = maxError(
							await runtimeLogits(fp32, ref.tokens, chunks),
							ref,
							fp32.folder.vocabSize,
							0,
							n,
						);
						report(
							`${kind}-acc4 as float32, ${ref.name} in ${chunks.length} run(s): max |diff| ${exact.toExponential(2)}`,
						);
						assert.ok(exact <= EXACT, `${ref.name}: max |diff| ${exact}`);
						// The exact twin asked for int8 runs the acc4 twin's graph: the same numbers.
						const quantized = await runtimeLogits(int8, ref.tokens, chunks);
						assert.deepEqual(quantized, await runtimeLogits(twin, ref.tokens, chunks));
						assert.ok(maxError(quantized, ref, int8.folder.vocabSize, 0, n) > 1e-2);
					}
				}
			});
		}
	});

	describe('crossing the original window', () => {
		for (const kind of ['phi3-128k', 'phi4-mini']) {
			const window = reference.kinds[kind].originalMaxPositionEmbeddings;

			it(`${kind}: an answer that crosses ${window} runs the long set from the first token, as a fresh long prefill`, async () => {
				const model = await models.open(kind);
				// 36 tokens: from there greedy decoding of both random replicas runs its full budget
				// (from some others it writes <|end|> or <|endoftext|> early, a stop string).
				const prompt = sequence(kind, 'long').tokens.slice(0, 36);
				const plan = planIds(model, prompt, 64);
				assert.equal(plan.choice.name, 'long');
				const { stats } = await answer(model.openSession(), plan);
				const ids = [...prompt, ...stats.tokenIds];
				assert.equal(stats.stopReason, 'max-tokens');
				assert.equal(ids.length, 100);
				const fresh = measure(
					await runtimeLogits(model, ids, [ids.length]),
					ids,
					model.folder.vocabSize,
				).argmax;
				assert.deepEqual(stats.tokenIds, fresh.slice(prompt.length - 1, ids.length - 1));
			});

			it(`${kind}: the difference that matters, the original graph against this runtime across the window`, async () => {
				const model = await models.open(kind);
				const ref = sequence(kind, 'long');
				const n = ref.tokens.length;
				const chunks = [40, ...ones(n - 40)];
				const original = await Replica.open(kind);
				const vocab = model.folder.vocabSize;
				const stale = maxError(
					await original.logits(ref.tokens, chunks),
					ref,
					vocab,
					window,
					n,
				);
				const planned = maxError(
					await runtimeLogits(model, ref.tokens, chunks),
					ref,
					vocab,
					window,
					n,
				);
				console.log(
					`      ${kind}, 40-token prompt decoded to ${n}: max |logit error| after ${window} — ` +
						`original graph (short-set keys reused under the long set) ${stale.toFixed(3)}, ` +
						`this runtime (long set from the first token) ${planned.toExponential(2)}`,
				);
				assert.ok(stale > 1, `the original graph: ${stale}`);
				assert.ok(planned <= EXACT, `this runtime: ${planned}`);
			});
		}
	});
});
