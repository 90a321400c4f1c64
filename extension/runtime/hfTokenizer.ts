import { Tokenizer } from '@huggingface/tokenizers';
import type { TextTokenizer } from '../engine/generation/tokenizer';

/** A model folder's tokenizer.json, through @huggingface/tokenizers (pure JavaScript). */
export class HfTokenizer implements TextTokenizer {
	private readonly tokenizer: Tokenizer;
	readonly vocabSize: number;

	constructor(json: Record<string, unknown>, source: string) {
		try {
			// No clean-up of spaces before punctuation: decode must give back the encoded text exactly.
			this.tokenizer = new Tokenizer(json, { clean_up_tokenization_spaces: false });
		} catch (err) {
			throw new Error(
				`${source} is not a usable Hugging Face tokenizer: ${err instanceof Error ? err.message : String(err)}`,
			);
		}
		const model = json.model as { vocab?: Record<string, number> } | undefined;
		const added = (json.added_tokens as { id: number }[] | undefined) ?? [];
		// A loop, not Math.max(...ids): 200k arguments overflow the call stack.
		let maxId = -1;
		for (const id of Object.values(model?.vocab ?? {})) if (id > maxId) maxId = id;
		for (const token of added) if (token.id > maxId) maxId = token.id;
		this.vocabSize = maxId + 1;
	}

	encode(text: string): number[] {
		return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
	}

	decode(ids: readonly number[]): string {
		// @huggingface/tokenizers refuses an empty list.
		if (ids.length === 0) return '';
		return this.tokenizer.decode([...ids], { skip_special_tokens: false });
	}

	tokenId(token: string): number | undefined {
		return this.tokenizer.token_to_id(token);
	}
}
