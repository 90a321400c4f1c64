import { Tokenizer } from '@huggingface/tokenizers';
import type { TextTokenizer } from '../engine/generation/tokenizer';

/** A model folder's tokenizer.json, through @huggingface/tokenizers (pure JavaScript). */
export class HfTokenizer implements TextTokenizer {
	private readonly tokenizer: Tokenizer;
	readonly vocabSize: number;

	constructor(json: Record<string, unknown>, source: string) {
		try {
			this.tokenizer = new Tokenizer(json, {});
		} catch (err) {
			throw new Error(
				`${source} is not a usable Hugging Face tokenizer: ${err instanceof Error ? err.message : String(err)}`,
			);
		}
		const model = json.model as { vocab?: Record<string, number> } | undefined;
		const added = (json.added_tokens as { id: number }[] | undefined) ?? [];
		const ids = [...Object.values(model?.vocab ?? {}), ...added.map((t) => t.id)];
		this.vocabSize = ids.length === 0 ? 0 : Math.max(...ids) + 1;
	}

	encode(text: string): number[] {
		return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
	}

	decode(ids: readonly number[]): string {
		return this.tokenizer.decode([...ids], { skip_special_tokens: false });
	}

	tokenId(token: string): number | undefined {
		return this.tokenizer.token_to_id(token);
	}
}
