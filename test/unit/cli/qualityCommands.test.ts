import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { COMMANDS } from '../../../extension/cli/commands';
import { EXIT_OK, runCli } from '../../../extension/cli/runCli';
import { PASSKEY_FILLER } from '../../../extension/engine/evaluation/passkey';

const MODEL = process.env.LONGROPE_GOLDEN_MODEL ?? 'longrope-tiny';
const BUNDLED = path.resolve(__dirname, '../../../models', MODEL);

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
	let stdout = '';
	let stderr = '';
	const code = await runCli(
		argv,
		{ stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
		COMMANDS,
	);
	return { code, stdout, stderr };
}

describe('longrope search / eval on the bundled model (--json shapes)', function () {
	this.timeout(120_000);
	let dir: string;
	let text: string;

	before(() => {
		dir = mkdtempSync(path.join(tmpdir(), 'longrope-quality-'));
		for (const file of ['config.json', 'tokenizer.json', 'model.onnx'])
			copyFileSync(path.join(BUNDLED, file), path.join(dir, file));
		text = path.join(dir, 'sample.txt');
		writeFileSync(
			text,
			'def add(a, b):\n    """Return the sum of a and b."""\n    return a + b\n\n'.repeat(12),
		);
	});
	after(() => rmSync(dir, { recursive: true, force: true }));

	it('search --json: a set merged into longrope.json that the model folder then loads', async () => {
		const out = path.join(dir, 'longrope.json');
		const r = await cli(
			'search',
			'--model',
			dir,
			'--length',
			'96',
			'--text',
			text,
			'--out',
			out,
			'--rounds',
			'1',
			'--population',
			'4',
			'--seed',
			'5',
			'--json',
		);
		assert.equal(r.code, EXIT_OK, r.stderr);
		const doc = JSON.parse(r.stdout);
		assert.equal(doc.set.name, 'short');
		assert.equal(doc.set.maxLength, 96);
		assert.equal(doc.set.factors.length, 16);
		assert.equal(doc.set.attentionFactor, 1);
		assert.ok(doc.set.factors.every((f: number) => f >= 1 && f <= 1.1));
		assert.equal(doc.out, out);
		assert.ok(doc.bestPerplexity <= doc.baselinePerplexities.none + 1e-9);
		assert.equal(doc.set.provenance.samples[0].tokens, 96);
		assert.match(r.stderr, /round 1\/1: best/);
		const file = JSON.parse(readFileSync(out, 'utf8'));
		assert.deepEqual(file.sets, [doc.set]);

		const ppl = await cli(
			'eval',
			'ppl',
			'--model',
			dir,
			'--text',
			text,
			'--lengths',
			'48,96',
			'--methods',
			'none,pi,longrope',
			'--json',
		);
		assert.equal(ppl.code, EXIT_OK, ppl.stderr);
		const pdoc = JSON.parse(ppl.stdout);
		assert.deepEqual(Object.keys(pdoc), ['kind', 'model', 'samples', 'results']);
		assert.deepEqual(
			pdoc.results.map((row: { method: string; length: number; set: string }) => [
				row.method,
				row.length,
				row.set,
			]),
			[
				['none', 48, 'none'],
				['pi', 48, 'pi'],
				['longrope', 48, 'short'],
				['none', 96, 'none'],
				['pi', 96, 'pi'],
				['longrope', 96, 'short'],
			],
		);
		for (const row of pdoc.results) assert.ok(row.perplexity > 1 && row.tokens > 0);
		assert.equal(
			pdoc.results[0].perplexity,
			pdoc.results[1].perplexity,
			'PI at s = 1 is plain',
		);
	});

	it('eval passkey --json: per method and length, seeded trials with details', async () => {
		const r = await cli(
			'eval',
			'passkey',
			'--model',
			dir,
			'--lengths',
			'160',
			'--methods',
			'none,yarn',
			'--trials',
			'2',
			'--seed',
			'3',
			'--json',
		);
		assert.equal(r.code, EXIT_OK, r.stderr);
		const doc = JSON.parse(r.stdout);
		assert.deepEqual(Object.keys(doc), ['kind', 'model', 'trials', 'seed', 'results']);
		assert.equal(doc.results.length, 2);
		for (const row of doc.results) {
			assert.equal(row.trials, 2);
			assert.equal(row.details.length, 2);
			for (const d of row.details) {
				assert.ok(d.promptTokens + 8 <= 160);
				assert.ok(d.answer === null || Number.isInteger(d.answer));
				assert.equal(d.correct, d.answer === d.key);
			}
		}
		assert.deepEqual(
			doc.results[0].details.map((d: { key: number }) => d.key),
			doc.results[1].details.map((d: { key: number }) => d.key),
		);
		assert.ok(PASSKEY_FILLER.startsWith(' The grass is green.'));
	});
});
