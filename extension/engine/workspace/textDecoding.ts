import type { SkipReason, TextEncodingName } from './reader';

export type DecodedText =
	| { readonly ok: true; readonly text: string; readonly encoding: TextEncodingName }
	| { readonly ok: false; readonly reason: SkipReason; readonly detail: string };

/** How many leading bytes the binary check looks at (git looks at 8000). */
const SNIFF_BYTES = 8000;
/** Share of control characters (other than tab, newlines, form feed, escape) that makes text binary. */
const MAX_CONTROL_SHARE = 0.1;

/**
 * Decodes a file's bytes as the workspace readers do: UTF-8 with or without a byte-order mark,
 * UTF-16 LE/BE when a byte-order mark says so. A NUL byte or many control characters in the first
 * 8000 bytes mean binary; any other encoding (Latin-1, Shift-JIS, …) is refused with the offset
 * of the first byte that is not UTF-8, rather than guessed.
 */
export function decodeWorkspaceText(bytes: Uint8Array): DecodedText {
	if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
		return decodeUtf16(bytes.subarray(2), 'utf-16le');
	}
	if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
		return decodeUtf16(bytes.subarray(2), 'utf-16be');
	}
	const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
	const body = bom ? bytes.subarray(3) : bytes;
	const sniff = Math.min(body.length, SNIFF_BYTES);
	let control = 0;
	for (let k = 0; k < sniff; k++) {
		const b = body[k];
		if (b === 0) {
			return {
				ok: false,
				reason: 'binary',
				detail: `binary: NUL byte at offset ${k + (bom ? 3 : 0)}`,
			};
		}
		if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) {
			control++;
		}
	}
	if (sniff > 0 && control / sniff > MAX_CONTROL_SHARE) {
		return {
			ok: false,
			reason: 'binary',
			detail: `binary: ${control} control bytes in the first ${sniff}`,
		};
	}
	try {
		const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
		return { ok: true, text, encoding: bom ? 'utf-8-bom' : 'utf-8' };
	} catch {
		const offset = firstInvalidUtf8(body) + (bom ? 3 : 0);
		return {
			ok: false,
			reason: 'encoding',
			detail: `not UTF-8 (invalid byte 0x${bytes[offset]?.toString(16).padStart(2, '0')} at offset ${offset}); only UTF-8 and UTF-16 with a byte-order mark are read`,
		};
	}
}

function decodeUtf16(body: Uint8Array, encoding: 'utf-16le' | 'utf-16be'): DecodedText {
	if (body.length % 2 !== 0) {
		return {
			ok: false,
			reason: 'encoding',
			detail: `${encoding.toUpperCase()} byte-order mark, but an odd number of bytes`,
		};
	}
	try {
		const text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body);
		if (text.includes('\0')) {
			return {
				ok: false,
				reason: 'binary',
				detail: `binary: NUL character in ${encoding.toUpperCase()} text`,
			};
		}
		return { ok: true, text, encoding };
	} catch {
		return {
			ok: false,
			reason: 'encoding',
			detail: `${encoding.toUpperCase()} byte-order mark, but not valid ${encoding.toUpperCase()} (unpaired surrogate)`,
		};
	}
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
	let k = 0;
	while (k < bytes.length) {
		const b = bytes[k];
		if (b < 0x80) {
			k++;
			continue;
		}
		let need: number;
		let min: number;
		if (b >= 0xc2 && b <= 0xdf) {
			need = 1;
			min = 0x80;
		} else if (b >= 0xe0 && b <= 0xef) {
			need = 2;
			min = 0x800;
		} else if (b >= 0xf0 && b <= 0xf4) {
			need = 3;
			min = 0x10000;
		} else {
			return k;
		}
		let cp = b & (0x3f >> need);
		for (let j = 1; j <= need; j++) {
			const c = bytes[k + j];
			if (c === undefined || (c & 0xc0) !== 0x80) return k;
			cp = (cp << 6) | (c & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return k;
		k += need + 1;
	}
	return bytes.length;
}
