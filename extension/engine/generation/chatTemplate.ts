import type { TextTokenizer } from './tokenizer';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
	readonly role: ChatRole;
	readonly content: string;
}

/** The role tokens of the bundled model (and Phi-3): each turn is `<|role|>\n… <|end|>\n`. */
export const CHAT_TOKENS = {
	bos: '<s>',
	eos: '</s>',
	end: '<|end|>',
	system: '<|system|>',
	user: '<|user|>',
	assistant: '<|assistant|>',
} as const;

export interface ChatPrompt {
	readonly ids: number[];
	/** Ids that end an answer: the end-of-turn and end-of-text tokens. */
	readonly stopIds: number[];
}

/**
 * Renders a conversation in the model's template and leaves it open for the assistant's turn.
 * Turns are rendered one by one, so a conversation that grows by a turn keeps its token prefix
 * and the runtime can reuse the cached keys for it.
 */
export function buildChatPrompt(
	tokenizer: TextTokenizer,
	messages: readonly ChatMessage[],
): ChatPrompt {
	const id = (token: string): number => {
		const found = tokenizer.tokenId(token);
		if (found === undefined)
			throw new Error(
				`the tokenizer has no ${token} token, so it cannot render the chat template`,
			);
		return found;
	};
	const ids = [id(CHAT_TOKENS.bos)];
	// A loop, not push(...ids): a 128k-token message would overflow the call stack.
	const append = (more: readonly number[]): void => {
		for (const value of more) ids.push(value);
	};
	for (const message of messages) {
		ids.push(id(CHAT_TOKENS[message.role]));
		append(tokenizer.encode(`\n${message.content}`));
		ids.push(id(CHAT_TOKENS.end));
		append(tokenizer.encode('\n'));
	}
	ids.push(id(CHAT_TOKENS.assistant));
	append(tokenizer.encode('\n'));
	return { ids, stopIds: [id(CHAT_TOKENS.end), id(CHAT_TOKENS.eos)] };
}
