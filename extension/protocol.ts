/**
 * The messages between the extension host and the webviews (chat and diagnostics). Bundled into
 * both sides, so it imports nothing. Every message has a `type`; messages that belong to a
 * request carry its `requestId`. A webview announces itself with `ready` and the host answers
 * with `init`; the host sends nothing before that, because a webview that is still loading drops
 * messages. Both sides check every message they receive at run time with the validators below
 * and drop (and log) anything that does not match: a webview is untrusted, and so is what the
 * model writes.
 */
export const PROTOCOL_VERSION = 3;

export type ViewKind = 'chat' | 'diagnostics';

// ---- Data carried by messages ----------------------------------------------------------------

export type TurnRole = 'user' | 'assistant';

/** One entry of the chat history as the webview shows it (markdown for the assistant). */
export interface ChatTurn {
	readonly id: string;
	readonly role: TurnRole;
	readonly text: string;
	/** Assistant turns: how the answer ended. */
	readonly outcome?: 'done' | 'stopped' | 'error';
	/** Assistant turns: a note under the answer (what was left out of the context, errors). */
	readonly note?: string;
	/** Assistant turns: the files (and lines) the model was shown. */
	readonly sources?: readonly SourceRef[];
	/** Assistant turns: the `path:line` citations the host found among what the model was shown. */
	readonly citations?: readonly CitationRef[];
}

/** A citation as the model wrote it (`text`), and the file and line it was checked to name. */
export interface CitationRef {
	readonly text: string;
	readonly path: string;
	readonly line: number;
}

export interface SourceRef {
	readonly path: string;
	readonly from: number;
	readonly to: number;
}

/** The state the status bar and the chat's header show. */
export interface EngineStatus {
	/** The model folder's name, or undefined before one is resolved. */
	readonly model?: string;
	readonly state: 'idle' | 'loading' | 'busy' | 'error' | 'no-model';
	readonly set?: string;
	/** Tokens the last request planned (prompt + answer budget), and the window it had. */
	readonly contextUsed?: number;
	readonly contextWindow?: number;
	/** Set when workspace text is sent off this machine (a remote endpoint). */
	readonly remote?: string;
	/** The small model bundled with the extension answers: a demonstration, not a real model. */
	readonly demo?: boolean;
	readonly detail?: string;
}

export type ProgressPhase =
	'loading' | 'scanning' | 'packing' | 'prefill' | 'generating' | 'search';

export interface ProgressInfo {
	readonly phase: ProgressPhase;
	readonly done: number;
	readonly total: number;
	readonly etaSeconds?: number;
	readonly tokensPerSecond?: number;
	readonly detail?: string;
}

export interface BudgetInfo {
	readonly window: number;
	readonly windowSet: string;
	readonly template: number;
	readonly context: number;
	readonly question: number;
	/** Earlier turns of the chat that went back to the model. */
	readonly history: number;
	readonly answer: number;
	readonly free: number;
	readonly limit?: string;
}

export interface ManifestRow {
	readonly path: string;
	readonly status: string;
	readonly reason: string;
	readonly tokens: number;
	readonly fileTokens?: number;
	readonly priority?: string;
	readonly lines?: string;
}

export interface FactorInfo {
	readonly set: string;
	readonly method: string;
	readonly reason: string;
	readonly warning?: string;
	readonly plannedLength: number;
	readonly originalWindow: number;
	readonly setWindow: number;
	readonly maxWindow: number;
	readonly nHat: number;
	readonly attentionFactor: number;
	/** λ_i per rotary pair. */
	readonly factors: readonly number[];
	readonly sets: readonly { readonly name: string; readonly maxLength: number }[];
}

/** What the loaded model is: its format, context windows and factor sets, memory per token. */
export interface ModelDetails {
	/** The project's own graph, an ONNX Runtime GenAI export, or an OpenAI-compatible endpoint. */
	readonly format: 'own' | 'ort-genai' | 'openai';
	readonly location: string;
	readonly originalWindow: number;
	readonly maxWindow: number;
	readonly sets: readonly { readonly name: string; readonly maxLength: number }[];
	readonly kvBytesPerToken: number;
	readonly warnings: readonly string[];
}

export interface SpeedInfo {
	readonly promptTokens: number;
	readonly reusedTokens: number;
	readonly newTokens: number;
	readonly timeToFirstTokenMs: number;
	readonly prefillTokensPerSecond: number;
	readonly decodeTokensPerSecond: number;
	readonly stopReason: string;
}

