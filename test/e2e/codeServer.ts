import { spawn, type ChildProcess } from 'node:child_process';
import {
	cpSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Provisioned } from './provision';

export interface CodeServer {
	readonly url: string;
	readonly userDataDir: string;
	readonly extensionsDir: string;
	readonly log: string[];
	/** Changes user settings (VS Code watches the file). */
	updateSettings(values: Record<string, unknown>): void;
	/**
	 * Changes the machine's settings, where the remote extension host reads machine-scoped ones
	 * (longrope.modelPath); a value of undefined removes the setting.
	 */
	updateMachineSettings(values: Record<string, unknown>): void;
	/** What the extension wrote to its output channel (LongRoPE) so far. */
	extensionLog(): string;
	stop(): Promise<void>;
}

export interface CodeServerOptions {
	/** The extension as a folder (symlinked into the extensions folder) or a .vsix to install. */
	readonly extension: { folder: string } | { vsix: string };
	readonly settings?: Record<string, unknown>;
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
		server.on('error', reject);
	});
}

function runToEnd(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		child.stdout.on('data', (d: Buffer) => (out += d.toString()));
		child.stderr.on('data', (d: Buffer) => (out += d.toString()));
		child.on('exit', (code) =>
			code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} failed: ${out}`)),
		);
	});
}

/**
 * Starts code-server (with the provisioned Node 24) on a loopback port, no auth, a fresh user
 * data folder and extensions folder holding only this extension.
 */
export async function startCodeServer(
	tools: Provisioned,
	options: CodeServerOptions,
): Promise<CodeServer> {
	const base = mkdtempSync(path.join(tmpdir(), 'longrope-e2e-'));
	const userDataDir = path.join(base, 'user-data');
	const extensionsDir = path.join(base, 'extensions');
	mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
	// code-server's extension host is a remote one: machine-scoped settings (longrope.modelPath)
	// are read from the machine's settings, not the user's.
	mkdirSync(path.join(userDataDir, 'Machine'), { recursive: true });
	writeFileSync(
		path.join(userDataDir, 'Machine', 'settings.json'),
		JSON.stringify(options.settings ?? {}, null, 2),
	);
	mkdirSync(extensionsDir, { recursive: true });
	writeFileSync(
		path.join(userDataDir, 'User', 'settings.json'),
		JSON.stringify(
			{
				'workbench.startupEditor': 'none',
				'workbench.tips.enabled': false,
				'workbench.welcomePage.walkthroughs.openOnInstall': false,
				'security.workspace.trust.enabled': false,
				'telemetry.telemetryLevel': 'off',
				'extensions.autoCheckUpdates': false,
				'extensions.autoUpdate': false,
				'update.mode': 'none',
				'chat.commandCenter.enabled': false,
				'chat.disableAIFeatures': true,
				'workbench.secondarySideBar.defaultVisibility': 'hidden',
				'window.commandCenter': false,
				'git.enabled': false,
				...options.settings,
			},
			null,
			2,
		),
	);
	const env = {
		...process.env,
		PATH: `${path.dirname(tools.node)}${path.delimiter}${process.env.PATH ?? ''}`,
	};
	const common = [
		tools.codeServer,
		'--user-data-dir',
		userDataDir,
		'--extensions-dir',
		extensionsDir,
		'--disable-telemetry',
		'--disable-update-check',
		'--disable-workspace-trust',
		'--disable-getting-started-override',
	];
	if ('vsix' in options.extension) {
		await runToEnd(tools.node, [...common, '--install-extension', options.extension.vsix], env);
	} else {
		const manifest = JSON.parse(
			readFileSync(path.join(options.extension.folder, 'package.json'), 'utf8'),
		) as { publisher: string; name: string; version: string };
		symlinkSync(
			options.extension.folder,
			path.join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`),
		);
	}
	const port = await freePort();
	const log: string[] = [];
	const child: ChildProcess = spawn(
		tools.node,
		[...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--ignore-last-opened'],
		{ env, stdio: ['ignore', 'pipe', 'pipe'] },
	);
	child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
	child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
	const url = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 60_000;
	for (;;) {
		if (child.exitCode !== null) {
			throw new Error(`code-server exited (${child.exitCode}): ${log.join('')}`);
		}
		try {
			const response = await fetch(`${url}/healthz`);
			if (response.ok) break;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline)
			throw new Error(`code-server did not answer on ${url} within 60 s: ${log.join('')}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	const update = (file: string, values: Record<string, unknown>) => {
		const current = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
		// JSON.stringify leaves out the keys set to undefined.
		writeFileSync(file, JSON.stringify({ ...current, ...values }, null, 2));
	};
	return {
		url,
		userDataDir,
		extensionsDir,
		log,
		updateSettings: (values) => update(path.join(userDataDir, 'User', 'settings.json'), values),
		updateMachineSettings: (values) =>
			update(path.join(userDataDir, 'Machine', 'settings.json'), values),
		extensionLog: () => outputChannelLog(path.join(userDataDir, 'logs'), 'LongRoPE'),
		stop: async () => {
			if (child.exitCode === null) {
				child.kill('SIGTERM');
				await new Promise((resolve) => {
					const timer = setTimeout(() => {
						child.kill('SIGKILL');
						resolve(undefined);
					}, 5000);
					child.once('exit', () => {
						clearTimeout(timer);
						resolve(undefined);
					});
				});
			}
			// LONGROPE_E2E_KEEP=1 keeps the user data (logs, the LongRoPE output channel) to read.
			if (process.env.LONGROPE_E2E_KEEP === '1') console.log(`      (kept ${base})`);
			else rmSync(base, { recursive: true, force: true });
		},
	};
}

/**
 * An output channel's text: VS Code logs each channel to `<logs>/<session>/exthost*\/
 * output_logging_*\/<n>-<name>.log`.
 */
function outputChannelLog(logs: string, name: string): string {
	const files = readdirSync(logs, { recursive: true, encoding: 'utf8' }).filter(
		(f) => path.basename(f) === `${path.basename(f).split('-')[0]}-${name}.log`,
	);
	if (files.length === 0) {
		throw new Error(`no ${name} output channel log under ${logs}`);
	}
	return files.map((f) => readFileSync(path.join(logs, f), 'utf8')).join('');
}

/** Copies a folder (the fixture workspace) to a fresh temporary place. */
export function copyToTemp(folder: string, name: string): string {
	const target = path.join(mkdtempSync(path.join(tmpdir(), 'longrope-e2e-ws-')), name);
	cpSync(folder, target, { recursive: true });
	return target;
}
