/**
 * The engine process: a Node child of the extension host that owns onnxruntime and the model.
 * It is started on the first request (activation loads neither), reads the workspace through the
 * host (the host's reader honours the editor's excludes and unsaved buffers), packs the context,
 * generates, and streams text and progress back. Cancelling a job stops it between model runs.
 * Nothing here imports `vscode`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
	CancellationError,
	CancellationTokenSource,
	type CancellationToken,
} from '../../engine/cancellation';
import type { FactorExplanation } from '../../engine/explanation';
import { buildChatPrompt, type ChatMessage } from '../../engine/generation/chatTemplate';
import type { ContextBudget } from '../../engine/workspace/budget';
import { parseCitations, validateCitations } from '../../engine/workspace/citations';
import { leftOutNote, type ManifestFile } from '../../engine/workspace/manifest';
import { prepareQuestion, textFromReader } from '../../engine/workspace/questionContext';
import type { WorkspaceEntry, WorkspaceReader } from '../../engine/workspace/reader';
import { scanWorkspace, type ScanProgress } from '../../engine/workspace/scan';
import { summarizeWorkspace, type SummarizeProgress } from '../../engine/workspace/summarize';
import { MemoryTokenCountCache, TokenCounter } from '../../engine/workspace/tokenCount';
import { LocalModel, type Conversation, type GenerationStats } from '../../runtime/localModel';
import { TokenCountStore } from '../../runtime/tokenCountStore';
import { tokensSha256, type TokenizedText } from '../../runtime/textSamples';
import { runSearchJob } from '../../cli/commands/search';
import { streamRemoteChat, type RemoteEndpoint } from './remoteEndpoint';
import type { BudgetInfo, FactorInfo, ManifestRow, SourceRef } from '../../protocol';
import {
	isHostToEngine,
	type EngineJob,
	type EngineLoadOptions,
	type EngineToHost,
	type HostToEngine,
	type JobResult,
	type SearchJob,
	type SearchResult,
} from './messages';

function send(message: EngineToHost): void {
	process.send?.(message);
}

let model: LocalModel | undefined;
let modelKey = '';
let loading: Promise<LocalModel> | undefined;
let askConversation: Conversation | undefined;
let counter: TokenCounter | undefined;
let store: TokenCountStore | undefined;
const countCache = new MemoryTokenCountCache();
const jobs = new Map<string, CancellationTokenSource>();

// ---- The workspace, read through the host ----------------------------------------------------

let nextRid = 1;
const pendingEntries = new Map<
	number,
	(batch: { entries: WorkspaceEntry[]; done: boolean; error?: string }) => void
>();
const pendingFiles = new Map<number, (reply: { entry?: WorkspaceEntry; error?: string }) => void>();

class HostReader implements WorkspaceReader {
	constructor(
		readonly name: string,
		private readonly jobId: string,
	) {}

	async *entries(token?: CancellationToken): AsyncIterable<WorkspaceEntry> {
		const rid = nextRid++;
		try {
			for (;;) {
				const batch = await new Promise<{
					entries: WorkspaceEntry[];
					done: boolean;
					error?: string;
				}>((resolve) => {
					pendingEntries.set(rid, resolve);
					send({ type: 'readerPull', jobId: this.jobId, rid });
				});
				if (batch.error) throw new Error(batch.error);
				for (const entry of batch.entries) {
					if (token?.isCancellationRequested) throw new CancellationError();
					yield entry;
				}
				if (batch.done) return;
			}
		} finally {
			pendingEntries.delete(rid);
		}
	}

	read(path: string): Promise<WorkspaceEntry> {
		const rid = nextRid++;
		return new Promise<WorkspaceEntry>((resolve, reject) => {
			pendingFiles.set(rid, (reply) => {
				pendingFiles.delete(rid);
				if (reply.entry) resolve(reply.entry);
				else reject(new Error(reply.error ?? `cannot read ${path}`));
			});
			send({ type: 'readerRead', jobId: this.jobId, rid, path });
		});
	}
}

function saveCounts(): void {
	try {
		store?.save();
	} catch (err) {
		send({ type: 'log', message: `cannot save token counts: ${(err as Error).message}` });
	}
}

// ---- Model ----------------------------------------------------------------------------------

async function load(folder: string, options: EngineLoadOptions): Promise<LocalModel> {
	const key = JSON.stringify([folder, options]);
	if (model && modelKey === key) return model;
	if (loading && modelKey === key) return loading;
	askConversation?.dispose();
	askConversation = undefined;
	counter = undefined;
	const old = model;
	model = undefined;
	await old?.dispose();
	modelKey = key;
	loading = LocalModel.load(folder, {
		// 0: the runtime's default (measured by bench:session).
		intraOpThreads: options.intraOpThreads || undefined,
		prefillChunk: options.prefillChunk,
		maxKvCacheBytes: options.maxKvCacheBytes,
	});
	try {
		model = await loading;
		store = undefined;
		if (options.cacheDir) {
			try {
				store = TokenCountStore.open(
					options.cacheDir,
					await readFile(path.join(model.folder.folder, 'tokenizer.json')),
				);
			} catch (err) {
				send({
					type: 'log',
					message: `token counts are not kept: ${(err as Error).message}`,
				});
			}
		}
		counter = new TokenCounter(
			model.folder.tokenizer,
			(text) => createHash('sha256').update(text).digest('hex'),
			store ?? countCache,
		);
		return model;
	} finally {
		loading = undefined;
	}
}

function factorInfo(e: FactorExplanation): FactorInfo {
	return {
		set: e.set,
		method: e.method,
		reason: e.reason,
		...(e.warning ? { warning: e.warning } : {}),
		plannedLength: e.plannedLength,
		originalWindow: e.originalWindow,
		setWindow: e.setWindow,
		maxWindow: e.maxWindow,
		nHat: e.nHat,
		attentionFactor: e.attentionFactor,
		factors: e.pairs.map((p) => p.factor),
		sets: e.sets.map((s) => ({ name: s.name, maxLength: s.maxLength })),
	};
}

export function manifestRows(files: readonly ManifestFile[]): ManifestRow[] {
	return files.map((f) => ({
		path: f.path,
		status: f.status,
		reason: f.reason,
		tokens: f.tokens,
		...(f.fileTokens !== undefined ? { fileTokens: f.fileTokens } : {}),
		...(f.priority ? { priority: f.priority } : {}),
		...(f.lines ? { lines: `${f.lines.from}–${f.lines.to} of ${f.lines.of}` } : {}),
	}));
}

function budgetInfo(b: ContextBudget): BudgetInfo {
	return {
		window: b.window,
		windowSet: b.windowSet,
		template: b.template,
		context: b.context,
		question: b.question,
		answer: b.answer,
		free: b.free,
		...(b.limit ? { limit: b.limit } : {}),
	};
}

/** Reduce rounds of a map-reduce summary before the engine gives up (each should halve the parts). */
const MAX_REDUCE_ROUNDS = 12;

