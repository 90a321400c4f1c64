import type {
	Diagnostics,
	FactorInfo,
	HostToWebview,
	ModelDetails,
	WebviewToHost,
} from '../extension/protocol';
import { formatBytes, formatTokens, h, iconButton } from './dom';

type Post = (message: WebviewToHost) => void;
const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
	tag: K,
	attrs: Record<string, string | number>,
	text?: string,
): SVGElementTagNameMap[K] {
	const element = document.createElementNS(SVG, tag);
	for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
	if (text !== undefined) element.textContent = text;
	return element;
}

function section(
	title: string,
	id: string,
	...children: (Node | string | undefined | false)[]
): HTMLElement {
	return h(
		'section',
		{ class: 'diag', id, 'aria-labelledby': `${id}-title` },
		h('h2', { id: `${id}-title` }, title),
		...children,
	);
}

function row(label: string, value: string): HTMLElement {
	return h(
		'div',
		{ class: 'kv' },
		h('span', { class: 'k' }, label),
		h('span', { class: 'v' }, value),
	);
}

const FORMATS: Record<ModelDetails['format'], string> = {
	own: "the project's own graph",
	'ort-genai': 'ONNX Runtime GenAI export',
	openai: 'OpenAI-compatible endpoint',
};

/** What the model is: format, windows and factor sets, KV bytes per token, load warnings. */
function modelSection(name: string | undefined, m: ModelDetails): HTMLElement {
	return section(
		'Model',
		'diag-model',
		row('Model', `${name ?? m.location} (${FORMATS[m.format]})`),
		row(
			'Windows',
			m.sets.length > 0
				? `trained on ${formatTokens(m.originalWindow)}; sets ${m.sets.map((s) => `${s.name} ${formatTokens(s.maxLength)}`).join(', ')}`
				: `${formatTokens(m.maxWindow)} tokens`,
		),
		m.kvBytesPerToken > 0
			? row('KV cache', `${formatBytes(m.kvBytesPerToken)} per token`)
			: undefined,
		...m.warnings.map((w) => h('p', { class: 'warning' }, w)),
	);
}

/** The diagnostics beside the chat: budget, files, KV memory, factor set, λ chart, speed. */
export class DiagnosticsView {
	private readonly body: HTMLElement;

	constructor(
		root: HTMLElement,
		private readonly post: Post,
	) {
		this.body = h('div', { class: 'diagnostics', id: 'diagnostics' });
		root.append(
			h(
				'header',
				{ class: 'chat-header' },
				h('span', { class: 'status-line' }, 'Last request'),
				h(
					'span',
					{ class: 'toolbar' },
					iconButton('settings', 'Choose factor set policy', () =>
						this.post({ type: 'command', command: 'chooseFactorSet' }),
					),
				),
			),
			this.body,
		);
		root.addEventListener('click', (event) => {
			const link = (event.target as Element | null)?.closest('a[data-path]');
			if (!link) return;
			event.preventDefault();
			this.post({
				type: 'openCitation',
				path: link.getAttribute('data-path') ?? '',
				line: 1,
			});
		});
	}

	handle(message: HostToWebview): void {
		if (message.type === 'init' || message.type === 'diagnostics')
			this.show(message.diagnostics);
	}

