/**
 * A chat's follow-up against a fresh question, through the job layer as the editor runs it: the
 * same workspace, the first question, then a second that carries the first exchange. Prints the
 * time to first token of each, with the prompt tokens reused from the chat's cache, as medians
 * of interleaved repeats (fresh chat, follow-up, fresh chat, follow-up, …).
 *
 *   npm run bench:chat [-- WORKSPACE]   (default: extension/engine of this repository)
 */
import * as path from 'node:path';
import { askJob } from '../extension/app/askJob';
import type { JobContext } from '../extension/app/jobContext';
import { openModel } from '../extension/app/models';
import { openTokenCounter } from '../extension/app/tokenCounts';
import { openWorkspace } from '../extension/app/workspaceSource';
import { CancellationTokenSource } from '../extension/engine/cancellation';
import { findModelFolder } from '../extension/runtime/modelFolder';
import { median } from './runtime/shared';

const ROOT = path.resolve(__dirname, '..');
const REPEATS = 3;
const ANSWER_TOKENS = 32;

async function main(): Promise<void> {
	const folder = findModelFolder('', undefined, ROOT);
	if (!folder) throw new Error('no bundled model under models/');
	const workspace = path.resolve(process.argv[2] ?? path.join(ROOT, 'extension/engine'));
	const { model, tokenizerFile } = await openModel({ folder });
	const counts = openTokenCounter(model.tokenizer, tokenizerFile, () => undefined);
	const context: JobContext = {
		model,
		counts,
		emit: () => undefined,
		token: new CancellationTokenSource().token,
	};
	const first = 'What does the factor manager do?';
	const second = 'Which file holds it?';
	const rows: {
		fresh: number;
		followUp: number;
		firstPrompt: number;
		prompt: number;
		reused: number;
	}[] = [];
	for (let r = 0; r <= REPEATS; r++) {
		const session = model.openSession();
		const { reader } = openWorkspace({ root: workspace });
		const one = await askJob(
			{ question: first, answerTokens: ANSWER_TOKENS },
			reader,
			session,
			context,
		);
		const two = await askJob(
			{
				question: second,
				history: [{ question: first, answer: one.text }],
				answerTokens: ANSWER_TOKENS,
			},
			reader,
			session,
			context,
			one.conversation,
		);
		session.dispose();
		// The first round warms the session up and is not counted.
		if (r > 0) {
			rows.push({
				fresh: one.stats.timeToFirstTokenMs,
				followUp: two.stats.timeToFirstTokenMs,
				firstPrompt: one.stats.plan.promptTokens,
				prompt: two.stats.plan.promptTokens,
				reused: two.stats.plan.reusedTokens,
			});
		}
	}
	await model.dispose();
	const fresh = median(rows.map((r) => r.fresh));
	const followUp = median(rows.map((r) => r.followUp));
	console.log(
		`chat turns on ${path.relative(ROOT, workspace) || '.'} (${path.basename(folder)}, ${REPEATS} repeats, medians)\n`,
	);
	console.log('| turn | prompt tokens | reused | time to first token |');
	console.log('| --- | ---: | ---: | ---: |');
	console.log(`| first question | ${rows[0].firstPrompt} | 0 | ${fresh.toFixed(0)} ms |`);
	console.log(
		`| follow-up | ${rows[0].prompt} | ${rows[0].reused} | ${followUp.toFixed(0)} ms (${((100 * followUp) / fresh).toFixed(1)}%) |`,
	);
}

void main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
