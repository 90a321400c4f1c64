// Writes MODEL_CARD.md for the bundled model and the variants table of models/README.md from what
// the build recorded: the corpus manifest, the training log and the measurements (measure.json).
// FT_BUILDs, when given, are the progressive stages' builds (the Makefile's progressive target), in
// order, each continuing the one before (the first continues BUILD): the numbers are then the last
// one's measurements, and the card describes every stage, each from its stage.json. A build folder
// that is gone is described from its record (cardRecords.mjs: models/train/records/).
//
//   node models/train/card.mjs BUILD_DIR MODEL_DIR DEFAULT_VARIANT [FT_BUILD ...]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { baseRecord, fromBuild, parseShares, recordsDir, sha256, stageRecord } from './cardRecords.mjs';

const [build, dir, defaultVariant, ...ftBuilds] = process.argv.slice(2);
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const config = readJson(join(dir, 'config.json'));
// The factor sets of longrope.json name the weights they were searched on.
const weightsSha = sha256(join(dir, 'model.onnx'));
const bundledSets = existsSync(join(dir, 'longrope.json'))
	? readJson(join(dir, 'longrope.json')).sets
	: [];
const staleSets = bundledSets
	.filter((set) => set.provenance?.modelSha256 && set.provenance.modelSha256 !== weightsSha)
	.map((set) => `\`${set.name}\``);

const base = baseRecord(build, defaultVariant);
const { before, init, after, end: last, lastVal, seconds } = base;
const docCount = (kind, split) => base.documents[kind][split];
const tokenCount = (split) => base.tokens[split];
const retrievalStages = base.retrievalStages;
const stageText = retrievalStages
	.map(
		(stage) =>
			`from step ${stage.from_step}, ${Math.round(100 * stage.fraction)}% of the rows (${Object.entries(stage.mix)
				.map(([kind, share]) => `${kind} ${share}`)
				.join(', ')})`,
	)
	.join('; ');
const passkeyRows = retrievalStages.at(-1).fraction * retrievalStages.at(-1).mix.passkey;
const pct = (x) => `${(100 * x).toFixed(1)}%`;

// The progressive stages, each from the weights of the one before (the first from the base's).
const stages = [];
for (const [index, ft] of ftBuilds.entries()) {
	const startSha = (index === 0 ? base : stages[index - 1]).weightsSha;
	const record = stageRecord(ft, base.window, defaultVariant, startSha);
	stages.push({ ...record, build: ft, longWindow: record.settings.window });
}
const stage = stages.at(-1);
// The shipped variants' measurements: the last progressive stage's when there is one.
const measure = stage ? stage.measure : base.measure;
if (!measure) {
	throw new Error(`card: ${ftBuilds.at(-1)} has no measure.json (the Makefile's progressive target writes it)`);
}
const row = (name) => measure.rows.find((r) => r.variant === name);
const chosen = row(defaultVariant);
const fp32 = row('fp32');
const window = measure.window;
// The probe that chose the batch size (probe-*.jsonl, when the build had them).
const probes = base.probes.map(
	(p) =>
		`| ${p.steps} steps of ${Math.round(p.tokens / p.steps / window)} | ${(p.seconds / 60).toFixed(1)} | ${p.heldout_loss} | ${p.val_loss} | ${pct(p.workspace_acc)} |`,
);
const probeNote =
	probes.length === 0
		? ''
		: `\nThe batch size was chosen by a short probe from the warm start (same learning rate, same CPU time):\n\n| probe | CPU min | npm held-out loss | old held-out loss | workspace right |\n|---|---:|---:|---:|---:|\n${probes.join('\n')}\n`;
const params =
	config.vocab_size * config.hidden_size +
	config.num_hidden_layers *
		(2 * config.hidden_size +
			config.hidden_size *
				config.head_dim *
				(2 * config.num_attention_heads + 2 * config.num_key_value_heads) +
			3 * config.hidden_size * config.intermediate_size) +
	config.hidden_size;

