import type { ChatMessage } from '../generation/chatTemplate';
import { seededRandom } from '../generation/random';
import { questionMessages, type PromptFile } from '../prompts/filePrompts';
import { comparePaths } from '../workspace/relevance';
import {
	VERBS,
	NOUNS,
	RETURNS,
	PARAMS,
	FOLDERS,
	DOC_FOLDERS,
	SENTENCES,
	RESULT_BY_TYPE,
} from './workspaceVocabulary';
import {
	answerWordings,
	CALLABLE,
	CLASS_SUFFIXES,
	FORMS,
	questionWordings,
	TYPE_SUFFIXES,
	type Form,
} from './workspaceWordings';

/**
 * Synthetic workspace questions: a few small TypeScript, Markdown and JSON files, rendered as the
 * packer renders them (questionMessages, files in path order as compareRenderOrder puts files of
 * one priority), and a question whose answer cites `path:line` — where a function is defined, or
 * what it returns. Other files import, call and document the same name, and define look-alikes,
 * so that only the definition answers.
 *
 * Seeds: the bundled model trains on seeds below TRAINING_SEED_LIMIT (models/train/retrieval.ts);
 * evaluations use seeds from TRAINING_SEED_LIMIT up, which the model never saw.
 */
export const TRAINING_SEED_LIMIT = 1_000_000;

export type QuestionKind = 'defined' | 'returns';

export interface WorkspaceQuestion {
	/** The files in prompt order. */
	readonly files: readonly PromptFile[];
	readonly question: string;
	/** The messages the model gets: the system prompt, then the files and the question. */
	readonly messages: ChatMessage[];
	readonly kind: QuestionKind;
	readonly name: string;
	/** The answer a model should give; it cites `path:line`. */
	readonly answer: string;
	/** Where `name` is defined: the file and its 1-based line. */
	readonly path: string;
	readonly line: number;
	/** The defining file's place in the prompt: 0 (first file) … 1 (last). */
	readonly depth: number;
}

export interface WorkspaceQuestionOptions {
	/** The rendered prompt's length in tokens (the model's renderChat(messages).ids.length). */
	readonly promptTokens: (messages: readonly ChatMessage[]) => number;
	/** Files are added while the prompt stays within this many tokens. */
	readonly targetTokens: number;
	/** Default: drawn from the seed. */
	readonly kind?: QuestionKind;
	/**
	 * Training only: vary the declaration (function, const arrow, class, method, interface,
	 * type), the question's wording and the answer's opening, so that no one format takes over
	 * every answer. Off, a seed gives exactly the evaluation's question.
	 */
	readonly varied?: boolean;
}

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T =>
	items[Math.floor(random() * items.length)];

function lowerFirst(s: string): string {
	return s.charAt(0).toLowerCase() + s.slice(1);
}

/** A function the files may define: its name, parameter and return type, and how it is declared. */
interface Declaration {
	readonly name: string;
	readonly param: string;
	readonly returns: string;
	readonly form?: Form;
}

function declaration(random: Random, name: string, varied = false): Declaration {
	const returns = pick(random, RETURNS);
	const param = pick(random, PARAMS);
	return varied && random() < 0.3
		? { name, param, returns, form: 'arrow' }
		: { name, param, returns };
}

