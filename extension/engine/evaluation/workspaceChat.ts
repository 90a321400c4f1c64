import type { ChatMessage } from '../generation/chatTemplate';
import { seededRandom } from '../generation/random';
import { questionMessages, type PromptFile } from '../prompts/filePrompts';
import { comparePaths } from '../workspace/relevance';
import { TRAINING_SEED_LIMIT, workspaceQuestion } from './workspaceQuestions';

/**
 * Ordinary workspace questions for training the bundled model (models/train/retrieval.ts): what
 * the project does, what a function or a file does, what a document says, a greeting, a name the
 * files do not hold. Each answer quotes or cites a real line of a shown file as `path:line`, in
 * one of several wordings, so that the model learns to answer from the files without one answer
 * format taking over. The files are rendered as the packer renders them, with distractors from
 * workspaceQuestion's varied workspaces.
 */
export type ChatKind = 'about' | 'explain' | 'file' | 'prose' | 'greeting' | 'missing';

export interface ChatQuestion {
	readonly kind: ChatKind;
	readonly files: readonly PromptFile[];
	readonly question: string;
	readonly messages: ChatMessage[];
	/** The answer a model should give. */
	readonly answer: string;
}

export interface ChatQuestionOptions {
	/** The rendered prompt's length in tokens (the model's renderChat(messages).ids.length). */
	readonly promptTokens: (messages: readonly ChatMessage[]) => number;
	/** Distractor files are added while the prompt stays within this many tokens. */
	readonly targetTokens: number;
}

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T =>
	items[Math.floor(random() * items.length)];
const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
const withoutStop = (s: string): string => s.replace(/\.$/, '');

const THINGS = [
	'calculator',
	'config parser',
	'task runner',
	'log viewer',
	'markdown linter',
	'HTTP client',
	'file watcher',
	'test reporter',
	'date formatter',
	'cache',
	'command-line tool',
	'VS Code extension',
	'language server',
	'JSON schema validator',
	'image resizer',
	'chat bot',
	'build script',
	'template engine',
];
const KINDS = ['library', 'tool', 'package', 'extension', 'module', 'service'];
const ADJECTIVES = ['small', 'tiny', 'fast', 'simple', 'typed', 'minimal', 'local'];
const ACTIONS = [
	'reads settings from a JSON file',
	'prints a summary of every run',
	'parses command-line flags',
	'caches results on disk',
	'watches the workspace for changes',
	'reports errors with the file and the line',
	'formats dates in the local time zone',
	'adds and multiplies numbers',
	'sends requests with retries',
	'renders Markdown to HTML',
	'splits long files into chunks',
	'runs the tests in parallel',
	'answers questions about a workspace',
	'keeps a history of results',
];
const TOPICS = [
	'The settings file is read once, when the program starts.',
	'Errors name the file and the line where they happened.',
	'Results are kept in memory until the window closes.',
	'Every command prints what it did and how long it took.',
	'The cache lives in the user folder and can be cleared at any time.',
	'Long files are split into parts that fit the window.',
	'Numbers are parsed with the standard parser.',
	'A run stops at the first failure unless told to go on.',
	'The history of results can be saved to a file and loaded again.',
	'Paths are shown relative to the workspace folder.',
	'Nothing is sent over the network.',
	'Each request has a time limit of thirty seconds.',
];
const VERBS: Readonly<Record<string, string>> = {
	parse: 'Parses',
	load: 'Loads',
	read: 'Reads',
	write: 'Writes',
	format: 'Formats',
	count: 'Counts',
	sort: 'Sorts',
	merge: 'Merges',
	check: 'Checks',
	open: 'Opens',
	add: 'Adds',
	compute: 'Computes',
};
const OBJECTS = [
	['Config', 'the settings file'],
	['Lines', 'the lines of a file'],
	['Numbers', 'two numbers'],
	['Path', 'a path relative to the workspace'],
	['Entries', 'the entries of the cache'],
	['Request', 'one request to the server'],
	['Date', 'a date in the local time zone'],
	['Tokens', 'the tokens of a prompt'],
	['Results', 'the results of a run'],
	['Options', 'the command-line options'],
];
const FOLDERS = ['src', 'lib', 'src/util', 'server', 'app'];
const STEMS = ['main', 'index', 'util', 'core', 'math', 'config', 'store', 'cli', 'format'];
const DOC_PATHS = [
	'docs/manual.txt',
	'docs/guide.md',
	'NOTES.md',
	'docs/usage.md',
	'CHANGELOG.md',
	'notes.txt',
];
const GREETINGS = ['Hi', 'Hello', 'Hello!', 'Hi there', 'Hey', 'Good morning'];

function lines(path: string, language: string, text: readonly string[]): PromptFile {
	return { path, language, text: `${text.join('\n')}\n` };
}

