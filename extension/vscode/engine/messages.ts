/**
 * The messages between the extension host and the engine process (the child process that loads
 * onnxruntime and the model, so that inference never blocks the extension host). Both ends are
 * ours, but the channel still carries workspace text and model output, so each side checks the
 * `type` and drops what it does not know.
 */
import type { FactorOverride } from '../../engine/factorSelection';
import type { SamplingOptions } from '../../engine/generation/sampling';
import type { SummaryScope } from '../../engine/prompts/filePrompts';
import type { WorkspaceEntry } from '../../engine/workspace/reader';
import type { EditorFocus } from '../../engine/workspace/relevance';
import type { RemoteEndpoint } from './remoteEndpoint';
import type {
	BudgetInfo,
	FactorInfo,
	KvInfo,
	ManifestRow,
	ProgressInfo,
	SourceRef,
	SpeedInfo,
} from '../../protocol';

export interface EngineLoadOptions {
	readonly intraOpThreads: number;
	readonly prefillChunk?: number;
	readonly maxKvCacheBytes: number;
	/** Where token counts are kept between sessions (the extension's global storage). */
	readonly cacheDir?: string;
}

export interface ModelInfo {
	readonly folder: string;
	readonly name: string;
	readonly kvBytesPerToken: number;
	readonly originalWindow: number;
	readonly maxWindow: number;
	readonly sets: readonly { readonly name: string; readonly maxLength: number }[];
	readonly loadMs: number;
}

interface JobCommon {
	readonly answerTokens: number;
	readonly override: FactorOverride;
	readonly sampling: SamplingOptions;
	/** A cap on prompt + answer below the set's window (0: none). */
	readonly maxContextTokens: number;
	readonly focus?: EditorFocus;
	/** The workspace's name, for people and prompts. */
	readonly workspaceName: string;
	/** Generate on this OpenAI-compatible endpoint instead of the local model. */
	readonly remote?: RemoteEndpoint;
}

export type EngineJob =
	| (JobCommon & { readonly kind: 'ask'; readonly question: string })
	| (JobCommon & { readonly kind: 'summarize'; readonly scope: SummaryScope });

/** A LongRoPE factor search on the workspace's own text. */
export interface SearchJob {
	readonly kind: 'search';
	readonly workspaceName: string;
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
	readonly speed: SpeedInfo;
	readonly kv: KvInfo;
	readonly set: string;
	readonly plannedLength: number;
	readonly window: number;
}

export type HostToEngine =
	| { type: 'load'; id: string; folder: string; options: EngineLoadOptions }
	| { type: 'job'; id: string; job: EngineJob }
	| { type: 'search'; id: string; job: SearchJob }
	| { type: 'cancel'; id: string }
	| { type: 'resetChat' }
	| {
			type: 'readerEntries';
			rid: number;
			entries: WorkspaceEntry[];
			done: boolean;
			error?: string;
	  }
	| { type: 'readerFile'; rid: number; entry?: WorkspaceEntry; error?: string };

export type EngineToHost =
	| { type: 'started'; pid: number }
	| { type: 'loaded'; id: string; model: ModelInfo }
	| { type: 'progress'; id: string; progress: ProgressInfo }
	| { type: 'plan'; id: string; factors: FactorInfo; cacheRebuilt?: string; kv: KvInfo }
	| { type: 'manifest'; id: string; budget: BudgetInfo; files: ManifestRow[]; note?: string }
	| { type: 'delta'; id: string; text: string; reset?: boolean }
	| { type: 'done'; id: string; result: JobResult }
	| { type: 'searched'; id: string; result: SearchResult }
	| { type: 'failed'; id: string; message: string; cancelled: boolean }
	| { type: 'readerPull'; jobId: string; rid: number }
	| { type: 'readerRead'; jobId: string; rid: number; path: string }
	| { type: 'log'; message: string };

const HOST_TO_ENGINE = new Set<string>([
	'load',
	'job',
	'search',
	'cancel',
	'resetChat',
	'readerEntries',
	'readerFile',
]);
const ENGINE_TO_HOST = new Set<string>([
	'started',
	'loaded',
	'progress',
	'plan',
	'manifest',
	'delta',
	'done',
	'searched',
	'failed',
	'readerPull',
	'readerRead',
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
