/**
 * The engine process: a Node child of the extension host that owns the model and runs the jobs.
 * It is started on the first request (activation loads neither), reads the workspace itself
 * from the source the editor describes (folder, scope, excludes, unsaved buffers), and forwards
 * each job's events. Cancelling a job stops it between model runs. Nothing here imports `vscode`.
 */
import * as path from 'node:path';
import { CancellationError, CancellationTokenSource } from '../engine/cancellation';
import type { GenerationStats, LanguageModel, ModelSession } from '../engine/model/languageModel';
import type { Citation, DroppedCitation } from '../engine/workspace/citations';
import type { ConversationContext } from '../engine/workspace/followUp';
import type { ManifestFile } from '../engine/workspace/manifest';
import { tokensSha256 } from '../runtime/textSamples';
import { askJob } from './askJob';
import {
	isHostToEngine,
	type EngineJob,
	type EngineLoad,
	type EngineToHost,
	type HostToEngine,
	type JobResult,
	type ModelInfo,
	type SearchJob,
	type SearchResult,
} from './engineMessages';
import { requireRopeModel } from './evaluation';
import { sourcesOf, speedInfo, type JobEvent } from './events';
import type { JobContext } from './jobContext';
import { ModelHolder, type OpenedModel } from './models';
import { runSearchJob, workspaceSamples } from './searchJob';
import { summarizeJob } from './summarizeJob';
import { openTokenCounter, type PersistentCounter } from './tokenCounts';
import { openWorkspace, type WorkspaceSource } from './workspaceSource';

function send(message: EngineToHost): void {
	process.send?.(message);
}

function log(message: string): void {
	send({ type: 'log', message });
}

/** What the process holds between requests: the model, its token counts and the chat's cache. */
class EngineState {
	private readonly models = new ModelHolder();
	private opened: OpenedModel | undefined;
	private counts: PersistentCounter | undefined;
	private chat: ModelSession | undefined;
	/** The chat's last turn: what it showed, for the next turn, and where it read. */
	private chatContext:
		{ readonly source: string; readonly context: ConversationContext } | undefined;
	readonly jobs = new Map<string, CancellationTokenSource>();

	async load(load: EngineLoad): Promise<ModelInfo> {
		const started = performance.now();
		const opened = await this.models.get(load);
		const lineNumbers = load.lineNumbers ?? true;
		// Another way of showing files changes every count and every prompt: a new chat too.
		if (!opened.reused || this.counts?.counter.lineNumbers !== lineNumbers) {
			this.chat?.dispose();
			this.chat = undefined;
			this.chatContext = undefined;
			this.counts = openTokenCounter(
				opened.model.tokenizer,
				opened.tokenizerFile,
				(message) => log(message),
				{ cacheDir: load.cacheDir, lineNumbers },
			);
		}
		this.opened = opened;
		return modelInfo(opened, performance.now() - started);
	}

	context(id: string, token: CancellationTokenSource['token']): JobContext {
		if (!this.opened || !this.counts) throw new Error('no model is loaded');
		return {
			model: this.opened.model,
			counts: this.counts,
			emit: (event: JobEvent) => send({ type: 'event', id, event }),
			token,
		};
	}

	/** The chat's session: kept between questions, so a follow-up reuses the cached prefix. */
	chatSession(model: LanguageModel): ModelSession {
		this.chat ??= model.openSession();
		return this.chat;
	}

	/** The previous turn's context, when it read the same workspace and scope. */
	previousTurn(source: WorkspaceSource): ConversationContext | undefined {
		const key = JSON.stringify([source.root, source.scope]);
		return this.chatContext?.source === key ? this.chatContext.context : undefined;
	}

	rememberTurn(source: WorkspaceSource, context: ConversationContext): void {
		this.chatContext = { source: JSON.stringify([source.root, source.scope]), context };
	}

	resetChat(): void {
		this.chat?.reset();
		this.chatContext = undefined;
	}
}

const state = new EngineState();

function modelInfo(
	{ model, warnings, reused }: OpenedModel & { readonly reused: boolean },
	loadMs: number,
): ModelInfo {
	const windows = model.windows;
	const sets =
		windows.kind === 'factor-sets'
			? windows.rope.sets.map((s) => ({ name: s.name, maxLength: s.maxLength }))
			: [];
	return {
		location: model.description.location,
		name: model.description.name,
		format: model.description.format,
		warnings,
		kvBytesPerToken: model.kvBytesPerToken,
		originalWindow:
			windows.kind === 'factor-sets' ? windows.rope.geometry.originalWindow : windows.window,
		maxWindow:
			windows.kind === 'factor-sets'
				? Math.max(...sets.map((s) => s.maxLength))
				: windows.window,
		sets,
		loadMs,
		reused,
	};
}

/** For people: citations of lines the model was never shown. */
function citationNote(dropped: readonly DroppedCitation[]): string | undefined {
	if (dropped.length === 0) return undefined;
	const some = dropped.slice(0, 3).map((d) => d.text);
	return `${dropped.length} citation${dropped.length === 1 ? '' : 's'} point${dropped.length === 1 ? 's' : ''} outside what the model was shown (${some.join(', ')}${dropped.length > 3 ? ', …' : ''}).`;
}

