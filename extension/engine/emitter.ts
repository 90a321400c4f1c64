/**
 * A tiny event emitter with the same shape as vscode.Event / vscode.EventEmitter, so that
 * the engine can publish events without importing the editor.
 */
export interface Disposable {
	dispose(): void;
}

export type Event<T> = (listener: (event: T) => unknown, thisArgs?: unknown) => Disposable;

export class Emitter<T> implements Disposable {
	private listeners: ((event: T) => unknown)[] = [];
	private disposed = false;

	readonly event: Event<T> = (listener, thisArgs) => {
		if (this.disposed) return { dispose: () => undefined };
		const bound = thisArgs === undefined ? listener : listener.bind(thisArgs);
		this.listeners.push(bound);
		return {
			dispose: () => {
				this.listeners = this.listeners.filter((l) => l !== bound);
			},
		};
	};

	fire(event: T): void {
		// A copy, so that a listener that unsubscribes during delivery does not skip another.
		for (const listener of [...this.listeners]) listener(event);
	}

	dispose(): void {
		this.disposed = true;
		this.listeners = [];
	}
}
