import type * as Ort from 'onnxruntime-node';
import type { RotaryTables } from '../../engine/rotaryTables';
import { layerName, type GenaiFolder } from './genaiFolder';
import type { KvType } from './adaptGraph';
import { LOGITS_FROM_INPUT, newRowsName } from './graphOutputs';
import { COS_CACHE_INPUT, SIN_CACHE_INPUT } from './rotaryCaches';

export interface GenaiKvShape {
	readonly layers: number;
	readonly kvHeads: number;
	readonly headSize: number;
	/** float16 values are held as their bits (Uint16Array), as onnxruntime-node takes them. */
	readonly type: KvType;
}

type KvArray = Float32Array | Uint16Array;
const BYTES: Record<KvType, number> = { float32: 4, float16: 2 };

/**
 * One plan's KV cache in the graph's own layout: per layer a key and a value tensor
 * [1, kv_heads, capacity, head_size] float32, allocated once for the planned length. They are
 * fed as the past (onnxruntime reads inputs in place) and the adapted graph returns only the
 * rows a run adds, which `append` writes after the cached ones. Binding them as the present
 * outputs too (ORT-genai's shared buffer) would let attention write in place, but
 * onnxruntime-node 1.30 copies every bound output into a fresh buffer after each run: the whole
 * cache per token (bench/results/realsize.md).
 */
export class GenaiKvCache {
	readonly keys: Ort.Tensor[] = [];
	readonly values: Ort.Tensor[] = [];
	/** attention_mask: ones, fed as a prefix view of the total length. */
	readonly mask: BigInt64Array;
	private filled = 0;
	/** Set once another cache took the buffers over. */
	private released = false;

	/**
	 * A cache of `capacity` positions; with `from`, it takes over the first `from.tokens`
	 * positions of another cache, layer by layer, releasing each of that cache's buffers as soon
	 * as it is copied (so that a growing conversation does not hold two whole caches at once).
	 */
	constructor(
		ort: typeof Ort,
		readonly shape: GenaiKvShape,
		readonly capacity: number,
		from?: { readonly cache: GenaiKvCache; readonly tokens: number },
	) {
		if (!Number.isInteger(capacity) || capacity <= 0) {
			throw new Error(`a KV cache needs a positive whole capacity, not ${capacity}`);
		}
		if (from && (from.tokens > from.cache.filled || from.tokens > capacity)) {
			throw new Error(
				`KV cache: cannot take over ${from.tokens} positions (${from.cache.filled} cached, room for ${capacity})`,
			);
		}
		const { kvHeads, headSize, type } = shape;
		const size = kvHeads * capacity * headSize;
		const tensor = (rows: number, data: KvArray) =>
			new ort.Tensor(type, data, [1, kvHeads, rows, headSize]);
		const array = (n: number) =>
			type === 'float16' ? new Uint16Array(n) : new Float32Array(n);
		for (let l = 0; l < shape.layers; l++) {
			for (const [mine, theirs] of [
				[this.keys, from?.cache.keys],
				[this.values, from?.cache.values],
			] as const) {
				const data = array(size);
				if (from && theirs) {
					const old = theirs[l].data as KvArray;
					const run = from.tokens * headSize;
					for (let h = 0; h < kvHeads; h++) {
						const at = h * from.cache.capacity * headSize;
						(data as Float32Array).set(
							old.subarray(at, at + run),
							h * capacity * headSize,
						);
					}
					theirs[l] = tensor(0, array(0));
				}
				mine.push(tensor(capacity, data));
			}
		}
		if (from) {
			this.filled = from.tokens;
			from.cache.released = true;
			from.cache.filled = 0;
		}
		this.mask = new BigInt64Array(capacity).fill(1n);
	}

	/** Bytes a cache of `tokens` positions takes, for planning before any allocation. */
	static bytesFor(shape: GenaiKvShape, tokens: number): number {
		return 2 * shape.layers * shape.kvHeads * tokens * shape.headSize * BYTES[shape.type];
	}

	/** Tokens whose keys and values are cached. */
	get length(): number {
		return this.filled;
	}

	get bytes(): number {
		return GenaiKvCache.bytesFor(this.shape, this.capacity);
	}

	/** Forgets everything after the first `tokens` positions (a shared prompt prefix stays). */
	truncate(tokens: number): void {
		if (!Number.isInteger(tokens) || tokens < 0 || tokens > this.filled) {
			throw new Error(`KV cache: cannot truncate ${this.filled} cached tokens to ${tokens}`);
		}
		this.filled = tokens;
	}

