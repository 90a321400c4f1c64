import { chooseFactorSet, type FactorOverride } from '../factorSelection';
import type { FactorSet } from '../factorSet';
import type { ChatMessage, ChatPrompt } from '../generation/chatTemplate';
import type { LengthLimit, PlanningModel } from './languageModel';

/** The context a request runs in: a factor set (or a fixed window) and why. */
export interface SetChoice {
	readonly name: string;
	readonly reason: string;
	readonly warning?: string;
	/** The factor set; absent for a fixed window. */
	readonly set?: FactorSet;
	/** Its window: the longest planned length it is meant for. */
	readonly window: number;
}

/** The window a request packs into: a set's window, or a lower cap and why. */
export interface WindowChoice {
	readonly window: number;
	readonly set: string;
	readonly reason: string;
	readonly limit?: string;
}

/**
 * One request, planned once: the runtime runs exactly these prompt ids with this set. Made by
 * the packer (or planPrompt for requests without files) and never re-planned downstream.
 */
export interface RequestPlan {
	readonly choice: SetChoice;
	readonly override: FactorOverride;
	readonly window: WindowChoice;
	readonly messages: readonly ChatMessage[];
	readonly promptIds: readonly number[];
	readonly stopIds: readonly number[];
	readonly answerTokens: number;
	/** Prompt tokens + answer budget. */
	readonly plannedLength: number;
}

/** The set (or fixed window) a request of `plannedLength` tokens runs with. */
export function chooseSet(
	model: Pick<PlanningModel, 'windows'>,
	plannedLength: number,
	override: FactorOverride = 'auto',
): SetChoice {
	const windows = model.windows;
	const length = Math.max(1, Math.ceil(plannedLength));
	if (windows.kind === 'fixed') {
		const reason = `the model's fixed window of ${windows.window} tokens (${windows.source})`;
		return length > windows.window
			? {
					name: 'fixed',
					reason,
					window: windows.window,
					warning: `planned length ${length} is past the ${windows.window}-token window`,
				}
			: { name: 'fixed', reason, window: windows.window };
	}
	const choice = chooseFactorSet(windows.rope.sets, length, override);
	return {
		name: choice.set.name,
		reason: choice.reason,
		...(choice.warning ? { warning: choice.warning } : {}),
		set: choice.set,
		window: choice.set.maxLength,
	};
}

/**
 * The window for a request that would like `wantedLength` tokens (everything it could use plus
 * the answer): the set the plan would pick for it (the largest when none covers it), lowered by
 * the memory cap, a user's cap and the counting margin.
 */
export function chooseWindow(
	model: Pick<PlanningModel, 'windows' | 'memoryLimit' | 'countMargin'>,
	wantedLength: number,
	override: FactorOverride = 'auto',
	cap?: LengthLimit,
): WindowChoice {
	const choice = chooseSet(model, wantedLength, override);
	let window: WindowChoice = { window: choice.window, set: choice.name, reason: choice.reason };
	for (const limit of [model.memoryLimit, cap]) {
		if (limit && limit.tokens < window.window) {
			window = {
				...window,
				window: Math.max(0, Math.floor(limit.tokens)),
				limit: `${limit.reason} allows ${Math.floor(limit.tokens)} tokens, fewer than the window of "${choice.name}" (${choice.window})`,
			};
		}
	}
	if (model.countMargin > 0) {
		const counted = Math.floor(window.window / (1 + model.countMargin));
		window = {
			...window,
			window: counted,
			limit: `${window.limit ? `${window.limit}; ` : ''}tokens are counted with a local tokenizer, so ${Math.round(model.countMargin * 100)}% of the window is kept in reserve (${counted} of ${window.window})`,
		};
	}
	return window;
}

/**
 * The plan for one rendering of the messages: the ids the runtime will run, and the set their
 * planned length picks. `prompt` is that rendering (the caller measured it already).
 */
export function planRendered(
	model: Pick<PlanningModel, 'windows'>,
	messages: readonly ChatMessage[],
	prompt: ChatPrompt,
	answerTokens: number,
	window: WindowChoice,
	override: FactorOverride = 'auto',
): RequestPlan {
	if (!Number.isInteger(answerTokens) || answerTokens <= 0) {
		throw new Error(`the answer budget must be a positive integer, not ${answerTokens}`);
	}
	const plannedLength = prompt.ids.length + answerTokens;
	return {
		choice: chooseSet(model, plannedLength, override),
		override,
		window,
		messages,
		promptIds: prompt.ids,
		stopIds: prompt.stopIds,
		answerTokens,
		plannedLength,
	};
}

/** A plan for messages without workspace files (evaluations, combine steps, tests). */
export function planPrompt(
	model: PlanningModel,
	messages: readonly ChatMessage[],
	answerTokens: number,
	override: FactorOverride = 'auto',
): RequestPlan {
	const prompt = model.renderChat(messages);
	const window = chooseWindow(model, prompt.ids.length + answerTokens, override);
	return planRendered(model, messages, prompt, answerTokens, window, override);
}

/**
 * A plan for prompt ids that are already rendered (raw continuations: benchmarks, passkey
 * prompts, tests); the window is the chosen set's.
 */
export function planIds(
	model: Pick<PlanningModel, 'windows'>,
	promptIds: readonly number[],
	answerTokens: number,
	override: FactorOverride = 'auto',
	stopIds: readonly number[] = [],
): RequestPlan {
	const choice = chooseSet(model, promptIds.length + answerTokens, override);
	return planRendered(
		model,
		[],
		{ ids: [...promptIds], stopIds: [...stopIds] },
		answerTokens,
		{ window: choice.window, set: choice.name, reason: choice.reason },
		override,
	);
}
