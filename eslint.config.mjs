import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** What extension/engine/ may never import: it must run without the editor and without Node I/O. */
export const ENGINE_FORBIDDEN_IMPORTS = [
	'vscode',
	'onnxruntime-node',
	'fs',
	'node:fs',
	'fs/promises',
	'node:fs/promises',
	'child_process',
	'node:child_process',
];

/** An import of a layer built on top of `layer`: engine ← runtime ← app ← cli / vscode. */
function layersAbove(layer, above) {
	return {
		group: above.map((name) => `**/${name}/**`),
		message: `extension/${layer}/ may not depend on the layers built on top of it (${above.join(', ')}).`,
	};
}

/** One front end importing the other: both go through extension/app/. */
function frontEnd(self, other) {
	return {
		group: [`**/${other}/**`],
		message: `extension/${self}/ and extension/${other}/ are separate front ends: share code through extension/app/.`,
	};
}

export default tseslint.config(
	{
		ignores: ['node_modules/', 'dist/', 'out/', 'models/', 'test/fixtures/', '.vscode-test/'],
	},
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		languageOptions: { globals: { ...globals.node } },
		rules: {
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', ignoreRestSiblings: true },
			],
			eqeqeq: ['error', 'always'],
		},
	},
	{
		// No import circles anywhere, and small files (each one concern).
		files: ['extension/**/*.ts', 'webview/**/*.ts'],
		plugins: { 'import-x': importX },
		settings: {
			'import-x/resolver-next': [createTypeScriptImportResolver()],
			'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
		},
		rules: {
			'import-x/no-cycle': 'error',
			'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
		},
	},
	{
		files: ['extension/engine/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					paths: ENGINE_FORBIDDEN_IMPORTS.map((name) => ({
						name,
						message:
							'extension/engine/ is host-independent: no editor, no native runtime, no file or process access (DESIGN.md, Parts).',
					})),
					patterns: [layersAbove('engine', ['runtime', 'app', 'cli', 'vscode'])],
				},
			],
		},
	},
	{
		files: ['extension/runtime/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					paths: [
						{ name: 'vscode', message: 'extension/runtime/ runs without the editor.' },
					],
					patterns: [layersAbove('runtime', ['app', 'cli', 'vscode'])],
				},
			],
		},
	},
	{
		files: ['extension/app/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					paths: [
						{
							name: 'vscode',
							message:
								'extension/app/ (the jobs) is shared by the CLI and the editor.',
						},
					],
					patterns: [layersAbove('app', ['cli', 'vscode'])],
				},
			],
		},
	},
	{
		files: ['extension/cli/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					paths: [{ name: 'vscode', message: 'The CLI runs without the editor.' }],
					patterns: [frontEnd('cli', 'vscode')],
				},
			],
		},
	},
	{
		files: ['extension/vscode/**', 'extension/extension.ts'],
		rules: {
			'no-restricted-imports': ['error', { patterns: [frontEnd('vscode', 'cli')] }],
		},
	},
	{
		files: ['extension/protocol.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							regex: '.',
							message:
								'The webview protocol imports nothing: it is bundled into both sides.',
						},
					],
				},
			],
		},
	},
	{
		files: ['webview/**'],
		languageOptions: { globals: { ...globals.browser } },
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							regex: '^(?!\\.\\./extension/protocol$|\\./|marked$|dompurify$)',
							message:
								'The webview may import only the shared message protocol, its own files, and its markdown renderer and sanitizer (marked, dompurify).',
						},
					],
				},
			],
		},
	},
);
