import * as path from 'node:path';
import * as vscode from 'vscode';
import { emptyAnswerNote, STOPPED_BEFORE_TEXT } from '../app/emptyAnswer';
import type { EngineJob, EngineLoad, ModelInfo } from '../app/engineMessages';
import type { JobEvent } from '../app/events';
import type { SummaryScope } from '../engine/prompts/filePrompts';
import type { ChatTurn, Diagnostics, EngineStatus, HostToWebview, ProgressInfo } from '../protocol';
import {
	configuredModelFolder,
	missingModelDetail,
	offerModelChoice,
	SettingsReader,
} from './configuredModel';
import { exchangesOf, savedHistory, saveHistory } from './chatHistory';
import { editorFocus, summaryTarget, workspaceFolder, workspaceSource } from './editorContext';
import { EngineClient, JobError } from './engine/engineClient';
import { progressText } from './progressText';
import { remoteApiKey, requireRemoteApproval } from './remoteAccess';
import { answerSettings, readSettings, type Settings } from './settings';

export interface ViewSink {
	readonly kind: 'chat' | 'diagnostics';
	post(message: HostToWebview): void;
}

interface Running {
	readonly requestId: string;
	readonly cancel: vscode.CancellationTokenSource;
}

export type JobSource = 'chat' | 'command';

/**
 * The editor's side of every request: settings, the model folder, the engine process, the chat
 * history and the diagnostics, and what the views and the status bar show. Commands and views
 * call it; it never blocks the extension host: the jobs run in the engine process, which reads
 * the workspace itself from the folder, scope, excludes and unsaved buffers sent with each job.
 */
export class Assistant implements vscode.Disposable {
	readonly engine: EngineClient;
	private readonly views = new Set<ViewSink>();
	private running: Running | undefined;
	private nextRequest = 1;
	private modelInfo: ModelInfo | undefined;
	private readonly settingsReader = new SettingsReader();
	status: EngineStatus = { state: 'idle' };
	diagnostics: Diagnostics = {};
	private readonly statusEmitter = new vscode.EventEmitter<EngineStatus>();
	readonly onDidChangeStatus = this.statusEmitter.event;

	constructor(
		readonly context: vscode.ExtensionContext,
		readonly output: vscode.OutputChannel,
	) {
		this.engine = new EngineClient(
			path.join(context.extensionPath, 'dist', 'engine.js'),
			(line) => output.appendLine(line),
		);
	}

	/** Names the model in the status bar without loading it; again when the settings change. */
	watchSettings(): vscode.Disposable {
		const refresh = () => {
			const { settings } = readSettings(vscode.workspace.getConfiguration('longrope'));
			this.noteModelChoice(settings);
			if (this.running) return;
			const folder = configuredModelFolder(settings, this.context.extensionPath);
			const name = settings.remote?.model ?? (folder && path.basename(folder));
			this.setStatus(
				name
					? { state: 'idle', model: name }
					: { state: 'no-model', detail: missingModelDetail(settings) },
			);
		};
		const timer = setTimeout(refresh, 0);
		const listener = vscode.workspace.onDidChangeConfiguration((event) => {
			if (event.affectsConfiguration('longrope')) {
				this.settingsReader.forget();
				refresh();
			}
		});
		return { dispose: () => (clearTimeout(timer), listener.dispose()) };
	}

	get history(): ChatTurn[] {
		return savedHistory(this.context.workspaceState);
	}

	private async saveHistory(turns: ChatTurn[]): Promise<void> {
		await saveHistory(this.context.workspaceState, turns);
	}

	get busy(): boolean {
		return this.running !== undefined;
	}

	attach(view: ViewSink): vscode.Disposable {
		this.views.add(view);
		return { dispose: () => this.views.delete(view) };
	}

	broadcast(message: HostToWebview, kind?: ViewSink['kind']): void {
		for (const view of this.views) if (!kind || view.kind === kind) view.post(message);
	}

	private remote: string | undefined;
	private demo = false;

	/** Whether text leaves the machine, and whether the bundled demonstration model answers. */
	private noteModelChoice(settings: Settings): void {
		this.remote = settings.remote?.url;
		this.demo = !settings.remote && !settings.modelPath;
	}

	setStatus(status: EngineStatus): void {
		const { remote: _remote, demo: _demo, ...rest } = status;
		status = {
			...rest,
			...(this.remote ? { remote: this.remote } : {}),
			...(this.demo ? { demo: true } : {}),
		};
		this.status = status;
		this.statusEmitter.fire(status);
		this.broadcast({ type: 'status', status });
	}

	private setDiagnostics(update: Diagnostics): void {
		this.diagnostics = { ...this.diagnostics, ...update };
		this.broadcast({ type: 'diagnostics', diagnostics: this.diagnostics });
	}

	settings(): Settings {
		const settings = this.settingsReader.read();
		this.noteModelChoice(settings);
		return settings;
	}

	workspaceFolder(): vscode.WorkspaceFolder | undefined {
		return workspaceFolder();
	}

