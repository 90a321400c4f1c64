import type { SpeedInfo } from '../protocol';

/**
 * Why an answer that ended normally has no text, said to the user instead of a silent "done";
 * undefined when it has text. `budget` is the answer budget and where it is set.
 */
export function emptyAnswerNote(
	text: string,
	speed: Pick<SpeedInfo, 'newTokens' | 'stopReason'>,
	budget: { readonly tokens: number; readonly setting: string },
): string | undefined {
	if (text.trim()) return undefined;
	const blank =
		speed.newTokens > 0
			? `nothing but blank space (${speed.newTokens} token${speed.newTokens === 1 ? '' : 's'})`
			: 'nothing';
	switch (speed.stopReason) {
		case 'stop-token':
			return `The model answered with ${blank}: its stop token came ${speed.newTokens > 0 ? 'next' : 'first'}.`;
		case 'stop-string':
			return `The model answered with ${blank}: it began a new turn (a stop string) before any text.`;
		case 'max-tokens':
			return `The model answered with ${blank}: the answer budget of ${budget.tokens} token${budget.tokens === 1 ? '' : 's'} (${budget.setting}) ran out before any text.`;
		default:
			return `The model answered with ${blank} (it ended by ${speed.stopReason}).`;
	}
}

/** What a stopped request says when the model had not said anything yet. */
export const STOPPED_BEFORE_TEXT = 'The model had not said anything yet.';