const variantsTable = [
	`| variant | size (MB) | held-out ppl @${window} | npm held-out ppl @${window} | top-1 agreement with fp32 | passkey @${window} | path:line @${window} | prefill tok/s (${window}) | decode tok/s (${window} cached) |`,
	'|---|---:|---:|---:|---:|---:|---:|---:|---:|',
	...measure.rows.map(
		(r) =>
			`| ${r.variant}${r.variant === defaultVariant ? ' (bundled)' : ''} | ${(r.sizeBytes / 1e6).toFixed(2)} | ${r.heldOutPpl.toFixed(3)} | ${r.npmHeldOutPpl.toFixed(3)} | ${pct(r.top1Agreement)} | ${pct(r.passkeyAtWindow)} | ${pct(r.workspaceAtWindow)} | ${r.prefillTokPerS.toFixed(0)} | ${r.decodeTokPerS.toFixed(0)} |`,
	),
].join('\n');

const sources = base.sources
	.map(
		(s) =>
			`| ${s.name} | ${s.registry === 'deb' ? 'Debian' : 'npm'} \`${s.package}\` ${s.version} | ${s.license} | ${s.train} / ${s.heldOut} | ${(s.bytes / 1e6).toFixed(1)} |`,
	)
	.join('\n');

const batch = Math.round(last.tokens / last.step / window);
const ppl = (loss) => Math.exp(loss).toFixed(2);
const npmSources = base.sources.filter((s) => s.registry === 'npm' && s.split);
const heldOutPackages = npmSources
	.filter((s) => s.split === 'heldout')
	.map((s) => `\`${s.package}\``);
const columns = (f) => [before, ...(init ? [init] : []), after].map(f).join(' | ');
const beforeAfter = [
	`| measure (train.py --evaluate, PyTorch fp32) | warm start (fad1893) |${init ? ' first build (a563a50) |' : ''} trained |`,
	`|---|---:|${init ? '---:|' : ''}---:|`,
	`| held-out npm packages (${heldOutPackages.join(', ')}): loss (ppl) | ${columns((e) => `${e.heldout_loss} (${ppl(e.heldout_loss)})`)} |`,
	`| old corpus's held-out files (Python, Go, reStructuredText): loss (ppl) | ${columns((e) => `${e.val_loss} (${ppl(e.val_loss)})`)} |`,
	`| passkey answers right, whole answer greedy (${docCount('passkey', 'watch')} unseen documents) | ${columns((e) => pct(e.passkey_acc))} |`,
	`| workspace answers right, whole answer greedy (${docCount('workspace', 'watch')} unseen seeds) | ${columns((e) => pct(e.workspace_acc))} |`,
].join('\n');

