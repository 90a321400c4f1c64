import * as assert from 'node:assert/strict';
import { FactorManager } from '../../../extension/engine/factorManager';
import { chooseFactorSet } from '../../../extension/engine/factorSelection';
import { withFactorSets } from '../../../extension/engine/factorSet';
import { ropeConfigFromHf } from '../../../extension/engine/hfRopeConfig';
import { factorSetsFromLongropeJson } from '../../../extension/engine/longropeSetsFile';
import {
	inverseFrequencies,
	validateGeometry,
	type RotaryGeometry,
} from '../../../extension/engine/rotaryGeometry';
import {
	buildRotaryTables,
	rotarySpec,
	rotaryValuesAt,
} from '../../../extension/engine/rotaryTables';
import {
	linearScaling,
	longropeScaling,
	noScaling,
	ntkScaling,
	yarnScaling,
} from '../../../extension/engine/scalings';
import { RopeInputError } from '../../../extension/engine/validation';
import { phi3Config } from '../helpers/fixtures';

/** The call throws a RopeInputError for `field`, and the message shows the value. */
function rejects(call: () => unknown, field: string, shownValue: string): void {
	assert.throws(call, (error: unknown) => {
		assert.ok(error instanceof RopeInputError, `expected RopeInputError, got ${String(error)}`);
		assert.equal(error.field, field);
		assert.ok(error.message.startsWith(`${field} must be`), error.message);
		assert.ok(error.message.includes(`(got ${shownValue})`), error.message);
		return true;
	});
}

const G: RotaryGeometry = {
	base: 10000,
	headDim: 8,
	rotaryDim: 8,
	originalWindow: 16,
	maxWindow: 64,
};
const spec = rotarySpec(inverseFrequencies(10000, 8), noScaling(G));

function longropeFile(set: Record<string, unknown>): unknown {
	return {
		sets: [
			{
				name: 'search',
				maxLength: 32,
				factors: [1, 1, 2, 2],
				nHat: 0,
				attentionFactor: 1,
				...set,
			},
		],
	};
}

