import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { TextTokenizer } from '../engine/generation/tokenizer';

/** A plain-text file tokenized for perplexity: `<s>` + its tokens, with hashes for provenance. */
export interface TokenizedText {
	readonly path: string;
	/** sha256 of the file's bytes. */
	readonly sha256: string;
	readonly ids: readonly number[];
}

export function sha256Hex(bytes: Uint8Array | string): string {
	return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 of token ids as little-endian uint32: identifies exactly what a perplexity saw. */
export function tokensSha256(ids: readonly number[]): string {
	const buffer = Buffer.alloc(ids.length * 4);
	ids.forEach((id, k) => buffer.writeUInt32LE(id, k * 4));
	return sha256Hex(buffer);
}

export async function readTokenizedTexts(
	files: readonly string[],
	tokenizer: TextTokenizer,
): Promise<TokenizedText[]> {
	const bos = tokenizer.tokenId('<s>');
	const out: TokenizedText[] = [];
	for (const file of files) {
		const bytes = await readFile(file).catch((err: Error) => {
			throw new Error(`cannot read ${file}: ${err.message}`);
		});
		const text = bytes.toString('utf8');
		out.push({
			path: file,
			sha256: sha256Hex(bytes),
			ids: [...(bos === undefined ? [] : [bos]), ...tokenizer.encode(text)],
		});
	}
	return out;
}
