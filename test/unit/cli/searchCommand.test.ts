import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runSearchJob, searchSamples } from '../../../extension/app/searchJob';
import type { JobEvent } from '../../../extension/app/events';
import { searchJson } from '../../../extension/cli/commands/search';
import { passkeyJson, perplexityJson } from '../../../extension/cli/commands/eval';
import { COMMANDS } from '../../../extension/cli/commands';
import { EXIT_USAGE, runCli } from '../../../extension/cli/runCli';
import { CancellationError, CancellationTokenSource } from '../../../extension/engine/cancellation';
import { factorSetsFromLongropeJson } from '../../../extension/engine/longropeSetsFile';
import type { RotarySpec } from '../../../extension/engine/rotaryTables';
import {
	mergeFactorSet,
	updateMaxPositionEmbeddings,
} from '../../../extension/runtime/longropeSetsWriter';
import type { TokenizedText } from '../../../extension/runtime/textSamples';

const GEOMETRY = { base: 10000, headDim: 32, rotaryDim: 32, originalWindow: 256, maxWindow: 256 };
const TEXTS: TokenizedText[] = [
	{ path: 'a.txt', sha256: 'aa', ids: Array.from({ length: 1100 }, (_, i) => i % 97) },
	{ path: 'short.txt', sha256: 'bb', ids: [0, 1, 2] },
	{ path: 'c.txt', sha256: 'cc', ids: Array.from({ length: 1024 }, (_, i) => i % 89) },
];

/**
 * A stand-in for the model: perplexity is lowest when λ_i follows a known curve, so the search
 * has something to find, and it never sees a real graph (fast and deterministic).
 */
async function fakePerplexity(ids: readonly number[], spec: RotarySpec) {
	let d = 0;
	for (let i = 0; i < spec.factors.length; i++) d += (spec.factors[i] - (1 + i * 0.2)) ** 2;
	const tokens = ids.length - 1;
	return { tokens, negativeLogLikelihood: tokens * (2 + d / 10 + spec.nHat / 1000) };
}

/** The search's progress lines, as the CLI prints them. */
function progressLines() {
	const lines: string[] = [];
	return {
		emit: (event: JobEvent) => {
			if (event.type === 'progress' && event.progress.detail)
				lines.push(event.progress.detail);
		},
		lines,
	};
}

