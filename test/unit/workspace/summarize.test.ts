import * as assert from 'node:assert/strict';
import { CancellationError, CancellationTokenSource } from '../../../extension/engine/cancellation';
import {
	buildChatPrompt,
	type ChatMessage,
} from '../../../extension/engine/generation/chatTemplate';
import { textFromReader } from '../../../extension/engine/workspace/questionContext';
import { scanWorkspace } from '../../../extension/engine/workspace/scan';
import {
	summarizeWorkspace,
	type SummarizeProgress,
} from '../../../extension/engine/workspace/summarize';
import { TokenCounter } from '../../../extension/engine/workspace/tokenCount';
import {
	FakeTokenizer,
	fakeHash,
	fakePlanningModel,
	ropeWithWindows,
} from '../helpers/fakeTokenizer';
import { fakeSource, MemoryReader, seeded } from '../helpers/memoryReader';

async function run(
	files: Record<string, string>,
	window: number,
	answerTokens: number,
	reply: (messages: readonly ChatMessage[], call: number) => string,
	source?: CancellationTokenSource,
) {
	const tokenizer = new FakeTokenizer();
	const counter = new TokenCounter(tokenizer, fakeHash);
	const reader = new MemoryReader(files);
	const scan = await scanWorkspace(reader, { counter });
	const calls: { messages: readonly ChatMessage[]; prompt: number }[] = [];
	const progress: SummarizeProgress[] = [];
	const result = await summarizeWorkspace({
		scan,
		counter,
		model: fakePlanningModel(tokenizer, ropeWithWindows(Math.min(window, 256), window)),
		scope: { kind: 'workspace', name: 'demo' },
		answerTokens,
		readText: textFromReader(reader),
		token: source?.token,
		onProgress: (p) => progress.push(p),
		complete: async (plan) => {
			const prompt = buildChatPrompt(tokenizer, plan.messages).ids.length;
			assert.equal(plan.promptIds.length, prompt, 'the plan runs the prompt it measured');
			calls.push({ messages: plan.messages, prompt });
			return reply(plan.messages, calls.length);
		},
	});
	return { result, calls, progress };
}

describe('summarization', () => {
	it('sends a workspace that fits the window in one request', async () => {
		const { result, calls } = await run(
			{ 'a.ts': 'alpha;\n', 'b.ts': 'beta;\n' },
			1000,
			64,
			() => 'Two files.',
		);
		assert.equal(result.mode, 'single');
		assert.equal(calls.length, 1);
		assert.match(
			calls[0].messages[1].content,
			/### a\.ts[\s\S]*### b\.ts[\s\S]*Summarize the workspace demo/,
		);
		assert.equal(result.summary, 'Two files.');
		assert.ok(result.files.every((f) => f.status === 'included'));
	});

	it('runs map-reduce beyond the window: every request fits, every line is read once', async function () {
		this.timeout(30000);
		const random = seeded(11);
		const files: Record<string, string> = {};
		for (let k = 0; k < 40; k++)
			files[`src/f${String(k).padStart(2, '0')}.ts`] = fakeSource(random, 25);
		files['src/huge.ts'] =
			Array.from({ length: 600 }, (_, k) => `line ${k + 1} alpha beta;`).join('\n') + '\n';
		const window = 700;
		const answer = 48;
		const { result, calls, progress } = await run(files, window, answer, (_m, call) =>
			`Summary ${call}: ${'words '.repeat(40)}`.trim(),
		);
		assert.equal(result.mode, 'map-reduce');
		for (const call of calls)
			assert.ok(call.prompt + answer <= window, `prompt ${call.prompt}`);
		const mapCalls = calls.slice(0, result.parts);
		const shown = mapCalls.map((c) => c.messages[1].content).join('\n');
		for (const path of Object.keys(files)) assert.ok(shown.includes(`### ${path} (`), path);
		// The huge file is split at line breaks into parts whose ranges tile it.
		const ranges = [
			...shown.matchAll(/### src\/huge\.ts \(typescript, lines (\d+)–(\d+) of 600\)/g),
		].map((m) => [Number(m[1]), Number(m[2])]);
		assert.ok(ranges.length > 1);
		assert.equal(ranges[0][0], 1);
		assert.equal(ranges[ranges.length - 1][1], 600);
		for (let k = 1; k < ranges.length; k++) assert.equal(ranges[k][0], ranges[k - 1][1] + 1);
		assert.ok(result.levels >= 2, `levels ${result.levels}`);
		assert.equal(result.calls, calls.length);
		const last = calls[calls.length - 1].messages[1].content;
		assert.match(last, /The summaries above cover all of the workspace demo/);
		assert.ok(
			progress.some((p) => p.phase === 'map') && progress.some((p) => p.phase === 'reduce'),
		);
		assert.match(mapCalls[0].messages[1].content, /part 1 of \d+ of the workspace demo/);
		const huge = result.files.find((f) => f.path === 'src/huge.ts');
		assert.match(
			huge?.reason ?? '',
			/summarized in parts \d+–\d+ of \d+ \(split at line breaks\)/,
		);
		assert.ok(
			result.budget.prompt + result.budget.answer + result.budget.free ===
				result.budget.window,
		);
	});

	it('stops when cancelled between calls', async () => {
		const random = seeded(2);
		const files: Record<string, string> = {};
		for (let k = 0; k < 20; k++) files[`f${k}.ts`] = fakeSource(random, 30);
		const source = new CancellationTokenSource();
		await assert.rejects(
			run(
				files,
				600,
				32,
				(_m, call) => {
					if (call === 2) source.cancel();
					return 'ok';
				},
				source,
			),
			CancellationError,
		);
	});
});