// ---- Jobs -----------------------------------------------------------------------------------

interface Generated {
	readonly text: string;
	readonly stats: GenerationStats;
}

/** One model call, streamed to the host; `reset` starts a new text (map-reduce calls). */
async function generate(
	id: string,
	m: LocalModel,
	conversation: Conversation,
	messages: readonly ChatMessage[],
	job: EngineJob,
	token: CancellationToken,
	reset: boolean,
): Promise<Generated> {
	const prompt = buildChatPrompt(m.folder.tokenizer, messages);
	if (job.remote) return generateRemote(id, m, prompt.ids.length, messages, job, token, reset);
	const stream = conversation.generate(
		{
			prompt: prompt.ids,
			maxNewTokens: job.answerTokens,
			sampling: job.sampling,
			stopIds: prompt.stopIds,
			stopStrings: ['<|end|>', '<|user|>', '<|system|>'],
			override: job.override,
		},
		token,
		{
			onPlan: (plan) =>
				send({
					type: 'plan',
					id,
					factors: factorInfo(conversation.rope.explain()),
					...(plan.cacheRebuilt ? { cacheRebuilt: plan.cacheRebuilt } : {}),
					kv: { plannedBytes: plan.plannedKvBytes, capBytes: m.options.maxKvCacheBytes },
				}),
			onPrefill: (p) =>
				send({
					type: 'progress',
					id,
					progress: {
						phase: 'prefill',
						done: p.done,
						total: p.total,
						etaSeconds: p.etaSeconds,
						tokensPerSecond: p.tokensPerSecond,
					},
				}),
		},
	);
	let text = '';
	let pieces = 0;
	let first = true;
	for (;;) {
		const next = await stream.next();
		if (next.done) return { text, stats: next.value };
		text += next.value;
		send({ type: 'delta', id, text: next.value, ...(reset && first ? { reset: true } : {}) });
		first = false;
		if (pieces++ % 8 === 0)
			send({
				type: 'progress',
				id,
				progress: { phase: 'generating', done: pieces, total: job.answerTokens },
			});
	}
}