/** What the editor shows of a finished ask or summary. */
function jobResult(
	done: {
		readonly text: string;
		readonly notes: readonly (string | undefined)[];
		readonly files: readonly ManifestFile[];
		readonly citations: readonly Citation[];
		readonly stats: GenerationStats;
		readonly window: number;
	},
	capBytes: number,
): JobResult {
	const note = done.notes.filter(Boolean).join(' ');
	const { stats } = done;
	return {
		text: done.text,
		...(note ? { note } : {}),
		sources: sourcesOf(done.files),
		citations: done.citations.map(({ text, path, line }) => ({ text, path, line })),
		speed: speedInfo(stats),
		kv: { plannedBytes: stats.plan.plannedKvBytes, usedBytes: stats.kvBytes, capBytes },
		set: stats.plan.set,
		plannedLength: stats.plan.plannedLength,
		window: done.window,
	};
}

async function runJob(job: EngineJob, context: JobContext): Promise<JobResult> {
	const { reader, focus } = openWorkspace(job.source);
	const capBytes = context.model.memoryLimit?.bytes ?? 0;
	if (job.kind === 'ask') {
		// A new chat (no earlier exchanges) packs afresh; a follow-up shows the same files first.
		const previous = job.request.history?.length ? state.previousTurn(job.source) : undefined;
		const result = await askJob(
			{ ...job.request, ...(focus && !job.request.focus ? { focus } : {}) },
			reader,
			state.chatSession(context.model),
			context,
			previous,
		);
		state.rememberTurn(job.source, result.conversation);
		const done = jobResult(
			{
				text: result.text,
				notes: [result.leftOut, citationNote(result.dropped)],
				files: result.manifest.files,
				citations: result.citations,
				stats: result.stats,
				window: result.manifest.budget.window,
			},
			capBytes,
		);
		return { ...done, promptSha256: tokensSha256(result.promptIds) };
	}
	const result = await summarizeJob({ ...job.request }, reader, context);
	return jobResult(
		{
			text: result.summary,
			notes: [result.note, citationNote(result.dropped)],
			files: result.files,
			citations: result.citations,
			stats: result.stats,
			window: result.budget.window,
		},
		capBytes,
	);
}

async function runSearch(job: SearchJob, context: JobContext): Promise<SearchResult> {
	const model = requireRopeModel(context.model);
	const { reader } = openWorkspace(job.source);
	context.emit({
		type: 'progress',
		progress: { phase: 'scanning', done: 0, total: 0, detail: 'collecting workspace text' },
	});
	const texts = await workspaceSamples(
		reader,
		model.tokenizer,
		job.targetLength,
		job.samples,
		context.token,
	);
	const outcome = await runSearchJob({
		geometry: model.windows.rope.geometry,
		model: path.basename(model.description.location),
		texts,
		perplexity: (ids, spec) => model.perplexity(ids, spec, context.token),
		length: job.targetLength,
		maxSamples: job.samples,
		rounds: job.rounds,
		populationSize: job.populationSize,
		budget: job.budget,
		stateFile: job.stateFile,
		resume: false,
		emit: context.emit,
		token: context.token,
	});
	return {
		set: outcome.set as unknown as SearchResult['set'],
		best: outcome.result.best.fitness,
		baselines: outcome.baselines,
		samples: texts.length,
	};
}

/** Runs a cancellable request: registered for `cancel`, and reported as failed (or stopped) if it throws. */
async function cancellable(
	id: string,
	work: (context: JobContext) => Promise<EngineToHost>,
): Promise<void> {
	const source = new CancellationTokenSource();
	state.jobs.set(id, source);
	try {
		send(await work(state.context(id, source.token)));
	} catch (err) {
		const cancelled = err instanceof CancellationError || source.token.isCancellationRequested;
		send({
			type: 'failed',
			id,
			message: cancelled ? 'Stopped' : (err as Error).message,
			cancelled,
		});
	} finally {
		state.jobs.delete(id);
		source.dispose();
	}
}

async function handle(message: HostToEngine): Promise<void> {
	switch (message.type) {
		case 'load':
			try {
				send({ type: 'loaded', id: message.id, model: await state.load(message.load) });
			} catch (err) {
				send({
					type: 'failed',
					id: message.id,
					message: (err as Error).message,
					cancelled: false,
				});
			}
			return;
		case 'job':
			return cancellable(message.id, async (context) => ({
				type: 'done',
				id: message.id,
				result: await runJob(message.job, context),
			}));
		case 'search':
			return cancellable(message.id, async (context) => ({
				type: 'searched',
				id: message.id,
				result: await runSearch(message.job, context),
			}));
		case 'cancel':
			state.jobs.get(message.id)?.cancel();
			return;
		case 'resetChat':
			state.resetChat();
			return;
		default: {
			const never: never = message;
			log(`unknown message ${JSON.stringify(never)}`);
		}
	}
}

process.on('message', (message: unknown) => {
	if (!isHostToEngine(message)) {
		log(`dropped a malformed message: ${JSON.stringify(message)}`);
		return;
	}
	void handle(message);
});
process.on('disconnect', () => process.exit(0));
send({ type: 'started', pid: process.pid });