export interface KvInfo {
	readonly plannedBytes: number;
	readonly usedBytes?: number;
	readonly capBytes: number;
}

/** Everything the diagnostics view shows about the last request (each part when known). */
export interface Diagnostics {
	readonly model?: string;
	readonly modelDetails?: ModelDetails;
	readonly budget?: BudgetInfo;
	readonly files?: readonly ManifestRow[];
	readonly kv?: KvInfo;
	readonly factors?: FactorInfo;
	readonly speed?: SpeedInfo;
	readonly cacheRebuilt?: string;
}

// ---- Messages --------------------------------------------------------------------------------

export type WebviewToHost =
	| { type: 'ready'; protocolVersion: number; view: ViewKind }
	| { type: 'ask'; requestId: string; text: string }
	| { type: 'stop'; requestId?: string }
	| { type: 'newChat' }
	| { type: 'openCitation'; path: string; line: number }
	| { type: 'copy'; text: string }
	| { type: 'command'; command: 'showDiagnostics' | 'chooseFactorSet' | 'selectModel' };

export type HostToWebview =
	| {
			type: 'init';
			protocolVersion: number;
			view: ViewKind;
			history: readonly ChatTurn[];
			status: EngineStatus;
			diagnostics: Diagnostics;
	  }
	| { type: 'status'; status: EngineStatus }
	| { type: 'turnStart'; requestId: string; user: ChatTurn; assistantId: string }
	| { type: 'progress'; requestId: string; progress: ProgressInfo }
	| { type: 'delta'; requestId: string; text: string; reset?: boolean }
	| {
			type: 'turnEnd';
			requestId: string;
			outcome: 'done' | 'stopped' | 'error';
			text: string;
			note?: string;
			sources?: readonly SourceRef[];
			citations?: readonly CitationRef[];
	  }
	| { type: 'history'; history: readonly ChatTurn[] }
	| { type: 'diagnostics'; diagnostics: Diagnostics }
	| { type: 'error'; requestId?: string; message: string };

// ---- Run-time checks -------------------------------------------------------------------------

const MAX_TEXT = 1_000_000;

type Check = (value: unknown) => boolean;

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const str: Check = (v) => typeof v === 'string' && v.length <= MAX_TEXT;
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const nonNegInt: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const optional =
	(check: Check): Check =>
	(v) =>
		v === undefined || check(v);
const oneOf =
	(...values: readonly string[]): Check =>
	(v) =>
		typeof v === 'string' && values.includes(v);
const arrayOf =
	(check: Check, max = 100_000): Check =>
	(v) =>
		Array.isArray(v) && v.length <= max && v.every(check);
const shape =
	(fields: Record<string, Check>): Check =>
	(v) =>
		isRecord(v) && Object.entries(fields).every(([key, check]) => check(v[key]));

const requestId: Check = (v) => typeof v === 'string' && /^[\w-]{1,64}$/.test(v);
const viewKind = oneOf('chat', 'diagnostics');
const outcome = oneOf('done', 'stopped', 'error');

const sourceRef = shape({
	path: (v) => typeof v === 'string' && v.length > 0 && v.length <= 4096,
	from: nonNegInt,
	to: nonNegInt,
});

const citationRef = shape({
	text: (v) => typeof v === 'string' && v.length > 0 && v.length <= 4096,
	path: (v) => typeof v === 'string' && v.length > 0 && v.length <= 4096,
	line: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 1,
});

const chatTurn = shape({
	id: requestId,
	role: oneOf('user', 'assistant'),
	text: str,
	outcome: optional(outcome),
	note: optional(str),
	sources: optional(arrayOf(sourceRef, 10_000)),
	citations: optional(arrayOf(citationRef, 10_000)),
});

const engineStatus = shape({
	model: optional(str),
	state: oneOf('idle', 'loading', 'busy', 'error', 'no-model'),
	set: optional(str),
	contextUsed: optional(nonNegInt),
	contextWindow: optional(nonNegInt),
	remote: optional(str),
	demo: optional((v) => typeof v === 'boolean'),
	detail: optional(str),
});

const progressInfo = shape({
	phase: oneOf('loading', 'scanning', 'packing', 'prefill', 'generating', 'search'),
	done: num,
	total: num,
	etaSeconds: optional(num),
	tokensPerSecond: optional(num),
	detail: optional(str),
});

