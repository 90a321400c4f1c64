import {
	PROTOCOL_VERSION,
	isHostToWebview,
	type HostToWebview,
	type ViewKind,
	type WebviewToHost,
} from '../extension/protocol';
import { ChatView } from './chat';
import { DiagnosticsView } from './diagnostics';
import { createRenderer } from './markdown';

interface VsCodeApi {
	postMessage(message: WebviewToHost): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (message: WebviewToHost) => vscode.postMessage(message);
const view: ViewKind = document.body.dataset.view === 'diagnostics' ? 'diagnostics' : 'chat';
const root = document.getElementById('app') ?? document.body;
const target: { handle(message: HostToWebview): void } =
	view === 'chat'
		? new ChatView(root, post, createRenderer(window))
		: new DiagnosticsView(root, post);

window.addEventListener('message', (event: MessageEvent<unknown>) => {
	if (!isHostToWebview(event.data)) {
		console.warn('LongRoPE: dropped a malformed message', event.data);
		return;
	}
	if (event.data.type === 'init')
		document.body.dataset.protocolVersion = String(event.data.protocolVersion);
	target.handle(event.data);
});

post({ type: 'ready', protocolVersion: PROTOCOL_VERSION, view });
