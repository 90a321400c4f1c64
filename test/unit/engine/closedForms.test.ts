import * as assert from 'node:assert/strict';
import { inverseFrequencies, type RotaryGeometry } from '../../../extension/engine/rotaryGeometry';
import {
	buildRotaryTables,
	rotarySpec,
	rotaryValuesAt,
} from '../../../extension/engine/rotaryTables';
import {
	dynamicNtkScaling,
	linearScaling,
	longropeAttentionFactor,
	longropeScaling,
	noScaling,
	ntkScaling,
	yarnScaling,
} from '../../../extension/engine/scalings';

// References here are closed forms: identities that hold exactly, or formulas with
// one-line answers, so they need no generated fixture.

const G: RotaryGeometry = {
	base: 10000,
	headDim: 96,
	rotaryDim: 96,
	originalWindow: 4096,
	maxWindow: 131072,
};
const theta = inverseFrequencies(G.base, G.rotaryDim);

describe('rotary closed forms', () => {
	it('θ_0 = 1 and θ_i = base^(−2i/d)', () => {
		assert.equal(theta[0], 1);
		assert.equal(theta[24], 1 / 10000 ** 0.5);
	});

	it('LongRoPE with every λ = 1 and n̂ = 0 is plain RoPE, bit for bit', () => {
		const ones = longropeScaling(G, { factors: new Array(48).fill(1), scale: 1 });
		assert.equal(ones.attentionFactor, 1);
		const a = buildRotaryTables(rotarySpec(theta, ones), 4000, 300);
		const b = buildRotaryTables(rotarySpec(theta, noScaling(G)), 4000, 300);
		assert.deepEqual(a.cos, b.cos);
		assert.deepEqual(a.sin, b.sin);
	});

	it('PI, NTK and YaRN at s = 1, and dynamic NTK within L, are the identity', () => {
		for (const scaling of [
			linearScaling(G, 1),
			ntkScaling(G, 1),
			yarnScaling(G, { scale: 1 }),
			dynamicNtkScaling(G, 4, 4096),
			dynamicNtkScaling(G, 4, 100),
		]) {
			assert.deepEqual(Array.from(scaling.factors), new Array(48).fill(1));
			assert.equal(scaling.attentionFactor, 1);
		}
	});

	it('PI at s divides every angle by s: position s·n equals position n unscaled', () => {
		const scaled = rotaryValuesAt(rotarySpec(theta, linearScaling(G, 4)), [4 * 1000]);
		const plain = rotaryValuesAt(rotarySpec(theta, noScaling(G)), [1000]);
		scaled.cos[0].forEach((c, i) => assert.ok(Math.abs(c - plain.cos[0][i]) < 1e-12));
	});

	it('NTK keeps the highest frequency and divides the lowest by exactly s', () => {
		const { factors } = ntkScaling(G, 8);
		assert.equal(factors[0], 1);
		assert.ok(Math.abs(factors[47] - 8 ** (94 / 94)) < 1e-12);
	});

	it('LongRoPE attention factor √(1 + ln s / ln L): Phi-3 s = 32, L = 4096', () => {
		assert.equal(
			longropeAttentionFactor(32, 4096),
			Math.sqrt(1 + Math.log(32) / Math.log(4096)),
		);
		assert.ok(Math.abs(longropeAttentionFactor(32, 4096) - Math.sqrt(1 + 5 / 12)) < 1e-15);
		assert.equal(longropeAttentionFactor(1, 4096), 1);
	});

	it('cos² + sin² equals the squared attention factor everywhere', () => {
		const spec = rotarySpec(
			theta,
			longropeScaling(G, { factors: new Array(48).fill(3), scale: 32 }),
		);
		const table = buildRotaryTables(spec, 131000, 72);
		const a2 = spec.attentionFactor ** 2;
		for (let k = 0; k < table.cos.length; k++) {
			assert.ok(Math.abs(table.cos[k] ** 2 + table.sin[k] ** 2 - a2) < 1e-6);
		}
	});

	it('the block builder equals one trig call per entry across 131072 positions', () => {
		const spec = rotarySpec(
			theta,
			longropeScaling(G, {
				factors: Array.from({ length: 48 }, (_, i) => 1 + i),
				nHat: 100,
				scale: 32,
			}),
		);
		const table = buildRotaryTables(spec, 0, 131072);
		// Every 17th position: co-prime with the block size (128), so every offset in a block is hit.
		const positions = Array.from({ length: 7711 }, (_, k) => k * 17);
		const exact = rotaryValuesAt(spec, positions);
		let worst = 0;
		positions.forEach((n, k) => {
			for (let i = 0; i < 48; i++) {
				worst = Math.max(worst, Math.abs(table.cos[n * 48 + i] - exact.cos[k][i]));
				worst = Math.max(worst, Math.abs(table.sin[n * 48 + i] - exact.sin[k][i]));
			}
		});
		assert.ok(worst < 2e-7, `worst difference ${worst}`);
	});

	it('float32 angles would lose ~1e-2 rad at 131071; the tables do not', () => {
		const angle = 131071 * theta[1];
		assert.ok(Math.abs(Math.fround(131071) * Math.fround(theta[1]) - angle) > 1e-4);
		const table = buildRotaryTables(rotarySpec(theta, noScaling(G)), 131071, 1);
		assert.ok(Math.abs(table.cos[1] - Math.cos(angle)) < 1e-7);
	});
});
