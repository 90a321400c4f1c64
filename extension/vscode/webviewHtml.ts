import type * as vscode from 'vscode';
import type { ViewKind } from '../protocol';

export function makeNonce(): string {
	const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	let nonce = '';
	for (let i = 0; i < 32; i++) nonce += chars[Math.floor(Math.random() * chars.length)];
	return nonce;
}

/**
 * The Content-Security-Policy of every view: nothing by default; styles, fonts and images only
 * from the extension's own bundle and media folders; scripts only with this page's nonce. No
 * remote resource can load, no inline handler can run, and markdown from the model cannot add
 * a script even if the sanitizer missed one.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
	return [
		"default-src 'none'",
		`img-src ${cspSource} data:`,
		`style-src ${cspSource}`,
		`font-src ${cspSource}`,
		`script-src 'nonce-${nonce}'`,
		"base-uri 'none'",
		"form-action 'none'",
	].join('; ');
}

export function viewHtml(
	webview: Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>,
	extensionUri: vscode.Uri,
	join: (base: vscode.Uri, ...parts: string[]) => vscode.Uri,
	view: ViewKind,
): string {
	const nonce = makeNonce();
	const uri = (...parts: string[]) =>
		webview.asWebviewUri(join(extensionUri, ...parts)).toString();
	const title = view === 'chat' ? 'LongRoPE chat' : 'LongRoPE diagnostics';
	return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(webview.cspSource, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('dist', 'codicons', 'codicon.css')}">
<link rel="stylesheet" href="${uri('media', 'webview.css')}">
<title>${title}</title>
</head>
<body data-view="${view}">
<div id="app" aria-live="off"></div>
<script nonce="${nonce}" src="${uri('dist', 'webview.js')}"></script>
</body>
</html>`;
}
