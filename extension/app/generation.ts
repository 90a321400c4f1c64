import type { CancellationToken } from '../engine/cancellation';
import type { SamplingOptions } from '../engine/generation/sampling';
import type { GenerationStats, LanguageModel, ModelSession } from '../engine/model/languageModel';
import type { RequestPlan } from '../engine/model/requestPlan';
import { planEvent, type EmitEvent } from './events';

export interface Generated {
	readonly text: string;
	readonly stats: GenerationStats;
}

/** Answer deltas between two `generating` progress events. */
const PROGRESS_EVERY = 8;

/**
 * Runs one planned request on a session and reports it: the plan as the model runs it, prefill
 * progress, the answer's deltas. `reset` marks the first delta as the start of a new text.
 */
export async function generate(
	model: LanguageModel,
	session: ModelSession,
	plan: RequestPlan,
	options: {
		readonly sampling?: SamplingOptions;
		readonly emit: EmitEvent;
		readonly token?: CancellationToken;
		readonly reset?: boolean;
	},
): Promise<Generated> {
	const { emit } = options;
	const capBytes = model.memoryLimit?.bytes ?? 0;
	const stream = session.generate({ plan, sampling: options.sampling }, options.token, {
		onStart: (info) => emit(planEvent(info, capBytes)),
		onPrefill: (p) =>
			emit({
				type: 'progress',
				progress: {
					phase: 'prefill',
					done: p.done,
					total: p.total,
					etaSeconds: p.etaSeconds,
					tokensPerSecond: p.tokensPerSecond,
				},
			}),
	});
	let text = '';
	let pieces = 0;
	for (;;) {
		const next = await stream.next();
		if (next.done) return { text, stats: next.value };
		text += next.value;
		emit({
			type: 'delta',
			text: next.value,
			...(options.reset && pieces === 0 ? { reset: true } : {}),
		});
		if (pieces++ % PROGRESS_EVERY === 0) {
			emit({
				type: 'progress',
				progress: { phase: 'generating', done: pieces, total: plan.answerTokens },
			});
		}
	}
}