const progressiveSection = stages.map(progressiveText).join('');
/** Said of the stage whose retrieval documents first number the files' lines. */
function numberedText(st, index) {
	// Prompts show files with numbered lines (filePrompts.ts numberLines) from stage 3 on; older
	// stage.json files, written before, lack the field.
	const numbered = (s) => s.settings.lineNumbers === true;
	if (!numbered(st) || (index > 0 && numbered(stages[index - 1]))) return '';
	return ` Its retrieval documents show each file line after its number and a tab (\`numberLines\` of
\`filePrompts.ts\`), as the extension's prompts do from this stage on, so that a citation copies the
number instead of counting lines; the training before it saw files without numbers, and "before" below
is the earlier model on the numbered documents.`;
}
// Whether the sets a stage trained with were searched on the weights it started from.
function searchedOn(st, index) {
	const from = index === 0 ? 'the base weights' : `stage ${index}'s weights`;
	const words = { all: 'searched on', some: 'not all searched on', none: 'searched on earlier weights, not on' };
	return `${words[st.setsSearchedOnStart]} ${from}`;
}
// The learning rate's course; a stage.json may say it (one stopped by --stop-after-seconds).
function schedule(st) {
	return st.settings.schedule ?? `warmup ${st.settings.warmup} steps, cosine\nto a tenth`;
}
function progressiveText(st, index) {
	const L = st.longWindow;
	const long = st.longSet;
	const mix = Object.entries(st.longRetrieval.mix)
		.map(([kind, share]) => `${kind} ${share}`)
		.join(', ');
	const cells = (f) => `${f(st.before)} | ${f(st.after)}`;
	const lossCell = (key) => cells((e) => `${e[key]} (${ppl(e[key])})`);
	const accCell = (key) => cells((e) => pct(e[key]));
	const heading =
		stages.length === 1 ? 'Progressive stage' : `Progressive stage ${index + 1} of ${stages.length}`;
	const started = index === 0 ? 'The base model above' : `Stage ${index}'s model`;
	const intro =
		index === 0
			? `LongRoPE's recipe (Ding et al. 2024) fine-tunes briefly at a searched longer set, then searches the
sets again on the fine-tuned weights. `
			: '';
	// train.py --text-mix "deb=share,npm=share": the text windows' kinds of source.
	const textMix = st.settings.textMix ? parseShares(st.settings.textMix) : undefined;
	const textDrawn = textMix
		? `${Math.round(100 * textMix.npm)}% from the npm packages and ${Math.round(100 * textMix.deb)}% from the Debian sources (\`--text-mix\`)`
		: '';
	const changed = [
		...(st.fraction !== undefined ? [`${Math.round(100 * st.fraction)}% of them retrieval documents`] : []),
		...(st.mix ? [`the retrieval kinds' shares (${mix})`] : []),
		...(textMix ? [`text windows drawn ${textDrawn} instead of by their share of the tokens`] : []),
	];
	const shortRows =
		changed.length > 0
			? `drawn as in the last stage of the base training, but for ${[changed.slice(0, -1).join(', '), changed.at(-1)].filter(Boolean).join(' and ')}`
			: 'drawn as in the last stage of the base training';
	return `
## ${heading} (LongRoPE sec. 3.3)

${intro}${started} was continued for ${st.end.step} steps, each of
${st.settings.batch} rows of ${window} tokens with the \`${st.shortSet.name}\` set and ${st.settings.longBatch} rows of ${L} tokens with the \`${long.name}\` set
(${L / window}×: per-pair factors ${long.factorRange[0]}–${long.factorRange[1]}, nHat ${long.nHat}, attention factor ${long.attentionFactor}), both from the
\`longrope.json\` of that time (${searchedOn(st, index)}); ${(st.end.tokens / 1e6).toFixed(2)} M tokens at lr ${st.settings.lr} (${schedule(st)}) in ${(st.seconds / 60).toFixed(0)} min on ${st.settings.threads === 1 ? 'one CPU core' : '2 CPU cores'} (${(st.end.tokens / st.seconds).toFixed(0)} tok/s). The ${window}-token rows are ${shortRows}; of the ${L}-token rows, ${Math.round(100 * st.longRetrieval.fraction)}% are retrieval documents filled to ${L} tokens
(\`retrieval.ts --window ${L}\`: ${mix}) and the rest windows of the training text${textMix ? `, ${textDrawn}` : ''}.${numberedText(st, index)}${st.settings.from ? ` It started from ${st.settings.from}.` : ''}${st.settings.note ? ` ${st.settings.note}` : ''}

Before (${index === 0 ? 'the base model' : `stage ${index}'s model`}) and after, on the same held-out text, each window with its set:

| measure (train.py --evaluate, PyTorch fp32) | before | after |
|---|---:|---:|
| held-out npm packages at ${window} (\`${st.shortSet.name}\`): loss (ppl) | ${lossCell('heldout_loss')} |
| old corpus's held-out files at ${window} (\`${st.shortSet.name}\`): loss (ppl) | ${lossCell('val_loss')} |
| held-out npm packages at ${L} (\`${long.name}\`): loss (ppl) | ${lossCell(`heldout_loss_${L}`)} |
| passkey answers right at ${window}, whole answer greedy (${st.watch.passkey[0]} unseen documents) | ${accCell('passkey_acc')} |
| passkey answers right at ${L} (${st.watch.passkey[1]} unseen documents) | ${accCell(`passkey_acc_${L}`)} |
| workspace answers right at ${window} (${st.watch.workspace[0]} unseen seeds) | ${accCell('workspace_acc')} |
| workspace answers right at ${L} (${st.watch.workspace[1]} unseen seeds) | ${accCell(`workspace_acc_${L}`)} |
`;
}

// The factor sets of longrope.json with what their search scored: the recipe's second search.
const fitnessName = (set) => set.provenance?.fitness?.kind ?? 'perplexity of the text samples';
const retrievalFitness = bundledSets.find((set) => set.provenance?.fitness?.retrievalSeed);
const setsSection =
	bundledSets.length === 0
		? ''
		: `
## Factor sets

\`longrope.json\` holds ${bundledSets.length} sets, each found by the LongRoPE evolutionary search (\`scripts/search-bundled.sh\`)${stage && staleSets.length === 0 ? ' on the fine-tuned weights: the recipe\'s search after the fine-tune' : ''}.
"fitness" is what the search minimised${retrievalFitness ? `; ${retrievalFitness.provenance.fitness.kind} is over ${retrievalFitness.provenance.fitness.of} (seeds from ${retrievalFitness.provenance.fitness.retrievalSeed}, apart from training's and the evaluation's)` : ''}.
"best" is the set's, "best baseline" the lowest of the rules the search also scored (\`none\` is plain RoPE);
"weights": whether the set's provenance names the bundled \`model.onnx\` (its sha256).

| set | length | nHat | attention factor | fitness | best | best baseline | evaluations | compute s | weights |
|---|---:|---:|---:|---|---:|---:|---:|---:|---|
${bundledSets
	.map((set) => {
		const p = set.provenance ?? {};
		const [rule, value] = Object.entries(p.baselinePerplexities ?? {}).reduce(
			(low, entry) => (entry[1] < low[1] ? entry : low),
			['—', Infinity],
		);
		const best = p.bestPerplexity === undefined ? '—' : p.bestPerplexity.toFixed(2);
		const baseline = value === Infinity ? '—' : `${rule} ${value.toFixed(2)}`;
		return `| \`${set.name}\` | ${set.maxLength} (${set.maxLength / window}×) | ${set.nHat} | ${set.attentionFactor} | ${fitnessName(set)} | ${best} | ${baseline} | ${p.evaluations ?? '—'} | ${p.computeSeconds ?? '—'} | ${p.modelSha256 === weightsSha ? 'these' : 'earlier'} |`;
	})
	.join('\n')}

