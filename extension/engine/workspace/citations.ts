import { isShown, type ManifestFile } from './manifest';

/** A `path:line` reference as the model wrote it. */
export interface RawCitation {
	/** As written, e.g. `src/a.ts:12-14`. */
	readonly text: string;
	readonly path: string;
	readonly line: number;
	readonly endLine?: number;
}

/** A reference to lines the model was shown. */
export interface Citation {
	readonly path: string;
	readonly line: number;
	readonly endLine?: number;
	readonly text: string;
}

export interface DroppedCitation {
	readonly text: string;
	readonly reason: string;
}

// path:12, path:12-14, path:12:5 (column ignored), path#L12, path#L12-L14; the path has a
// file name with an extension or a folder part, so prose such as "note: 3" does not match.
const CITATION =
	/(?<![\w@$%+=./\\-])((?:[\w@$%+=.-]+\/)*[\w@$%+=-]+(?:\.[\w@$%+=-]+)*)(?::(\d+)(?:\s?[-–]\s?(\d+))?(?::\d+)?|#L(\d+)(?:-L?(\d+))?)(?![\w/])/g;

/** Every `path:line` in an answer, in order, each written form once. */
export function parseCitations(answer: string): RawCitation[] {
	const found: RawCitation[] = [];
	const seen = new Set<string>();
	for (const match of answer.matchAll(CITATION)) {
		const path = match[1].replace(/^\.\//, '');
		if (!/[./]/.test(path) && !/^[A-Z][\w-]*$/.test(path)) continue; // `Makefile:3` yes, `note:3` no
		const line = Number(match[2] ?? match[4]);
		const end = match[3] ?? match[5];
		if (!Number.isSafeInteger(line) || line <= 0) continue;
		const text = match[0];
		if (seen.has(text)) continue;
		seen.add(text);
		found.push({
			text,
			path,
			line,
			...(end !== undefined && Number(end) > line ? { endLine: Number(end) } : {}),
		});
	}
	return found;
}

/**
 * Keeps the citations of files the model was shown, at lines it was shown; a path given by its
 * tail (`ask.ts` for `src/cli/ask.ts`) resolves when exactly one shown file ends so. Unknown
 * paths, files the model did not see and lines outside what it saw are dropped with a reason.
 */
export function validateCitations(
	raw: readonly RawCitation[],
	files: readonly ManifestFile[],
): { citations: Citation[]; dropped: DroppedCitation[] } {
	const byPath = new Map<string, ManifestFile[]>();
	for (const f of files) {
		const list = byPath.get(f.path) ?? [];
		list.push(f);
		byPath.set(f.path, list);
	}
	const shownPaths = [...byPath.keys()].filter((p) => byPath.get(p)?.some(isShown));
	const citations: Citation[] = [];
	const dropped: DroppedCitation[] = [];
	const kept = new Set<string>();
	for (const c of raw) {
		let path = c.path;
		if (!byPath.has(path)) {
			const tails = shownPaths.filter((p) => p.endsWith(`/${path}`));
			if (tails.length === 1) path = tails[0];
			else {
				dropped.push({
					text: c.text,
					reason:
						tails.length > 1
							? `ambiguous: ${tails.length} files end with ${c.path}`
							: `unknown path ${c.path}`,
				});
				continue;
			}
		}
		const entries = byPath.get(path) ?? [];
		const shown = entries.filter(isShown);
		if (shown.length === 0) {
			dropped.push({
				text: c.text,
				reason: `${path} was not shown to the model (${entries[0]?.status ?? 'unknown'})`,
			});
			continue;
		}
		const last = c.endLine ?? c.line;
		const inside = shown.some(
			(f) =>
				!f.lines || (c.line >= f.lines.from && last <= Math.max(f.lines.to, f.lines.from)),
		);
		if (!inside) {
			const ranges = shown
				.map((f) => (f.lines ? `${f.lines.from}–${f.lines.to}` : 'all'))
				.join(', ');
			dropped.push({
				text: c.text,
				reason: `line ${c.line}${c.endLine ? `–${c.endLine}` : ''} is outside the lines of ${path} the model saw (${ranges})`,
			});
			continue;
		}
		const key = `${path}:${c.line}-${c.endLine ?? ''}`;
		if (kept.has(key)) continue;
		kept.add(key);
		citations.push({
			path,
			line: c.line,
			...(c.endLine !== undefined ? { endLine: c.endLine } : {}),
			text: c.text,
		});
	}
	return { citations, dropped };
}
