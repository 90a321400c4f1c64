import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SummaryScope } from '../engine/prompts/filePrompts';
import type { EditorFocus } from '../engine/workspace/relevance';
import type { ChatTurn, Diagnostics, EngineStatus, HostToWebview, ProgressInfo } from '../protocol';
import { NodeWorkspaceReader } from '../runtime/nodeWorkspaceReader';
import { findModelFolder } from '../runtime/modelFolder';
import { loadModelFolderRopeConfig } from '../runtime/ropeConfigFiles';
import { saveSearchedModel } from './searchedModel';
import { EngineClient, JobError } from './engine/engineClient';
import type { EngineJob, ModelInfo } from './engine/messages';
import { readSettings, type Settings } from './settings';
import { ScopedWorkspaceReader, underFolder } from './workspaceReader';

const HISTORY_KEY = 'longrope.chatHistory';
const MAX_HISTORY = 200;

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
 * The editor's side of every request: settings, the model folder, the engine process, the
 * workspace reader, the chat history and the diagnostics, and what the views and the status
 * bar show. Commands and views call it; it never blocks the extension host: the model runs in
 * the engine process.
 */
export class Assistant implements vscode.Disposable {
	readonly engine: EngineClient;
	private readonly views = new Set<ViewSink>();
	private running: Running | undefined;
	private nextRequest = 1;
	private modelInfo: ModelInfo | undefined;
	private lastSettingsProblems = '';
	status: EngineStatus = { state: 'idle' };
	diagnostics: Diagnostics = {};
	private readonly statusEmitter = new vscode.EventEmitter<EngineStatus>();
	readonly onDidChangeStatus = this.statusEmitter.event;

