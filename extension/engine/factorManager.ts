import type { Disposable } from './emitter';
import { describeFactors, type FactorExplanation } from './explanation';
import { chooseFactorSet, type FactorChoice, type FactorOverride } from './factorSelection';
import { scalingForPlan, type FactorSet, type RopeConfig } from './factorSet';
import { inverseFrequencies, validateGeometry } from './rotaryGeometry';
import { buildRotaryTables, rotarySpec, type RotarySpec, type RotaryTables } from './rotaryTables';
import { RopeInputError, requireNonNegativeInteger, requirePositiveInteger } from './validation';

export interface RopePlan {
	/** Prompt tokens + answer budget of the request about to run. */
	readonly plannedLength: number;
	readonly override?: FactorOverride;
}

export interface ActiveRope {
	readonly set: FactorSet;
	readonly plannedLength: number;
	readonly override: FactorOverride;
	readonly reason: string;
	readonly warning?: string;
	readonly spec: RotarySpec;
	/** Equal keys mean identical tables (a dynamic set changes with the plan). */
	readonly key: string;
}

/** Positions per cached chunk: a decode step reads one row, a prefill chunk a few hundred. */
const DEFAULT_CHUNK = 4096;

/**
 * Owns the active factor set and the cos/sin tables served from it. A runtime compares the
 * active `key` with the one its KV cache was built under and drops the cache when they differ,
 * because cached keys are stored already rotated.
 */
export class FactorManager implements Disposable {
	private readonly theta: Float64Array;
	private current: ActiveRope | undefined;
	private readonly chunks = new Map<number, RotaryTables>();

	constructor(
		readonly config: RopeConfig,
		private readonly chunkSize = DEFAULT_CHUNK,
	) {
		validateGeometry(config.geometry);
		if (config.sets.length === 0) {
			throw new RopeInputError('sets', config.sets, 'at least one factor set');
		}
		requirePositiveInteger('chunkSize', chunkSize);
		this.theta = inverseFrequencies(config.geometry.base, config.geometry.rotaryDim);
	}

	get active(): ActiveRope | undefined {
		return this.current;
	}

	/** Chooses the set for a request and makes it active. */
	plan(request: RopePlan): ActiveRope {
		const override = request.override ?? 'auto';
		return this.use(
			chooseFactorSet(this.config.sets, request.plannedLength, override),
			request.plannedLength,
			override,
		);
	}

	/** Makes a set chosen elsewhere (a request's plan) active for `plannedLength` tokens. */
	use(
		choice: FactorChoice,
		plannedLength: number,
		override: FactorOverride = 'auto',
	): ActiveRope {
		requirePositiveInteger('plannedLength', plannedLength);
		if (!this.config.sets.includes(choice.set)) {
			throw new RopeInputError('set', choice.set.name, "one of this model's factor sets");
		}
		const { geometry } = this.config;
		const spec = rotarySpec(this.theta, scalingForPlan(choice.set, geometry, plannedLength));
		const key =
			choice.set.method === 'dynamic-ntk'
				? `${choice.set.name}@${Math.max(plannedLength, geometry.originalWindow)}`
				: choice.set.name;
		const next: ActiveRope = {
			set: choice.set,
			plannedLength,
			override,
			reason: choice.reason,
			...(choice.warning ? { warning: choice.warning } : {}),
			spec,
			key,
		};
		if (this.current?.key !== key) this.chunks.clear();
		this.current = next;
		return next;
	}

	/**
	 * cos/sin for positions start … start+count−1 of the active set. A range inside one
	 * cached chunk is returned as views into the cache: treat the arrays as read-only.
	 */
	tables(start: number, count: number): RotaryTables {
		const active = this.requireActive();
		requireNonNegativeInteger('start', start);
		requirePositiveInteger('count', count);
		const size = this.chunkSize;
		const first = Math.floor(start / size);
		const last = Math.floor((start + count - 1) / size);
		const pairs = this.theta.length;
		if (first === last) {
			const chunk = this.chunk(active, first);
			const from = (start - first * size) * pairs;
			const to = from + count * pairs;
			return {
				start,
				count,
				pairs,
				cos: chunk.cos.subarray(from, to),
				sin: chunk.sin.subarray(from, to),
			};
		}
		const cos = new Float32Array(count * pairs);
		const sin = new Float32Array(count * pairs);
		for (let index = first; index <= last; index++) {
			const chunk = this.chunk(active, index);
			const from = Math.max(start, index * size);
			const to = Math.min(start + count, (index + 1) * size);
			const source = (from - index * size) * pairs;
			const length = (to - from) * pairs;
			cos.set(chunk.cos.subarray(source, source + length), (from - start) * pairs);
			sin.set(chunk.sin.subarray(source, source + length), (from - start) * pairs);
		}
		return { start, count, pairs, cos, sin };
	}

	/** Everything the diagnostics panel shows about the active choice. */
	explain(): FactorExplanation {
		return describeFactors(this.config, this.requireActive(), this.theta);
	}

	dispose(): void {
		this.chunks.clear();
	}

	private chunk(active: ActiveRope, index: number): RotaryTables {
		let chunk = this.chunks.get(index);
		if (!chunk) {
			chunk = buildRotaryTables(active.spec, index * this.chunkSize, this.chunkSize);
			this.chunks.set(index, chunk);
		}
		return chunk;
	}

	private requireActive(): ActiveRope {
		if (!this.current) {
			throw new Error(
				'No factor set is active yet: call plan() with the planned length first.',
			);
		}
		return this.current;
	}
}
