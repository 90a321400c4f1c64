import { CancellationTokenSource } from '../engine/cancellation';
import type { EmitEvent } from '../app/events';
import type { JobContext } from '../app/jobContext';
import { openModel, type ModelChoice } from '../app/models';
import { openTokenCounter } from '../app/tokenCounts';
import type { CliIo } from './command';

/**
 * Runs one job from the command line: loads the model, opens the token counts, and cancels the
 * job on Ctrl-C (the model stops between runs); the model is disposed whatever happens.
 */
export async function runCliJob<T>(
	choice: ModelChoice,
	io: CliIo,
	emit: EmitEvent,
	body: (context: JobContext) => Promise<T>,
): Promise<T> {
	const { model, tokenizerFile } = await openModel(choice);
	const source = new CancellationTokenSource();
	const onSigint = (): void => source.cancel();
	process.on('SIGINT', onSigint);
	try {
		const counts = openTokenCounter(model.tokenizer, tokenizerFile, (message) =>
			io.stderr(`warning: ${message}\n`),
		);
		return await body({ model, counts, emit, token: source.token });
	} finally {
		process.removeListener('SIGINT', onSigint);
		source.dispose();
		await model.dispose();
	}
}
