import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fakeVscode as fake } from '../helpers/fakeVscode';
// After the fake: the extension's `import * as vscode` must find it.
import { activate } from '../../../extension/extension';
import { PHI3_CONFIG_FILE } from '../helpers/fixtures';

const ROOT = path.resolve(__dirname, '../../..');

function run(id: string, ...args: unknown[]): Promise<unknown> {
	const command = fake.commands.get(id);
	assert.ok(command, `${id} is not registered`);
	return Promise.resolve(command(...args));
}

describe('commands against a stand-in vscode', () => {
	let context: ReturnType<typeof fake.context>;
	beforeEach(() => {
		fake.reset();
		context = fake.context(ROOT);
		activate(context as never);
	});
	afterEach(() => context.subscriptions.forEach((d) => d.dispose()));

	it('summarize commands without a file, a selection or a folder say what is missing', async () => {
		await run('longrope.summarizeFile');
		await run('longrope.summarizeSelection');
		await run('longrope.summarizeWorkspace');
		assert.deepEqual(fake.errors, [
			'LongRoPE: open a file of the workspace to summarize it.',
			'LongRoPE: select some lines of a workspace file first.',
			'LongRoPE: open a folder first.',
		]);
	});

	it('open chat and show diagnostics focus their views', async () => {
		await run('longrope.openChat');
		await run('longrope.showDiagnostics');
		assert.deepEqual(fake.executed, [['longrope.chat.focus'], ['longrope.diagnostics.focus']]);
	});

	it('the factor set policy offers auto, short, long and the model sets, and saves the choice', async () => {
		const folder = mkdtempSync(path.join(tmpdir(), 'longrope-cmd-model-'));
		copyFileSync(PHI3_CONFIG_FILE, path.join(folder, 'config.json'));
		fake.settings.modelPath = folder;
		fake.quickPickAnswer = 'long';
		await run('longrope.chooseFactorSet');
		assert.deepEqual(fake.quickPicks[0].slice(0, 3), ['auto', 'short', 'long']);
		assert.ok(fake.quickPicks[0].length > 3, 'the model sets are offered too');
		assert.equal(fake.settings.factorSet, 'long');
	});

	it('select model folder refuses a folder that is not a model, and takes one that is', async () => {
		const empty = mkdtempSync(path.join(tmpdir(), 'longrope-cmd-empty-'));
		fake.openDialogAnswer = [fake.module.Uri.file(empty)];
		await run('longrope.selectModel');
		assert.match(
			fake.errors[0],
			/is not a model folder: config\.json, tokenizer\.json, model\.onnx missing/,
		);
		assert.equal(fake.settings.modelPath, undefined);
		for (const name of ['config.json', 'tokenizer.json', 'model.onnx'])
			writeFileSync(path.join(empty, name), '{}');
		await run('longrope.selectModel');
		assert.equal(fake.settings.modelPath, empty);
	});

	it('ask without a workspace folder explains that one is needed', async () => {
		await run('longrope.askWorkspace', 'what is this?');
		assert.match(fake.errors[0], /open a folder first/);
	});
});