Passkeys, "where is X defined" and perplexity per method and length: \`bench/results/quality.md\`.
`;

// The Makefile variables that ran stage k, where they differ from its defaults; and the stages
// before it for the card (FT_STAGES).
function makeVars(st, k) {
	const makefile = readFileSync(new URL('./Makefile', import.meta.url), 'utf8');
	const fallback = (name) => new RegExp(`^FT_${name} \\?=(.*)$`, 'm').exec(makefile)[1].trim();
	const given = {
		BUILD: `.model-build/${basename(st.build)}`,
		INIT: st.settings.init,
		WINDOW: st.settings.window,
		SHORT_SET: st.settings.shortSet,
		LONG_SET: st.settings.longSet,
		STEPS: st.settings.steps,
		BATCH: st.settings.batch,
		LONG_BATCH: st.settings.longBatch,
		LR: st.settings.lr,
		WARMUP: st.settings.warmup,
		THREADS: st.settings.threads,
		MIX: st.settings.retrievalMix,
		FRACTION: st.settings.retrievalFraction ?? '',
		TEXT_MIX: st.settings.textMix ?? '',
	};
	const defaults = { BUILD: '.model-build/progressive', INIT: '.model-build/final.pt' };
	const vars = Object.entries(given)
		.filter(([name, value]) => String(value) !== (defaults[name] ?? fallback(name)))
		.map(([name, value]) => ` FT_${name}=${value}`);
	const before = stages.slice(0, k + 1).map((s) => `.model-build/${basename(s.build)}`);
	return vars.join('') + (k > 0 ? ` FT_STAGES="${before.join(' ')}"` : '');
}

// The build folder measured, as the Makefile names it (FT_BUILD under BUILD).
const measured = stage ? `.model-build/${basename(stage.build)}` : '.model-build';

