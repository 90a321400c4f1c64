import * as assert from 'node:assert/strict';
import { excludeMatcher, globToRegExp } from '../../../extension/engine/workspace/glob';
import {
	decodeWorkspaceText,
	firstInvalidUtf8,
} from '../../../extension/engine/workspace/textDecoding';

describe('exclude globs (files.exclude)', () => {
	const cases: [string, string, boolean][] = [
		['**/.git', '.git', true],
		['**/.git', 'a/b/.git', true],
		['**/.git', 'a/.github', false],
		['*.js', 'a.js', true],
		['*.js', 'src/a.js', false],
		['**/*.js', 'src/deep/a.js', true],
		['src/**', 'src/a/b.ts', true],
		['src/**/test', 'src/test', true],
		['src/**/test', 'src/a/b/test', true],
		['**/*.{js,map}', 'dist/x.map', true],
		['**/*.{js,map}', 'dist/x.ts', false],
		['file?.txt', 'file1.txt', true],
		['file?.txt', 'file10.txt', false],
		['[ab].ts', 'a.ts', true],
		['[!ab].ts', 'a.ts', false],
		['[!ab].ts', 'c.ts', true],
		['./build/', 'build', true],
		['a+b(1).ts', 'a+b(1).ts', true],
	];
	for (const [glob, path, expected] of cases) {
		it(`${glob} ${expected ? 'matches' : 'does not match'} ${path}`, () => {
			assert.equal(globToRegExp(glob).test(path), expected);
		});
	}

	it('merges settings; false turns a pattern off; when clauses are dropped', () => {
		const excluded = excludeMatcher(
			{ '**/node_modules': true, '**/*.js': { when: '$(basename).ts' } },
			{ '**/node_modules': false },
			['**/*.snap'],
		);
		assert.equal(excluded('node_modules'), false);
		assert.equal(excluded('a.js'), false);
		assert.equal(excluded('t/x.snap'), true);
	});
});

describe('text decoding', () => {
	const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

	it('reads UTF-8, with or without a BOM, and UTF-16 by its BOM', () => {
		assert.deepEqual(decodeWorkspaceText(new TextEncoder().encode('é\n')), {
			ok: true,
			text: 'é\n',
			encoding: 'utf-8',
		});
		assert.deepEqual(decodeWorkspaceText(bytes(0xef, 0xbb, 0xbf, 0x41)), {
			ok: true,
			text: 'A',
			encoding: 'utf-8-bom',
		});
		assert.deepEqual(decodeWorkspaceText(bytes(0xff, 0xfe, 0x41, 0, 0x42, 0)), {
			ok: true,
			text: 'AB',
			encoding: 'utf-16le',
		});
		assert.deepEqual(decodeWorkspaceText(bytes(0xfe, 0xff, 0, 0x41)), {
			ok: true,
			text: 'A',
			encoding: 'utf-16be',
		});
		assert.deepEqual(decodeWorkspaceText(bytes()), { ok: true, text: '', encoding: 'utf-8' });
	});

	it('calls NUL bytes and control-heavy data binary', () => {
		const nul = decodeWorkspaceText(bytes(0x41, 0x42, 0, 0x43));
		assert.deepEqual(nul, {
			ok: false,
			reason: 'binary',
			detail: 'binary: NUL byte at offset 2',
		});
		const control = decodeWorkspaceText(bytes(1, 2, 3, 4, 0x41, 0x42, 0x43, 0x44));
		assert.equal(control.ok, false);
		assert.equal(!control.ok && control.reason, 'binary');
	});

	it('refuses other encodings with the offset of the first bad byte', () => {
		const latin1 = decodeWorkspaceText(bytes(0x61, 0x62, 0xe9, 0x63));
		assert.ok(!latin1.ok);
		assert.equal(latin1.reason, 'encoding');
		assert.match(latin1.detail, /invalid byte 0xe9 at offset 2/);
		assert.equal(firstInvalidUtf8(bytes(0xc3, 0xa9, 0xed, 0xa0, 0x80)), 2); // a surrogate
		assert.equal(firstInvalidUtf8(bytes(0xc0, 0x80)), 0); // overlong
		assert.equal(firstInvalidUtf8(bytes(0x41, 0xf0, 0x9f, 0x98)), 1); // truncated
		assert.equal(firstInvalidUtf8(new TextEncoder().encode('ok ✓ 😀')), 11);
		const odd = decodeWorkspaceText(bytes(0xff, 0xfe, 0x41));
		assert.ok(!odd.ok && odd.reason === 'encoding');
	});
});
