import { FactorManager } from '../factorManager';
import type { FactorOverride } from '../factorSelection';
import type { RopeConfig } from '../factorSet';

/** The factor set whose window bounds a request, and why. */
export interface WindowPlan {
	/** Tokens a request may plan (prompt + answer): the set's window, or a lower cap. */
	readonly window: number;
	readonly set: string;
	readonly reason: string;
	/** Set when the window is lower than the set's, e.g. by the KV-cache memory cap. */
	readonly limit?: string;
}

/**
 * The window for a request that would like `wantedLength` tokens (everything it could use, plus
 * the answer): the factor manager's plan picks the smallest set that covers it, or the largest
 * set when none does, so the largest set's window bounds every context.
 */
export function planWindow(
	rope: RopeConfig,
	wantedLength: number,
	override: FactorOverride = 'auto',
	maxTokens?: number,
	maxTokensReason = 'the KV-cache memory cap',
): WindowPlan {
	const manager = new FactorManager(rope);
	try {
		const active = manager.plan({
			plannedLength: Math.max(1, Math.ceil(wantedLength)),
			override,
		});
		const plan: WindowPlan = {
			window: active.set.maxLength,
			set: active.set.name,
			reason: active.reason,
		};
		if (maxTokens !== undefined && maxTokens < plan.window) {
			return {
				...plan,
				window: Math.max(0, Math.floor(maxTokens)),
				limit: `${maxTokensReason} allows ${Math.floor(maxTokens)} tokens, fewer than the window of "${plan.set}" (${plan.window})`,
			};
		}
		return plan;
	} finally {
		manager.dispose();
	}
}

/** Which set the runtime will pick for a request that plans `plannedLength` tokens, and why. */
export function setForPlan(
	rope: RopeConfig,
	plannedLength: number,
	override: FactorOverride = 'auto',
): { readonly set: string; readonly reason: string } {
	const manager = new FactorManager(rope);
	try {
		const active = manager.plan({ plannedLength: Math.max(1, plannedLength), override });
		return { set: active.set.name, reason: active.reason };
	} finally {
		manager.dispose();
	}
}

/**
 * Where every token of one request goes. It adds up:
 * context + question + template + answer + free = window, and context is the sum of the
 * manifest's file tokens.
 */
export interface ContextBudget {
	/** The most tokens the request may plan (prompt + answer). */
	readonly window: number;
	/** The set whose window that is. */
	readonly windowSet: string;
	/** The set the runtime picks for this request's planned length (prompt + answer). */
	readonly set: string;
	readonly setReason: string;
	readonly limit?: string;
	/** Files: headers, text and cut markers. */
	readonly context: number;
	readonly question: number;
	/** Everything else in the prompt: system prompt, chat-template tokens, instructions, separators. */
	readonly template: number;
	/** The answer budget (max new tokens). */
	readonly answer: number;
	/** Left over in the window. */
	readonly free: number;
	/** Prompt tokens: context + question + template. */
	readonly prompt: number;
}
