/**
 * Where every token of one request goes. It adds up:
 * context + question + history + template + answer + free = window, and context is the sum of
 * the manifest's file tokens.
 */
export interface ContextBudget {
	/** The most tokens the request may plan (prompt + answer). */
	readonly window: number;
	/** The set whose window that is. */
	readonly windowSet: string;
	/** The set the request runs with (its planned length picks it), and why. */
	readonly set: string;
	readonly setReason: string;
	readonly limit?: string;
	/** Files: headers, text and cut markers. */
	readonly context: number;
	readonly question: number;
	/** Earlier turns of the conversation that went back to the model. */
	readonly history: number;
	/** Everything else in the prompt: system prompt, chat-template tokens, instructions, separators. */
	readonly template: number;
	/** The answer budget (max new tokens). */
	readonly answer: number;
	/** Left over in the window. */
	readonly free: number;
	/** Prompt tokens: context + question + history + template. */
	readonly prompt: number;
}