/** A README and, half the time, a package.json with the same description. */
function projectFiles(random: Random): {
	drafts: PromptFile[];
	title: string;
	description: string;
} {
	const thing = pick(random, THINGS);
	const title = thing
		.split(' ')
		.map((w) => upperFirst(w))
		.join(' ');
	const description = `A ${pick(random, ADJECTIVES)} ${thing} ${pick(random, KINDS)} that ${pick(random, ACTIONS)}${random() < 0.5 ? ` and ${pick(random, ACTIONS)}` : ''}.`;
	const readme = [`# ${title}`, '', description];
	if (random() < 0.5) readme.push('', pick(random, TOPICS));
	if (random() < 0.5) {
		const name = thing.replace(/ /g, '-').toLowerCase();
		readme.push('', '## Install', '', '```sh', `npm install ${name}`, '```');
	}
	// The answers cite the title (line 1) and the description (line 3); package.json's is line 4.
	const drafts = [lines('README.md', 'markdown', readme)];
	if (random() < 0.5) {
		const name = thing.replace(/ /g, '-').toLowerCase();
		const json = [
			'{',
			`\t"name": "${name}",`,
			`\t"version": "${Math.floor(random() * 3)}.${Math.floor(random() * 10)}.0",`,
			`\t"description": "${description}",`,
			`\t"main": "dist/index.js"`,
			'}',
		];
		drafts.push(lines('package.json', 'json', json));
	}
	return { drafts, title, description };
}

/** A TypeScript file of one to three documented functions. */
function sourceFile(random: Random, path: string) {
	const used = new Set<string>();
	const text: string[] = [];
	const functions: { name: string; doc: string; line: number; signature: string }[] = [];
	for (let k = 0, n = 1 + Math.floor(random() * 3); k < n; k++) {
		const verb = pick(random, Object.keys(VERBS));
		const [noun, what] = pick(random, OBJECTS);
		const name = `${verb}${noun}`;
		if (used.has(name)) continue;
		used.add(name);
		const doc = `${VERBS[verb]} ${what}.`;
		if (text.length > 0) text.push('');
		text.push(`/** ${doc} */`);
		const signature =
			random() < 0.7
				? `export function ${name}(input: string): string {`
				: `export const ${name} = (input: string): string => {`;
		text.push(
			signature,
			'\treturn input.trim();',
			signature.startsWith('export const') ? '};' : '}',
		);
		functions.push({ name, doc, line: text.length - 2, signature });
	}
	return { file: lines(path, 'typescript', text), functions };
}

/** A plain prose document of a few topic lines. */
function proseFile(random: Random, path: string) {
	const count = 2 + Math.floor(random() * 4);
	const chosen = [...TOPICS].sort(() => random() - 0.5).slice(0, count);
	const numbered = random() < 0.5;
	const text = chosen.map((t, k) => (numbered ? `${k + 1}. ${t}` : t));
	const markdown = path.endsWith('.md');
	const heading = markdown
		? [`# ${pick(random, ['Guide', 'Notes', 'Usage', 'Changes'])}`, '']
		: [];
	return {
		file: lines(path, markdown ? 'markdown' : 'plaintext', [...heading, ...text]),
		first: { line: heading.length + 1, text: text[0] },
		second: { line: heading.length + 2, text: text[1] },
	};
}