/** The files the model saw, with their lines, in the manifest's order. */
export function sourcesOf(files: readonly ManifestFile[]): SourceRef[] {
	return files
		.filter((f) => (f.status === 'included' || f.status === 'truncated') && f.lines)
		.map((f) => ({ path: f.path, from: f.lines?.from ?? 1, to: f.lines?.to ?? 1 }));
}

/** The same, on the configured OpenAI-compatible endpoint (the prompt leaves this machine). */
async function generateRemote(
	id: string,
	m: LocalModel,
	promptTokens: number,
	messages: readonly ChatMessage[],
	job: EngineJob,
	token: CancellationToken,
	reset: boolean,
): Promise<Generated> {
	const remote = job.remote as RemoteEndpoint;
	const started = performance.now();
	const plan = {
		set: 'remote',
		reason: `answered by ${remote.model} at ${remote.url}`,
		plannedLength: promptTokens + job.answerTokens,
		promptTokens,
		reusedTokens: 0,
		plannedKvBytes: 0,
	};
	send({
		type: 'progress',
		id,
		progress: {
			phase: 'prefill',
			done: 0,
			total: promptTokens,
			detail: `sending to ${remote.url}`,
		},
	});
	const stream = streamRemoteChat(
		remote,
		{ messages, maxTokens: job.answerTokens, sampling: job.sampling },
		token,
	);
	let text = '';
	let first = 0;
	let pieces = 0;
	for (;;) {
		const next = await stream.next();
		if (next.done) {
			const seconds = (performance.now() - started) / 1000;
			const newTokens = text ? m.folder.tokenizer.encode(text).length : 0;
			return {
				text,
				stats: {
					plan,
					newTokens,
					tokenIds: [],
					stopReason: next.value,
					timeToFirstTokenMs: first,
					prefillTokensPerSecond: first > 0 ? promptTokens / (first / 1000) : 0,
					decodeTokensPerSecond:
						newTokens > 1 ? newTokens / Math.max(1e-9, seconds - first / 1000) : 0,
					kvBytes: 0,
				},
			};
		}
		if (!text) first = performance.now() - started;
		text += next.value;
		send({
			type: 'delta',
			id,
			text: next.value,
			...(reset && pieces === 0 ? { reset: true } : {}),
		});
		if (pieces++ % 8 === 0)
			send({
				type: 'progress',
				id,
				progress: { phase: 'generating', done: pieces, total: job.answerTokens },
			});
	}
}

function resultOf(
	text: string,
	stats: GenerationStats,
	m: LocalModel,
	window: number,
	notes: (string | undefined)[],
	files: readonly ManifestFile[],
): JobResult {
	const note = notes.filter(Boolean).join(' ');
	return {
		text,
		...(note ? { note } : {}),
		sources: sourcesOf(files),
		speed: {
			promptTokens: stats.plan.promptTokens,
			reusedTokens: stats.plan.reusedTokens,
			newTokens: stats.newTokens,
			timeToFirstTokenMs: stats.timeToFirstTokenMs,
			prefillTokensPerSecond: stats.prefillTokensPerSecond,
			decodeTokensPerSecond: stats.decodeTokensPerSecond,
			stopReason: stats.stopReason,
		},
		kv: {
			plannedBytes: stats.plan.plannedKvBytes,
			usedBytes: stats.kvBytes,
			capBytes: m.options.maxKvCacheBytes,
		},
		set: stats.plan.set,
		plannedLength: stats.plan.plannedLength,
		window,
	};
}

function citationNote(text: string, files: readonly ManifestFile[]): string | undefined {
	const { dropped } = validateCitations(parseCitations(text), files);
	if (dropped.length === 0) return undefined;
	return `${dropped.length} citation${dropped.length === 1 ? '' : 's'} point${dropped.length === 1 ? 's' : ''} outside what the model was shown (${dropped
		.slice(0, 3)
		.map((d) => d.text)
		.join(', ')}${dropped.length > 3 ? ', …' : ''}).`;
}

