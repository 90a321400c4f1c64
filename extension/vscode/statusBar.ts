import * as vscode from 'vscode';
import type { EngineStatus } from '../protocol';

export function compactTokens(n: number): string {
	if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
	if (n >= 10_000) return `${Math.round(n / 1000)}k`;
	if (n >= 1000) return `${(n / 1000).toFixed(1)}k`;
	return String(n);
}

/** The status bar's text and tooltip for a state: model, active factor set, context used. */
export function statusBarText(status: EngineStatus): { text: string; tooltip: string } {
	const model = status.model ?? 'LongRoPE';
	const parts = [model];
	if (status.set) parts.push(status.set);
	if (status.contextUsed !== undefined && status.contextWindow)
		parts.push(`${compactTokens(status.contextUsed)}/${compactTokens(status.contextWindow)}`);
	const icon =
		status.state === 'busy' || status.state === 'loading'
			? '$(loading~spin)'
			: status.state === 'error' || status.state === 'no-model'
				? '$(warning)'
				: '$(sparkle)';
	const lines = [
		`LongRoPE Assistant — ${status.state === 'no-model' ? 'no model' : status.state}`,
		`Model: ${status.model ?? 'not loaded yet'}`,
		`Factor set: ${status.set ?? 'chosen per request'}`,
		status.contextUsed !== undefined && status.contextWindow
			? `Last request: ${status.contextUsed} of ${status.contextWindow} tokens planned`
			: 'No request yet',
		status.remote
			? `Workspace text is sent to ${status.remote}`
			: 'Runs on this machine: no workspace text leaves it',
		...(status.detail ? [status.detail] : []),
	];
	return { text: `${icon} ${parts.join(' · ')}`, tooltip: lines.join('\n') };
}

export function createStatusBar(onDidChange: vscode.Event<EngineStatus>): vscode.Disposable {
	const item = vscode.window.createStatusBarItem(
		'longrope.status',
		vscode.StatusBarAlignment.Right,
		100,
	);
	item.name = 'LongRoPE Assistant';
	item.command = 'longrope.openChat';
	const show = (status: EngineStatus) => {
		const { text, tooltip } = statusBarText(status);
		item.text = text;
		item.tooltip = tooltip;
		item.accessibilityInformation = { label: tooltip.split('\n').join(', ') };
	};
	show({ state: 'idle' });
	item.show();
	const sub = onDidChange(show);
	return { dispose: () => (sub.dispose(), item.dispose()) };
}
