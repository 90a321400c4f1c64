// Trains the byte-level BPE tokenizer on the training split (or takes a given one, so that training can
// warm-start from a model that uses it) and encodes the splits to uint16 token files.
//
//   node models/train/tokenizer.mjs BUILD_DIR [--tokenizer FILE]
//
// The npm `tokenizers` binding trains with the library's default BPE trainer (30k merges, only the
// characters it saw), so the result is cut to VOCAB_SIZE here: special tokens first, then all 256
// byte symbols, then the merges in the order they were learned. A BPE vocabulary cut this way stays
// valid because every merge only uses symbols made by earlier merges. The binding has no ByteLevel
// decoder to set, so the saved JSON gets one here.
import { createInterface } from 'node:readline';
import { copyFileSync, createReadStream, createWriteStream, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import tokenizers from 'tokenizers';

const { BPE, Tokenizer, byteLevelPreTokenizer, byteLevelAlphabet } = tokenizers;

export const VOCAB_SIZE = 4096;
export const SPECIAL_TOKENS = ['<s>', '</s>', '<pad>', '<|system|>', '<|user|>', '<|assistant|>', '<|end|>'];
const TRAIN_SAMPLE_BYTES = 16_000_000;

async function* readDocs(file) {
	const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
	for await (const line of lines) {
		if (line) {
			yield JSON.parse(line);
		}
	}
}

async function trainRaw(corpusDir, workDir) {
	// A deterministic sample of whole documents keeps training quick; BPE merges converge well before 16 MB.
	const sample = join(workDir, 'tokenizer-sample.txt');
	const out = createWriteStream(sample);
	let bytes = 0;
	let index = 0;
	for await (const doc of readDocs(join(corpusDir, 'train.jsonl'))) {
		if (index++ % 2 === 0 && bytes < TRAIN_SAMPLE_BYTES) {
			out.write(doc.text + '\n');
			bytes += Buffer.byteLength(doc.text);
		}
	}
	await new Promise((resolve) => out.end(resolve));
	const tokenizer = new Tokenizer(BPE.empty());
	tokenizer.setPreTokenizer(byteLevelPreTokenizer(false, true));
	tokenizer.train([sample]);
	const raw = join(workDir, 'tokenizer-raw.json');
	tokenizer.save(raw);
	rmSync(sample);
	return JSON.parse(readFileSync(raw, 'utf8'));
}

function cutToVocab(raw) {
	const merges = raw.model.merges.map((m) => (Array.isArray(m) ? m : m.split(' ')));
	const vocab = {};
	let next = 0;
	const added = SPECIAL_TOKENS.map((content) => {
		vocab[content] = next;
		return {
			id: next++,
			content,
			single_word: false,
			lstrip: false,
			rstrip: false,
			normalized: false,
			special: true,
		};
	});
	for (const symbol of byteLevelAlphabet()) {
		vocab[symbol] = next++;
	}
	const kept = [];
	for (const [a, b] of merges) {
		if (next >= VOCAB_SIZE) {
			break;
		}
		if (!(a in vocab) || !(b in vocab)) {
			throw new Error(`tokenizer: merge "${a} ${b}" uses a symbol that no earlier merge made`);
		}
		const merged = a + b;
		if (!(merged in vocab)) {
			vocab[merged] = next++;
		}
		kept.push([a, b]);
	}
	return {
		version: '1.0',
		truncation: null,
		padding: null,
		added_tokens: added,
		normalizer: null,
		pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
		post_processor: null,
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
			merges: kept,
		},
	};
}

async function encodeSplit(tokenizer, corpusDir, split, outDir) {
	// Documents are packed as <s> text </s>, the same framing the runtime uses for a prompt.
	const bos = tokenizer.tokenToId('<s>');
	const eos = tokenizer.tokenToId('</s>');
	const out = createWriteStream(join(outDir, `${split}.bin`));
	const docs = [];
	let tokens = 0;
	for await (const doc of readDocs(join(corpusDir, `${split}.jsonl`))) {
		const enc = await tokenizer.encode(doc.text);
		const ids = enc.getIds();
		const buf = new Uint16Array(ids.length + 2);
		buf[0] = bos;
		buf.set(ids, 1);
		buf[ids.length + 1] = eos;
		out.write(Buffer.from(buf.buffer));
		docs.push({ source: doc.source, path: doc.path, offset: tokens, length: buf.length });
		tokens += buf.length;
	}
	await new Promise((resolve) => out.end(resolve));
	writeFileSync(join(outDir, `${split}.docs.json`), JSON.stringify(docs));
	return tokens;
}

async function main() {
	const [buildDir, flag, given] = process.argv.slice(2);
	if (!buildDir || (flag !== undefined && (flag !== '--tokenizer' || !given))) {
		throw new Error('usage: node tokenizer.mjs BUILD_DIR [--tokenizer FILE]');
	}
	const corpusDir = join(buildDir, 'corpus');
	const tokDir = join(buildDir, 'tokens');
	mkdirSync(tokDir, { recursive: true });
	const file = join(buildDir, 'tokenizer.json');
	if (given) {
		copyFileSync(given, file);
		console.error(`tokenizer: using ${given}`);
	} else {
		const started = Date.now();
		const json = cutToVocab(await trainRaw(corpusDir, buildDir));
		writeFileSync(file, JSON.stringify(json));
		console.error(`tokenizer: trained ${Object.keys(json.model.vocab).length} tokens in ${(Date.now() - started) / 1000}s`);
	}
	const tokenizer = Tokenizer.fromFile(file);
	for (const split of ['train', 'val', 'heldout']) {
		const n = await encodeSplit(tokenizer, corpusDir, split, tokDir);
		console.error(`tokenizer: ${split}: ${n} tokens`);
	}
}

main().catch((err) => {
	console.error(err.message);
	process.exit(1);
});
