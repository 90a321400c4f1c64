// Builds the bundles: the extension host, the engine process it starts, the `longrope` CLI and
// the webview (with the codicon font copied beside it).
// `node scripts/build.mjs --production` minifies and drops source maps.
import { cpSync, mkdirSync } from 'node:fs';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');

const common = {
	bundle: true,
	sourcemap: production ? false : 'linked',
	minify: production,
	logLevel: 'warning',
	// onnxruntime-node loads native binaries relative to its own files; vscode is the host's.
	external: ['vscode', 'onnxruntime-node'],
};

await Promise.all([
	esbuild.build({
		...common,
		entryPoints: ['extension/extension.ts'],
		outfile: 'dist/extension.js',
		platform: 'node',
		target: 'node20',
		format: 'cjs',
	}),
	esbuild.build({
		...common,
		entryPoints: ['extension/app/engineProcess.ts'],
		outfile: 'dist/engine.js',
		platform: 'node',
		target: 'node20',
		format: 'cjs',
	}),
	esbuild.build({
		...common,
		entryPoints: ['extension/cli/main.ts'],
		outfile: 'dist/cli.js',
		platform: 'node',
		target: 'node20',
		format: 'cjs',
		banner: { js: '#!/usr/bin/env node' },
	}),
	esbuild.build({
		...common,
		entryPoints: ['webview/main.ts'],
		outfile: 'dist/webview.js',
		platform: 'browser',
		target: 'es2022',
		format: 'iife',
		external: [],
	}),
]);

mkdirSync('dist/codicons', { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf']) {
	cpSync(`node_modules/@vscode/codicons/dist/${file}`, `dist/codicons/${file}`);
}
