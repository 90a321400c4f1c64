import { Emitter, type Event } from './emitter';

/** Shaped like vscode.CancellationToken, so the editor's token can be passed straight in. */
export interface CancellationToken {
	readonly isCancellationRequested: boolean;
	readonly onCancellationRequested: Event<unknown>;
}

export class CancellationError extends Error {
	constructor() {
		super('Canceled');
		this.name = 'CancellationError';
	}
}

/** For hosts without an editor (the CLI, tests): cancel() flips the token once. */
export class CancellationTokenSource {
	private readonly emitter = new Emitter<unknown>();
	private cancelled = false;
	readonly token: CancellationToken;

	constructor() {
		const isCancelled = (): boolean => this.cancelled;
		this.token = {
			get isCancellationRequested() {
				return isCancelled();
			},
			onCancellationRequested: this.emitter.event,
		};
	}

	cancel(): void {
		if (this.cancelled) return;
		this.cancelled = true;
		this.emitter.fire(undefined);
	}

	dispose(): void {
		this.emitter.dispose();
	}
}

/** Long loops call this between steps. */
export function throwIfCancelled(token: CancellationToken | undefined): void {
	if (token?.isCancellationRequested) throw new CancellationError();
}
