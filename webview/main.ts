import {
	PROTOCOL_VERSION,
	assertNever,
	isHostToWebview,
	type HostToWebview,
	type WebviewToHost,
} from '../extension/protocol';

interface VsCodeApi {
	postMessage(message: WebviewToHost): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

function handle(message: HostToWebview): void {
	switch (message.type) {
		case 'init':
			document.body.dataset.protocolVersion = String(message.protocolVersion);
			break;
		case 'error':
			showError(message.message);
			break;
		default:
			assertNever(message);
	}
}

function showError(text: string): void {
	const element = document.createElement('p');
	element.className = 'error';
	element.textContent = text;
	document.body.append(element);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
	if (isHostToWebview(event.data)) handle(event.data);
});

vscode.postMessage({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
