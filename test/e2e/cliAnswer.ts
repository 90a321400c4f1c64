import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '../../dist/cli.js');

/** The CLI's `--json` answer: what the editor must show for the same request. */
export interface CliAnswer {
	readonly answer: string;
	readonly stopReason: string;
	readonly tokensIn: number;
	/** The factor set the plan chose. */
	readonly set: string;
	readonly tokensOut: number;
	readonly promptSha256?: string;
	readonly citations: readonly { path: string; line: number }[];
	readonly sources?: readonly { path: string; from: number; to: number }[];
}

/**
 * Runs `longrope <command> ... --json` on the built CLI: the same job code as the editor's
 * engine, so a greedy model gives the editor's answer (the unit pipeline test checks that
 * token for token). The scenarios use it to know, before they ask, what the answer will be.
 */
export function cliAnswer(args: readonly string[], cwd: string): CliAnswer {
	const run = spawnSync(process.execPath, [CLI, ...args, '--json'], {
		cwd,
		encoding: 'utf8',
		maxBuffer: 64 << 20,
	});
	if (run.status !== 0) {
		throw new Error(`longrope ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
	}
	const json = JSON.parse(run.stdout) as CliAnswer & { summary?: string };
	return { ...json, answer: json.answer ?? json.summary ?? '' };
}
