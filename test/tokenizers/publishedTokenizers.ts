/**
 * Hugging Face tokenizer.json files equivalent to the ones published with the ORT-genai folders of
 * Phi-3/3.5-mini (the Llama-2 SentencePiece BPE with byte fallback) and Phi-4-mini (the o200k
 * byte-level BPE), built from data that npm packages ship, so that no large file is committed:
 *
 * - `llama-tokenizer-js` bakes LLaMA's 32000-piece vocabulary and its merges into its source file.
 *   Its vocabulary is identical to Phi-3's and its merges are the same set; Phi-3's file orders them
 *   as Hugging Face's SentencePiece converter does (by the id of the merged piece, pieces made only
 *   of `▁` last), so they are sorted that way here.
 * - `gpt-tokenizer` ships the o200k_base ranks; merges follow from the ranks (the byte-pair split
 *   of each token at its own rank), the split regex is o200k's.
 *
 * The special tokens and the normalizer/pre-tokenizer/decoder settings are those of the published
 * files (microsoft/Phi-3-mini-4k-instruct and Phi-4-mini-instruct, as copied into
 * onnxruntime-extensions' test data). Each build is cached in the OS temp folder.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type TokenizerJson = Record<string, unknown>;

interface AddedToken {
	id: number;
	content: string;
	rstrip: boolean;
	special: boolean;
}

/** Phi-3/3.5-mini's added tokens (the model's embedding has 32064 rows; 32011… are unused). */
export const PHI3_ADDED_TOKENS: readonly AddedToken[] = [
	{ id: 0, content: '<unk>', rstrip: false, special: true },
	{ id: 1, content: '<s>', rstrip: false, special: true },
	{ id: 2, content: '</s>', rstrip: true, special: false },
	{ id: 32000, content: '<|endoftext|>', rstrip: false, special: true },
	{ id: 32001, content: '<|assistant|>', rstrip: true, special: true },
	{ id: 32002, content: '<|placeholder1|>', rstrip: true, special: true },
	{ id: 32003, content: '<|placeholder2|>', rstrip: true, special: true },
	{ id: 32004, content: '<|placeholder3|>', rstrip: true, special: true },
	{ id: 32005, content: '<|placeholder4|>', rstrip: true, special: true },
	{ id: 32006, content: '<|system|>', rstrip: true, special: true },
	{ id: 32007, content: '<|end|>', rstrip: true, special: true },
	{ id: 32008, content: '<|placeholder5|>', rstrip: true, special: true },
	{ id: 32009, content: '<|placeholder6|>', rstrip: true, special: true },
	{ id: 32010, content: '<|user|>', rstrip: true, special: true },
];

/** Phi-4-mini's added tokens (the model's embedding has 200064 rows). */
export const PHI4_MINI_ADDED_TOKENS: readonly AddedToken[] = [
	{ id: 199999, content: '<|endoftext|>', rstrip: false, special: true },
	{ id: 200018, content: '<|endofprompt|>', rstrip: false, special: true },
	{ id: 200019, content: '<|assistant|>', rstrip: true, special: true },
	{ id: 200020, content: '<|end|>', rstrip: true, special: true },
	{ id: 200021, content: '<|user|>', rstrip: true, special: true },
	{ id: 200022, content: '<|system|>', rstrip: true, special: true },
	{ id: 200023, content: '<|tool|>', rstrip: true, special: false },
	{ id: 200024, content: '<|/tool|>', rstrip: true, special: false },
	{ id: 200025, content: '<|tool_call|>', rstrip: true, special: false },
	{ id: 200026, content: '<|/tool_call|>', rstrip: true, special: false },
	{ id: 200027, content: '<|tool_response|>', rstrip: true, special: false },
	{ id: 200028, content: '<|tag|>', rstrip: true, special: true },
];

/** tiktoken's o200k_base split pattern. */
export const O200K_PATTERN = [
	"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
	"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
	'\\p{N}{1,3}',
	' ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*',
	'\\s*[\\r\\n]+',
	'\\s+(?!\\S)',
	'\\s+',
].join('|');

