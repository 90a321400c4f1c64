import { fork, type ChildProcess } from 'node:child_process';
import type { CancellationToken } from '../../engine/cancellation';
import {
	isEngineToHost,
	type EngineJob,
	type EngineLoad,
	type EngineToHost,
	type HostToEngine,
	type JobResult,
	type ModelInfo,
	type SearchJob,
	type SearchResult,
} from '../../app/engineMessages';
import type { EmitEvent } from '../../app/events';

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
	emit?: EmitEvent;
	token?: CancellationToken;
}
/** After a stop, the engine gets this long to finish its model run before it is killed. */
export const HARD_STOP_MS = 5000;

/**
 * The extension host's side of the engine process: starts it on first use (so activation loads
 * neither onnxruntime nor the model), and turns its messages into promises and job events. A crash of the engine rejects what was pending and the next call
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

	/**
	 * Loads the model (the engine keeps the weights when only the tuning changed); resolves with
	 * what the engine reports.
	 */
	load(load: EngineLoad): Promise<ModelInfo> {
		const key = JSON.stringify(load);
		if (this.loaded?.key === key) return this.loaded.info;
		const id = `load-${this.nextId++}`;
		const info = new Promise<ModelInfo>((resolve, reject) => {
			this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
			this.send({ type: 'load', id, load });
		});
		this.loaded = { key, info };
		info.catch(() => {
			if (this.loaded?.info === info) this.loaded = undefined;
		});
		return info;
	}

	/** Runs a job (the engine reads the workspace the job names); `token` stops it. */
	run(job: EngineJob, emit: EmitEvent, token: CancellationToken): Promise<JobResult> {
		return this.request((id) => ({ type: 'job', id, job }), emit, token) as Promise<JobResult>;
	}

	/** Runs a LongRoPE factor search on the workspace's text. */
	search(job: SearchJob, emit: EmitEvent, token: CancellationToken): Promise<SearchResult> {
		return this.request(
			(id) => ({ type: 'search', id, job }),
			emit,
			token,
		) as Promise<SearchResult>;
	}

	private request(
		message: (id: string) => HostToEngine,
		emit: EmitEvent,
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
				emit,
				token,
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
			case 'event':
				this.pending.get(message.id)?.emit?.(message.event);
				return;
			default: {
				const never: never = message;
				this.log(`unhandled engine message ${JSON.stringify(never)}`);
			}
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
