import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancellationError, CancellationTokenSource } from '../../../extension/engine/cancellation';
import { MemoryCapError } from '../../../extension/engine/generation/memoryGuard';
import type { SamplingOptions } from '../../../extension/engine/generation/sampling';
import type { GenerationStats, PlanInfo } from '../../../extension/engine/model/languageModel';
import { planIds } from '../../../extension/engine/model/requestPlan';
import { FactorManager } from '../../../extension/engine/factorManager';
import { LocalModel, type Conversation } from '../../../extension/runtime/localModel';

/** A raw continuation: prompt ids, an answer budget, the set the plan picks (or forces). */
interface RawRequest {
	readonly prompt: readonly number[];
	readonly maxNewTokens: number;
	readonly sampling?: SamplingOptions;
	readonly override?: string;
	readonly stopIds?: readonly number[];
}

let model: LocalModel;

function request(raw: RawRequest) {
	return {
		plan: planIds(model, raw.prompt, raw.maxNewTokens, raw.override, raw.stopIds),
		sampling: raw.sampling,
	};
}

const MODEL = process.env.LONGROPE_GOLDEN_MODEL ?? 'longrope-tiny';
const BUNDLED = path.resolve(__dirname, '../../../models', MODEL);
const WINDOW = 256;

/** The bundled model plus a longrope.json `long` set (PI ×4, n̂ 8), so that plans past the window switch sets. */
function folderWithLongSet(): string {
	const dir = mkdtempSync(path.join(tmpdir(), 'longrope-model-'));
	for (const file of ['config.json', 'tokenizer.json', 'model.onnx'])
		copyFileSync(path.join(BUNDLED, file), path.join(dir, file));
	const long = {
		name: 'long',
		maxLength: 4 * WINDOW,
		factors: new Array(16).fill(4),
		nHat: 8,
		attentionFactor: 1.1,
	};
	writeFileSync(path.join(dir, 'longrope.json'), JSON.stringify({ sets: [long] }));
	return dir;
}

async function answer(
	conversation: Conversation,
	raw: RawRequest,
): Promise<{ text: string; stats: GenerationStats; plan?: PlanInfo }> {
	let plan: PlanInfo | undefined;
	const stream = conversation.generate(request(raw), undefined, {
		onStart: (p) => (plan = p),
	});
	let text = '';
	for (;;) {
		const next = await stream.next();
		if (next.done) return { text, stats: next.value, plan };
		text += next.value;
	}
}

function tokens(count: number, seed: number): number[] {
	return Array.from({ length: count }, (_, i) => 7 + ((i * 131 + seed * 17) % 4000));
}

