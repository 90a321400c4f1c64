import * as vscode from 'vscode';
import {
	PROTOCOL_VERSION,
	assertNever,
	isWebviewToHost,
	type HostToWebview,
	type ViewKind,
	type WebviewToHost,
} from '../protocol';
import type { Assistant } from './assistant';
import { openCitation } from './citationLinks';
import { viewHtml } from './webviewHtml';

export const CHAT_VIEW = 'longrope.chat';
export const DIAGNOSTICS_VIEW = 'longrope.diagnostics';

/**
 * A webview view (the chat, or the diagnostics beside it). It loads only the bundle and the
 * media folder, posts nothing before the page says `ready`, and checks every message from the
 * page against the protocol: anything unknown or malformed is logged and dropped.
 */
export class AssistantView implements vscode.WebviewViewProvider {
	private view: vscode.WebviewView | undefined;
	private ready = false;

	constructor(
		readonly kind: ViewKind,
		private readonly assistant: Assistant,
		private readonly extensionUri: vscode.Uri,
		private readonly output: vscode.OutputChannel,
	) {}

	resolveWebviewView(view: vscode.WebviewView): void {
		this.view = view;
		this.ready = false;
		view.webview.options = {
			enableScripts: true,
			enableCommandUris: false,
			localResourceRoots: [
				vscode.Uri.joinPath(this.extensionUri, 'dist'),
				vscode.Uri.joinPath(this.extensionUri, 'media'),
			],
		};
		view.webview.html = viewHtml(
			view.webview,
			this.extensionUri,
			(base, ...parts) => vscode.Uri.joinPath(base, ...parts),
			this.kind,
		);
		const attached = this.assistant.attach({
			kind: this.kind,
			post: (message) => this.post(message),
		});
		const listener = view.webview.onDidReceiveMessage((message: unknown) =>
			this.receive(message),
		);
		view.onDidDispose(() => {
			attached.dispose();
			listener.dispose();
			this.view = undefined;
			this.ready = false;
		});
	}

	get isVisible(): boolean {
		return this.view?.visible ?? false;
	}

	post(message: HostToWebview): void {
		if (!this.view) return;
		if (!this.ready) {
			// `init` carries the whole state; earlier updates are folded into it.
			return;
		}
		void this.view.webview.postMessage(message);
	}

	private receive(raw: unknown): void {
		if (!isWebviewToHost(raw)) {
			this.output.appendLine(
				`Dropped a malformed message from the ${this.kind} view: ${safeJson(raw)}`,
			);
			return;
		}
		const message: WebviewToHost = raw;
		switch (message.type) {
			case 'ready':
				if (message.protocolVersion !== PROTOCOL_VERSION) {
					this.output.appendLine(
						`The ${this.kind} view speaks protocol ${message.protocolVersion}, the host ${PROTOCOL_VERSION}`,
					);
				}
				this.ready = true;
				void this.view?.webview.postMessage({
					type: 'init',
					protocolVersion: PROTOCOL_VERSION,
					view: this.kind,
					history: this.assistant.history,
					status: this.assistant.status,
					diagnostics: this.assistant.diagnostics,
				} satisfies HostToWebview);
				return;
			case 'ask':
				void this.assistant.ask(message.text, 'chat', message.requestId);
				return;
			case 'stop':
				this.assistant.stop();
				return;
			case 'newChat':
				void this.assistant.newChat();
				return;
			case 'openCitation':
				void openCitation(message.path, message.line);
				return;
			case 'copy':
				void vscode.env.clipboard.writeText(message.text);
				void vscode.window.setStatusBarMessage('Copied', 1500);
				return;
			case 'command':
				void vscode.commands.executeCommand(`longrope.${message.command}`);
				return;
			default:
				assertNever(message);
		}
	}
}

function safeJson(value: unknown): string {
	try {
		const text = JSON.stringify(value);
		return text === undefined ? String(value) : text.slice(0, 300);
	} catch {
		return String(value);
	}
}
