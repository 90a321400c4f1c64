import * as assert from 'node:assert/strict';
import type { ChatMessage } from '../../../extension/engine/generation/chatTemplate';
import { chatQuestion, type ChatKind } from '../../../extension/engine/evaluation/workspaceChat';
import { TRAINING_SEED_LIMIT } from '../../../extension/engine/evaluation/workspaceQuestions';
import { renderFiles, SYSTEM_PROMPT } from '../../../extension/engine/prompts/filePrompts';

// A stand-in for the model's renderChat: one token per 4 characters of every message.
const promptTokens = (messages: readonly ChatMessage[]): number =>
	messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0);

describe('workspace chat questions (training)', () => {
	it('gives seed 4 at 250 tokens exactly this question', () => {
		const q = chatQuestion(4, { promptTokens, targetTokens: 250 });
		assert.equal(q.kind, 'about');
		assert.equal(q.question, 'What is this package?');
		assert.equal(
			q.answer,
			'package.json:4 describes it: "A minimal command-line tool package that renders Markdown to HTML."',
		);
	});

	it('cites only real lines of the files shown, which hold what the answer quotes', () => {
		const kinds = new Set<ChatKind>();
		for (let seed = 0; seed < 300; seed++) {
			const q = chatQuestion(seed, { promptTokens, targetTokens: 150 + (seed % 5) * 100 });
			kinds.add(q.kind);
			assert.deepEqual(q.messages, [
				{ role: 'system', content: SYSTEM_PROMPT },
				{ role: 'user', content: `${renderFiles(q.files)}\nQuestion: ${q.question}` },
			]);
			const text = new Map(q.files.map((f) => [f.path, f.text.split('\n')]));
			for (const [, path, line] of q.answer.matchAll(/([\w./-]+\.\w+):(\d+)/g)) {
				const shown = text.get(path)?.[Number(line) - 1];
				assert.ok(shown?.trim(), `seed ${seed}: ${path}:${line} is not a line shown`);
			}
			// A quote is a shown line's text (or its text less the list number).
			for (const [, quote] of q.answer.matchAll(/"([^"]+)"/g)) {
				assert.ok(
					q.files.some((f) => f.text.includes(quote)),
					`seed ${seed}: "${quote}" is in no file`,
				);
			}
			if (q.kind !== 'greeting' && q.kind !== 'missing') {
				assert.match(q.answer, /:\d+/, `seed ${seed}: ${q.answer}`);
			}
		}
		assert.deepEqual([...kinds].sort(), [
			'about',
			'explain',
			'file',
			'greeting',
			'missing',
			'prose',
		]);
	});

	it('refuses the evaluation seeds', () => {
		assert.throws(
			() => chatQuestion(TRAINING_SEED_LIMIT, { promptTokens, targetTokens: 300 }),
			/seed must be an integer in \[0, 1000000\), not 1000000/,
		);
	});
});
