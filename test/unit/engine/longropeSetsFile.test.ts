import * as assert from 'node:assert/strict';
import { FactorManager } from '../../../extension/engine/factorManager';
import { withFactorSets } from '../../../extension/engine/factorSet';
import { ropeConfigFromHf } from '../../../extension/engine/hfRopeConfig';
import { factorSetsFromLongropeJson } from '../../../extension/engine/longropeSetsFile';
import { phi3Config } from '../helpers/fixtures';

const searched = {
	sets: [
		{
			name: 'search-16k',
			maxLength: 16384,
			factors: Array.from({ length: 48 }, (_, i) => 1 + i / 10),
			nHat: 32,
			attentionFactor: 1.1,
			provenance: { method: 'evolutionary search', rounds: 40 },
		},
	],
};

describe('longrope.json', () => {
	it('reads named sets with their window, n̂, attention factor and provenance', () => {
		const geometry = ropeConfigFromHf(phi3Config()).geometry;
		const [set] = factorSetsFromLongropeJson(searched, geometry);
		assert.equal(set.name, 'search-16k');
		assert.equal(set.method, 'longrope');
		assert.equal(set.maxLength, 16384);
		assert.equal(set.scale, 4);
		assert.deepEqual(set.provenance, { method: 'evolutionary search', rounds: 40 });
		assert.equal(set.nHat, 32);
		assert.equal(set.attentionFactor, 1.1);
	});

	it('joins the config sets: the manager then picks it for plans between the windows', () => {
		const base = ropeConfigFromHf(phi3Config());
		const config = withFactorSets(base, factorSetsFromLongropeJson(searched, base.geometry));
		const manager = new FactorManager(config);
		assert.equal(manager.plan({ plannedLength: 4096 }).set.name, 'short');
		assert.equal(manager.plan({ plannedLength: 8000 }).set.name, 'search-16k');
		assert.equal(manager.plan({ plannedLength: 16385 }).set.name, 'long');
		manager.dispose();
	});
});
