import type { ChatMessage } from '../../../extension/engine/generation/chatTemplate';
import type {
	GenerationStats,
	LanguageModel,
	ModelSession,
} from '../../../extension/engine/model/languageModel';
import type { RequestPlan } from '../../../extension/engine/model/requestPlan';
import { FakeTokenizer, fakePlanningModel, ropeWithWindows } from './fakeTokenizer';

/**
 * A stand-in language model: the fake tokenizer, unscaled sets of the given windows, and
 * answers from `reply`, streamed a word at a time. It records every plan it was asked to run.
 */
export function fakeLanguageModel(
	reply: (messages: readonly ChatMessage[], call: number) => string,
	...windows: number[]
): LanguageModel & { readonly plans: RequestPlan[] } {
	const tokenizer = new FakeTokenizer();
	const planning = fakePlanningModel(tokenizer, ropeWithWindows(...windows));
	const plans: RequestPlan[] = [];
	const session: ModelSession = {
		async *generate({ plan }): AsyncGenerator<string, GenerationStats> {
			plans.push(plan);
			const text = reply(plan.messages, plans.length);
			for (const piece of text.match(/\S+\s*|\s+/g) ?? []) yield piece;
			return {
				plan: {
					set: plan.choice.name,
					reason: plan.choice.reason,
					plannedLength: plan.plannedLength,
					promptTokens: plan.promptIds.length,
					reusedTokens: 0,
					plannedKvBytes: 0,
				},
				newTokens: tokenizer.encode(text).length,
				tokenIds: tokenizer.encode(text),
				stopReason: 'stop-token',
				timeToFirstTokenMs: 0,
				prefillTokensPerSecond: 0,
				decodeTokensPerSecond: 0,
				kvBytes: 0,
			};
		},
		reset: () => undefined,
		dispose: () => undefined,
	};
	return {
		...planning,
		description: { name: 'fake', kind: 'local', format: 'own', location: 'memory' },
		kvBytesPerToken: 0,
		stopStrings: [],
		openSession: () => session,
		dispose: () => undefined,
		plans,
	};
}