/** The lines of a declaration, with a doc comment or not, and the index of the line that declares it. */
function functionLines(
	random: Random,
	d: Declaration,
	calls: string | undefined,
): { lines: string[]; signature: number } {
	const arg = d.param.split(':')[0];
	const comment = random() < 0.5 ? [`/** ${pick(random, SENTENCES)} */`] : [];
	const body = [
		...(calls ? [`\tconst result = ${calls}(${arg});`] : []),
		`\treturn ${RESULT_BY_TYPE[d.returns]};`,
	];
	switch (d.form ?? 'function') {
		case 'function':
			return {
				lines: [
					...comment,
					`export function ${d.name}(${d.param}): ${d.returns} {`,
					...body,
					'}',
				],
				signature: comment.length,
			};
		case 'arrow':
			return {
				lines: [
					...comment,
					`export const ${d.name} = (${d.param}): ${d.returns} => {`,
					...body,
					'};',
				],
				signature: comment.length,
			};
		case 'method': {
			const owner = `${pick(random, NOUNS)}${pick(random, CLASS_SUFFIXES)}`;
			const fields =
				random() < 0.5
					? [`\tprivate readonly ${lowerFirst(owner)} = new Map<string, number>();`, '']
					: [];
			const lines = [`export class ${owner} {`, ...fields, ...comment.map((c) => `\t${c}`)];
			return {
				lines: [
					...lines,
					`\t${d.name}(${d.param}): ${d.returns} {`,
					...body.map((b) => `\t${b}`),
					'\t}',
					'}',
				],
				signature: lines.length,
			};
		}
		case 'class':
			return {
				lines: [
					...comment,
					`export class ${d.name} {`,
					`\tprivate readonly entries = new Map<string, ${d.returns}>();`,
					'',
					'\tget size(): number {',
					'\t\treturn this.entries.size;',
					'\t}',
					'}',
				],
				signature: comment.length,
			};
		case 'interface':
			return {
				lines: [
					...comment,
					`export interface ${d.name} {`,
					`\treadonly ${d.param};`,
					`\treadonly ${lowerFirst(pick(random, NOUNS))}?: ${d.returns};`,
					'}',
				],
				signature: comment.length,
			};
		case 'type':
			return {
				lines: [
					...comment,
					random() < 0.5
						? `export type ${d.name} = { ${d.param}; value: ${d.returns} };`
						: `export type ${d.name} = '${pick(random, VERBS)}' | '${pick(random, VERBS)}' | undefined;`,
				],
				signature: comment.length,
			};
	}
}

interface Draft {
	readonly path: string;
	readonly language: string;
	readonly text: string;
	/** The target's definition line in this file, when it holds it. */
	readonly line?: number;
}

function tsFile(
	random: Random,
	path: string,
	decls: readonly Declaration[],
	imports: readonly string[],
	target?: string,
): Draft {
	const lines: string[] = [];
	if (imports.length > 0) {
		lines.push(
			`import { ${imports.join(', ')} } from './${pick(random, ['index', 'api', 'shared'])}';`,
		);
	}
	let line: number | undefined;
	for (const d of decls) {
		if (lines.length > 0) lines.push('');
		const fn = functionLines(random, d, imports.length > 0 ? pick(random, imports) : undefined);
		if (d.name === target) line = lines.length + fn.signature + 1;
		lines.push(...fn.lines);
	}
	if (random() < 0.4)
		lines.push(
			'',
			`export const ${pick(random, NOUNS).toUpperCase()}_LIMIT = ${1 + Math.floor(random() * 512)};`,
		);
	return {
		path,
		language: 'typescript',
		text: `${lines.join('\n')}\n`,
		...(line ? { line } : {}),
	};
}

function markdownFile(random: Random, path: string, mentions: readonly string[]): Draft {
	const title = pick(random, NOUNS);
	const lines = [`# ${title}`];
	if (random() < 0.5) lines.push('', pick(random, SENTENCES));
	for (const name of mentions) {
		lines.push(
			'',
			`Call \`${name}\` ${pick(random, ['before saving.', 'to check the input.', 'once per request.', 'from the command line.'])}`,
		);
	}
	if (random() < 0.3) lines.push('', '```sh', `npm run ${lowerFirst(title)}`, '```');
	return { path, language: 'markdown', text: `${lines.join('\n')}\n` };
}

function jsonFile(random: Random, path: string): Draft {
	const value: Record<string, unknown> = {
		name: `${lowerFirst(pick(random, NOUNS))}-${lowerFirst(pick(random, NOUNS))}`,
		version: `${Math.floor(random() * 4)}.${Math.floor(random() * 20)}.${Math.floor(random() * 10)}`,
	};
	if (random() < 0.5) value.main = `dist/${lowerFirst(pick(random, NOUNS))}.js`;
	if (random() < 0.3) value.scripts = { build: 'tsc -p .', test: 'mocha' };
	return { path, language: 'json', text: `${JSON.stringify(value, null, '\t')}\n` };
}

function toPromptFile(d: Draft): PromptFile {
	return { path: d.path, language: d.language, text: d.text };
}

/**
 * The question for `seed`: the defining file first, then distractor files while the rendered
 * prompt stays within `targetTokens` (at least the defining file, even when it alone is longer).
 */
