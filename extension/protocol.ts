/**
 * The messages between the extension host and the webview. Bundled into both sides, so it
 * imports nothing. Every message has a `type`; replies to a request carry its `requestId`.
 * The webview announces itself with `ready` and the host answers with `init`; the host
 * sends nothing before that, because a webview that is still loading drops messages.
 */
export const PROTOCOL_VERSION = 1;

export type WebviewToHost = { type: 'ready'; protocolVersion: number };

export type HostToWebview =
	| { type: 'init'; protocolVersion: number }
	| { type: 'error'; requestId?: string; message: string };

export function isWebviewToHost(value: unknown): value is WebviewToHost {
	if (!isRecord(value)) return false;
	switch (value.type) {
		case 'ready':
			return typeof value.protocolVersion === 'number';
		default:
			return false;
	}
}

export function isHostToWebview(value: unknown): value is HostToWebview {
	if (!isRecord(value)) return false;
	switch (value.type) {
		case 'init':
			return typeof value.protocolVersion === 'number';
		case 'error':
			return (
				typeof value.message === 'string' &&
				(value.requestId === undefined || typeof value.requestId === 'string')
			);
		default:
			return false;
	}
}

/** The `never` check at the end of every switch over a message union. */
export function assertNever(value: never): never {
	throw new Error(`Unhandled message: ${JSON.stringify(value)}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null;
}
