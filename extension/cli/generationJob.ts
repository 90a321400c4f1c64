import { CancellationTokenSource, type CancellationToken } from '../engine/cancellation';
import type { FactorOverride } from '../engine/factorSelection';
import { buildChatPrompt, type ChatMessage } from '../engine/generation/chatTemplate';
import type { GenerationStats, LocalModel, PlanInfo } from '../runtime/localModel';
import type { CliIo } from './command';

export interface JobResult {
	readonly answer: string;
	readonly stats: GenerationStats;
}

export interface JobOptions {
	/** A factor-set override (`--factor-set`); the same the context was packed for. */
	readonly override?: FactorOverride;
	/** A job-wide token (several requests): cancelling it cancels this request too. */
	readonly token?: CancellationToken;
}

/**
 * Runs one chat request on the model: progress on stderr, the answer streamed to stdout unless
 * `quiet` (--json prints it in the document instead). Ctrl-C cancels between model runs.
 */
export async function runChatJob(
	model: LocalModel,
	messages: readonly ChatMessage[],
	maxNewTokens: number,
	io: CliIo,
	quiet: boolean,
	options: JobOptions = {},
): Promise<JobResult> {
	const prompt = buildChatPrompt(model.folder.tokenizer, messages);
	const conversation = model.createConversation();
	const source = new CancellationTokenSource();
	const onSigint = () => source.cancel();
	process.once('SIGINT', onSigint);
	const outer = options.token?.onCancellationRequested(() => source.cancel());
	if (options.token?.isCancellationRequested) source.cancel();
	try {
		const stream = conversation.generate(
			{
				prompt: prompt.ids,
				maxNewTokens,
				stopIds: prompt.stopIds,
				...(options.override ? { override: options.override } : {}),
			},
			source.token,
			{
				onPlan: (plan: PlanInfo) => {
					io.stderr(
						`factor set "${plan.set}": ${plan.reason} (planned ${plan.plannedLength} tokens)\n`,
					);
					if (plan.warning) io.stderr(`warning: ${plan.warning}\n`);
				},
				onPrefill: (p) =>
					io.stderr(
						`prefill ${p.done}/${p.total} tokens, ${p.tokensPerSecond.toFixed(0)} tok/s, ETA ${p.etaSeconds.toFixed(1)} s\n`,
					),
			},
		);
		let answer = '';
		for (;;) {
			const next = await stream.next();
			if (next.done) {
				if (!quiet) io.stdout('\n');
				return { answer, stats: next.value };
			}
			answer += next.value;
			if (!quiet) io.stdout(next.value);
		}
	} finally {
		outer?.dispose();
		process.removeListener('SIGINT', onSigint);
		conversation.dispose();
	}
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