/** Bumped when the output changes, so stale cached files are not reused. */
const FORMAT = 1;

export function phi3TokenizerJson(): TokenizerJson {
	return cached('phi-3', 'llama-tokenizer-js', buildPhi3);
}

export function phi4MiniTokenizerJson(): TokenizerJson {
	return cached('phi-4-mini', 'gpt-tokenizer', buildPhi4Mini);
}

function cached(name: string, source: string, build: () => TokenizerJson): TokenizerJson {
	const version = packageVersion(source);
	const dir = path.join(os.tmpdir(), 'longrope-test-tokenizers');
	const file = path.join(dir, `${name}-${source}-${version}-v${FORMAT}.json`);
	if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as TokenizerJson;
	const json = build();
	mkdirSync(dir, { recursive: true });
	// Written whole, then renamed: a concurrent run never reads half a file.
	const partial = `${file}.${process.pid}.partial`;
	writeFileSync(partial, JSON.stringify(json));
	renameSync(partial, file);
	return json;
}

function packageDir(name: string): string {
	return path.dirname(require.resolve(`${name}/package.json`));
}

function packageVersion(name: string): string {
	const manifest = JSON.parse(
		readFileSync(path.join(packageDir(name), 'package.json'), 'utf8'),
	) as { version: string };
	return manifest.version;
}

function addedTokens(tokens: readonly AddedToken[]): Record<string, unknown>[] {
	return tokens.map((t) => ({
		id: t.id,
		content: t.content,
		single_word: false,
		lstrip: false,
		rstrip: t.rstrip,
		normalized: false,
		special: t.special,
	}));
}

/** The two base64 constants llama-tokenizer-js embeds (read as text: the package is an ES module). */
function llamaData(): { vocab: string[]; merges: [number, number][] } {
	const source = readFileSync(
		path.join(packageDir('llama-tokenizer-js'), 'llama-tokenizer.js'),
		'utf8',
	);
	const constant = (name: string): Buffer => {
		const match = new RegExp(`const ${name} = "([A-Za-z0-9+/=]+)"`).exec(source);
		if (!match) throw new Error(`llama-tokenizer-js no longer defines ${name}`);
		return Buffer.from(match[1], 'base64');
	};
	const vocab = constant('llama_vocab_base64').toString('utf8').split('\n');
	const packed = constant('llama_merges_binary');
	const merges: [number, number][] = [];
	for (let i = 0; i + 3 < packed.length; i += 4) {
		merges.push([packed.readUInt16LE(i), packed.readUInt16LE(i + 2)]);
	}
	return { vocab, merges };
}

function buildPhi3(): TokenizerJson {
	const { vocab, merges } = llamaData();
	if (vocab.length !== 32000) throw new Error(`expected 32000 LLaMA pieces, got ${vocab.length}`);
	const ids = new Map(vocab.map((piece, id) => [piece, id]));
	const spaces = /^▁+$/;
	const onlySpaces = ([a, b]: [number, number]): boolean =>
		spaces.test(vocab[a]) && spaces.test(vocab[b]);
	const merged = ([a, b]: [number, number]): number => ids.get(vocab[a] + vocab[b]) ?? -1;
	const ordered = [...merges].sort(
		(x, y) =>
			Number(onlySpaces(x)) - Number(onlySpaces(y)) || merged(x) - merged(y) || x[0] - y[0],
	);
	return {
		version: '1.0',
		truncation: null,
		padding: null,
		added_tokens: addedTokens(PHI3_ADDED_TOKENS),
		normalizer: {
			type: 'Sequence',
			normalizers: [
				{ type: 'Prepend', prepend: '▁' },
				{ type: 'Replace', pattern: { String: ' ' }, content: '▁' },
			],
		},
		pre_tokenizer: null,
		post_processor: {
			type: 'TemplateProcessing',
			single: [{ Sequence: { id: 'A', type_id: 0 } }],
			pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
			special_tokens: {},
		},
		decoder: {
			type: 'Sequence',
			decoders: [
				{ type: 'Replace', pattern: { String: '▁' }, content: ' ' },
				{ type: 'ByteFallback' },
				{ type: 'Fuse' },
				{ type: 'Strip', content: ' ', start: 1, stop: 0 },
			],
		},
		model: {
			type: 'BPE',
			dropout: null,
			unk_token: '<unk>',
			continuing_subword_prefix: null,
			end_of_word_suffix: null,
			fuse_unk: true,
			byte_fallback: true,
			vocab: Object.fromEntries(vocab.map((piece, id) => [piece, id])),
			merges: ordered.map(([a, b]) => `${vocab[a]} ${vocab[b]}`),
		},
	};
}

