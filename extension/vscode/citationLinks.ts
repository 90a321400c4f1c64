import * as path from 'node:path';
import * as vscode from 'vscode';
import { workspaceFolder } from './editorContext';

/** Opens `path:line` from an answer, if it names a file inside the workspace. */
export async function openCitation(file: string, line: number): Promise<boolean> {
	const folder = workspaceFolder();
	if (!folder) return false;
	const clean = file.replace(/\\/g, '/').replace(/^\.\//, '');
	const target = path.resolve(folder.uri.fsPath, clean);
	const rel = path.relative(folder.uri.fsPath, target);
	let uri: vscode.Uri | undefined;
	if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
		const candidate = vscode.Uri.file(target);
		try {
			await vscode.workspace.fs.stat(candidate);
			uri = candidate;
		} catch {
			uri = undefined;
		}
	}
	if (!uri && !clean.includes('..')) {
		const found = await vscode.workspace.findFiles(
			new vscode.RelativePattern(folder, `**/${clean}`),
			undefined,
			1,
		);
		uri = found[0];
	}
	if (!uri) {
		void vscode.window.showWarningMessage(`LongRoPE: ${file} is not a file of this workspace.`);
		return false;
	}
	const document = await vscode.workspace.openTextDocument(uri);
	const at = Math.max(0, Math.min(line - 1, document.lineCount - 1));
	const range = new vscode.Range(at, 0, at, 0);
	await vscode.window.showTextDocument(document, {
		selection: range,
		preview: true,
		viewColumn: vscode.ViewColumn.One,
	});
	return true;
}
