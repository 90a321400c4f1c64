// The model card's inputs, one record per training stage: computed from a build folder while it still
// holds the stage's logs, and kept in models/train/records/ (committed), so that a later stage's card,
// written on a machine that no longer has the earlier builds, still describes them. A record holds only
// what the card prints.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const recordsDir = fileURLToPath(new URL('./records/', import.meta.url));
const trainPy = readFileSync(new URL('./train.py', import.meta.url), 'utf8');

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const readLog = (path) =>
	readFileSync(path, 'utf8')
		.split('\n')
		.filter(Boolean)
		.map((line) => JSON.parse(line));
// Seconds a training log's steps took: each entry's tokens since the last, at its tok/s.
const logSeconds = (entries) =>
	entries.reduce(
		(sum, e, k) => sum + (e.tokens - (k > 0 ? entries[k - 1].tokens : 0)) / e.tok_s,
		0,
	);
export const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
const evaluation = (e) => {
	const { checkpoint, seconds, ...numbers } = e;
	return numbers;
};

/** Whether a build folder still holds its stage's logs, so that its record is computed anew. */
/** train.py's "kind=share,…" options (--retrieval-mix, --text-mix) → { kind: share }. */
export const parseShares = (text) =>
	Object.fromEntries(
		text.split(',').map((part) => {
			const [kind, share] = part.split('=');
			return [kind, Number(share)];
		}),
	);

export const fromBuild = (build) => existsSync(join(build, 'train-log.jsonl'));

/** The record kept for a stage named `name`, or the one just computed from its build (then kept). */
function keep(name, build, compute) {
	const file = join(recordsDir, `${name}.json`);
	if (fromBuild(build)) {
		const record = compute();
		mkdirSync(recordsDir, { recursive: true });
		writeFileSync(file, `${JSON.stringify(record, null, '\t')}\n`);
		return record;
	}
	if (!existsSync(file)) {
		throw new Error(`card: ${build} has no train-log.jsonl and ${file} does not exist: no record of that stage`);
	}
	return readJson(file);
}

/** The base training (the Makefile's BUILD): corpus, tokens, retrieval documents, log, evaluations. */
export function baseRecord(build, variant) {
	return keep('base', build, () => {
		const manifest = readJson(join(build, 'corpus', 'manifest.json'));
		const log = readLog(join(build, 'train-log.jsonl'));
		const last = log.at(-1);
		const lastVal = [...log].reverse().find((e) => e.val_ppl !== undefined);
		const docs = readJson(join(build, 'tokens', 'retrieval.docs.json'));
		const docCount = (kind, split) => docs.filter((d) => d.kind === kind && d.split === split).length;
		const initFile = join(build, 'eval-init.json');
		const measure = readJson(join(build, 'measure.json'));
		const weights = join(build, variant, 'model.onnx');
		const probes = ['probe-a', 'probe-b']
			.filter((name) => existsSync(join(build, `${name}.jsonl`)))
			.map((name) => {
				const lines = readLog(join(build, `${name}.jsonl`));
				const end = lines.at(-1);
				return {
					steps: end.step,
					tokens: end.tokens,
					seconds: logSeconds(lines),
					heldout_loss: end.heldout_loss,
					val_loss: end.val_loss,
					workspace_acc: end.workspace_acc,
				};
			});
		return {
			// The training window, which every later stage keeps for its short rows.
			window: measure.window,
			valPercent: manifest.valPercent,
			sources: manifest.sources.map((s) => ({
				name: s.name,
				registry: s.registry,
				package: s.package,
				version: s.version,
				license: s.license,
				split: s.split,
				train: s.files.filter((f) => f.split === 'train').length,
				heldOut: s.files.filter((f) => f.split !== 'train').length,
				bytes: s.bytes,
			})),
			tokens: Object.fromEntries(
				['train', 'val', 'heldout'].map((split) => [
					split,
					statSync(join(build, 'tokens', `${split}.bin`)).size / 2,
				]),
			),
			documents: Object.fromEntries(
				['passkey', 'workspace', 'chat'].map((kind) => [
					kind,
					{ train: docCount(kind, 'train'), watch: docCount(kind, 'watch') },
				]),
			),
			// RETRIEVAL_STAGES of train.py when it trained.
			retrievalStages: JSON.parse(/^RETRIEVAL_STAGES = (\[[^\]]*\])$/m.exec(trainPy)[1]),
			end: { step: last.step, tokens: last.tokens, loss: last.loss },
			lastVal: lastVal && { val_loss: lastVal.val_loss, heldout_loss: lastVal.heldout_loss },
			seconds: logSeconds(log),
			before: evaluation(readJson(join(build, 'eval-before.json'))),
			init: existsSync(initFile) ? evaluation(readJson(initFile)) : undefined,
			after: evaluation(readJson(join(build, 'eval-after.json'))),
			probes,
			weightsSha: existsSync(weights) ? sha256(weights) : undefined,
			measure,
		};
	});
}

