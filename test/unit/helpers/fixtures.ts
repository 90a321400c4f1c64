import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '../../fixtures');
export const PHI3_CONFIG_FILE = path.join(FIXTURES, 'phi-3-mini-128k-instruct.config.json');

export function readJsonFixture(name: string): unknown {
	return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as unknown;
}

/** A fresh copy of Phi-3-mini-128k's config.json, safe to modify. */
export function phi3Config(): Record<string, unknown> & { rope_scaling: Record<string, unknown> } {
	return readJsonFixture('phi-3-mini-128k-instruct.config.json') as Record<string, unknown> & {
		rope_scaling: Record<string, unknown>;
	};
}

export interface ReferenceCase {
	name: string;
	params: Record<string, unknown>;
	invFreq: number[];
	attentionFactor: number;
	positions: number[];
	cos: number[][];
	sin: number[][];
	correctionRange?: [number, number];
}

/** Made by test/reference/rope_reference.py (numpy, Hugging Face's formulas); see there. */
export function referenceCase(name: string): ReferenceCase {
	const doc = readJsonFixture('rope-reference.json') as { cases: ReferenceCase[] };
	const found = doc.cases.find((c) => c.name === name);
	if (!found) throw new Error(`no reference case ${name}`);
	return found;
}
