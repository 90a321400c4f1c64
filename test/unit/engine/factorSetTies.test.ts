import * as assert from 'node:assert/strict';
import { chooseFactorSet } from '../../../extension/engine/factorSelection';
import { withFactorSets } from '../../../extension/engine/factorSet';
import { ropeConfigFromHf } from '../../../extension/engine/hfRopeConfig';
import { factorSetsFromLongropeJson } from '../../../extension/engine/longropeSetsFile';

/** The bundled model's shape: no rope_scaling, window 256, sets searched into longrope.json. */
const CONFIG = {
	hidden_size: 256,
	num_attention_heads: 8,
	head_dim: 32,
	rope_theta: 10000,
	original_max_position_embeddings: 256,
	max_position_embeddings: 2048,
};

function set(name: string, maxLength: number) {
	return {
		name,
		maxLength,
		factors: new Array(16).fill(maxLength / 256),
		nHat: 0,
		attentionFactor: 1,
	};
}

describe('searched sets next to an unscaled config', () => {
	const base = ropeConfigFromHf(CONFIG);
	const rope = withFactorSets(
		base,
		factorSetsFromLongropeJson(
			{ sets: [set('short', 256), set('long-1k', 1024), set('long-2k', 2048)] },
			base.geometry,
		),
	);

	it('the unscaled default set covers the trained window, not max_position_embeddings', () => {
		assert.deepEqual(
			base.sets.map((s) => [s.name, s.maxLength]),
			[['default', 256]],
		);
	});

	it('auto: on equal windows the later-listed (searched) set wins', () => {
		const pick = (n: number) => chooseFactorSet(rope.sets, n).set.name;
		assert.equal(pick(100), 'short');
		assert.equal(pick(256), 'short');
		assert.equal(pick(257), 'long-1k');
		assert.equal(pick(2048), 'long-2k');
		assert.equal(pick(5000), 'long-2k');
		assert.equal(chooseFactorSet(rope.sets, 100, 'default').set.name, 'default');
		assert.equal(chooseFactorSet(rope.sets, 100, 'long').set.name, 'long-2k');
	});

	it('without searched sets the config alone still picks default', () => {
		assert.equal(chooseFactorSet(base.sets, 200).set.name, 'default');
		const tie = withFactorSets(
			base,
			factorSetsFromLongropeJson(
				{ sets: [set('wide', 2048), set('wide2', 2048)] },
				base.geometry,
			),
		);
		assert.equal(chooseFactorSet(tie.sets, 4096).set.name, 'wide2');
		assert.equal(chooseFactorSet(tie.sets, 10, 'long').set.name, 'wide2');
	});
});
