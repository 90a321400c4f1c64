import type { ChatTurn } from '../extension/protocol';
import { h, icon } from './dom';

/** Said for an answer without text when the host gave no reason (a turn saved by an older version). */
export const NO_ANSWER = 'The model gave no answer.';

/** An answer that ended normally without text: shown as such, never as a silent "done". */
export function isEmptyAnswer(turn: ChatTurn): boolean {
	return turn.role === 'assistant' && turn.outcome === 'done' && !turn.text.trim();
}

/** The line under a turn: why it stopped, failed or is empty, and what was left out. */
export function turnNote(turn: ChatTurn): HTMLElement | undefined {
	const empty = isEmptyAnswer(turn);
	const text =
		turn.outcome === 'stopped'
			? `Stopped.${turn.note ? ` ${turn.note}` : ''}`
			: empty
				? (turn.note ?? NO_ANSWER)
				: turn.note;
	if (!text) return undefined;
	const kind = turn.outcome === 'error' ? 'error' : empty ? 'warning' : 'info';
	return h('p', { class: 'note' }, icon(kind), ` ${text}`);
}
