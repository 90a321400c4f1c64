import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
	cpSync,
	existsSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	rmSync,
	statSync,
	unlinkSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import {
	adaptGenaiGraph,
	openAdaptedSession,
	readOriginalCaches,
} from '../../../extension/runtime/genai/adaptGraph';
import { FACTOR_TOLERANCE } from '../../../extension/runtime/genai/factorRecovery';
import { readGenaiFolder, type GenaiFolder } from '../../../extension/runtime/genai/genaiFolder';
import {
	ATTR_INT,
	decodeModel,
	encodeModel,
	type ModelProto,
} from '../../../extension/runtime/genai/onnxProto';
import type { CachePair, CacheSource } from '../../../extension/runtime/genai/rotaryCaches';
import { ModelFolderError } from '../../../extension/runtime/loadModelFolder';
import { loadOnnxRuntime } from '../../../extension/runtime/onnxRuntime';

const FIXTURES = path.resolve(__dirname, '../../fixtures/genai-tiny');
/** The factors test/fixtures/genai-tiny/generate.py baked into the longrope fixture's caches. */
const SHORT = [1.0, 1.05, 1.2, 1.5, 2.0, 2.5, 3.25, 4.0];
const LONG = [1.1, 1.4, 2.0, 3.0, 4.5, 6.0, 7.5, 9.0];

function folderDigest(dir: string): Record<string, string> {
	const digest: Record<string, string> = {};
	for (const name of readdirSync(dir).sort()) {
		const file = path.join(dir, name);
		const bytes = readFileSync(file);
		digest[name] =
			`${createHash('sha256').update(bytes).digest('hex')} ${statSync(file).mtimeMs}`;
	}
	return digest;
}

function rewriteModel(dir: string, edit: (model: ModelProto) => void): void {
	const file = path.join(dir, 'model.onnx');
	const model = decodeModel(readFileSync(file), file);
	edit(model);
	writeFileSync(file, encodeModel(model));
}

function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
	const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
	edit(json);
	writeFileSync(file, JSON.stringify(json));
}

/**
 * The adapted graph computes attention in plain ops instead of GroupQueryAttention
 * (attentionRewrite.ts), so its logits match the original's to float rounding, not bit for bit:
 * the largest difference over all steps must stay within `tolerance`.
 */
function assertClose(actual: Float32Array[], expected: Float32Array[], tolerance: number): void {
	assert.equal(actual.length, expected.length);
	let worst = 0;
	actual.forEach((logits, step) => {
		assert.equal(logits.length, expected[step].length, `step ${step}`);
		logits.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - expected[step][i]))));
	});
	if (process.env.REPLICA_REPORT === '1')
		console.log(`      max |diff| ${worst.toExponential(2)}`);
	assert.ok(worst <= tolerance, `max |diff| ${worst} > ${tolerance}`);
}

/** `past` [1, kv, P, head] followed by `rows` [1, kv, n, head] on axis 2, head by head. */
function grow(ort: typeof Ort, past: Ort.Tensor, rows: Ort.Tensor): Ort.Tensor {
	const [, heads, p, head] = past.dims;
	const n = rows.dims[2];
	const data = new Float32Array(heads * (p + n) * head);
	const [a, b] = [past.data as Float32Array, rows.data as Float32Array];
	for (let h = 0; h < heads; h++) {
		data.set(a.subarray(h * p * head, (h + 1) * p * head), h * (p + n) * head);
		data.set(b.subarray(h * n * head, (h + 1) * n * head), (h * (p + n) + p) * head);
	}
	return new ort.Tensor('float32', data, [1, heads, p + n, head]);
}

/**
 * Runs a graph over `ids` one chunk at a time, the way ORT-genai feeds it (present → past). The
 * adapted graph (given `caches`) returns every position's logits for logits_from 0, and only
 * the new rows of each present, which are appended to the past here.
 */
