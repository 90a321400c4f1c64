import type { FilePriority } from './manifest';

/** Where the user is in the editor; every path is workspace-relative with `/`. */
export interface EditorFocus {
	readonly selection?: {
		readonly path: string;
		/** 1-based, inclusive. */
		readonly fromLine: number;
		readonly toLine: number;
		readonly text: string;
	};
	readonly activeEditor?: string;
	/** Open editors (tabs), the active one included or not. */
	readonly openEditors?: readonly string[];
}

const STOPWORDS = new Set(
	'the and for are but not you all any can had her was one our out has him his how its may new now old see two way who did get let put say she too use what when where which while with this that these those there their them they then than from into onto about above after again also been before being below between both does doing done down each few further have having here hers herself himself itself just more most myself nor off once only other ours over own same should some such theirs themselves through under until very why will would your yours could might must shall whom whose within without upon via per like make made tell show explain describe give list find code file files project work works working please thanks thank answer question'.split(
		' ',
	),
);

/**
 * Words of a question worth looking for, lower case: words of three letters or more that are not
 * stop words, upper-case abbreviations (`KV`, `UI`), the parts of camelCase and snake_case
 * identifiers, and two neighbouring words joined (`KV cache` → `kvcache`, which finds kvCache).
 */
export function questionTerms(question: string, max = 24): string[] {
	const terms: string[] = [];
	const wanted = (word: string): boolean => {
		const term = word.toLowerCase();
		return (
			(term.length >= 3 || /^[A-Z]{2}$/.test(word)) &&
			!STOPWORDS.has(term) &&
			!/^\d+$/.test(term)
		);
	};
	const add = (word: string): void => {
		const term = word.toLowerCase();
		if (wanted(word) && !terms.includes(term)) terms.push(term);
	};
	const words = question.match(/[A-Za-z0-9_]+/g) ?? [];
	for (const word of words) {
		add(word);
		const parts = word
			.replace(/([a-z0-9])([A-Z])/g, '$1 $2')
			.replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
			.split(/[\s_]+/);
		if (parts.length > 1) for (const part of parts) add(part);
	}
	for (let k = 0; k + 1 < words.length; k++) {
		if (wanted(words[k]) && wanted(words[k + 1])) add(words[k] + words[k + 1]);
	}
	return terms.slice(0, max);
}

/** How often each term occurs in a text (case-insensitive, capped at 65535). */
export function termCounts(text: string, terms: readonly string[]): Uint16Array {
	const counts = new Uint16Array(terms.length);
	if (terms.length === 0) return counts;
	const lower = text.toLowerCase();
	terms.forEach((term, k) => {
		let found = 0;
		for (
			let at = lower.indexOf(term);
			at >= 0 && found < 65535;
			at = lower.indexOf(term, at + term.length)
		) {
			found++;
		}
		counts[k] = found;
	});
	return counts;
}

/**
 * Paths (of the given ones) that the question names: `src/a.ts`, `a.ts`, the files of a folder
 * `src/cli`, or a file's stem such as `FactorManager`.
 */
export function namedInQuestion(question: string, paths: Iterable<string>): Set<string> {
	const mentions = (question.match(/[\w@.\-/]+/g) ?? [])
		.map((m) => m.replace(/^[./]+|[.,;:!?)]+$/g, ''))
		.filter((m) => m.length > 0);
	const files = new Set(mentions.filter((m) => /[./]/.test(m)));
	const stems = new Set(
		mentions
			.filter((m) => /^[A-Za-z_][\w-]{3,}$/.test(m) && !STOPWORDS.has(m.toLowerCase()))
			.map((m) => m.toLowerCase()),
	);
	const named = new Set<string>();
	for (const path of paths) {
		const base = path.slice(path.lastIndexOf('/') + 1);
		const dot = base.lastIndexOf('.');
		const stem = (dot > 0 ? base.slice(0, dot) : base).toLowerCase();
		if (stems.has(stem)) {
			named.add(path);
			continue;
		}
		for (const file of files) {
			// A file by its path or tail, or a folder (`src/cli`) by its path.
			if (path === file || path.endsWith(`/${file}`) || path.startsWith(`${file}/`)) {
				named.add(path);
				break;
			}
		}
	}
	return named;
}

/** What relevance needs of a scanned file. */
export interface RelevanceInput {
	readonly path: string;
	readonly tokens: number;
	readonly terms?: Uint16Array;
}

const K1 = 1.2;
const B = 0.75;