const card = `# longrope-tiny — model card

A ${(params / 1e6).toFixed(2)} M-parameter decoder (Llama/Phi-3 style: RMSNorm, SwiGLU, rotate-half RoPE
with base ${config.rope_theta}, ${config.num_attention_heads} query / ${config.num_key_value_heads} KV heads of ${config.head_dim}, ${config.num_hidden_layers} layers, tied embeddings, byte-level BPE of ${config.vocab_size} tokens)
trained on this project's CPUs at a window of **${window} tokens** (\`original_max_position_embeddings\`): first from
scratch on Python, Go and reStructuredText (the first bundled model, commit fad1893), then — warm-started
from that model's shipped 4-bit weights (\`models/train/warmstart.py\`) with the same tokenizer — on
TypeScript, JavaScript, JSON and Markdown from npm packages, a share of the old sources, and retrieval
documents (passkeys, workspace questions and ordinary questions about a workspace) with the loss on the
answer.${init ? ' This build continues the first such build (commit a563a50, whose answers all took one format) with a varied retrieval mix.' : ''}${stage ? ` Then, by LongRoPE's progressive recipe, it was fine-tuned briefly at ${stage.longWindow} tokens with the searched ${stage.longWindow / window}× set${stages.length > 1 ? ` (in ${stages.length} stages${stages.every((st) => st.setsSearchedOnStart === 'all') ? ', each from the sets searched on the weights before it' : ''})` : ''} and its factor sets were searched again on the fine-tuned weights (sections below).` : ''}
It is bundled so that LongRoPE Assistant works offline on a fresh machine; its rotary tables are
graph inputs, so the extension's factor sets (LongRoPE, PI, NTK, YaRN) stretch it without retraining.

## Numbers

| what | value |
|---|---|
| bundled file | \`model.onnx\`, ${defaultVariant} (block-quantized, block 32), ${(chosen.sizeBytes / 1e6).toFixed(2)} MB |
| held-out perplexity at ${window}, old corpus (bundled / fp32) | ${chosen.heldOutPpl.toFixed(3)} / ${fp32.heldOutPpl.toFixed(3)} (${measure.pplWindows} windows of held-out files) |
| held-out perplexity at ${window}, npm packages never trained on (bundled / fp32) | ${chosen.npmHeldOutPpl.toFixed(3)} / ${fp32.npmHeldOutPpl.toFixed(3)} (${measure.pplWindows} windows) |
| passkey accuracy at ${window} (bundled / fp32) | ${pct(chosen.passkeyAtWindow)} / ${pct(fp32.passkeyAtWindow)} (${measure.passkeyTrials} seeded trials, greedy, key at a random depth) |
| workspace questions at ${window}: right \`path:line\` (bundled / fp32) | ${pct(chosen.workspaceAtWindow)} / ${pct(fp32.workspaceAtWindow)} (${chosen.workspaceQuestions} unseen seeds, greedy) |
| top-1 agreement with fp32 | ${pct(chosen.top1Agreement)} |
| training (${stage ? 'base stage' : 'this stage'}) | ${last.step} steps of ${batch} × ${window} tokens = ${(last.tokens / 1e6).toFixed(2)} M tokens in ${(seconds / 60).toFixed(0)} min on 2 CPU cores (${(last.tokens / seconds).toFixed(0)} tok/s, PyTorch, 1 intra-op thread + 2 OpenBLAS threads), ${init ? 'continuing the first build (a563a50: 1000 steps, 2.05 M tokens, 38 min from fad1893)' : 'warm start from fad1893'} |
${
	stage
		? `${stages
				.map(
					(st, k) =>
						`| training (progressive stage${stages.length > 1 ? ` ${k + 1}` : ''}) | ${st.end.step} steps of ${st.settings.batch} × ${window} (\`${st.shortSet.name}\` set) + ${st.settings.longBatch} × ${st.longWindow} tokens (\`${st.longSet.name}\` set) = ${(st.end.tokens / 1e6).toFixed(2)} M tokens in ${(st.seconds / 60).toFixed(0)} min (${(st.end.tokens / st.seconds).toFixed(0)} tok/s, ${st.settings.threads} intra-op thread${st.settings.threads === 1 ? '' : 's'}), from ${st.settings.from ?? `${k === 0 ? "the base stage's" : `stage ${k}'s`} checkpoint`} |`,
				)
				.join('\n')}
