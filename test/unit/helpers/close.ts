import * as assert from 'node:assert/strict';

/** Element-wise |actual − expected| ≤ tolerance, naming the first index that is off. */
export function assertAllClose(
	actual: ArrayLike<number>,
	expected: ArrayLike<number>,
	tolerance: number,
	label: string,
): void {
	assert.equal(actual.length, expected.length, `${label}: length`);
	for (let i = 0; i < expected.length; i++) {
		const diff = Math.abs(actual[i] - expected[i]);
		if (!(diff <= tolerance)) {
			assert.fail(
				`${label}[${i}]: ${actual[i]} vs ${expected[i]} (diff ${diff} > ${tolerance})`,
			);
		}
	}
}

/** Relative version, for quantities that span orders of magnitude (frequencies). */
export function assertAllRelClose(
	actual: ArrayLike<number>,
	expected: ArrayLike<number>,
	tolerance: number,
	label: string,
): void {
	assert.equal(actual.length, expected.length, `${label}: length`);
	for (let i = 0; i < expected.length; i++) {
		const rel = Math.abs(actual[i] - expected[i]) / Math.abs(expected[i]);
		if (!(rel <= tolerance)) {
			assert.fail(`${label}[${i}]: ${actual[i]} vs ${expected[i]} (relative ${rel})`);
		}
	}
}
