import * as assert from 'node:assert/strict';
import { parseCitations, validateCitations } from '../../../extension/engine/workspace/citations';
import type { ManifestFile } from '../../../extension/engine/workspace/manifest';

const FILES: ManifestFile[] = [
	{
		path: 'src/cli/ask.ts',
		status: 'included',
		reason: '',
		tokens: 10,
		lines: { from: 1, to: 40, of: 40 },
	},
	{
		path: 'src/big.ts',
		status: 'truncated',
		reason: '',
		tokens: 10,
		lines: { from: 1, to: 120, of: 450 },
	},
	{
		path: 'README.md',
		status: 'included',
		reason: '',
		tokens: 10,
		lines: { from: 1, to: 9, of: 9 },
	},
	{
		path: 'Makefile',
		status: 'included',
		reason: '',
		tokens: 10,
		lines: { from: 1, to: 5, of: 5 },
	},
	{ path: 'src/omitted.ts', status: 'omitted', reason: 'no room', tokens: 0 },
	{
		path: 'a/util.ts',
		status: 'included',
		reason: '',
		tokens: 1,
		lines: { from: 1, to: 9, of: 9 },
	},
	{
		path: 'b/util.ts',
		status: 'included',
		reason: '',
		tokens: 1,
		lines: { from: 1, to: 9, of: 9 },
	},
];

describe('citations', () => {
	it('finds path:line, ranges, #L anchors and file names without a folder', () => {
		const raw = parseCitations(
			'See `src/cli/ask.ts:12`, (README.md:3-5), src/big.ts#L7-L9 and Makefile:2. ' +
				'Ports like http://localhost:8080 and notes: 3 are not citations; ask.ts:4:2 is.',
		);
		assert.deepEqual(
			raw.map((c) => [c.path, c.line, c.endLine]),
			[
				['src/cli/ask.ts', 12, undefined],
				['README.md', 3, 5],
				['src/big.ts', 7, 9],
				['Makefile', 2, undefined],
				['ask.ts', 4, undefined],
			],
		);
	});

	it('keeps citations of shown lines and drops the rest with a reason', () => {
		const raw = parseCitations(
			'ask.ts:4 src/big.ts:300 src/omitted.ts:1 nowhere.ts:2 util.ts:3 README.md:2 README.md:2',
		);
		const { citations, dropped } = validateCitations(raw, FILES);
		assert.deepEqual(
			citations.map((c) => `${c.path}:${c.line}`),
			['src/cli/ask.ts:4', 'README.md:2'],
		);
		assert.deepEqual(
			dropped.map((d) => d.text),
			['src/big.ts:300', 'src/omitted.ts:1', 'nowhere.ts:2', 'util.ts:3'],
		);
		assert.match(
			dropped[0].reason,
			/outside the lines of src\/big\.ts the model saw \(1–120\)/,
		);
		assert.match(dropped[1].reason, /not shown to the model \(omitted\)/);
		assert.match(dropped[2].reason, /unknown path/);
		assert.match(dropped[3].reason, /ambiguous: 2 files end with util\.ts/);
	});
});