| held-out losses at the end of training | old ${stage.end.val_loss}, npm ${stage.end.heldout_loss} at ${window}; npm ${stage.end[`heldout_loss_${stage.longWindow}`]} at ${stage.longWindow} |`
		: `| final training loss / held-out losses during training | ${last.loss} / old ${lastVal ? `${lastVal.val_loss}, npm ${lastVal.heldout_loss}` : 'n/a'} |`
}

Before and after ${stage ? 'the base stage' : 'this stage'}, on the same held-out text:

${beforeAfter}

Every variant, measured in onnxruntime-node on this machine (speeds are noisy on a shared 2-core machine):

${variantsTable}
${progressiveSection}${setsSection}
## Data and licenses

Text that Debian and npm packages put on the machine, and npm tarballs fetched by
\`models/train/fetch_npm.py\` (versions pinned in \`models/train/npm-corpus.json\`; only MIT, ISC, Apache-2.0
and BSD licences, each package's \`license\` field checked and its LICENSE file present). The Debian
sources hold out whole files (${base.valPercent}% by a hash of the path); the npm text holds out whole
packages (${heldOutPackages.join(', ')}: the evaluation's held-out TypeScript and Markdown), so no file
of theirs is trained on. Each file's package, version, licence, sha256 and split are in the build's
\`.model-build/corpus/manifest.json\` (rebuilt by \`npm run model:build\`).

| source | package | license | files train / held out | MB |
|---|---|---|---:|---:|
${sources}

Tokens: ${(tokenCount('train') / 1e6).toFixed(2)} M training, ${(tokenCount('val') / 1e6).toFixed(2)} M held out (old corpus),
${(tokenCount('heldout') / 1e6).toFixed(2)} M held out (npm). A share of the training rows are retrieval
documents (\`models/train/retrieval.ts\`), each within the ${window}-token window, the loss on the answer
tokens only:

- ${docCount('passkey', 'train')} Landmark/LongRoPE passkeys (an intro sentence, 0–10 filler sentences around "The pass key
  is K. Remember it. K is the pass key.", then "What is the pass key? The pass key is" and the key; 40% have
  at most 3 fillers, a curriculum of short distances);
- ${docCount('workspace', 'train')} synthetic workspace questions (\`extension/engine/evaluation/workspaceQuestions.ts\`, seeds
  below 10⁶; evaluations use seeds from 10⁶ up): a few small TypeScript, Markdown and JSON files rendered
  exactly as the extension's packer renders them for this model (system prompt, \`### path (language)\`
  headers, path order, the chat template), "Where is \`name\` defined?" or "What does \`name\` return?",
  and an answer citing \`path:line\`; other files import, call, document and look like the name. A third
  are in the evaluation's exact form; the rest vary the declaration (function, const arrow, class,
  method, interface, type), the wording of the question and the opening of the answer
  (\`workspaceWordings.ts\`);
- ${docCount('chat', 'train')} ordinary questions (\`extension/engine/evaluation/workspaceChat.ts\`): what the project
  does (from a README or a package.json description), what a function, a file or a prose document says,
  greetings, and names the files do not hold; the answers quote or cite real lines as \`path:line\`.

The retrieval rows and their kinds by stage (\`RETRIEVAL_STAGES\` of \`train.py\`): ${stageText}.

## Intended use and limitations

- Intended: an offline default that exercises the whole extension — workspace packing, the factor manager,
  the LongRoPE search and the diagnostics — on any machine. It continues TypeScript, JavaScript, JSON,
  Markdown, Python and Go text, answers passkey quizzes, and answers "where is X defined" / "what does X
  return" about small workspaces with a \`path:line\` citation.
- Not intended: real answers. At this size it does not follow other instructions and its free answers are
  fluent-looking but mostly wrong; point \`longrope.modelPath\` at a real LongRoPE model (e.g. an ONNX
  export of Phi-3-mini-128k with the graph contract of \`models/README.md\`) for useful answers.
${
	chosen.passkeyAtWindow < 0.5
		? `- Passkey retrieval is not learned: passkeys are ${Math.round(100 * passkeyRows)}% of all rows at the end, and after ${last.step} steps
  ${pct(chosen.passkeyAtWindow)} of the unseen keys at the full window are answered whole. Workspace questions, whose answers
  copy a path and count lines, were learned first; passkeys need more steps.
