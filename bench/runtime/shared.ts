/** What each benchmark child measures and reports back as one JSON line. */
export interface EngineReport {
	readonly engine: 'longrope' | 'bare' | 'transformers.js';
	/** tokens → prefill tokens per second */
	readonly prefill: Record<number, number>;
	/** cached tokens → decode tokens per second */
	readonly decode: Record<number, number>;
	readonly followUp?: {
		readonly withReuseMs: number;
		readonly fullPrefillMs: number;
		readonly contextTokens: number;
	};
	/** Perplexity evaluation (the search's fitness): tokens scored per second at 2048 tokens. */
	readonly perplexityTokensPerSecond?: number;
	/** Greedy tokens after the decode prompt: engines running the same weights must agree. */
	readonly greedy: Record<number, number[]>;
	readonly peakRssMiB: number;
}

// Long enough that one timing spans a few hundred milliseconds on the bundled model: at 32 steps
// (60 ms at 2048 cached) a single scheduler hiccup moved a paired engine/bare ratio by 0.3.
export const DECODE_STEPS = 128;
export const PREFILL_CHUNK = 256;
/** An untimed first request per engine: session warm-up is not what is compared. */
export const WARM_UP = 64;

/** A deterministic prompt of `n` ordinary tokens (ids past the 7 special tokens). */
export function promptIds(n: number, seed = 1): number[] {
	return Array.from({ length: n }, (_, i) => 7 + ((i * 131 + seed * 17) % 4000));
}

export function median(xs: readonly number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)];
}

export function peakRssMiB(): number {
	return process.resourceUsage().maxRSS / 1024;
}
