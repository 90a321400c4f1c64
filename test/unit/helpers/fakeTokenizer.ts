import type { RopeConfig } from '../../../extension/engine/factorSet';
import { buildChatPrompt, CHAT_TOKENS } from '../../../extension/engine/generation/chatTemplate';
import type { TextTokenizer } from '../../../extension/engine/generation/tokenizer';
import type { PlanningModel } from '../../../extension/engine/model/languageModel';

const SPECIALS = Object.values(CHAT_TOKENS);
const PIECE =
	/<\|(?:system|user|assistant|end)\|>|<\/?s>|\s+|[A-Za-z0-9_]+|[\uD800-\uDBFF][\uDC00-\uDFFF]|[^A-Za-z0-9_\s]/g;

/**
 * A stand-in for the model's tokenizer: one token per word, per run of white space and per
 * other character, the chat template's special tokens as single ids. White-space runs merge
 * across file boundaries, as a real BPE's do, so packing has to measure the finished prompt.
 */
export class FakeTokenizer implements TextTokenizer {
	// One vocabulary for every instance, so that ids do not depend on what was encoded first.
	private static readonly ids = new Map<string, number>();
	private static readonly pieces: string[] = [];
	private readonly ids = FakeTokenizer.ids;
	private readonly pieces = FakeTokenizer.pieces;
	encodeCalls = 0;

	constructor() {
		for (const special of SPECIALS) this.idOf(special);
	}

	get vocabSize(): number {
		return this.pieces.length;
	}

	encode(text: string): number[] {
		this.encodeCalls++;
		return (text.match(PIECE) ?? []).map((piece) => this.idOf(piece));
	}

	decode(ids: readonly number[]): string {
		return ids.map((id) => this.pieces[id] ?? '').join('');
	}

	tokenId(token: string): number | undefined {
		return SPECIALS.includes(token as (typeof SPECIALS)[number])
			? this.ids.get(token)
			: undefined;
	}

	private idOf(piece: string): number {
		let id = this.ids.get(piece);
		if (id === undefined) {
			id = this.pieces.length;
			this.pieces.push(piece);
			this.ids.set(piece, id);
		}
		return id;
	}
}

/** A model's rope config with unscaled sets of the given windows (names `w<window>`). */
export function ropeWithWindows(...windows: number[]): RopeConfig {
	return {
		geometry: {
			base: 10000,
			headDim: 8,
			rotaryDim: 8,
			originalWindow: windows[0],
			maxWindow: Math.max(...windows),
		},
		sets: windows.map((window) => ({
			name: `w${window}`,
			method: 'none' as const,
			maxLength: window,
			scale: window / windows[0],
			source: 'test',
			factors: [1, 1, 1, 1],
			nHat: 0,
			attentionFactor: 1,
		})),
	};
}

/** A fake content hash (tests need no cryptography, only distinct keys). */
export function fakeHash(text: string): string {
	let h = 2166136261;
	for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), 16777619);
	return `${(h >>> 0).toString(16)}-${text.length}`;
}

/** What jobs plan with, around a tokenizer and windows: the bundled template, no margin. */
export function fakePlanningModel(
	tokenizer: TextTokenizer,
	rope: RopeConfig,
	memoryTokens?: number,
): PlanningModel {
	return {
		tokenizer,
		countMargin: 0,
		windows: { kind: 'factor-sets', rope },
		...(memoryTokens !== undefined
			? { memoryLimit: { tokens: memoryTokens, reason: 'the KV-cache memory cap' } }
			: {}),
		renderChat: (messages) => buildChatPrompt(tokenizer, messages),
	};
}
