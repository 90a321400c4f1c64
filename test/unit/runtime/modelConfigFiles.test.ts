import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';
import { findModelFolder } from '../../../extension/runtime/modelFolder';
import {
	ConfigFileError,
	loadModelFolderRopeConfig,
	loadRopeConfig,
} from '../../../extension/runtime/ropeConfigFiles';
import { PHI3_CONFIG_FILE } from '../helpers/fixtures';

function tempDir(): string {
	return mkdtempSync(path.join(tmpdir(), 'longrope-model-'));
}

describe('model folder and config files', () => {
	it('loads config.json and, when present, longrope.json from a model folder', async () => {
		const folder = tempDir();
		copyFileSync(PHI3_CONFIG_FILE, path.join(folder, 'config.json'));
		assert.deepEqual(
			(await loadModelFolderRopeConfig(folder)).sets.map((s) => s.name),
			['short', 'long'],
		);
		const set = {
			name: 'mid',
			maxLength: 16384,
			factors: new Array(48).fill(2),
			nHat: 4,
			attentionFactor: 1,
		};
		writeFileSync(path.join(folder, 'longrope.json'), JSON.stringify({ sets: [set] }));
		assert.deepEqual(
			(await loadModelFolderRopeConfig(folder)).sets.map((s) => s.name),
			['short', 'long', 'mid'],
		);
	});

	it('names the file that is missing or not JSON', async () => {
		const folder = tempDir();
		await assert.rejects(loadModelFolderRopeConfig(folder), (e: unknown) => {
			assert.ok(e instanceof ConfigFileError);
			assert.equal(e.message, `${path.join(folder, 'config.json')} does not exist`);
			return true;
		});
		const broken = path.join(folder, 'broken.json');
		writeFileSync(broken, '{ "rope_theta": ');
		await assert.rejects(loadRopeConfig(broken), new RegExp(`${broken} is not valid JSON`));
	});

	it('finds the configured folder, relative to the workspace or home', () => {
		const workspace = tempDir();
		mkdirSync(path.join(workspace, 'my-model'));
		writeFileSync(path.join(workspace, 'my-model', 'config.json'), '{}');
		assert.equal(
			findModelFolder('my-model', workspace, '/ext'),
			path.join(workspace, 'my-model'),
		);
		assert.equal(findModelFolder('elsewhere', workspace, '/ext'), undefined);
		const relativeToHome = path.relative(homedir(), path.join(workspace, 'my-model'));
		assert.equal(
			findModelFolder(`~/${relativeToHome}`, undefined, '/ext'),
			path.join(workspace, 'my-model'),
		);
	});

	it('defaults to the first bundled folder under models/ with a config.json, skipping train/', () => {
		const extension = tempDir();
		assert.equal(findModelFolder('', undefined, extension), undefined);
		for (const name of ['train', 'b-model', 'a-notes', 'c-model']) {
			mkdirSync(path.join(extension, 'models', name), { recursive: true });
		}
		writeFileSync(path.join(extension, 'models', 'train', 'config.json'), '{}');
		writeFileSync(path.join(extension, 'models', 'b-model', 'config.json'), '{}');
		writeFileSync(path.join(extension, 'models', 'c-model', 'config.json'), '{}');
		assert.equal(
			findModelFolder(' ', undefined, extension),
			path.join(extension, 'models', 'b-model'),
		);
	});
});
