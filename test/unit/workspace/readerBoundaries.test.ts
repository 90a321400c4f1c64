import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancellationError, CancellationTokenSource } from '../../../extension/engine/cancellation';
import type { WorkspaceEntry } from '../../../extension/engine/workspace/reader';
import { FileListReader } from '../../../extension/runtime/fileListReader';
import { NodeWorkspaceReader } from '../../../extension/runtime/nodeWorkspaceReader';
import { NODE_FILE_SYSTEM } from '../../../extension/runtime/readerFileSystem';

function write(root: string, rel: string, content: string): void {
	const file = path.join(root, rel);
	mkdirSync(path.dirname(file), { recursive: true });
	writeFileSync(file, content);
}

async function collect(iterable: AsyncIterable<WorkspaceEntry>): Promise<WorkspaceEntry[]> {
	const entries: WorkspaceEntry[] = [];
	for await (const entry of iterable) entries.push(entry);
	return entries;
}

function skipped(entries: readonly WorkspaceEntry[]): Record<string, string> {
	return Object.fromEntries(
		entries
			.filter((e) => e.kind === 'skipped')
			.map((e) => [e.path, `${e.reason}: ${e.detail}`]),
	);
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

describe('workspace reads stay inside the workspace and always end', () => {
	let root: string;
	let outside: string;

	beforeEach(() => {
		root = mkdtempSync(path.join(os.tmpdir(), 'longrope-bounds-'));
		outside = mkdtempSync(path.join(os.tmpdir(), 'longrope-secrets-'));
		write(root, 'a.ts', 'export const a = 1;\n');
		write(root, 'src/b.ts', 'export const b = 2;\n');
		write(outside, 'id_rsa', '-----BEGIN OPENSSH PRIVATE KEY-----\n');
		write(outside, 'dir/z.md', '# outside\n');
		symlinkSync(path.join(outside, 'id_rsa'), path.join(root, 'notes.md'));
		symlinkSync(path.join(outside, 'dir'), path.join(root, 'docs'));
		symlinkSync('src/b.ts', path.join(root, 'b-link.ts'));
	});

	afterEach(() => {
		rmSync(root, { recursive: true, force: true });
		rmSync(outside, { recursive: true, force: true });
	});

	it('lists links out of the workspace as skipped, naming where they point', async () => {
		const entries = await collect(new NodeWorkspaceReader(root).entries());
		assert.deepEqual(
			entries.filter((e) => e.kind === 'text').map((e) => e.path),
			['a.ts', 'src/b.ts'],
		);
		const real = (p: string) => realpathSync(p);
		assert.deepEqual(skipped(entries), {
			'b-link.ts': 'duplicate: symbolic link to src/b.ts, which is read where it is',
			docs: `outside-workspace: symbolic link to ${real(path.join(outside, 'dir'))}, outside the workspace: not followed (allow it with the followExternalLinks setting or --follow-external-links)`,
			'notes.md': `outside-workspace: symbolic link to ${real(path.join(outside, 'id_rsa'))}, outside the workspace: not followed (allow it with the followExternalLinks setting or --follow-external-links)`,
		});
	});

	it('refuses a path through such a link when one file is read by name', async () => {
		const reader = new NodeWorkspaceReader(root);
		for (const rel of ['notes.md', 'docs/z.md']) {
			const entry = await reader.read(rel);
			assert.ok(entry.kind === 'skipped', rel);
			assert.equal(entry.reason, 'outside-workspace', rel);
		}
		assert.equal((await reader.read('b-link.ts')).kind, 'text', 'a link inside is fine');
	});

	it('follows links out when the setting allows it', async () => {
		const reader = new NodeWorkspaceReader(root, { followExternalLinks: true });
		const text = (await collect(reader.entries()))
			.filter((e) => e.kind === 'text')
			.map((e) => e.path);
		assert.deepEqual(text, ['a.ts', 'docs/z.md', 'notes.md', 'src/b.ts']);
		assert.equal((await reader.read('notes.md')).kind, 'text');
	});

	it('named files: a link in the folder that leads out is skipped, a path the user types is read', async () => {
		const reader = new FileListReader(
			['a.ts', 'notes.md', 'docs/z.md', path.join(outside, 'dir', 'z.md')],
			root,
		);
		const entries = await collect(reader.entries());
		assert.deepEqual(
			entries.map((e) => [e.path, e.kind === 'text' ? 'text' : e.reason]),
			[
				['a.ts', 'text'],
				['notes.md', 'outside-workspace'],
				['docs/z.md', 'outside-workspace'],
				[path.join(outside, 'dir', 'z.md'), 'text'],
			],
		);
		const follow = new FileListReader(['notes.md'], root, { followExternalLinks: true });
		assert.equal((await collect(follow.entries()))[0].kind, 'text');
		// A link that is itself outside the folder and leads out of its own folder: skipped too.
		symlinkSync(path.join(outside, 'id_rsa'), path.join(outside, 'dir', 'innocent.md'));
		const typed = new FileListReader([path.join(outside, 'dir', 'innocent.md')], root);
		const [entry] = await collect(typed.entries());
		assert.ok(entry.kind === 'skipped' && entry.reason === 'outside-workspace');
	});

	it('skips special file systems (/proc, /sys, /dev) even through an allowed link', async function () {
		if (process.platform !== 'linux') this.skip();
		symlinkSync('/proc', path.join(root, 'proc'));
		symlinkSync('/sys/kernel', path.join(root, 'kernel'));
		symlinkSync('/dev', path.join(root, 'dev'));
		const reader = new NodeWorkspaceReader(root, { followExternalLinks: true });
		const entries = await collect(reader.entries());
		const special = Object.entries(skipped(entries)).filter(([, why]) =>
			why.startsWith('special-filesystem'),
		);
		assert.deepEqual(
			special.map(([p]) => p),
			['dev', 'kernel', 'proc'],
		);
		assert.equal(
			skipped(entries).proc,
			'special-filesystem: /proc: a proc file system (kernel and process state), not files to read',
		);
		const kmsg = await new FileListReader(['/proc/kmsg'], root).read('/proc/kmsg');
		assert.ok(kmsg.kind === 'skipped' && kmsg.reason === 'special-filesystem');
	});

	it('never blocks on a pipe, even when it turns into one after the check', async function () {
		if (process.platform === 'win32') this.skip();
		execFileSync('mkfifo', [path.join(root, 'pipe')]);
		const walked = await collect(new NodeWorkspaceReader(root).entries());
		assert.match(skipped(walked).pipe, /^not-a-file: /);
		// A stat that says "regular file" (the pipe replaced the file after the check).
		const lying = new NodeWorkspaceReader(root, {
			fs: {
				...NODE_FILE_SYSTEM,
				stat: async (file) => {
					const stat = await NODE_FILE_SYSTEM.stat(file);
					return Object.assign(Object.create(Object.getPrototypeOf(stat)), stat, {
						isFile: () => true,
						isFIFO: () => false,
					});
				},
			},
		});
		const pipe = await lying.read('pipe');
		assert.ok(pipe.kind === 'skipped' && pipe.reason === 'not-a-file', JSON.stringify(pipe));
	});

	it('gives up on a read or a listing that does not answer, and goes on', async () => {
		write(root, 'slow/c.ts', 'export const c = 3;\n');
		const reader = new NodeWorkspaceReader(root, {
			readTimeoutMs: 50,
			fs: {
				...NODE_FILE_SYSTEM,
				readFile: (file, maxBytes) =>
					file.endsWith('a.ts') ? never() : NODE_FILE_SYSTEM.readFile(file, maxBytes),
				readdir: (dir, options) =>
					dir.endsWith('slow') ? never() : NODE_FILE_SYSTEM.readdir(dir, options),
			},
		});
		const started = Date.now();
		const entries = await collect(reader.entries());
		assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
		const why = 'timeout: no answer after 50 ms (a pipe, a device or a hung network drive?)';
		assert.equal(skipped(entries)['a.ts'], why);
		assert.equal(skipped(entries).slow, why);
		assert.ok(entries.some((e) => e.path === 'src/b.ts' && e.kind === 'text'));
	});

	it('stops a read that hangs as soon as it is cancelled', async () => {
		const source = new CancellationTokenSource();
		const reader = new NodeWorkspaceReader(root, {
			fs: { ...NODE_FILE_SYSTEM, readFile: () => never() },
		});
		setTimeout(() => source.cancel(), 30);
		const started = Date.now();
		await assert.rejects(collect(reader.entries(source.token)), CancellationError);
		assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
	});

	it('says what a file name that is not UTF-8 is, instead of "vanished"', async function () {
		if (process.platform !== 'linux') this.skip();
		const name = Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x74, 0x78, 0x74]); // bad\xff.txt
		writeFileSync(Buffer.concat([Buffer.from(`${root}/`), name]), 'text\n');
		const entries = await collect(new NodeWorkspaceReader(root).entries());
		assert.equal(
			skipped(entries)['bad\uFFFD.txt'],
			'file-name: the file name is not UTF-8 (bytes 62 61 64 ff 2e 74 78 74), so it cannot be named in a prompt',
		);
	});
});
