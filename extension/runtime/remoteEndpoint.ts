import { CancellationError, type CancellationToken } from '../engine/cancellation';
import type { ChatMessage } from '../engine/generation/chatTemplate';
import type { SamplingOptions } from '../engine/generation/sampling';

/** An OpenAI-compatible chat endpoint (vLLM, llama.cpp's server, …). */
export interface RemoteEndpoint {
	/** Base URL up to the API version, e.g. `http://localhost:8000/v1`. */
	readonly url: string;
	readonly model: string;
	readonly apiKey?: string;
}

export interface RemoteRequest {
	readonly messages: readonly ChatMessage[];
	readonly maxTokens: number;
	readonly sampling: SamplingOptions;
}

/** `data:` payloads of a server-sent-events body, as they complete; `[DONE]` ends. */
export class SseParser {
	private buffer = '';

	push(chunk: string): string[] {
		this.buffer += chunk;
		const events: string[] = [];
		for (;;) {
			const end = this.buffer.search(/\r?\n\r?\n/);
			if (end < 0) break;
			const block = this.buffer.slice(0, end);
			this.buffer = this.buffer.slice(end).replace(/^\r?\n\r?\n/, '');
			const data = block
				.split(/\r?\n/)
				.filter((line) => line.startsWith('data:'))
				.map((line) => line.slice(5).replace(/^ /, ''))
				.join('\n');
			if (data) events.push(data);
		}
		return events;
	}
}

export function chatCompletionsUrl(base: string): string {
	return `${base.replace(/\/+$/, '')}/chat/completions`;
}

/**
 * Streams an answer from the endpoint as text deltas; the return value says why it ended.
 * Cancelling aborts the HTTP request.
 */
export async function* streamRemoteChat(
	endpoint: RemoteEndpoint,
	request: RemoteRequest,
	token?: CancellationToken,
): AsyncGenerator<string, 'stop-token' | 'max-tokens'> {
	const abort = new AbortController();
	const subscription = token?.onCancellationRequested(() => abort.abort());
	try {
		const response = await fetch(chatCompletionsUrl(endpoint.url), {
			method: 'POST',
			signal: abort.signal,
			headers: {
				'content-type': 'application/json',
				accept: 'text/event-stream',
				...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}),
			},
			body: JSON.stringify({
				model: endpoint.model,
				messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
				max_tokens: request.maxTokens,
				temperature: request.sampling.temperature ?? 0,
				top_p: request.sampling.topP ?? 1,
				stream: true,
			}),
		}).catch((err: Error) => {
			if (token?.isCancellationRequested) throw new CancellationError();
			throw new Error(`cannot reach ${endpoint.url}: ${err.message}`);
		});
		if (!response.ok || !response.body) {
			const detail = (await response.text().catch(() => '')).slice(0, 300);
			throw new Error(
				`${endpoint.url} answered ${response.status} ${response.statusText}${detail ? `: ${detail}` : ''}`,
			);
		}
		const parser = new SseParser();
		const decoder = new TextDecoder();
		let finish: string | undefined;
		const reader = response.body.getReader();
		for (;;) {
			let chunk: ReadableStreamReadResult<Uint8Array>;
			try {
				chunk = await reader.read();
			} catch (err) {
				if (token?.isCancellationRequested) throw new CancellationError();
				throw err;
			}
			if (chunk.done) break;
			for (const data of parser.push(decoder.decode(chunk.value, { stream: true }))) {
				if (data === '[DONE]') return finish === 'length' ? 'max-tokens' : 'stop-token';
				let event: {
					choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
				};
				try {
					event = JSON.parse(data) as typeof event;
				} catch {
					continue;
				}
				const choice = event.choices?.[0];
				if (choice?.finish_reason) finish = choice.finish_reason;
				const text = choice?.delta?.content;
				if (text) yield text;
			}
		}
		return finish === 'length' ? 'max-tokens' : 'stop-token';
	} finally {
		subscription?.dispose();
	}
}

/** How long a window lookup may take before the default is used. */
const WINDOW_LOOKUP_MS = 5000;

/**
 * The context window the server says it serves the model with: vLLM lists `max_model_len` per
 * model in `GET /models`. Undefined when it does not say (or cannot be reached in time).
 */
export async function fetchServedWindow(
	endpoint: RemoteEndpoint,
): Promise<{ window: number; source: string } | undefined> {
	const url = `${endpoint.url.replace(/\/+$/, '')}/models`;
	try {
		const response = await fetch(url, {
			signal: AbortSignal.timeout(WINDOW_LOOKUP_MS),
			headers: endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {},
		});
		if (!response.ok) return undefined;
		const body = (await response.json()) as {
			data?: { id?: string; max_model_len?: unknown }[];
		};
		const entry = body.data?.find((m) => m.id === endpoint.model);
		const window = entry?.max_model_len;
		if (typeof window !== 'number' || !Number.isInteger(window) || window <= 0) {
			return undefined;
		}
		return { window, source: `max_model_len from ${url}` };
	} catch {
		return undefined;
	}
}

/**
 * The prompt's length as the server counts it, with its own tokenizer and chat template, where it
 * offers that (vLLM's `POST /tokenize`, beside `/v1`); undefined where it does not.
 */
export async function countServedTokens(
	endpoint: RemoteEndpoint,
	messages: readonly ChatMessage[],
	token?: CancellationToken,
): Promise<number | undefined> {
	const url = `${endpoint.url.replace(/\/+$/, '').replace(/\/v1$/, '')}/tokenize`;
	const abort = new AbortController();
	const subscription = token?.onCancellationRequested(() => abort.abort());
	try {
		const response = await fetch(url, {
			method: 'POST',
			signal: AbortSignal.any([abort.signal, AbortSignal.timeout(WINDOW_LOOKUP_MS)]),
			headers: {
				'content-type': 'application/json',
				...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}),
			},
			body: JSON.stringify({
				model: endpoint.model,
				messages: messages.map((m) => ({ role: m.role, content: m.content })),
				add_generation_prompt: true,
			}),
		});
		if (!response.ok) return undefined;
		const count = ((await response.json()) as { count?: unknown }).count;
		return typeof count === 'number' && Number.isInteger(count) && count >= 0
			? count
			: undefined;
	} catch {
		if (token?.isCancellationRequested) throw new CancellationError();
		return undefined;
	} finally {
		subscription?.dispose();
	}
}
