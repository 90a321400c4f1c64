import * as assert from 'node:assert/strict';
import type { ChatMessage } from '../../../extension/engine/generation/chatTemplate';
import {
	TRAINING_SEED_LIMIT,
	workspaceQuestion,
} from '../../../extension/engine/evaluation/workspaceQuestions';
import { renderFiles, SYSTEM_PROMPT } from '../../../extension/engine/prompts/filePrompts';

// A stand-in for the model's renderChat: one token per 4 characters of every message.
const promptTokens = (messages: readonly ChatMessage[]): number =>
	messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0);

describe('workspace questions', () => {
	it('is the same question for the same seed and options', () => {
		const a = workspaceQuestion(42, { promptTokens, targetTokens: 300 });
		const b = workspaceQuestion(42, { promptTokens, targetTokens: 300 });
		assert.deepEqual(a, b);
	});

	it('gives seed 3 at 300 tokens exactly this question', () => {
		const q = workspaceQuestion(3, { promptTokens, targetTokens: 300 });
		assert.equal(q.question, 'What does `loadFactor` return?');
		assert.equal(q.answer, '`loadFactor` returns `string` (src/prompt.ts:2).');
		assert.deepEqual(
			{ path: q.path, line: q.line, kind: q.kind, files: q.files.map((f) => f.path) },
			{
				path: 'src/prompt.ts',
				line: 2,
				kind: 'returns',
				files: [
					'answer.md',
					'config/prompt.json',
					'docs/chunk.md',
					'docs/entry.md',
					'server/model.ts',
					'src/prompt.ts',
					'src/util/prompt.ts',
				],
			},
		);
	});

	it('cites the one line that defines the name, in files rendered as the packer renders them', () => {
		for (let seed = 0; seed < 300; seed++) {
			const targetTokens = 150 + (seed % 7) * 150;
			const q = workspaceQuestion(seed, { promptTokens, targetTokens });
			// The definition found by searching the texts, not from the generator's bookkeeping.
			const definitions = q.files.flatMap((f) =>
				f.text
					.split('\n')
					.map((text, k) => ({ path: f.path, line: k + 1, text }))
					.filter((l) => l.text.startsWith(`export function ${q.name}(`)),
			);
			assert.equal(definitions.length, 1, `seed ${seed}`);
			assert.deepEqual(
				{ path: q.path, line: q.line },
				{ path: definitions[0].path, line: definitions[0].line },
			);
			assert.ok(q.answer.includes(`${q.path}:${q.line}`), `seed ${seed}`);
			// The prompt shows the line's number before it: the answer copies it.
			assert.ok(
				q.messages[1].content.includes(`\n${q.line}\texport function ${q.name}(`),
				`seed ${seed}`,
			);
			if (q.kind === 'returns') {
				const returns = /\): (.+) \{$/.exec(definitions[0].text)?.[1];
				assert.ok(q.answer.includes(`returns \`${returns}\``), `seed ${seed}`);
			}
			assert.deepEqual(
				q.files.map((f) => f.path),
				[...q.files.map((f) => f.path)].sort(),
			);
			assert.deepEqual(q.messages, [
				{ role: 'system', content: SYSTEM_PROMPT },
				{ role: 'user', content: `${renderFiles(q.files)}\nQuestion: ${q.question}` },
			]);
			assert.ok(
				q.files.length === 1 || promptTokens(q.messages) <= targetTokens,
				`seed ${seed}`,
			);
			assert.equal(
				q.depth,
				q.files.length > 1
					? q.files.findIndex((f) => f.path === q.path) / (q.files.length - 1)
					: 0,
			);
		}
	});

	it('fills long prompts with many files and puts the definition at every depth', () => {
		const depths = Array.from({ length: 40 }, (_, k) =>
			workspaceQuestion(TRAINING_SEED_LIMIT + k, { promptTokens, targetTokens: 4096 }),
		);
		for (const q of depths) {
			assert.ok(q.files.length >= 20, `${q.files.length} files`);
			assert.ok(promptTokens(q.messages) > 4096 - 200);
		}
		const d = depths.map((q) => q.depth);
		assert.ok(Math.min(...d) < 0.2 && Math.max(...d) > 0.8, d.join(' '));
	});

	it('a defining file too long for the target alone gives up its other declarations, so every seed fits', () => {
		for (let seed = 0; seed < 300; seed++) {
			const q = workspaceQuestion(seed, { promptTokens, targetTokens: 160 });
			assert.ok(promptTokens(q.messages) <= 160, `seed ${seed}: ${promptTokens(q.messages)}`);
		}
	});

	it('asks the kind it is given', () => {
		const q = workspaceQuestion(7, { promptTokens, targetTokens: 300, kind: 'defined' });
		assert.equal(q.question, `Where is \`${q.name}\` defined?`);
		assert.equal(q.answer, `\`${q.name}\` is defined at ${q.path}:${q.line}.`);
	});

	it('refuses a seed that is not a non-negative integer', () => {
		assert.throws(
			() => workspaceQuestion(-1, { promptTokens, targetTokens: 300 }),
			/seed must be a non-negative integer, not -1/,
		);
	});

	it('varies the declaration, the question and the answer for training, and still cites the one defining line first', () => {
		const questions = new Set<string>();
		const openings = new Set<string>();
		for (let seed = 0; seed < 300; seed++) {
			const q = workspaceQuestion(seed, { promptTokens, targetTokens: 300, varied: true });
			const declares = new RegExp(
				`^(export (function|const|class|interface|type) ${q.name}\\b|\t${q.name}\\()`,
			);
			const definitions = q.files.flatMap((f) =>
				f.text
					.split('\n')
					.map((text, k) => ({ path: f.path, line: k + 1, text }))
					.filter((l) => declares.test(l.text)),
			);
			assert.deepEqual(
				definitions.map((d) => ({ path: d.path, line: d.line })),
				[{ path: q.path, line: q.line }],
				`seed ${seed}`,
			);
			// The first path:line of the answer is the definition, as the evaluation scores it.
			assert.equal(
				/([\w./-]+\.ts):(\d+)/.exec(q.answer)?.slice(1).join(':'),
				`${q.path}:${q.line}`,
			);
			questions.add(q.question.replace(q.name, 'X'));
			openings.add(q.answer.replace(q.name, 'X').split(' ').slice(0, 2).join(' '));
		}
		assert.ok(questions.size >= 20, `${questions.size} wordings`);
		assert.ok(openings.size >= 10, `${openings.size} openings`);
		assert.ok(![...openings].every((o) => o.startsWith('`')));
	});

	it("is the evaluation's question when not varied", () => {
		for (let k = 0; k < 20; k++) {
			const options = { promptTokens, targetTokens: 600, kind: 'defined' as const };
			const plain = workspaceQuestion(TRAINING_SEED_LIMIT + k, options);
			assert.deepEqual(
				workspaceQuestion(TRAINING_SEED_LIMIT + k, { ...options, varied: false }),
				plain,
			);
			assert.equal(plain.question, `Where is \`${plain.name}\` defined?`);
			assert.equal(
				plain.answer,
				`\`${plain.name}\` is defined at ${plain.path}:${plain.line}.`,
			);
		}
	});
});
