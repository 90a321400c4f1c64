/** Builds an element; children are nodes or plain text (never parsed as HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
	tag: K,
	attrs: Record<string, string | boolean | undefined> = {},
	...children: (Node | string | undefined | false)[]
): HTMLElementTagNameMap[K] {
	const element = document.createElement(tag);
	for (const [key, value] of Object.entries(attrs)) {
		if (value === undefined || value === false) continue;
		if (key === 'class') element.className = String(value);
		else element.setAttribute(key, value === true ? '' : value);
	}
	for (const child of children) {
		if (child === undefined || child === false) continue;
		element.append(typeof child === 'string' ? document.createTextNode(child) : child);
	}
	return element;
}

export function icon(name: string): HTMLSpanElement {
	return h('span', { class: `codicon codicon-${name}`, 'aria-hidden': 'true' });
}

export function iconButton(
	name: string,
	label: string,
	onClick: () => void,
	extra: Record<string, string> = {},
): HTMLButtonElement {
	const button = h(
		'button',
		{ type: 'button', class: 'icon-button', title: label, 'aria-label': label, ...extra },
		icon(name),
	);
	button.addEventListener('click', onClick);
	return button;
}

export function formatTokens(n: number): string {
	return Math.round(n).toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
	if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
	if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
	if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
	return `${bytes} B`;
}

export function formatEta(seconds: number | undefined): string {
	if (seconds === undefined || !Number.isFinite(seconds)) return '';
	if (seconds < 1) return '<1 s left';
	if (seconds < 90) return `${Math.round(seconds)} s left`;
	return `${Math.round(seconds / 60)} min left`;
}
