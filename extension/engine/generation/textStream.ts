/**
 * Turns generated token ids into text deltas without ever splitting a character: a byte-level
 * token can end inside a multi-byte UTF-8 sequence, which decodes to U+FFFD until the rest
 * arrives, so such a tail is held back.
 */
export class TextStream {
	private pending: number[] = [];

	constructor(private readonly decode: (ids: readonly number[]) => string) {}

	/** Text that became complete with this token ('' while a character is unfinished). */
	push(id: number): string {
		this.pending.push(id);
		const text = this.decode(this.pending);
		if (text.endsWith('\uFFFD') && this.pending.length < 4) return '';
		this.pending = [];
		return text;
	}

	/** Whatever is left at the end, invalid bytes shown as U+FFFD. */
	flush(): string {
		const text = this.pending.length > 0 ? this.decode(this.pending) : '';
		this.pending = [];
		return text;
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
