/**
 * Turns generated token ids into text deltas whose concatenation is exactly the decoded answer.
 * Tokens are not decoded one by one: a SentencePiece decoder drops the `▁` space that starts a
 * text, so each token alone would lose its space. Instead a short window of recent tokens is
 * decoded and the text it gained is emitted (the windows of vLLM's incremental detokenizer). A
 * token can also end inside a multi-byte UTF-8 character (byte-level BPE, or SentencePiece's
 * byte fallback `<0xE2>`), which decodes to U+FFFD until the rest arrives, so such a tail is held
 * back, for at most three tokens.
 */
export class TextStream {
	private readonly ids: number[] = [];
	/** Where the decoded window starts: a token whose text was already emitted. */
	private windowStart = 0;
	/** Tokens before this one have been emitted. */
	private emittedUpTo = 0;

	constructor(private readonly decode: (ids: readonly number[]) => string) {}

	/** Text that became complete with this token ('' while a character is unfinished). */
	push(id: number): string {
		this.ids.push(id);
		return this.emit(false);
	}

	/** Whatever is left at the end, invalid bytes shown as U+FFFD. */
	flush(): string {
		return this.emit(true);
	}

	private emit(force: boolean): string {
		if (this.emittedUpTo === this.ids.length) return '';
		const before = this.text(this.windowStart, this.emittedUpTo);
		const after = this.text(this.windowStart, this.ids.length);
		const pending = this.ids.length - this.emittedUpTo;
		if (!force && after.endsWith('\uFFFD') && pending < 4) return '';
		// The window may only decode to more text; if a decoder ever rewrote its start, emit nothing
		// rather than text that was already given out.
		const delta = after.startsWith(before) ? after.slice(before.length) : '';
		this.windowStart = this.emittedUpTo;
		this.emittedUpTo = this.ids.length;
		return delta;
	}

	private text(from: number, to: number): string {
		return to > from ? this.decode(this.ids.slice(from, to)) : '';
	}
}

/**
 * Cuts the stream at the first stop string. Text that could still become a stop string is held
 * back, so a stop string never reaches the reader, even when it arrives split over tokens.
 */
export class StopStringFilter {
	private held = '';
	private stoppedAt = false;

	constructor(private readonly stops: readonly string[]) {
		if (stops.some((s) => s.length === 0)) throw new Error('stop strings must not be empty');
	}

	get stopped(): boolean {
		return this.stoppedAt;
	}

	push(delta: string): string {
		if (this.stoppedAt) return '';
		const text = this.held + delta;
		let cut = -1;
		for (const stop of this.stops) {
			const at = text.indexOf(stop);
			if (at >= 0 && (cut < 0 || at < cut)) cut = at;
		}
		if (cut >= 0) {
			this.stoppedAt = true;
			this.held = '';
			return text.slice(0, cut);
		}
		const keep = this.partialStopLength(text);
		this.held = text.slice(text.length - keep);
		return text.slice(0, text.length - keep);
	}

	flush(): string {
		const text = this.stoppedAt ? '' : this.held;
		this.held = '';
		return text;
	}

	/** Length of the longest suffix of `text` that is a proper prefix of some stop string. */
	private partialStopLength(text: string): number {
		let best = 0;
		for (const stop of this.stops) {
			for (let n = Math.min(stop.length - 1, text.length); n > best; n--) {
				if (text.endsWith(stop.slice(0, n))) {
					best = n;
					break;
				}
			}
		}
		return best;
	}
}