	/** The model folder the settings select, or undefined after telling the user why not. */
	modelFolder(settings: Settings): string | undefined {
		const folder = configuredModelFolder(settings, this.context.extensionPath);
		if (!folder) {
			this.setStatus({ state: 'no-model', detail: missingModelDetail(settings) });
			offerModelChoice(settings);
		}
		return folder;
	}

	/** What the engine loads for these settings: the weights stay loaded while only tuning changes. */
	private async engineLoad(settings: Settings, folder: string): Promise<EngineLoad> {
		const apiKey = settings.remote ? await remoteApiKey(this.context) : undefined;
		return {
			folder,
			threads: settings.threads,
			maxKvCacheBytes: settings.maxKvCacheBytes,
			kvPrecision: settings.kvCachePrecision,
			int4Activations: settings.int4Activations,
			lineNumbers: settings.lineNumbers,
			...(settings.remote
				? { remote: { ...settings.remote, ...(apiKey ? { apiKey } : {}) } }
				: {}),
			...(this.context.globalStorageUri
				? { cacheDir: this.context.globalStorageUri.fsPath }
				: {}),
		};
	}

	/** Loads the model in the engine process if needed. */
	async ensureModel(settings: Settings): Promise<ModelInfo | undefined> {
		const folder = this.modelFolder(settings);
		if (!folder) return undefined;
		const name = settings.remote?.model ?? path.basename(folder);
		if (!this.engine.isRunning || this.modelInfo?.location !== folder) {
			this.setStatus({ ...this.status, state: 'loading', model: name });
		}
		try {
			this.modelInfo = await this.engine.load(await this.engineLoad(settings, folder));
			const { name: loaded, loadMs: _loadMs, reused: _reused, ...details } = this.modelInfo;
			this.setDiagnostics({ model: loaded, modelDetails: details });
			this.output.appendLine(
				`Model ${this.modelInfo.location} (${this.modelInfo.format}) ${this.modelInfo.reused ? 'kept' : 'ready'} (engine started in ${this.engine.startMs?.toFixed(0) ?? '?'} ms, ${this.modelInfo.reused ? 'weights already loaded' : `loaded in ${this.modelInfo.loadMs.toFixed(0)} ms`})`,
			);
			for (const warning of this.modelInfo.warnings)
				this.output.appendLine(`Warning: ${warning}`);
			return this.modelInfo;
		} catch (err) {
			const message = (err as Error).message;
			this.setStatus({ state: 'error', model: name, detail: message });
			void vscode.window.showErrorMessage(`LongRoPE: cannot load the model: ${message}`);
			return undefined;
		}
	}

	stop(): void {
		this.running?.cancel.cancel();
	}

	async newChat(): Promise<void> {
		this.stop();
		await this.saveHistory([]);
		this.engine.resetChat();
		this.broadcast({ type: 'history', history: [] });
	}

	async ask(question: string, source: JobSource, requestId?: string): Promise<void> {
		const folder = this.workspaceFolder();
		if (!folder) {
			void vscode.window.showErrorMessage(
				'LongRoPE: open a folder first; questions are answered from the workspace.',
			);
			return;
		}
		const settings = this.settings();
		await this.run(
			{
				kind: 'ask',
				request: {
					question,
					history: exchangesOf(this.history),
					...answerSettings(settings),
					focus: editorFocus(folder.uri, true),
				},
				source: workspaceSource(folder, undefined, settings.followExternalLinks),
			},
			question,
			source,
			requestId,
		);
	}

	async summarize(scope: SummaryScope, source: JobSource = 'command'): Promise<void> {
		const folder = this.workspaceFolder();
		if (!folder) {
			void vscode.window.showErrorMessage('LongRoPE: open a folder first.');
			return;
		}
		const settings = this.settings();
		const { where, label, focus } = summaryTarget(scope, folder.uri);
		await this.run(
			{
				kind: 'summarize',
				request: {
					scope,
					...answerSettings(settings),
					focus,
				},
				source: workspaceSource(folder, where, settings.followExternalLinks),
			},
			label,
			source,
		);
	}

	/**
	 * Runs `work` as the one request of the moment (a factor search, say), or refuses with a
	 * warning when another runs; Stop Generation cancels it.
	 */
	async exclusive<T>(
		kind: string,
		work: (cancel: vscode.CancellationTokenSource) => Promise<T>,
	): Promise<T | undefined> {
		if (this.running) {
			void vscode.window.showWarningMessage(
				'LongRoPE is busy; stop the running request first.',
			);
			return undefined;
		}
		const cancel = new vscode.CancellationTokenSource();
		this.running = { requestId: `${kind}-${this.nextRequest++}`, cancel };
		try {
			return await work(cancel);
		} finally {
			cancel.dispose();
			this.running = undefined;
		}
	}

