import { DEFAULT_SAMPLING, type AnswerSettings } from '../app/jobContext';
import type { SamplingOptions } from '../engine/generation/sampling';
import { isKvType, type KvType } from '../runtime/genai/adaptGraph';
import { isInt4Activations, type Int4Activations } from '../runtime/genai/int4Activations';
import type { RemoteEndpoint } from '../runtime/remoteEndpoint';

/** What the extension reads from `longrope.*`, checked, with defaults where a value is unusable. */
export interface Settings {
	readonly modelPath: string;
	readonly factorSet: string;
	readonly answerTokens: number;
	/** 0: the factor set's window. */
	readonly maxContextTokens: number;
	readonly maxKvCacheBytes: number;
	/** The KV cache's element type (float16: ONNX Runtime GenAI folders only). */
	readonly kvCachePrecision: KvType;
	/** What the int4 matmuls do with their input (ONNX Runtime GenAI folders only). */
	readonly int4Activations: Int4Activations;
	/** onnxruntime intra-op threads; 0: one per core. */
	readonly threads: number;
	/** Prompts show each file line after its number (off: as it is, fewer tokens). */
	readonly lineNumbers: boolean;
	readonly sampling: SamplingOptions;
	/** Read files behind links whose real path is outside the workspace (off: listed as skipped). */
	readonly followExternalLinks: boolean;
	/**
	 * An OpenAI-compatible endpoint that answers instead of the local model: text leaves the
	 * machine. Its API key is not a setting: it is kept in the editor's secret storage.
	 */
	readonly remote?: Omit<RemoteEndpoint, 'apiKey'> & { readonly contextWindow: number };
}

export const DEFAULTS = {
	answerTokens: 160,
	maxContextTokens: 0,
	maxKvCacheMB: 1024,
	kvCachePrecision: 'float32',
	int4Activations: 'exported',
	threads: 0,
	lineNumbers: true,
	...DEFAULT_SAMPLING,
} as const;

/** The one method of vscode.WorkspaceConfiguration this module needs. */
export interface SettingsSource {
	get<T>(key: string, fallback: T): T;
}

export interface CheckedSettings {
	readonly settings: Settings;
	/** For people: each value that was refused and what is used instead. */
	readonly problems: string[];
}

/**
 * Reads and checks the settings. A value of the wrong type or out of range is replaced by its
 * default and named in `problems`, so that one typo in settings.json does not stop the
 * extension; the editor also underlines it, from the schema in package.json.
 */