describe('Conversation (generation on the bundled graph)', function () {
	this.timeout(120_000);
	let dir: string;

	before(async () => {
		dir = folderWithLongSet();
		model = await LocalModel.load(dir, { prefillChunk: 64 });
	});
	after(async () => {
		await model.dispose();
		rmSync(dir, { recursive: true });
	});

	it('answers identically after crossing the original window as a fresh prefill with the long set', async () => {
		const first = tokens(200, 1);
		const second = [...first, ...tokens(120, 2)];
		const request = { maxNewTokens: 24 } as const;

		const switching = model.openSession();
		const a1 = await answer(switching, { ...request, prompt: first });
		assert.equal(a1.plan?.set, 'default', '200 + 24 tokens fit the 256 window');
		const a2 = await answer(switching, { ...request, prompt: second });
		assert.equal(a2.plan?.set, 'long');
		assert.match(a2.plan?.cacheRebuilt ?? '', /factor set changed from default to long/);
		assert.equal(a2.plan?.reusedTokens, 0, 'no key rotated by the short set may be reused');

		const fresh = model.openSession();
		const b = await answer(fresh, { ...request, prompt: second });
		assert.equal(b.plan?.cacheRebuilt, undefined);
		assert.equal(a2.text, b.text);
		assert.equal(a2.stats.newTokens, b.stats.newTokens);
		switching.dispose();
		fresh.dispose();
	});

	it('reuses a shared prompt prefix and answers as a fresh prefill does', async () => {
		const context = tokens(150, 3);
		const conversation = model.openSession();
		await answer(conversation, { prompt: [...context, ...tokens(10, 4)], maxNewTokens: 8 });
		const follow = [...context, ...tokens(12, 5)];
		const reused = await answer(conversation, { prompt: follow, maxNewTokens: 16 });
		assert.equal(reused.plan?.reusedTokens, 150);
		const fresh = model.openSession();
		const direct = await answer(fresh, { prompt: follow, maxNewTokens: 16 });
		assert.equal(direct.plan?.reusedTokens, 0);
		assert.equal(reused.text, direct.text);
		conversation.dispose();
		fresh.dispose();
	});

	it('sizes its KV cache once per plan, exactly to the planned length', async () => {
		const conversation = model.openSession();
		const perToken = model.kvBytesPerToken;
		const small = await answer(conversation, { prompt: tokens(30, 9), maxNewTokens: 10 });
		assert.equal(small.stats.kvBytes, 40 * perToken, 'prompt 30 + answer 10');
		const large = await answer(conversation, { prompt: tokens(100, 9), maxNewTokens: 20 });
		assert.equal(large.stats.kvBytes, 120 * perToken, 'grown once, to the new plan');
		const again = await answer(conversation, { prompt: tokens(50, 9), maxNewTokens: 10 });
		assert.equal(again.stats.kvBytes, 120 * perToken, 'a smaller plan keeps the buffer');
		conversation.dispose();
	});

	it('is reproducible for a sampling seed and stops at a stop token', async () => {
		const conversation = model.openSession();
		const request = {
			prompt: tokens(40, 6),
			maxNewTokens: 12,
			sampling: { temperature: 0.8, topK: 40, topP: 0.9, seed: 11 },
		};
		const one = await answer(conversation, request);
		conversation.reset();
		const two = await answer(conversation, request);
		assert.equal(one.text, two.text);
		const greedy = await answer(conversation, { prompt: tokens(40, 6), maxNewTokens: 1 });
		const firstId = model.folder.tokenizer.encode(greedy.text)[0];
		const stopped = await answer(conversation, {
			prompt: tokens(40, 6),
			maxNewTokens: 12,
			stopIds: [firstId],
		});
		assert.equal(stopped.text, '');
		assert.equal(stopped.stats.stopReason, 'stop-token');
		conversation.dispose();
	});

	it('refuses a plan over the KV cap with both numbers, before allocating', async () => {
		const capped = await LocalModel.load(dir, { maxKvCacheBytes: 1024 * 1024 });
		const conversation = capped.openSession();
		const perToken = capped.kvBytesPerToken;
		await assert.rejects(
			answer(conversation, { prompt: tokens(300, 7), maxNewTokens: 100 }),
			(err: Error) => {
				assert.ok(err instanceof MemoryCapError);
				assert.equal(err.neededBytes, 400 * perToken);
				assert.equal(err.capBytes, 1024 * 1024);
				assert.match(
					err.message,
					/400-token request needs a 2\.3 MiB KV cache, over the 1\.0 MiB cap/,
				);
				return true;
			},
		);
		conversation.dispose();
		await capped.dispose();
	});

	it('perplexity from token k is the whole NLL less that of the first k tokens', async () => {
		const ids = tokens(200, 3);
		const { spec } = new FactorManager(model.windows.rope).plan({
			plannedLength: ids.length,
			override: 'long',
		});
		const whole = await model.perplexity(ids, spec);
		assert.equal(whole.tokens, 199);
		// Chunks are 64 rows: k = 64 starts a chunk, k = 100 falls inside one.
		for (const k of [1, 64, 100, 199]) {
			const prefix =
				k < 2 ? 0 : (await model.perplexity(ids.slice(0, k), spec)).negativeLogLikelihood;
			const scored = await model.perplexity(ids, spec, undefined, k);
			assert.equal(scored.tokens, 200 - k);
			assert.ok(
				Math.abs(scored.negativeLogLikelihood - (whole.negativeLogLikelihood - prefix)) <
					1e-3,
				`from ${k}: ${scored.negativeLogLikelihood} vs ${whole.negativeLogLikelihood - prefix}`,
			);
		}
		await assert.rejects(
			model.perplexity(ids, spec, undefined, 200),
			/scoreFrom 200 is outside/,
		);
	});

	it('stops when cancelled between prefill chunks and is ready for the next request', async () => {
		const conversation = model.openSession();
		const source = new CancellationTokenSource();
		const stream = conversation.generate(
			request({ prompt: tokens(200, 8), maxNewTokens: 8 }),
			source.token,
			{
				onPrefill: (p) => {
					if (p.done >= 64) source.cancel();
				},
			},
		);
		await assert.rejects(stream.next(), CancellationError);
		const after = await answer(conversation, { prompt: tokens(200, 8), maxNewTokens: 8 });
		assert.equal(after.plan?.reusedTokens, 64, 'the chunk that finished stays cached');
		const fresh = model.openSession();
		assert.equal(
			after.text,
			(await answer(fresh, { prompt: tokens(200, 8), maxNewTokens: 8 })).text,
		);
		conversation.dispose();
		fresh.dispose();
	});
});
