import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancellationError, CancellationTokenSource } from '../../../extension/engine/cancellation';
import { leftOutNote } from '../../../extension/engine/workspace/manifest';
import { packContext } from '../../../extension/engine/workspace/packer';
import { textFromReader } from '../../../extension/engine/workspace/questionContext';
import type { WorkspaceEntry, WorkspaceReader } from '../../../extension/engine/workspace/reader';
import { scanWorkspace } from '../../../extension/engine/workspace/scan';
import { TokenCounter } from '../../../extension/engine/workspace/tokenCount';
import { DEFAULT_WALK_LIMITS } from '../../../extension/engine/workspace/walkLimits';
import { NodeWorkspaceReader } from '../../../extension/runtime/nodeWorkspaceReader';
import { NODE_FILE_SYSTEM } from '../../../extension/runtime/readerFileSystem';
import {
	FakeTokenizer,
	fakeHash,
	fakePlanningModel,
	ropeWithWindows,
} from '../helpers/fakeTokenizer';
import { MemoryReader } from '../helpers/memoryReader';

function counter(): TokenCounter {
	return new TokenCounter(new FakeTokenizer(), fakeHash);
}

/** Ten files of 11 bytes and 6 tokens each as prompts show them (1, tab, alpha, space, beta, newline). */
function tenFiles(): MemoryReader {
	const files: Record<string, string> = {};
	for (let k = 0; k < 10; k++) files[`f${k}.ts`] = 'alpha beta\n';
	return new MemoryReader(files);
}

/** A reader whose walk never ends: every entry after the first takes forever. */
class EndlessReader implements WorkspaceReader {
	readonly name = 'endless';
	constructor(readonly limits?: WorkspaceReader['limits']) {}
	async *entries(token?: CancellationTokenSource['token']): AsyncGenerator<WorkspaceEntry> {
		yield { kind: 'text', path: 'first.ts', bytes: 6, encoding: 'utf-8', text: 'first\n' };
		await new Promise<void>((resolve) => token?.onCancellationRequested(() => resolve()));
		if (token?.isCancellationRequested) throw new CancellationError();
	}
	async read(): Promise<WorkspaceEntry> {
		return { kind: 'skipped', path: '', reason: 'vanished', detail: '' };
	}
}

describe('walk limits', () => {
	it('have defaults generous for real repositories', () => {
		assert.deepEqual(DEFAULT_WALK_LIMITS, {
			maxFiles: 200_000,
			maxBytes: 2 * 1024 ** 3,
			maxTokens: 500_000_000,
			maxMilliseconds: 600_000,
		});
	});

	it('stop at the file, byte and token limits with what was read and a message', async () => {
		const files = await scanWorkspace(tenFiles(), {
			counter: counter(),
			limits: { maxFiles: 4 },
		});
		assert.deepEqual(
			files.files.map((f) => f.path),
			['f0.ts', 'f1.ts', 'f2.ts', 'f3.ts'],
		);
		assert.deepEqual(files.stopped, {
			limit: 'files',
			message:
				'The workspace walk stopped at its 4-file limit after 4 files (44 B, 24 tokens); nothing after f3.ts was read.',
		});
		const bytes = await scanWorkspace(tenFiles(), {
			counter: counter(),
			limits: { maxBytes: 30 },
		});
		assert.equal(bytes.files.length, 3);
		assert.match(bytes.stopped?.message ?? '', /at its 30 B limit after 3 files \(33 B,/);
		const tokens = await scanWorkspace(tenFiles(), {
			counter: counter(),
			limits: { maxTokens: 12 },
		});
		assert.equal(tokens.files.length, 2);
		assert.equal(tokens.stopped?.limit, 'tokens');
		const all = await scanWorkspace(tenFiles(), {
			counter: counter(),
			limits: { maxFiles: 10 },
		});
		assert.equal(all.stopped, undefined, 'exactly at the limit, nothing was left out');
	});

	it('stop a walk that hangs at the time limit, and the manifest says so', async () => {
		const reader = new EndlessReader({ maxMilliseconds: 100 });
		const started = Date.now();
		const c = counter();
		const scan = await scanWorkspace(reader, { counter: c });
		assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
		assert.deepEqual(
			scan.files.map((f) => f.path),
			['first.ts'],
		);
		assert.equal(
			scan.stopped?.message,
			'The workspace walk stopped at its 100-millisecond limit after 1 file (6 B, 4 tokens); nothing after first.ts was read.',
		);
		const packed = await packContext({
			scan,
			counter: c,
			model: fakePlanningModel(c.tokenizer, ropeWithWindows(2000)),
			question: 'q',
			answerTokens: 16,
			readText: async () => 'first\n',
		});
		assert.equal(packed.manifest.stopped, scan.stopped?.message);
		assert.equal(leftOutNote(packed.manifest), scan.stopped?.message);
	});

	it('still let the user cancel (a cancellation is not a limit)', async () => {
		const source = new CancellationTokenSource();
		setTimeout(() => source.cancel(), 30);
		await assert.rejects(
			scanWorkspace(new EndlessReader(), { counter: counter(), token: source.token }),
			CancellationError,
		);
	});

	it('end a walk that follows a link to /', async function () {
		if (process.platform !== 'linux') this.skip();
		this.timeout(30000);
		const root = mkdtempSync(path.join(os.tmpdir(), 'longrope-root-link-'));
		try {
			writeFileSync(path.join(root, 'a.ts'), 'a\n');
			symlinkSync('/', path.join(root, 'everything'));
			const reader = new NodeWorkspaceReader(root, {
				followExternalLinks: true,
				limits: { maxFiles: 300, maxMilliseconds: 20000 },
			});
			const scan = await scanWorkspace(reader, { counter: counter() });
			assert.ok(
				['files', 'time'].includes(scan.stopped?.limit ?? ''),
				'the walk was stopped',
			);
			assert.ok(scan.files.length + scan.skipped.length <= 300);
		} finally {
			rmSync(root, { recursive: true, force: true });
		}
	});

	it('a time limit also stops a read that hangs inside the walk', async () => {
		const root = mkdtempSync(path.join(os.tmpdir(), 'longrope-hang-'));
		try {
			writeFileSync(path.join(root, 'a.ts'), 'a\n');
			writeFileSync(path.join(root, 'b.ts'), 'b\n');
			const reader = new NodeWorkspaceReader(root, {
				limits: { maxMilliseconds: 100 },
				fs: {
					...NODE_FILE_SYSTEM,
					readFile: (file, max) =>
						file.endsWith('b.ts')
							? new Promise(() => undefined)
							: NODE_FILE_SYSTEM.readFile(file, max),
				},
			});
			const scan = await scanWorkspace(reader, { counter: counter() });
			assert.deepEqual(
				scan.files.map((f) => f.path),
				['a.ts'],
			);
			assert.equal(scan.stopped?.limit, 'time');
			assert.equal(
				(await textFromReader(reader)('a.ts')) ?? '',
				'a\n',
				'the reader still reads',
			);
		} finally {
			rmSync(root, { recursive: true, force: true });
		}
	});
});
