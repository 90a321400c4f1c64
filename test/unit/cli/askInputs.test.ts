import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { COMMANDS } from '../../../extension/cli/commands';
import { EXIT_INTERRUPTED, interruptHandler } from '../../../extension/cli/jobRunner';
import { runCli } from '../../../extension/cli/runCli';
import { numberLines } from '../../../extension/engine/prompts/filePrompts';
import { HfTokenizer } from '../../../extension/runtime/hfTokenizer';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const MODEL = path.join(ROOT, 'models', 'longrope-tiny');

async function cli(argv: string[], stdin?: string) {
	const out: string[] = [];
	const err: string[] = [];
	const code = await runCli(
		argv,
		{
			stdout: (t) => out.push(t),
			stderr: (t) => err.push(t),
			...(stdin !== undefined ? { readStdin: async () => stdin } : {}),
		},
		COMMANDS,
	);
	return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('ask: where the question and the files come from', function () {
	this.timeout(60000);
	let root: string;

	beforeEach(() => {
		root = mkdtempSync(path.join(tmpdir(), 'longrope-ask-'));
		writeFileSync(path.join(root, 'a.ts'), 'export const a = 1;\n');
	});

	afterEach(() => rmSync(root, { recursive: true, force: true }));

	it('refuses --files naming a file that does not exist (exit 2, with its name)', async () => {
		const missing = path.join(root, 'nope.ts');
		const run = await cli([
			'ask',
			'What is a?',
			'--files',
			`${path.join(root, 'a.ts')},${missing}`,
		]);
		assert.equal(run.code, 2);
		assert.match(
			run.stderr,
			new RegExp(`--files: ${missing.replace(/[.\\]/g, '\\$&')} does not exist`),
		);
		const folder = await cli(['ask', 'What is a?', '--files', root]);
		assert.equal(folder.code, 2);
		assert.match(folder.stderr, /is a folder \(use --workspace DIR\)/);
	});

	it('reads the question from stdin ("-") or from --question-file', async () => {
		const args = ['--workspace', root, '--model', MODEL, '--max-new-tokens', '1', '--json'];
		const piped = await cli(['ask', '-', ...args], 'What is a?\n');
		assert.equal(piped.code, 0, piped.stderr);
		assert.equal((JSON.parse(piped.stdout) as { question: string }).question, 'What is a?\n');
		const file = path.join(root, 'question.txt');
		writeFileSync(file, 'What is exported?');
		const named = await cli(['ask', '--question-file', file, ...args]);
		assert.equal(named.code, 0, named.stderr);
		assert.equal(
			(JSON.parse(named.stdout) as { question: string }).question,
			'What is exported?',
		);
		const both = await cli(['ask', 'q', '--question-file', file, ...args]);
		assert.equal(both.code, 2);
		assert.match(both.stderr, /as an argument or with --question-file, not both/);
	});

	it('refuses a question longer than the model window before loading the model', async () => {
		const run = await cli(['ask', 'a'.repeat(40000), '--workspace', root, '--model', MODEL]);
		assert.equal(run.code, 1);
		assert.match(
			run.stderr,
			/the question is [\d,]+ tokens and the answer budget 64: more than the model's longest window \(4,096 tokens\)/,
		);
		assert.doesNotMatch(run.stderr, /^read /m, 'stopped before reading the workspace');
	});

	it('--kv-cache-mb caps the window; --kv-precision takes float32 or float16, and says where the model keeps float32', async () => {
		const args = ['What is a?', '--workspace', root, '--model', MODEL, '--max-new-tokens', '1'];
		// The bundled model's cache: 6 layers × (keys + values) × 4 KV heads × 32 × 4 bytes = 6144
		// bytes a token, so 1 MiB holds 170 tokens of its 256-token window.
		const capped = await cli([
			'ask',
			...args,
			'--kv-cache-mb',
			'1',
			'--kv-precision',
			'float16',
			'--json',
		]);
		assert.equal(capped.code, 0, capped.stderr);
		const budget = (JSON.parse(capped.stdout) as { budget: { window: number; limit: string } })
			.budget;
		assert.equal(budget.window, 170);
		assert.match(budget.limit, /--kv-cache-mb\) allows 170 tokens/);
		assert.match(
			capped.stderr,
			/^warning: a float16 KV cache applies to ONNX Runtime GenAI model folders; this model keeps its float32 cache$/m,
		);
		const wrong = await cli(['ask', ...args, '--kv-precision', 'fp16']);
		assert.equal(wrong.code, 2);
		assert.match(wrong.stderr, /--kv-precision must be float32 or float16 \(got "fp16"\)/);
		const activations = await cli(['ask', ...args, '--int4-activations', 'fp32']);
		assert.equal(activations.code, 2);
		assert.match(
			activations.stderr,
			/--int4-activations must be exported, int8 or float32 \(got "fp32"\)/,
		);
		const zero = await cli(['ask', ...args, '--kv-cache-mb', '0']);
		assert.equal(zero.code, 2);
		assert.match(zero.stderr, /--kv-cache-mb must be a positive integer \(got "0"\)/);
	});

	it('--line-numbers off shows files as they are: the file costs exactly the tokens of its numbers less', async () => {
		const args = ['What is a?', '--workspace', root, '--model', MODEL, '--max-new-tokens', '1'];
		const tokensOf = async (extra: string[]) => {
			const run = await cli(['ask', ...args, ...extra, '--json']);
			assert.equal(run.code, 0, run.stderr);
			const files = (JSON.parse(run.stdout) as { files: { path: string; tokens: number }[] })
				.files;
			return files.find((f) => f.path === 'a.ts')?.tokens;
		};
		const tokenizer = new HfTokenizer(
			JSON.parse(readFileSync(path.join(MODEL, 'tokenizer.json'), 'utf8')) as Record<
				string,
				unknown
			>,
			'tokenizer.json',
		);
		const text = 'export const a = 1;\n';
		const numbers = tokenizer.encode(numberLines(text)).length - tokenizer.encode(text).length;
		assert.ok(numbers > 0);
		const on = await tokensOf([]);
		assert.equal(await tokensOf(['--line-numbers', 'on']), on);
		assert.equal(await tokensOf(['--line-numbers', 'off']), (on ?? 0) - numbers);
		const wrong = await cli(['ask', ...args, '--line-numbers', 'no']);
		assert.equal(wrong.code, 2);
		assert.match(wrong.stderr, /--line-numbers must be on or off \(got "no"\)/);
	});

	it('the bundle: a 40 KB question on the command line is an error message, not a crash', function () {
		if (!existsSync(CLI)) assert.fail(`${CLI} is missing: run "npm run build" first`);
		const run = spawnSync(process.execPath, [CLI, 'ask', 'a'.repeat(40000)], {
			cwd: root,
			encoding: 'utf8',
		});
		assert.equal(run.signal, null, `killed by ${run.signal}`);
		assert.equal(run.status, 1, run.stderr);
		assert.match(run.stderr, /more than the model's longest window/);
	});
});

describe('Ctrl-C during a job', () => {
	it('cancels the first time and quits at once the second', () => {
		const said: string[] = [];
		let cancels = 0;
		const exits: number[] = [];
		const onSigint = interruptHandler(
			() => cancels++,
			{ stdout: () => undefined, stderr: (t) => said.push(t) },
			(code) => exits.push(code),
		);
		onSigint();
		assert.deepEqual([cancels, exits], [1, []]);
		assert.equal(said.join(''), '\ncancelling… (press Ctrl-C again to quit at once)\n');
		onSigint();
		assert.deepEqual([cancels, exits], [1, [EXIT_INTERRUPTED]]);
		assert.equal(EXIT_INTERRUPTED, 130);
		assert.match(said.join(''), /quit\.\n$/);
	});
});