async function runJob(id: string, job: EngineJob, token: CancellationToken): Promise<JobResult> {
	const m = model;
	const count = counter;
	if (!m || !count) throw new Error('no model is loaded');
	const reader = new HostReader(job.workspaceName, id);
	const kvCap = Math.floor(m.options.maxKvCacheBytes / m.kvBytesPerToken);
	const cap = job.maxContextTokens > 0 ? Math.min(job.maxContextTokens, kvCap) : kvCap;
	const limits = {
		maxTokens: cap,
		maxTokensReason:
			cap === kvCap
				? 'the KV-cache memory cap (longrope.maxKvCacheMB)'
				: 'the context cap (longrope.maxContextTokens)',
	};
	const onScanProgress = (p: ScanProgress) =>
		send({
			type: 'progress',
			id,
			progress: {
				phase: 'scanning',
				done: p.files + p.skipped,
				total: 0,
				detail: `${p.files} files, ${p.tokens} tokens${p.path ? `: ${p.path}` : ''}`,
			},
		});

	if (job.kind === 'ask') {
		const packed = await prepareQuestion({
			reader,
			counter: count,
			rope: m.folder.rope,
			question: job.question,
			answerTokens: job.answerTokens,
			focus: job.focus,
			override: job.override,
			...limits,
			token,
			onScanProgress,
		});
		const left = leftOutNote(packed.manifest);
		send({
			type: 'manifest',
			id,
			budget: budgetInfo(packed.manifest.budget),
			files: manifestRows(packed.manifest.files),
			...(left ? { note: left } : {}),
		});
		askConversation ??= m.createConversation();
		const { text, stats } = await generate(
			id,
			m,
			askConversation,
			packed.messages,
			job,
			token,
			false,
		);
		return resultOf(
			text,
			stats,
			m,
			packed.manifest.budget.window,
			[left, citationNote(text, packed.manifest.files)],
			packed.manifest.files,
		);
	}

	const scan = await scanWorkspace(reader, {
		counter: count,
		token,
		progressEvery: 25,
		onProgress: onScanProgress,
	});
	send({
		type: 'progress',
		id,
		progress: { phase: 'packing', done: 0, total: scan.files.length },
	});
	let last: GenerationStats | undefined;
	let calls = 0;
	let level = 0;
	const result = await summarizeWorkspace({
		scan,
		counter: count,
		rope: m.folder.rope,
		scope: job.scope,
		answerTokens: job.answerTokens,
		readText: textFromReader(reader),
		focus: job.focus,
		override: job.override,
		...limits,
		token,
		onProgress: (p: SummarizeProgress) => {
			level = Math.max(level, p.level);
			send({
				type: 'progress',
				id,
				progress: { phase: 'packing', done: p.done, total: p.total, detail: p.message },
			});
		},
		complete: async (messages, callToken) => {
			// A guard: combining summaries must converge in a few rounds.
			if (level > MAX_REDUCE_ROUNDS) {
				throw new Error(
					`the summaries did not combine into one within ${MAX_REDUCE_ROUNDS} rounds; lower the answer budget (longrope.answerTokens, now ${job.answerTokens}) so that several summaries fit one window`,
				);
			}
			const conversation = m.createConversation();
			try {
				const generated = await generate(
					id,
					m,
					conversation,
					messages,
					job,
					callToken ?? token,
					calls++ > 0,
				);
				last = generated.stats;
				return generated.text;
			} finally {
				conversation.dispose();
			}
		},
	});
	const budget = result.manifest?.budget ?? result.budget;
	const left = result.manifest ? leftOutNote(result.manifest) : undefined;
	send({
		type: 'manifest',
		id,
		budget: budgetInfo(budget),
		files: manifestRows(result.files),
		...(left ? { note: left } : {}),
	});
	if (!last) throw new Error('nothing to summarize: no readable text file in scope');
	const mapReduce =
		result.mode === 'map-reduce'
			? `Summarized in ${result.parts} parts and ${result.levels} combining round${result.levels === 1 ? '' : 's'} (${result.calls} model calls): the scope is larger than the longest window.`
			: undefined;
	return resultOf(
		result.summary,
		last,
		m,
		budget.window,
		[mapReduce, left, citationNote(result.summary, result.files)],
		result.files,
	);
}

