import { readFile } from 'node:fs/promises';
import { loadModelTokenizer } from '../runtime/loadModelFolder';
import { isGenaiFolder, readGenaiFolder } from '../runtime/genai/genaiFolder';
import { loadModelFolderRopeConfig } from '../runtime/ropeConfigFiles';
import { stringFlag, UsageError, type FlagSpec, type ParsedArgs } from './args';
import type { CliIo } from './command';

export const QUESTION_FILE_FLAG: FlagSpec = {
	name: 'question-file',
	value: 'FILE',
	description: 'read the question from FILE (a long question; "-" as the question reads stdin)',
};

/**
 * The question: the argument, stdin for `-`, or --question-file. A long question belongs in a
 * file or on stdin: command lines have limits of their own.
 */
export async function readQuestion(args: ParsedArgs, io: CliIo): Promise<string> {
	const file = stringFlag(args, 'question-file');
	const [given, ...extra] = args.positionals;
	if (file !== undefined && given !== undefined) {
		throw new UsageError('give the question as an argument or with --question-file, not both');
	}
	if (extra.length > 0) {
		throw new UsageError(`one question at a time; quote it ("${args.positionals.join(' ')}")`);
	}
	let question: string;
	if (file !== undefined) {
		try {
			question = await readFile(file, 'utf8');
		} catch (error) {
			throw new UsageError(
				`--question-file: cannot read ${file}: ${(error as Error).message}`,
			);
		}
	} else if (given === '-') {
		if (!io.readStdin)
			throw new UsageError('"-" reads the question from stdin, which is not available here');
		question = await io.readStdin();
	} else {
		question = given ?? '';
	}
	if (!question.trim()) throw new UsageError('the question is missing');
	return question;
}

/** The most tokens a request can have with the model in `folder`: its longest window. */
async function longestWindow(folder: string): Promise<number> {
	if (isGenaiFolder(folder)) return (await readGenaiFolder(folder)).contextLength;
	const rope = await loadModelFolderRopeConfig(folder);
	return Math.max(rope.geometry.maxWindow, ...rope.sets.map((set) => set.maxLength));
}

/**
 * Refuses a question that cannot fit the model's longest window with the answer budget, from the
 * tokenizer and the configs alone: before the model (gigabytes, seconds) is loaded.
 */
export async function checkQuestionFits(
	folder: string,
	question: string,
	answerTokens: number,
): Promise<void> {
	const tokens = (await loadModelTokenizer(folder)).encode(question).length;
	const window = await longestWindow(folder);
	if (tokens + answerTokens > window) {
		const n = (value: number) => value.toLocaleString('en-US');
		throw new Error(
			`the question is ${n(tokens)} tokens and the answer budget ${n(answerTokens)}: more than the model's longest window (${n(window)} tokens); shorten the question or lower --max-new-tokens`,
		);
	}
}