export function readSettings(settings: SettingsSource): CheckedSettings {
	const problems: string[] = [];
	const integer = (key: string, value: unknown, fallback: number, min: number, max: number) => {
		if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
			return value;
		}
		problems.push(
			`longrope.${key} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}; using ${fallback}`,
		);
		return fallback;
	};
	const real = (
		key: string,
		value: unknown,
		fallback: number,
		ok: (x: number) => boolean,
		range: string,
	) => {
		if (typeof value === 'number' && Number.isFinite(value) && ok(value)) return value;
		problems.push(
			`longrope.${key} must be a number ${range}, not ${JSON.stringify(value)}; using ${fallback}`,
		);
		return fallback;
	};
	const text = (key: string, value: unknown, fallback: string) => {
		if (typeof value === 'string') return value.trim();
		problems.push(`longrope.${key} must be a string, not ${JSON.stringify(value)}`);
		return fallback;
	};

	const modelPath = text('modelPath', settings.get<string>('modelPath', ''), '');
	const factorSet =
		text('factorSet', settings.get<string>('factorSet', 'auto'), 'auto') || 'auto';
	const answerTokens = integer(
		'answerTokens',
		settings.get<number>('answerTokens', DEFAULTS.answerTokens),
		DEFAULTS.answerTokens,
		1,
		32768,
	);
	const maxContextTokens = integer(
		'maxContextTokens',
		settings.get<number>('maxContextTokens', DEFAULTS.maxContextTokens),
		DEFAULTS.maxContextTokens,
		0,
		10_000_000,
	);
	if (maxContextTokens > 0 && maxContextTokens <= answerTokens) {
		problems.push(
			`longrope.maxContextTokens (${maxContextTokens}) leaves no room for a prompt with an answer budget of ${answerTokens} (longrope.answerTokens)`,
		);
	}
	const maxKvCacheMB = integer(
		'maxKvCacheMB',
		settings.get<number>('maxKvCacheMB', DEFAULTS.maxKvCacheMB),
		DEFAULTS.maxKvCacheMB,
		16,
		1024 * 1024,
	);
	const precision = settings.get<unknown>('kvCachePrecision', DEFAULTS.kvCachePrecision);
	let kvCachePrecision: KvType = DEFAULTS.kvCachePrecision;
	if (isKvType(precision)) {
		kvCachePrecision = precision;
	} else {
		problems.push(
			`longrope.kvCachePrecision must be "float32" or "float16", not ${JSON.stringify(precision)}; using ${DEFAULTS.kvCachePrecision}`,
		);
	}
	const activations = settings.get<unknown>('int4Activations', DEFAULTS.int4Activations);
	let int4Activations: Int4Activations = DEFAULTS.int4Activations;
	if (isInt4Activations(activations)) {
		int4Activations = activations;
	} else {
		problems.push(
			`longrope.int4Activations must be "exported", "int8" or "float32", not ${JSON.stringify(activations)}; using ${DEFAULTS.int4Activations}`,
		);
	}
	const threads = integer(
		'threads',
		settings.get<number>('threads', DEFAULTS.threads),
		DEFAULTS.threads,
		0,
		256,
	);
	const numbers = settings.get<unknown>('lineNumbers', DEFAULTS.lineNumbers);
	let lineNumbers: boolean = DEFAULTS.lineNumbers;
	if (typeof numbers === 'boolean') {
		lineNumbers = numbers;
	} else {
		problems.push(
			`longrope.lineNumbers must be true or false, not ${JSON.stringify(numbers)}; using ${DEFAULTS.lineNumbers}`,
		);
	}
	const temperature = real(
		'sampling.temperature',
		settings.get<number>('sampling.temperature', DEFAULTS.temperature),
		DEFAULTS.temperature,
		(x) => x >= 0 && x <= 5,
		'from 0 to 5',
	);
	const topP = real(
		'sampling.topP',
		settings.get<number>('sampling.topP', DEFAULTS.topP),
		DEFAULTS.topP,
		(x) => x > 0 && x <= 1,
		'above 0 and at most 1',
	);
	const topK = integer(
		'sampling.topK',
		settings.get<number>('sampling.topK', DEFAULTS.topK),
		DEFAULTS.topK,
		0,
		1_000_000,
	);
	const repetitionPenalty = real(
		'sampling.repetitionPenalty',
		settings.get<number>('sampling.repetitionPenalty', DEFAULTS.repetitionPenalty),
		DEFAULTS.repetitionPenalty,
		(x) => x >= 1 && x <= 3,
		'from 1 to 3',
	);
	const remoteUrl = text('remote.url', settings.get<string>('remote.url', ''), '');
	const remoteModel = text('remote.model', settings.get<string>('remote.model', ''), '');
	const remoteWindow = integer(
		'remote.contextWindow',
		settings.get<number>('remote.contextWindow', 0),
		0,
		0,
		10_000_000,
	);
	let remote: Settings['remote'];
	if (remoteUrl) {
		const problem = endpointProblem(remoteUrl);
		if (problem) {
			problems.push(`longrope.remote.url ${problem}; using the local model`);
		} else if (!remoteModel) {
			problems.push(
				'longrope.remote.model must name the model to ask; using the local model',
			);
		} else {
			remote = { url: remoteUrl, model: remoteModel, contextWindow: remoteWindow };
		}
	}
	return {
		settings: {
			...(remote ? { remote } : {}),
			modelPath,
			factorSet,
			answerTokens,
			maxContextTokens,
			maxKvCacheBytes: maxKvCacheMB * 1024 * 1024,
			kvCachePrecision,
			int4Activations,
			threads,
			lineNumbers,
			sampling: { temperature, topP, topK, repetitionPenalty },
			followExternalLinks: settings.get<boolean>('followExternalLinks', false) === true,
		},
		problems,
	};
}

/** Hosts that are this machine: plain http to them never crosses a network. */
function isLoopback(hostname: string): boolean {
	const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
	return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Why an endpoint URL is refused, or undefined: https anywhere, plain http only to this machine
 * (the workspace text and the key would otherwise cross the network unencrypted).
 */
export function endpointProblem(url: string): string | undefined {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return `must be a URL such as https://host:8000/v1, not ${JSON.stringify(url)}`;
	}
	if (parsed.protocol === 'https:') return undefined;
	if (parsed.protocol !== 'http:') {
		return `must be an https URL (or http to this machine), not ${JSON.stringify(url)}`;
	}
	if (isLoopback(parsed.hostname)) return undefined;
	return `uses plain http to ${parsed.host}: workspace text and the API key would cross the network unencrypted; use https (plain http only to localhost, 127.0.0.0/8 or [::1])`;
}

/** How the editor's requests are answered, from the settings. */
export function answerSettings(settings: Settings): AnswerSettings {
	return {
		answerTokens: settings.answerTokens,
		override: settings.factorSet,
		sampling: settings.sampling,
		...(settings.maxContextTokens > 0
			? {
					cap: {
						tokens: settings.maxContextTokens,
						reason: 'the context cap (longrope.maxContextTokens)',
					},
				}
			: {}),
	};
}
