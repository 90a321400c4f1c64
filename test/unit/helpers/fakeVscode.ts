import Module from 'node:module';
import * as path from 'node:path';

type Listener<T> = (value: T) => void;

class FakeEventEmitter<T> {
	private listeners = new Set<Listener<T>>();
	readonly event = (listener: Listener<T>) => {
		this.listeners.add(listener);
		return { dispose: () => this.listeners.delete(listener) };
	};
	fire(value: T): void {
		for (const listener of [...this.listeners]) listener(value);
	}
	dispose(): void {
		this.listeners.clear();
	}
}

class FakeUri {
	constructor(
		readonly scheme: string,
		readonly fsPath: string,
	) {}
	get path(): string {
		return this.fsPath;
	}
	toString(): string {
		return `${this.scheme}://${this.fsPath}`;
	}
	static file(p: string): FakeUri {
		return new FakeUri('file', path.resolve(p));
	}
	static joinPath(base: FakeUri, ...parts: string[]): FakeUri {
		return new FakeUri(base.scheme, path.join(base.fsPath, ...parts));
	}
}

/** A webview view as resolveWebviewView gets it; records what the extension posts. */
export class FakeWebviewView {
	posted: unknown[] = [];
	html = '';
	options: { localResourceRoots?: FakeUri[]; enableScripts?: boolean } = {};
	visible = true;
	private readonly received = new FakeEventEmitter<unknown>();
	private readonly disposed = new FakeEventEmitter<void>();
	readonly webview = {
		cspSource: 'vscode-resource:',
		asWebviewUri: (uri: FakeUri) => new FakeUri('vscode-resource', uri.fsPath),
		postMessage: async (message: unknown) => {
			this.posted.push(message);
			return true;
		},
		onDidReceiveMessage: this.received.event,
		get html(): string {
			return '';
		},
	};
	constructor() {
		Object.defineProperty(this.webview, 'html', {
			get: () => this.html,
			set: (value: string) => (this.html = value),
		});
		Object.defineProperty(this.webview, 'options', {
			get: () => this.options,
			set: (value: FakeWebviewView['options']) => (this.options = value),
		});
	}
	readonly onDidDispose = this.disposed.event;
	/** The page sends a message to the extension. */
	send(message: unknown): void {
		this.received.fire(message);
	}
}

/**
 * Just enough of the `vscode` module for activate(), the commands and the views, recording what
 * the extension shows. Importing this file makes `require('vscode')` return it, so import it
 * before the extension's modules; reset() between tests.
 */
class FakeVscode {
	settings: Record<string, unknown> = {};
	inputBoxAnswer: string | undefined;
	errorChoice: string | undefined;
	errors: string[] = [];
	warnings: string[] = [];
	infos: string[] = [];
	quickPicks: string[][] = [];
	quickPickAnswer: string | undefined;
	openDialogAnswer: FakeUri[] | undefined;
	progress: unknown[] = [];
	executed: unknown[][] = [];
	output: string[] = [];
	commands = new Map<string, (...args: unknown[]) => unknown>();
	viewProviders = new Map<string, { resolveWebviewView(view: FakeWebviewView): void }>();
	statusItems: { text: string; tooltip: string; visible: boolean }[] = [];
	workspaceState = new Map<string, unknown>();
	secrets = new Map<string, string>();
	/** What the next warning's buttons answer (undefined: dismissed). */
	warningChoice: string | undefined;
	clipboard = '';
	workspaceFolders: { uri: FakeUri; name: string; index: number }[] | undefined;

	reset(): void {
		this.settings = {};
		this.inputBoxAnswer = undefined;
		this.errorChoice = undefined;
		this.errors = [];
		this.warnings = [];
		this.infos = [];
		this.quickPicks = [];
		this.quickPickAnswer = undefined;
		this.openDialogAnswer = undefined;
		this.progress = [];
		this.executed = [];
		this.output = [];
		this.commands = new Map();
		this.viewProviders = new Map();
		this.statusItems = [];
		this.workspaceState = new Map();
		this.secrets = new Map();
		this.warningChoice = undefined;
		this.clipboard = '';
		this.workspaceFolders = undefined;
	}

	/** An ExtensionContext for activate(). */
	context(extensionPath: string): {
		extensionPath: string;
		extensionUri: FakeUri;
		subscriptions: { dispose(): void }[];
		workspaceState: {
			get<T>(key: string, fallback: T): T;
			update(key: string, value: unknown): Promise<void>;
		};
		secrets: {
			get(key: string): Promise<string | undefined>;
			store(key: string, value: string): Promise<void>;
			delete(key: string): Promise<void>;
		};
	} {
		return {
			extensionPath,
			extensionUri: FakeUri.file(extensionPath),
			subscriptions: [],
			secrets: {
				get: async (key: string) => this.secrets.get(key),
				store: async (key: string, value: string) => void this.secrets.set(key, value),
				delete: async (key: string) => void this.secrets.delete(key),
			},
			workspaceState: {
				get: <T>(key: string, fallback: T) =>
					(this.workspaceState.get(key) as T | undefined) ?? fallback,
				update: async (key: string, value: unknown) => {
					this.workspaceState.set(key, value);
				},
			},
		};
	}