/** GPT-2's printable stand-in for each byte, as byte-level BPE vocabularies spell tokens. */
function byteLevelAlphabet(): string[] {
	const printable = (b: number): boolean =>
		(b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
	const chars: string[] = [];
	let next = 256;
	for (let b = 0; b < 256; b++) chars.push(String.fromCharCode(printable(b) ? b : next++));
	return chars;
}

function buildPhi4Mini(): TokenizerJson {
	const file = path.join(packageDir('gpt-tokenizer'), 'data', 'o200k_base.tiktoken');
	const alphabet = byteLevelAlphabet();
	const tokens: string[] = [];
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		if (line.length === 0) continue;
		const [base64, rank] = line.split(' ');
		let token = '';
		for (const byte of Buffer.from(base64, 'base64')) token += alphabet[byte];
		tokens[Number(rank)] = token;
	}
	const ranks = new Map(tokens.map((token, rank) => [token, rank]));
	// Each token's merge is the last step of byte-pair encoding it with the ranks below its own.
	const merges: string[] = [];
	for (let rank = 0; rank < tokens.length; rank++) {
		const parts = bytePairSplit(tokens[rank], ranks, rank);
		if (parts.length === 2) merges.push(`${parts[0]} ${parts[1]}`);
	}
	// The special tokens are in the vocabulary too, as in GPT-2-style files; Hugging Face's Rust
	// tokenizer would otherwise renumber added tokens that leave gaps after the vocabulary.
	const vocab: Record<string, number> = Object.fromEntries(tokens.map((t, rank) => [t, rank]));
	for (const added of PHI4_MINI_ADDED_TOKENS) vocab[added.content] = added.id;
	return {
		version: '1.0',
		truncation: null,
		padding: null,
		added_tokens: addedTokens(PHI4_MINI_ADDED_TOKENS),
		normalizer: null,
		pre_tokenizer: {
			type: 'Sequence',
			pretokenizers: [
				{
					type: 'Split',
					pattern: { Regex: O200K_PATTERN },
					behavior: 'Isolated',
					invert: false,
				},
				{
					type: 'ByteLevel',
					add_prefix_space: false,
					trim_offsets: true,
					use_regex: false,
				},
			],
		},
		post_processor: {
			type: 'ByteLevel',
			add_prefix_space: true,
			trim_offsets: false,
			use_regex: true,
		},
		decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
		model: {
			type: 'BPE',
			dropout: null,
			unk_token: null,
			continuing_subword_prefix: null,
			end_of_word_suffix: null,
			fuse_unk: false,
			byte_fallback: false,
			ignore_merges: false,
			vocab,
			merges,
		},
	};
}

/** tiktoken's byte-pair merge of one token, allowing only merges ranked below `limit`. */
function bytePairSplit(token: string, ranks: Map<string, number>, limit: number): string[] {
	const parts = [...token];
	for (;;) {
		let best = -1;
		let bestRank = limit;
		for (let i = 0; i + 1 < parts.length; i++) {
			const rank = ranks.get(parts[i] + parts[i + 1]);
			if (rank !== undefined && rank < bestRank) {
				bestRank = rank;
				best = i;
			}
		}
		if (best < 0) return parts;
		parts.splice(best, 2, parts[best] + parts[best + 1]);
	}
}
