/**
 * The KV cache, owned by JavaScript: per layer one key and one value buffer, sequence-major
 * ([position][kv head][head dim], batch 1), so that the graph reads the filled prefix as a view
 * without a copy and only the new rows are written back. It is sized once per request, for the
 * request's planned length (which the memory cap approved), and never grows during it.
 */
export interface KvShape {
	readonly layers: number;
	readonly kvHeads: number;
	readonly headDim: number;
}

export class KvCache {
	private keys: Float32Array[];
	private values: Float32Array[];
	private filled = 0;
	private disposed = false;
	private readonly row: number;

	constructor(
		readonly shape: KvShape,
		capacity = 0,
	) {
		this.row = shape.kvHeads * shape.headDim;
		this.keys = [];
		this.values = [];
		this.allocate(capacity);
	}

	/** Tokens whose keys and values are cached. */
	get length(): number {
		return this.filled;
	}

	get capacity(): number {
		return this.keys[0].length / this.row;
	}

	/** Bytes held by the buffers (allocated, not just filled). */
	get bytes(): number {
		return 2 * this.shape.layers * this.keys[0].byteLength;
	}

	/** Bytes a cache of `tokens` positions takes, for planning before any allocation. */
	static bytesFor(shape: KvShape, tokens: number): number {
		return (
			2 *
			shape.layers *
			tokens *
			shape.kvHeads *
			shape.headDim *
			Float32Array.BYTES_PER_ELEMENT
		);
	}

	/** The filled prefix of one layer's keys and values. */
	prefix(layer: number): { keys: Float32Array; values: Float32Array } {
		this.checkUsable();
		const end = this.filled * this.row;
		return {
			keys: this.keys[layer].subarray(0, end),
			values: this.values[layer].subarray(0, end),
		};
	}

	/**
	 * Sizes the cache for a request of `tokens` positions (its planned length), keeping what is
	 * cached: exactly that many when it holds fewer, so memory follows the plan.
	 */
	ensureCapacity(tokens: number): void {
		this.checkUsable();
		if (tokens <= this.capacity) return;
		const oldKeys = this.keys;
		const oldValues = this.values;
		this.allocate(tokens);
		const end = this.filled * this.row;
		for (let l = 0; l < this.shape.layers; l++) {
			this.keys[l].set(oldKeys[l].subarray(0, end));
			this.values[l].set(oldValues[l].subarray(0, end));
		}
	}

	/** Writes the new rows of one layer after the filled prefix; commit() then counts them. */
	write(layer: number, keys: Float32Array, values: Float32Array): void {
		this.checkUsable();
		if (keys.length !== values.length || keys.length % this.row !== 0) {
			throw new Error(
				`KV cache: layer ${layer} got ${keys.length} key and ${values.length} value numbers, not whole rows of ${this.row}`,
			);
		}
		if (this.filled + keys.length / this.row > this.capacity) {
			throw new Error(
				`KV cache: ${keys.length / this.row} new rows do not fit after ${this.filled} of the ${this.capacity} positions planned`,
			);
		}
		const at = this.filled * this.row;
		this.keys[layer].set(keys, at);
		this.values[layer].set(values, at);
	}

	commit(tokens: number): void {
		this.checkUsable();
		if (this.filled + tokens > this.capacity) {
			throw new Error(
				`KV cache: committing ${tokens} tokens would pass the capacity ${this.capacity}`,
			);
		}
		this.filled += tokens;
	}

	/** Forgets everything after the first `tokens` positions (a shared prompt prefix stays). */
	truncate(tokens: number): void {
		this.checkUsable();
		if (!Number.isInteger(tokens) || tokens < 0 || tokens > this.filled) {
			throw new Error(`KV cache: cannot truncate ${this.filled} cached tokens to ${tokens}`);
		}
		this.filled = tokens;
	}

	dispose(): void {
		this.disposed = true;
		this.keys = [];
		this.values = [];
		this.filled = 0;
	}

	private allocate(capacity: number): void {
		this.keys = Array.from(
			{ length: this.shape.layers },
			() => new Float32Array(capacity * this.row),
		);
		this.values = Array.from(
			{ length: this.shape.layers },
			() => new Float32Array(capacity * this.row),
		);
	}

	private checkUsable(): void {
		if (this.disposed) throw new Error('KV cache: used after dispose()');
	}
}
