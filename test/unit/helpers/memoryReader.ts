import type {
	WorkspaceEntry,
	WorkspaceReader,
	WorkspaceSkippedFile,
} from '../../../extension/engine/workspace/reader';

/** A workspace held in memory: path → text (in path order), plus skipped entries. */
export class MemoryReader implements WorkspaceReader {
	readonly name = 'memory';
	readonly files: Map<string, string>;

	constructor(
		files: Record<string, string>,
		private readonly skipped: readonly WorkspaceSkippedFile[] = [],
	) {
		this.files = new Map(
			Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
		);
	}

	async *entries(): AsyncGenerator<WorkspaceEntry> {
		for (const [path, text] of this.files) {
			yield { kind: 'text', path, bytes: Buffer.byteLength(text), encoding: 'utf-8', text };
		}
		for (const entry of this.skipped) yield entry;
	}

	async read(path: string): Promise<WorkspaceEntry> {
		const text = this.files.get(path);
		return text === undefined
			? { kind: 'skipped', path, reason: 'vanished', detail: 'gone' }
			: { kind: 'text', path, bytes: Buffer.byteLength(text), encoding: 'utf-8', text };
	}
}

/** A deterministic pseudo-random generator (mulberry32). */
export function seeded(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const WORDS =
	'alpha beta gamma delta factor rope window cache token packer budget reader manifest query answer model tensor layer head scale'.split(
		' ',
	);

/** Source-like text: `lines` lines of a few words and punctuation. */
export function fakeSource(random: () => number, lines: number): string {
	const out: string[] = [];
	for (let k = 0; k < lines; k++) {
		const words = 1 + Math.floor(random() * 10);
		const line: string[] = [];
		for (let w = 0; w < words; w++) line.push(WORDS[Math.floor(random() * WORDS.length)]);
		out.push(
			`${'\t'.repeat(Math.floor(random() * 3))}${line.join(random() < 0.3 ? '.' : ' ')};`,
		);
	}
	return `${out.join('\n')}${random() < 0.8 ? '\n' : ''}`;
}
