import * as assert from 'node:assert/strict';
import type { StaticFactorSet } from '../../../extension/engine/factorSet';
import { ropeConfigFromHf } from '../../../extension/engine/hfRopeConfig';
import { phi3Config } from '../helpers/fixtures';

const PHI3_ATTENTION = Math.sqrt(1 + Math.log(32) / Math.log(4096));

function staticSet(sets: readonly unknown[], name: string): StaticFactorSet {
	const set = (sets as StaticFactorSet[]).find((s) => s.name === name);
	assert.ok(set, `no set ${name}`);
	return set;
}

/** A small Llama-style config with the given rope_scaling. */
function llama(ropeScaling: Record<string, unknown> | undefined): Record<string, unknown> {
	return {
		hidden_size: 256,
		num_attention_heads: 4,
		max_position_embeddings: 2048,
		rope_theta: 500000,
		...(ropeScaling ? { rope_scaling: ropeScaling } : {}),
	};
}

describe('config.json rope_scaling', () => {
	it('reads Phi-3-mini-128k: geometry and the short/long sets', () => {
		const config = ropeConfigFromHf(phi3Config());
		assert.deepEqual(config.geometry, {
			base: 10000,
			headDim: 96,
			rotaryDim: 96,
			originalWindow: 4096,
			maxWindow: 131072,
		});
		assert.deepEqual(
			config.sets.map((s) => [s.name, s.method, s.maxLength, s.scale]),
			[
				['short', 'longrope', 4096, 32],
				['long', 'longrope', 131072, 32],
			],
		);
		const long = staticSet(config.sets, 'long');
		assert.equal(long.factors.length, 48);
		assert.equal(long.factors[47], 64.76000213623047);
		assert.equal(long.nHat, 0);
		assert.equal(long.attentionFactor, PHI3_ATTENTION);
		assert.equal(staticSet(config.sets, 'short').attentionFactor, PHI3_ATTENTION);
	});

	it('accepts the older type "su" and the newer key rope_type', () => {
		const su = phi3Config();
		su.rope_scaling.type = 'su';
		const typed = phi3Config();
		delete typed.rope_scaling.type;
		typed.rope_scaling.rope_type = 'longrope';
		for (const config of [su, typed]) {
			assert.deepEqual(
				ropeConfigFromHf(config).sets.map((s) => s.name),
				['short', 'long'],
			);
		}
	});

	it('uses short_mscale / long_mscale when given', () => {
		const config = phi3Config();
		config.rope_scaling.short_mscale = 1.1;
		config.rope_scaling.long_mscale = 1.25;
		const sets = ropeConfigFromHf(config).sets;
		assert.equal(staticSet(sets, 'short').attentionFactor, 1.1);
		assert.equal(staticSet(sets, 'long').attentionFactor, 1.25);
	});

	it('takes original_max_position_embeddings from rope_scaling when not at the top', () => {
		const config = phi3Config();
		delete config.original_max_position_embeddings;
		config.rope_scaling.original_max_position_embeddings = 4096;
		assert.equal(ropeConfigFromHf(config).geometry.originalWindow, 4096);
	});

	it('linear: one set, λ = s, window L·s', () => {
		const set = staticSet(
			ropeConfigFromHf(llama({ type: 'linear', factor: 4 })).sets,
			'linear',
		);
		assert.equal(set.maxLength, 8192);
		assert.deepEqual(set.factors, new Array(32).fill(4));
	});

	it('dynamic: one set whose factors are made per plan', () => {
		const [set] = ropeConfigFromHf(llama({ rope_type: 'dynamic', factor: 2 })).sets;
		assert.equal(set.method, 'dynamic-ntk');
		assert.equal(set.maxLength, 4096);
	});

	it('yarn: window L·s and attention 0.1·ln s + 1; attention_factor wins when given', () => {
		const set = staticSet(ropeConfigFromHf(llama({ type: 'yarn', factor: 8 })).sets, 'yarn');
		assert.equal(set.maxLength, 16384);
		assert.equal(set.attentionFactor, 0.1 * Math.log(8) + 1);
		assert.equal(set.factors[0], 1);
		assert.equal(set.factors[31], 8);
		const given = ropeConfigFromHf(llama({ type: 'yarn', factor: 8, attention_factor: 1.5 }));
		assert.equal(staticSet(given.sets, 'yarn').attentionFactor, 1.5);
	});

	it('no rope_scaling, or type "default": one unscaled set over max_position_embeddings', () => {
		for (const config of [llama(undefined), llama({ rope_type: 'default' })]) {
			const set = staticSet(ropeConfigFromHf(config).sets, 'default');
			assert.equal(set.maxLength, 2048);
			assert.deepEqual(set.factors, new Array(32).fill(1));
		}
	});

	it('head_dim wins over hidden_size / heads; rotary_dim gives partial rotary', () => {
		const config = ropeConfigFromHf({ ...llama(undefined), head_dim: 128, rotary_dim: 64 });
		assert.equal(config.geometry.headDim, 128);
		assert.equal(config.geometry.rotaryDim, 64);
	});
});
