import createDOMPurify, { type Config, type DOMPurify } from 'dompurify';
import { Marked } from 'marked';
import { CITATION_PATTERN, type CitationRef } from '../extension/protocol';

/**
 * Markdown from the model (and file text quoted in it) → safe DOM. `marked` renders, DOMPurify
 * sanitizes with an allow-list (no scripts, no event handlers, no forms, no images, no
 * styles, links only to http(s)/mailto/#), then `path:line` citations become links the host
 * opens, and each code block gets a copy button. The page's CSP (no inline script, nonce'd
 * bundle only) is the second wall if anything got through.
 */

const marked = new Marked({ gfm: true, breaks: false, async: false });

const PURIFY_CONFIG: Config = {
	ALLOWED_TAGS: [
		'a',
		'b',
		'blockquote',
		'br',
		'code',
		'del',
		'em',
		'h1',
		'h2',
		'h3',
		'h4',
		'h5',
		'h6',
		'hr',
		'i',
		'li',
		'ol',
		'p',
		'pre',
		'strong',
		'table',
		'tbody',
		'td',
		'th',
		'thead',
		'tr',
		'ul',
		'span',
	],
	ALLOWED_ATTR: ['href', 'title', 'class', 'align'],
	ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
	ALLOW_DATA_ATTR: false,
	RETURN_DOM_FRAGMENT: false,
	RETURN_TRUSTED_TYPE: false,
};

export interface Renderer {
	/** Sanitized HTML for a markdown text (citations not yet linked). */
	toSafeHtml(markdown: string): string;
	/**
	 * Replaces `container`'s children with the rendered, sanitized markdown, in which the
	 * `citations` the host checked (and only those) are links.
	 */
	render(container: HTMLElement, markdown: string, citations: readonly CitationRef[]): void;
}

/** A renderer for a window (the webview's, or jsdom's in the tests). */
export function createRenderer(win: Window & typeof globalThis): Renderer {
	const purify: DOMPurify = createDOMPurify(win);
	purify.addHook('afterSanitizeAttributes', (node) => {
		if (node.nodeName === 'A') {
			node.setAttribute('rel', 'noopener noreferrer');
		}
	});
	const toSafeHtml = (markdown: string): string => {
		const html = marked.parse(markdown) as string;
		return purify.sanitize(html, PURIFY_CONFIG) as string;
	};
	return {
		toSafeHtml,
		render(container, markdown, citations) {
			const doc = container.ownerDocument;
			const template = doc.createElement('template');
			template.innerHTML = toSafeHtml(markdown);
			linkCitations(template.content, doc, citations);
			addCopyButtons(template.content, doc);
			container.replaceChildren(template.content);
		},
	};
}

/**
 * Turns the `path:line` citations in text (outside code blocks and links) that are among
 * `citations` into links to the file and line the host resolved; any other `path:line` (a file
 * the model was not shown, or one that does not exist) stays text.
 */
export function linkCitations(
	root: ParentNode,
	doc: Document,
	citations: readonly CitationRef[],
): number {
	// While an answer streams nothing is checked yet: no need to scan its text.
	if (citations.length === 0) return 0;
	const checked = new Map(citations.map((c) => [c.text, c]));
	const walker = doc.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
	const texts: Text[] = [];
	for (let node = walker.nextNode(); node; node = walker.nextNode()) {
		const parent = node.parentElement;
		if (parent?.closest('a, pre')) continue;
		texts.push(node as Text);
	}
	let links = 0;
	for (const text of texts) {
		const value = text.data;
		CITATION_PATTERN.lastIndex = 0;
		let match: RegExpExecArray | null;
		let last = 0;
		const parts: Node[] = [];
		while ((match = CITATION_PATTERN.exec(value)) !== null) {
			const [whole] = match;
			const citation = checked.get(whole);
			if (!citation) continue;
			if (match.index > last) parts.push(doc.createTextNode(value.slice(last, match.index)));
			const link = doc.createElement('a');
			link.className = 'citation';
			link.href = '#';
			link.dataset.path = citation.path;
			link.dataset.line = String(citation.line);
			link.title = `Open ${citation.path} at line ${citation.line}`;
			link.textContent = whole;
			parts.push(link);
			last = match.index + whole.length;
			links++;
		}
		if (parts.length === 0) continue;
		if (last < value.length) parts.push(doc.createTextNode(value.slice(last)));
		text.replaceWith(...parts);
	}
	return links;
}

function addCopyButtons(root: ParentNode, doc: Document): void {
	for (const pre of Array.from(root.querySelectorAll('pre'))) {
		const wrapper = doc.createElement('div');
		wrapper.className = 'code-block';
		const button = doc.createElement('button');
		button.type = 'button';
		button.className = 'copy-code icon-button';
		button.title = 'Copy code';
		button.setAttribute('aria-label', 'Copy code');
		const icon = doc.createElement('span');
		icon.className = 'codicon codicon-copy';
		icon.setAttribute('aria-hidden', 'true');
		button.append(icon);
		pre.replaceWith(wrapper);
		wrapper.append(button, pre);
	}
}
