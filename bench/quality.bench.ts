// Long-context quality of the bundled model: perplexity over several windows per length with
// bootstrap intervals (per language group), passkey and "where is X defined" retrieval per
// method and length with Wilson intervals, and issue 14's goals. Writes bench/results/NAME.md,
// NAME-ppl.svg and NAME.json (NAME = quality unless --name says otherwise).
//
//   npm run bench:quality [-- --model DIR --lengths 256,512 --methods none,longrope
//     --retrieval-methods ... --ppl-tokens 4096 --min-windows 3 --window-tokens 16384
//     --resamples 1000 --seed 0
//     --trials 4 --definition-trials 4 --retrieval-seed 1000000 --text a.txt,b.txt
//     --baseline bench/results/quality-baseline.json --corpus-manifest FILE --name quality
//     --out DIR]
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ropeGenerate } from '../extension/app/evaluation';
import {
	assertDisjoint,
	trainingOverlaps,
	type CorpusFile,
	type SampleFile,
} from '../extension/engine/evaluation/disjoint';
import { EVAL_METHODS, parseMethods } from '../extension/engine/evaluation/methods';
import { qualityGoals, type PerplexityBaseline } from '../extension/engine/evaluation/qualityGoals';
import {
	intervalPerplexityTable,
	perplexitySvg,
	retrievalTable,
} from '../extension/engine/evaluation/qualityReport';
import {
	DEFINITION_ANSWER_TOKENS,
	definitionTask,
	evaluateRetrieval,
	passkeyTask,
	workspaceDefinitionQuestions,
	type RetrievalRow,
	type RetrievalTask,
} from '../extension/engine/evaluation/retrieval';
import {
	evaluateWindows,
	REPORT_SUBSETS,
	summarize,
	type PerplexitySummary,
	type WindowScore,
} from '../extension/engine/evaluation/windowedPerplexity';
import { groupOf, languageOf, type HeldOutDoc } from '../extension/engine/evaluation/windows';
import { findModelFolder } from '../extension/runtime/modelFolder';
import { LocalModel } from '../extension/runtime/localModel';
import { readTokenizedTexts, sha256Hex } from '../extension/runtime/textSamples';
import { formatted } from './formatted';

const ROOT = path.resolve(__dirname, '..');
const DATA_DIR = path.join(ROOT, 'bench/data/quality');
const EVAL_DIR = path.join(DATA_DIR, 'eval');
const SEARCH_DIR = path.join(DATA_DIR, 'search');

function option(name: string): string | undefined {
	const k = process.argv.indexOf(`--${name}`);
	return k >= 0 ? process.argv[k + 1] : undefined;
}

function numberOption(name: string, fallback: number): number {
	const text = option(name);
	const value = text === undefined ? fallback : Number(text);
	if (!Number.isFinite(value) || value < 0)
		throw new Error(`--${name} ${text}: not a number ≥ 0`);
	return value;
}

function git(command: string): string {
	try {
		return execSync(`git ${command}`, { cwd: ROOT, encoding: 'utf8' }).trim();
	} catch {
		return 'unknown';
	}
}

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '∞');
const txtFiles = (dir: string) =>
	readdirSync(dir)
		.filter((f) => f.endsWith('.txt'))
		.sort()
		.map((f) => path.join(dir, f));

interface ManifestFile {
	readonly file: string;
	readonly sha256: string;
	readonly license: string;
	readonly package?: string;
	readonly version?: string;
	readonly path?: string;
	readonly source?: string;
}

/** The manifest's record of a held-out file, checked against its bytes. */
function manifestRecords(): Map<string, ManifestFile> {
	const manifest = JSON.parse(readFileSync(path.join(DATA_DIR, 'manifest.json'), 'utf8')) as {
		files: ManifestFile[];
	};
	return new Map(manifest.files.map((f) => [path.join(DATA_DIR, f.file), f]));
}

/** Search samples: the search folder's files and every sample longrope.json records. */
function searchSampleFiles(setsFile: string): SampleFile[] {
	const out: SampleFile[] = txtFiles(SEARCH_DIR).map((file) => {
		const bytes = readFileSync(file);
		return {
			name: path.basename(file),
			sha256: sha256Hex(bytes),
			text: bytes.toString('utf8'),
		};
	});
	if (existsSync(setsFile)) {
		const sets = (
			JSON.parse(readFileSync(setsFile, 'utf8')) as {
				sets: { provenance?: { samples?: { source: string; sha256: string }[] } }[];
			}
		).sets;
		for (const s of sets.flatMap((x) => x.provenance?.samples ?? [])) {
			out.push({ name: path.basename(s.source), sha256: s.sha256, text: '' });
		}
	}
	return out;
}

