import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const MODEL = path.join(ROOT, 'models', 'longrope-tiny');
const RECORDS = path.join(ROOT, 'models', 'train', 'records');

interface CardInvocation {
	variant: string;
	stages: string[];
}

/**
 * The bundled model's card is written by models/train/card.mjs from each training stage's record
 * (models/train/records/), which it keeps while the stage's build folder exists. Build folders do not
 * survive a machine, so a later stage's card is written from the earlier stages' records alone: they
 * must still give the committed card, byte for byte.
 */
describe('bundled model card from the committed stage records', () => {
	let work: string;
	beforeEach(() => {
		work = mkdtempSync(path.join(tmpdir(), 'model-card-'));
	});
	afterEach(() => rmSync(work, { recursive: true, force: true }));

	/** Runs card.mjs in `work` (it writes models/README.md under its working directory). */
	function writeCard(args: string[]) {
		return spawnSync(process.execPath, [path.join(ROOT, 'models/train/card.mjs'), ...args], {
			cwd: work,
			encoding: 'utf8',
		});
	}

	function copyModel(): string {
		const model = path.join(work, 'model');
		mkdirSync(model);
		for (const file of ['config.json', 'model.onnx', 'longrope.json']) {
			copyFileSync(path.join(MODEL, file), path.join(model, file));
		}
		mkdirSync(path.join(work, 'models'));
		copyFileSync(
			path.join(ROOT, 'models', 'README.md'),
			path.join(work, 'models', 'README.md'),
		);
		return model;
	}

	it('writes the committed MODEL_CARD.md and README table with no build folder present', () => {
		const { variant, stages } = JSON.parse(
			readFileSync(path.join(RECORDS, 'card.json'), 'utf8'),
		) as CardInvocation;
		const model = copyModel();
		const gone = path.join(work, 'gone');
		const run = writeCard([gone, model, variant, ...stages.map((s) => path.join(gone, s))]);
		assert.equal(run.status, 0, run.stderr);
		assert.equal(
			readFileSync(path.join(model, 'MODEL_CARD.md'), 'utf8'),
			readFileSync(path.join(MODEL, 'MODEL_CARD.md'), 'utf8'),
		);
		assert.equal(
			readFileSync(path.join(work, 'models', 'README.md'), 'utf8'),
			readFileSync(path.join(ROOT, 'models', 'README.md'), 'utf8'),
		);
	});

	it('names the stage whose build folder and record are both missing', () => {
		const model = copyModel();
		const gone = path.join(work, 'gone');
		const run = writeCard([gone, model, 'q4', path.join(gone, 'stage-never-run')]);
		assert.equal(run.status, 1);
		assert.match(run.stderr, /gone\/stage-never-run has no train-log\.jsonl/);
		assert.match(run.stderr, /stage-never-run\.json does not exist: no record of that stage/);
	});
});
