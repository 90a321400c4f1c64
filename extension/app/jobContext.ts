import type { CancellationToken } from '../engine/cancellation';
import type { FactorOverride } from '../engine/factorSelection';
import type { SamplingOptions } from '../engine/generation/sampling';
import type { LanguageModel, LengthLimit } from '../engine/model/languageModel';
import type { ScanProgress } from '../engine/workspace/scan';
import type { EmitEvent } from './events';
import type { PersistentCounter } from './tokenCounts';

/** What every job runs with: the model, the token counts, where events go, and the stop. */
export interface JobContext {
	readonly model: LanguageModel;
	readonly counts: PersistentCounter;
	readonly emit: EmitEvent;
	readonly token: CancellationToken;
}

/** How a request is answered: the same defaults whichever front end asks. */
export interface AnswerSettings {
	/** The answer budget (max new tokens). */
	readonly answerTokens: number;
	readonly override?: FactorOverride;
	readonly sampling?: SamplingOptions;
	/** A cap on prompt + answer below the window (the user's `maxContextTokens`). */
	readonly cap?: LengthLimit;
}

/** The sampling a request gets unless the user chose otherwise: the CLI's, and the editor's defaults. */
export const DEFAULT_SAMPLING = {
	temperature: 0,
	topP: 1,
	topK: 0,
	repetitionPenalty: 1.1,
} as const satisfies SamplingOptions;

/** Scan progress as an event; the total is known (and equals done) once the walk ends. */
export function scanProgress(emit: EmitEvent): (p: ScanProgress) => void {
	return (p) =>
		emit({
			type: 'progress',
			progress: {
				phase: 'scanning',
				done: p.files + p.skipped,
				total: p.done ? p.files + p.skipped : 0,
				detail: `${p.files} files, ${p.tokens.toLocaleString('en-US')} tokens${p.skipped ? `, ${p.skipped} skipped` : ''}${p.path ? `: ${p.path}` : ''}`,
			},
		});
}