/** Samples of the workspace's own text, `length` tokens each, for the factor search. */
async function workspaceSamples(
	reader: WorkspaceReader,
	m: LocalModel,
	length: number,
	count: number,
	token: CancellationToken,
): Promise<TokenizedText[]> {
	const tokenizer = m.folder.tokenizer;
	const bos = tokenizer.tokenId('<s>');
	const ids: number[] = [];
	const want = length * count;
	for await (const entry of reader.entries(token)) {
		if (entry.kind !== 'text') continue;
		for (const id of tokenizer.encode(`### ${entry.path}\n${entry.text}\n`)) ids.push(id);
		if (ids.length >= want) break;
	}
	const samples: TokenizedText[] = [];
	const body = length - (bos === undefined ? 0 : 1);
	for (let at = 0; at + body <= ids.length && samples.length < count; at += body) {
		const chunk = [...(bos === undefined ? [] : [bos]), ...ids.slice(at, at + body)];
		samples.push({
			path: `${reader.name} (workspace text, part ${samples.length + 1})`,
			sha256: tokensSha256(chunk),
			ids: chunk,
		});
	}
	if (samples.length === 0) {
		throw new Error(
			`the workspace holds ${ids.length} tokens of text; a search at ${length} tokens needs at least ${length}`,
		);
	}
	return samples;
}

async function runSearch(
	id: string,
	job: SearchJob,
	token: CancellationToken,
): Promise<SearchResult> {
	const m = model;
	if (!m) throw new Error('no model is loaded');
	const reader = new HostReader(job.workspaceName, id);
	send({
		type: 'progress',
		id,
		progress: { phase: 'scanning', done: 0, total: 0, detail: 'collecting workspace text' },
	});
	const texts = await workspaceSamples(reader, m, job.targetLength, job.samples, token);
	const outcome = await runSearchJob({
		geometry: m.folder.rope.geometry,
		model: m.folder.folder,
		texts,
		perplexity: (ids, spec) => m.perplexity(ids, spec, token),
		length: job.targetLength,
		maxSamples: job.samples,
		rounds: job.rounds,
		populationSize: job.populationSize,
		budget: job.budget,
		stateFile: job.stateFile,
		resume: false,
		token,
		io: {
			stdout: () => undefined,
			stderr: (line) => {
				const round = /round (\d+)\/(\d+)/.exec(line);
				const stage = /\[[^\]]* (\d+)\/(\d+)\]/.exec(line);
				send({
					type: 'progress',
					id,
					progress: {
						phase: 'search',
						done: round ? Number(round[1]) : 0,
						total: round ? Number(round[2]) : 0,
						detail: `${stage ? `stage ${stage[1]}/${stage[2]}, ` : ''}${line.trim()}`,
					},
				});
			},
		},
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
	work: (token: CancellationToken) => Promise<void>,
): Promise<void> {
	const source = new CancellationTokenSource();
	jobs.set(id, source);
	try {
		await work(source.token);
	} catch (err) {
		const cancelled = err instanceof CancellationError || source.token.isCancellationRequested;
		send({
			type: 'failed',
			id,
			message: cancelled ? 'Stopped' : (err as Error).message,
			cancelled,
		});
	} finally {
		jobs.delete(id);
		source.dispose();
	}
}

async function handle(message: HostToEngine): Promise<void> {
	switch (message.type) {
		case 'load':
			try {
				const started = performance.now();
				const loaded = await load(message.folder, message.options);
				const rope = loaded.folder.rope;
				send({
					type: 'loaded',
					id: message.id,
					model: {
						folder: loaded.folder.folder,
						name: loaded.folder.folder.split(/[\\/]/).filter(Boolean).pop() ?? 'model',
						kvBytesPerToken: loaded.kvBytesPerToken,
						originalWindow: rope.geometry.originalWindow,
						maxWindow: rope.geometry.maxWindow,
						sets: rope.sets.map((s) => ({ name: s.name, maxLength: s.maxLength })),
						loadMs: performance.now() - started,
					},
				});
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
			return cancellable(message.id, async (token) => {
				const result = await runJob(message.id, message.job, token);
				saveCounts();
				send({ type: 'done', id: message.id, result });
			});
		case 'search':
			return cancellable(message.id, async (token) => {
				const result = await runSearch(message.id, message.job, token);
				send({ type: 'searched', id: message.id, result });
			});
		case 'cancel':
			jobs.get(message.id)?.cancel();
			return;
		case 'resetChat':
			askConversation?.reset();
			return;
		case 'readerEntries':
			pendingEntries.get(message.rid)?.(message);
			return;
		case 'readerFile':
			pendingFiles.get(message.rid)?.(message);
			return;
		default: {
			const never: never = message;
			send({ type: 'log', message: `unknown message ${JSON.stringify(never)}` });
		}
	}
}

process.on('message', (message: unknown) => {
	if (!isHostToEngine(message)) {
		send({ type: 'log', message: `dropped a malformed message: ${JSON.stringify(message)}` });
		return;
	}
	void handle(message);
});
process.on('disconnect', () => process.exit(0));
send({ type: 'started', pid: process.pid });
