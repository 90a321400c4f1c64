import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { RequestPlan } from '../../extension/engine/model/requestPlan';
import type { GenerationStats, ModelSession } from '../../extension/engine/model/languageModel';
import type { GenaiModel } from '../../extension/runtime/genai/genaiModel';
import {
	peakRssMiB,
	rssMiB,
	promptIds,
	QUESTION_TOKENS,
	type LengthRow,
	type SideJob,
	type SideReport,
} from './shared';

type GenaiModule = typeof import('../../extension/runtime/genai/genaiModel');
type PlanModule = typeof import('../../extension/engine/model/requestPlan');

/**
 * The extension's engine as the jobs use it: GenaiModel (the adapted graph) through a session,
 * one request per length, its answer `decodeSteps` + 1 tokens. The statistics are the ones the
 * session reports to the jobs. `engineRoot` runs another checkout's engine (an older commit).
 */
export async function measureEngine(job: SideJob): Promise<SideReport> {
	const root = job.engineRoot ?? path.resolve(__dirname, '../..');
	// Through require, so that esbuild-register compiles the other checkout's TypeScript too.
	const load = createRequire(__filename);
	const { GenaiModel } = load(
		path.join(root, 'extension/runtime/genai/genaiModel'),
	) as GenaiModule;
	const { planIds } = load(path.join(root, 'extension/engine/model/requestPlan')) as PlanModule;
	const started = performance.now();
	const model = await GenaiModel.open(job.folder, {
		intraOpThreads: job.threads,
		prefillChunk: job.prefillChunk,
		maxKvCacheBytes: 64 * 2 ** 30,
		...(job.kvType ? { kvType: job.kvType } : {}),
		...(job.int4Activations ? { int4Activations: job.int4Activations } : {}),
	});
	const loadMs = performance.now() - started;
	const loadRssMiB = rssMiB();
	const vocab = model.folder.vocabSize;
	const plan = (ids: number[]) => planIds(model, ids, job.decodeSteps + 1, 'auto');
	const rows: LengthRow[] = [];
	let followUp: SideReport['followUp'];
	for (const length of job.lengths) {
		const session = model.openSession();
		const prompt = promptIds(length, vocab);
		const stats = await complete(session, plan(prompt));
		rows.push({
			length,
			prefillTokensPerSecond: stats.prefillTokensPerSecond,
			decodeTokensPerSecond: stats.decodeTokensPerSecond,
			timeToFirstTokenMs: stats.timeToFirstTokenMs,
			kvBytes: stats.kvBytes,
			greedy: stats.tokenIds,
		});
		if (length === job.followUp) {
			// The next turn: the same prompt, its answer, then a new question.
			const next = [...prompt, ...stats.tokenIds, ...promptIds(QUESTION_TOKENS, vocab, 2)];
			const again = await complete(session, plan(next));
			followUp = {
				contextTokens: length,
				timeToFirstTokenMs: again.timeToFirstTokenMs,
				kvBytes: again.kvBytes,
			};
		}
		session.dispose();
	}
	await (model as GenaiModel).dispose();
	return {
		label: job.label,
		kind: job.kind,
		loadMs,
		rows,
		followUp,
		loadRssMiB,
		peakRssMiB: peakRssMiB(),
	};
}

async function complete(session: ModelSession, plan: RequestPlan): Promise<GenerationStats> {
	const stream = session.generate({ plan });
	let next = await stream.next();
	while (!next.done) next = await stream.next();
	return next.value;
}