describe('every input is validated, naming the field and the value', () => {
	it('factor count must be rotary_dim/2', () => {
		rejects(
			() => longropeScaling(G, { factors: [1, 2, 3], scale: 2 }),
			'factors',
			'an array of 3',
		);
		rejects(
			() => buildRotaryTables({ ...spec, factors: new Float64Array(5).fill(1) }, 0, 1),
			'factors',
			'an array of 5',
		);
	});

	it('factors must be finite and > 0', () => {
		rejects(
			() => longropeScaling(G, { factors: [1, NaN, 1, 1], scale: 2 }),
			'factors[1]',
			'NaN',
		);
		rejects(() => longropeScaling(G, { factors: [1, 1, 0, 1], scale: 2 }), 'factors[2]', '0');
		rejects(() => longropeScaling(G, { factors: [1, 1, 1, -2], scale: 2 }), 'factors[3]', '-2');
		rejects(
			() => longropeScaling(G, { factors: [Infinity, 1, 1, 1], scale: 2 }),
			'factors[0]',
			'Infinity',
		);
	});

	it('positions must be non-negative integers', () => {
		rejects(() => rotaryValuesAt(spec, [0, -1]), 'positions[1]', '-1');
		rejects(() => rotaryValuesAt(spec, [2.5]), 'positions[0]', '2.5');
		rejects(() => buildRotaryTables(spec, -4, 2), 'start', '-4');
	});

	it('lengths must be positive integers', () => {
		rejects(() => buildRotaryTables(spec, 0, 0), 'count', '0');
		rejects(() => chooseFactorSet([], 0), 'plannedLength', '0');
		rejects(
			() => new FactorManager(ropeConfigFromHf(phi3Config())).plan({ plannedLength: -5 }),
			'plannedLength',
			'-5',
		);
	});

	it('scales, n̂ and attention factors', () => {
		rejects(() => linearScaling(G, 0), 'scale', '0');
		rejects(() => ntkScaling(G, -1), 'scale', '-1');
		rejects(() => yarnScaling(G, { scale: 4, betaFast: 0 }), 'betaFast', '0');
		rejects(
			() => longropeScaling(G, { factors: [1, 1, 1, 1], nHat: 1.5, scale: 2 }),
			'nHat',
			'1.5',
		);
		rejects(
			() => longropeScaling(G, { factors: [1, 1, 1, 1], attentionFactor: 0, scale: 2 }),
			'attentionFactor',
			'0',
		);
	});

	it('geometry: base, rotary dimension, windows', () => {
		rejects(() => validateGeometry({ ...G, base: 1 }), 'base', '1');
		rejects(() => validateGeometry({ ...G, rotaryDim: 7 }), 'rotaryDim', '7');
		rejects(() => validateGeometry({ ...G, rotaryDim: 10 }), 'rotaryDim', '10');
		rejects(() => validateGeometry({ ...G, originalWindow: 0 }), 'originalWindow', '0');
		rejects(() => ntkScaling({ ...G, headDim: 2, rotaryDim: 2 }, 2), 'rotaryDim', '2');
	});

	it('config.json fields, by their JSON names', () => {
		const withField = (patch: Record<string, unknown>) => ({ ...phi3Config(), ...patch });
		rejects(() => ropeConfigFromHf(withField({ rope_theta: 'big' })), 'rope_theta', '"big"');
		rejects(
			() => ropeConfigFromHf(withField({ max_position_embeddings: undefined })),
			'max_position_embeddings',
			'nothing',
		);
		rejects(() => ropeConfigFromHf(withField({ hidden_size: 3000 })), 'hidden_size', '3000');
		rejects(
			() => ropeConfigFromHf(withField({ partial_rotary_factor: 1.5 })),
			'partial_rotary_factor',
			'1.5',
		);
		rejects(
			() => ropeConfigFromHf(withField({ original_max_position_embeddings: 0 })),
			'original_max_position_embeddings',
			'0',
		);
		const config = phi3Config();
		config.rope_scaling.type = 'llama3';
		rejects(() => ropeConfigFromHf(config), 'rope_scaling.type', '"llama3"');
		const short = phi3Config();
		short.rope_scaling.short_factor = [1, 2];
		rejects(() => ropeConfigFromHf(short), 'rope_scaling.short_factor', 'an array of 2');
		const long = phi3Config();
		(long.rope_scaling.long_factor as unknown[])[7] = 'x';
		rejects(() => ropeConfigFromHf(long), 'rope_scaling.long_factor[7]', '"x"');
		rejects(
			() => ropeConfigFromHf(withField({ rope_scaling: { type: 'linear' } })),
			'rope_scaling.factor',
			'nothing',
		);
		rejects(() => ropeConfigFromHf([]), 'config', 'an array of 0');
	});

	it('longrope.json fields, by their path in the file', () => {
		rejects(
			() => factorSetsFromLongropeJson({ sets: [] }, G),
			'longrope.json sets',
			'an array of 0',
		);
		rejects(
			() => factorSetsFromLongropeJson(longropeFile({ name: 'auto' }), G),
			'longrope.json sets[0].name',
			'"auto"',
		);
		rejects(
			() => factorSetsFromLongropeJson(longropeFile({ maxLength: 0 }), G),
			'longrope.json sets[0].maxLength',
			'0',
		);
		rejects(
			() => factorSetsFromLongropeJson(longropeFile({ factors: [1, 1, 1, 1, 1] }), G),
			'longrope.json sets[0].factors',
			'an array of 5',
		);
		rejects(
			() => factorSetsFromLongropeJson(longropeFile({ nHat: -1 }), G),
			'longrope.json sets[0].nHat',
			'-1',
		);
		rejects(
			() => factorSetsFromLongropeJson(longropeFile({ attentionFactor: null }), G),
			'longrope.json sets[0].attentionFactor',
			'null',
		);
	});

	it('set names must be unique; overrides must name a set', () => {
		const config = ropeConfigFromHf(phi3Config());
		const clash = factorSetsFromLongropeJson(
			longropeFile({ name: 'long', factors: new Array(48).fill(2) }),
			config.geometry,
		);
		rejects(() => withFactorSets(config, clash), 'name', '"long"');
		rejects(() => chooseFactorSet(config.sets, 10, 'medium'), 'override', '"medium"');
	});
});