describe('longrope search (command functions with an injected perplexity)', function () {
	this.timeout(60_000);
	let dir: string;
	beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'longrope-search-'))));
	afterEach(() => rmSync(dir, { recursive: true, force: true }));

	it('samples: texts long enough for the target, cut to it, with hashes of what was used', () => {
		const { samples, records } = searchSamples(TEXTS, 1024);
		assert.deepEqual(
			samples.map((s) => s.path),
			['a.txt', 'c.txt'],
		);
		assert.equal(records[0].tokens, 1024);
		assert.match(records[0].tokensSha256, /^[0-9a-f]{64}$/);
		assert.notEqual(records[0].tokensSha256, records[1].tokensSha256);
		assert.equal(searchSamples(TEXTS, 1024, 1).samples.length, 1);
		assert.throws(
			() => searchSamples(TEXTS, 2048),
			/no --text file has 2048 tokens \(the longest has 1100\)/,
		);
	});

	it('with retrieval, ranks by √(text × answer perplexity) and scores answers from their first token', async () => {
		// Answers cost 0.5 nats per token under plain RoPE at the target and 3 otherwise, so
		// the fitness is exp((text NLL/token + answer NLL/token) / 2), worked out below.
		const answers = [
			{ kind: 'passkey' as const, ids: [5, 6, 7, 8, 9], answerFrom: 3 },
			{ kind: 'definition' as const, ids: [1, 2, 3, 4], answerFrom: 2 },
		];
		const calls: { length: number; scoreFrom?: number }[] = [];
		const lengths: number[] = [];
		const perplexity = async (ids: readonly number[], spec: RotarySpec, scoreFrom?: number) => {
			calls.push({ length: ids.length, scoreFrom });
			if (scoreFrom === undefined) return fakePerplexity(ids, spec);
			const tokens = ids.length - scoreFrom;
			const plain = spec.factors.every((f) => f === 1);
			return { tokens, negativeLogLikelihood: tokens * (plain ? 0.5 : 3) };
		};
		const outcome = await runSearchJob({
			geometry: GEOMETRY,
			model: 'fake',
			texts: TEXTS,
			perplexity,
			retrieval: {
				count: 1,
				seed: 2_000_000,
				samplesAt: (length) => (lengths.push(length), answers),
			},
			length: 1024,
			rounds: 1,
			populationSize: 16,
			stateFile: path.join(dir, 'state.json'),
			resume: false,
			emit: () => {},
		});
		assert.deepEqual(lengths, [1024], 'samples are built once per length');
		assert.deepEqual(calls.filter((c) => c.scoreFrom !== undefined).slice(0, 2), [
			{ length: 5, scoreFrom: 3 },
			{ length: 4, scoreFrom: 2 },
		]);
		// none: λ = 1 everywhere, so d = Σ_i (0.2·i)² = 0.04·Σ i² (i < 16) = 49.6, n̂ 0.
		const textNll = 2 + 49.6 / 10;
		const p = outcome.set.provenance as {
			fitness: { kind: string; retrievalSeed: number };
			baselinePerplexities: Record<string, number>;
		};
		assert.equal(p.baselinePerplexities.none, +Math.exp((textNll + 0.5) / 2).toFixed(6));
		assert.equal(p.fitness.kind, 'sqrt(text perplexity × answer perplexity)');
		assert.equal(p.fitness.retrievalSeed, 2_000_000);
	});

	it('writes a named set with its provenance; the --json document has the documented shape', async () => {
		const { emit, lines } = progressLines();
		const stateFile = path.join(dir, 'state.json');
		const outcome = await runSearchJob({
			geometry: GEOMETRY,
			model: 'fake',
			texts: TEXTS,
			perplexity: fakePerplexity,
			length: 1024,
			rounds: 4,
			populationSize: 16,
			seed: 3,
			budget: true,
			stateFile,
			resume: false,
			emit,
		});
		assert.ok(
			lines.some((l) => /round 2\/2: best .* median .* evaluations .*\/s.*ETA/.test(l)),
		);
		const { set } = outcome;
		assert.equal(set.name, 'long-1k');
		assert.equal(set.maxLength, 1024);
		assert.equal(set.factors.length, 16);
		assert.ok(
			set.factors.every((f, i) => f >= 1 && f <= 5 && (i === 0 || f >= set.factors[i - 1])),
		);
		assert.equal(set.attentionFactor, +Math.sqrt(1 + Math.log(4) / Math.log(256)).toFixed(6));
		const p = set.provenance as {
			targetLength: number;
			seed: number;
			parameters: { populationSize: number; budget: boolean };
			stages: { label: string; length: number }[];
			samples: { source: string }[];
			baselinePerplexities: Record<string, number>;
			seedPerplexities: Record<string, number>;
			bestPerplexity: number;
			computeSeconds: number;
			finishedAt: string;
			evaluations: number;
		};
		assert.equal(p.targetLength, 1024);
		assert.equal(p.seed, 3);
		assert.equal(p.parameters.populationSize, 16);
		assert.equal(p.parameters.budget, true);
		assert.deepEqual(
			p.stages.map((s) => [s.label, s.length]),
			[
				['half-length', 512],
				['target', 1024],
			],
		);
		assert.deepEqual(
			p.samples.map((s) => s.source),
			['a.txt', 'c.txt'],
		);
		assert.deepEqual(Object.keys(p.baselinePerplexities), ['none', 'pi', 'ntk', 'yarn']);
		assert.ok(p.bestPerplexity <= Math.min(...Object.values(p.seedPerplexities)));
		assert.ok(typeof p.computeSeconds === 'number' && typeof p.finishedAt === 'string');
		assert.equal(p.evaluations, outcome.result.evaluations);

		const doc = JSON.parse(JSON.stringify(searchJson(outcome, 'x/longrope.json', stateFile)));
		assert.deepEqual(Object.keys(doc), [
			'set',
			'out',
			'state',
			'bestPerplexity',
			'baselinePerplexities',
			'evaluations',
			'computeSeconds',
		]);
		assert.deepEqual(Object.keys(doc.set), [
			'name',
			'maxLength',
			'factors',
			'nHat',
			'attentionFactor',
			'provenance',
		]);
		// What the search writes, the model loader reads.
		factorSetsFromLongropeJson({ sets: [doc.set] }, GEOMETRY);
	});

	it('resumes from its state file after a cancel, to the same set', async () => {
		const job = {
			geometry: GEOMETRY,
			model: 'fake',
			texts: TEXTS,
			length: 256,
			rounds: 3,
			populationSize: 8,
			seed: 1,
			stateFile: path.join(dir, 'state.json'),
			emit: progressLines().emit,
		};
		const whole = await runSearchJob({
			...job,
			perplexity: fakePerplexity,
			resume: false,
			stateFile: path.join(dir, 'whole.json'),
		});
		const source = new CancellationTokenSource();
		let calls = 0;
		await assert.rejects(
			runSearchJob({
				...job,
				resume: false,
				token: source.token,
				perplexity: async (ids, spec) => {
					if (++calls === 25) source.cancel();
					return fakePerplexity(ids, spec);
				},
			}),
			CancellationError,
		);
		assert.ok(existsSync(job.stateFile));
		const resumed = await runSearchJob({ ...job, perplexity: fakePerplexity, resume: true });
		assert.equal(resumed.set.name, 'short');
		assert.deepEqual(resumed.set.factors, whole.set.factors);
		assert.equal(resumed.set.nHat, whole.set.nHat);
		assert.equal(resumed.result.best.fitness, whole.result.best.fitness);
		await assert.rejects(
			runSearchJob({
				...job,
				perplexity: fakePerplexity,
				resume: true,
				stateFile: path.join(dir, 'nope.json'),
			}),
			/no such state file/,
		);
	});

	it('merges into longrope.json without disturbing other sets; raises max_position_embeddings', () => {
		const file = path.join(dir, 'longrope.json');
		const other = {
			name: 'mine',
			maxLength: 512,
			factors: new Array(16).fill(2),
			nHat: 0,
			attentionFactor: 1,
			provenance: { by: 'hand' },
		};
		writeFileSync(file, JSON.stringify({ sets: [other], note: 'kept' }));
		const set = {
			name: 'long-1k',
			maxLength: 1024,
			factors: new Array(16).fill(4),
			nHat: 8,
			attentionFactor: 1.1,
			provenance: {},
		};
		assert.deepEqual(mergeFactorSet(file, set, GEOMETRY), {
			replaced: false,
			names: ['mine', 'long-1k'],
		});
		assert.deepEqual(mergeFactorSet(file, { ...set, nHat: 16 }, GEOMETRY), {
			replaced: true,
			names: ['mine', 'long-1k'],
		});
		const doc = JSON.parse(readFileSync(file, 'utf8'));
		assert.equal(doc.note, 'kept');
		assert.deepEqual(doc.sets[0], other);
		assert.equal(doc.sets[1].nHat, 16);
		assert.throws(
			() => mergeFactorSet(file, { ...set, factors: [1, 2] }, GEOMETRY),
			/16 factors/,
		);
		assert.equal(
			JSON.parse(readFileSync(file, 'utf8')).sets[1].factors.length,
			16,
			'a bad set is never written',
		);

		const config = path.join(dir, 'config.json');
		writeFileSync(
			config,
			JSON.stringify({
				rope_theta: 10000,
				original_max_position_embeddings: 256,
				max_position_embeddings: 256,
			}),
		);
		assert.equal(updateMaxPositionEmbeddings(config, file), 1024);
		const updated = JSON.parse(readFileSync(config, 'utf8'));
		assert.equal(updated.max_position_embeddings, 1024);
		assert.equal(updated.rope_theta, 10000);
	});

	it('eval --json documents have the documented shape', () => {
		const ppl = perplexityJson(
			'm',
			[{ path: 'e.txt', sha256: 'ff', tokens: 5000 }],
			[
				{
					method: 'pi',
					length: 1024,
					scale: 4,
					set: 'pi ×4',
					perplexity: 9.5,
					samples: 1,
					tokens: 1023,
					seconds: 1,
				},
			],
		);
		assert.deepEqual(Object.keys(ppl), ['kind', 'model', 'samples', 'results']);
		const pk = passkeyJson('m', 10, 0, []);
		assert.deepEqual(pk, { kind: 'passkey', model: 'm', trials: 10, seed: 0, results: [] });
	});

	it('usage errors exit with 2', async () => {
		const run = async (...argv: string[]) => {
			const lines: string[] = [];
			const io = {
				stdout: (t: string) => lines.push(t),
				stderr: (t: string) => lines.push(t),
			};
			return { code: await runCli(argv, io, COMMANDS), text: lines.join('') };
		};
		const missing = await run('search', '--length', '1024', '--out', 'x.json');
		assert.equal(missing.code, EXIT_USAGE);
		assert.match(missing.text, /--text FILE\.\.\. is required/);
		const which = await run('eval', '--lengths', '256');
		assert.equal(which.code, EXIT_USAGE);
		assert.match(which.text, /longrope eval/);
	});
});
