import Module from 'node:module';

/**
 * Just enough of the `vscode` module for activate() and the commands, recording what the
 * extension shows. Importing this file makes `require('vscode')` return it, so import it
 * before the extension's modules; reset() between tests.
 */
class FakeVscode {
	settings: Record<string, unknown> = {};
	inputBoxAnswer: string | undefined;
	errorChoice: string | undefined;
	errors: string[] = [];
	executed: unknown[][] = [];
	output: string[] = [];
	commands = new Map<string, (...args: unknown[]) => unknown>();

	reset(): void {
		this.settings = {};
		this.inputBoxAnswer = undefined;
		this.errorChoice = undefined;
		this.errors = [];
		this.executed = [];
		this.output = [];
		this.commands = new Map();
	}

	readonly module = {
		workspace: {
			workspaceFolders: undefined,
			getConfiguration: () => ({
				get: <T>(key: string, fallback: T): T =>
					(this.settings[key] as T | undefined) ?? fallback,
			}),
		},
		window: {
			createOutputChannel: () => ({
				clear: () => this.output.splice(0),
				appendLine: (line: string) => this.output.push(line),
				show: () => undefined,
				dispose: () => undefined,
			}),
			showErrorMessage: async (message: string) => {
				this.errors.push(message);
				return this.errorChoice;
			},
			showInputBox: async (options: { validateInput(text: string): string | undefined }) => {
				if (this.inputBoxAnswer !== undefined) {
					const problem = options.validateInput(this.inputBoxAnswer);
					if (problem) throw new Error(`input box refused the answer: ${problem}`);
				}
				return this.inputBoxAnswer;
			},
		},
		commands: {
			registerCommand: (id: string, run: (...args: unknown[]) => unknown) => {
				this.commands.set(id, run);
				return { dispose: () => this.commands.delete(id) };
			},
			executeCommand: async (...args: unknown[]) => {
				this.executed.push(args);
			},
		},
	};
}

export const fakeVscode = new FakeVscode();

const loader = Module as unknown as {
	_load(request: string, parent: unknown, isMain: boolean): unknown;
};
const originalLoad = loader._load;
loader._load = function (request, parent, isMain) {
	return request === 'vscode'
		? fakeVscode.module
		: originalLoad.call(this, request, parent, isMain);
};
