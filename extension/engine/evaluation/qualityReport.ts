import type { PerplexityRow } from './harness';
import type { PasskeyRow, RetrievalRow } from './retrieval';
import type { PerplexitySummary } from './windowedPerplexity';

interface Row {
	readonly method: string;
	readonly length: number;
	readonly scale: number;
	readonly set: string;
}

function axes<R extends Row>(rows: readonly R[]): { methods: string[]; lengths: number[] } {
	return {
		methods: [...new Set(rows.map((r) => r.method))],
		lengths: [...new Set(rows.map((r) => r.length))].sort((a, b) => a - b),
	};
}

function header(rows: readonly Row[], lengths: readonly number[], first: string): string[] {
	const label = (n: number) => {
		const scale = rows.find((r) => r.length === n)?.scale ?? 1;
		return `${n} (${+scale.toFixed(2)}×)`;
	};
	return [
		`| ${first} | ${lengths.map(label).join(' | ')} |`,
		`|---|${lengths.map(() => '---:').join('|')}|`,
	];
}

function setsNote(rows: readonly Row[], lengths: readonly number[]): string[] {
	const longrope = lengths
		.map((n) => rows.find((r) => r.method === 'longrope' && r.length === n))
		.filter((r): r is Row => r !== undefined);
	if (longrope.length === 0) return [];
	return [
		'',
		`longrope = the model's own set per length: ${longrope.map((r) => `${r.length} → \`${r.set}\``).join(', ')}`,
	];
}

function formatPerplexity(x: number): string {
	if (!Number.isFinite(x)) return '∞';
	if (x >= 1000) return x.toExponential(2);
	return x.toFixed(2);
}

/** Methods × lengths; the best value of each column in bold. */
export function perplexityTable(rows: readonly PerplexityRow[]): string {
	const { methods, lengths } = axes(rows);
	const best = new Map(
		lengths.map((n) => [
			n,
			Math.min(...rows.filter((r) => r.length === n).map((r) => r.perplexity)),
		]),
	);
	const lines = header(rows, lengths, 'perplexity');
	for (const method of methods) {
		const cells = lengths.map((n) => {
			const row = rows.find((r) => r.method === method && r.length === n);
			if (!row) return '';
			const text = formatPerplexity(row.perplexity);
			return row.perplexity === best.get(n) ? `**${text}**` : text;
		});
		lines.push(`| ${method} | ${cells.join(' | ')} |`);
	}
	return [...lines, ...setsNote(rows, lengths)].join('\n');
}

/** Methods × lengths, accuracy in percent with correct/trials. */
export function passkeyTable(rows: readonly PasskeyRow[]): string {
	const { methods, lengths } = axes(rows);
	const lines = header(rows, lengths, 'passkey');
	for (const method of methods) {
		const cells = lengths.map((n) => {
			const row = rows.find((r) => r.method === method && r.length === n);
			return row ? `${Math.round(100 * row.accuracy)}% (${row.correct}/${row.trials})` : '';
		});
		lines.push(`| ${method} | ${cells.join(' | ')} |`);
	}
	return [...lines, ...setsNote(rows, lengths)].join('\n');
}

/**
 * One subset's perplexity per method and length with its bootstrap interval, `ppl [low–high]`,
 * a first row with the windows per length; the best value of each column in bold.
 */
export function intervalPerplexityTable(rows: readonly PerplexitySummary[]): string {
	const { methods, lengths } = axes(rows);
	const lines = header(rows, lengths, 'perplexity [95% interval]');
	const windows = lengths.map((n) => rows.find((r) => r.length === n)?.samples ?? 0);
	lines.push(`| windows | ${windows.join(' | ')} |`);
	for (const method of methods) {
		const cells = lengths.map((n) => {
			const row = rows.find((r) => r.method === method && r.length === n);
			if (!row) return '';
			const best = Math.min(...rows.filter((r) => r.length === n).map((r) => r.perplexity));
			const value = formatPerplexity(row.perplexity);
			const text = row.perplexity === best ? `**${value}**` : value;
			return `${text} [${formatPerplexity(row.interval.low)}–${formatPerplexity(row.interval.high)}]`;
		});
		lines.push(`| ${method} | ${cells.join(' | ')} |`);
	}
	return [...lines, ...setsNote(rows, lengths)].join('\n');
}

/** One task's accuracy per method and length: `80% (8/10) [49–94]` (Wilson 95%, in percent). */
export function retrievalTable(rows: readonly RetrievalRow[]): string {
	const { methods, lengths } = axes(rows);
	const lines = header(rows, lengths, rows[0]?.task ?? 'retrieval');
	const percent = (x: number) => Math.round(100 * x);
	for (const method of methods) {
		const cells = lengths.map((n) => {
			const row = rows.find((r) => r.method === method && r.length === n);
			return row
				? `${percent(row.accuracy)}% (${row.correct}/${row.trials}) [${percent(row.interval.low)}–${percent(row.interval.high)}]`
				: '';
		});
		lines.push(`| ${method} | ${cells.join(' | ')} |`);
	}
	return [...lines, ...setsNote(rows, lengths)].join('\n');
}

const COLORS: Record<string, string> = {
	none: '#7f7f7f',
	pi: '#1f77b4',
	ntk: '#2ca02c',
	'dynamic-ntk': '#17becf',
	yarn: '#ff7f0e',
	longrope: '#d62728',
};

function escapeXml(text: string): string {
	return text.replace(
		/[<>&"]/g,
		(c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c,
	);
}

/**
 * Perplexity against length, one line per method, both axes logarithmic (the picture of the
 * LongRoPE paper's Figure 1). Values above `clip` × the best at the original window are drawn
 * at the top edge with an open marker, so one exploding method does not flatten the others.
 */
export function perplexitySvg(
	rows: readonly PerplexityRow[],
	options: { title?: string; clip?: number } = {},
): string {
	const { methods, lengths } = axes(rows);
	const width = 720;
	const height = 440;
	const m = { left: 70, right: 150, top: 40, bottom: 55 };
	const plotW = width - m.left - m.right;
	const plotH = height - m.top - m.bottom;
	const finite = rows.map((r) => r.perplexity).filter(Number.isFinite);
	const yMin = Math.max(1e-9, Math.min(...finite)) / 1.1;
	const yCap = Math.min(...finite) * (options.clip ?? 20);
	const yMax = Math.min(Math.max(...finite) * 1.1, yCap);
	const lx = (n: number) =>
		m.left +
		(lengths.length === 1
			? plotW / 2
			: ((Math.log(n) - Math.log(lengths[0])) /
					(Math.log(lengths.at(-1) as number) - Math.log(lengths[0]))) *
				plotW);
	const ly = (v: number) =>
		m.top +
		plotH -
		((Math.log(Math.min(v, yMax)) - Math.log(yMin)) / (Math.log(yMax) - Math.log(yMin))) *
			plotH;
	const out: string[] = [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
		`<rect width="${width}" height="${height}" fill="white"/>`,
		`<text x="${m.left + plotW / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(options.title ?? 'Perplexity vs context length')}</text>`,
		`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
	];
	for (const n of lengths) {
		const x = lx(n).toFixed(1);
		out.push(
			`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + plotH}" stroke="#ddd"/>`,
			`<text x="${x}" y="${m.top + plotH + 18}" text-anchor="middle">${n}</text>`,
		);
	}
	out.push(
		`<text x="${m.left + plotW / 2}" y="${height - 12}" text-anchor="middle">context length (tokens, log scale)</text>`,
	);
	const ticks = yTicks(yMin, yMax);
	for (const v of ticks) {
		const y = ly(v).toFixed(1);
		out.push(
			`<line x1="${m.left}" y1="${y}" x2="${m.left + plotW}" y2="${y}" stroke="#eee"/>`,
			`<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(v)}</text>`,
		);
	}
	out.push(
		`<text x="18" y="${m.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${m.top + plotH / 2})">perplexity (log scale)</text>`,
	);
	methods.forEach((method, k) => {
		const color = COLORS[method] ?? '#000';
		const points = lengths
			.map((n) => rows.find((r) => r.method === method && r.length === n))
			.filter((r): r is PerplexityRow => r !== undefined);
		const path = points
			.map(
				(r, i) =>
					`${i === 0 ? 'M' : 'L'}${lx(r.length).toFixed(1)},${ly(Number.isFinite(r.perplexity) ? r.perplexity : yMax).toFixed(1)}`,
			)
			.join(' ');
		const strokeWidth = method === 'longrope' ? 3 : 1.8;
		out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="${strokeWidth}"/>`);
		for (const r of points) {
			const clipped = !Number.isFinite(r.perplexity) || r.perplexity > yMax;
			out.push(
				`<circle cx="${lx(r.length).toFixed(1)}" cy="${ly(clipped ? yMax : r.perplexity).toFixed(1)}" r="3.5" fill="${clipped ? 'white' : color}" stroke="${color}"><title>${escapeXml(`${method} @${r.length}: ${formatPerplexity(r.perplexity)}`)}</title></circle>`,
			);
		}
		const ly0 = m.top + 10 + k * 20;
		out.push(
			`<line x1="${m.left + plotW + 14}" y1="${ly0}" x2="${m.left + plotW + 38}" y2="${ly0}" stroke="${color}" stroke-width="${strokeWidth}"/>`,
			`<text x="${m.left + plotW + 44}" y="${ly0}" dominant-baseline="middle">${escapeXml(method)}</text>`,
		);
	});
	out.push(
		`<text x="${m.left + plotW + 14}" y="${m.top + 20 + methods.length * 20}" font-size="10" fill="#555">open marker: off the top</text>`,
		'</svg>',
	);
	return `${out.join('\n')}\n`;
}

function yTicks(min: number, max: number): number[] {
	// 1-2-5 per decade; a narrow range (less than a decade) gets every integer multiple.
	for (const multiples of [
		[1, 2, 5],
		[1, 2, 3, 4, 5, 6, 7, 8, 9],
	]) {
		const ticks: number[] = [];
		for (let p = Math.floor(Math.log10(min)); p <= Math.ceil(Math.log10(max)); p++) {
			for (const f of multiples) {
				const v = f * 10 ** p;
				if (v >= min && v <= max) ticks.push(v);
			}
		}
		if (ticks.length >= 4) return ticks;
	}
	const step = (max - min) / 4;
	return [0, 1, 2, 3, 4].map((k) => +(min + k * step).toPrecision(2));
}

function formatTick(v: number): string {
	return v >= 1000 ? v.toExponential(0) : String(+v.toPrecision(2));
}
