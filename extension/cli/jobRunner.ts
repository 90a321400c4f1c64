import { CancellationTokenSource } from '../engine/cancellation';
import type { EmitEvent } from '../app/events';
import type { JobContext } from '../app/jobContext';
import { openModel, type ModelChoice } from '../app/models';
import { openTokenCounter, type CountingChoice } from '../app/tokenCounts';
import type { CliIo } from './command';

/** The exit status of a command stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/**
 * What Ctrl-C does during a job: the first cancels it (the job stops at its next step, and says
 * so), the second exits at once, whatever the job is waiting for.
 */
export function interruptHandler(
	cancel: () => void,
	io: CliIo,
	exit: (code: number) => void,
): () => void {
	let interrupts = 0;
	return () => {
		if (++interrupts === 1) {
			io.stderr('\ncancelling… (press Ctrl-C again to quit at once)\n');
			cancel();
		} else {
			io.stderr('\nquit.\n');
			exit(EXIT_INTERRUPTED);
		}
	};
}

/**
 * Runs one job from the command line: loads the model (printing what it warns of, as the editor's
 * diagnostics show it), opens the token counts, and cancels the job on Ctrl-C (a second Ctrl-C
 * quits); the model is disposed whatever happens.
 */
export async function runCliJob<T>(
	choice: ModelChoice & CountingChoice,
	io: CliIo,
	emit: EmitEvent,
	body: (context: JobContext) => Promise<T>,
): Promise<T> {
	const { model, tokenizerFile, warnings } = await openModel(choice);
	for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
	const source = new CancellationTokenSource();
	const onSigint = interruptHandler(
		() => source.cancel(),
		io,
		(code) => process.exit(code),
	);
	process.on('SIGINT', onSigint);
	try {
		const counts = openTokenCounter(
			model.tokenizer,
			tokenizerFile,
			(message) => io.stderr(`warning: ${message}\n`),
			{ lineNumbers: choice.lineNumbers },
		);
		return await body({ model, counts, emit, token: source.token });
	} finally {
		process.removeListener('SIGINT', onSigint);
		source.dispose();
		await model.dispose();
	}
}
