import js from '@eslint/js';
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

export default tseslint.config(
	{
		ignores: ['node_modules/', 'dist/', 'out/', 'models/', 'test/fixtures/', '.vscode-test/'],
	},
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		languageOptions: { globals: { ...globals.node } },
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
			eqeqeq: ['error', 'always'],
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
					patterns: [
						{
							group: ['**/runtime/**', '**/vscode/**', '**/cli/**'],
							message:
								'extension/engine/ may not depend on the layers built on top of it.',
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
