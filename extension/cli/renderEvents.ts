import type { GenerationStats } from '../engine/model/languageModel';
import { contextLine } from '../engine/workspace/manifest';
import type { EmitEvent } from '../app/events';
import type { CliIo } from './command';

/** Progress lines of one kind at most every half second (the last one always). */
const THROTTLE_MS = 500;

/**
 * The CLI's view of a job: progress, the plan and the context on stderr; the answer streamed to
 * stdout unless `quiet` (`--json` prints it in its document instead).
 */
export function cliEvents(io: CliIo, options: { quiet: boolean; name?: string }): EmitEvent {
	let lastScan = 0;
	let streamed = false;
	return (event) => {
		switch (event.type) {
			case 'progress': {
				const p = event.progress;
				if (p.phase === 'scanning') {
					const finished = p.total > 0;
					const now = Date.now();
					if (!finished && now - lastScan < THROTTLE_MS) return;
					lastScan = now;
					const detail = p.detail?.replace(/: [^:]*$/, '') ?? '';
					io.stderr(
						`${finished ? 'read' : 'reading'} ${options.name ?? 'workspace'}: ${detail}\n`,
					);
				} else if (p.phase === 'prefill') {
					io.stderr(
						`prefill ${p.done}/${p.total} tokens, ${(p.tokensPerSecond ?? 0).toFixed(0)} tok/s, ETA ${(p.etaSeconds ?? 0).toFixed(1)} s\n`,
					);
				} else if (p.phase === 'packing' || p.phase === 'search') {
					if (p.detail) io.stderr(`${p.detail}\n`);
				}
				return;
			}
			case 'plan':
				io.stderr(
					`factor set "${event.set}": ${event.reason} (planned ${event.plannedLength} tokens)\n`,
				);
				if (event.warning) io.stderr(`warning: ${event.warning}\n`);
				if (event.cacheRebuilt) io.stderr(`cache rebuilt: ${event.cacheRebuilt}\n`);
				return;
			case 'manifest':
				io.stderr(`${contextLine(event)}\n`);
				return;
			case 'delta':
				if (options.quiet) return;
				if (event.reset && streamed) io.stdout('\n\n');
				io.stdout(event.text);
				streamed = true;
				return;
			default: {
				const never: never = event;
				return never;
			}
		}
	};
}

/** The --json fields every generation command shares (DESIGN.md, issue 4). */
export function statsJson(stats: GenerationStats): Record<string, unknown> {
	return {
		set: stats.plan.set,
		setReason: stats.plan.reason,
		...(stats.plan.warning ? { setWarning: stats.plan.warning } : {}),
		plannedLength: stats.plan.plannedLength,
		tokensIn: stats.plan.promptTokens,
		tokensOut: stats.newTokens,
		stopReason: stats.stopReason,
		timeToFirstTokenMs: round(stats.timeToFirstTokenMs),
		prefillTokensPerSecond: round(stats.prefillTokensPerSecond),
		decodeTokensPerSecond: round(stats.decodeTokensPerSecond),
		kvBytes: stats.kvBytes,
	};
}

function round(x: number): number {
	return Math.round(x * 10) / 10;
}
