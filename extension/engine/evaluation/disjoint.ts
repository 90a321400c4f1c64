/** A held-out file as the disjointness check sees it. */
export interface SampleFile {
	/** The file's name (without folders): the same name in both sets is the same file. */
	readonly name: string;
	readonly sha256: string;
	/** Its text; empty when only its hash is known (a search's recorded sample). */
	readonly text: string;
}

/** Characters of one file's start that, found inside the other, mark a cut copy of it. */
export const SHARED_PREFIX_CHARS = 1000;

/**
 * Why two files count as one (the search's fitness samples and the evaluation's must share
 * none): equal bytes, equal names, or one's first `SHARED_PREFIX_CHARS` characters inside the
 * other (a file cut from the same source). Undefined when they are distinct.
 */
export function overlapReason(a: SampleFile, b: SampleFile): string | undefined {
	if (a.sha256 === b.sha256) return 'the same bytes';
	if (a.name === b.name) return 'the same name';
	if (a.text === '' || b.text === '') return undefined;
	const head = (t: string) => t.slice(0, SHARED_PREFIX_CHARS);
	if (a.text.includes(head(b.text)) || b.text.includes(head(a.text))) {
		return `the same first ${SHARED_PREFIX_CHARS} characters`;
	}
	return undefined;
}

/** Every search/evaluation pair that is one file, as `search ↔ eval: reason`. */
export function sampleOverlaps(
	search: readonly SampleFile[],
	evaluation: readonly SampleFile[],
): string[] {
	const out: string[] = [];
	for (const s of search) {
		for (const e of evaluation) {
			const reason = overlapReason(s, e);
			if (reason) out.push(`${s.name} ↔ ${e.name}: ${reason}`);
		}
	}
	return out;
}

/** Throws, naming each pair, when a file is both a search sample and an evaluation sample. */
export function assertDisjoint(
	search: readonly SampleFile[],
	evaluation: readonly SampleFile[],
): void {
	const overlaps = sampleOverlaps(search, evaluation);
	if (overlaps.length > 0) {
		throw new Error(
			`the search's fitness samples and the evaluation's share files: ${overlaps.join('; ')}`,
		);
	}
}

/** An evaluation file as the held-out manifest records it. */
export interface HeldOutRecord {
	readonly file: string;
	readonly sha256: string;
	/** The npm package it comes from (held out whole). */
	readonly package?: string;
	/** The path it was cut from (the first corpus's files). */
	readonly source?: string;
}

/** A file of the training corpus's manifest (models/train/corpus.py: path, sha256, split). */
export interface CorpusFile {
	readonly path: string;
	readonly sha256: string;
	readonly split: string;
}

/**
 * Every evaluation file the training split holds, as `file: reason`: the same bytes, the path
 * it was cut from, or any file of its npm package (packages are held out whole; corpus.py names
 * npm files `package@version/path`).
 */
export function trainingOverlaps(
	evaluation: readonly HeldOutRecord[],
	corpus: readonly CorpusFile[],
): string[] {
	const out: string[] = [];
	const train = corpus.filter((f) => f.split === 'train');
	for (const e of evaluation) {
		const hit = train.find(
			(f) =>
				f.sha256 === e.sha256 ||
				(e.source !== undefined && f.path === e.source) ||
				(e.package !== undefined && f.path.startsWith(`${e.package}@`)),
		);
		if (hit) out.push(`${e.file}: training has ${hit.path}`);
	}
	return out;
}
