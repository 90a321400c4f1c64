import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** Text a hostile file (or a hostile model) could hold: none of it may run in the chat. */
export const HOSTILE_FILE = [
	'# Notes',
	'',
	'<script>window.pwned = "script"; alert("script")</script>',
	"<img src=x onerror=\"window.pwned = 'img'; alert('img')\">",
	'[click me](javascript:alert(%22link%22))',
	'<a href="javascript:alert(1)">raw link</a>',
	'<iframe src="javascript:alert(\'iframe\')"></iframe>',
	'<svg onload="alert(\'svg\')"></svg>',
	'',
].join('\n');

/**
 * A small project for the scenarios: a few source files that cite well, a hostile markdown
 * file, and a long plain-text file that makes the whole workspace larger than the model's
 * original window (so a request packed from it plans past that window).
 */
export function writeFixtureWorkspace(root: string, originalWindow: number): string {
	const file = (rel: string, text: string) => {
		mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
		writeFileSync(path.join(root, rel), text);
	};
	file(
		'README.md',
		'# Calculator\n\nA tiny calculator library. `src/math.ts` adds and multiplies numbers; `src/config.ts` reads the settings file.\n',
	);
	file(
		'src/math.ts',
		[
			'/** Adds two numbers. */',
			'export function add(a: number, b: number): number {',
			'\treturn a + b;',
			'}',
			'',
			'/** Multiplies two numbers. */',
			'export function multiply(a: number, b: number): number {',
			'\treturn a * b;',
			'}',
			'',
		].join('\n'),
	);
	file(
		'src/config.ts',
		[
			"import { readFileSync } from 'node:fs';",
			'',
			'/** Reads the settings file, calculator.json, next to the program. */',
			'export function readConfig(file = "calculator.json"): { precision: number } {',
			'\treturn JSON.parse(readFileSync(file, "utf8"));',
			'}',
			'',
		].join('\n'),
	);
	file('docs/hostile.md', HOSTILE_FILE);
	// About 4 characters a token: three original windows of plain prose.
	const sentences = [
		'The calculator keeps a running total and prints it after every line.',
		'Precision comes from the settings file and defaults to two decimals.',
		'Numbers are parsed with the standard parser and errors name the line.',
		'The history of results can be saved to a file and loaded again later.',
	];
	const lines: string[] = [];
	for (let i = 0; lines.join('\n').length < originalWindow * 4 * 3; i++) {
		lines.push(`${i + 1}. ${sentences[i % sentences.length]}`);
	}
	file('docs/manual.txt', `${lines.join('\n')}\n`);
	return root;
}
