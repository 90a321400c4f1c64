import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ProvisionError, runInstaller } from '../../e2e/provision';

/** A stand-in installer: prints to both streams, fails while `fails` files are missing. */
const INSTALLER = `
const fs = require('node:fs');
const [marker, fails] = process.argv.slice(1);
const tries = fs.existsSync(marker) ? Number(fs.readFileSync(marker, 'utf8')) + 1 : 1;
fs.writeFileSync(marker, String(tries));
console.log('fetching code-server, try ' + tries);
if (tries <= Number(fails)) {
	console.error('gyp ERR! build error: kerberos, try ' + tries);
	process.exit(1);
}
`;

describe('e2e provisioning: an installer that fails shows its output and runs once more', () => {
	const quiet = process.stderr.write;
	let said = '';
	beforeEach(() => {
		said = '';
		process.stderr.write = ((text: string) => ((said += text), true)) as typeof quiet;
	});
	afterEach(() => (process.stderr.write = quiet));

	function install(fails: number, beforeRetry?: () => void) {
		const dir = mkdtempSync(path.join(tmpdir(), 'longrope-provision-'));
		const log = path.join(dir, 'install.log');
		const marker = path.join(dir, 'tries');
		const run = () =>
			runInstaller(process.execPath, ['-e', INSTALLER, marker, String(fails)], {
				cwd: dir,
				log,
				beforeRetry,
			});
		return { run, log, marker };
	}

	it('a failure then a success: the failure and its output are reported, the second try passes', () => {
		let cleared = 0;
		const { run, log, marker } = install(1, () => cleared++);
		run();
		assert.equal(readFileSync(marker, 'utf8'), '2');
		assert.equal(cleared, 1);
		assert.match(said, /failed \(exit 1\) after \d+ s, try 1 of 2/);
		assert.match(said, /gyp ERR! build error: kerberos, try 1/);
		assert.match(said, /trying once more/);
		assert.equal(readFileSync(log, 'utf8'), 'fetching code-server, try 2\n');
	});

	it("two failures: the error carries the last try's output", () => {
		const { run } = install(2);
		assert.throws(run, (error: Error) => {
			assert.ok(error instanceof ProvisionError);
			assert.match(error.message, /try 2 of 2/);
			assert.match(
				error.message,
				/fetching code-server, try 2\ngyp ERR! build error: kerberos, try 2/,
			);
			return true;
		});
	});

	it('a command that cannot start says why', () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'longrope-provision-'));
		assert.throws(
			() =>
				runInstaller(path.join(dir, 'no-such-installer'), [], {
					cwd: dir,
					log: path.join(dir, 'install.log'),
				}),
			/no-such-installer failed \(spawnSync \S+ ENOENT\)/,
		);
		assert.ok(existsSync(path.join(dir, 'install.log')));
	});
});