`
		: ''
}${
	staleSets.length > 0
		? `- The factor sets ${staleSets.join(', ')} of \`longrope.json\` were searched on earlier weights (their provenance
  names another sha256); until the search runs again on these weights they are a starting point, not a fit.
`
		: ''
}- Answers to ordinary questions (\`bench/results/bundled-answers.md\`) open in several ways and, when the
  prompt fits the window, cite files that are shown, but the names in them are often made up; at 5× the
  window and beyond the citations are made up or the answer is noise.
- Its window is ${window} tokens. Longer prompts depend on the factor sets in \`longrope.json\` (the
  search), and quality falls with the stretch. ${
		stage
			? `LongRoPE's progressive recipe was run ${stages.length === 1 ? 'once' : `in ${stages.length} stages`}, at ${stage.longWindow / window}× (\`${stage.longSet.name}\`); the longer sets (${bundledSets
					.filter((set) => set.maxLength > stage.longWindow)
					.map((set) => `\`${set.name}\``)
					.join(', ')}) were searched again on the fine-tuned weights, not fine-tuned at. Past the window, "where is X defined"
  questions are still not answered (\`bench/results/quality.md\`).`
			: `LongRoPE's progressive recipe (fine-tuning at a searched
  longer set) has not been run for this model.`
	}
- The corpus is English prose and code from software packages; other languages and domains are barely seen.

## Reproduce

    npm run model:build

runs every step (\`models/train/Makefile\`)${init ? ' — this build with `INIT=` the first build\'s `final.pt` (commit a563a50\'s `make train`) and the current retrieval documents' : ''}: fetching the npm packages, the corpus, tokenizing with the
bundled tokenizer, the retrieval documents, the warm start (checked against onnxruntime-node), training
(resumable), export, quantization, verification against PyTorch, the measurements above
(\`models/train/measure.mjs\`) and this card (\`models/train/card.mjs\`). The measurements alone, on an
existing build:

    node models/train/measure.mjs --build ${measured} --baseline ${measured}/fp32 --variants fp32=${measured}/fp32,q8=${measured}/q8,q4=${measured}/q4 --out ${measured}/measure.json
${
	stage
		? `
${
				stages.length > 1
					? `The progressive stages, each followed by its search, and this card (the sets are searched on the installed
weights, so \`progressive-install\` runs again after the last search to write the card with them):`
					: `The progressive stage, its search and this card (the sets are searched on the installed weights, so
\`progressive-install\` runs again after the search to write the card with them):`
			}

${stages
	.map(
		// A stage.json may give its own commands (one not run by progressive-install), or those before it.
		(st, k) =>
			(
				st.settings.commands ?? [
					...(st.settings.before ?? []),
					`make -f models/train/Makefile progressive-install${makeVars(st, k)}`,
					'bash scripts/search-bundled.sh',
				]
			)
				.map((command) => `    ${command}`)
				.join('\n'),
	)
	.join('\n')}
    make -f models/train/Makefile progressive-install${makeVars(stage, stages.length - 1)}
`
		: ''
}${probeNote}`;
writeFileSync(join(dir, 'MODEL_CARD.md'), card);
// Which records this card is written from, for writing it again without the builds (the unit test
// that checks the committed card against the committed records): kept when a build gave a record.
if ([build, ...ftBuilds].some(fromBuild)) {
	writeFileSync(
		join(recordsDir, 'card.json'),
		`${JSON.stringify({ variant: defaultVariant, stages: ftBuilds.map((ft) => basename(ft)) }, null, '\t')}\n`,
	);
}

const readme = join('models', 'README.md');
const marker = '<!-- measurements: written from .model-build/measure.json -->';
const text = readFileSync(readme, 'utf8');
const head = text.slice(0, text.indexOf(marker) + marker.length);
const pplCost = 100 * (chosen.heldOutPpl / fp32.heldOutPpl - 1);
const sizeRatio = fp32.sizeBytes / chosen.sizeBytes;
writeFileSync(
	readme,
	`${head}\n\n${variantsTable}\n\nBundled: ${defaultVariant}, ${pplCost >= 0 ? '+' : ''}${pplCost.toFixed(2)}% held-out perplexity against fp32 at 1/${sizeRatio.toFixed(1)} of its size.\n`,
);
console.error(`card: wrote ${join(dir, 'MODEL_CARD.md')} and the variants table of ${readme}`);
