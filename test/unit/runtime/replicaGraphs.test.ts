import * as assert from 'node:assert/strict';
import {
	EXACT,
	Replica,
	maxError,
	measure,
	ones,
	reference,
	sequence,
} from '../helpers/replicaReference';

// The ORT-genai replicas (test/replicas/make_replicas.py) run as published, with a plain
// InferenceSession fed the way ORT-genai feeds them, against reference.json
// (test/reference/phi3_reference.py: numpy float64, Hugging Face Phi-3 semantics).

const REPORT = process.env.REPLICA_REPORT === '1';

function report(line: string): void {
	if (REPORT) console.log(`      ${line}`);
}

describe('ORT-genai replica graphs against the Hugging Face reference', function () {
	this.timeout(60_000);

	for (const kind of ['phi3-128k', 'phi4-mini', 'plain']) {
		it(`${kind}: a prefill of the short sequence gives the reference logits`, async () => {
			const replica = await Replica.open(kind);
			const ref = sequence(kind, 'short');
			const logits = await replica.logits(ref.tokens, [ref.tokens.length]);
			const err = maxError(logits, ref, replica.vocab, 0, ref.tokens.length);
			report(`${kind} short prefill: max |diff| ${err.toExponential(2)}`);
			assert.ok(err <= EXACT, `max |diff| ${err}`);
			assert.deepEqual(measure(logits, ref.tokens, replica.vocab).argmax, ref.argmax);
		});

		it(`${kind}: chunked prefill and token-by-token decode of the short sequence agree with it too`, async () => {
			const replica = await Replica.open(kind);
			const ref = sequence(kind, 'short');
			for (const chunks of [
				[40, 24],
				[16, ...ones(48)],
			]) {
				const err = maxError(
					await replica.logits(ref.tokens, chunks),
					ref,
					replica.vocab,
					0,
					ref.tokens.length,
				);
				assert.ok(
					err <= EXACT,
					`chunks ${chunks.slice(0, 3).join(',')}…: max |diff| ${err}`,
				);
			}
		});
	}

	for (const kind of ['phi3-128k', 'phi4-mini']) {
		const window = reference.kinds[kind].originalMaxPositionEmbeddings;

		it(`${kind}: the long sequence prefilled in one go gives the long-regime logits (the If picks the long caches)`, async () => {
			const replica = await Replica.open(kind);
			const ref = sequence(kind, 'long');
			assert.equal(ref.factorSet, 'long');
			assert.ok(ref.tokens.length > window);
			const logits = await replica.logits(ref.tokens, [ref.tokens.length]);
			const err = maxError(logits, ref, replica.vocab, 0, ref.tokens.length);
			report(`${kind} long prefill: max |diff| ${err.toExponential(2)}`);
			assert.ok(err <= EXACT, `max |diff| ${err}`);
		});

		it(`${kind}: decoding across the window reuses short-set keys under the long set and misses the reference`, async () => {
			const replica = await Replica.open(kind);
			const short = sequence(kind, 'short');
			const long = sequence(kind, 'long');
			assert.deepEqual(
				long.tokens.slice(0, window),
				short.tokens,
				'the long sequence extends the short one',
			);
			const prompt = 40;
			const logits = await replica.logits(long.tokens, [
				prompt,
				...ones(long.tokens.length - prompt),
			]);
			// Up to the window the short set is right, and the cache is consistent with it.
			const before = maxError(
				logits.subarray(0, window * replica.vocab),
				short,
				replica.vocab,
				0,
				window,
			);
			assert.ok(before <= EXACT, `before the crossing: max |diff| ${before}`);
			// Past it the If hands out the long caches, but keys 0..window-1 stay rotated by the short set.
			const after = maxError(logits, long, replica.vocab, window, long.tokens.length);
			const m = measure(logits, long.tokens, replica.vocab);
			const agree = m.argmax
				.slice(window)
				.filter((a, i) => a === long.argmax[window + i]).length;
			report(
				`${kind} decode across the crossing: max |diff| after it ${after.toFixed(3)}, ` +
					`top-1 agreement ${agree}/${long.tokens.length - window}, ` +
					`perplexity ${m.perplexity.toFixed(2)} vs reference ${long.perplexity.toFixed(2)}`,
			);
			assert.ok(
				after > 1,
				`after the crossing the stale keys should show: max |diff| ${after}`,
			);
			assert.ok(
				agree < long.tokens.length - window,
				'some greedy tokens after the crossing should change',
			);
		});
	}

	it('plain: the full sequence, prefilled or decoded token by token, gives the reference logits', async () => {
		const replica = await Replica.open('plain');
		const ref = sequence('plain', 'full');
		for (const chunks of [[ref.tokens.length], [40, ...ones(ref.tokens.length - 40)]]) {
			const err = maxError(
				await replica.logits(ref.tokens, chunks),
				ref,
				replica.vocab,
				0,
				ref.tokens.length,
			);
			report(`plain full, ${chunks.length} run(s): max |diff| ${err.toExponential(2)}`);
			assert.ok(err <= EXACT, `${chunks.length} run(s): max |diff| ${err}`);
		}
	});

	for (const kind of ['phi3-128k', 'phi4-mini', 'plain']) {
		it(`${kind}-acc4: accuracy_level 4 keeps top-1 and perplexity within 1% of the reference`, async () => {
			const replica = await Replica.open(`${kind}-acc4`);
			for (const ref of reference.kinds[kind].sequences) {
				const logits = await replica.logits(ref.tokens, [ref.tokens.length]);
				const m = measure(logits, ref.tokens, replica.vocab);
				const agree =
					m.argmax.filter((a, i) => a === ref.argmax[i]).length / ref.argmax.length;
				const drift = Math.abs(m.perplexity / ref.perplexity - 1);
				report(
					`${kind}-acc4 ${ref.name}: top-1 ${(agree * 100).toFixed(1)}%, perplexity ${m.perplexity.toFixed(3)} ` +
						`vs ${ref.perplexity.toFixed(3)} (${(drift * 100).toFixed(2)}%), ` +
						`max |diff| ${maxError(logits, ref, replica.vocab, 0, ref.tokens.length).toFixed(3)}`,
				);
				assert.ok(agree >= 0.95, `${ref.name}: top-1 agreement ${agree}`);
				assert.ok(
					drift <= 0.01,
					`${ref.name}: perplexity ${m.perplexity} vs ${ref.perplexity}`,
				);
			}
		});
	}
});
