/** What the engine needs of a tokenizer; the runtime wraps @huggingface/tokenizers in it. */
export interface TextTokenizer {
	readonly vocabSize: number;
	/** Plain text to ids; special-token text such as `<|user|>` becomes its single id. */
	encode(text: string): number[];
	decode(ids: readonly number[]): string;
	/** The id of a special token, or undefined when the vocabulary lacks it. */
	tokenId(token: string): number | undefined;
}
