import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
	headWithin,
	lineCount,
	MemoryTokenCountCache,
	TokenCounter,
} from '../../../extension/engine/workspace/tokenCount';
import { numberLines } from '../../../extension/engine/prompts/filePrompts';
import { sha256Hex, TokenCountStore } from '../../../extension/runtime/tokenCountStore';
import { FakeTokenizer, fakeHash } from '../helpers/fakeTokenizer';

describe('token counts', () => {
	it('counts a file once per content, whatever its path', () => {
		const tokenizer = new FakeTokenizer();
		const counter = new TokenCounter(tokenizer, fakeHash);
		const text = 'alpha beta;\n'.repeat(50);
		const first = counter.countFile(text);
		const calls = tokenizer.encodeCalls;
		assert.deepEqual(counter.countFile(text), first);
		assert.equal(tokenizer.encodeCalls, calls, 'the second count is a cache hit');
		assert.deepEqual([counter.hits, counter.misses], [1, 1]);
		// Counted as prompts show it: "1\talpha beta;\n" … "50\talpha beta;\n", the number and
		// the tab one piece each besides the line's 5 pieces (alpha, space, beta, ;, newline).
		assert.equal(first.tokens, 50 * 7);
		assert.equal(first.tokens, tokenizer.encode(numberLines(text)).length);
		counter.countFile(`${text}x`);
		assert.equal(counter.misses, 2);
	});

	it('without line numbers, counts the text as it is, apart from the numbered counts in the same cache', () => {
		const tokenizer = new FakeTokenizer();
		const cache = new MemoryTokenCountCache();
		const numbered = new TokenCounter(tokenizer, fakeHash, cache);
		const plain = new TokenCounter(tokenizer, fakeHash, cache, false);
		const text = 'alpha beta;\n'.repeat(50);
		assert.equal(numbered.countFile(text).tokens, 50 * 7);
		assert.equal(plain.countFile(text).tokens, 50 * 5, 'not the numbered count from the cache');
		assert.equal(plain.countFile(text).tokens, 50 * 5);
		assert.deepEqual([plain.hits, plain.misses], [1, 1]);
		assert.equal(plain.countLines('a;\nb;\n', 7), 6);
		assert.equal(numbered.countLines('a;\nb;\n', 7), 10, '"7", tab, "8", tab besides');
	});

	it('forgets the least recently used counts beyond its size', () => {
		const cache = new MemoryTokenCountCache(2);
		cache.set('a', 1);
		cache.set('b', 2);
		cache.get('a');
		cache.set('c', 3);
		assert.deepEqual([cache.get('a'), cache.get('b'), cache.get('c')], [1, undefined, 3]);
	});

	it('keeps counts on disk per tokenizer (SHA-256 keys)', () => {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'longrope-cache-'));
		try {
			const store = TokenCountStore.open(dir, '{"model":1}');
			const hash = sha256Hex('some file');
			assert.equal(hash, 'd6263b517a1aea16e28e9aaa6a201bfa2413cf2f287a3cc890722bc9cd2e5a8a');
			store.set(hash, 42);
			store.save();
			assert.equal(TokenCountStore.open(dir, '{"model":1}').get(hash), 42);
			assert.equal(TokenCountStore.open(dir, '{"model":2}').get(hash), undefined);
			writeFileSync(store.file, '{ damaged');
			assert.equal(TokenCountStore.open(dir, '{"model":1}').size, 0);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('cuts text at a line break to fit, or inside a line longer than the room', () => {
		const tokenizer = new FakeTokenizer();
		const count = (t: string): number => tokenizer.encode(t).length;
		const text = Array.from({ length: 300 }, (_, k) => `line ${k} a b c;`).join('\n') + '\n';
		for (const max of [0, 5, 17, 100, 1000, 2999]) {
			const head = headWithin(text, max, count);
			assert.ok(head.tokens <= max, `${head.tokens} > ${max}`);
			assert.equal(head.tokens, count(head.text));
			assert.ok(text.startsWith(head.text));
			if (head.lines > 0) assert.equal(lineCount(head.text), head.lines);
			if (head.lines < 300) {
				const next = text.slice(0, text.indexOf('\n', head.text.length) + 1);
				assert.ok(count(next) > max, 'the next line would not fit');
			}
		}
		const long = `${'word '.repeat(500)}\nsecond\n`;
		const cut = headWithin(long, 50, count);
		assert.deepEqual([cut.lines, cut.partial], [0, true]);
		assert.ok(cut.tokens <= 50 && cut.tokens >= 48);
		// A later line longer than the room is cut inside too; a shorter one waits for the next cut.
		const later = headWithin(`short\n${'word '.repeat(500)}\nend\n`, 50, count);
		assert.deepEqual([later.lines, later.partial], [1, true]);
		assert.ok(later.tokens <= 50 && later.tokens >= 48);
		const words = 'word '.repeat(20);
		const stops = headWithin(`short\n${words}\n${words}\n`, 50, count);
		assert.deepEqual([stops.lines, stops.partial, stops.text], [2, false, `short\n${words}\n`]);
		assert.deepEqual(
			[lineCount(''), lineCount('a'), lineCount('a\n'), lineCount('a\nb')],
			[0, 1, 1, 2],
		);
	});
});
