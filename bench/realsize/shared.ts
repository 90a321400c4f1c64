/** What the real-size benchmark's children are asked to do and report back (one JSON line). */

export type SideName = 'engine' | 'bare' | 'transformers.js';

export interface SideJob {
	readonly side: SideName;
	/** Shown in the tables: the side, with the commit for an engine at another commit. */
	readonly label: string;
	readonly kind: string;
	readonly folder: string;
	/** Prompt lengths, in this order; each is prefilled, then DECODE steps run on top of it. */
	readonly lengths: readonly number[];
	readonly decodeSteps: number;
	/** The prompt length whose cached prefix a follow-up question reuses (0: none). */
	readonly followUp: number;
	/** onnxruntime intra-op threads (0: onnxruntime's default). */
	readonly threads: number;
	/** Tokens per prefill run, for the engine and the bare loop. */
	readonly prefillChunk: number;
	/** The checkout whose engine runs (the engine side only; default: this one). */
	readonly engineRoot?: string;
	/** The engine's KV cache element type (default float32). */
	readonly kvType?: 'float32' | 'float16';
	/** What the engine's int4 matmuls do with their input (default: as exported). */
	readonly int4Activations?: 'int8' | 'float32';
}

/** A side as named on the command line: `side[@gitref][/t<threads>][/c<chunk>][/f16][/a8|/a32]`. */
export interface SideSpec {
	readonly label: string;
	readonly side: SideName;
	readonly ref?: string;
	readonly threads?: number;
	readonly chunk?: number;
	readonly kvType?: 'float16';
	readonly int4Activations?: 'int8' | 'float32';
}

const SIDES: readonly SideName[] = ['engine', 'bare', 'transformers.js'];

export function parseSide(label: string): SideSpec {
	const [head, ...options] = label.split('/');
	const [side, ref] = head.split('@') as [SideName, string | undefined];
	if (!SIDES.includes(side)) throw new Error(`unknown side ${side} in ${label}`);
	if (ref !== undefined && side !== 'engine')
		throw new Error(`only the engine runs at a commit: ${label}`);
	let spec: SideSpec = { label, side, ...(ref ? { ref } : {}) };
	for (const option of options) {
		const value = Number(option.slice(1));
		if (option === 'f16') spec = { ...spec, kvType: 'float16' };
		else if (option === 'a8') spec = { ...spec, int4Activations: 'int8' };
		else if (option === 'a32') spec = { ...spec, int4Activations: 'float32' };
		else if (option[0] === 't' && Number.isInteger(value)) spec = { ...spec, threads: value };
		else if (option[0] === 'c' && value > 0) spec = { ...spec, chunk: value };
		else
			throw new Error(
				`unknown option ${option} in ${label} (t<threads>, c<chunk>, f16, a8, a32)`,
			);
	}
	return spec;
}

export interface LengthRow {
	readonly length: number;
	readonly prefillTokensPerSecond: number;
	readonly decodeTokensPerSecond: number;
	readonly timeToFirstTokenMs: number;
	/** KV bytes held for this request (the engine: its planned cache; the bare loop: the past). */
	readonly kvBytes: number;
	/** Greedy answer ids (agreement between sides). */
	readonly greedy: readonly number[];
}

export interface SideReport {
	readonly label: string;
	readonly kind: string;
	readonly loadMs: number;
	readonly rows: readonly LengthRow[];
	/** A follow-up question on the reused prefix of a `contextTokens` prompt and its answer. */
	readonly followUp?: {
		readonly contextTokens: number;
		readonly timeToFirstTokenMs: number;
		/** The KV bytes of the follow-up's plan (the engine's: the largest it holds). */
		readonly kvBytes?: number;
	};
	/** Resident memory once the model is loaded, before any request. */
	readonly loadRssMiB: number;
	readonly peakRssMiB: number;
	/** Set when the side could not run (e.g. a library that does not load the folder). */
	readonly error?: string;
	readonly notes?: readonly string[];
}

/** Tokens of the follow-up question. */
export const QUESTION_TOKENS = 32;
/** Ids below this are the replicas' bytes, merges and specials; filler words follow. */
const FIRST_PLAIN_ID = 320;

/** A deterministic prompt of `n` plain ids (no specials, so no stop token can appear in it). */
export function promptIds(n: number, vocab: number, seed = 1): number[] {
	const span = vocab - FIRST_PLAIN_ID;
	return Array.from(
		{ length: n },
		(_, i) => FIRST_PLAIN_ID + ((i * 7919 + seed * 104_729) % span),
	);
}

export function median(xs: readonly number[]): number {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function rssMiB(): number {
	return process.memoryUsage().rss / 2 ** 20;
}

export function peakRssMiB(): number {
	return process.resourceUsage().maxRSS / 1024;
}
