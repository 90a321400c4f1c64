import type { ChatMessage } from '../generation/chatTemplate';
import type { TextTokenizer } from '../generation/tokenizer';
import { fitPasskeyPrompt, passkeyTrials } from '../evaluation/passkey';
import { DEFINITION_ANSWER_TOKENS } from '../evaluation/retrieval';
import { TRAINING_SEED_LIMIT, workspaceQuestion } from '../evaluation/workspaceQuestions';

/**
 * A retrieval document for the search's fitness: a prompt, then the answer the model should give,
 * scored on the answer's tokens alone (the prompt is context).
 */
export interface AnswerSample {
	readonly kind: 'passkey' | 'definition';
	readonly ids: readonly number[];
	/** Index of the answer's first token in `ids`. */
	readonly answerFrom: number;
}

/**
 * The search's retrieval seeds: apart from training's (< 1,000,000) and from the evaluation's
 * (1,000,000 + trial), so the search never tunes on what bench:quality measures.
 */
export const SEARCH_RETRIEVAL_SEED = 2_000_000;

/**
 * `count` Landmark passkeys and `count` "Where is `name` defined?" questions (as bench:quality
 * asks them, in the model's chat template via `render`), each filled to `length` tokens with its
 * answer: the key, or the cited definition in the evaluation's words.
 */
export function retrievalSamples(
	tokenizer: TextTokenizer,
	render: (messages: readonly ChatMessage[]) => readonly number[],
	length: number,
	count: number,
	seed = SEARCH_RETRIEVAL_SEED,
): AnswerSample[] {
	if (seed < TRAINING_SEED_LIMIT) {
		throw new Error(
			`the search's retrieval seeds must be ≥ ${TRAINING_SEED_LIMIT} (lower ones are the training's), not ${seed}`,
		);
	}
	const samples: AnswerSample[] = [];
	for (const trial of passkeyTrials(seed, length, count)) {
		const prompt = fitPasskeyPrompt(tokenizer, length, trial).ids;
		samples.push(answered('passkey', prompt, tokenizer.encode(` ${trial.key}`), length));
	}
	for (let k = 0; k < count; k++) {
		const q = workspaceQuestion(seed + k, {
			promptTokens: (messages) => render(messages).length,
			targetTokens: length - DEFINITION_ANSWER_TOKENS,
			kind: 'defined',
		});
		samples.push(
			answered('definition', render(q.messages), tokenizer.encode(q.answer), length),
		);
	}
	return samples;
}

/** The prompt and as much of the answer as `length` holds (at least one answer token). */
function answered(
	kind: AnswerSample['kind'],
	prompt: readonly number[],
	answer: readonly number[],
	length: number,
): AnswerSample {
	const room = length - prompt.length;
	if (room < 1 || answer.length === 0) {
		throw new Error(
			`a ${kind} sample of ${length} tokens has no room for its answer (prompt ${prompt.length} tokens)`,
		);
	}
	return {
		kind,
		ids: [...prompt, ...answer.slice(0, room)],
		answerFrom: prompt.length,
	};
}
