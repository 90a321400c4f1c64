import { constants, type Dirent, type Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { CancellationError, type CancellationToken } from '../engine/cancellation';

/** A folder entry: a Dirent, plus the raw bytes of a name that is not UTF-8. */
export interface DirEntry {
	/** The name as text (a name that is not UTF-8 has replacement characters here). */
	readonly name: string;
	/** The name's bytes, set only when they are not UTF-8. */
	readonly invalidName?: Uint8Array;
	isFile(): boolean;
	isDirectory(): boolean;
	isSymbolicLink(): boolean;
}

/** The file-system calls the readers make; tests pass ones that fail or hang on purpose. */
export interface ReaderFileSystem {
	readdir(dir: string, options: { withFileTypes: true }): Promise<DirEntry[]>;
	stat(file: string): Promise<Stats>;
	/**
	 * A regular file's bytes, at most `maxBytes + 1` of them (one more tells "too large"), read
	 * without blocking: anything but a regular file fails with code NOT_REGULAR_FILE.
	 */
	readFile(file: string, maxBytes: number): Promise<Uint8Array>;
	realpath(file: string): Promise<string>;
	/** The statfs type of the file system that holds `file`; undefined where unknown. */
	fsType(file: string): Promise<number | undefined>;
}

export const NOT_REGULAR_FILE = 'NOT_REGULAR_FILE';
export const READ_TIMEOUT = 'READ_TIMEOUT';

const CHUNK_BYTES = 64 * 1024;

/**
 * Opens non-blocking (a pipe or a device that slipped past the stat cannot hold the read), then
 * checks the opened file itself, so that a file swapped for a pipe after the check is refused.
 */
async function readRegularFile(file: string, maxBytes: number): Promise<Uint8Array> {
	const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
	const handle = await fsp.open(file, flags);
	try {
		const stat = await handle.stat();
		if (!stat.isFile()) {
			throw Object.assign(new Error(`${file} is not a regular file`), {
				code: NOT_REGULAR_FILE,
			});
		}
		// Sized by the stat; a short read of a regular file is its end, a full one may have grown.
		const chunks: Buffer[] = [];
		let total = 0;
		let want = Math.min(stat.size, maxBytes) + 1;
		while (total <= maxBytes) {
			const chunk = Buffer.allocUnsafe(Math.min(want, maxBytes + 1 - total));
			const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
			chunks.push(chunk.subarray(0, bytesRead));
			total += bytesRead;
			if (bytesRead < chunk.length) break;
			want = CHUNK_BYTES;
		}
		return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
	} finally {
		await handle.close();
	}
}

/** A listing; names that are not UTF-8 (rare) are listed again as bytes to say which they are. */
async function readdirNamed(dir: string): Promise<DirEntry[]> {
	const entries = await fsp.readdir(dir, { withFileTypes: true });
	if (!entries.some((e) => e.name.includes('\uFFFD'))) return entries;
	const raw = (await fsp.readdir(dir, {
		withFileTypes: true,
		encoding: 'buffer',
	})) as unknown as Dirent<Buffer>[];
	const utf8 = new TextDecoder('utf-8', { fatal: true });
	return raw.map((entry) => {
		const bytes = entry.name;
		let name: string;
		let invalidName: Uint8Array | undefined;
		try {
			name = utf8.decode(bytes);
		} catch {
			name = bytes.toString('utf8');
			invalidName = new Uint8Array(bytes);
		}
		return {
			name,
			...(invalidName ? { invalidName } : {}),
			isFile: () => entry.isFile(),
			isDirectory: () => entry.isDirectory(),
			isSymbolicLink: () => entry.isSymbolicLink(),
		};
	});
}

export const NODE_FILE_SYSTEM: ReaderFileSystem = {
	readdir: (dir) => readdirNamed(dir),
	stat: (file) => fsp.stat(file),
	readFile: readRegularFile,
	realpath: (file) => fsp.realpath(file),
	fsType: async (file) =>
		process.platform === 'linux' ? (await fsp.statfs(file)).type : undefined,
};

/** Kernel state behind a file interface: listing it can be endless and reading it can block. */
const SPECIAL_FOLDERS: Readonly<Record<string, string>> = {
	'/proc': 'a proc file system (kernel and process state)',
	'/sys': 'a sysfs file system (kernel objects)',
	'/dev': 'a device file system (devices)',
};

/** Linux statfs f_type values (linux/magic.h) of the same kind, wherever they are mounted. */
const SPECIAL_TYPES = new Map<number, string>([
	[0x9fa0, 'a proc file system (kernel and process state)'],
	[0x62656572, 'a sysfs file system (kernel objects)'],
	[0x1cd1, 'a devpts file system (terminals)'],
	[0x64626720, 'a debugfs file system (kernel debugging)'],
	[0x74726163, 'a tracefs file system (kernel tracing)'],
	[0x73636673, 'a securityfs file system (kernel security modules)'],
	[0x27e0eb, 'a cgroup file system (kernel control groups)'],
	[0x63677270, 'a cgroup2 file system (kernel control groups)'],
	[0xcafe4a11, 'a bpf file system (kernel programs)'],
	[0x6165676c, 'a pstore file system (kernel crash logs)'],
	[0x62656570, 'a configfs file system (kernel objects)'],
	[0x65735543, 'a fusectl file system (kernel FUSE control)'],
	[0x42494e4d, 'a binfmt_misc file system (kernel loaders)'],
	[0xde5e81e4, 'an efivarfs file system (firmware variables)'],
	[0xf97cff8c, 'a selinuxfs file system (kernel security)'],
	[0x19800202, 'an mqueue file system (message queues)'],
]);

/**
 * Why `real` (a real path) is not to be read, when it lies on a special file system: by its path
 * (/proc, /sys, /dev, which also covers /dev's devtmpfs, whose type is tmpfs's) and, on Linux,
 * by the file system's type wherever it is mounted.
 */
export async function specialFileSystem(
	real: string,
	fsType: ReaderFileSystem['fsType'],
): Promise<string | undefined> {
	for (const [folder, what] of Object.entries(SPECIAL_FOLDERS)) {
		if (real === folder || real.startsWith(`${folder}/`)) {
			return `${real}: ${what}, not files to read`;
		}
	}
	const type = await fsType(real).catch((error: unknown) => {
		if (error instanceof CancellationError) throw error;
		return undefined; // unknown: the walk itself reports what it cannot read
	});
	const what = type === undefined ? undefined : SPECIAL_TYPES.get(type);
	return what ? `${real}: ${what}, not files to read` : undefined;
}

/** Each file-system call of a walk gets this long (a hung network drive, a device). */
export const DEFAULT_READ_TIMEOUT_MS = 30_000;

export function formatMilliseconds(ms: number): string {
	return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * `work`, unless the token is cancelled (CancellationError) or `timeoutMs` pass first (an error
 * with code READ_TIMEOUT). A call that never returns cannot be stopped in Node, only abandoned:
 * the walk goes on without it.
 */
export function guarded<T>(
	work: Promise<T>,
	token: CancellationToken | undefined,
	timeoutMs: number,
): Promise<T> {
	work.catch(() => undefined); // an abandoned call may fail later, with nobody waiting
	return new Promise<T>((resolve, reject) => {
		if (token?.isCancellationRequested) {
			reject(new CancellationError());
			return;
		}
		const timer = setTimeout(() => {
			finish();
			reject(
				Object.assign(new Error(`no answer after ${formatMilliseconds(timeoutMs)}`), {
					code: READ_TIMEOUT,
				}),
			);
		}, timeoutMs);
		const listener = token?.onCancellationRequested(() => {
			finish();
			reject(new CancellationError());
		});
		function finish(): void {
			clearTimeout(timer);
			listener?.dispose();
		}
		work.then(
			(value) => {
				finish();
				resolve(value);
			},
			(error: unknown) => {
				finish();
				reject(error);
			},
		);
	});
}