	/**
	 * Appends a run's new rows, per layer a key and a value [1, kv_heads, tokens, head_size],
	 * after the cached positions of each head.
	 */
	append(keys: readonly KvArray[], values: readonly KvArray[], tokens: number): void {
		if (this.released) throw new Error('KV cache: its buffers were handed to a larger cache');
		if (this.filled + tokens > this.capacity) {
			throw new Error(
				`KV cache: ${this.filled} + ${tokens} tokens pass the planned ${this.capacity}`,
			);
		}
		const { kvHeads, headSize } = this.shape;
		const run = tokens * headSize;
		const pairs: [readonly KvArray[], Ort.Tensor[]][] = [
			[keys, this.keys],
			[values, this.values],
		];
		for (const [rows, cache] of pairs) {
			rows.forEach((source, l) => {
				if (source.length !== kvHeads * run) {
					throw new Error(
						`KV cache: layer ${l} returned ${source.length} values, not ${kvHeads} heads × ${tokens} rows × ${headSize}`,
					);
				}
				const target = cache[l].data as KvArray;
				for (let h = 0; h < kvHeads; h++) {
					const at = (h * this.capacity + this.filled) * headSize;
					// Both arrays have the cache's element type (the graph's new-row outputs).
					(target as Float32Array).set(source.subarray(h * run, (h + 1) * run), at);
				}
			});
		}
		this.filled += tokens;
	}
}

/** The adapted graph's session with its names: runs tokens through a GenaiKvCache. */
export class GenaiGraph {
	private readonly pastNames: string[] = [];
	private readonly rowNames: string[] = [];

	constructor(
		private readonly ort: typeof Ort,
		private readonly session: Ort.InferenceSession,
		readonly folder: GenaiFolder,
		readonly kvType: KvType = 'float32',
	) {
		const { names, layers } = folder;
		for (let l = 0; l < layers; l++) {
			this.pastNames.push(layerName(names.pastKey, l), layerName(names.pastValue, l));
			this.rowNames.push(
				newRowsName(layerName(names.presentKey, l)),
				newRowsName(layerName(names.presentValue, l)),
			);
		}
	}

	get kvShape(): GenaiKvShape {
		const { layers, kvHeads, headSize } = this.folder;
		return { layers, kvHeads, headSize, type: this.kvType };
	}

	/** A cache of `capacity` positions, taking over the first `from.tokens` of `from.cache`. */
	newCache(
		capacity: number,
		from?: { readonly cache: GenaiKvCache; readonly tokens: number },
	): GenaiKvCache {
		return new GenaiKvCache(this.ort, this.kvShape, capacity, from);
	}

	/**
	 * Runs `ids` at positions cache.length …, appends their keys and values to the cache and
	 * returns the logits: of the last position [vocab] for `last`, of every position
	 * [ids.length × vocab] for `all`. `tables` start at position 0 and cover at least the new
	 * total: GroupQueryAttention indexes cos/sin by absolute position and refuses caches with
	 * fewer rows than the total length.
	 */
	async forward(
		ids: readonly number[],
		cache: GenaiKvCache,
		tables: RotaryTables,
		logits: 'last' | 'all' = 'last',
	): Promise<Float32Array> {
		const total = cache.length + ids.length;
		if (ids.length === 0) throw new Error('forward needs at least one token');
		if (total > cache.capacity) {
			throw new Error(
				`KV cache: ${total} tokens do not fit the ${cache.capacity} planned for this request`,
			);
		}
		if (tables.start !== 0 || tables.count < total) {
			throw new Error(
				`rotary tables cover positions ${tables.start}…${tables.start + tables.count - 1}, not 0…${total - 1}`,
			);
		}
		const { ort, folder } = this;
		const rows = total * tables.pairs;
		const from = logits === 'last' ? ids.length - 1 : 0;
		const feeds: Record<string, Ort.Tensor> = {
			[folder.names.inputIds]: new ort.Tensor(
				'int64',
				BigInt64Array.from(ids, (id) => BigInt(id)),
				[1, ids.length],
			),
			[folder.names.attentionMask]: new ort.Tensor('int64', cache.mask.subarray(0, total), [
				1,
				total,
			]),
			[COS_CACHE_INPUT]: new ort.Tensor('float32', tables.cos.subarray(0, rows), [
				total,
				tables.pairs,
			]),
			[SIN_CACHE_INPUT]: new ort.Tensor('float32', tables.sin.subarray(0, rows), [
				total,
				tables.pairs,
			]),
			[LOGITS_FROM_INPUT]: new ort.Tensor('int64', BigInt64Array.of(BigInt(from)), [1]),
		};
		for (let l = 0; l < folder.layers; l++) {
			feeds[this.pastNames[2 * l]] = cache.keys[l];
			feeds[this.pastNames[2 * l + 1]] = cache.values[l];
		}
		const out = await this.session.run(feeds, [folder.names.logits, ...this.rowNames]);
		const newRows = this.rowNames.map((name) => out[name].data as KvArray);
		cache.append(
			newRows.filter((_, i) => i % 2 === 0),
			newRows.filter((_, i) => i % 2 === 1),
			ids.length,
		);
		return out[folder.names.logits].data as Float32Array;
	}

	async dispose(): Promise<void> {
		await this.session.release();
	}
}
