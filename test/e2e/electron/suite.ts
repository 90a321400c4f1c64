/** Runs inside VS Code's extension host (see run.ts): the extension through the real API. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

interface Api {
	readonly activationMs: number;
	status(): { state: string; model?: string; set?: string };
	history(): { role: string; text: string; outcome?: string }[];
}

async function waitFor<T>(get: () => T | undefined, what: string, timeoutMs = 180_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = get();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

export async function run(): Promise<void> {
	const extension = vscode.extensions.getExtension<Api>('longrope.longrope-assistant');
	assert.ok(extension, 'the extension is not installed');
	const api = await extension.activate();
	assert.ok(api.activationMs < 30, `activation took ${api.activationMs} ms`);
	const commands = await vscode.commands.getCommands(true);
	for (const id of [
		'longrope.openChat',
		'longrope.askWorkspace',
		'longrope.summarizeFile',
		'longrope.stop',
	]) {
		assert.ok(commands.includes(id), `${id} is not registered`);
	}
	await vscode.commands.executeCommand('longrope.openChat');
	await vscode.commands.executeCommand('longrope.askWorkspace', 'What does src/math.ts do?');
	const answer = await waitFor(
		() => api.history().find((t) => t.role === 'assistant' && t.outcome !== undefined),
		'an answer',
	);
	assert.equal(answer.outcome, 'done', answer.text);
	console.log(
		`[e2e:electron] answered with set ${api.status().set}: ${answer.text.slice(0, 80)}`,
	);
}
