import * as assert from 'node:assert/strict';
import { FactorManager } from '../../../extension/engine/factorManager';
import type { RopeConfig } from '../../../extension/engine/factorSet';
import { ropeConfigFromHf } from '../../../extension/engine/hfRopeConfig';
import { inverseFrequencies } from '../../../extension/engine/rotaryGeometry';
import { buildRotaryTables } from '../../../extension/engine/rotaryTables';
import { phi3Config } from '../helpers/fixtures';

function phi3Manager(chunkSize?: number): FactorManager {
	return new FactorManager(ropeConfigFromHf(phi3Config()), chunkSize);
}

/** A tiny model with a searched set whose first n̂ = 10 positions keep their angles. */
const nHatConfig: RopeConfig = {
	geometry: { base: 10000, headDim: 8, rotaryDim: 8, originalWindow: 64, maxWindow: 1024 },
	sets: [
		{
			name: 'searched',
			method: 'longrope',
			maxLength: 1024,
			scale: 16,
			source: 'test',
			factors: [1, 2, 4, 8],
			nHat: 10,
			attentionFactor: 1,
		},
	],
};

describe('factor manager', () => {
	describe('choice by planned length', () => {
		it('switches exactly at the original window: 4096 → short, 4097 → long', () => {
			const manager = phi3Manager();
			assert.equal(manager.plan({ plannedLength: 4096 }).set.name, 'short');
			assert.equal(manager.plan({ plannedLength: 4097 }).set.name, 'long');
			assert.equal(manager.plan({ plannedLength: 1 }).set.name, 'short');
			assert.equal(manager.plan({ plannedLength: 131072 }).set.name, 'long');
		});

		it('past every window: the largest set, with a warning', () => {
			const manager = phi3Manager();
			const active = manager.plan({ plannedLength: 200000 });
			assert.equal(active.set.name, 'long');
			assert.match(active.reason, /exceeds every set's window/);
			assert.match(active.warning ?? '', /past the window of "long" \(131072\)/);
			assert.equal(manager.plan({ plannedLength: 8000 }).warning, undefined);
		});

		it('says why in terms of the windows', () => {
			const manager = phi3Manager();
			assert.equal(
				manager.plan({ plannedLength: 2000 }).reason,
				'planned length 2000 fits "short" (window 4096), the smallest set that covers it',
			);
			assert.equal(
				manager.plan({ plannedLength: 8000 }).reason,
				'planned length 8000 > 4096, the window of "short"; "long" (window 131072) is the smallest set that covers it',
			);
		});
	});

	describe('override', () => {
		it('short / long / a set name win over the planned length', () => {
			const manager = phi3Manager();
			assert.equal(manager.plan({ plannedLength: 100, override: 'long' }).set.name, 'long');
			const forcedShort = manager.plan({ plannedLength: 8000, override: 'short' });
			assert.equal(forcedShort.set.name, 'short');
			assert.match(forcedShort.reason, /override "short"/);
			assert.match(forcedShort.warning ?? '', /past the window of "short"/);
			assert.equal(manager.plan({ plannedLength: 100, override: 'auto' }).set.name, 'short');
		});

		it('keywords pick the smallest / largest window when no set has that name', () => {
			const config = ropeConfigFromHf({
				hidden_size: 64,
				num_attention_heads: 8,
				max_position_embeddings: 512,
				rope_scaling: { type: 'yarn', factor: 4 },
			});
			const manager = new FactorManager(config);
			assert.equal(manager.plan({ plannedLength: 10, override: 'short' }).set.name, 'yarn');
			assert.equal(manager.plan({ plannedLength: 10, override: 'yarn' }).set.name, 'yarn');
		});
	});

	describe('keys (a KV cache is kept while the key stays)', () => {
		it('changes whenever the active set changes, and only then', () => {
			const manager = phi3Manager();
			const keys = [2000, 3000, 8000, 9000].map((n) => manager.plan({ plannedLength: n }).key);
			keys.push(manager.plan({ plannedLength: 9000, override: 'short' }).key);
			assert.deepEqual(keys, ['short', 'short', 'long', 'long', 'short']);
		});

		it('changes for a dynamic set when the plan changes its factors', () => {
			const config = ropeConfigFromHf({
				hidden_size: 64,
				num_attention_heads: 4,
				max_position_embeddings: 1000,
				rope_scaling: { type: 'dynamic', factor: 4 },
			});
			const manager = new FactorManager(config);
			const keys = [500, 1000, 3000].map((n) => manager.plan({ plannedLength: n }).key);
			assert.deepEqual(keys, ['dynamic@1000', 'dynamic@1000', 'dynamic@3000']);
		});

		it('takes a set chosen by a request plan, and refuses one of another model', () => {
			const manager = phi3Manager();
			const long = manager.config.sets.find((s) => s.name === 'long');
			assert.ok(long);
			const active = manager.use({ set: long, reason: 'planned elsewhere' }, 100);
			assert.equal(active.set.name, 'long');
			assert.equal(active.reason, 'planned elsewhere');
			assert.throws(
				() => manager.use({ set: { ...long }, reason: 'a copy' }, 100),
				/one of this model's factor sets/,
			);
		});
	});

	describe('tables', () => {
		it('needs a plan first', () => {
			assert.throws(() => phi3Manager().tables(0, 1), /call plan\(\)/);
		});

		it('serves any range equal to a direct build, within and across cache chunks', () => {
			const manager = phi3Manager(256);
			const active = manager.plan({ plannedLength: 8000 });
			for (const [start, count] of [
				[0, 1],
				[100, 50],
				[250, 20],
				[4000, 1000],
				[131071, 1],
			]) {
				const served = manager.tables(start, count);
				const direct = buildRotaryTables(active.spec, start, count);
				assert.equal(served.pairs, 48);
				assert.deepEqual(
					Array.from(served.cos),
					Array.from(direct.cos),
					`cos ${start}+${count}`,
				);
				assert.deepEqual(
					Array.from(served.sin),
					Array.from(direct.sin),
					`sin ${start}+${count}`,
				);
			}
		});

		it('returns cached memory for a range inside one chunk, rebuilt after a switch', () => {
			const manager = phi3Manager(256);
			manager.plan({ plannedLength: 2000 });
			const a = manager.tables(10, 5);
			assert.equal(manager.tables(10, 5).cos.buffer, a.cos.buffer);
			manager.plan({ plannedLength: 8000 });
			const b = manager.tables(10, 5);
			assert.notEqual(b.cos.buffer, a.cos.buffer);
			assert.notDeepEqual(Array.from(b.cos), Array.from(a.cos));
		});

		it('n̂ boundary: position n̂−1 keeps its original angle, n̂ is scaled', () => {
			const manager = new FactorManager(nHatConfig);
			manager.plan({ plannedLength: 500 });
			const theta = inverseFrequencies(10000, 8);
			const table = manager.tables(8, 4); // positions 8, 9 | 10, 11
			const at = (row: number, i: number) => table.cos[row * 4 + i];
			for (let i = 0; i < 4; i++) {
				assert.ok(Math.abs(at(1, i) - Math.cos(9 * theta[i])) < 1e-7, `9, pair ${i}`);
				const scaled = theta[i] / [1, 2, 4, 8][i];
				assert.ok(Math.abs(at(2, i) - Math.cos(10 * scaled)) < 1e-7, `10, pair ${i}`);
			}
			assert.notEqual(at(2, 3), Math.fround(Math.cos(10 * theta[3])));
		});
	});

	describe('explain()', () => {
		it('holds the set and why, windows, s, λ, n̂, attention factor and wavelengths', () => {
			const manager = phi3Manager();
			manager.plan({ plannedLength: 8000 });
			const e = manager.explain();
			assert.equal(e.set, 'long');
			assert.match(e.reason, /smallest set that covers it/);
			assert.equal(e.override, 'auto');
			assert.equal(e.plannedLength, 8000);
			assert.equal(e.originalWindow, 4096);
			assert.equal(e.setWindow, 131072);
			assert.equal(e.scale, 32);
			assert.equal(e.nHat, 0);
			assert.equal(e.attentionFactor, Math.sqrt(1 + Math.log(32) / Math.log(4096)));
			assert.equal(e.pairs.length, 48);
			const last = e.pairs[47];
			assert.equal(last.factor, 64.76000213623047);
			assert.ok(Math.abs(last.wavelengthBefore - 2 * Math.PI * 10000 ** (94 / 96)) < 1e-6);
			assert.ok(Math.abs(last.wavelengthAfter / last.wavelengthBefore - last.factor) < 1e-12);
			assert.deepEqual(
				e.sets.map((s) => s.name),
				['short', 'long'],
			);
		});
	});
});
