import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fakeVscode as fake } from '../helpers/fakeVscode';
// After the fake: the extension's `import * as vscode` must find it.
import { COMMANDS } from '../../../extension/cli/commands';
import { runCli } from '../../../extension/cli/runCli';
import { activate } from '../../../extension/extension';
import { PROTOCOL_VERSION, type HostToWebview } from '../../../extension/protocol';
import { findModelFolder } from '../../../extension/runtime/modelFolder';

const ROOT = path.resolve(__dirname, '../../..');
const MODEL = findModelFolder('', undefined, ROOT);
const QUESTION = 'What does add do?';
const ANSWER_TOKENS = 24;

function workspace(): string {
	const root = mkdtempSync(path.join(tmpdir(), 'longrope-pipeline-'));
	mkdirSync(path.join(root, 'src'));
	writeFileSync(
		path.join(root, 'src', 'math.ts'),
		'/** Adds two numbers. */\nexport function add(a: number, b: number): number {\n\treturn a + b;\n}\n',
	);
	writeFileSync(path.join(root, 'README.md'), '# Calc\n\nA calculator that adds numbers.\n');
	return root;
}

/** The editor's log line of a request: prompt tokens, reused ones, first-token time, prompt hash. */
function requestLog(lines: readonly string[]) {
	const line = [...lines].reverse().find((l) => /^ask: \d+ prompt tokens/.test(l)) ?? '';
	const match =
		/^ask: (\d+) prompt tokens \((\d+) reused\), (\d+) new, set (\S+), time to first token (\d+) ms.*prompt sha256 ([0-9a-f]{64})$/.exec(
			line,
		);
	assert.ok(match, `no request line in the log: ${lines.join('\n')}`);
	return {
		promptTokens: Number(match[1]),
		reused: Number(match[2]),
		newTokens: Number(match[3]),
		set: match[4],
		timeToFirstTokenMs: Number(match[5]),
		promptSha256: match[6],
	};
}

describe('one pipeline: the CLI and the editor run the same job (bundled model)', function () {
	this.timeout(120000);
	const root = workspace();

	before(() => assert.ok(MODEL, 'the bundled model under models/ is needed'));

	it('gives token-identical prompts and answers for the same request, and a chat turn sees and reuses the one before', async () => {
		const out: string[] = [];
		const code = await runCli(
			[
				'ask',
				QUESTION,
				'--workspace',
				root,
				'--max-new-tokens',
				`${ANSWER_TOKENS}`,
				'--json',
			],
			{ stdout: (t) => out.push(t), stderr: () => undefined },
			COMMANDS,
		);
		assert.equal(code, 0);
		const cli = JSON.parse(out.join('')) as {
			answer: string;
			promptSha256: string;
			tokensIn: number;
			tokensOut: number;
			set: string;
		};

		fake.reset();
		fake.workspaceFolders = [{ uri: fake.module.Uri.file(root), name: 'calc', index: 0 }];
		fake.settings.modelPath = MODEL;
		fake.settings.answerTokens = ANSWER_TOKENS;
		const context = fake.context(ROOT);
		activate(context as never);
		const chat = fake.resolveView('longrope.chat');
		const diagnostics = fake.resolveView('longrope.diagnostics');
		chat.send({ type: 'ready', protocolVersion: PROTOCOL_VERSION, view: 'chat' });
		diagnostics.send({ type: 'ready', protocolVersion: PROTOCOL_VERSION, view: 'diagnostics' });
		const ends = () =>
			(chat.posted as HostToWebview[]).filter(
				(m): m is Extract<HostToWebview, { type: 'turnEnd' }> => m.type === 'turnEnd',
			);
		const budget = () =>
			(diagnostics.posted as HostToWebview[])
				.filter((m) => m.type === 'diagnostics')
				.map((m) => (m as Extract<HostToWebview, { type: 'diagnostics' }>).diagnostics)
				.at(-1)?.budget;
		try {
			await fake.commands.get('longrope.askWorkspace')?.(QUESTION);
			const first = requestLog(fake.output);
			assert.equal(ends()[0].outcome, 'done', ends()[0].note);
			assert.equal(first.promptSha256, cli.promptSha256, 'the same prompt ids');
			assert.equal(first.promptTokens, cli.tokensIn);
			assert.equal(ends()[0].text, cli.answer, 'the same answer');
			assert.equal(first.newTokens, cli.tokensOut);
			assert.equal(budget()?.history, 0);

			// The second turn carries the first back (its own budget segment) and reuses its keys.
			await fake.commands.get('longrope.askWorkspace')?.('And what does it return?');
			const second = requestLog(fake.output);
			assert.equal(ends()[1].outcome, 'done', ends()[1].note);
			assert.ok((budget()?.history ?? 0) > 0, 'the first exchange went back to the model');
			assert.ok(second.promptTokens > first.promptTokens);
			assert.ok(
				second.reused >= first.promptTokens - 2,
				`${second.reused} of the first turn's ${first.promptTokens} prompt tokens reused`,
			);
			console.log(
				`      time to first token: turn 1 ${first.timeToFirstTokenMs} ms (${first.promptTokens} tokens prefilled), turn 2 ${second.timeToFirstTokenMs} ms (${second.reused} of ${second.promptTokens} reused)`,
			);
		} finally {
			for (const d of context.subscriptions) d.dispose();
		}
	});
});
