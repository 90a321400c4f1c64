// Writes the retrieval training documents as token ids: Landmark passkeys, synthetic workspace
// questions (extension/engine/evaluation/workspaceQuestions.ts: a third in the evaluation's exact
// form, the rest varied) and ordinary questions whose answers cite a real line
// (extension/engine/evaluation/workspaceChat.ts), each the prompt exactly as the
// extension renders it for the bundled model, then the answer. train.py puts the loss on the
// answer tokens only (from each document's `answer` offset).
//
//   node -r esbuild-register models/train/retrieval.ts BUILD_DIR [--window 1024]
//
// Out: BUILD_DIR/tokens/retrieval.bin (uint16) and retrieval.docs.json, one entry per document:
// { offset, length, answer, kind, split }. Split "train" uses workspace and chat seeds from the shape's seedBase;
// "watch" (the quick accuracy check during training) uses seeds from WATCH_SEED up, still below
// TRAINING_SEED_LIMIT, so the evaluation's seeds (from TRAINING_SEED_LIMIT up) stay unseen.
// --window 1024 writes the progressive fine-tune's longer documents instead (LONG_SHAPE), to
// retrieval-1024.bin and retrieval-1024.docs.json.
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildChatPrompt, CHAT_TOKENS } from '../../extension/engine/generation/chatTemplate';
import { seededRandom } from '../../extension/engine/generation/random';
import { passkeyPrompt, PASSKEY_MAX_KEY } from '../../extension/engine/evaluation/passkey';
import { DEFINITION_ANSWER_TOKENS } from '../../extension/engine/evaluation/retrieval';
import { chatQuestion } from '../../extension/engine/evaluation/workspaceChat';
import {
	TRAINING_SEED_LIMIT,
	workspaceQuestion,
} from '../../extension/engine/evaluation/workspaceQuestions';
import { HfTokenizer } from '../../extension/runtime/hfTokenizer';

interface Shape {
	readonly trainDocs: { readonly passkey: number; readonly workspace: number; readonly chat: number };
	readonly watchDocs: { readonly passkey: number; readonly workspace: number };
	/** The first training seed of workspace and chat questions. */
	readonly seedBase: number;
	readonly passkeySeed: number;
}

