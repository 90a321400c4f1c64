import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { PHI3_CONFIG_FILE } from '../helpers/fixtures';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');

// The shipped bundle, as a user runs it (npm test builds it before the unit tests).
describe('dist/cli.js', () => {
	before(function () {
		if (!existsSync(CLI)) assert.fail(`${CLI} is missing: run "npm run build" first`);
	});

	it('prints the long set for a plan of 8000 and exits 0', () => {
		const run = spawnSync(
			process.execPath,
			[
				CLI,
				'rope',
				'--config',
				PHI3_CONFIG_FILE,
				'--planned-length',
				'8000',
				'--positions',
				'0,4096,131071',
				'--json',
			],
			{ encoding: 'utf8' },
		);
		assert.equal(run.status, 0, run.stderr);
		const doc = JSON.parse(run.stdout) as { set: string; cos: number[][] };
		assert.equal(doc.set, 'long');
		assert.equal(doc.cos.length, 3);
		assert.equal(doc.cos[0].length, 48);
	});

	it('exits 2 on an unknown command', () => {
		const run = spawnSync(process.execPath, [CLI, 'nope'], { encoding: 'utf8' });
		assert.equal(run.status, 2);
		assert.match(run.stderr, /unknown command "nope"/);
	});
});