	show(d: Diagnostics): void {
		const parts: HTMLElement[] = [];
		if (!d.budget && !d.factors && !d.speed) {
			parts.push(
				h(
					'p',
					{ class: 'empty' },
					'Ask a question or summarize something: what the request used shows here.',
				),
			);
		}
		if (d.modelDetails) parts.push(modelSection(d.model, d.modelDetails));
		if (d.factors) parts.push(this.factorSection(d.factors, d.cacheRebuilt));
		if (d.budget) {
			const b = d.budget;
			const segments: [string, number, string][] = [
				['template', b.template, 'Template'],
				['context', b.context, 'Workspace context'],
				['history', b.history, 'Earlier turns'],
				['question', b.question, 'Question'],
				['answer', b.answer, 'Answer budget'],
				['free', Math.max(0, b.free), 'Free'],
			];
			const bar = h('div', {
				class: 'budget-bar',
				role: 'img',
				'aria-label': segments.map(([, n, l]) => `${l} ${n}`).join(', '),
			});
			for (const [cls, n, label] of segments) {
				if (n <= 0) continue;
				const seg = h('span', {
					class: `seg ${cls}`,
					title: `${label}: ${formatTokens(n)} tokens`,
				});
				seg.style.width = `${(100 * n) / Math.max(1, b.window)}%`;
				bar.append(seg);
			}
			parts.push(
				section(
					'Token budget',
					'diag-budget',
					h('p', {}, `Window ${formatTokens(b.window)} tokens (set "${b.windowSet}")`),
					bar,
					h(
						'ul',
						{ class: 'legend' },
						...segments.map(([cls, n, label]) =>
							h(
								'li',
								{},
								h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }),
								`${label}: ${formatTokens(n)}`,
							),
						),
					),
					b.limit ? h('p', { class: 'warning' }, b.limit) : undefined,
				),
			);
		}
		if (d.kv) {
			parts.push(
				section(
					'KV cache memory',
					'diag-kv',
					row('Planned', formatBytes(d.kv.plannedBytes)),
					d.kv.usedBytes !== undefined
						? row('Allocated', formatBytes(d.kv.usedBytes))
						: undefined,
					row('Cap', formatBytes(d.kv.capBytes)),
				),
			);
		}
		if (d.speed) {
			const s = d.speed;
			parts.push(
				section(
					'Speed',
					'diag-speed',
					row(
						'Prompt',
						`${formatTokens(s.promptTokens)} tokens (${formatTokens(s.reusedTokens)} reused from the cache)`,
					),
					row('Prefill', `${s.prefillTokensPerSecond.toFixed(0)} tokens/s`),
					row('Decode', `${s.decodeTokensPerSecond.toFixed(1)} tokens/s`),
					row('First token', `${s.timeToFirstTokenMs.toFixed(0)} ms`),
					row('Answer', `${formatTokens(s.newTokens)} tokens, ended by ${s.stopReason}`),
				),
			);
		}
		if (d.files) parts.push(this.fileTable(d.files));
		this.body.replaceChildren(...parts);
	}

	private factorSection(f: FactorInfo, cacheRebuilt: string | undefined): HTMLElement {
		const max = Math.max(f.plannedLength, f.setWindow, f.originalWindow, 1);
		const planned = h('div', {
			class: 'length-bar',
			role: 'img',
			'aria-label': `Planned ${f.plannedLength} tokens; original window ${f.originalWindow}; set window ${f.setWindow}`,
		});
		const fill = h('span', {
			class: `fill ${f.plannedLength > f.originalWindow ? 'beyond' : ''}`,
		});
		fill.style.width = `${(100 * f.plannedLength) / max}%`;
		const mark = h('span', { class: 'mark', title: `original window ${f.originalWindow}` });
		mark.style.left = `${(100 * f.originalWindow) / max}%`;
		planned.append(fill, mark);
		return section(
			'Factor set',
			'diag-factors',
			h(
				'p',
				{ class: 'set-name' },
				h('strong', { id: 'active-set' }, f.set),
				` (${f.method})`,
			),
			h('p', { class: 'why' }, f.reason),
			f.warning ? h('p', { class: 'warning' }, f.warning) : undefined,
			cacheRebuilt
				? h('p', { class: 'note' }, `KV cache rebuilt: ${cacheRebuilt}`)
				: undefined,
			h(
				'p',
				{},
				`Planned length ${formatTokens(f.plannedLength)} tokens; original window ${formatTokens(f.originalWindow)}; this set's window ${formatTokens(f.setWindow)}`,
			),
			planned,
			h(
				'p',
				{ class: 'caption' },
				'Bar: planned length; mark: original window; full width: the longer of the two windows.',
			),
			row('n̂ (positions kept unscaled)', String(f.nHat)),
			row('Attention factor', f.attentionFactor.toFixed(4)),
			row('Sets', f.sets.map((s) => `${s.name} (${formatTokens(s.maxLength)})`).join(', ')),
			h(
				'p',
				{ class: 'caption' },
				'Rescale factor λ per rotary pair (log scale); pair 0 turns fastest.',
			),
			this.lambdaChart(f),
		);
	}

	/** λ_i per rotary pair on a log scale. */
	private lambdaChart(f: FactorInfo): SVGSVGElement {
		const width = 300;
		const height = 120;
		const pad = { left: 34, right: 6, top: 8, bottom: 20 };
		const values = f.factors.map((x) => Math.max(x, 1e-6));
		const logs = values.map(Math.log10);
		const lo = Math.min(0, ...logs);
		const hi = Math.max(lo + 0.1, ...logs);
		const plotW = width - pad.left - pad.right;
		const plotH = height - pad.top - pad.bottom;
		const y = (v: number) => pad.top + plotH - ((v - lo) / (hi - lo)) * plotH;
		const chart = svg('svg', {
			viewBox: `0 0 ${width} ${height}`,
			class: 'lambda-chart',
			role: 'img',
			'aria-label': `Rescale factor per rotary pair, log scale, from ${Math.min(...values).toFixed(3)} to ${Math.max(...values).toFixed(3)}`,
		});
		chart.append(svg('title', {}, 'λ per rotary pair (log scale)'));
		const step = plotW / Math.max(1, values.length);
		values.forEach((v, i) => {
			const top = y(Math.log10(v));
			const base = y(lo);
			const bar = svg('rect', {
				x: pad.left + i * step + step * 0.1,
				y: Math.min(top, base),
				width: Math.max(0.5, step * 0.8),
				height: Math.max(0.5, Math.abs(base - top)),
				class: 'bar',
			});
			bar.append(svg('title', {}, `pair ${i}: λ = ${v.toPrecision(4)}`));
			chart.append(bar);
		});
		for (const tick of [lo, (lo + hi) / 2, hi]) {
			chart.append(
				svg('line', {
					x1: pad.left - 3,
					x2: width - pad.right,
					y1: y(tick),
					y2: y(tick),
					class: 'grid',
				}),
				svg(
					'text',
					{ x: pad.left - 5, y: y(tick) + 3, class: 'tick', 'text-anchor': 'end' },
					(10 ** tick).toPrecision(2),
				),
			);
		}
		chart.append(
			svg('text', { x: pad.left, y: height - 5, class: 'tick' }, 'pair 0'),
			svg(
				'text',
				{ x: width - pad.right, y: height - 5, class: 'tick', 'text-anchor': 'end' },
				`pair ${values.length - 1}`,
			),
		);
		return chart;
	}

	private fileTable(files: NonNullable<Diagnostics['files']>): HTMLElement {
		const shown = files.slice(0, 500);
		const table = h(
			'table',
			{ class: 'files' },
			h(
				'caption',
				{},
				`${files.length} files${files.length > shown.length ? ` (first ${shown.length} shown)` : ''}`,
			),
			h(
				'thead',
				{},
				h(
					'tr',
					{},
					h('th', { scope: 'col' }, 'File'),
					h('th', { scope: 'col' }, 'Status'),
					h('th', { scope: 'col' }, 'Tokens'),
					h('th', { scope: 'col' }, 'Why'),
				),
			),
			h(
				'tbody',
				{},
				...shown.map((f) =>
					h(
						'tr',
						{ class: `status-${f.status}` },
						h(
							'td',
							{},
							h(
								'a',
								{ href: '#', 'data-path': f.path, title: `Open ${f.path}` },
								f.path,
							),
						),
						h(
							'td',
							{},
							f.status +
								(f.lines && f.status === 'truncated' ? ` (lines ${f.lines})` : ''),
						),
						h(
							'td',
							{ class: 'num' },
							f.fileTokens !== undefined && f.fileTokens !== f.tokens
								? `${formatTokens(f.tokens)} / ${formatTokens(f.fileTokens)}`
								: formatTokens(f.tokens),
						),
						h('td', {}, f.reason),
					),
				),
			),
		);
		return section('Files in the context', 'diag-files', table);
	}
}
