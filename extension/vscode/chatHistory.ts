import type * as vscode from 'vscode';
import type { Exchange } from '../engine/prompts/filePrompts';
import type { ChatTurn } from '../protocol';

const HISTORY_KEY = 'longrope.chatHistory';
const MAX_HISTORY = 200;

/** The chat's turns, kept per workspace. */
export function savedHistory(state: vscode.Memento): ChatTurn[] {
	return state.get<ChatTurn[]>(HISTORY_KEY, []);
}

export async function saveHistory(
	state: vscode.Memento,
	turns: readonly ChatTurn[],
): Promise<void> {
	await state.update(HISTORY_KEY, turns.slice(-MAX_HISTORY));
}

/** The chat's earlier questions with the answers they got (stopped and failed turns left out). */
export function exchangesOf(turns: readonly ChatTurn[]): Exchange[] {
	const exchanges: Exchange[] = [];
	for (let k = 0; k + 1 < turns.length; k++) {
		const [user, answer] = [turns[k], turns[k + 1]];
		if (user.role !== 'user' || answer.role !== 'assistant') continue;
		if (answer.outcome === 'done' && answer.text.trim()) {
			exchanges.push({ question: user.text, answer: answer.text });
		}
	}
	return exchanges;
}
