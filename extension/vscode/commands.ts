import * as path from 'node:path';
import * as vscode from 'vscode';
import { missingModelFiles } from '../runtime/modelFolder';
import { loadModelFolderRopeConfig } from '../runtime/ropeConfigFiles';
import type { Assistant } from './assistant';
import { explainFactors } from './explainFactorsCommand';
import { searchFactors } from './factorSearchCommand';
import { setRemoteApiKey } from './remoteAccess';
import { CHAT_VIEW, DIAGNOSTICS_VIEW } from './views';

function relativeTo(folder: vscode.WorkspaceFolder, uri: vscode.Uri): string | undefined {
	const rel = path.relative(folder.uri.fsPath, uri.fsPath);
	if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
	return rel.split(path.sep).join('/');
}

async function revealChat(): Promise<void> {
	await vscode.commands.executeCommand(`${CHAT_VIEW}.focus`);
}

/** Every command of the palette and the context menus; `activate()` only calls this. */
export function registerCommands(
	context: vscode.ExtensionContext,
	assistant: Assistant,
	output: vscode.OutputChannel,
): vscode.Disposable[] {
	const folderOf = (uri: vscode.Uri | undefined) =>
		(uri && vscode.workspace.getWorkspaceFolder(uri)) ?? assistant.workspaceFolder();

	const summarizeResource = async (uri: vscode.Uri | undefined, kind: 'file' | 'folder') => {
		const target = uri ?? vscode.window.activeTextEditor?.document.uri;
		const folder = folderOf(target);
		if (!target || !folder) {
			void vscode.window.showErrorMessage(
				kind === 'file'
					? 'LongRoPE: open a file of the workspace to summarize it.'
					: 'LongRoPE: choose a folder of the workspace to summarize.',
			);
			return;
		}
		const rel = relativeTo(folder, target);
		if (rel === undefined) {
			void vscode.window.showErrorMessage(
				`LongRoPE: ${target.fsPath} is not inside the workspace.`,
			);
			return;
		}
		await revealChat();
		if (kind === 'folder' && rel === '')
			await assistant.summarize({ kind: 'workspace', name: folder.name });
		else await assistant.summarize({ kind, path: rel || '.' });
	};

	return [
		vscode.commands.registerCommand('longrope.explainFactors', () =>
			explainFactors(context.extensionPath, output),
		),
		vscode.commands.registerCommand('longrope.openChat', revealChat),
		vscode.commands.registerCommand('longrope.showDiagnostics', () =>
			vscode.commands.executeCommand(`${DIAGNOSTICS_VIEW}.focus`),
		),
		vscode.commands.registerCommand('longrope.askWorkspace', async (question?: unknown) => {
			const text =
				typeof question === 'string'
					? question
					: await vscode.window.showInputBox({
							title: 'LongRoPE: ask about the workspace',
							prompt: 'Answered from the workspace files by the local model',
							placeHolder: 'Where is the configuration read?',
							validateInput: (t) => (t.trim() ? undefined : 'Type a question'),
						});
			if (!text?.trim()) return;
			await revealChat();
			await assistant.ask(text.trim(), 'chat');
		}),
		vscode.commands.registerCommand('longrope.summarizeFile', (uri?: vscode.Uri) =>
			summarizeResource(uri instanceof vscode.Uri ? uri : undefined, 'file'),
		),
		vscode.commands.registerCommand('longrope.summarizeFolder', (uri?: vscode.Uri) =>
			summarizeResource(uri instanceof vscode.Uri ? uri : undefined, 'folder'),
		),
		vscode.commands.registerCommand('longrope.summarizeSelection', async () => {
			const editor = vscode.window.activeTextEditor;
			const folder = folderOf(editor?.document.uri);
			const rel = editor && folder ? relativeTo(folder, editor.document.uri) : undefined;
			if (!editor || !rel || editor.selection.isEmpty) {
				void vscode.window.showErrorMessage(
					'LongRoPE: select some lines of a workspace file first.',
				);
				return;
			}
			await revealChat();
			await assistant.summarize({
				kind: 'selection',
				path: rel,
				from: editor.selection.start.line + 1,
				to: editor.selection.end.line + 1,
			});
		}),
		vscode.commands.registerCommand('longrope.summarizeWorkspace', async () => {
			const folder = assistant.workspaceFolder();
			if (!folder) {
				void vscode.window.showErrorMessage('LongRoPE: open a folder first.');
				return;
			}
			await revealChat();
			await assistant.summarize({ kind: 'workspace', name: folder.name });
		}),
		vscode.commands.registerCommand('longrope.stop', () => assistant.stop()),
		vscode.commands.registerCommand('longrope.searchFactors', () => searchFactors(assistant)),
		vscode.commands.registerCommand('longrope.newChat', () => assistant.newChat()),
		vscode.commands.registerCommand('longrope.setRemoteApiKey', () => setRemoteApiKey(context)),
		vscode.commands.registerCommand('longrope.chooseFactorSet', async () => {
			const settings = assistant.settings();
			const folder = assistant.modelFolder(settings);
			const items: (vscode.QuickPickItem & { value: string })[] = [
				{
					label: 'auto',
					value: 'auto',
					description: 'per request: the smallest window that covers prompt + answer',
				},
				{ label: 'short', value: 'short', description: 'always the smallest window' },
				{ label: 'long', value: 'long', description: 'always the largest window' },
			];
			if (folder) {
				try {
					const rope = await loadModelFolderRopeConfig(folder);
					for (const set of rope.sets) {
						items.push({
							label: set.name,
							value: set.name,
							description: `${set.method}, window ${set.maxLength} tokens, from ${set.source}`,
						});
					}
				} catch (err) {
					output.appendLine(`cannot list the factor sets: ${(err as Error).message}`);
				}
			}
			for (const item of items) if (item.value === settings.factorSet) item.picked = true;
			const choice = await vscode.window.showQuickPick(items, {
				title: 'LongRoPE: factor set policy',
				placeHolder: `now: ${settings.factorSet}`,
			});
			if (!choice) return;
			await vscode.workspace
				.getConfiguration('longrope')
				.update('factorSet', choice.value, vscode.ConfigurationTarget.Global);
		}),
		vscode.commands.registerCommand('longrope.selectModel', async () => {
			const picked = await vscode.window.showOpenDialog({
				canSelectFolders: true,
				canSelectFiles: false,
				canSelectMany: false,
				title: 'LongRoPE: select a model folder',
				openLabel: 'Use This Model',
			});
			const folder = picked?.[0];
			if (!folder) return;
			const missing = missingModelFiles(folder.fsPath);
			if (missing.length > 0) {
				void vscode.window.showErrorMessage(
					`LongRoPE: ${folder.fsPath} is not a model folder: ${missing.join(', ')} missing.`,
				);
				return;
			}
			await vscode.workspace
				.getConfiguration('longrope')
				.update('modelPath', folder.fsPath, vscode.ConfigurationTarget.Global);
		}),
	];
}
