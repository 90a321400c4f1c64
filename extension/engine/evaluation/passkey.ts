import { seededRandom } from '../generation/random';
import type { TextTokenizer } from '../generation/tokenizer';

/** The Landmark/LongRoPE passkey format (models/train/passkey.mjs trains on exactly this text). */
export const PASSKEY_INTRO =
	'There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. I will quiz you about the important information there.';
export const PASSKEY_FILLER =
	' The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.';

/** Tokens the model may generate for its answer (a key has at most 5 digits). */
export const PASSKEY_ANSWER_TOKENS = 8;
export const PASSKEY_MAX_KEY = 50000;

/** The question, up to where the model must say the key. */
export function passkeyPrompt(before: number, after: number, key: number): string {
	return (
		PASSKEY_INTRO +
		PASSKEY_FILLER.repeat(before) +
		` The pass key is ${key}. Remember it. ${key} is the pass key.` +
		PASSKEY_FILLER.repeat(after) +
		' What is the pass key? The pass key is'
	);
}

/** The answer is the first integer in the generated text; undefined when there is none. */
export function parsePasskeyAnswer(text: string): number | undefined {
	const match = /\d+/.exec(text);
	if (!match) return undefined;
	const value = Number(match[0]);
	return Number.isSafeInteger(value) ? value : undefined;
}

export interface PasskeyTrial {
	readonly key: number;
	/** Where the key sits among the fillers, 0 (start) … 1 (end). */
	readonly depth: number;
}

/** Seeded trials for one length: the same keys and depths for every method. */
export function passkeyTrials(seed: number, length: number, count: number): PasskeyTrial[] {
	const random = seededRandom((Math.imul(seed >>> 0, 1000003) + length) >>> 0);
	return Array.from({ length: count }, () => ({
		key: 1 + Math.floor(random() * PASSKEY_MAX_KEY),
		depth: random(),
	}));
}

export interface PasskeyPromptIds {
	readonly ids: number[];
	readonly fillers: number;
	readonly before: number;
}

/**
 * The longest passkey prompt (as many fillers as fit) whose `<s>` + tokens + answer budget stay
 * within `length`, the key at the trial's depth. Binary search over the filler count.
 */
export function fitPasskeyPrompt(
	tokenizer: TextTokenizer,
	length: number,
	trial: PasskeyTrial,
	answerTokens = PASSKEY_ANSWER_TOKENS,
): PasskeyPromptIds {
	const bos = tokenizer.tokenId('<s>');
	const build = (fillers: number): PasskeyPromptIds => {
		const before = Math.round(trial.depth * fillers);
		const text = passkeyPrompt(before, fillers - before, trial.key);
		const ids = [...(bos === undefined ? [] : [bos]), ...tokenizer.encode(text)];
		return { ids, fillers, before };
	};
	const fits = (p: PasskeyPromptIds) => p.ids.length + answerTokens <= length;
	let best = build(0);
	if (!fits(best)) {
		throw new Error(`a passkey prompt needs more than ${length} tokens even without filler`);
	}
	let lo = 0;
	let hi = Math.max(1, Math.ceil(length / 8));
	while (fits(build(hi))) hi *= 2;
	while (hi - lo > 1) {
		const mid = (lo + hi) >> 1;
		const candidate = build(mid);
		if (fits(candidate)) {
			lo = mid;
			best = candidate;
		} else {
			hi = mid;
		}
	}
	return best.fillers === lo ? best : build(lo);
}
