import * as vscode from 'vscode';

const API_KEY_SECRET = 'longrope.remote.apiKey';
const APPROVED_HOSTS = 'longrope.remote.approvedHosts';

/** The endpoint's API key, from the editor's secret storage (never a setting). */
export function remoteApiKey(context: vscode.ExtensionContext): Thenable<string | undefined> {
	return context.secrets.get(API_KEY_SECRET);
}

/** LongRoPE: Set Remote Endpoint API Key… — stored in the secret storage; empty removes it. */
export async function setRemoteApiKey(context: vscode.ExtensionContext): Promise<void> {
	const key = await vscode.window.showInputBox({
		title: 'LongRoPE: API key of the remote endpoint',
		prompt: 'Sent as a bearer token to longrope.remote.url only. Leave empty to remove the stored key.',
		password: true,
		ignoreFocusOut: true,
	});
	if (key === undefined) return;
	if (key.trim() === '') {
		await context.secrets.delete(API_KEY_SECRET);
		void vscode.window.showInformationMessage('LongRoPE: the remote API key was removed.');
		return;
	}
	await context.secrets.store(API_KEY_SECRET, key.trim());
	void vscode.window.showInformationMessage('LongRoPE: the remote API key is stored.');
}

/**
 * Asks once per workspace and host before workspace text is sent off this machine (the answer
 * is kept in the workspace's state); throws, saying nothing was sent, when the user declines.
 */
export async function requireRemoteApproval(
	context: vscode.ExtensionContext,
	url: string,
	workspaceName: string,
): Promise<void> {
	const host = new URL(url).host;
	const approved = context.workspaceState.get<string[]>(APPROVED_HOSTS, []);
	if (approved.includes(host)) return;
	const choice = await vscode.window.showWarningMessage(
		`LongRoPE will send text from the workspace "${workspaceName}" to ${host} (longrope.remote.url). Send it?`,
		{ modal: true },
		'Send',
	);
	if (choice !== 'Send') {
		throw new Error(
			`Nothing was sent: sending this workspace's text to ${host} was declined. Clear longrope.remote.url to answer with the local model.`,
		);
	}
	await context.workspaceState.update(APPROVED_HOSTS, [...approved, host]);
}