export function workspaceQuestion(
	seed: number,
	options: WorkspaceQuestionOptions,
): WorkspaceQuestion {
	if (!Number.isInteger(seed) || seed < 0) {
		throw new Error(`a workspace question's seed must be a non-negative integer, not ${seed}`);
	}
	const random = seededRandom(seed);
	const kind = options.kind ?? (random() < 0.5 ? 'defined' : 'returns');
	const verb = pick(random, VERBS);
	const noun = pick(random, NOUNS);
	const form: Form = options.varied
		? pick(random, kind === 'returns' ? CALLABLE : FORMS)
		: 'function';
	const name =
		form === 'class'
			? `${noun}${pick(random, CLASS_SUFFIXES)}`
			: form === 'interface' || form === 'type'
				? `${noun}${pick(random, TYPE_SUFFIXES)}`
				: `${verb}${noun}`;
	const varied = options.varied === true;
	const used = new Set<string>([name]);
	// Look-alikes: same verb or same noun, defined in other files; any other name once those run
	// out, then numbered ones (long prompts need many).
	const fresh = (): string => {
		for (let attempt = 0; ; attempt++) {
			const other =
				attempt >= 40
					? `${pick(random, VERBS)}${pick(random, NOUNS)}${attempt >= 80 ? attempt : ''}`
					: random() < 0.5
						? `${verb}${pick(random, NOUNS)}`
						: `${pick(random, VERBS)}${noun}`;
			if (!used.has(other)) {
				used.add(other);
				return other;
			}
		}
	};
	const paths = new Set<string>();
	const freshPath = (folders: readonly string[], ext: string): string => {
		for (let attempt = 0; ; attempt++) {
			const folder = pick(random, folders);
			const stem = `${folder}${folder ? '/' : ''}${lowerFirst(pick(random, NOUNS))}`;
			const path = `${stem}${attempt >= 40 ? `-${attempt}` : ''}${ext}`;
			if (!paths.has(path)) {
				paths.add(path);
				return path;
			}
		}
	};

	const target = { ...declaration(random, name), form };
	const own: Declaration[] = Array.from({ length: Math.floor(random() * 3) }, () =>
		declaration(random, fresh(), varied),
	);
	own.splice(Math.floor(random() * (own.length + 1)), 0, target);
	let defining = tsFile(random, freshPath(FOLDERS, '.ts'), own, [], name);

	const distractor = (): Draft => {
		const r = random();
		if (r < 0.45) {
			const decls = Array.from({ length: random() < 0.7 ? 1 : 2 }, () =>
				declaration(random, fresh(), varied),
			);
			const imports = random() < 0.6 ? [name] : [];
			return tsFile(random, freshPath(FOLDERS, '.ts'), decls, imports);
		}
		if (r < 0.8) {
			return markdownFile(
				random,
				freshPath(DOC_FOLDERS, '.md'),
				random() < 0.6 ? [name] : [fresh()],
			);
		}
		return jsonFile(random, freshPath(['', 'config'], '.json'));
	};

	const question = varied
		? pick(random, questionWordings(kind, name, form))
		: questionWordings(kind, name, form)[0];
	const ordered = (drafts: readonly Draft[]): Draft[] =>
		[...drafts].sort((a, b) => comparePaths(a.path, b.path));
	const render = (drafts: readonly Draft[]): ChatMessage[] =>
		questionMessages(ordered(drafts).map(toPromptFile), question);

	// A defining file too long for the target on its own loses its other declarations, so that
	// every seed gives a question at every length (numbered lines made a few pass 256 tokens).
	while (own.length > 1 && options.promptTokens(render([defining])) > options.targetTokens) {
		own.splice(own[0] === target ? 1 : 0, 1);
		defining = tsFile(random, defining.path, own, [], name);
	}
	let drafts: Draft[] = [defining];
	// A draft that does not fit is dropped; a few misses in a row end the filling.
	for (let misses = 0; misses < 3;) {
		const next = [...drafts, distractor()];
		if (options.promptTokens(render(next)) <= options.targetTokens) {
			drafts = next;
			misses = 0;
		} else {
			misses++;
		}
	}
	const files = ordered(drafts);
	const index = files.indexOf(defining);
	const line = defining.line as number;
	const cite = `${defining.path}:${line}`;
	const answers = answerWordings(kind, target, cite, defining.text.split('\n')[line - 1].trim());
	return {
		files: files.map(toPromptFile),
		question,
		messages: render(files),
		kind,
		name,
		answer: varied ? pick(random, answers) : answers[0],
		path: defining.path,
		line,
		depth: files.length > 1 ? index / (files.length - 1) : 0,
	};
}
