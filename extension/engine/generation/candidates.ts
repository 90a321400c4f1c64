/**
 * The few highest-scoring ids of a large vocabulary without sorting all of it: a 200k-entry
 * sort costs ~100 ms per token, more than a decode step of the model spends on some rows.
 * Order everywhere: score descending, ties to the lower id (what a full sort would give).
 */

const before = (scores: ArrayLike<number>, a: number, b: number) =>
	scores[a] > scores[b] || (scores[a] === scores[b] && a < b);

export function sortByScore(ids: number[], scores: ArrayLike<number>): number[] {
	return ids.sort((a, b) => scores[b] - scores[a] || a - b);
}

/** The k best ids in order, through a size-k heap whose root is the worst kept id. */
export function topK(scores: ArrayLike<number>, k: number): number[] {
	if (k >= scores.length)
		return sortByScore(
			Array.from({ length: scores.length }, (_, i) => i),
			scores,
		);
	const heap: number[] = [];
	const sink = (at: number) => {
		for (;;) {
			const left = 2 * at + 1;
			let worst = at;
			for (const child of [left, left + 1]) {
				if (child < heap.length && before(scores, heap[worst], heap[child])) worst = child;
			}
			if (worst === at) return;
			[heap[at], heap[worst]] = [heap[worst], heap[at]];
			at = worst;
		}
	};
	for (let id = 0; id < scores.length; id++) {
		if (heap.length < k) {
			heap.push(id);
			for (let at = heap.length - 1; at > 0;) {
				const parent = (at - 1) >> 1;
				if (!before(scores, heap[parent], heap[at])) break;
				[heap[at], heap[parent]] = [heap[parent], heap[at]];
				at = parent;
			}
		} else if (before(scores, id, heap[0])) {
			heap[0] = id;
			sink(0);
		}
	}
	return sortByScore(heap, scores);
}

/**
 * The ids of the shortest prefix of the full order whose `weights` (each in [0, 1], rising with
 * the score) reach `mass`, and their total weight. One pass sums the weights by buckets of an
 * eighth of an octave; the buckets before the one that reaches the mass are kept whole, and only
 * that one is sorted to find where the prefix ends. The ids come in no particular order.
 */
export function nucleus(
	scores: ArrayLike<number>,
	weights: ArrayLike<number>,
	mass: number,
): { ids: number[]; mass: number } {
	const STEPS = 8;
	const BUCKETS = 64 * STEPS;
	const bucketOf = (w: number) =>
		w > 0 ? Math.min(BUCKETS - 1, Math.floor(-STEPS * Math.log2(w))) : BUCKETS - 1;
	const buckets = new Uint16Array(weights.length);
	const sums = new Float64Array(BUCKETS);
	for (let i = 0; i < weights.length; i++)
		sums[(buckets[i] = bucketOf(weights[i]))] += weights[i];
	let edge = 0;
	for (let acc = sums[0]; acc < mass && edge < BUCKETS - 1;) acc += sums[++edge];
	const ids: number[] = [];
	const boundary: number[] = [];
	let kept = 0;
	for (let i = 0; i < weights.length; i++) {
		if (buckets[i] < edge) {
			ids.push(i);
			kept += weights[i];
		} else if (buckets[i] === edge) boundary.push(i);
	}
	for (const id of sortByScore(boundary, scores)) {
		if (kept >= mass) break;
		ids.push(id);
		kept += weights[id];
	}
	return { ids, mass: kept };
}
