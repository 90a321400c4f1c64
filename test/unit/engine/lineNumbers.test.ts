import * as assert from 'node:assert/strict';
import { numberLines, renderFile } from '../../../extension/engine/prompts/filePrompts';

describe('line numbers in prompts', () => {
	it('puts each line after its number and a tab, from the first line shown', () => {
		assert.equal(numberLines('a\nb\n'), '1\ta\n2\tb\n');
		assert.equal(numberLines('a\nb'), '1\ta\n2\tb', 'a last line without a break');
		assert.equal(
			numberLines('x\n\ny\n', 9),
			'9\tx\n10\t\n11\ty\n',
			'blank lines keep a number',
		);
		assert.equal(numberLines('a\r\nb\r\n'), '1\ta\r\n2\tb\r\n');
		assert.equal(numberLines('\n'), '1\t\n');
		assert.equal(numberLines(''), '');
	});

	it('numbers a part of a file from its first line, and a cut from line 1', () => {
		assert.equal(
			renderFile({
				path: 'src/a.ts',
				language: 'typescript',
				text: 'three;\nfour;',
				lines: { from: 3, to: 4, of: 9 },
			}),
			'### src/a.ts (typescript, lines 3–4 of 9)\n3\tthree;\n4\tfour;\n',
		);
		assert.equal(
			renderFile({
				path: 'src/a.ts',
				language: 'typescript',
				text: 'one;\ntw',
				lines: { from: 1, to: 2, of: 9 },
				cut: { from: 2, to: 9, of: 9, partial: true },
			}),
			'### src/a.ts (typescript)\n1\tone;\n2\ttw\n[… the rest of line 2 and lines 3–9 of 9 not shown: no room in the context]\n',
		);
	});
});
