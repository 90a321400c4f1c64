import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadModelFolderRopeConfig } from '../runtime/ropeConfigFiles';
import type { Assistant } from './assistant';
import { workspaceSource } from './editorContext';
import { JobError } from './engine/engineClient';
import { progressText } from './progressText';
import { saveSearchedModel } from './searchedModel';

/**
 * Searches LongRoPE factors on the workspace's own text, then saves the set into a model folder
 * of the extension's global storage (the bundled files are never written): the model's config,
 * tokenizer and weights (linked), and a longrope.json with the new set.
 */
export async function searchFactors(assistant: Assistant): Promise<void> {
	const folder = assistant.workspaceFolder();
	if (!folder) {
		void vscode.window.showErrorMessage('LongRoPE: open a folder first.');
		return;
	}
	if (assistant.busy) {
		void vscode.window.showWarningMessage('LongRoPE is busy; stop the running request first.');
		return;
	}
	const settings = assistant.settings();
	const modelFolder = assistant.modelFolder(settings);
	if (!modelFolder) return;
	const rope = await loadModelFolderRopeConfig(modelFolder);
	const window = rope.geometry.originalWindow;
	const lengths = [2, 4, 8].map((k) => k * window);
	const length = await vscode.window.showQuickPick(
		lengths.map((n, k) => ({
			label: `${n} tokens`,
			description: `${[2, 4, 8][k]}× the original window (${window})`,
			value: n,
		})),
		{ title: 'LongRoPE: search factors for which length?' },
	);
	if (!length) return;
	const effort = await vscode.window.showQuickPick(
		[
			{
				label: 'Quick',
				description: 'population 16, 6 rounds, progressive (half length first)',
				rounds: 6,
				populationSize: 16,
				budget: true,
				samples: 1,
			},
			{
				label: 'As in the paper',
				description: 'population 64, 40 rounds, 2 samples (hours on a laptop)',
				rounds: 40,
				populationSize: 64,
				budget: false,
				samples: 2,
			},
		],
		{ title: 'LongRoPE: search effort' },
	);
	if (!effort) return;
	const storage = assistant.context.globalStorageUri.fsPath;
	const stateFile = path.join(
		storage,
		'search',
		`${path.basename(modelFolder)}-${length.value}.state.json`,
	);
	await assistant.exclusive('search', async (cancel) => {
		try {
			const result = await vscode.window.withProgress(
				{
					location: vscode.ProgressLocation.Notification,
					title: `LongRoPE: searching factors for ${length.value} tokens`,
					cancellable: true,
				},
				async (progress, token) => {
					token.onCancellationRequested(() => cancel.cancel());
					progress.report({ message: 'loading the model…' });
					const info = await assistant.ensureModel(settings);
					if (!info) throw new JobError('The model could not be loaded.', false);
					let last = 0;
					return assistant.engine.search(
						{
							source: workspaceSource(
								folder,
								undefined,
								settings.followExternalLinks,
							),
							targetLength: length.value,
							rounds: effort.rounds,
							populationSize: effort.populationSize,
							budget: effort.budget,
							samples: effort.samples,
							stateFile,
						},
						(event) => {
							if (event.type !== 'progress') return;
							const p = event.progress;
							const share = p.total > 0 ? (100 * p.done) / p.total : 0;
							progress.report({
								message: progressText(p),
								increment: Math.max(0, share - last),
							});
							last = Math.max(last, share);
						},
						cancel.token,
					);
				},
			);
			const target = path.join(
				storage,
				'models',
				`${path.basename(modelFolder)}-${folder.name}`.replace(/[^\w.-]+/g, '_'),
			);
			const saved = saveSearchedModel(modelFolder, target, result.set, rope.geometry);
			const baselines = Object.entries(result.baselines)
				.map(([k, v]) => `${k} ${v.toFixed(2)}`)
				.join(', ');
			assistant.output.appendLine(
				`Factor search: set "${result.set.name}" for ${result.set.maxLength} tokens, perplexity ${result.best.toFixed(3)} (${baselines}) on ${result.samples} sample(s) of this workspace; saved to ${saved}`,
			);
			const choice = await vscode.window.showInformationMessage(
				`LongRoPE: found "${result.set.name}" (perplexity ${result.best.toFixed(2)}; ${baselines}). It is saved in a model folder of its own; the bundled model is unchanged.`,
				'Use This Model',
				'Show Folder',
			);
			if (choice === 'Use This Model') {
				await vscode.workspace
					.getConfiguration('longrope')
					.update('modelPath', saved, vscode.ConfigurationTarget.Global);
			} else if (choice === 'Show Folder') {
				void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(saved));
			}
		} catch (err) {
			if (err instanceof JobError && err.cancelled) {
				void vscode.window.showInformationMessage(
					`LongRoPE: factor search stopped; its state is in ${stateFile}.`,
				);
			} else {
				void vscode.window.showErrorMessage(
					`LongRoPE: factor search failed: ${(err as Error).message}`,
				);
			}
		}
	});
}
