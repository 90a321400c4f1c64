import { throwIfCancelled } from '../cancellation';
import type { ChatMessage } from '../generation/chatTemplate';
import type { TextTokenizer } from '../generation/tokenizer';
import { parseCitations } from '../workspace/citations';
import type { GenerateFn, HarnessContext } from './harness';
import { wilsonInterval, type Interval } from './intervals';
import { methodScaling, type EvalMethod } from './methods';
import {
	PASSKEY_ANSWER_TOKENS,
	fitPasskeyPrompt,
	parsePasskeyAnswer,
	passkeyTrials,
} from './passkey';
import { TRAINING_SEED_LIMIT, workspaceQuestion } from './workspaceQuestions';

/** One retrieval prompt: the ids to feed and what the answer must hold. */
export interface RetrievalTrial {
	readonly ids: readonly number[];
	/** The right answer as the report shows it: a key, or `path:line`. */
	readonly expected: string;
	/** Where the needle sits in the prompt, 0 (start) … 1 (end). */
	readonly depth: number;
}

/** A retrieval skill: trials per length (the same for every method) and how an answer scores. */
export interface RetrievalTask {
	readonly name: string;
	readonly answerTokens: number;
	trials(length: number): readonly RetrievalTrial[];
	correct(answer: string, trial: RetrievalTrial): boolean;
}

export interface RetrievalDetail {
	readonly expected: string;
	readonly depth: number;
	readonly promptTokens: number;
	readonly answer: string;
	readonly correct: boolean;
}

export interface RetrievalRow {
	readonly task: string;
	readonly method: EvalMethod;
	readonly length: number;
	readonly scale: number;
	readonly set: string;
	readonly trials: number;
	readonly correct: number;
	readonly accuracy: number;
	/** Wilson 95% interval of the accuracy. */
	readonly interval: Interval;
	readonly details: readonly RetrievalDetail[];
}

/**
 * Accuracy of every method on the task's trials at every length; a method whose scaling
 * equals an earlier one's at a length (the rules at 1×) reuses its answers.
 */
export async function evaluateRetrieval(
	context: HarnessContext & { readonly task: RetrievalTask; readonly generate: GenerateFn },
): Promise<RetrievalRow[]> {
	const { task } = context;
	const rows: RetrievalRow[] = [];
	for (const length of context.lengths) {
		const trials = task.trials(length);
		const byKey = new Map<string, RetrievalDetail[]>();
		for (const method of context.methods) {
			const m = methodScaling(method, context.geometry, length, context.modelSets);
			const key = `${Array.from(m.scaling.factors).join(',')}|${m.scaling.nHat}|${m.scaling.attentionFactor}`;
			let details = byKey.get(key);
			if (!details) {
				details = [];
				for (const trial of trials) {
					throwIfCancelled(context.token);
					const answer = await context.generate(
						trial.ids,
						m.scaling,
						m.set,
						task.answerTokens,
						context.token,
					);
					details.push({
						expected: trial.expected,
						depth: Math.round(trial.depth * 1000) / 1000,
						promptTokens: trial.ids.length,
						answer,
						correct: task.correct(answer, trial),
					});
				}
				byKey.set(key, details);
			}
			const correct = details.filter((d) => d.correct).length;
			rows.push({
				task: task.name,
				method,
				length,
				scale: m.scale,
				set: m.set,
				trials: details.length,
				correct,
				accuracy: details.length === 0 ? 0 : correct / details.length,
				interval: wilsonInterval(correct, details.length),
				details,
			});
			context.onProgress?.(
				`${task.name} ${method} @${length} (${m.set}): ${correct}/${details.length}`,
			);
		}
	}
	return rows;
}

export interface PasskeyDetail {
	readonly key: number;
	readonly depth: number;
	readonly promptTokens: number;
	readonly answer: number | null;
	readonly correct: boolean;
}

/** A passkey row as the CLI reports it: a retrieval row with numeric keys and answers. */
export type PasskeyRow = Omit<RetrievalRow, 'task' | 'interval' | 'details'> & {
	readonly details: readonly PasskeyDetail[];
};

/**
 * Passkey retrieval per method and length (the CLI's `eval passkey`): the passkey task's rows
 * with the keys and answers as numbers, the answer being the first integer generated.
 */
