import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorkspaceScope, WorkspaceSource } from '../app/workspaceSource';
import type { SummaryScope } from '../engine/prompts/filePrompts';
import type { EditorFocus } from '../engine/workspace/relevance';
import { underFolder } from '../runtime/scopedWorkspaceReader';

/** The workspace folder of the active editor, else the first one. */
export function workspaceFolder(): vscode.WorkspaceFolder | undefined {
	const active = vscode.window.activeTextEditor?.document.uri;
	return (
		(active && vscode.workspace.getWorkspaceFolder(active)) ??
		vscode.workspace.workspaceFolders?.[0]
	);
}

/** A file's path inside `root`, `/`-separated; undefined outside it or for other schemes. */
export function relativePath(root: vscode.Uri, uri: vscode.Uri): string | undefined {
	if (uri.scheme !== 'file') return undefined;
	const rel = path.relative(root.fsPath, uri.fsPath);
	if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
	return rel.split(path.sep).join('/');
}

/** Where the user is: the selection, the active editor and the open tabs. */
export function editorFocus(root: vscode.Uri, withSelection: boolean): EditorFocus {
	const editor = vscode.window.activeTextEditor;
	const active = editor ? relativePath(root, editor.document.uri) : undefined;
	const open = new Set<string>();
	for (const group of vscode.window.tabGroups?.all ?? []) {
		for (const tab of group.tabs) {
			const input = tab.input as { uri?: vscode.Uri } | undefined;
			const rel = input?.uri ? relativePath(root, input.uri) : undefined;
			if (rel) open.add(rel);
		}
	}
	let selection: EditorFocus['selection'];
	if (withSelection && editor && active && !editor.selection.isEmpty) {
		selection = {
			path: active,
			fromLine: editor.selection.start.line + 1,
			toLine: editor.selection.end.line + 1,
			text: editor.document.getText(editor.selection),
		};
	}
	return {
		...(selection ? { selection } : {}),
		...(active ? { activeEditor: active } : {}),
		openEditors: [...open],
	};
}

/**
 * What the engine reads for a job in `folder`: the folder with the user's `files.exclude`, the
 * scope, and the text of unsaved buffers (the model sees what the user sees).
 */
export function workspaceSource(
	folder: vscode.WorkspaceFolder,
	scope: WorkspaceScope = { kind: 'all' },
): WorkspaceSource {
	// A copy: VS Code hands out settings as read-only proxies, which the channel to the engine
	// (structured clone) refuses with "#<Object> could not be cloned".
	const exclude = JSON.parse(
		JSON.stringify(vscode.workspace.getConfiguration('files', folder.uri).get('exclude', {})),
	) as Record<string, boolean>;
	const overlays: Record<string, string> = {};
	for (const doc of vscode.workspace.textDocuments) {
		if (!doc.isDirty) continue;
		const rel = relativePath(folder.uri, doc.uri);
		if (rel) overlays[rel] = doc.getText();
	}
	return { root: folder.uri.fsPath, scope, exclude, overlays };
}

/**
 * What a summary reads (the scope), how the chat shows the request, and the editors that count
 * as focus inside the scope (the selection only for a selection's summary).
 */
export function summaryTarget(
	scope: SummaryScope,
	root: vscode.Uri,
): { where: WorkspaceScope; label: string; focus: EditorFocus } {
	let where: WorkspaceScope = { kind: 'all' };
	let label: string;
	switch (scope.kind) {
		case 'file':
			where = { kind: 'file', path: scope.path };
			label = `Summarize the file \`${scope.path}\``;
			break;
		case 'selection':
			where = { kind: 'file', path: scope.path };
			label = `Summarize lines ${scope.from}–${scope.to} of \`${scope.path}\``;
			break;
		case 'folder':
			where = { kind: 'folder', path: scope.path };
			label = `Summarize the folder \`${scope.path}\``;
			break;
		case 'workspace':
			label = `Summarize the workspace ${scope.name}`;
			break;
		default: {
			const never: never = scope;
			return never;
		}
	}
	const focus = editorFocus(root, scope.kind === 'selection');
	const inScope = (p: string) =>
		where.kind === 'all' ||
		(where.kind === 'file' ? p === where.path : underFolder(where.path)(p));
	return {
		where,
		label,
		focus: {
			...focus,
			...(focus.activeEditor && !inScope(focus.activeEditor)
				? { activeEditor: undefined }
				: {}),
			openEditors: (focus.openEditors ?? []).filter(inScope),
		},
	};
}