function question(
	random: Random,
	kind: ChatKind,
): { keys: PromptFile[]; question: string; answer: string } {
	const folder = pick(random, FOLDERS);
	const path = `${folder}/${pick(random, STEMS)}.ts`;
	switch (kind) {
		case 'about': {
			const { drafts, title, description } = projectFiles(random);
			const json = drafts[1];
			const q = pick(random, [
				'What does this project do?',
				'Summarize this workspace.',
				'What is this package?',
				'What is this repository for?',
				'Summarize.',
				'What is this?',
				'Tell me about this project.',
				'What does this code do?',
				'Explain this project.',
				'What is this project about?',
			]);
			const answers = [
				`It is ${title} (README.md:1): ${lowerFirst(description)}`,
				`README.md:3 says: "${description}"`,
				`According to README.md:3, it is ${lowerFirst(withoutStop(description))}.`,
				`${title}. ${description} (README.md:3)`,
				`README.md:1 names it ${title}, and README.md:3 describes it: ${lowerFirst(description)}`,
				...(json
					? [
							`package.json:4 describes it: "${description}"`,
							`It is ${lowerFirst(withoutStop(description))} (package.json:4, README.md:3).`,
						]
					: []),
			];
			return { keys: drafts, question: q, answer: pick(random, answers) };
		}
		case 'explain':
		case 'file': {
			const { file, functions } = sourceFile(random, path);
			const f = pick(random, functions);
			const cite = `${path}:${f.line}`;
			const keys = [file];
			if (kind === 'file') {
				const q = pick(random, [
					`What does ${path} do?`,
					`Summarize ${path}.`,
					`What is in ${path}?`,
					`Explain ${path}.`,
				]);
				const parts = functions.map(
					(g) =>
						`\`${g.name}\` (${path}:${g.line}), which ${lowerFirst(withoutStop(g.doc))}`,
				);
				const answer =
					random() < 0.5
						? `${path} defines ${parts.join('; ')}.`
						: `It holds ${functions.length === 1 ? 'one function' : `${functions.length} functions`}: ${parts.join('; ')}.`;
				return { keys, question: q, answer };
			}
			const q = pick(random, [
				`What does \`${f.name}\` do?`,
				`What does ${f.name} do?`,
				`What does the ${f.name} function in ${path} do?`,
				`Explain ${f.name}.`,
				`What is ${f.name} for?`,
			]);
			const answer = pick(random, [
				`It ${lowerFirst(withoutStop(f.doc))} (${cite}).`,
				`\`${f.name}\` ${lowerFirst(f.doc)} See ${cite}.`,
				`${cite}: \`${f.signature}\`, which ${lowerFirst(f.doc)}`,
				`According to its comment at ${path}:${f.line - 1}, it ${lowerFirst(f.doc)}`,
			]);
			return { keys, question: q, answer };
		}
		case 'prose': {
			const docPath = pick(random, DOC_PATHS);
			const { file, first, second } = proseFile(random, docPath);
			const q = pick(random, [
				`What does ${docPath} say?`,
				`Summarize ${docPath}.`,
				`Explain everything ${docPath} says, in detail.`,
				`What is in ${docPath}?`,
			]);
			const answer = pick(random, [
				`${docPath}:${first.line} says: "${first.text}"`,
				`It says that ${lowerFirst(withoutStop(first.text.replace(/^\d+\. /, '')))} (${docPath}:${first.line}). ${second.text.replace(/^\d+\. /, '')} (${docPath}:${second.line})`,
				`First, ${docPath}:${first.line}: "${first.text}" Then ${docPath}:${second.line}: "${second.text}"`,
			]);
			return { keys: [file], question: q, answer };
		}
		case 'greeting': {
			const { file } = sourceFile(random, path);
			return {
				keys: [file],
				question: pick(random, GREETINGS),
				answer: pick(random, [
					`Hello. Ask me about the files shown, such as ${path}, and I will cite the lines I use.`,
					`Hi! I can answer questions about these files; ${path}:1 is the first line of ${path}.`,
					'Hello. What would you like to know about this workspace?',
				]),
			};
		}
		case 'missing': {
			const { file } = sourceFile(random, path);
			const name = `${pick(random, Object.keys(VERBS))}${pick(random, ['Queue', 'Socket', 'Theme', 'Font', 'Email'])}`;
			return {
				keys: [file],
				question: pick(random, [`Where is \`${name}\` defined?`, `What does ${name} do?`]),
				answer: pick(random, [
					`The files shown do not contain \`${name}\`.`,
					`I cannot find ${name} in the files shown; ${path} defines other functions.`,
				]),
			};
		}
	}
}

const KIND_ORDER: readonly ChatKind[] = [
	'about',
	'about',
	'about',
	'explain',
	'explain',
	'file',
	'prose',
	'prose',
	'greeting',
	'missing',
];

/** The question for `seed` (training seeds only: below TRAINING_SEED_LIMIT). */
export function chatQuestion(seed: number, options: ChatQuestionOptions): ChatQuestion {
	if (!Number.isInteger(seed) || seed < 0 || seed >= TRAINING_SEED_LIMIT) {
		throw new Error(
			`a chat question's seed must be an integer in [0, ${TRAINING_SEED_LIMIT}), not ${seed}`,
		);
	}
	const random = seededRandom((seed ^ 0x3c6ef372) >>> 0);
	const kind = pick(random, KIND_ORDER);
	const { keys, question: q, answer } = question(random, kind);
	const taken = new Set(keys.map((k) => k.path));
	// Distractors: the files of a varied definition workspace, those whose paths are free.
	const others = workspaceQuestion(seed, {
		promptTokens: options.promptTokens,
		targetTokens: options.targetTokens,
		varied: true,
	}).files.filter((f) => !taken.has(f.path));
	const render = (files: readonly PromptFile[]): ChatMessage[] =>
		questionMessages(
			[...files].sort((a, b) => comparePaths(a.path, b.path)),
			q,
		);
	let files = keys;
	for (const other of others.sort(() => random() - 0.5)) {
		const next = [...files, other];
		if (options.promptTokens(render(next)) <= options.targetTokens) files = next;
	}
	const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path));
	return { kind, files: sorted, question: q, messages: render(sorted), answer };
}
