import * as assert from 'node:assert/strict';
import { manifestProblems, type ManifestFile } from '../../../extension/engine/workspace/manifest';
import { MIN_CUT_TOKENS } from '../../../extension/engine/workspace/packCandidates';
import { packContext } from '../../../extension/engine/workspace/packer';
import { cutMarker, fileHeader } from '../../../extension/engine/prompts/filePrompts';
import { languageOf } from '../../../extension/engine/prompts/language';
import { textFromReader } from '../../../extension/engine/workspace/questionContext';
import { scanWorkspace } from '../../../extension/engine/workspace/scan';
import { lineCount, TokenCounter } from '../../../extension/engine/workspace/tokenCount';
import {
	FakeTokenizer,
	fakeHash,
	fakePlanningModel,
	ropeWithWindows,
} from '../helpers/fakeTokenizer';
import { fakeSource, MemoryReader, seeded } from '../helpers/memoryReader';

async function pack(files: Record<string, string>, window: number, answerTokens = 16) {
	const tokenizer = new FakeTokenizer();
	const counter = new TokenCounter(tokenizer, fakeHash);
	const reader = new MemoryReader(files);
	const scan = await scanWorkspace(reader, { counter });
	const packed = await packContext({
		scan,
		counter,
		model: fakePlanningModel(tokenizer, ropeWithWindows(window)),
		question: 'q',
		answerTokens,
		readText: textFromReader(reader),
	});
	return { ...packed, counter };
}

function byPath(files: readonly ManifestFile[]): Map<string, ManifestFile> {
	return new Map(files.map((f) => [f.path, f]));
}

/** `n` tokens of the fake tokenizer: words and the spaces between them. */
function words(n: number): string {
	return 'w '.repeat(Math.floor(n / 2));
}

/**
 * What a file needs to be shown at all: the header and the longest cut marker of a cut (with line
 * numbers as wide as the file's), the line break after a line cut in part, the blank line after the file,
 * and its first line with its number (or MIN_CUT_TOKENS of it).
 */
function firstLineNeed(path: string, text: string, counter: TokenCounter): number {
	const n = Math.max(lineCount(text), 1);
	const span = { from: n, to: n, of: n };
	const firstLine = text.slice(0, text.indexOf('\n') + 1 || text.length);
	return (
		counter.count(fileHeader({ path, language: languageOf(path), lines: span })) +
		counter.count(cutMarker({ from: n, to: n + 1, of: n, partial: true })) +
		2 +
		Math.min(MIN_CUT_TOKENS, counter.countLines(firstLine), counter.countLines(text))
	);
}

describe('packer: cuts', () => {
	it('gives what a cut file leaves to the next file', async () => {
		// a.ts: a short line, then lines of 250 tokens; about 300 tokens of room for text.
		const a = `alpha;\n${words(250)}\n${words(250)}\n${words(250)}\n`;
		const packed = await pack({ 'a.ts': a, 'b.ts': 'tiny;\n' }, 440);
		const files = byPath(packed.manifest.files);
		assert.equal(files.get('a.ts')?.status, 'truncated');
		assert.deepEqual(files.get('a.ts')?.lines, { from: 1, to: 2, of: 4 });
		assert.equal(files.get('b.ts')?.status, 'included', files.get('b.ts')?.reason);
		assert.deepEqual(manifestProblems(packed.manifest), []);
	});

	it('cuts inside a line that is longer than the room, with a marker that says so', async () => {
		const a = `alpha;\n${words(2000)}\nend;\n`;
		const packed = await pack({ 'a.ts': a, 'b.ts': `${words(200)}\n` }, 420);
		const shown = packed.files.find((f) => f.path === 'a.ts');
		assert.ok(shown?.cut && shown.lines);
		assert.ok(shown.text.startsWith('alpha;\nw w '), 'the long line is shown in part');
		assert.ok(!shown.text.endsWith('\n'));
		assert.deepEqual(shown.lines, { from: 1, to: 2, of: 3 });
		assert.deepEqual(shown.cut, { from: 2, to: 3, of: 3, partial: true });
		assert.match(
			packed.plan.messages[1].content,
			/w ?\n\[… the rest of line 2 and lines 3–3 of 3 not shown: no room in the context\]\n/,
		);
		const b = byPath(packed.manifest.files).get('b.ts');
		assert.equal(b?.status, 'omitted');
		const left = Number(/, (\d+) of the [\d,]+-token context left/.exec(b?.reason ?? '')?.[1]);
		assert.ok(left < MIN_CUT_TOKENS, `b.ts was left out with ${left} tokens to spare`);
		assert.ok(
			packed.manifest.budget.free < MIN_CUT_TOKENS,
			`free ${packed.manifest.budget.free}`,
		);
		assert.deepEqual(manifestProblems(packed.manifest), []);
	});

	it('no file is left out while the free budget could hold its header and first line (300 random workspaces with long lines)', async function () {
		this.timeout(120000);
		const random = seeded(13);
		for (let trial = 0; trial < 300; trial++) {
			const files: Record<string, string> = {};
			const count = 1 + Math.floor(random() * 12);
			for (let k = 0; k < count; k++) {
				const lines: string[] = [];
				const n = 1 + Math.floor(random() * 30);
				for (let l = 0; l < n; l++) {
					lines.push(
						random() < 0.15
							? words(Math.floor(random() * 1500)).trimEnd()
							: fakeSource(random, 1).trimEnd(),
					);
				}
				files[`${['', 'src/'][k % 2]}f${k}.ts`] = `${lines.join('\n')}\n`;
			}
			const window = 200 + Math.floor(random() * 3000);
			const packed = await pack(files, window, 8 + Math.floor(random() * 64));
			const { budget } = packed.manifest;
			assert.deepEqual(manifestProblems(packed.manifest), [], `trial ${trial}`);
			assert.ok(budget.prompt + budget.answer <= budget.window, `trial ${trial}`);
			// Counted apart, each shown file's edges merge in the prompt (its header's line break
			// with the text's indent, its last line break with the blank line): up to two tokens.
			const slack = 2 * packed.files.length;
			for (const f of packed.manifest.files) {
				if (f.status !== 'omitted') continue;
				const need = firstLineNeed(f.path, files[f.path], packed.counter);
				assert.ok(
					budget.free < need + slack,
					`trial ${trial}: ${f.path} omitted (${f.reason}) with ${budget.free} free, needs ${need}`,
				);
			}
			for (const file of packed.files) {
				if (!file.cut) continue;
				assert.ok(files[file.path].startsWith(file.text), 'a cut keeps the head');
				assert.equal(!file.text.endsWith('\n') && file.text !== '', !!file.cut.partial);
			}
		}
	});
});
