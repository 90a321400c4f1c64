import * as vscode from 'vscode';
import { findModelFolder } from '../runtime/modelFolder';
import { readSettings, type Settings } from './settings';

/** The model folder the settings select (relative paths against the first workspace folder). */
export function configuredModelFolder(
	settings: Settings,
	extensionPath: string,
): string | undefined {
	return findModelFolder(
		settings.modelPath,
		vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
		extensionPath,
	);
}

/** For the status bar: why no model folder was found. */
export function missingModelDetail(settings: Settings): string {
	return settings.modelPath
		? `no model config.json or genai_config.json in "${settings.modelPath}"`
		: 'no bundled model under models/';
}

/** Tells the user that no model folder was found, and offers to choose one. */
export function offerModelChoice(settings: Settings): void {
	const where = settings.modelPath ? `"${settings.modelPath}"` : 'the bundled models/ folder';
	void vscode.window
		.showErrorMessage(
			`LongRoPE: no model found in ${where}. Set "longrope.modelPath" to a model folder (config.json, or an ONNX Runtime GenAI export with genai_config.json).`,
			'Select Model Folder',
			'Open Settings',
		)
		.then((choice) => {
			if (choice === 'Select Model Folder')
				void vscode.commands.executeCommand('longrope.selectModel');
			else if (choice === 'Open Settings')
				void vscode.commands.executeCommand(
					'workbench.action.openSettings',
					'longrope.modelPath',
				);
		});
}

/**
 * The checked `longrope.*` settings; problems are shown once each time they change (one typo in
 * settings.json must not nag on every request).
 */
export class SettingsReader {
	private lastProblems = '';

	read(): Settings {
		const checked = readSettings(vscode.workspace.getConfiguration('longrope'));
		const problems = checked.problems.join('\n');
		if (problems && problems !== this.lastProblems) {
			void vscode.window
				.showWarningMessage(
					`LongRoPE settings: ${checked.problems.join('; ')}`,
					'Open Settings',
				)
				.then((choice) => {
					if (choice)
						void vscode.commands.executeCommand(
							'workbench.action.openSettings',
							'longrope.',
						);
				});
		}
		this.lastProblems = problems;
		return checked.settings;
	}

	/** Shows the problems again on the next read (the settings changed). */
	forget(): void {
		this.lastProblems = '';
	}
}
