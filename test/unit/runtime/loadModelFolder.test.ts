import * as assert from 'node:assert/strict';
import {
	copyFileSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	unlinkSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadModelFolder, ModelFolderError } from '../../../extension/runtime/loadModelFolder';
import { LocalModel } from '../../../extension/runtime/localModel';

const MODEL = process.env.LONGROPE_GOLDEN_MODEL ?? 'longrope-tiny';
const BUNDLED = path.resolve(__dirname, '../../../models', MODEL);

describe('model folder loading', function () {
	this.timeout(30_000);
	let dir: string;

	beforeEach(() => {
		dir = mkdtempSync(path.join(tmpdir(), 'longrope-folder-'));
		for (const file of ['config.json', 'tokenizer.json', 'model.onnx'])
			copyFileSync(path.join(BUNDLED, file), path.join(dir, file));
	});
	afterEach(() => rmSync(dir, { recursive: true }));

	const editConfig = (edit: (config: Record<string, unknown>) => void) => {
		const file = path.join(dir, 'config.json');
		const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
		edit(config);
		writeFileSync(file, JSON.stringify(config));
	};

	it('reads the bundled folder: shape, window and tokenizer', async () => {
		const folder = await loadModelFolder(dir);
		assert.deepEqual(folder.shape, { layers: 6, kvHeads: 4, headDim: 32, vocabSize: 4096 });
		assert.equal(folder.rope.geometry.originalWindow, 256);
		assert.equal(folder.tokenizer.tokenId('<|assistant|>'), 5);
	});

	it('names a missing part', async () => {
		unlinkSync(path.join(dir, 'tokenizer.json'));
		await assert.rejects(loadModelFolder(dir), /lacks tokenizer\.json/);
		await assert.rejects(
			loadModelFolder(path.join(dir, 'nope')),
			/does not exist or is not a folder/,
		);
	});

	it('names bad JSON with its file', async () => {
		writeFileSync(path.join(dir, 'config.json'), '{"vocab_size": 4096,');
		await assert.rejects(
			loadModelFolder(dir),
			(err: Error) =>
				err instanceof ModelFolderError &&
				err.message.startsWith(`${path.join(dir, 'config.json')} is not valid JSON`),
		);
	});

	it('names a config field that is not usable', async () => {
		editConfig((c) => (c.num_hidden_layers = 'six'));
		await assert.rejects(
			loadModelFolder(dir),
			/num_hidden_layers must be a positive integer, not "six"/,
		);
	});

	it('refuses a tokenizer larger than the config vocabulary', async () => {
		editConfig((c) => (c.vocab_size = 1000));
		await assert.rejects(
			loadModelFolder(dir),
			/has 4096 tokens but .*config\.json says vocab_size 1000/,
		);
	});

	it('refuses, on load, a config whose layer count disagrees with the graph', async () => {
		editConfig((c) => (c.num_hidden_layers = 4));
		await assert.rejects(LocalModel.load(dir), /unexpected inputs past_key_values\.4\.key/);
	});
});