	/** Resolves a contributed webview view and returns it. */
	resolveView(id: string): FakeWebviewView {
		const provider = this.viewProviders.get(id);
		if (!provider) throw new Error(`no provider for view ${id}`);
		const view = new FakeWebviewView();
		provider.resolveWebviewView(view);
		return view;
	}

	readonly module = {
		Uri: FakeUri,
		EventEmitter: FakeEventEmitter,
		StatusBarAlignment: { Left: 1, Right: 2 },
		ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
		ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
		ViewColumn: { One: 1 },
		CancellationTokenSource: class {
			private readonly emitter = new FakeEventEmitter<void>();
			private cancelled = false;
			readonly token = {
				isCancellationRequested: false,
				onCancellationRequested: this.emitter.event,
			};
			cancel() {
				if (this.cancelled) return;
				this.cancelled = true;
				this.token.isCancellationRequested = true;
				this.emitter.fire();
			}
			dispose() {
				this.emitter.dispose();
			}
		},
		env: {
			clipboard: {
				writeText: async (text: string) => {
					this.clipboard = text;
				},
			},
		},
		workspace: {
			get workspaceFolders() {
				return fakeVscode.workspaceFolders;
			},
			textDocuments: [],
			onDidChangeConfiguration: () => ({ dispose: () => undefined }),
			getWorkspaceFolder: () => fakeVscode.workspaceFolders?.[0],
			getConfiguration: () => ({
				// As VS Code does, objects come as read-only proxies (which cannot be cloned).
				get: <T>(key: string, fallback: T): T => {
					const value = this.settings[key] as T | undefined;
					return value !== null && typeof value === 'object'
						? readOnly(value)
						: (value ?? fallback);
				},
				update: async (key: string, value: unknown) => {
					this.settings[key] = value;
				},
			}),
		},
		window: {
			activeTextEditor: undefined,
			tabGroups: { all: [] },
			createOutputChannel: () => ({
				clear: () => this.output.splice(0),
				appendLine: (line: string) => this.output.push(line),
				show: () => undefined,
				dispose: () => undefined,
			}),
			createStatusBarItem: () => {
				const item = {
					text: '',
					tooltip: '',
					visible: false,
					name: '',
					command: '',
					accessibilityInformation: undefined as unknown,
					show: () => (item.visible = true),
					dispose: () => (item.visible = false),
				};
				this.statusItems.push(item);
				return item;
			},
			registerWebviewViewProvider: (
				id: string,
				provider: { resolveWebviewView(view: FakeWebviewView): void },
			) => {
				this.viewProviders.set(id, provider);
				return { dispose: () => this.viewProviders.delete(id) };
			},
			setStatusBarMessage: () => ({ dispose: () => undefined }),
			showErrorMessage: async (message: string) => {
				this.errors.push(message);
				return this.errorChoice;
			},
			showWarningMessage: async (message: string) => {
				this.warnings.push(message);
				return this.warningChoice;
			},
			withProgress: async <T>(
				_options: unknown,
				task: (
					progress: { report(value: unknown): void },
					token: { isCancellationRequested: boolean; onCancellationRequested: unknown },
				) => Promise<T>,
			): Promise<T> => {
				const token = new fakeVscode.module.CancellationTokenSource().token;
				return task({ report: (value) => this.progress.push(value) }, token);
			},
			showInformationMessage: async (message: string) => {
				this.infos.push(message);
				return undefined;
			},
			showQuickPick: async (items: { label: string }[]) => {
				this.quickPicks.push(items.map((i) => i.label));
				return items.find((i) => i.label === this.quickPickAnswer);
			},
			showOpenDialog: async () => this.openDialogAnswer,
			showInputBox: async (options: { validateInput(text: string): string | undefined }) => {
				if (this.inputBoxAnswer !== undefined) {
					const problem = options.validateInput(this.inputBoxAnswer);
					if (problem) throw new Error(`input box refused the answer: ${problem}`);
				}
				return this.inputBoxAnswer;
			},
		},
		commands: {
			registerCommand: (id: string, run: (...args: unknown[]) => unknown) => {
				this.commands.set(id, run);
				return { dispose: () => this.commands.delete(id) };
			},
			executeCommand: async (...args: unknown[]) => {
				this.executed.push(args);
			},
		},
	};
}

export const fakeVscode = new FakeVscode();

const loader = Module as unknown as {
	_load(request: string, parent: unknown, isMain: boolean): unknown;
};
const originalLoad = loader._load;
loader._load = function (request, parent, isMain) {
	return request === 'vscode'
		? fakeVscode.module
		: originalLoad.call(this, request, parent, isMain);
};

/** A read-only view of a settings object, like the proxies VS Code's getConfiguration returns. */
function readOnly<T extends object>(value: T): T {
	return new Proxy(value, {
		get: (target, key) => {
			const inner: unknown = Reflect.get(target, key);
			return inner !== null && typeof inner === 'object' ? readOnly(inner) : inner;
		},
		set: () => {
			throw new TypeError('settings are read-only');
		},
		deleteProperty: () => {
			throw new TypeError('settings are read-only');
		},
	});
}
