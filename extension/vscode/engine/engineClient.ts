import { fork, type ChildProcess } from 'node:child_process';
import type { CancellationToken } from '../../engine/cancellation';
import type { WorkspaceEntry, WorkspaceReader } from '../../engine/workspace/reader';
import type { BudgetInfo, FactorInfo, KvInfo, ManifestRow, ProgressInfo } from '../../protocol';
import {
	isEngineToHost,
	type EngineJob,
	type EngineLoadOptions,
	type EngineToHost,
	type HostToEngine,
	type JobResult,
	type ModelInfo,
	type SearchJob,
	type SearchResult,
} from './messages';

export interface JobHandlers {
	onProgress?(progress: ProgressInfo): void;
	onPlan?(plan: { factors: FactorInfo; cacheRebuilt?: string; kv: KvInfo }): void;
	onManifest?(manifest: { budget: BudgetInfo; files: ManifestRow[]; note?: string }): void;
	onDelta?(text: string, reset: boolean): void;
}

/** A job that ended without an answer: stopped by the user, or failed with a message. */
export class JobError extends Error {
	constructor(
		message: string,
		readonly cancelled: boolean,
	) {
		super(message);
		this.name = 'JobError';
	}
}

interface Pending {
	resolve(value: unknown): void;
	reject(error: Error): void;
	handlers?: JobHandlers;
	reader?: WorkspaceReader;
	token?: CancellationToken;
	iterators?: Map<number, AsyncIterator<WorkspaceEntry>>;
}

/** Entries per batch, and a byte budget per batch, when the engine pulls the workspace. */
const BATCH_ENTRIES = 64;
const BATCH_BYTES = 4 * 1024 * 1024;
/** After a stop, the engine gets this long to finish its model run before it is killed. */
export const HARD_STOP_MS = 5000;

/**
 * The extension host's side of the engine process: starts it on first use (so activation loads
 * neither onnxruntime nor the model), serves the workspace to it, and turns its messages into
 * promises and callbacks. A crash of the engine rejects what was pending and the next call
 * starts a new process; the extension host itself is never at risk.
 */
export class EngineClient {
	private child: ChildProcess | undefined;
	private readonly pending = new Map<string, Pending>();
	private nextId = 1;
	private loaded: { key: string; info: Promise<ModelInfo> } | undefined;
	/** Milliseconds from fork to the engine's first message, the last time it started. */
	startMs: number | undefined;

	constructor(
		private readonly enginePath: string,
		private readonly log: (line: string) => void = () => undefined,
	) {}

	get isRunning(): boolean {
		return this.child !== undefined;
	}

	private start(): ChildProcess {
		if (this.child) return this.child;
		const started = performance.now();
		const child = fork(this.enginePath, [], {
			serialization: 'advanced',
			stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
			// In VS Code's extension host, process.execPath is Electron: make it a plain Node.
			env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
			execArgv: [],
		});
		this.child = child;
		child.stdout?.on('data', (d: Buffer) => this.log(`[engine] ${d.toString().trimEnd()}`));
		child.stderr?.on('data', (d: Buffer) => this.log(`[engine] ${d.toString().trimEnd()}`));
		child.on('message', (message: unknown) => {
			if (this.startMs === undefined || this.child === child) {
				this.startMs ??= performance.now() - started;
			}
			if (!isEngineToHost(message)) {
				this.log(`dropped a malformed message from the engine: ${JSON.stringify(message)}`);
				return;
			}
			void this.receive(message);
		});
		child.on('exit', (code, signal) => {
			if (this.child === child) {
				this.child = undefined;
				this.loaded = undefined;
			}
			const why = `the engine process exited (${signal ?? `code ${code}`})`;
			this.log(why);
			for (const [id, p] of this.pending) {
				this.pending.delete(id);
				p.reject(
					new JobError(
						p.token?.isCancellationRequested ? 'Stopped' : why,
						!!p.token?.isCancellationRequested,
					),
				);
			}
		});
		child.on('error', (err) => this.log(`engine process error: ${err.message}`));
		this.startMs = undefined;
		return child;
	}

	private send(message: HostToEngine): void {
		this.start().send(message);
	}

	/** Loads the model (once per folder and options); resolves with what the engine reports. */
	load(folder: string, options: EngineLoadOptions): Promise<ModelInfo> {
		const key = JSON.stringify([folder, options]);
		if (this.loaded?.key === key) return this.loaded.info;
		const id = `load-${this.nextId++}`;
		const info = new Promise<ModelInfo>((resolve, reject) => {
			this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
			this.send({ type: 'load', id, folder, options });
		});
		this.loaded = { key, info };
		info.catch(() => {
			if (this.loaded?.info === info) this.loaded = undefined;
		});
		return info;
	}

	/** Runs a job; the reader serves the workspace; `token` stops it. */
	run(
		job: EngineJob,
		reader: WorkspaceReader,
		handlers: JobHandlers,
		token: CancellationToken,
	): Promise<JobResult> {
		return this.start_(
			(id) => ({ type: 'job', id, job }),
			reader,
			handlers,
			token,
		) as Promise<JobResult>;
	}

