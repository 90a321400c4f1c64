import * as vscode from 'vscode';
import { formatExplanation } from '../engine/explanation';
import { FactorManager } from '../engine/factorManager';
import { loadModelFolderRopeConfig } from '../runtime/ropeConfigFiles';
import { findModelFolder } from '../runtime/modelFolder';

/**
 * "LongRoPE: Explain Context Factor Sets": asks for a planned request length and shows,
 * for the configured model, which factor set the manager picks and why.
 */
export async function explainFactors(
	extensionRoot: string,
	output: vscode.OutputChannel,
): Promise<void> {
	const settings = vscode.workspace.getConfiguration('longrope');
	const configuredPath = settings.get<string>('modelPath', '');
	const workspaceRoot = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
	const folder = findModelFolder(configuredPath, workspaceRoot, extensionRoot);
	if (!folder) {
		const where = configuredPath.trim() ? `"${configuredPath}"` : 'the bundled models/ folder';
		const choice = await vscode.window.showErrorMessage(
			`LongRoPE: no model config.json found in ${where}. Set "longrope.modelPath" to a model folder that has one.`,
			'Open Settings',
		);
		if (choice) {
			await vscode.commands.executeCommand(
				'workbench.action.openSettings',
				'longrope.modelPath',
			);
		}
		return;
	}
	try {
		const config = await loadModelFolderRopeConfig(folder);
		const planned = await vscode.window.showInputBox({
			title: 'LongRoPE: planned request length',
			prompt: 'Prompt tokens + answer budget of the request to explain',
			value: String(config.geometry.originalWindow),
			validateInput: (text) =>
				/^[1-9]\d*$/.test(text.trim())
					? undefined
					: 'Enter a positive whole number of tokens',
		});
		if (planned === undefined) return;
		const manager = new FactorManager(config);
		try {
			manager.plan({
				plannedLength: Number(planned.trim()),
				override: settings.get<string>('factorSet', 'auto'),
			});
			output.clear();
			output.appendLine(`Model folder: ${folder}`);
			output.appendLine(formatExplanation(manager.explain()));
			output.show(true);
		} finally {
			manager.dispose();
		}
	} catch (error) {
		void vscode.window.showErrorMessage(`LongRoPE: ${(error as Error).message}`);
	}
}
