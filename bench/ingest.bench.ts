// npm run bench:ingest [-- TREE] [--model DIR] — how fast a workspace becomes token counts:
// the Node reader walks TREE (default node_modules/typescript; try /usr/share/go-1.19/src),
// decodes every file, hashes it and counts its tokens with the bundled model's tokenizer.
// Prints a markdown table: files/s, tokens/s, MB/s, peak RSS, and the overhead of ingesting
// against tokenizing the same text concatenated. Goal: overhead ≤ 1.2×.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { loadModelFolder } from '../extension/runtime/loadModelFolder';
import { NodeWorkspaceReader } from '../extension/runtime/nodeWorkspaceReader';
import { sha256Hex } from '../extension/runtime/tokenCountStore';
import { scanWorkspace } from '../extension/engine/workspace/scan';
import { MemoryTokenCountCache, TokenCounter } from '../extension/engine/workspace/tokenCount';
import { resolveModelFolder } from '../extension/cli/modelLocation';

const GOAL = 1.2;
/** The baseline tokenizes the concatenation in blocks of this size (a 100 MB string is too much at once). */
const BLOCK_CHARS = 8 * 1024 * 1024;

function parse(argv: readonly string[]): { tree: string; model?: string } {
	let tree: string | undefined;
	let model: string | undefined;
	for (let k = 0; k < argv.length; k++) {
		if (argv[k] === '--model') model = argv[++k];
		else tree = argv[k];
	}
	return {
		tree: path.resolve(tree ?? path.join(__dirname, '..', 'node_modules', 'typescript')),
		model,
	};
}

interface Row {
	phase: string;
	files: number;
	megabytes: number;
	tokens: number;
	seconds: number;
	peakRssMb: number;
}

function peakRssMb(): number {
	return process.resourceUsage().maxRSS / 1024;
}

async function main(): Promise<void> {
	const { tree, model } = parse(process.argv.slice(2));
	if (!existsSync(tree)) throw new Error(`no tree at ${tree}`);
	const folder = await loadModelFolder(resolveModelFolder(model));
	const tokenizer = folder.tokenizer;
	const rows: Row[] = [];
	const mb = (bytes: number): number => bytes / 1024 / 1024;

	// 1. Walk, read and decode only (this also warms the page cache for the timed runs).
	{
		const reader = new NodeWorkspaceReader(tree);
		const start = performance.now();
		let files = 0;
		let bytes = 0;
		for await (const entry of reader.entries()) {
			if (entry.kind === 'text') {
				files++;
				bytes += entry.bytes;
			}
		}
		rows.push({
			phase: 'walk + read + decode (no tokenizer)',
			files,
			megabytes: mb(bytes),
			tokens: 0,
			seconds: (performance.now() - start) / 1000,
			peakRssMb: peakRssMb(),
		});
	}

	// 2. Ingest with an empty cache: walk, read, decode, hash, count.
	const cache = new MemoryTokenCountCache();
	let skipped = '';
	for (const phase of [
		'ingest, cold cache (counts every file)',
		'ingest, warm cache (hashes only)',
	]) {
		const reader = new NodeWorkspaceReader(tree);
		const counter = new TokenCounter(tokenizer, sha256Hex, cache);
		const start = performance.now();
		const scan = await scanWorkspace(reader, { counter });
		const reasons = new Map<string, number>();
		for (const s of scan.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
		skipped = `${scan.skipped.length} files skipped${reasons.size ? `: ${[...reasons].map(([r, n]) => `${n} ${r}`).join(', ')}` : ''}`;
		rows.push({
			phase,
			files: scan.files.length,
			megabytes: mb(scan.bytes),
			tokens: scan.tokens,
			seconds: (performance.now() - start) / 1000,
			peakRssMb: peakRssMb(),
		});
	}

	// 3. Baseline: the same texts, concatenated, through the tokenizer alone.
	{
		const reader = new NodeWorkspaceReader(tree);
		const blocks: string[] = [];
		let block: string[] = [];
		let size = 0;
		let files = 0;
		let bytes = 0;
		for await (const entry of reader.entries()) {
			if (entry.kind !== 'text') continue;
			files++;
			bytes += entry.bytes;
			block.push(entry.text);
			size += entry.text.length;
			if (size >= BLOCK_CHARS) {
				blocks.push(block.join('\n'));
				block = [];
				size = 0;
			}
		}
		if (block.length > 0) blocks.push(block.join('\n'));
		const start = performance.now();
		let tokens = 0;
		for (const text of blocks) tokens += tokenizer.encode(text).length;
		rows.push({
			phase: `baseline: tokenize the concatenated text (${blocks.length} block${blocks.length === 1 ? '' : 's'})`,
			files,
			megabytes: mb(bytes),
			tokens,
			seconds: (performance.now() - start) / 1000,
			peakRssMb: peakRssMb(),
		});
	}

	const cold = rows[1];
	const baseline = rows[3];
	const overhead = cold.seconds / baseline.seconds;
	console.log(`Tree: ${tree} (${skipped})`);
	console.log(`Tokenizer: ${path.join(folder.folder, 'tokenizer.json')}`);
	console.log(`Node ${process.version}, ${process.platform}/${process.arch}\n`);
	console.log('| phase | files | MB | tokens | s | files/s | tokens/s | MB/s | peak RSS MB |');
	console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
	for (const r of rows) {
		console.log(
			`| ${r.phase} | ${r.files} | ${r.megabytes.toFixed(1)} | ${r.tokens.toLocaleString('en-US')} | ${r.seconds.toFixed(2)} | ${(r.files / r.seconds).toFixed(0)} | ${r.tokens ? (r.tokens / r.seconds).toFixed(0) : '–'} | ${(r.megabytes / r.seconds).toFixed(2)} | ${r.peakRssMb.toFixed(0)} |`,
		);
	}
	console.log(
		`\nOverhead of a cold ingest against the baseline: ${overhead.toFixed(2)}× (goal ≤ ${GOAL}×): ${overhead <= GOAL ? 'met' : 'NOT met'}.`,
	);
	console.log(
		`Token counts: per file ${cold.tokens.toLocaleString('en-US')}, concatenated ${baseline.tokens.toLocaleString('en-US')} (${(((cold.tokens - baseline.tokens) / baseline.tokens) * 100).toFixed(2)}%).`,
	);
	console.log(
		`A warm cache (a second question about the same tree) ingests ${(cold.seconds / rows[2].seconds).toFixed(1)}× faster than a cold one.`,
	);
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? error.message : error);
	process.exitCode = 1;
});
