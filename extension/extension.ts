import * as vscode from 'vscode';
import type { ChatTurn, EngineStatus } from './protocol';
import { Assistant } from './vscode/assistant';
import { registerCommands } from './vscode/commands';
import { createStatusBar } from './vscode/statusBar';
import { AssistantView, CHAT_VIEW, DIAGNOSTICS_VIEW } from './vscode/views';

/**
 * Wiring only: every command and view lives in extension/vscode/. Nothing here loads
 * onnxruntime or the model: the engine process starts on the first request.
 */
/** What activate() returns: for tests that drive the extension through VS Code's API. */
export interface LongropeApi {
	readonly activationMs: number;
	status(): EngineStatus;
	history(): ChatTurn[];
}

export function activate(context: vscode.ExtensionContext): LongropeApi {
	const started = performance.now();
	const output = vscode.window.createOutputChannel('LongRoPE');
	const assistant = new Assistant(context, output);
	const views = (['chat', 'diagnostics'] as const).map(
		(kind) => new AssistantView(kind, assistant, context.extensionUri, output),
	);
	context.subscriptions.push(
		output,
		assistant,
		vscode.window.registerWebviewViewProvider(CHAT_VIEW, views[0], {
			webviewOptions: { retainContextWhenHidden: true },
		}),
		vscode.window.registerWebviewViewProvider(DIAGNOSTICS_VIEW, views[1], {
			webviewOptions: { retainContextWhenHidden: true },
		}),
		createStatusBar(assistant.onDidChangeStatus),
		assistant.watchSettings(),
		...registerCommands(context, assistant, output),
	);
	return {
		activationMs: performance.now() - started,
		status: () => assistant.status,
		history: () => assistant.history,
	};
}

export function deactivate(): void {
	// Disposables in context.subscriptions end the engine process.
}
