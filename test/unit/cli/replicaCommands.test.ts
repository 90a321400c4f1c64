import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { COMMANDS } from '../../../extension/cli/commands';
import { runCli } from '../../../extension/cli/runCli';

const REPLICAS = path.resolve(__dirname, '../../fixtures/replicas');

async function cli(
	...argv: string[]
): Promise<{ code: number; doc: Record<string, unknown>; err: string }> {
	const out: string[] = [];
	const err: string[] = [];
	const code = await runCli(
		argv,
		{ stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
		COMMANDS,
	);
	const text = out.join('');
	return {
		code,
		doc: text ? (JSON.parse(text) as Record<string, unknown>) : {},
		err: err.join(''),
	};
}

function workspace(lines = 3): string {
	const root = mkdtempSync(path.join(tmpdir(), 'longrope-replica-ws-'));
	const body = Array.from({ length: lines }, (_, k) => `\tconst step${k} = a + b;`).join('\n');
	writeFileSync(
		path.join(root, 'math.ts'),
		`export function add(a: number, b: number): number {\n${body}\n\treturn a + b;\n}\n`,
	);
	return root;
}

describe('longrope ask, summarize, eval and search on ONNX Runtime GenAI replica folders', function () {
	this.timeout(120000);

	it('ask packs to the folder’s windows and runs the set its plan picks; a forced set too small is refused', async () => {
		const model = path.join(REPLICAS, 'phi3-128k');
		const asked = await cli(
			'ask',
			'What does add do?',
			'--model',
			model,
			'--workspace',
			workspace(),
			'--max-new-tokens',
			'16',
			'--json',
		);
		assert.equal(asked.code, 0, asked.err);
		const budget = asked.doc.budget as { answer: number; window: number; windowSet: string };
		assert.equal(asked.doc.plannedLength, (asked.doc.tokensIn as number) + budget.answer);
		assert.equal(
			asked.doc.set,
			'long',
			`${asked.doc.plannedLength} tokens > the 64-token window`,
		);
		assert.deepEqual([budget.window, budget.windowSet], [512, 'long']);
		assert.match(asked.doc.setReason as string, /"long" \(window 512\)/);
		assert.equal(typeof asked.doc.answer, 'string');
		const forced = await cli(
			'ask',
			'What does add do?',
			'--model',
			model,
			'--workspace',
			workspace(),
			'--factor-set',
			'short',
			'--json',
		);
		assert.equal(forced.code, 1);
		assert.match(forced.err, /more than the 64-token window of "short"/);
	});

	it('summarize runs with the folder’s own chat template (phi4-mini: partial rotary, GQA)', async () => {
		const result = await cli(
			'summarize',
			path.join(workspace(), 'math.ts'),
			'--model',
			path.join(REPLICAS, 'phi4-mini'),
			'--max-new-tokens',
			'8',
			'--json',
		);
		assert.equal(result.code, 0, result.err);
		assert.equal(result.doc.mode, 'single');
		assert.equal(result.doc.set, 'long');
	});

	it('eval ppl compares methods on the replica (each row a finite perplexity)', async () => {
		const root = workspace(40);
		const result = await cli(
			'eval',
			'ppl',
			'--model',
			path.join(REPLICAS, 'phi3-128k'),
			'--text',
			path.join(root, 'math.ts'),
			'--lengths',
			'32,128',
			'--methods',
			'none,pi,longrope',
			'--json',
		);
		assert.equal(result.code, 0, result.err);
		const rows = result.doc.results as { method: string; length: number; perplexity: number }[];
		assert.deepEqual(rows.map((r) => `${r.method}@${r.length}`).sort(), [
			'longrope@128',
			'longrope@32',
			'none@128',
			'none@32',
			'pi@128',
			'pi@32',
		]);
		assert.ok(rows.every((r) => Number.isFinite(r.perplexity) && r.perplexity > 1));
	});

	it('search gives the single-cache kind (no LongRoPE) a long set, and the next request runs with it', async () => {
		const folder = path.join(mkdtempSync(path.join(tmpdir(), 'longrope-replica-')), 'plain');
		cpSync(path.join(REPLICAS, 'plain'), folder, { recursive: true });
		const root = workspace(60);
		const searched = await cli(
			'search',
			'--model',
			folder,
			'--length',
			'256',
			'--text',
			path.join(root, 'math.ts'),
			'--out',
			path.join(folder, 'longrope.json'),
			'--rounds',
			'1',
			'--population',
			'8',
			'--json',
		);
		assert.equal(searched.code, 0, searched.err);
		const set = searched.doc.set as { name: string; maxLength: number; factors: number[] };
		assert.equal(set.maxLength, 256);
		assert.equal(set.factors.length, 16, 'one factor per rotary pair (32 dims)');
		const asked = await cli(
			'ask',
			'What does add do?',
			'--model',
			folder,
			'--workspace',
			workspace(12),
			'--max-new-tokens',
			'40',
			'--json',
		);
		assert.equal(asked.code, 0, asked.err);
		assert.ok((asked.doc.plannedLength as number) > 128, 'past the original window');
		assert.equal(asked.doc.set, set.name);
	});
});