// Whether a stage's sets were searched on the weights it started from (their provenance names them):
// all, some or none of them.
function searchedOnStart(sets, startSha) {
	const on = sets.filter((s) => startSha && s.provenance?.modelSha256 === startSha).length;
	return on === sets.length ? 'all' : on === 0 ? 'none' : 'some';
}

/**
 * A progressive stage (the Makefile's FT_BUILD): its settings (stage.json, the FT_* values), its log
 * checked against them, the sets it trained with (sets.json) and train.py --evaluate of its start and
 * end. `startSha` is the sha256 of the weights it started from (the stage before's), to say whether its
 * sets were searched on them.
 */
export function stageRecord(ft, window, variant, startSha) {
	return keep(basename(ft), ft, () => {
		const log = readLog(join(ft, 'train-log.jsonl'));
		const end = log.at(-1);
		const settings = readJson(join(ft, 'stage.json'));
		const longWindow = settings.window;
		const lr = Number(settings.lr);
		const peak = log.reduce((best, e) => (e.lr > best.lr ? e : best));
		if (settings.batch * window + settings.longBatch * longWindow !== end.tokens / end.step) {
			throw new Error(
				`card: ${ft}/train-log.jsonl has ${end.tokens / end.step} tokens a step, not FT_BATCH ${settings.batch} × ${window} + FT_LONG_BATCH ${settings.longBatch} × ${longWindow}`,
			);
		}
		// A stage stopped by --stop-after-seconds ends before its steps.
		const ended = settings.stopAfterSeconds ? end.step <= settings.steps : end.step === settings.steps;
		if (Math.abs(peak.lr - lr) > 1e-9 || peak.step !== settings.warmup || !ended) {
			throw new Error(
				`card: ${ft}/train-log.jsonl peaks at lr ${peak.lr} at step ${peak.step} and ends at step ${end.step}, not FT_LR ${lr} at FT_WARMUP ${settings.warmup} and FT_STEPS ${settings.steps}`,
			);
		}
		const sets = readJson(join(ft, 'sets.json')).sets;
		const set = (name, length) => {
			const found = sets.find((s) => s.name === name);
			if (found?.maxLength !== length) {
				throw new Error(`card: ${ft}/sets.json has no set ${name} of ${length} tokens`);
			}
			return {
				name,
				maxLength: length,
				factorRange: [found.factors[0], found.factors.at(-1)],
				nHat: found.nHat,
				attentionFactor: found.attentionFactor,
			};
		};
		const docs = (file) => readJson(join(ft, 'tokens', file));
		const watch = (kind) => [
			docs('retrieval.docs.json').filter((d) => d.kind === kind && d.split === 'watch').length,
			docs(`retrieval-${longWindow}.docs.json`).filter((d) => d.kind === kind && d.split === 'watch')
				.length,
		];
		// train.py --retrieval-mix "kind=share,…" and --retrieval-fraction replace the retrieval kinds'
		// shares and the share of retrieval rows of both row kinds.
		const mix = settings.retrievalMix ? parseShares(settings.retrievalMix) : undefined;
		const fraction = settings.retrievalFraction ? Number(settings.retrievalFraction) : undefined;
		const longRetrieval = JSON.parse(/^LONG_RETRIEVAL = (\{.*\})$/m.exec(trainPy)[1]);
		const weights = join(ft, variant, 'model.onnx');
		const measure = join(ft, 'measure.json');
		return {
			settings,
			end: {
				step: end.step,
				tokens: end.tokens,
				val_loss: end.val_loss,
				heldout_loss: end.heldout_loss,
				[`heldout_loss_${longWindow}`]: end[`heldout_loss_${longWindow}`],
			},
			seconds: logSeconds(log),
			shortSet: set(settings.shortSet, window),
			longSet: set(settings.longSet, longWindow),
			setsSearchedOnStart: searchedOnStart(sets, startSha),
			mix,
			fraction,
			longRetrieval: { ...longRetrieval, ...(mix && { mix }), ...(fraction !== undefined && { fraction }) },
			watch: { passkey: watch('passkey'), workspace: watch('workspace') },
			before: evaluation(readJson(join(ft, 'eval-before.json'))),
			after: evaluation(readJson(join(ft, 'eval-after.json'))),
			weightsSha: existsSync(weights) ? sha256(weights) : undefined,
			measure: existsSync(measure) ? readJson(measure) : undefined,
		};
	});
}
