import * as assert from 'node:assert/strict';
import { inverseFrequencies, type RotaryGeometry } from '../../../extension/engine/rotaryGeometry';
import { buildRotaryTables, rotarySpec } from '../../../extension/engine/rotaryTables';
import { longropeScaling } from '../../../extension/engine/scalings';
import { assertAllClose } from '../helpers/close';
import { readJsonFixture } from '../helpers/fixtures';

// The progressive fine-tune trains with a LongRoPE set's tables (models/train/model.py,
// rope_tables); the graph it ships in gets the engine's tables at inference. They must be the same
// numbers, or the fine-tune adapts the model to angles it never sees. The fixture is model.py's
// output, written by test/reference/training_rope_tables.py for the bundled model's short and
// long-1k sets.

interface TableCase {
	name: string;
	factors: number[];
	nHat: number;
	attentionFactor: number;
	positions: number[];
	cos: number[][];
	sin: number[][];
}

interface TableFixture {
	base: number;
	headDim: number;
	originalWindow: number;
	cases: TableCase[];
}

/** Both sides round to float32; the doubles before rounding differ by a few ulps at most. */
const FLOAT32_TOLERANCE = 2e-7;

describe('training rotary tables (models/train/model.py) against the engine', () => {
	const fixture = readJsonFixture('training-rope-tables.json') as TableFixture;
	const geometry: RotaryGeometry = {
		base: fixture.base,
		headDim: fixture.headDim,
		rotaryDim: fixture.headDim,
		originalWindow: fixture.originalWindow,
		maxWindow: 4096,
	};

	it('covers the short and long-1k sets, with positions on both sides of nHat and past the window', () => {
		assert.deepEqual(
			fixture.cases.map((c) => c.name),
			['short', 'long-1k'],
		);
		for (const c of fixture.cases) {
			assert.ok(c.positions.some((p) => p < c.nHat) && c.positions.some((p) => p >= 1000));
		}
	});

	for (const c of fixture.cases) {
		it(`${c.name}: cos/sin equal the engine's tables at ${c.positions.length} positions`, () => {
			const scaling = longropeScaling(geometry, {
				factors: c.factors,
				nHat: c.nHat,
				attentionFactor: c.attentionFactor,
				scale: 1,
			});
			const spec = rotarySpec(inverseFrequencies(geometry.base, geometry.rotaryDim), scaling);
			const last = Math.max(...c.positions);
			const table = buildRotaryTables(spec, 0, last + 1);
			c.positions.forEach((position, k) => {
				const row = position * table.pairs;
				const label = `${c.name} @${position}`;
				assertAllClose(
					table.cos.subarray(row, row + table.pairs),
					c.cos[k],
					FLOAT32_TOLERANCE,
					`${label} cos`,
				);
				assertAllClose(
					table.sin.subarray(row, row + table.pairs),
					c.sin[k],
					FLOAT32_TOLERANCE,
					`${label} sin`,
				);
			});
		});
	}
});
