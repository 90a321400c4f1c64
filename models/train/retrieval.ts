// Writes the retrieval training documents as token ids: Landmark passkeys, synthetic workspace
// questions (extension/engine/evaluation/workspaceQuestions.ts: a third in the evaluation's exact
// form, the rest varied) and ordinary questions whose answers cite a real line
// (extension/engine/evaluation/workspaceChat.ts), each the prompt exactly as the
// extension renders it for the bundled model, then the answer. train.py puts the loss on the
// answer tokens only (from each document's `answer` offset).
//
//   node -r esbuild-register models/train/retrieval.ts BUILD_DIR
//
// Out: BUILD_DIR/tokens/retrieval.bin (uint16) and retrieval.docs.json, one entry per document:
// { offset, length, answer, kind, split }. Split "train" uses workspace and chat seeds 0 … TRAIN_DOCS−1;
// "watch" (the quick accuracy check during training) uses seeds from WATCH_SEED up, still below
// TRAINING_SEED_LIMIT, so the evaluation's seeds (from TRAINING_SEED_LIMIT up) stay unseen.
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildChatPrompt, CHAT_TOKENS } from '../../extension/engine/generation/chatTemplate';
import { seededRandom } from '../../extension/engine/generation/random';
import { passkeyPrompt, PASSKEY_MAX_KEY } from '../../extension/engine/evaluation/passkey';
import { chatQuestion } from '../../extension/engine/evaluation/workspaceChat';
import {
	TRAINING_SEED_LIMIT,
	workspaceQuestion,
} from '../../extension/engine/evaluation/workspaceQuestions';
import { HfTokenizer } from '../../extension/runtime/hfTokenizer';

const WINDOW = 256;
const TRAIN_DOCS = { passkey: 20_000, workspace: 24_000, chat: 16_000 };
const WATCH_DOCS = { passkey: 200, workspace: 200 };
const WATCH_SEED = 900_000;
const PASSKEY_SEED = 20240221;
// Room left for the answer and <|end|> when filling a workspace prompt (chat answers are longer).
const ANSWER_ROOM = 32;
const CHAT_ANSWER_ROOM = 72;
// A share of the passkeys have at most this many fillers: a curriculum of short distances, since
// whole-window passkeys alone were never learned (0/88 after 1000 steps).
const SHORT_FILLERS = 3;
const SHORT_PASSKEY_SHARE = 0.4;

interface Doc {
	readonly ids: number[];
	readonly answer: number;
	readonly kind: 'passkey' | 'workspace' | 'chat';
}

function main(): void {
	const build = process.argv[2];
	if (!build) throw new Error('usage: node -r esbuild-register retrieval.ts BUILD_DIR');
	if (WATCH_SEED + WATCH_DOCS.workspace > TRAINING_SEED_LIMIT || TRAIN_DOCS.workspace > WATCH_SEED) {
		throw new Error('retrieval: the training and watch seeds must stay apart and below TRAINING_SEED_LIMIT');
	}
	const file = join(build, 'tokenizer.json');
	const tokenizer = new HfTokenizer(JSON.parse(readFileSync(file, 'utf8')), file);
	const special = (token: string): number => {
		const id = tokenizer.tokenId(token);
		if (id === undefined) throw new Error(`retrieval: ${file} has no ${token} token`);
		return id;
	};
	const bos = special(CHAT_TOKENS.bos);
	const eos = special(CHAT_TOKENS.eos);
	const end = special(CHAT_TOKENS.end);

	// As the evaluation asks: <s> + the prompt, then the key as the model would generate it.
	const passkey = (random: () => number): Doc | undefined => {
		const fillers = Math.floor(random() * (random() < SHORT_PASSKEY_SHARE ? SHORT_FILLERS + 1 : 11));
		const before = Math.floor(random() * (fillers + 1));
		const key = 1 + Math.floor(random() * PASSKEY_MAX_KEY);
		const prompt = [bos, ...tokenizer.encode(passkeyPrompt(before, fillers - before, key))];
		const ids = [...prompt, ...tokenizer.encode(` ${key}`), eos];
		return ids.length <= WINDOW + 1 ? { ids, answer: prompt.length, kind: 'passkey' } : undefined;
	};
	const promptTokens = (messages: Parameters<typeof buildChatPrompt>[1]) =>
		buildChatPrompt(tokenizer, messages).ids.length;
	const workspace = (seed: number, varied: boolean): Doc | undefined => {
		const random = seededRandom(seed ^ 0x5bd1e995);
		const q = workspaceQuestion(seed, {
			promptTokens,
			targetTokens: Math.floor(WINDOW / 2 + random() * (WINDOW / 2 - ANSWER_ROOM)),
			varied,
		});
		const prompt = buildChatPrompt(tokenizer, q.messages).ids;
		const ids = [...prompt, ...tokenizer.encode(q.answer), end];
		return ids.length <= WINDOW + 1 ? { ids, answer: prompt.length, kind: 'workspace' } : undefined;
	};
	const chat = (seed: number): Doc | undefined => {
		const random = seededRandom(seed ^ 0x27d4eb2f);
		const q = chatQuestion(seed, {
			promptTokens,
			targetTokens: Math.floor(WINDOW / 3 + random() * (WINDOW - WINDOW / 3 - CHAT_ANSWER_ROOM)),
		});
		const prompt = buildChatPrompt(tokenizer, q.messages).ids;
		const ids = [...prompt, ...tokenizer.encode(q.answer), end];
		return ids.length <= WINDOW + 1 ? { ids, answer: prompt.length, kind: 'chat' } : undefined;
	};

	const out = createWriteStream(join(build, 'tokens', 'retrieval.bin'));
	const entries: object[] = [];
	let offset = 0;
	const add = (doc: Doc | undefined, split: string): void => {
		if (!doc) return;
		out.write(Buffer.from(Uint16Array.from(doc.ids).buffer));
		entries.push({ offset, length: doc.ids.length, answer: doc.answer, kind: doc.kind, split });
		offset += doc.ids.length;
	};
	const trainKeys = seededRandom(PASSKEY_SEED);
	for (let k = 0; k < TRAIN_DOCS.passkey; k++) add(passkey(trainKeys), 'train');
	for (let seed = 0; seed < TRAIN_DOCS.workspace; seed++) add(workspace(seed, seed % 3 !== 0), 'train');
	for (let seed = 0; seed < TRAIN_DOCS.chat; seed++) add(chat(seed), 'train');
	const watchKeys = seededRandom(PASSKEY_SEED + 1);
	for (let k = 0; k < WATCH_DOCS.passkey; k++) add(passkey(watchKeys), 'watch');
	// The watch questions are in the evaluation's form, comparable from build to build.
	for (let k = 0; k < WATCH_DOCS.workspace; k++) add(workspace(WATCH_SEED + k, false), 'watch');
	out.end(() => {
		writeFileSync(join(build, 'tokens', 'retrieval.docs.json'), JSON.stringify(entries));
		const count = (kind: string, split: string) =>
			entries.filter((e) => (e as Doc).kind === kind && (e as { split: string }).split === split).length;
		console.error(
			`retrieval: ${offset} tokens; train ${count('passkey', 'train')} passkeys, ${count('workspace', 'train')} workspace questions, ${count('chat', 'train')} chat questions; watch ${count('passkey', 'watch')} + ${count('workspace', 'watch')}`,
		);
	});
}

main();
