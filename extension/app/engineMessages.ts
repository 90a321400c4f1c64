/**
 * The messages between the extension host and the engine process (the child process that loads
 * the model and runs the jobs, so that inference never blocks the extension host). Both ends
 * are ours, but the channel still carries workspace text and model output, so each side checks
 * the `type` and drops what it does not know.
 */
import type { CitationRef, KvInfo, SourceRef, SpeedInfo } from '../protocol';
import type { AskRequest } from './askJob';
import type { JobEvent } from './events';
import type { ModelChoice } from './models';
import type { SummarizeRequest } from './summarizeJob';
import type { CountingChoice } from './tokenCounts';
import type { WorkspaceSource } from './workspaceSource';

export interface EngineLoad extends ModelChoice, CountingChoice {
	/** Where token counts are kept between sessions (the extension's global storage). */
	readonly cacheDir?: string;
}

export interface ModelInfo {
	readonly location: string;
	readonly name: string;
	/** The project's own graph, an ONNX Runtime GenAI export, or an OpenAI-compatible endpoint. */
	readonly format: 'own' | 'ort-genai' | 'openai';
	/** How the model's files were read, where the user should know (they disagree, say). */
	readonly warnings: readonly string[];
	readonly kvBytesPerToken: number;
	readonly originalWindow: number;
	readonly maxWindow: number;
	readonly sets: readonly { readonly name: string; readonly maxLength: number }[];
	readonly loadMs: number;
	/** The weights were already loaded (only tuning changed). */
	readonly reused: boolean;
}

/** A job the editor asks for: what to do, and where the engine reads the workspace itself. */
export type EngineJob =
	| { readonly kind: 'ask'; readonly request: AskRequest; readonly source: WorkspaceSource }
	| {
			readonly kind: 'summarize';
			readonly request: SummarizeRequest;
			readonly source: WorkspaceSource;
	  };

/** A LongRoPE factor search on the workspace's own text. */
export interface SearchJob {
	readonly source: WorkspaceSource;
	readonly targetLength: number;
	readonly rounds: number;
	readonly populationSize: number;
	readonly budget: boolean;
	readonly samples: number;
	/** Where the evolution's state is checkpointed. */
	readonly stateFile: string;
}

export interface SearchResult {
	/** The set found, as a longrope.json entry. */
	readonly set: Readonly<Record<string, unknown>> & {
		readonly name: string;
		readonly maxLength: number;
	};
	readonly best: number;
	readonly baselines: Readonly<Record<string, number>>;
	readonly samples: number;
}

export interface JobResult {
	readonly text: string;
	readonly note?: string;
	/** The files (and lines) the model was shown. */
	readonly sources: readonly SourceRef[];
	/** The answer's citations of lines the model was shown (the others are in the note). */
	readonly citations: readonly CitationRef[];
	readonly speed: SpeedInfo;
	readonly kv: KvInfo;
	readonly set: string;
	readonly plannedLength: number;
	readonly window: number;
	/** SHA-256 of the prompt's token ids (the CLI's --json prints the same). */
	readonly promptSha256?: string;
}

export type HostToEngine =
	| { type: 'load'; id: string; load: EngineLoad }
	| { type: 'job'; id: string; job: EngineJob }
	| { type: 'search'; id: string; job: SearchJob }
	| { type: 'cancel'; id: string }
	| { type: 'resetChat' };

export type EngineToHost =
	| { type: 'started'; pid: number }
	| { type: 'loaded'; id: string; model: ModelInfo }
	| { type: 'event'; id: string; event: JobEvent }
	| { type: 'done'; id: string; result: JobResult }
	| { type: 'searched'; id: string; result: SearchResult }
	| { type: 'failed'; id: string; message: string; cancelled: boolean }
	| { type: 'log'; message: string };

const HOST_TO_ENGINE = new Set<string>(['load', 'job', 'search', 'cancel', 'resetChat']);
const ENGINE_TO_HOST = new Set<string>([
	'started',
	'loaded',
	'event',
	'done',
	'searched',
	'failed',
	'log',
]);

function typed(value: unknown, known: Set<string>): boolean {
	return (
		typeof value === 'object' &&
		value !== null &&
		typeof (value as { type?: unknown }).type === 'string' &&
		known.has((value as { type: string }).type)
	);
}

export function isHostToEngine(value: unknown): value is HostToEngine {
	return typed(value, HOST_TO_ENGINE);
}

export function isEngineToHost(value: unknown): value is EngineToHost {
	return typed(value, ENGINE_TO_HOST);
}