async function main(): Promise<void> {
	const started = performance.now();
	const folder = findModelFolder(option('model') ?? '', process.cwd(), ROOT);
	if (!folder) throw new Error('no model folder: pass --model DIR');
	const model = await LocalModel.load(folder);
	const outDir = path.resolve(option('out') ?? path.join(ROOT, 'bench/results'));
	const name = option('name') ?? 'quality';
	mkdirSync(outDir, { recursive: true });
	try {
		const { geometry, sets } = model.folder.rope;
		const { tokenizer } = model.folder;
		const window = geometry.originalWindow;
		const lengths = (option('lengths') ?? [1, 2, 4, 8, 16].map((m) => m * window).join(','))
			.split(',')
			.map(Number);
		const methods = parseMethods(option('methods') ?? EVAL_METHODS.join(','));
		const retrievalMethods = parseMethods(option('retrieval-methods') ?? methods.join(','));
		const tokenBudget = numberOption('ppl-tokens', 4096);
		const minWindows = numberOption('min-windows', 3);
		const windowTokens = numberOption('window-tokens', 16384);
		const resamples = numberOption('resamples', 1000);
		const seed = numberOption('seed', 0);
		const passkeyTrials = numberOption('trials', 4);
		const definitionTrials = numberOption('definition-trials', 4);
		const retrievalSeed = numberOption('retrieval-seed', 1_000_000);
		const files = option('text')?.split(',') ?? txtFiles(EVAL_DIR);
		const setsFile = path.join(folder, 'longrope.json');
		const relative = (p: string) => path.relative(ROOT, path.resolve(p));
		const log = (line: string) => process.stderr.write(`${line}\n`);

		// Provenance and disjointness first: a run on unrecorded or search-seen text is refused.
		const manifest = manifestRecords();
		const texts = await readTokenizedTexts(files, tokenizer);
		for (const t of texts) {
			const record = manifest.get(path.resolve(t.path));
			if (option('text') === undefined && record?.sha256 !== t.sha256) {
				throw new Error(
					`${relative(t.path)} ${record ? 'differs from' : 'is not in'} bench/data/quality/manifest.json`,
				);
			}
		}
		assertDisjoint(
			searchSampleFiles(setsFile),
			texts.map((t) => ({
				name: path.basename(t.path),
				sha256: t.sha256,
				text: readFileSync(t.path, 'utf8'),
			})),
		);
		const corpusFile = path.resolve(
			option('corpus-manifest') ?? path.join(ROOT, '.model-build/corpus/manifest.json'),
		);
		const corpusChecked = existsSync(corpusFile);
		if (corpusChecked) {
			const corpus = JSON.parse(readFileSync(corpusFile, 'utf8')) as {
				sources: { files?: CorpusFile[] }[];
			};
			const leaks = trainingOverlaps(
				[...manifest.values()].filter((f) => f.file.startsWith('eval/')),
				corpus.sources.flatMap((s) => s.files ?? []),
			);
			if (leaks.length > 0) {
				throw new Error(
					`the training corpus (${relative(corpusFile)}) holds evaluation text: ${leaks.join('; ')}`,
				);
			}
		}
		const bos = tokenizer.tokenId('<s>');
		const docs: HeldOutDoc[] = texts.map((t) => {
			const language = languageOf(path.basename(t.path));
			if (!language) throw new Error(`${t.path}: no language for this file name`);
			return {
				name: path.basename(t.path),
				language,
				ids: bos !== undefined && t.ids[0] === bos ? t.ids.slice(1) : t.ids,
			};
		});

		const t0 = performance.now();
		const common = {
			geometry,
			modelSets: sets,
			methods,
			docs,
			bos,
			minWindows,
			seed,
			perplexity: model.perplexity.bind(model),
			byteLength: (ids: readonly number[]) => Buffer.byteLength(tokenizer.decode(ids)),
			onProgress: log,
		};
		// The sweep: every length reads inside the same regions (windows of the longest length).
		const windowRows = await evaluateWindows({
			...common,
			lengths,
			tokenBudget,
			regionLength: Math.max(...lengths),
		});
		const summaries = summarize(windowRows, REPORT_SUBSETS, resamples, seed);
		// At the window, cheap: many more windows from every file, for the per-language figures.
		const languages = [...new Set(docs.map((d) => d.language))].sort(
			(a, b) => (groupOf(a) ?? '').localeCompare(groupOf(b) ?? '') || a.localeCompare(b),
		);
		const windowWide = lengths.includes(window)
			? await evaluateWindows({ ...common, lengths: [window], tokenBudget: windowTokens })
			: [];
		const atWindow = summarize(
			windowWide,
			[
				...REPORT_SUBSETS,
				...languages.map((l) => ({
					name: l,
					includes: (w: WindowScore) => w.window.language === l,
				})),
			],
			resamples,
			seed,
		);
		const pplSeconds = (performance.now() - t0) / 1000;

		const t1 = performance.now();
		const generate = ropeGenerate(model);
		const retrieval: RetrievalRow[] = [];
		const retrievalTiming: Record<string, number> = {};
		const tasks: [number, () => RetrievalTask][] = [
			[passkeyTrials, () => passkeyTask(tokenizer, retrievalSeed, passkeyTrials)],
			[
				definitionTrials,
				() =>
					definitionTask(
						workspaceDefinitionQuestions((messages) => model.renderChat(messages).ids),
						retrievalSeed,
						definitionTrials,
						DEFINITION_ANSWER_TOKENS,
					),
			],
		];
		for (const [trials, makeTask] of tasks) {
			if (trials <= 0) continue;
			const ts = performance.now();
			const task = makeTask();
			retrieval.push(
				...(await evaluateRetrieval({
					geometry,
					modelSets: sets,
					lengths,
					methods: retrievalMethods,
					task,
					generate,
					onProgress: log,
				})),
			);
			retrievalTiming[task.name] = (performance.now() - ts) / 1000;
		}
		const retrievalSeconds = (performance.now() - t1) / 1000;

		const tokenizerSha256 = sha256Hex(readFileSync(path.join(folder, 'tokenizer.json')));
		const tsmd = atWindow.find(
			(s) => s.subset === 'ts+md' && s.method === 'longrope' && s.length === window,
		);
		const commit = git('rev-parse HEAD');
		const heldOutTsMd: PerplexityBaseline | undefined = tsmd && {
			model: relative(folder),
			commit,
			window,
			perplexity: tsmd.perplexity,
			tokens: tsmd.tokens,
			bytes: tsmd.bytes,
			tokenizerSha256,
		};
		const baselineFile = path.resolve(
			option('baseline') ?? path.join(ROOT, 'bench/results/quality-baseline.json'),
		);
		const ownFile = path.join(outDir, `${name}.json`);
		const baseline =
			baselineFile !== ownFile && existsSync(baselineFile)
				? (
						JSON.parse(readFileSync(baselineFile, 'utf8')) as {
							heldOutTsMd?: PerplexityBaseline;
						}
					).heldOutTsMd
				: undefined;
		const goals = qualityGoals({
			window,
			summaries,
			atWindow,
			windowRows,
			retrieval,
			baseline,
			tokenizerSha256,
			resamples,
			seed,
		});

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
		const subsetTable = (subset: string) =>
			intervalPerplexityTable(summaries.filter((s) => s.subset === subset));
		const perLanguageRows = (rows: readonly PerplexitySummary[]) =>
			languages.map((l) => {
				const r =
					rows.find((x) => x.subset === l && x.method === 'longrope') ??
					rows.find((x) => x.subset === l);
				const group = groupOf(l) ?? '';
				return r
					? `| ${l} | ${group} | ${r.samples} | ${r.tokens} | ${fmt(r.perplexity)} [${fmt(r.interval.low)}–${fmt(r.interval.high)}] | ${fmt((Math.log(r.perplexity) * r.tokens) / Math.LN2 / r.bytes, 3)} |`
					: `| ${l} | ${group} | 0 | 0 | – | – |`;
			});
		const manifestOf = (p: string) => manifest.get(path.resolve(p));
		const md = [
			'# Long-context quality of the bundled model',
			'',
			`Written by \`${command}\` (bench/quality.bench.ts) at commit \`${commit.slice(0, 7)}\`${dirty && dirty !== 'unknown' ? ' (with uncommitted changes under models/, extension/ or bench/)' : ''}, ${new Date().toISOString()}, on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} (${os.platform()}/${os.arch()}), Node ${process.version}.`,
			'',
			`Model: \`${relative(folder)}\` (original window L = ${window}, ${geometry.rotaryDim / 2} rotary pairs, base ${geometry.base}, tokenizer sha256 ${tokenizerSha256.slice(0, 12)}…). Every column past ${window} is the model extrapolating with a different rotary scaling.`,
			'',
			"Methods: `none` = plain RoPE; `pi` = position interpolation λ = s; `ntk` = NTK-aware base scaling; `dynamic-ntk` = Hugging Face dynamic NTK with factor 2 at the sequence length; `yarn` = YaRN (β 32/1, attention 0.1·ln s + 1); `longrope` = the factor set the model's factor manager picks for that length from `longrope.json`. s = length / L. At 1× every rule is plain RoPE; its numbers are computed once and shown for each.",
			'',
			'## Held-out text',
			'',
			"Files in `bench/data/quality/eval` (provenance, licence and sha256 of each in `bench/data/quality/manifest.json`, checked at the start of every run). The workspace group comes from three whole npm packages that training never sees (`vscode-languageserver-protocol`, `minimatch`, `commander`); the original group is the first corpus's held-out split.",
			'',
			'| file | language | group | from | licence | tokens | sha256 |',
			'|---|---|---|---|---|---:|---|',
			...texts.map((t, k) => {
				const m = manifestOf(t.path);
				const from = m?.package
					? `${m.package}@${m.version} \`${m.path}\``
					: `\`${m?.source ?? '?'}\``;
				return `| \`${docs[k].name}\` | ${docs[k].language} | ${groupOf(docs[k].language)} | ${from} | ${m?.license ?? '?'} | ${docs[k].ids.length} | ${t.sha256.slice(0, 12)}… |`;
			}),
			'',
			`Search samples kept apart: no evaluation file is one of the search's fitness samples (\`bench/data/quality/search/*\` and the samples each set of \`longrope.json\` records): checked by bytes, name and first 1,000 characters before anything runs (extension/engine/evaluation/disjoint.ts). Training: ${corpusChecked ? `checked against \`${relative(corpusFile)}\`: its training split holds no evaluation file (bytes, source path) and no file of a held-out package` : `not checked here (no corpus manifest at \`${relative(corpusFile)}\`; pass --corpus-manifest)`}.`,
			'',
			'## Perplexity',
			'',
			`The length sweep reads the same text at every length: per language group, ${minWindows} or more regions of ${Math.max(...lengths)} tokens (⌊${tokenBudget}/${Math.max(...lengths)}⌋, at least ${minWindows}) dealt round-robin over the group's files long enough to hold one (in a seeded order, seed ${seed}) and spread evenly over each file; at each length n, ⌊${tokenBudget}/n⌋ windows but at least ${minWindows} (as many as the regions hold at most), dealt over the regions the same way. A window is \`<s>\` + n − 1 consecutive tokens; windows of one length never overlap; every method scores the same windows. Perplexity = exp(Σ NLL / Σ predicted tokens) over a subset's windows; [low–high] = 95% percentile bootstrap interval: ${resamples} resamples of the windows with replacement (mulberry32, seeded by seed, subset and length; the same resamples for every method), the 2.5% and 97.5% quantiles of the resampled perplexities. Windows of one region are not independent, so at short lengths the interval is narrower than resampling regions would give. ${fmt(pplSeconds, 0)} s with the table at the window below.`,
			'',
			'### Workspace text (TypeScript, JavaScript, Markdown, JSON)',
			'',
			subsetTable('workspace'),
			'',
			'### Original domain (Python, Go)',
			'',
			subsetTable('original'),
			'',
			'### All held-out windows',
			'',
			subsetTable('all'),
			'',
			'![perplexity vs length](' + `${name}-ppl.svg` + ')',
			'',
			`### Per language at the window (${window}, longrope)`,
			'',
			`A wider selection at the window, where windows are cheap: ⌊${windowTokens}/${window}⌋ windows per group from every file (not only the regions), chosen as above. Bits per byte = Σ NLL / ln 2 / the UTF-8 bytes of the predicted text (comparable across tokenizers).`,
			'',
			'| language | group | windows | tokens | perplexity [95%] | bits per byte |',
			'|---|---|---:|---:|---|---:|',
			...perLanguageRows(atWindow),
			'',
			`TS+MD at the window (goal 1's figure): ${tsmd ? `${fmt(tsmd.perplexity)} [${fmt(tsmd.interval.low)}–${fmt(tsmd.interval.high)}] over ${tsmd.samples} windows, ${tsmd.tokens} tokens, ${tsmd.bytes} bytes` : 'not measured'}.`,
			'',
			'## Retrieval',
			'',
			`Each cell: accuracy (correct/trials) [Wilson 95% interval, percent]. Trials are seeded from ${retrievalSeed} (evaluation seeds are ≥ 1,000,000, apart from training's), the same for every method; greedy decoding. ${fmt(retrievalSeconds, 0)} s.`,
			'',
			'### Passkey',
			'',
			passkeyTrials > 0
				? `Landmark format (intro, filler "The grass is green. …" around "The pass key is K. Remember it. K is the pass key.", then "What is the pass key? The pass key is"), filled to each length minus an 8-token answer budget; ${passkeyTrials} trials per length at random depths, keys 1…50000; answer = the first integer generated. ${fmt(retrievalTiming.passkey ?? 0, 0)} s.\n\n${retrievalTable(retrieval.filter((r) => r.task === 'passkey'))}`
				: 'Not run (`--trials 0`).',
			'',
			'### Where is X defined',
			'',
			definitionTrials > 0
				? `Synthetic workspaces from extension/engine/evaluation/workspaceQuestions.ts: small TypeScript, Markdown and JSON files rendered as the packer renders them in the model's chat template, distractor files (imports, calls, docs and look-alike names) added while the prompt stays within the length less a ${DEFINITION_ANSWER_TOKENS}-token answer; "Where is \`name\` defined?"; trial k uses seed ${retrievalSeed} + k at every length. Correct = the answer's first \`path:line\` citation names the defining file by its whole path and its line (retrieval.ts citesLocation). ${definitionTrials} trials per length. ${fmt(retrievalTiming.definition ?? 0, 0)} s.\n\n${retrievalTable(retrieval.filter((r) => r.task === 'definition'))}`
				: 'Not run (`--definition-trials 0`).',
			'',
			'## Goals (issue 14)',
			'',
			'| goal | measured | met |',
			'|---|---|---|',
			...goals.map(
				(g) =>
					`| ${g.goal} | ${g.measured} | ${g.met === undefined ? '–' : g.met ? 'met' : '**not met**'} |`,
			),
			'',
			baseline
				? `Baseline ("before"): \`${relative(baselineFile)}\`.`
				: `No baseline: \`${relative(baselineFile)}\` ${baselineFile === ownFile ? 'is this run' : 'does not exist'}.`,
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
		const mdFile = path.join(outDir, `${name}.md`);
		const pretty = await formatted(md, mdFile);
		writeFileSync(mdFile, pretty);
		writeFileSync(
			path.join(outDir, `${name}-ppl.svg`),
			perplexitySvg(
				summaries.filter((s) => s.subset === 'all'),
				{
					title: `${path.basename(folder)}: perplexity vs context length (window ${window}, all held-out windows)`,
				},
			),
		);
		const json = {
			command,
			commit,
			model: relative(folder),
			tokenizerSha256,
			lengths,
			settings: {
				tokenBudget,
				minWindows,
				windowTokens,
				resamples,
				seed,
				passkeyTrials,
				definitionTrials,
				retrievalSeed,
			},
			heldOutTsMd,
			perplexity: summaries,
			atWindow,
			windows: [...windowRows, ...windowWide].map((r) => ({
				method: r.method,
				length: r.length,
				set: r.set,
				sameAs: r.sameAs,
				windows: r.windows.map((w) => ({
					file: w.window.name,
					start: w.window.start,
					nll: +w.nll.toFixed(4),
					tokens: w.tokens,
					bytes: w.bytes,
				})),
			})),
			retrieval,
			goals,
		};
		const jsonFile = path.join(outDir, `${name}.json`);
		writeFileSync(jsonFile, await formatted(JSON.stringify(json), jsonFile, 'json'));
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