const WINDOW_256: Shape = {
	trainDocs: { passkey: 20_000, workspace: 24_000, chat: 16_000 },
	watchDocs: { passkey: 200, workspace: 200 },
	seedBase: 0,
	passkeySeed: 20240221,
};
// Longer windows: other questions than the 256-token set's (seeds from 200 000), fewer of them (a
// fine-tune of a few hundred steps sees ~1000), and passkeys whose fillers fill at least a quarter
// of the window, since rows are padded to the window and short ones would waste its compute.
const LONG_SHAPE: Shape = {
	trainDocs: { passkey: 3_000, workspace: 3_000, chat: 2_000 },
	watchDocs: { passkey: 100, workspace: 100 },
	seedBase: 200_000,
	passkeySeed: 20240221 + 1024,
};
const LONG_MIN_FILLER_SHARE = 0.25;
const WATCH_SEED = 900_000;
// Room left for the answer and <|end|> when filling a workspace prompt (chat answers are longer).
const ANSWER_ROOM = 32;
const CHAT_ANSWER_ROOM = 72;
// A share of the training's workspace prompts are filled as the evaluation fills them (to the
// window less its answer budget, the most distractors): drawn between half the window and the
// window alone, they were answered 84.5% in training's watch set but 65% by bench:quality at 1x.
const FULL_WORKSPACE_SHARE = 0.5;
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
	const [build, flag, value] = process.argv.slice(2);
	if (!build || (flag !== undefined && (flag !== '--window' || !/^\d+$/.test(value ?? '')))) {
		throw new Error('usage: node -r esbuild-register retrieval.ts BUILD_DIR [--window N]');
	}
	const window = flag ? Number(value) : 256;
	const shape = window === 256 ? WINDOW_256 : LONG_SHAPE;
	const trainDocs = shape.trainDocs;
	const watchDocs = shape.watchDocs;
	const suffix = window === 256 ? '' : `-${window}`;
	if (
		WATCH_SEED + watchDocs.workspace > TRAINING_SEED_LIMIT ||
		shape.seedBase + trainDocs.workspace > WATCH_SEED
	) {
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

	// The most fillers a passkey document holds within the window (a 5-digit key, ~3 answer tokens).
	const passkeyTokens = (fillers: number): number =>
		1 + tokenizer.encode(passkeyPrompt(0, fillers, PASSKEY_MAX_KEY)).length + 3;
	let maxFillers = 0;
	while (passkeyTokens(maxFillers + 1) <= window + 1) maxFillers++;
	const longFillers = (random: () => number): number => {
		const least = Math.floor(maxFillers * LONG_MIN_FILLER_SHARE);
		return least + Math.floor(random() * (maxFillers - least + 1));
	};
	// As the evaluation asks: <s> + the prompt, then the key as the model would generate it.
	const passkey = (random: () => number): Doc | undefined => {
		const fillers =
			window === 256
				? Math.floor(random() * (random() < SHORT_PASSKEY_SHARE ? SHORT_FILLERS + 1 : 11))
				: longFillers(random);
		const before = Math.floor(random() * (fillers + 1));
		const key = 1 + Math.floor(random() * PASSKEY_MAX_KEY);
		const prompt = [bos, ...tokenizer.encode(passkeyPrompt(before, fillers - before, key))];
		const ids = [...prompt, ...tokenizer.encode(` ${key}`), eos];
		return ids.length <= window + 1 ? { ids, answer: prompt.length, kind: 'passkey' } : undefined;
	};
	const promptTokens = (messages: Parameters<typeof buildChatPrompt>[1]) =>
		buildChatPrompt(tokenizer, messages).ids.length;
	const workspace = (seed: number, varied: boolean, full: boolean): Doc | undefined => {
		const random = seededRandom(seed ^ 0x5bd1e995);
		const q = workspaceQuestion(seed, {
			promptTokens,
			targetTokens: full
				? window - DEFINITION_ANSWER_TOKENS
				: Math.floor(window / 2 + random() * (window / 2 - ANSWER_ROOM)),
			varied,
		});
		const prompt = buildChatPrompt(tokenizer, q.messages).ids;
		const ids = [...prompt, ...tokenizer.encode(q.answer), end];
		return ids.length <= window + 1 ? { ids, answer: prompt.length, kind: 'workspace' } : undefined;
	};
	const chat = (seed: number): Doc | undefined => {
		const random = seededRandom(seed ^ 0x27d4eb2f);
		const q = chatQuestion(seed, {
			promptTokens,
			targetTokens: Math.floor(window / 3 + random() * (window - window / 3 - CHAT_ANSWER_ROOM)),
		});
		const prompt = buildChatPrompt(tokenizer, q.messages).ids;
		const ids = [...prompt, ...tokenizer.encode(q.answer), end];
		return ids.length <= window + 1 ? { ids, answer: prompt.length, kind: 'chat' } : undefined;
	};

	const out = createWriteStream(join(build, 'tokens', `retrieval${suffix}.bin`));
	const entries: object[] = [];
	let offset = 0;
	const add = (doc: Doc | undefined, split: string): void => {
		if (!doc) return;
		out.write(Buffer.from(Uint16Array.from(doc.ids).buffer));
		entries.push({ offset, length: doc.ids.length, answer: doc.answer, kind: doc.kind, split });
		offset += doc.ids.length;
	};
	const trainKeys = seededRandom(shape.passkeySeed);
	for (let k = 0; k < trainDocs.passkey; k++) add(passkey(trainKeys), 'train');
	const seeds = (count: number) => Array.from({ length: count }, (_, k) => shape.seedBase + k);
	const fullKeys = seededRandom(shape.seedBase ^ 0x2f6b);
	for (const seed of seeds(trainDocs.workspace)) {
		add(workspace(seed, seed % 3 !== 0, fullKeys() < FULL_WORKSPACE_SHARE), 'train');
	}
	for (const seed of seeds(trainDocs.chat)) add(chat(seed), 'train');
	const watchKeys = seededRandom(shape.passkeySeed + 1);
	for (let k = 0; k < watchDocs.passkey; k++) add(passkey(watchKeys), 'watch');
	// The watch questions are in the evaluation's form, comparable from build to build.
	for (let k = 0; k < watchDocs.workspace; k++) add(workspace(WATCH_SEED + k, false, false), 'watch');
	out.end(() => {
		writeFileSync(join(build, 'tokens', `retrieval${suffix}.docs.json`), JSON.stringify(entries));
		const count = (kind: string, split: string) =>
			entries.filter((e) => (e as Doc).kind === kind && (e as { split: string }).split === split).length;
		console.error(
			`retrieval${suffix}: ${offset} tokens, passkeys of up to ${maxFillers} fillers; train ${count('passkey', 'train')} passkeys, ${count('workspace', 'train')} workspace questions, ${count('chat', 'train')} chat questions; watch ${count('passkey', 'watch')} + ${count('workspace', 'watch')}`,
		);
	});
}

main();
