import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { COMMANDS } from '../../../extension/cli/commands';
import type { RopeJson } from '../../../extension/cli/commands/rope';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runCli } from '../../../extension/cli/runCli';
import { assertAllClose } from '../helpers/close';
import { PHI3_CONFIG_FILE, referenceCase } from '../helpers/fixtures';

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

const rope = (...extra: string[]) =>
	cli('rope', '--config', PHI3_CONFIG_FILE, '--positions', '0,4096,131071', ...extra);

describe('longrope rope', () => {
	for (const [planned, set] of [
		['8000', 'long'],
		['2000', 'short'],
	] as const) {
		it(`--planned-length ${planned} --json prints the ${set} set's tables (numpy reference)`, async () => {
			const { code, stdout, stderr } = await rope('--planned-length', planned, '--json');
			assert.equal(code, EXIT_OK, stderr);
			const doc = JSON.parse(stdout) as RopeJson;
			assert.deepEqual(Object.keys(doc), [
				'set',
				'attentionFactor',
				'positions',
				'cos',
				'sin',
			]);
			assert.equal(doc.set, set);
			assert.deepEqual(doc.positions, [0, 4096, 131071]);
			// The reference already multiplies by the attention factor, as the contract says.
			const reference = referenceCase(`longrope-phi3-${set}`);
			assert.equal(doc.attentionFactor, reference.attentionFactor);
			doc.positions.forEach((p, k) => {
				const r = reference.positions.indexOf(p);
				assertAllClose(doc.cos[k], reference.cos[r], 1e-9, `cos@${p}`);
				assertAllClose(doc.sin[k], reference.sin[r], 1e-9, `sin@${p}`);
			});
			assert.match(stderr, new RegExp(`set "${set}"`));
		});
	}

	it('--override wins and the readable output explains the choice', async () => {
		const { code, stdout } = await rope('--planned-length', '100', '--override', 'long');
		assert.equal(code, EXIT_OK);
		assert.match(stdout, /^Factor set: long \(longrope/);
		assert.match(stdout, /Why: override "long" selects "long"/);
		assert.match(stdout, /pair +cos@0 +sin@0 +cos@4096/);
	});

	it('reads extra sets from --sets', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'longrope-cli-'));
		const sets = path.join(dir, 'longrope.json');
		const factors = new Array(48).fill(2);
		writeFileSync(
			sets,
			JSON.stringify({
				sets: [{ name: 'mid', maxLength: 16384, factors, nHat: 0, attentionFactor: 1 }],
			}),
		);
		const { code, stdout } = await rope('--planned-length', '9000', '--sets', sets, '--json');
		assert.equal(code, EXIT_OK);
		assert.equal((JSON.parse(stdout) as RopeJson).set, 'mid');
	});

	it('usage errors exit with 2 and say what is wrong', async () => {
		const cases: [string[], RegExp][] = [
			[['frobnicate'], /unknown command "frobnicate" \(commands: [^)]*\brope\b[^)]*\)/],
			[
				['rope', '--config', PHI3_CONFIG_FILE, '--positions', '0'],
				/--planned-length N is required/,
			],
			[['rope', '--bogus'], /unknown flag --bogus/],
			[['rope', '--config'], /--config needs a value/],
			[['rope', '--json=yes'], /--json takes no value/],
		];
		for (const [argv, message] of cases) {
			const { code, stderr } = await cli(...argv);
			assert.equal(code, EXIT_USAGE, argv.join(' '));
			assert.match(stderr, message);
		}
		const bad = await rope('--planned-length', 'lots');
		assert.equal(bad.code, EXIT_USAGE);
		assert.match(bad.stderr, /--planned-length must be a positive integer \(got "lots"\)/);
		const negative = await cli(
			'rope',
			'--config',
			PHI3_CONFIG_FILE,
			'--planned-length',
			'5',
			'--positions',
			'0,-1',
		);
		assert.equal(negative.code, EXIT_USAGE);
		assert.match(negative.stderr, /--positions must be comma-separated non-negative integers/);
		assert.equal((await cli()).code, EXIT_USAGE);
	});

	it('bad input files and values exit with 1 and name them', async () => {
		const missing = await cli(
			'rope',
			'--config',
			'/nonexistent/config.json',
			'--planned-length',
			'5',
			'--positions',
			'0',
		);
		assert.equal(missing.code, EXIT_FAILURE);
		assert.match(missing.stderr, /\/nonexistent\/config.json does not exist/);
		const override = await rope('--planned-length', '5', '--override', 'medium');
		assert.equal(override.code, EXIT_FAILURE);
		assert.match(
			override.stderr,
			/override must be auto, short, long or a set name \(short, long\) \(got "medium"\)/,
		);
	});

	it('--help prints the usage and exits 0', async () => {
		const { code, stdout } = await cli('rope', '--help');
		assert.equal(code, EXIT_OK);
		assert.match(
			stdout,
			/Usage: longrope rope --config FILE --planned-length N --positions LIST/,
		);
		assert.match((await cli('--help')).stdout, /rope +Pick the factor set/);
	});
});