async function runChunks(
	ort: typeof Ort,
	session: Ort.InferenceSession,
	folder: GenaiFolder,
	ids: number[],
	chunks: number[],
	caches?: (total: number) => CachePair,
): Promise<Float32Array[]> {
	const past: Record<string, Ort.Tensor> = {};
	for (let l = 0; l < folder.layers; l++) {
		for (const part of ['key', 'value']) {
			past[`past_key_values.${l}.${part}`] = new ort.Tensor('float32', new Float32Array(0), [
				1,
				folder.kvHeads,
				0,
				folder.headSize,
			]);
		}
	}
	const logits: Float32Array[] = [];
	let done = 0;
	for (const size of chunks) {
		const total = done + size;
		const feeds: Record<string, Ort.Tensor> = {
			...past,
			input_ids: new ort.Tensor(
				'int64',
				BigInt64Array.from(ids.slice(done, total), (id) => BigInt(id)),
				[1, size],
			),
			attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
		};
		if (caches !== undefined) {
			const { cos, sin } = caches(total);
			feeds.cos_cache = new ort.Tensor('float32', cos.data, [cos.rows, cos.columns]);
			feeds.sin_cache = new ort.Tensor('float32', sin.data, [sin.rows, sin.columns]);
			feeds.logits_from = new ort.Tensor('int64', BigInt64Array.of(0n), [1]);
		}
		const out = await session.run(feeds);
		logits.push(out.logits.data as Float32Array);
		for (let l = 0; l < folder.layers; l++) {
			for (const part of ['key', 'value']) {
				const name = `past_key_values.${l}.${part}`;
				past[name] =
					caches === undefined
						? out[`present.${l}.${part}`]
						: grow(ort, past[name], out[`present.${l}.${part}/new_rows`]);
			}
		}
		done = total;
	}
	return logits;
}