const diagnostics = shape({
	model: optional(str),
	modelDetails: optional(
		shape({
			format: oneOf('own', 'ort-genai', 'openai'),
			location: str,
			originalWindow: nonNegInt,
			maxWindow: nonNegInt,
			sets: arrayOf(shape({ name: str, maxLength: nonNegInt }), 1000),
			kvBytesPerToken: nonNegInt,
			warnings: arrayOf(str, 100),
		}),
	),
	budget: optional(
		shape({
			window: nonNegInt,
			windowSet: str,
			template: nonNegInt,
			context: nonNegInt,
			question: nonNegInt,
			history: nonNegInt,
			answer: nonNegInt,
			free: num,
			limit: optional(str),
		}),
	),
	files: optional(
		arrayOf(
			shape({
				path: str,
				status: str,
				reason: str,
				tokens: nonNegInt,
				fileTokens: optional(nonNegInt),
				priority: optional(str),
				lines: optional(str),
			}),
		),
	),
	kv: optional(
		shape({ plannedBytes: nonNegInt, usedBytes: optional(nonNegInt), capBytes: nonNegInt }),
	),
	factors: optional(
		shape({
			set: str,
			method: str,
			reason: str,
			warning: optional(str),
			plannedLength: nonNegInt,
			originalWindow: nonNegInt,
			setWindow: nonNegInt,
			maxWindow: nonNegInt,
			nHat: nonNegInt,
			attentionFactor: num,
			factors: arrayOf(num, 4096),
			sets: arrayOf(shape({ name: str, maxLength: nonNegInt }), 256),
		}),
	),
	speed: optional(
		shape({
			promptTokens: nonNegInt,
			reusedTokens: nonNegInt,
			newTokens: nonNegInt,
			timeToFirstTokenMs: num,
			prefillTokensPerSecond: num,
			decodeTokensPerSecond: num,
			stopReason: str,
		}),
	),
	cacheRebuilt: optional(str),
});

const WEBVIEW_TO_HOST: { [K in WebviewToHost['type']]: Check } = {
	ready: shape({ protocolVersion: num, view: viewKind }),
	ask: shape({
		requestId,
		text: (v) => typeof v === 'string' && v.trim().length > 0 && v.length <= 100_000,
	}),
	stop: shape({ requestId: optional(requestId) }),
	newChat: () => true,
	openCitation: shape({
		path: (v) => typeof v === 'string' && v.length > 0 && v.length <= 4096,
		line: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 1,
	}),
	copy: shape({ text: str }),
	command: shape({ command: oneOf('showDiagnostics', 'chooseFactorSet', 'selectModel') }),
};

const HOST_TO_WEBVIEW: { [K in HostToWebview['type']]: Check } = {
	init: shape({
		protocolVersion: num,
		view: viewKind,
		history: arrayOf(chatTurn),
		status: engineStatus,
		diagnostics,
	}),
	status: shape({ status: engineStatus }),
	turnStart: shape({ requestId, user: chatTurn, assistantId: requestId }),
	progress: shape({ requestId, progress: progressInfo }),
	delta: shape({ requestId, text: str, reset: optional((v) => typeof v === 'boolean') }),
	turnEnd: shape({
		requestId,
		outcome,
		text: str,
		note: optional(str),
		sources: optional(arrayOf(sourceRef, 10_000)),
		citations: optional(arrayOf(citationRef, 10_000)),
	}),
	history: shape({ history: arrayOf(chatTurn) }),
	diagnostics: shape({ diagnostics }),
	error: shape({ requestId: optional(requestId), message: str }),
};

function check(table: Record<string, Check>, value: unknown): boolean {
	if (!isRecord(value) || typeof value.type !== 'string') return false;
	const validator = Object.prototype.hasOwnProperty.call(table, value.type)
		? table[value.type]
		: undefined;
	return validator !== undefined && validator(value);
}

export function isWebviewToHost(value: unknown): value is WebviewToHost {
	return check(WEBVIEW_TO_HOST, value);
}

export function isHostToWebview(value: unknown): value is HostToWebview {
	return check(HOST_TO_WEBVIEW, value);
}

/** The `never` check at the end of every switch over a message union. */
export function assertNever(value: never): never {
	throw new Error(`Unhandled message: ${JSON.stringify(value)}`);
}

/**
 * `path:line` citations in model output: a relative path with an extension (or a dotfile),
 * a colon and a 1-based line, optionally `-line` or `:column`. Shared so that the webview's
 * links and the host's checks agree.
 */
export const CITATION_PATTERN =
	/(?<![\w/.:-])((?:[\w@.-]+\/)*[\w@.-]*\.[A-Za-z][\w-]*):(\d{1,7})(?:[-–](\d{1,7})|:(\d{1,5}))?(?![\w])/g;
