// The bundled model's answers to varied questions through the CLI (greedy), written to
// bench/results/bundled-answers.md: on a workspace that fits its window (README.md and src/math.ts
// of the e2e fixture), on the whole e2e fixture (5.5× the window) and on this repository (npm
// start's question, 16×). Run after the model or its sets change: npm run bench:answers
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cliAnswer } from '../test/e2e/cliAnswer';
import { writeFixtureWorkspace } from '../test/e2e/fixture';
import { formatted } from './formatted';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'bench', 'results', 'bundled-answers.md');
const MODEL = path.join(ROOT, 'models', 'longrope-tiny');

const SMALL_QUESTIONS = [
	'Hi',
	'What does this project do?',
	'Summarize.',
	'What is this package?',
	'What does the add function in src/math.ts do?',
	'What does src/math.ts do?',
	'Where is `add` defined?',
	'Where is multiply defined?',
	'Which file defines multiply?',
	'What does `multiply` return?',
	'What is 2+2?',
	'Write a haiku.',
	'How do I run the tests?',
	'Where is `activate` defined?',
];
const FIXTURE_QUESTIONS = [
	'Hi',
	'Hello',
	'What does this project do?',
	'Summarize.',
	'Summarize this workspace.',
	'What is this package?',
	'What does the add function in src/math.ts do?',
	'What does src/math.ts do?',
	'Where is `add` defined?',
	'Where is multiply defined?',
	'Which file defines readConfig?',
	'Where can I find readConfig?',
	'What does `readConfig` return?',
	'Explain everything the manual in docs/manual.txt says, in detail.',
	'What is 2+2?',
	'Write a haiku.',
	'Where is `activate` defined?',
	'How do I run the tests?',
	'Who wrote this?',
	'What does multiply return?',
];
const REPOSITORY_QUESTIONS = [
	'What does this project do?',
	'Where is `activate` defined?',
	'Summarize.',
	'What is this package?',
];

/** A table cell: one line, pipes escaped. */
const cell = (text: string) => text.trim().replace(/\n/g, '\\n').replace(/\|/g, '\\|');

async function main(): Promise<void> {
	const work = mkdtempSync(path.join(tmpdir(), 'bundled-answers-'));
	try {
		const config = JSON.parse(readFileSync(path.join(MODEL, 'config.json'), 'utf8')) as {
			original_max_position_embeddings: number;
		};
		const fixture = writeFixtureWorkspace(
			path.join(work, 'fixture'),
			config.original_max_position_embeddings,
		);
		const small = path.join(work, 'small');
		mkdirSync(path.join(small, 'src'), { recursive: true });
		for (const file of ['README.md', 'src/math.ts']) {
			copyFileSync(path.join(fixture, file), path.join(small, file));
		}
		const rows = (questions: string[], workspace: string, tokens: number, label?: string) =>
			questions.map((question) => {
				const a = cliAnswer(
					['ask', question, '--workspace', workspace, '--max-new-tokens', String(tokens)],
					ROOT,
				);
				console.error(`${a.set} ${a.tokensIn}: ${question} -> ${a.answer.trim()}`);
				return `| ${label ? `${label} | ` : ''}${cell(question)} | ${a.set} | ${a.tokensIn} | ${cell(a.answer)} |`;
			});
		const text = `# The bundled model's answers to varied questions (CLI, greedy)

Model: \`models/longrope-tiny\` of this commit (q4), after its factor search. Each answer is
\`node dist/cli.js ask "QUESTION" --workspace DIR --max-new-tokens N --json\` (its \`answer\`, \`set\` and
\`tokensIn\`), written by \`npm run bench:answers\` (bench/bundledAnswers.bench.ts) on ${new Date().toISOString().slice(0, 10)}.

## A workspace that fits the window (README.md and src/math.ts of the e2e fixture; 40 answer tokens)

| question | set | prompt tokens | answer |
|---|---|---:|---|
${rows(SMALL_QUESTIONS, small, 40).join('\n')}

## The e2e fixture workspace (test/e2e/fixture.ts, 5.5× the window) and this repository (\`npm start\`'s question, 16×); 48 answer tokens

| workspace | question | set | prompt tokens | answer |
|---|---|---|---:|---|
${[...rows(FIXTURE_QUESTIONS, fixture, 48, 'e2e fixture'), ...rows(REPOSITORY_QUESTIONS, ROOT, 48, 'this repository')].join('\n')}
`;
		writeFileSync(OUT, await formatted(text, OUT));
		console.error(`wrote ${path.relative(ROOT, OUT)}`);
	} finally {
		rmSync(work, { recursive: true, force: true });
	}
}

void main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 1;
});