describe('ORT-genai graph adaptation', function () {
	this.timeout(60_000);
	let work: string;
	let cacheRoot: string;

	beforeEach(() => {
		work = mkdtempSync(path.join(tmpdir(), 'longrope-genai-'));
		cacheRoot = path.join(work, 'cache');
	});
	afterEach(() => rmSync(work, { recursive: true, force: true }));

	const copyFixture = (kind: string) => {
		const dir = path.join(work, kind);
		cpSync(path.join(FIXTURES, kind), dir, { recursive: true });
		return dir;
	};

	it('reads genai_config.json and config.json', async () => {
		const folder = await readGenaiFolder(path.join(FIXTURES, 'longrope'));
		assert.deepEqual(
			{
				type: folder.type,
				layers: folder.layers,
				heads: folder.heads,
				kvHeads: folder.kvHeads,
				headSize: folder.headSize,
				hidden: folder.hidden,
				vocab: folder.vocabSize,
				context: folder.contextLength,
				eos: folder.eosTokenIds,
				bos: folder.bosTokenId,
				pad: folder.padTokenId,
				share: folder.pastPresentShareBuffer,
				windows: [folder.rope?.geometry.originalWindow, folder.rope?.geometry.maxWindow],
			},
			{
				type: 'phi3',
				layers: 2,
				heads: 2,
				kvHeads: 1,
				headSize: 16,
				hidden: 32,
				vocab: 48,
				context: 32,
				eos: [2, 3],
				bos: 1,
				pad: 2,
				share: true,
				windows: [8, 32],
			},
		);
		assert.equal(folder.names.presentValue, 'present.%d.value');
	});

	it('lifts the If caches into inputs and reads λ back from them', async () => {
		const dir = copyFixture('longrope');
		const adapted = await adaptGenaiGraph(await readGenaiFolder(dir), cacheRoot);
		assert.equal(adapted.cacheKind, 'if');
		assert.equal(adapted.window, 8);
		assert.equal(adapted.rotaryDim, 16);
		assert.deepEqual(adapted.removedNodes, [
			'/model/rotemb_caches_subgraph/If',
			'/model/rotemb_caches_subgraph/Greater',
		]);
		assert.deepEqual(adapted.inputNames.slice(-3), ['cos_cache', 'sin_cache', 'logits_from']);
		assert.equal(adapted.base.base, 10000);
		// The generator's factors, and √(1 + ln 4 / ln 8) for s = 32/8, L = 8.
		const attention = Math.sqrt(1 + Math.log(4) / Math.log(8));
		for (const [set, factors] of [
			[adapted.recoveredSets[0], SHORT],
			[adapted.recoveredSets[1], LONG],
		] as const) {
			assert.ok(
				Math.abs(set.attentionFactor - attention) < 1e-6,
				`${set.name} ${set.attentionFactor}`,
			);
			set.factors.forEach((f, i) =>
				assert.ok(
					Math.abs(f - factors[i]) <= FACTOR_TOLERANCE * factors[i],
					`${set.name} λ_${i} = ${f}`,
				),
			);
		}
		assert.deepEqual(
			adapted.recoveredSets.map((s) => [s.name, s.rows]),
			[
				['short', 8],
				['long', 32],
			],
		);
		assert.deepEqual(adapted.discrepancies, []);
		// The 32×8 and 8×8 constants left model.onnx (no If, no Constant holds a float matrix);
		// the weights stay in the user's data file.
		const graph = decodeModel(readFileSync(adapted.modelFile), adapted.modelFile).graph ?? {};
		assert.ok((graph.node ?? []).every((n) => n.opType !== 'If' && n.opType !== 'Constant'));
		assert.ok((graph.initializer ?? []).every((t) => (t.rawData?.length ?? 0) < 64));
		assert.deepEqual(readdirSync(adapted.cacheFolder).sort(), ['adapted.json', 'model.onnx']);
		assert.equal(adapted.externalDataFolder, dir);
	});

	it('gives the original logits when fed the original caches, across the window', async () => {
		const dir = copyFixture('longrope');
		const folder = await readGenaiFolder(dir);
		const adapted = await adaptGenaiGraph(folder, cacheRoot);
		const source = await readOriginalCaches(folder);
		assert.equal(source.kind, 'if');
		if (source.kind !== 'if') return;
		const ort = await loadOnnxRuntime();
		const original = await ort.InferenceSession.create(folder.modelFile);
		const lifted = await openAdaptedSession(adapted);
		assert.deepEqual(lifted.inputNames.slice(-3), ['cos_cache', 'sin_cache', 'logits_from']);
		const ids = [5, 9, 17, 30, 2, 44, 11, 7, 19, 23, 40, 3, 8, 16];
		// Prefill 5 (short), decode to 8 (short), then 9… (the original switches to long).
		const chunks = [5, 1, 1, 1, 1, 1, 2, 2];
		const pick = (total: number) => (total > source.window ? source.long : source.short);
		const expected = await runChunks(ort, original, folder, ids, chunks);
		const actual = await runChunks(ort, lifted, folder, ids, chunks, pick);
		await original.release();
		await lifted.release();
		assertClose(actual, expected, 1e-5);
	});

	it('keeps a local window the way GroupQueryAttention does', async () => {
		// Window 3: each query sees itself and the 2 keys before it (what onnxruntime 1.30's
		// kernel does); the chunks cross it both ways.
		const dir = copyFixture('longrope');
		rewriteModel(dir, (model) => {
			for (const node of model.graph?.node ?? []) {
				if (node.opType === 'GroupQueryAttention') {
					node.attribute = [
						...(node.attribute ?? []).filter((a) => a.name !== 'local_window_size'),
						{ name: 'local_window_size', type: ATTR_INT, i: 3 },
					];
				}
			}
		});
		const folder = await readGenaiFolder(dir);
		const adapted = await adaptGenaiGraph(folder, cacheRoot);
		const source = await readOriginalCaches(folder);
		if (source.kind !== 'if') throw new Error(source.kind);
		const ort = await loadOnnxRuntime();
		const original = await ort.InferenceSession.create(folder.modelFile);
		const lifted = await openAdaptedSession(adapted);
		const ids = [5, 9, 17, 30, 2, 44, 11, 7, 19, 23, 40, 3];
		const chunks = [6, 1, 1, 3, 1];
		const pick = (total: number) => (total > source.window ? source.long : source.short);
		const expected = await runChunks(ort, original, folder, ids, chunks);
		const actual = await runChunks(ort, lifted, folder, ids, chunks, pick);
		await original.release();
		await lifted.release();
		assertClose(actual, expected, 1e-5);
	});

	it('lifts a plain cache initializer held in external data (partial rotary)', async () => {
		const dir = copyFixture('single');
		const folder = await readGenaiFolder(dir);
		const adapted = await adaptGenaiGraph(folder, cacheRoot);
		assert.equal(adapted.cacheKind, 'initializer');
		assert.equal(adapted.window, undefined);
		assert.equal(adapted.rotaryDim, 16);
		assert.deepEqual(adapted.removedNodes, []);
		const [single] = adapted.recoveredSets;
		assert.equal(single.name, 'single');
		assert.equal(single.rows, 8);
		assert.equal(single.attentionFactor, 1);
		single.factors.forEach((f, i) =>
			assert.ok(Math.abs(f - 1) <= FACTOR_TOLERANCE, `λ_${i} = ${f}`),
		);
		assert.deepEqual(adapted.discrepancies, []);
		const source = await readOriginalCaches(folder);
		if (source.kind !== 'initializer') throw new Error(source.kind);
		const ort = await loadOnnxRuntime();
		const original = await ort.InferenceSession.create(folder.modelFile);
		const lifted = await openAdaptedSession(adapted);
		const ids = [4, 8, 15, 16, 23, 42, 1];
		const expected = await runChunks(ort, original, folder, ids, [4, 1, 2]);
		const actual = await runChunks(ort, lifted, folder, ids, [4, 1, 2], () => source.single);
		await original.release();
		await lifted.release();
		assertClose(actual, expected, 1e-5);
	});

	it('never touches the user folder and reuses a valid adaptation', async () => {
		const dir = copyFixture('longrope');
		const before = folderDigest(dir);
		const folder = await readGenaiFolder(dir);
		const first = await adaptGenaiGraph(folder, cacheRoot);
		assert.equal(first.reused, false);
		const written = statSync(first.modelFile).mtimeMs;
		const second = await adaptGenaiGraph(folder, cacheRoot);
		assert.equal(second.reused, true);
		assert.equal(second.modelFile, first.modelFile);
		assert.equal(statSync(second.modelFile).mtimeMs, written);
		assert.deepEqual(second.recoveredSets, first.recoveredSets);
		// A damaged adaptation is redone, not trusted.
		writeFileSync(first.modelFile, 'garbage');
		const third = await adaptGenaiGraph(folder, cacheRoot);
		assert.equal(third.reused, false);
		assert.deepEqual(readdirSync(cacheRoot), [path.basename(first.cacheFolder)]);
		assert.deepEqual(folderDigest(dir), before);
	});

	it('int4 activations: each choice is its own adaptation, with every MatMulNBits set to its accuracy_level', async () => {
		const dir = path.resolve(__dirname, '../../fixtures/replicas/phi3-128k-acc4');
		const before = folderDigest(dir);
		const folder = await readGenaiFolder(dir);
		const levels = (file: string) =>
			(decodeModel(readFileSync(file), file).graph?.node ?? [])
				.filter((n) => n.opType === 'MatMulNBits')
				.map((n) => Number(n.attribute?.find((a) => a.name === 'accuracy_level')?.i));
		const exported = await adaptGenaiGraph(folder, cacheRoot);
		const fp32 = await adaptGenaiGraph(folder, cacheRoot, { int4Activations: 'float32' });
		const int8 = await adaptGenaiGraph(folder, cacheRoot, { int4Activations: 'int8' });
		// 2 layers × (qkv, o, gate, up, down) + the vocabulary projection.
		assert.deepEqual(levels(exported.modelFile), Array(11).fill(4));
		assert.deepEqual(levels(fp32.modelFile), Array(11).fill(1));
		assert.deepEqual(levels(int8.modelFile), Array(11).fill(4));
		assert.deepEqual(
			[exported, fp32, int8].map((a) => a.int4Activations),
			['exported', 'float32', 'int8'],
		);
		assert.equal(new Set([exported, fp32, int8].map((a) => a.cacheFolder)).size, 3);
		const again = await adaptGenaiGraph(folder, cacheRoot, { int4Activations: 'float32' });
		assert.equal(again.reused, true);
		assert.equal(again.int4Activations, 'float32');
		assert.deepEqual(folderDigest(dir), before);
	});

	it('without config.json, recovers λ with the assumed base and compares with nothing', async () => {
		const dir = copyFixture('longrope');
		unlinkSync(path.join(dir, 'config.json'));
		const folder = await readGenaiFolder(dir);
		assert.equal(folder.rope, undefined);
		const adapted = await adaptGenaiGraph(folder, cacheRoot);
		assert.deepEqual(adapted.base, {
			base: 10000,
			source: 'assumed 10000 (no config.json; only λ_0 is base-free)',
		});
		assert.deepEqual(adapted.discrepancies, []);
		adapted.recoveredSets[1].factors.forEach((f, i) =>
			assert.ok(Math.abs(f - LONG[i]) <= FACTOR_TOLERANCE * LONG[i], `λ_${i} = ${f}`),
		);
	});

	it('recognizes the If by structure, whatever the builder named it', async () => {
		const dir = copyFixture('longrope');
		rewriteModel(dir, (model) => {
			for (const node of model.graph?.node ?? []) {
				node.name = node.name?.replace('rotemb_caches_subgraph', 'rope_caches_subgraph');
			}
		});
		const adapted = await adaptGenaiGraph(await readGenaiFolder(dir), cacheRoot);
		assert.equal(adapted.removedNodes[0], '/model/rope_caches_subgraph/If');
	});

	it('reports where config.json and the graph disagree', async () => {
		const dir = copyFixture('longrope');
		editJson(path.join(dir, 'config.json'), (config) => {
			const scaling = config.rope_scaling as { long_factor: number[] };
			scaling.long_factor = LONG.map((f, i) => (i === 5 ? f + 0.01 : f));
			config.original_max_position_embeddings = 16;
		});
		const adapted = await adaptGenaiGraph(await readGenaiFolder(dir), cacheRoot);
		const longSource = `${path.join(dir, 'config.json')} rope_scaling.long_factor`;
		// 1.1180… = √(1 + ln 2 / ln 16), what config.json now implies for s = 32/16.
		assert.deepEqual(adapted.discrepancies, [
			"the graph switches to the long caches past 8 tokens but config.json's original window is 16",
			"the graph's short cache has 8 rows but config.json implies 16",
			"short set: the graph's attention factor is 1.29099440574646 but config.json gives 1.118033988749895",
			"long set: the graph's attention factor is 1.29099440574646 but config.json gives 1.118033988749895",
			`long set: 1 of 8 factors differ from ${longSource} beyond 0.00001 relative (λ_5 5.999999 vs 6.01)`,
		]);
	});

	describe('refuses, naming the problem', () => {
		const refuses = async (dir: string, pattern: RegExp) =>
			assert.rejects(
				readGenaiFolder(dir).then((folder) => adaptGenaiGraph(folder, cacheRoot)),
				(err: Error) => err instanceof ModelFolderError && pattern.test(err.message),
			);

		it('a missing tokenizer or decoder file', async () => {
			const dir = copyFixture('longrope');
			unlinkSync(path.join(dir, 'tokenizer_config.json'));
			await refuses(dir, /lacks tokenizer_config\.json/);
			unlinkSync(path.join(dir, 'model.onnx'));
			await refuses(dir, /lacks model\.onnx, tokenizer_config\.json/);
		});

		it('missing external data', async () => {
			const dir = copyFixture('longrope');
			unlinkSync(path.join(dir, 'model.onnx.data'));
			await refuses(
				dir,
				/model\.onnx keeps its weights in model\.onnx\.data, which the folder lacks/,
			);
		});

		it('attention the rewrite does not compute (capped scores)', async () => {
			const dir = copyFixture('longrope');
			rewriteModel(dir, (model) => {
				const gqa = model.graph?.node?.find((n) => n.opType === 'GroupQueryAttention');
				if (gqa === undefined) throw new Error('the fixture has no GroupQueryAttention');
				gqa.attribute = [
					...(gqa.attribute ?? []).filter((a) => a.name !== 'softcap'),
					{ name: 'softcap', type: 1, f: 30 },
				];
			});
			await refuses(dir, /cannot be adapted: GroupQueryAttention .* caps its scores/);
		});

		it('a vision model', async () => {
			const dir = copyFixture('longrope');
			const file = path.join(dir, 'genai_config.json');
			editJson(file, (genai) => ((genai.model as Record<string, unknown>).type = 'phi3v'));
			await refuses(dir, /multimodal .* model\.type is phi3v/);
			editJson(file, (genai) => {
				const model = genai.model as Record<string, unknown>;
				model.type = 'phi3';
				model.vision = { filename: 'vision.onnx' };
				model.embedding = { filename: 'embedding.onnx' };
			});
			await refuses(dir, /its model has vision, embedding sections/);
		});

		it('an unknown rope type', async () => {
			const dir = copyFixture('longrope');
			editJson(path.join(dir, 'config.json'), (config) => {
				(config.rope_scaling as Record<string, unknown>).type = 'llama3';
			});
			await refuses(dir, /config\.json: .*rope_scaling\.type.*llama3/);
		});

		it('attention that is not GroupQueryAttention', async () => {
			const dir = copyFixture('longrope');
			rewriteModel(dir, (model) => {
				for (const node of model.graph?.node ?? []) {
					if (node.opType === 'GroupQueryAttention') node.opType = 'MultiHeadAttention';
				}
			});
			await refuses(dir, /no GroupQueryAttention node: its attention is MultiHeadAttention/);
		});

		it('an If that is not chosen by the mask length', async () => {
			const dir = copyFixture('longrope');
			rewriteModel(dir, (model) => {
				const greater = model.graph?.node?.find((n) => n.opType === 'Greater');
				if (greater) greater.opType = 'Less';
			});
			await refuses(dir, /selects the rotary caches on .*Greater\/output_0, made by Less/);
		});

		it('caches that come from elsewhere', async () => {
			const dir = copyFixture('single');
			rewriteModel(dir, (model) => {
				const graph = model.graph;
				if (!graph) return;
				graph.initializer = graph.initializer?.filter((t) => t.name !== 'cos_cache');
				graph.input?.push({ ...(graph.input[0] ?? {}), name: 'cos_cache' });
			});
			await refuses(dir, /come from graph input cos_cache and initializer sin_cache/);
		});

		it('ONNX fields the reader does not know', () => {
			const file = path.join(FIXTURES, 'longrope', 'model.onnx');
			// Field 99, varint 1: not in onnx.proto; dropping it silently would change the model.
			const bytes = Buffer.concat([readFileSync(file), Buffer.from([0x98, 0x06, 0x01])]);
			assert.throws(() => decodeModel(bytes, file), /fields this reader does not know/);
			assert.deepEqual(
				encodeModel(decodeModel(readFileSync(file), file)),
				readFileSync(file),
			);
		});
	});

	/** The faithful replicas (test/replicas/make_replicas.py), committed in test/fixtures/replicas. */
	describe('on the ORT-genai replicas', () => {
		const REPLICAS = path.resolve(__dirname, '../../fixtures/replicas');
		const kinds: [string, CacheSource['kind'], number][] = [
			['phi3-128k', 'if', 32],
			['phi3-128k-acc4', 'if', 32],
			['phi4-mini', 'if', 48],
			['plain', 'initializer', 32],
		];
		for (const [kind, cacheKind, rotaryDim] of kinds) {
			it(`${kind}: same logits as the original across the window, λ as config.json, folder untouched`, async function () {
				const dir = path.join(REPLICAS, kind);
				assert.ok(
					existsSync(dir),
					`the replica ${dir} is missing (test/replicas/make_replicas.py)`,
				);
				const before = folderDigest(dir);
				const folder = await readGenaiFolder(dir);
				const adapted = await adaptGenaiGraph(folder, cacheRoot);
				assert.equal(adapted.cacheKind, cacheKind);
				assert.equal(adapted.rotaryDim, rotaryDim);
				assert.deepEqual(adapted.discrepancies, []);
				const source = await readOriginalCaches(folder);
				// Prefill to 4 short of the window and decode one by one: past it for LongRoPE (where
				// the original switches to its long caches), up to the cache's last row otherwise.
				const pick = (total: number) =>
					source.kind === 'initializer'
						? source.single
						: total > source.window
							? source.long
							: source.short;
				const window = source.kind === 'if' ? source.window : source.single.cos.rows;
				const chunks = [
					window - 24,
					20,
					1,
					1,
					1,
					1,
					...(source.kind === 'if' ? [1, 1, 3] : []),
				];
				const ort = await loadOnnxRuntime();
				const original = await ort.InferenceSession.create(folder.modelFile);
				const lifted = await openAdaptedSession(adapted);
				const total = chunks.reduce((a, b) => a + b, 0);
				const ids = Array.from({ length: total }, (_, i) => (i * 37 + 5) % 300);
				const expected = await runChunks(ort, original, folder, ids, chunks);
				const actual = await runChunks(ort, lifted, folder, ids, chunks, pick);
				await original.release();
				await lifted.release();
				assertClose(actual, expected, kind.endsWith('-acc4') ? 0.1 : 1e-4);
				assert.deepEqual(folderDigest(dir), before);
			});
		}
	});
});
