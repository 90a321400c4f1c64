import * as assert from 'node:assert/strict';
import { ReplicaModels, runtimeLogits } from '../helpers/genaiReplicaModels';
import { measure, ones, sequence } from '../helpers/replicaReference';

// A float16 KV cache (attention in half precision, `halfKv.ts`) against the float32 one, on the
// replicas' reference sequences: the largest logit difference, greedy agreement and perplexity.
// REPLICA_REPORT=1 prints the numbers. Exact twins (accuracy_level 0): max |diff| 3.8e-3–7.8e-3,
// top-1 100%, perplexity within 0.02%. The acc4 twin (int8 activations) rounds the attention
// output's small differences into the next matmul's int8 steps: max |diff| 0.23, top-1 100%,
// perplexity 0.5% apart, the size of accuracy_level 4's own error (test/replicas/README.md).

/** Bounds: max |logit diff|, least top-1 agreement, most perplexity drift. */
const BOUNDS = { exact: [1e-2, 1, 5e-4], acc4: [0.5, 0.95, 1e-2] };

const REPORT = process.env.REPLICA_REPORT === '1';

describe('GenaiModel with a float16 KV cache', function () {
	this.timeout(60_000);
	let models: ReplicaModels;
	before(() => (models = new ReplicaModels()));
	after(() => models.dispose());

	for (const kind of ['phi3-128k', 'phi4-mini', 'plain', 'phi4-mini-acc4']) {
		const name = kind === 'plain' ? 'full' : 'long';
		it(`${kind} ${name}: logits close to float32, chunked and token by token`, async () => {
			const full = await models.open(kind);
			const half = await models.open(kind, { kvType: 'float16' });
			assert.equal(half.kvBytesPerToken * 2, full.kvBytesPerToken);
			const ref = sequence(kind.replace('-acc4', ''), name);
			const n = ref.tokens.length;
			const vocab = full.folder.vocabSize;
			for (const chunks of [
				[40, n - 40],
				[16, ...ones(n - 16)],
			]) {
				const a = await runtimeLogits(full, ref.tokens, chunks);
				const b = await runtimeLogits(half, ref.tokens, chunks);
				let worst = 0;
				for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
				const [ma, mb] = [measure(a, ref.tokens, vocab), measure(b, ref.tokens, vocab)];
				const agree = ma.argmax.filter((id, t) => id === mb.argmax[t]).length / n;
				const drift = Math.abs(mb.perplexity / ma.perplexity - 1);
				if (REPORT) {
					console.log(
						`      ${kind} ${name} in ${chunks.length} runs: max |diff| ${worst.toExponential(2)}, top-1 ${(100 * agree).toFixed(1)}%, perplexity ${ma.perplexity.toFixed(3)} → ${mb.perplexity.toFixed(3)}`,
					);
				}
				const [most, least, wander] = BOUNDS[kind.endsWith('-acc4') ? 'acc4' : 'exact'];
				assert.ok(worst < most, `max |diff| ${worst}`);
				assert.ok(agree >= least, `top-1 agreement ${agree}`);
				assert.ok(drift < wander, `perplexity drift ${drift}`);
			}
		});
	}
});