	private async run(
		job: EngineJob,
		userText: string,
		source: JobSource,
		requestId = `r${Date.now().toString(36)}-${this.nextRequest++}`,
	): Promise<void> {
		if (this.running) {
			void vscode.window.showWarningMessage(
				'LongRoPE is still answering; stop it first (LongRoPE: Stop Generation).',
			);
			this.broadcast({
				type: 'error',
				requestId,
				message: 'Still answering the previous request: stop it first.',
			});
			return;
		}
		const cancel = new vscode.CancellationTokenSource();
		this.running = { requestId, cancel };
		const user: ChatTurn = { id: `${requestId}-q`, role: 'user', text: userText };
		const assistantId = `${requestId}-a`;
		const history = [...this.history, user];
		await this.saveHistory(history);
		this.broadcast({ type: 'turnStart', requestId, user, assistantId });
		let text = '';
		let note: string | undefined;
		let sources: ChatTurn['sources'];
		let citations: ChatTurn['citations'];
		let outcome: ChatTurn['outcome'] = 'done';
		const started = performance.now();
		try {
			await vscode.window.withProgress(
				{
					location:
						source === 'command'
							? vscode.ProgressLocation.Notification
							: vscode.ProgressLocation.Window,
					title: 'LongRoPE',
					cancellable: true,
				},
				async (progress, token) => {
					token.onCancellationRequested(() => cancel.cancel());
					const report = (p: ProgressInfo) => {
						this.broadcast({ type: 'progress', requestId, progress: p });
						progress.report({ message: progressText(p) });
					};
					report({ phase: 'loading', done: 0, total: 1 });
					const settings = this.settings();
					if (settings.remote) {
						const name = this.workspaceFolder()?.name ?? 'this workspace';
						await requireRemoteApproval(this.context, settings.remote.url, name);
					}
					const info = await this.ensureModel(settings);
					if (!info) throw new JobError('The model could not be loaded.', false);
					if (cancel.token.isCancellationRequested) throw new JobError('Stopped', true);
					this.setStatus({ ...this.status, state: 'busy', model: info.name });
					const onEvent = (event: JobEvent): void => {
						switch (event.type) {
							case 'progress':
								return report(event.progress);
							case 'manifest':
								note = event.note;
								return this.setDiagnostics({
									model: info.name,
									budget: event.budget,
									files: [...event.files],
								});
							case 'plan':
								return this.setDiagnostics({
									factors: event.factors,
									kv: event.kv,
									cacheRebuilt: event.cacheRebuilt,
								});
							case 'delta':
								text = event.reset ? event.text : text + event.text;
								return this.broadcast({
									type: 'delta',
									requestId,
									text: event.text,
									...(event.reset ? { reset: true } : {}),
								});
							default: {
								const never: never = event;
								return never;
							}
						}
					};
					const result = await this.engine.run(job, onEvent, cancel.token);
					text = result.text;
					// An empty answer says why, before what the job itself noted.
					const empty = emptyAnswerNote(text, result.speed, {
						tokens: job.request.answerTokens,
						setting: 'longrope.answerTokens',
					});
					note = [empty, result.note].filter(Boolean).join(' ') || undefined;
					sources = result.sources;
					citations = result.citations;
					this.setDiagnostics({ speed: result.speed, kv: result.kv });
					this.setStatus({
						state: 'idle',
						model: info.name,
						set: result.set,
						contextUsed: result.plannedLength,
						contextWindow: result.window,
					});
					this.output.appendLine(
						`${job.kind}: ${result.speed.promptTokens} prompt tokens (${result.speed.reusedTokens} reused), ${result.speed.newTokens} new, set ${result.set}, time to first token ${result.speed.timeToFirstTokenMs.toFixed(0)} ms, prefill ${result.speed.prefillTokensPerSecond.toFixed(0)} tok/s, decode ${result.speed.decodeTokensPerSecond.toFixed(1)} tok/s, ${(performance.now() - started).toFixed(0)} ms in all${result.promptSha256 ? `; prompt sha256 ${result.promptSha256}` : ''}`,
					);
				},
			);
		} catch (err) {
			const stopped = err instanceof JobError && err.cancelled;
			outcome = stopped ? 'stopped' : 'error';
			const message = (err as Error).message;
			if (stopped && !text.trim()) {
				note = [STOPPED_BEFORE_TEXT, note].filter(Boolean).join(' ');
			} else if (!stopped) {
				note = message;
				this.output.appendLine(`${job.kind} failed: ${message}`);
				if (source === 'command')
					void vscode.window.showErrorMessage(`LongRoPE: ${message}`);
			}
			this.setStatus({
				...this.status,
				state: this.status.state === 'no-model' ? 'no-model' : stopped ? 'idle' : 'error',
				...(stopped ? {} : { detail: message }),
			});
		} finally {
			cancel.dispose();
			this.running = undefined;
			const answer: ChatTurn = {
				id: assistantId,
				role: 'assistant',
				text,
				outcome,
				...(note ? { note } : {}),
				...(sources && sources.length > 0 ? { sources } : {}),
				...(citations && citations.length > 0 ? { citations } : {}),
			};
			await this.saveHistory([...history, answer]);
			this.broadcast({
				type: 'turnEnd',
				requestId,
				outcome,
				text,
				...(note ? { note } : {}),
				...(sources && sources.length > 0 ? { sources } : {}),
				...(citations && citations.length > 0 ? { citations } : {}),
			});
		}
	}

	dispose(): void {
		this.stop();
		this.engine.dispose();
		this.statusEmitter.dispose();
	}
}
