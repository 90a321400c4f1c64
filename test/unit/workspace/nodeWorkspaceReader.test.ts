import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancellationError, CancellationTokenSource } from '../../../extension/engine/cancellation';
import type { WorkspaceEntry } from '../../../extension/engine/workspace/reader';
import { FileListReader } from '../../../extension/runtime/fileListReader';
import { NodeWorkspaceReader } from '../../../extension/runtime/nodeWorkspaceReader';
import { NODE_FILE_SYSTEM } from '../../../extension/runtime/readerFileSystem';

const CAP = 1024;

function write(root: string, rel: string, content: string | Uint8Array): void {
	const file = path.join(root, rel);
	mkdirSync(path.dirname(file), { recursive: true });
	writeFileSync(file, content);
}

function utf16(text: string, bigEndian: boolean): Buffer {
	const le = Buffer.from(text, 'utf16le');
	if (bigEndian) le.swap16();
	return Buffer.concat([Buffer.from(bigEndian ? [0xfe, 0xff] : [0xff, 0xfe]), le]);
}

/** A workspace with every case the reader must handle, made fresh in a temp folder. */
function makeFixture(): { root: string; outside: string } {
	const root = mkdtempSync(path.join(os.tmpdir(), 'longrope-ws-'));
	const outside = mkdtempSync(path.join(os.tmpdir(), 'longrope-outside-'));
	write(root, '.gitignore', '*.log\nbuild/\n!keep.log\nsecret*\n');
	write(root, 'a.ts', 'export const a = 1;\n');
	write(
		root,
		'bom.txt',
		Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo\n')]),
	);
	write(root, 'utf16le.txt', utf16('little ✓\n', false));
	write(root, 'utf16be.txt', utf16('big ✓\n', true));
	write(root, 'latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])); // café in Latin-1
	write(
		root,
		'image.png',
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
	);
	write(root, 'big.txt', 'x'.repeat(CAP + 1));
	write(root, 'debug.log', 'ignored\n');
	write(root, 'keep.log', 'kept by a negation\n');
	write(root, 'build/out.js', 'ignored folder\n');
	write(root, 'node_modules/dep/index.js', 'excluded by default\n');
	write(root, '.git/config', '[core]\n');
	write(root, '.git/info/exclude', 'info-excluded.txt\n');
	write(root, 'info-excluded.txt', 'left out by .git/info/exclude\n');
	write(root, 'snapshot.snap', 'excluded by a glob\n');
	write(root, 'sub/.gitignore', '!secret-ok.txt\n*.tmp\n');
	write(root, 'sub/secret-ok.txt', 're-included by a deeper negation\n');
	write(root, 'sub/secret-no.txt', 'ignored by the root rule\n');
	write(root, 'sub/x.tmp', 'ignored by sub/.gitignore\n');
	write(root, 'sub/deep/.gitignore', '!*.tmp\n');
	write(root, 'sub/deep/y.tmp', 're-included deeper still\n');
	write(outside, 'z.md', '# outside\n');
	symlinkSync('.', path.join(root, 'loop'));
	symlinkSync('..', path.join(root, 'sub', 'up'));
	symlinkSync('self', path.join(root, 'self'));
	symlinkSync('missing-target', path.join(root, 'dangling'));
	symlinkSync('a.ts', path.join(root, 'link-to-a.ts'));
	symlinkSync(outside, path.join(root, 'outside'));
	return { root, outside };
}

async function collect(iterable: AsyncIterable<WorkspaceEntry>): Promise<WorkspaceEntry[]> {
	const entries: WorkspaceEntry[] = [];
	for await (const entry of iterable) entries.push(entry);
	return entries;
}

describe('NodeWorkspaceReader', () => {
	let root: string;
	let outside: string;

	beforeEach(() => {
		({ root, outside } = makeFixture());
	});

	afterEach(() => {
		rmSync(root, { recursive: true, force: true });
		rmSync(outside, { recursive: true, force: true });
	});

	function reader(): NodeWorkspaceReader {
		return new NodeWorkspaceReader(root, { maxFileBytes: CAP, exclude: ['**/*.snap'] });
	}

	it('reads text files depth first in name order, honouring nested .gitignore negations', async () => {
		const r = reader();
		const entries = await collect(r.entries());
		const text = entries.filter((e) => e.kind === 'text').map((e) => e.path);
		assert.deepEqual(text, [
			'.gitignore',
			'a.ts',
			'bom.txt',
			'keep.log',
			'sub/.gitignore',
			'sub/deep/.gitignore',
			'sub/deep/y.tmp',
			'sub/secret-ok.txt',
			'utf16be.txt',
			'utf16le.txt',
		]);
		assert.deepEqual(
			{ ignored: r.stats.ignored, excluded: r.stats.excluded },
			// debug.log, build/, info-excluded.txt, sub/secret-no.txt, sub/x.tmp; .git, node_modules, *.snap
			{ ignored: 5, excluded: 3 },
		);
	});

	it('reports binaries, other encodings, files over the cap and every kind of bad link', async () => {
		const entries = await collect(reader().entries());
		const skipped = Object.fromEntries(
			entries.filter((e) => e.kind === 'skipped').map((e) => [e.path, e.reason]),
		);
		assert.deepEqual(skipped, {
			'big.txt': 'too-large',
			dangling: 'broken-symlink',
			'image.png': 'binary',
			'latin1.txt': 'encoding',
			'link-to-a.ts': 'duplicate',
			loop: 'symlink-loop',
			outside: 'outside-workspace',
			self: 'symlink-loop',
			'sub/up': 'symlink-loop',
		});
		const latin1 = entries.find((e) => e.path === 'latin1.txt');
		assert.ok(latin1?.kind === 'skipped');
		assert.match(latin1.detail, /not UTF-8 \(invalid byte 0xe9 at offset 3\)/);
		const big = entries.find((e) => e.path === 'big.txt');
		assert.ok(big?.kind === 'skipped');
		assert.match(big.detail, /over the 1\.0 KiB cap/);
	});

	it('decodes UTF-8 with and without a BOM and UTF-16 by its BOM', async () => {
		const entries = await collect(reader().entries());
		const byPath = new Map(entries.map((e) => [e.path, e]));
		const expect = (p: string, text: string, encoding: string): void => {
			const e = byPath.get(p);
			assert.ok(e?.kind === 'text', p);
			assert.equal(e.text, text);
			assert.equal(e.encoding, encoding);
		};
		expect('a.ts', 'export const a = 1;\n', 'utf-8');
		expect('bom.txt', 'héllo\n', 'utf-8-bom');
		expect('utf16le.txt', 'little ✓\n', 'utf-16le');
		expect('utf16be.txt', 'big ✓\n', 'utf-16be');
	});

	it('gives the same order on every walk', async () => {
		const paths = async (): Promise<string[]> =>
			(await collect(reader().entries())).map((e) => `${e.kind}:${e.path}`);
		assert.deepEqual(await paths(), await paths());
	});

	it('streams: one folder is listed before anything below it is read', async () => {
		let listings = 0;
		const r = new NodeWorkspaceReader(root, {
			maxFileBytes: CAP,
			fs: {
				...NODE_FILE_SYSTEM,
				readdir: (dir, options) => {
					listings++;
					return NODE_FILE_SYSTEM.readdir(dir, options);
				},
			},
		});
		const iterator = r.entries()[Symbol.asyncIterator]();
		const first = await iterator.next();
		assert.equal(first.value?.path, '.gitignore');
		assert.equal(listings, 1);
		await iterator.return?.(undefined);
	});

	it('reports a file that vanishes during the walk, and goes on', async () => {
		write(root, 'zzz-last.txt', 'still here\n');
		write(root, 'zz-vanish.txt', 'about to go\n');
		const seen: WorkspaceEntry[] = [];
		for await (const entry of reader().entries()) {
			if (seen.length === 0) unlinkSync(path.join(root, 'zz-vanish.txt'));
			seen.push(entry);
		}
		const vanished = seen.find((e) => e.path === 'zz-vanish.txt');
		assert.ok(vanished?.kind === 'skipped');
		assert.equal(vanished.reason, 'vanished');
		assert.equal(seen[seen.length - 1].path, 'zzz-last.txt');
	});

	it('reports unreadable files and folders without stopping', async () => {
		const denied = (): never => {
			throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
		};
		const r = new NodeWorkspaceReader(root, {
			maxFileBytes: CAP,
			fs: {
				...NODE_FILE_SYSTEM,
				readFile: (file, maxBytes) =>
					file.endsWith('a.ts')
						? Promise.resolve().then(denied)
						: NODE_FILE_SYSTEM.readFile(file, maxBytes),
				readdir: (dir, options) =>
					dir.endsWith(`${path.sep}deep`)
						? Promise.resolve().then(denied)
						: NODE_FILE_SYSTEM.readdir(dir, options),
			},
		});
		const entries = await collect(r.entries());
		const byPath = new Map(entries.map((e) => [e.path, e]));
		const a = byPath.get('a.ts');
		assert.ok(a?.kind === 'skipped' && a.reason === 'unreadable');
		assert.match(a.detail, /permission denied/);
		const deep = byPath.get('sub/deep');
		assert.ok(deep?.kind === 'skipped' && deep.reason === 'unreadable');
		assert.ok(byPath.get('sub/secret-ok.txt')?.kind === 'text', 'the walk went on');
	});

	it('stops when cancelled', async () => {
		const source = new CancellationTokenSource();
		let count = 0;
		await assert.rejects(async () => {
			for await (const entry of reader().entries(source.token)) {
				assert.ok(entry.path);
				if (++count === 2) source.cancel();
			}
		}, CancellationError);
		assert.equal(count, 2);
	});

	it('reads one file by relative path with the same checks, and refuses paths outside', async () => {
		const r = reader();
		const a = await r.read('a.ts');
		assert.ok(a.kind === 'text' && a.text === 'export const a = 1;\n');
		assert.equal((await r.read('image.png')).kind, 'skipped');
		const gone = await r.read('no-such-file.ts');
		assert.ok(gone.kind === 'skipped' && gone.reason === 'vanished');
		const escape = await r.read('../etc/passwd');
		assert.ok(escape.kind === 'skipped' && escape.reason === 'not-a-file');
	});

	it('lets exclude settings turn a default off', async () => {
		const r = new NodeWorkspaceReader(root, {
			maxFileBytes: CAP,
			exclude: { '**/node_modules': false },
		});
		const paths = (await collect(r.entries())).map((e) => e.path);
		assert.ok(paths.includes('node_modules/dep/index.js'));
		assert.ok(!paths.some((p) => p.startsWith('.git/')));
	});

	it('FileListReader reads named files relative to a base folder', async () => {
		const r = new FileListReader(
			['a.ts', path.join(root, 'sub', 'secret-no.txt'), 'a.ts'],
			root,
		);
		const entries = await collect(r.entries());
		assert.deepEqual(
			entries.map((e) => [e.path, e.kind]),
			[
				['a.ts', 'text'],
				['sub/secret-no.txt', 'text'],
			],
		);
	});

	it('refuses a root that does not exist', async () => {
		const r = new NodeWorkspaceReader(path.join(root, 'nope'));
		await assert.rejects(collect(r.entries()), /cannot read the workspace folder/);
	});
});
