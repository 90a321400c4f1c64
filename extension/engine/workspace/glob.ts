/**
 * Glob patterns as VS Code's `files.exclude` writes them, matched against workspace-relative,
 * `/`-separated paths: `**` spans any number of folders (none included), `*` and `?` stay inside
 * one name, `{a,b}` is a choice, `[abc]`, `[a-z]` and `[!abc]` are character classes. A pattern
 * that matches a folder excludes everything in it.
 */
export function globToRegExp(glob: string, caseInsensitive = false): RegExp {
	let pattern = glob.trim().replace(/\\/g, '/');
	pattern = pattern.replace(/^\.\//, '').replace(/^\/+/, '').replace(/\/+$/, '');
	return new RegExp(`^${translate(pattern)}$`, caseInsensitive ? 'i' : '');
}

function translate(glob: string): string {
	let out = '';
	for (let k = 0; k < glob.length; k++) {
		const c = glob[k];
		if (c === '*') {
			if (glob[k + 1] === '*') {
				let end = k;
				while (glob[end + 1] === '*') end++;
				const atStart = k === 0 || glob[k - 1] === '/';
				const slashAfter = glob[end + 1] === '/';
				if (atStart && slashAfter) {
					out += '(?:[^/]*/)*'; // `**/`: any folders, none included
					k = end + 1;
				} else if (atStart && end + 1 === glob.length) {
					out += '.*'; // trailing `**`: everything below
					k = end;
				} else {
					out += '[^/]*'; // `a**b` is `a*b`, as in VS Code
					k = end;
				}
			} else {
				out += '[^/]*';
			}
		} else if (c === '?') {
			out += '[^/]';
		} else if (c === '{') {
			const close = matchingBrace(glob, k);
			if (close < 0) {
				out += '\\{';
			} else {
				const options = splitTopLevel(glob.slice(k + 1, close));
				out += `(?:${options.map(translate).join('|')})`;
				k = close;
			}
		} else if (c === '[') {
			const close = glob.indexOf(']', k + 2);
			if (close < 0) {
				out += '\\[';
			} else {
				let body = glob.slice(k + 1, close);
				const negated = body.startsWith('!') || body.startsWith('^');
				if (negated) body = body.slice(1);
				body = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
				out += negated ? `[^/${body}]` : `[${body}]`;
				k = close;
			}
		} else {
			out += c.replace(/[.+^$()|\\\]]/g, (m) => `\\${m}`);
		}
	}
	return out;
}

function matchingBrace(glob: string, open: number): number {
	let depth = 0;
	for (let k = open; k < glob.length; k++) {
		if (glob[k] === '{') depth++;
		else if (glob[k] === '}' && --depth === 0) return k;
	}
	return -1;
}

function splitTopLevel(body: string): string[] {
	const parts: string[] = [];
	let depth = 0;
	let start = 0;
	for (let k = 0; k < body.length; k++) {
		if (body[k] === '{') depth++;
		else if (body[k] === '}') depth--;
		else if (body[k] === ',' && depth === 0) {
			parts.push(body.slice(start, k));
			start = k + 1;
		}
	}
	parts.push(body.slice(start));
	return parts;
}

/** `files.exclude`'s shape: pattern → true (excluded), false (not), or a `when` clause. */
export type ExcludeSetting = Readonly<Record<string, boolean | { readonly when: string }>>;

/**
 * VS Code's default `files.exclude` plus the folders its default `search.exclude` leaves out,
 * which no question about a workspace wants read.
 */
export const DEFAULT_EXCLUDES: ExcludeSetting = {
	'**/.git': true,
	'**/.svn': true,
	'**/.hg': true,
	'**/CVS': true,
	'**/.DS_Store': true,
	'**/Thumbs.db': true,
	'**/node_modules': true,
	'**/bower_components': true,
};

/**
 * A predicate over relative paths from exclude settings or a plain list of globs. Patterns set
 * to `false` are dropped (that is how a user turns a default off); `when` clauses (sibling
 * conditions) are not supported and are dropped too.
 */
export function excludeMatcher(
	...settings: readonly (ExcludeSetting | readonly string[])[]
): (path: string) => boolean {
	const enabled = new Map<string, boolean>();
	for (const setting of settings) {
		if (Array.isArray(setting)) {
			for (const glob of setting as readonly string[]) enabled.set(glob, true);
		} else {
			for (const [glob, value] of Object.entries(setting as ExcludeSetting)) {
				enabled.set(glob, value === true);
			}
		}
	}
	const patterns = [...enabled]
		.filter(([glob, on]) => on && glob.trim() !== '')
		.map(([glob]) => globToRegExp(glob));
	if (patterns.length === 0) return () => false;
	return (path) => patterns.some((re) => re.test(path));
}
