// Long-context quality of the bundled model: perplexity and passkey retrieval per method and
// length (the LongRoPE paper's Figure 1 and passkey table, for our model). Writes
// bench/results/quality.md, quality-ppl.svg and quality.json.
//
//   npm run bench:quality [-- --model DIR --lengths 256,512 --trials 10 --seed 0 --out DIR]
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ropeGenerate } from '../extension/app/evaluation';
import { findModelFolder } from '../extension/runtime/modelFolder';
import {
	evaluatePasskey,
	evaluatePerplexity,
	type PasskeyRow,
	type PerplexityRow,
} from '../extension/engine/evaluation/harness';
import { EVAL_METHODS, parseMethods } from '../extension/engine/evaluation/methods';
import {
	passkeyTable,
	perplexitySvg,
	perplexityTable,
} from '../extension/engine/evaluation/qualityReport';
import { LocalModel } from '../extension/runtime/localModel';
import { readTokenizedTexts } from '../extension/runtime/textSamples';

const ROOT = path.resolve(__dirname, '..');
const EVAL_DIR = path.join(ROOT, 'bench/data/quality/eval');

function option(name: string): string | undefined {
	const k = process.argv.indexOf(`--${name}`);
	return k >= 0 ? process.argv[k + 1] : undefined;
}

function git(command: string): string {
	try {
		return execSync(`git ${command}`, { cwd: ROOT, encoding: 'utf8' }).trim();
	} catch {
		return 'unknown';
	}
}

function fmt(x: number, digits = 2): string {
	return Number.isFinite(x) ? x.toFixed(digits) : '∞';
}

interface Goal {
	readonly goal: string;
	readonly measured: string;
	readonly met: boolean | undefined;
}

function goals(
	ppl: readonly PerplexityRow[],
	passkey: readonly PasskeyRow[],
	window: number,
): Goal[] {
	const at = (method: string, length: number) =>
		ppl.find((r) => r.method === method && r.length === length);
	const out: Goal[] = [];
	const eight = 8 * window;
	const lr8 = at('longrope', eight);
	const rivals = ['pi', 'ntk', 'yarn']
		.map((m) => at(m, eight))
		.filter((r): r is PerplexityRow => r !== undefined);
	if (lr8 && rivals.length > 0) {
		const best = rivals.reduce((a, b) => (a.perplexity <= b.perplexity ? a : b));
		const ratio = lr8.perplexity / best.perplexity;
		out.push({
			goal: `LongRoPE perplexity at 8× (${eight}) ≤ 0.85 × the best of PI/NTK/YaRN`,
			measured: `${fmt(lr8.perplexity)} vs ${best.method} ${fmt(best.perplexity)}: ratio ${fmt(ratio, 3)}`,
			met: ratio <= 0.85,
		});
	}
	const pk8 = passkey.find((r) => r.method === 'longrope' && r.length === eight);
	if (pk8) {
		out.push({
			goal: `passkey at 8× (${eight}) ≥ 90%`,
			measured: `${Math.round(100 * pk8.accuracy)}% (${pk8.correct}/${pk8.trials})`,
			met: pk8.accuracy >= 0.9,
		});
	}
	const short = at('longrope', window);
	const plain = at('none', window);
	if (short && plain) {
		const ratio = short.perplexity / plain.perplexity;
		out.push({
			goal: `short set at 1× (${window}) within 1% of plain RoPE`,
			measured: `${fmt(short.perplexity, 3)} (\`${short.set}\`) vs ${fmt(plain.perplexity, 3)}: ${ratio >= 1 ? '+' : ''}${fmt(100 * (ratio - 1), 2)}%`,
			met: ratio <= 1.01,
		});
	}
	return out;
}