export async function evaluatePasskey(
	context: HarnessContext & {
		readonly tokenizer: TextTokenizer;
		readonly trials: number;
		readonly seed: number;
		readonly generate: GenerateFn;
	},
): Promise<PasskeyRow[]> {
	const task = passkeyTask(context.tokenizer, context.seed, context.trials);
	const rows = await evaluateRetrieval({ ...context, task });
	return rows.map((row) => ({
		method: row.method,
		length: row.length,
		scale: row.scale,
		set: row.set,
		trials: row.trials,
		correct: row.correct,
		accuracy: row.accuracy,
		details: row.details.map((d) => ({
			key: Number(d.expected),
			depth: d.depth,
			promptTokens: d.promptTokens,
			answer: parsePasskeyAnswer(d.answer) ?? null,
			correct: d.correct,
		})),
	}));
}

/** Landmark passkeys (passkey.ts): `count` seeded trials per length, the key as the answer. */
export function passkeyTask(tokenizer: TextTokenizer, seed: number, count: number): RetrievalTask {
	return {
		name: 'passkey',
		answerTokens: PASSKEY_ANSWER_TOKENS,
		trials: (length) =>
			passkeyTrials(seed, length, count).map((trial) => ({
				ids: fitPasskeyPrompt(tokenizer, length, trial).ids,
				expected: String(trial.key),
				depth: trial.depth,
			})),
		correct: (answer, trial) => parsePasskeyAnswer(answer) === Number(trial.expected),
	};
}

/** Where a definition is: what a "Where is X defined?" answer must cite. */
export interface SourceLocation {
	readonly path: string;
	readonly line: number;
}

/**
 * Whether an answer cites the location: its first `path:line` citation (citations.ts's forms)
 * names the file by its whole path (a bare file name could be another folder's file of that
 * name) and the line (a range must start there). Later citations do not count, so listing
 * every line is not rewarded.
 */
export function citesLocation(answer: string, expected: SourceLocation): boolean {
	const first = parseCitations(answer)[0];
	if (!first) return false;
	return first.path === expected.path.replace(/^\.\//, '') && first.line === expected.line;
}

/** A "Where is X defined?" prompt with its answer, as a question generator makes it. */
export interface DefinitionQuestion {
	readonly ids: readonly number[];
	readonly answer: SourceLocation;
	readonly depth: number;
}

/** Makes `count` questions that fit `length` tokens (prompt + answer budget), from a seed. */
export type DefinitionQuestions = (
	length: number,
	count: number,
	seed: number,
) => readonly DefinitionQuestion[];

export function definitionTask(
	questions: DefinitionQuestions,
	seed: number,
	count: number,
	answerTokens: number,
): RetrievalTask {
	return {
		name: 'definition',
		answerTokens,
		trials: (length) =>
			questions(length, count, seed).map((q) => ({
				ids: q.ids,
				expected: `${q.answer.path}:${q.answer.line}`,
				depth: q.depth,
			})),
		correct: (answer, trial) => {
			const colon = trial.expected.lastIndexOf(':');
			return citesLocation(answer, {
				path: trial.expected.slice(0, colon),
				line: Number(trial.expected.slice(colon + 1)),
			});
		},
	};
}

/** Tokens a definition answer may take: "`name` is defined at path:line." is about 18. */
export const DEFINITION_ANSWER_TOKENS = 24;

/**
 * "Where is `name` defined?" questions from workspaceQuestions.ts, rendered with the model's
 * chat template (`render`): trial k uses seed `seed + k` at every length (the same question,
 * more distractor files as the length grows), filled to the length less the answer budget.
 * Seeds below TRAINING_SEED_LIMIT are the training's and are refused.
 */
export function workspaceDefinitionQuestions(
	render: (messages: readonly ChatMessage[]) => readonly number[],
	answerTokens = DEFINITION_ANSWER_TOKENS,
): DefinitionQuestions {
	return (length, count, seed) => {
		if (seed < TRAINING_SEED_LIMIT) {
			throw new Error(
				`definition questions use evaluation seeds (≥ ${TRAINING_SEED_LIMIT}), not ${seed}: lower ones are the training's`,
			);
		}
		return Array.from({ length: count }, (_, k) => {
			const q = workspaceQuestion(seed + k, {
				promptTokens: (messages) => render(messages).length,
				targetTokens: length - answerTokens,
				kind: 'defined',
			});
			const ids = render(q.messages);
			if (ids.length + answerTokens > length) {
				throw new Error(
					`a definition question needs ${ids.length} prompt tokens, more than ${length} less the ${answerTokens}-token answer`,
				);
			}
			return { ids, answer: { path: q.path, line: q.line }, depth: q.depth };
		});
	};
}
