import * as assert from 'node:assert/strict';
import { ropeConfigFromHf } from '../../../extension/engine/hfRopeConfig';
import { scalingForPlan } from '../../../extension/engine/factorSet';
import { inverseFrequencies, type RotaryGeometry } from '../../../extension/engine/rotaryGeometry';
import {
	buildRotaryTables,
	rotarySpec,
	rotaryValuesAt,
	type RotarySpec,
} from '../../../extension/engine/rotaryTables';
import {
	dynamicNtkScaling,
	linearScaling,
	longropeScaling,
	noScaling,
	ntkScaling,
	yarnCorrectionRange,
	yarnScaling,
	type RopeScaling,
} from '../../../extension/engine/scalings';
import { assertAllClose, assertAllRelClose } from '../helpers/close';
import { phi3Config, referenceCase, type ReferenceCase } from '../helpers/fixtures';

// References: test/fixtures/rope-reference.json, written by test/reference/rope_reference.py,
// which follows Hugging Face's formulas in numpy float64 (it scales frequencies or the
// base directly, where the engine divides θ_i by per-pair factors λ_i).

/** Double-precision paths: a few ulps of angles up to ~1.3e5 rad. */
const DOUBLE_TOLERANCE = 1e-9;
/** Float32 tables: rounding of values up to the attention factor (~1.2). */
const FLOAT32_TOLERANCE = 2e-7;

function geometry(base: number, rotaryDim: number, originalWindow = 4096): RotaryGeometry {
	return { base, headDim: rotaryDim, rotaryDim, originalWindow, maxWindow: originalWindow };
}

function checkAgainst(reference: ReferenceCase, spec: RotarySpec): void {
	const scaled = Array.from(spec.inverseFrequencies, (theta, i) => theta / spec.factors[i]);
	assertAllRelClose(scaled, reference.invFreq, 1e-13, `${reference.name} inverse frequencies`);
	assert.ok(
		Math.abs(spec.attentionFactor - reference.attentionFactor) < 1e-15,
		'attention factor',
	);

	const values = rotaryValuesAt(spec, reference.positions);
	reference.positions.forEach((position, k) => {
		const label = `${reference.name} @${position}`;
		assertAllClose(values.cos[k], reference.cos[k], DOUBLE_TOLERANCE, `${label} cos`);
		assertAllClose(values.sin[k], reference.sin[k], DOUBLE_TOLERANCE, `${label} sin`);

		// The block builder, with the position deep inside a block that starts elsewhere.
		const start = Math.max(0, position - 100);
		const table = buildRotaryTables(spec, start, position - start + 1);
		const row = (position - start) * table.pairs;
		const cos = table.cos.subarray(row, row + table.pairs);
		const sin = table.sin.subarray(row, row + table.pairs);
		assertAllClose(cos, reference.cos[k], FLOAT32_TOLERANCE, `${label} table cos`);
		assertAllClose(sin, reference.sin[k], FLOAT32_TOLERANCE, `${label} table sin`);
	});
}

function specFor(g: RotaryGeometry, scaling: RopeScaling): RotarySpec {
	return rotarySpec(inverseFrequencies(g.base, g.rotaryDim), scaling);
}

describe('rotary tables match the numpy reference', () => {
	it('plain RoPE (Phi-3 geometry, up to position 131071)', () => {
		const g = geometry(10000, 96);
		checkAgainst(referenceCase('plain'), specFor(g, noScaling(g)));
	});

	it('linear position interpolation, s = 4', () => {
		const g = geometry(10000, 64);
		checkAgainst(referenceCase('linear'), specFor(g, linearScaling(g, 4)));
	});

	it('NTK-aware, s = 8: base·s^(d/(d−2))', () => {
		const g = geometry(10000, 128);
		checkAgainst(referenceCase('ntk'), specFor(g, ntkScaling(g, 8)));
	});

	it('dynamic NTK (Hugging Face), factor 2, L = 2048, sequence 5000', () => {
		const g = geometry(10000, 64, 2048);
		checkAgainst(referenceCase('dynamic'), specFor(g, dynamicNtkScaling(g, 2, 5000)));
	});

	it('YaRN, s = 16, L = 4096: correction range [20, 46], attention 0.1·ln s + 1', () => {
		const reference = referenceCase('yarn');
		const g = geometry(10000, 128, 4096);
		const range = yarnCorrectionRange(g, 32, 1, true);
		assert.deepEqual([range.low, range.high], reference.correctionRange);
		const scaling = yarnScaling(g, { scale: 16 });
		assert.equal(scaling.attentionFactor, 0.1 * Math.log(16) + 1);
		checkAgainst(reference, specFor(g, scaling));
	});

	it('YaRN with betas, mscale/mscale_all_dim and no truncation', () => {
		const reference = referenceCase('yarn-options');
		const g = geometry(500000, 64, 8192);
		const options = {
			betaFast: 16,
			betaSlow: 2,
			mscale: 1,
			mscaleAllDim: 0.5,
			truncate: false,
		};
		const range = yarnCorrectionRange(g, 16, 2, false);
		assertAllClose([range.low, range.high], reference.correctionRange ?? [], 1e-12, 'range');
		checkAgainst(reference, specFor(g, yarnScaling(g, { scale: 4, ...options })));
	});

	for (const which of ['short', 'long'] as const) {
		it(`LongRoPE: Phi-3-mini-128k ${which} factors from config.json`, () => {
			const config = ropeConfigFromHf(phi3Config());
			const set = config.sets.find((s) => s.name === which);
			assert.ok(set);
			const scaling = scalingForPlan(set, config.geometry, 1000);
			checkAgainst(
				referenceCase(`longrope-phi3-${which}`),
				specFor(config.geometry, scaling),
			);
		});
	}

	it('LongRoPE with n̂ = 4: positions 0…3 unscaled, 4 on scaled', () => {
		const reference = referenceCase('longrope-nhat');
		const g = geometry(10000, 8);
		const scaling = longropeScaling(g, {
			factors: [1, 1.5, 2, 4],
			nHat: 4,
			attentionFactor: 1.25,
			scale: 1,
		});
		checkAgainst(reference, specFor(g, scaling));
	});

	it('partial rotary: head 64, partial_rotary_factor 0.5 → 16 pairs', () => {
		const config = ropeConfigFromHf({
			hidden_size: 512,
			num_attention_heads: 8,
			partial_rotary_factor: 0.5,
			max_position_embeddings: 2048,
			rope_theta: 10000,
		});
		assert.equal(config.geometry.headDim, 64);
		assert.equal(config.geometry.rotaryDim, 32);
		const scaling = scalingForPlan(config.sets[0], config.geometry, 100);
		checkAgainst(referenceCase('partial'), specFor(config.geometry, scaling));
	});
});