async function main(): Promise<void> {
	const started = performance.now();
	const folder = findModelFolder(option('model') ?? '', process.cwd(), ROOT);
	if (!folder) throw new Error('no model folder: pass --model DIR');
	const model = await LocalModel.load(folder);
	const outDir = path.resolve(option('out') ?? path.join(ROOT, 'bench/results'));
	mkdirSync(outDir, { recursive: true });
	try {
		const { geometry, sets } = model.folder.rope;
		const window = geometry.originalWindow;
		const lengths = (option('lengths') ?? [1, 2, 4, 8, 16].map((m) => m * window).join(','))
			.split(',')
			.map(Number);
		const methods = parseMethods(option('methods') ?? EVAL_METHODS.join(','));
		const passkeyMethods = parseMethods(option('passkey-methods') ?? methods.join(','));
		const trials = Number(option('trials') ?? 10);
		const seed = Number(option('seed') ?? 0);
		const files =
			option('text')?.split(',') ??
			readdirSync(EVAL_DIR)
				.filter((f) => f.endsWith('.txt'))
				.sort()
				.map((f) => path.join(EVAL_DIR, f));
		const texts = await readTokenizedTexts(files, model.folder.tokenizer);
		const log = (line: string) => process.stderr.write(`${line}\n`);

		const t0 = performance.now();
		const ppl = await evaluatePerplexity({
			geometry,
			modelSets: sets,
			lengths,
			methods,
			samples: texts.map((t) => ({ name: t.path, ids: t.ids })),
			perplexity: (ids, spec) => model.perplexity(ids, spec),
			onProgress: log,
		});
		const pplSeconds = (performance.now() - t0) / 1000;
		const t1 = performance.now();
		const passkey = await evaluatePasskey({
			geometry,
			modelSets: sets,
			lengths,
			methods: passkeyMethods,
			tokenizer: model.folder.tokenizer,
			trials,
			seed,
			generate: ropeGenerate(model),
			onProgress: log,
		});
		const passkeySeconds = (performance.now() - t1) / 1000;

		const relative = (p: string) => path.relative(ROOT, path.resolve(p));
		const setsFile = path.join(folder, 'longrope.json');
		const searched = existsSync(setsFile)
			? (
					JSON.parse(readFileSync(setsFile, 'utf8')) as {
						sets: {
							name: string;
							maxLength: number;
							nHat: number;
							attentionFactor: number;
							provenance?: Record<string, unknown>;
						}[];
					}
				).sets
			: [];
		const args = process.argv.slice(2);
		const command = `npm run bench:quality${args.length ? ` -- ${args.join(' ')}` : ''}`;
		const dirty = git(
			'status --porcelain -- models extension bench/quality.bench.ts bench/data',
		);
		const goalRows = goals(ppl, passkey, window);
		const md = [
			'# Long-context quality of the bundled model',
			'',
			`Written by \`${command}\` (bench/quality.bench.ts) at commit \`${git('rev-parse --short HEAD')}\`${dirty && dirty !== 'unknown' ? ' (with uncommitted changes under models/, extension/ or bench/)' : ''}, ${new Date().toISOString()}, on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} (${os.platform()}/${os.arch()}), Node ${process.version}.`,
			'',
			`Model: \`${relative(folder)}\` (original window L = ${window}, ${geometry.rotaryDim / 2} rotary pairs, base ${geometry.base}). No method is fine-tuned: every column past ${window} is the model extrapolating with a different rotary scaling.`,
			'',
			"Methods: `none` = plain RoPE; `pi` = position interpolation λ = s; `ntk` = NTK-aware base scaling; `dynamic-ntk` = Hugging Face dynamic NTK with factor 2 at the sequence length; `yarn` = YaRN (β 32/1, attention 0.1·ln s + 1); `longrope` = the factor set the model's factor manager picks for that length from `longrope.json` (searched by `longrope search`). s = length / L.",
			'',
			'## Perplexity',
			'',
			`Held-out text the search never saw: ${texts.map((t) => `\`${relative(t.path)}\` (sha256 ${t.sha256.slice(0, 12)}…, ${t.ids.length} tokens)`).join(', ')}; each cut to its first *length* tokens; perplexity = exp(total NLL / total predicted tokens). ${fmt(pplSeconds, 0)} s.`,
			'',
			perplexityTable(ppl),
			'',
			'![perplexity vs length](quality-ppl.svg)',
			'',
			'## Passkey retrieval',
			'',
			`Landmark format (intro, filler "The grass is green. …" around "The pass key is K. Remember it. K is the pass key.", then "What is the pass key? The pass key is"), filled to each length minus an 8-token answer budget; ${trials} trials per length at random depths, keys 1…50000, seed ${seed} (the same trials for every method); greedy; answer = the first integer generated. ${fmt(passkeySeconds, 0)} s.`,
			'',
			passkeyTable(passkey),
			'',
			'## Goals (issue 5)',
			'',
			'| goal | measured | met |',
			'|---|---|---|',
			...goalRows.map(
				(g) =>
					`| ${g.goal} | ${g.measured} | ${g.met === undefined ? '–' : g.met ? 'yes' : '**no**'} |`,
			),
			'',
			'## The factor sets',
			'',
			searched.length === 0
				? 'The model folder has no longrope.json.'
				: [
						'| set | maxLength | n̂ | attention | search compute (s) | evaluations | best search ppl | samples |',
						'|---|---:|---:|---:|---:|---:|---:|---|',
						...searched.map((s) => {
							const p = s.provenance ?? {};
							const samples = (p.samples as { source: string }[] | undefined) ?? [];
							return `| \`${s.name}\` | ${s.maxLength} | ${s.nHat} | ${s.attentionFactor} | ${p.computeSeconds ?? '–'} | ${p.evaluations ?? '–'} | ${p.bestPerplexity ?? '–'} | ${samples.map((x) => path.basename(x.source)).join(', ')} |`;
						}),
					].join('\n'),
			'',
			`Total time of this benchmark: ${fmt((performance.now() - started) / 1000, 0)} s.`,
			'',
		].join('\n');
		// Formatted as `npm run lint` expects (tables aligned by Prettier).
		const prettier = await import('prettier');
		const mdFile = path.join(outDir, 'quality.md');
		const pretty = await prettier.format(md, {
			...((await prettier.resolveConfig(mdFile)) ?? {}),
			parser: 'markdown',
		});
		writeFileSync(mdFile, pretty);
		writeFileSync(
			path.join(outDir, 'quality-ppl.svg'),
			perplexitySvg(ppl, {
				title: `${path.basename(folder)}: perplexity vs context length (window ${window}, no fine-tuning)`,
			}),
		);
		writeFileSync(
			path.join(outDir, 'quality.json'),
			`${JSON.stringify({ command, commit: git('rev-parse HEAD'), model: relative(folder), lengths, perplexity: ppl, passkey, goals: goalRows }, null, 1)}\n`,
		);
		process.stdout.write(pretty);
	} finally {
		await model.dispose();
	}
}

main().catch((error: unknown) => {
	process.stderr.write(
		`bench:quality: ${error instanceof Error ? error.message : String(error)}\n`,
	);
	process.exitCode = 1;
});
