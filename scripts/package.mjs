// Packages a platform-specific .vsix: `npm run package -- linux-x64` (default: this machine).
// onnxruntime-node ships native binaries for every platform under
// bin/napi-v*/<platform>/<arch>/; a .vsix carries only its target's, so each target gets
// its own package (the Marketplace serves the right one per machine).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const TARGETS = {
	'linux-x64': 'linux/x64',
	'linux-arm64': 'linux/arm64',
	'darwin-arm64': 'darwin/arm64',
	'win32-x64': 'win32/x64',
	'win32-arm64': 'win32/arm64',
};

const root = path.resolve(import.meta.dirname, '..');
const target = process.argv[2] ?? `${process.platform}-${process.arch}`;
const binaries = TARGETS[target];
if (!binaries) {
	console.error(`Unknown target "${target}"; one of: ${Object.keys(TARGETS).join(', ')}`);
	process.exit(2);
}
const ortBin = path.join(root, 'node_modules/onnxruntime-node/bin');
const napi = readdirSync(ortBin).filter((d) => existsSync(path.join(ortBin, d, binaries)));
if (napi.length === 0) {
	console.error(`onnxruntime-node has no ${binaries} binaries in ${ortBin}; run npm ci first.`);
	process.exit(1);
}

const ignoreFile = path.join(mkdtempSync(path.join(tmpdir(), 'longrope-vsix-')), '.vscodeignore');
writeFileSync(
	ignoreFile,
	`${readFileSync(path.join(root, '.vscodeignore'), 'utf8')}\n!node_modules/onnxruntime-node/bin/napi-v*/${binaries}/**\n`,
);

const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const vsce = path.join(root, 'node_modules/@vscode/vsce/vsce');
const run = spawnSync(
	process.execPath,
	[
		vsce,
		'package',
		'--target',
		target,
		'--ignoreFile',
		ignoreFile,
		'--allow-missing-repository',
		'--out',
		`longrope-assistant-${target}-${version}.vsix`,
	],
	{ cwd: root, stdio: 'inherit' },
);
process.exit(run.status ?? 1);
