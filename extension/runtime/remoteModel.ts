import {
	buildChatPrompt,
	type ChatMessage,
	type ChatPrompt,
} from '../engine/generation/chatTemplate';
import type { TextTokenizer } from '../engine/generation/tokenizer';
import type { CancellationToken } from '../engine/cancellation';
import type {
	ContextWindows,
	GenerationHooks,
	GenerationRequest,
	GenerationStats,
	LanguageModel,
	ModelDescription,
	ModelSession,
	PlanInfo,
} from '../engine/model/languageModel';
import {
	countServedTokens,
	fetchServedWindow,
	streamRemoteChat,
	type RemoteEndpoint,
} from './remoteEndpoint';

/** How much a local tokenizer may undercount a served model's tokens: budgets keep this back. */
export const REMOTE_COUNT_MARGIN = 0.15;
/** The window assumed when neither the settings nor the server say (a common served length). */
export const DEFAULT_REMOTE_WINDOW = 4096;

export interface RemoteModelOptions {
	readonly endpoint: RemoteEndpoint;
	/** A tokenizer to count with: the served model's tokens are not known here. */
	readonly tokenizer: TextTokenizer;
	/** The window from the settings; 0 or undefined asks the server (vLLM's `max_model_len`). */
	readonly window?: number;
}

/**
 * An OpenAI-compatible endpoint (vLLM, llama.cpp's server) as a language model. Nothing local is
 * loaded but a tokenizer to count with, and counts keep a margin because they are estimates. The
 * prompt leaves this machine.
 */
export class RemoteModel implements LanguageModel {
	readonly description: ModelDescription;
	readonly countMargin = REMOTE_COUNT_MARGIN;
	readonly kvBytesPerToken = 0;
	readonly stopStrings: readonly string[] = [];

	private constructor(
		readonly endpoint: RemoteEndpoint,
		readonly tokenizer: TextTokenizer,
		readonly windows: ContextWindows,
	) {
		this.description = {
			name: endpoint.model,
			kind: 'remote',
			format: 'openai',
			location: endpoint.url,
		};
	}

	static async open(options: RemoteModelOptions): Promise<RemoteModel> {
		let windows: ContextWindows;
		if (options.window && options.window > 0) {
			windows = {
				kind: 'fixed',
				window: options.window,
				source: 'longrope.remote.contextWindow',
			};
		} else {
			const served = await fetchServedWindow(options.endpoint);
			windows = served
				? { kind: 'fixed', window: served.window, source: served.source }
				: {
						kind: 'fixed',
						window: DEFAULT_REMOTE_WINDOW,
						source: `assumed: ${options.endpoint.url} does not say its window; set longrope.remote.contextWindow`,
					};
		}
		return new RemoteModel(options.endpoint, options.tokenizer, windows);
	}

	/** An estimate of the served template: the endpoint renders its own. */
	renderChat(messages: readonly ChatMessage[]): ChatPrompt {
		return buildChatPrompt(this.tokenizer, messages);
	}

	openSession(): ModelSession {
		return new RemoteSession(this);
	}

	dispose(): void {}
}

class RemoteSession implements ModelSession {
	constructor(private readonly model: RemoteModel) {}

	async *generate(
		request: GenerationRequest,
		token?: CancellationToken,
		hooks: GenerationHooks = {},
	): AsyncGenerator<string, GenerationStats> {
		const { plan } = request;
		const { endpoint } = this.model;
		// The local count is an estimate; the server's own, where it gives one, is the prompt.
		const served = await countServedTokens(endpoint, plan.messages, token);
		const promptTokens = served ?? plan.promptIds.length;
		const plannedLength = promptTokens + plan.answerTokens;
		const window = plan.choice.window;
		if (served !== undefined && plannedLength > window) {
			throw new Error(
				`${endpoint.model} counts ${served} prompt tokens (estimated ${plan.promptIds.length}); with the ${plan.answerTokens}-token answer that is past its ${window}-token window: lower the answer budget or set longrope.remote.contextWindow`,
			);
		}
		const counted =
			served === undefined ? 'estimated with the local tokenizer' : 'counted by the server';
		const info: PlanInfo = {
			set: plan.choice.name,
			reason: `answered by ${endpoint.model} at ${endpoint.url}, prompt ${counted}; ${plan.choice.reason}`,
			...(plan.choice.warning ? { warning: plan.choice.warning } : {}),
			plannedLength,
			promptTokens,
			reusedTokens: 0,
			plannedKvBytes: 0,
		};
		hooks.onStart?.(info);
		const started = performance.now();
		const stream = streamRemoteChat(
			endpoint,
			{
				messages: plan.messages,
				maxTokens: plan.answerTokens,
				sampling: request.sampling ?? {},
			},
			token,
		);
		let text = '';
		let first = 0;
		for (;;) {
			const next = await stream.next();
			if (next.done) {
				const seconds = (performance.now() - started) / 1000;
				const newTokens = text ? this.model.tokenizer.encode(text).length : 0;
				return {
					plan: info,
					newTokens,
					tokenIds: [],
					stopReason: next.value,
					timeToFirstTokenMs: first,
					prefillTokensPerSecond: first > 0 ? info.promptTokens / (first / 1000) : 0,
					decodeTokensPerSecond:
						newTokens > 1 ? newTokens / Math.max(1e-9, seconds - first / 1000) : 0,
					kvBytes: 0,
				};
			}
			if (!text) first = performance.now() - started;
			text += next.value;
			yield next.value;
		}
	}

	reset(): void {}

	dispose(): void {}
}