/**
 * Relevance of each file to the question: BM25 over the question's terms in the text, plus
 * terms in the path (the name counts most), closeness in the tree to the files the user is
 * looking at, and a small prior for a project's overview files (README, manifests).
 */
export function relevanceScores(
	files: readonly RelevanceInput[],
	terms: readonly string[],
	anchors: readonly string[] = [],
): number[] {
	const count = files.length;
	const df = new Array<number>(terms.length).fill(0);
	let totalTokens = 0;
	for (const f of files) {
		totalTokens += f.tokens;
		if (f.terms) for (let t = 0; t < terms.length; t++) if (f.terms[t] > 0) df[t]++;
	}
	const avg = Math.max(1, totalTokens / Math.max(count, 1));
	const idf = df.map((d) => Math.log(1 + (count - d + 0.5) / (d + 0.5)));
	const anchorDirs = anchors.map(dirSegments);
	return files.map((f) => {
		let score = 0;
		const lowerPath = f.path.toLowerCase();
		const slash = lowerPath.lastIndexOf('/');
		const base = lowerPath.slice(slash + 1);
		const dir = slash < 0 ? '' : lowerPath.slice(0, slash);
		for (let t = 0; t < terms.length; t++) {
			const c = f.terms?.[t] ?? 0;
			if (c > 0)
				score += (idf[t] * (c * (K1 + 1))) / (c + K1 * (1 - B + (B * f.tokens) / avg));
			if (base.includes(terms[t])) score += 3;
			else if (dir.includes(terms[t])) score += 1;
		}
		if (anchorDirs.length > 0) {
			const mine = dirSegments(f.path);
			let best = 0;
			for (const anchor of anchorDirs) best = Math.max(best, closeness(mine, anchor));
			score += 1.5 * best;
		}
		score += overviewPrior(f.path);
		return Math.round(score * 1000) / 1000;
	});
}

function dirSegments(path: string): string[] {
	const parts = path.split('/');
	parts.pop();
	return parts;
}

/** 1 for the same folder, less the further apart two folders are in the tree, 0 for unrelated. */
function closeness(a: readonly string[], b: readonly string[]): number {
	let shared = 0;
	while (shared < a.length && shared < b.length && a[shared] === b[shared]) shared++;
	const depth = Math.max(a.length, b.length);
	if (depth === 0) return 1;
	return shared / depth;
}

function overviewPrior(path: string): number {
	const lower = path.toLowerCase();
	if (/^readme(\.[a-z]+)?$/.test(lower)) return 1;
	if (
		/^(package\.json|go\.mod|cargo\.toml|pyproject\.toml|setup\.py|pom\.xml|build\.gradle)$/.test(
			lower,
		)
	) {
		return 0.5;
	}
	if (/(^|\/)readme(\.[a-z]+)?$/.test(lower)) return 0.3;
	return 0;
}

/** A file's place in the packing order: tier, then relevance, then depth, then path. */
export interface Ranked {
	readonly path: string;
	readonly priority: FilePriority;
	readonly score: number;
}

const TIER: Record<FilePriority, number> = {
	selection: 0,
	'active-editor': 1,
	'open-editor': 2,
	'named-in-question': 3,
	relevant: 4,
	rest: 5,
};

export function priorityRank(p: FilePriority): number {
	return TIER[p];
}

/** Code-unit order: the same on every machine and locale. */
export function comparePaths(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

function depth(path: string): number {
	let d = 0;
	for (let k = 0; k < path.length; k++) if (path.charCodeAt(k) === 47) d++;
	return d;
}

/** Packing order: highest tier first, then the most relevant, the shallowest, by path. */
export function comparePackingOrder(a: Ranked, b: Ranked): number {
	return (
		TIER[a.priority] - TIER[b.priority] ||
		b.score - a.score ||
		depth(a.path) - depth(b.path) ||
		comparePaths(a.path, b.path)
	);
}

/** Where a shown file goes in the prompt: workspace files by path first (the stable prefix), then open editors, the active editor, files the question names, and the selection last, next to the question. */
const RENDER_GROUP: Record<FilePriority, number> = {
	rest: 0,
	relevant: 0,
	'open-editor': 1,
	'active-editor': 2,
	'named-in-question': 3,
	selection: 4,
};

export function compareRenderOrder(a: Ranked, b: Ranked): number {
	return RENDER_GROUP[a.priority] - RENDER_GROUP[b.priority] || comparePaths(a.path, b.path);
}