	constructor(
		private readonly context: vscode.ExtensionContext,
		private readonly output: vscode.OutputChannel,
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
			this.remote = settings.remote?.url;
			const folder = findModelFolder(
				settings.modelPath,
				vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
				this.context.extensionPath,
			);
			if (this.running) return;
			const remote = settings.remote ? { remote: settings.remote.url } : {};
			this.setStatus(
				folder
					? { state: 'idle', model: path.basename(folder), ...remote }
					: {
							state: 'no-model',
							detail: settings.modelPath
								? `no model config.json in "${settings.modelPath}"`
								: 'no bundled model under models/',
						},
			);
		};
		const timer = setTimeout(refresh, 0);
		const listener = vscode.workspace.onDidChangeConfiguration((event) => {
			if (event.affectsConfiguration('longrope')) {
				this.lastSettingsProblems = '';
				refresh();
			}
		});
		return { dispose: () => (clearTimeout(timer), listener.dispose()) };
	}

	get history(): ChatTurn[] {
		return this.context.workspaceState.get<ChatTurn[]>(HISTORY_KEY, []);
	}

	private async saveHistory(turns: ChatTurn[]): Promise<void> {
		await this.context.workspaceState.update(HISTORY_KEY, turns.slice(-MAX_HISTORY));
	}

	get busy(): boolean {
		return this.running !== undefined;
	}

	attach(view: ViewSink): vscode.Disposable {
		this.views.add(view);
		return { dispose: () => this.views.delete(view) };
	}

	private broadcast(message: HostToWebview, kind?: ViewSink['kind']): void {
		for (const view of this.views) if (!kind || view.kind === kind) view.post(message);
	}

	private remote: string | undefined;

	private setStatus(status: EngineStatus): void {
		status = { ...status, ...(this.remote ? { remote: this.remote } : {}) };
		if (!this.remote && status.remote) {
			const local: { -readonly [K in keyof EngineStatus]: EngineStatus[K] } = { ...status };
			delete local.remote;
			status = local;
		}
		this.status = status;
		this.statusEmitter.fire(status);
		this.broadcast({ type: 'status', status });
	}

	private setDiagnostics(update: Diagnostics): void {
		this.diagnostics = { ...this.diagnostics, ...update };
		this.broadcast({ type: 'diagnostics', diagnostics: this.diagnostics });
	}

	settings(): Settings {
		const checked = readSettings(vscode.workspace.getConfiguration('longrope'));
		this.remote = checked.settings.remote?.url;
		const problems = checked.problems.join('\n');
		if (problems && problems !== this.lastSettingsProblems) {
			void vscode.window
				.showWarningMessage(
					`LongRoPE settings: ${checked.problems.join('; ')}`,
					'Open Settings',
				)
				.then((choice) => {
					if (choice)
						void vscode.commands.executeCommand(
							'workbench.action.openSettings',
							'longrope.',
						);
				});
		}
		this.lastSettingsProblems = problems;
		return checked.settings;
	}

	workspaceFolder(): vscode.WorkspaceFolder | undefined {
		const active = vscode.window.activeTextEditor?.document.uri;
		return (
			(active && vscode.workspace.getWorkspaceFolder(active)) ??
			vscode.workspace.workspaceFolders?.[0]
		);
	}

	/** The model folder the settings select, or undefined after telling the user why not. */
	modelFolder(settings: Settings): string | undefined {
		const folder = findModelFolder(
			settings.modelPath,
			vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
			this.context.extensionPath,
		);
		if (!folder) {
			const where = settings.modelPath
				? `"${settings.modelPath}"`
				: 'the bundled models/ folder';
			this.setStatus({ state: 'no-model', detail: `no model config.json in ${where}` });
			void vscode.window
				.showErrorMessage(
					`LongRoPE: no model config.json found in ${where}. Set "longrope.modelPath" to a model folder that has one.`,
					'Select Model Folder',
					'Open Settings',
				)
				.then((choice) => {
					if (choice === 'Select Model Folder')
						void vscode.commands.executeCommand('longrope.selectModel');
					else if (choice === 'Open Settings')
						void vscode.commands.executeCommand(
							'workbench.action.openSettings',
							'longrope.modelPath',
						);
				});
		}
		return folder;
	}

	private relative(root: vscode.Uri, uri: vscode.Uri): string | undefined {
		if (uri.scheme !== 'file') return undefined;
		const rel = path.relative(root.fsPath, uri.fsPath);
		if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
		return rel.split(path.sep).join('/');
	}

	/** Where the user is: the selection, the active editor and the open tabs. */
	editorFocus(root: vscode.Uri, withSelection: boolean): EditorFocus {
		const editor = vscode.window.activeTextEditor;
		const active = editor ? this.relative(root, editor.document.uri) : undefined;
		const open = new Set<string>();
		for (const group of vscode.window.tabGroups?.all ?? []) {
			for (const tab of group.tabs) {
				const input = tab.input as { uri?: vscode.Uri } | undefined;
				const rel = input?.uri ? this.relative(root, input.uri) : undefined;
				if (rel) open.add(rel);
			}
		}
		let selection: EditorFocus['selection'];
		if (withSelection && editor && active && !editor.selection.isEmpty) {
			selection = {
				path: active,
				fromLine: editor.selection.start.line + 1,
				toLine: editor.selection.end.line + 1,
				text: editor.document.getText(editor.selection),
			};
		}
		return {
			...(selection ? { selection } : {}),
			...(active ? { activeEditor: active } : {}),
			openEditors: [...open],
		};
	}

	private reader(
		folder: vscode.WorkspaceFolder,
		include?: (path: string) => boolean,
	): ScopedWorkspaceReader {
		const files = vscode.workspace.getConfiguration('files', folder.uri);
		const exclude = files.get<Record<string, boolean>>('exclude', {});
		const dirty = new Map<string, string>();
		for (const doc of vscode.workspace.textDocuments) {
			if (!doc.isDirty) continue;
			const rel = this.relative(folder.uri, doc.uri);
			if (rel) dirty.set(rel, doc.getText());
		}
		return new ScopedWorkspaceReader(new NodeWorkspaceReader(folder.uri.fsPath, { exclude }), {
			include,
			overlay: (p) => dirty.get(p),
		});
	}

	/** Loads the model in the engine process if needed. */
	async ensureModel(settings: Settings): Promise<ModelInfo | undefined> {
		const folder = this.modelFolder(settings);
		if (!folder) return undefined;
		const name = path.basename(folder);
		if (!this.engine.isRunning || this.modelInfo?.folder !== folder) {
			this.setStatus({ ...this.status, state: 'loading', model: name });
		}
		try {
			this.modelInfo = await this.engine.load(folder, {
				intraOpThreads: settings.threads,
				maxKvCacheBytes: settings.maxKvCacheBytes,
				...(this.context.globalStorageUri
					? { cacheDir: this.context.globalStorageUri.fsPath }
					: {}),
			});
			this.output.appendLine(
				`Model ${this.modelInfo.folder} ready (engine started in ${this.engine.startMs?.toFixed(0) ?? '?'} ms, model loaded in ${this.modelInfo.loadMs.toFixed(0)} ms)`,
			);
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
				question,
				...this.common(settings, folder, true),
			},
			folder,
			undefined,
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
		let include: ((p: string) => boolean) | undefined;
		let withSelection = false;
		let label: string;
		switch (scope.kind) {
			case 'file':
				include = (p) => p === scope.path;
				label = `Summarize the file \`${scope.path}\``;
				break;
			case 'selection':
				include = (p) => p === scope.path;
				withSelection = true;
				label = `Summarize lines ${scope.from}–${scope.to} of \`${scope.path}\``;
				break;
			case 'folder':
				include = underFolder(scope.path);
				label = `Summarize the folder \`${scope.path}\``;
				break;
			case 'workspace':
				label = `Summarize the workspace ${scope.name}`;
				break;
			default: {
				const never: never = scope;
				return never;
			}
		}
		const focus = this.editorFocus(folder.uri, withSelection);
		await this.run(
			{
				kind: 'summarize',
				scope,
				...this.common(settings, folder, false),
				focus: include
					? {
							...focus,
							...(focus.activeEditor && !include(focus.activeEditor)
								? { activeEditor: undefined }
								: {}),
							openEditors: (focus.openEditors ?? []).filter(include),
						}
					: focus,
			},
			folder,
			include,
			label,
			source,
		);
	}

	private common(settings: Settings, folder: vscode.WorkspaceFolder, withSelection: boolean) {
		return {
			answerTokens: settings.answerTokens,
			override: settings.factorSet,
			sampling: settings.sampling,
			maxContextTokens: settings.maxContextTokens,
			focus: this.editorFocus(folder.uri, withSelection),
			workspaceName: folder.name,
			...(settings.remote ? { remote: settings.remote } : {}),
		};
	}

	private async run(
		job: EngineJob,
		folder: vscode.WorkspaceFolder,
		include: ((p: string) => boolean) | undefined,
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
					const info = await this.ensureModel(this.settings());
					if (!info) throw new JobError('The model could not be loaded.', false);
					if (cancel.token.isCancellationRequested) throw new JobError('Stopped', true);
					this.setStatus({ ...this.status, state: 'busy', model: info.name });
					if (job.remote)
						this.setDiagnostics({ factors: undefined, cacheRebuilt: undefined });
					const result = await this.engine.run(
						job,
						this.reader(folder, include),
						{
							onProgress: report,
							onManifest: (m) => {
								note = m.note;
								this.setDiagnostics({
									model: info.name,
									budget: m.budget,
									files: m.files,
								});
							},
							onPlan: (plan) =>
								this.setDiagnostics({
									factors: plan.factors,
									kv: plan.kv,
									cacheRebuilt: plan.cacheRebuilt,
								}),
							onDelta: (delta, reset) => {
								text = reset ? delta : text + delta;
								this.broadcast({
									type: 'delta',
									requestId,
									text: delta,
									...(reset ? { reset } : {}),
								});
							},
						},
						cancel.token,
					);
					text = result.text;
					note = result.note;
					sources = result.sources;
					this.setDiagnostics({ speed: result.speed, kv: result.kv });
					this.setStatus({
						state: 'idle',
						model: info.name,
						set: result.set,
						contextUsed: result.plannedLength,
						contextWindow: result.window,
					});
					this.output.appendLine(
						`${job.kind}: ${result.speed.promptTokens} prompt tokens (${result.speed.reusedTokens} reused), ${result.speed.newTokens} new, set ${result.set}, prefill ${result.speed.prefillTokensPerSecond.toFixed(0)} tok/s, decode ${result.speed.decodeTokensPerSecond.toFixed(1)} tok/s, ${(performance.now() - started).toFixed(0)} ms in all`,
					);
				},
			);
		} catch (err) {
			const stopped = err instanceof JobError && err.cancelled;
			outcome = stopped ? 'stopped' : 'error';
			const message = (err as Error).message;
			if (!stopped) {
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
			};
			await this.saveHistory([...history, answer]);
			this.broadcast({
				type: 'turnEnd',
				requestId,
				outcome,
				text,
				...(note ? { note } : {}),
				...(sources && sources.length > 0 ? { sources } : {}),
			});
		}
	}

	/**
	 * Searches LongRoPE factors on the workspace's own text, then saves the set into a model
	 * folder of the extension's global storage (the bundled files are never written): the
	 * model's config, tokenizer and weights (linked), and a longrope.json with the new set.
	 */
	async searchFactors(): Promise<void> {
		const folder = this.workspaceFolder();
		if (!folder) {
			void vscode.window.showErrorMessage('LongRoPE: open a folder first.');
			return;
		}
		if (this.running) {
			void vscode.window.showWarningMessage(
				'LongRoPE is busy; stop the running request first.',
			);
			return;
		}
		const settings = this.settings();
		const modelFolder = this.modelFolder(settings);
		if (!modelFolder) return;
		const rope = await loadModelFolderRopeConfig(modelFolder);
		const window = rope.geometry.originalWindow;
		const lengths = [2, 4, 8].map((k) => k * window);
		const length = await vscode.window.showQuickPick(
			lengths.map((n, k) => ({
				label: `${n} tokens`,
				description: `${[2, 4, 8][k]}× the original window (${window})`,
				value: n,
			})),
			{ title: 'LongRoPE: search factors for which length?' },
		);
		if (!length) return;
		const effort = await vscode.window.showQuickPick(
			[
				{
					label: 'Quick',
					description: 'population 16, 6 rounds, progressive (half length first)',
					rounds: 6,
					populationSize: 16,
					budget: true,
					samples: 1,
				},
				{
					label: 'As in the paper',
					description: 'population 64, 40 rounds, 2 samples (hours on a laptop)',
					rounds: 40,
					populationSize: 64,
					budget: false,
					samples: 2,
				},
			],
			{ title: 'LongRoPE: search effort' },
		);
		if (!effort) return;
		const storage = this.context.globalStorageUri.fsPath;
		const stateFile = path.join(
			storage,
			'search',
			`${path.basename(modelFolder)}-${length.value}.state.json`,
		);
		const cancel = new vscode.CancellationTokenSource();
		this.running = { requestId: `search-${this.nextRequest++}`, cancel };
		try {
			const result = await vscode.window.withProgress(
				{
					location: vscode.ProgressLocation.Notification,
					title: `LongRoPE: searching factors for ${length.value} tokens`,
					cancellable: true,
				},
				async (progress, token) => {
					token.onCancellationRequested(() => cancel.cancel());
					progress.report({ message: 'loading the model…' });
					const info = await this.ensureModel(settings);
					if (!info) throw new JobError('The model could not be loaded.', false);
					let last = 0;
					return this.engine.search(
						{
							kind: 'search',
							workspaceName: folder.name,
							targetLength: length.value,
							rounds: effort.rounds,
							populationSize: effort.populationSize,
							budget: effort.budget,
							samples: effort.samples,
							stateFile,
						},
						this.reader(folder),
						{
							onProgress: (p) => {
								const share = p.total > 0 ? (100 * p.done) / p.total : 0;
								progress.report({
									message: progressText(p),
									increment: Math.max(0, share - last),
								});
								last = Math.max(last, share);
							},
						},
						cancel.token,
					);
				},
			);
			const target = path.join(
				storage,
				'models',
				`${path.basename(modelFolder)}-${folder.name}`.replace(/[^\w.-]+/g, '_'),
			);
			const saved = saveSearchedModel(modelFolder, target, result.set, rope.geometry);
			const baselines = Object.entries(result.baselines)
				.map(([k, v]) => `${k} ${v.toFixed(2)}`)
				.join(', ');
			this.output.appendLine(
				`Factor search: set "${result.set.name}" for ${result.set.maxLength} tokens, perplexity ${result.best.toFixed(3)} (${baselines}) on ${result.samples} sample(s) of this workspace; saved to ${saved}`,
			);
			const choice = await vscode.window.showInformationMessage(
				`LongRoPE: found "${result.set.name}" (perplexity ${result.best.toFixed(2)}; ${baselines}). It is saved in a model folder of its own; the bundled model is unchanged.`,
				'Use This Model',
				'Show Folder',
			);
			if (choice === 'Use This Model') {
				await vscode.workspace
					.getConfiguration('longrope')
					.update('modelPath', saved, vscode.ConfigurationTarget.Global);
			} else if (choice === 'Show Folder') {
				void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(saved));
			}
		} catch (err) {
			if (err instanceof JobError && err.cancelled) {
				void vscode.window.showInformationMessage(
					`LongRoPE: factor search stopped; its state is in ${stateFile}.`,
				);
			} else {
				void vscode.window.showErrorMessage(
					`LongRoPE: factor search failed: ${(err as Error).message}`,
				);
			}
		} finally {
			cancel.dispose();
			this.running = undefined;
		}
	}

	/** Opens `path:line` from an answer, if it names a file inside the workspace. */
	async openCitation(file: string, line: number): Promise<boolean> {
		const folder = this.workspaceFolder();
		if (!folder) return false;
		const clean = file.replace(/\\/g, '/').replace(/^\.\//, '');
		const target = path.resolve(folder.uri.fsPath, clean);
		const rel = path.relative(folder.uri.fsPath, target);
		let uri: vscode.Uri | undefined;
		if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
			const candidate = vscode.Uri.file(target);
			try {
				await vscode.workspace.fs.stat(candidate);
				uri = candidate;
			} catch {
				uri = undefined;
			}
		}
		if (!uri && !clean.includes('..')) {
			const found = await vscode.workspace.findFiles(
				new vscode.RelativePattern(folder, `**/${clean}`),
				undefined,
				1,
			);
			uri = found[0];
		}
		if (!uri) {
			void vscode.window.showWarningMessage(
				`LongRoPE: ${file} is not a file of this workspace.`,
			);
			return false;
		}
		const document = await vscode.workspace.openTextDocument(uri);
		const at = Math.max(0, Math.min(line - 1, document.lineCount - 1));
		const range = new vscode.Range(at, 0, at, 0);
		await vscode.window.showTextDocument(document, {
			selection: range,
			preview: true,
			viewColumn: vscode.ViewColumn.One,
		});
		return true;
	}

	dispose(): void {
		this.stop();
		this.engine.dispose();
		this.statusEmitter.dispose();
	}
}

export function progressText(p: ProgressInfo): string {
	switch (p.phase) {
		case 'loading':
			return 'loading the model…';
		case 'scanning':
			return `reading the workspace: ${p.detail ?? `${p.done} files`}`;
		case 'packing':
			return `packing ${p.total} files into the context…`;
		case 'prefill':
			return `reading the prompt: ${p.done}/${p.total} tokens${p.etaSeconds !== undefined ? `, ${formatEta(p.etaSeconds)} left` : ''}`;
		case 'generating':
			return `answering: ${p.done} tokens`;
		case 'search':
			return `searching factors: round ${p.done}/${p.total}${p.detail ? ` — ${p.detail.replace(/^search \S+ /, '')}` : ''}`;
		default: {
			const never: never = p.phase;
			return never;
		}
	}
}

export function formatEta(seconds: number): string {
	if (!Number.isFinite(seconds)) return '…';
	if (seconds < 1) return '<1 s';
	if (seconds < 90) return `${Math.round(seconds)} s`;
	return `${Math.round(seconds / 60)} min`;
}