	/** Runs a LongRoPE factor search on the workspace's text. */
	search(
		job: SearchJob,
		reader: WorkspaceReader,
		handlers: JobHandlers,
		token: CancellationToken,
	): Promise<SearchResult> {
		return this.start_(
			(id) => ({ type: 'search', id, job }),
			reader,
			handlers,
			token,
		) as Promise<SearchResult>;
	}

	private start_(
		message: (id: string) => HostToEngine,
		reader: WorkspaceReader,
		handlers: JobHandlers,
		token: CancellationToken,
	): Promise<unknown> {
		const id = `job-${this.nextId++}`;
		return new Promise<unknown>((resolve, reject) => {
			if (token.isCancellationRequested) {
				reject(new JobError('Stopped', true));
				return;
			}
			let killTimer: ReturnType<typeof setTimeout> | undefined;
			const subscription = token.onCancellationRequested(() => {
				if (!this.pending.has(id)) return;
				this.child?.send({ type: 'cancel', id } satisfies HostToEngine);
				// A model run cannot be interrupted; if one takes too long, end the process.
				killTimer = setTimeout(() => {
					if (this.pending.has(id)) {
						this.log(
							`job ${id} did not stop within ${HARD_STOP_MS} ms: ending the engine`,
						);
						this.kill();
					}
				}, HARD_STOP_MS);
			});
			const settle = () => {
				subscription.dispose();
				if (killTimer) clearTimeout(killTimer);
			};
			this.pending.set(id, {
				resolve: (v) => {
					settle();
					resolve(v);
				},
				reject: (e) => {
					settle();
					reject(e);
				},
				handlers,
				reader,
				token,
				iterators: new Map(),
			});
			this.send(message(id));
		});
	}

	resetChat(): void {
		this.child?.send({ type: 'resetChat' } satisfies HostToEngine);
	}

	private async receive(message: EngineToHost): Promise<void> {
		switch (message.type) {
			case 'started':
				return;
			case 'log':
				this.log(`[engine] ${message.message}`);
				return;
			case 'loaded': {
				const p = this.pending.get(message.id);
				this.pending.delete(message.id);
				p?.resolve(message.model);
				return;
			}
			case 'done':
			case 'searched': {
				const p = this.pending.get(message.id);
				this.pending.delete(message.id);
				p?.resolve(message.result);
				return;
			}
			case 'failed': {
				const p = this.pending.get(message.id);
				this.pending.delete(message.id);
				p?.reject(new JobError(message.message, message.cancelled));
				return;
			}
			case 'progress':
				this.pending.get(message.id)?.handlers?.onProgress?.(message.progress);
				return;
			case 'plan':
				this.pending.get(message.id)?.handlers?.onPlan?.(message);
				return;
			case 'manifest':
				this.pending.get(message.id)?.handlers?.onManifest?.(message);
				return;
			case 'delta':
				this.pending
					.get(message.id)
					?.handlers?.onDelta?.(message.text, message.reset === true);
				return;
			case 'readerPull':
				return this.serveEntries(message.jobId, message.rid);
			case 'readerRead':
				return this.serveFile(message.jobId, message.rid, message.path);
			default: {
				const never: never = message;
				this.log(`unhandled engine message ${JSON.stringify(never)}`);
			}
		}
	}

	private async serveEntries(jobId: string, rid: number): Promise<void> {
		const p = this.pending.get(jobId);
		if (!p?.reader || !p.iterators) {
			this.child?.send({
				type: 'readerEntries',
				rid,
				entries: [],
				done: true,
				error: 'the job is gone',
			} satisfies HostToEngine);
			return;
		}
		let iterator = p.iterators.get(rid);
		if (!iterator) {
			iterator = p.reader.entries(p.token)[Symbol.asyncIterator]();
			p.iterators.set(rid, iterator);
		}
		const entries: WorkspaceEntry[] = [];
		let bytes = 0;
		let done = false;
		try {
			while (entries.length < BATCH_ENTRIES && bytes < BATCH_BYTES) {
				const next = await iterator.next();
				if (next.done) {
					done = true;
					break;
				}
				entries.push(next.value);
				bytes += next.value.kind === 'text' ? next.value.text.length * 2 : 64;
			}
			if (done) p.iterators.delete(rid);
			this.child?.send({ type: 'readerEntries', rid, entries, done } satisfies HostToEngine);
		} catch (err) {
			p.iterators.delete(rid);
			this.child?.send({
				type: 'readerEntries',
				rid,
				entries: [],
				done: true,
				error: (err as Error).message,
			} satisfies HostToEngine);
		}
	}

	private async serveFile(jobId: string, rid: number, path: string): Promise<void> {
		const reader = this.pending.get(jobId)?.reader;
		try {
			if (!reader) throw new Error('the job is gone');
			const entry = await reader.read(path);
			this.child?.send({ type: 'readerFile', rid, entry } satisfies HostToEngine);
		} catch (err) {
			this.child?.send({
				type: 'readerFile',
				rid,
				error: (err as Error).message,
			} satisfies HostToEngine);
		}
	}

	/** Ends the engine process (a later call starts a new one). */
	kill(): void {
		const child = this.child;
		if (!child) return;
		child.kill();
	}

	dispose(): void {
		this.kill();
	}
}
