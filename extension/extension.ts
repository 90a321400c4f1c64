import * as vscode from 'vscode';
import { explainFactors } from './vscode/explainFactorsCommand';

/** Wiring only: every command lives in extension/vscode/. */
export function activate(context: vscode.ExtensionContext): void {
	const output = vscode.window.createOutputChannel('LongRoPE');
	context.subscriptions.push(
		output,
		vscode.commands.registerCommand('longrope.explainFactors', () =>
			explainFactors(context.extensionPath, output),
		),
	);
}
