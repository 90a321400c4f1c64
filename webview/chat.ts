import type {
	ChatTurn,
	SourceRef,
	EngineStatus,
	HostToWebview,
	ProgressInfo,
	WebviewToHost,
} from '../extension/protocol';
import { formatEta, formatTokens, h, icon, iconButton } from './dom';
import { demoNotice } from './notices';
import { isEmptyAnswer, NO_ANSWER, turnNote } from './turnNote';
import type { Renderer } from './markdown';

type Post = (message: WebviewToHost) => void;

interface TurnView {
	readonly element: HTMLElement;
	readonly body: HTMLElement;
	text: string;
}

/** The chat: history, streaming answers, the busy state with prefill progress, the composer. */
export class ChatView {
	private readonly log: HTMLElement;
	private readonly statusLine: HTMLElement;
	private readonly remoteNotice: HTMLElement;
	private readonly demoNotice: HTMLElement;
	private readonly busyBar: HTMLElement;
	private readonly busyText: HTMLElement;
	private readonly busyMeter: HTMLProgressElement;
	private readonly input: HTMLTextAreaElement;
	private readonly sendButton: HTMLButtonElement;
	private readonly stopButton: HTMLButtonElement;
	private readonly announcer: HTMLElement;
	private readonly turns = new Map<string, TurnView>();
	private current: { requestId: string; assistantId: string } | undefined;
	private pendingRender: number | undefined;
	private counter = 0;

	constructor(
		root: HTMLElement,
		private readonly post: Post,
		private readonly renderer: Renderer,
	) {
		this.statusLine = h('span', { class: 'status-line', id: 'status-line' });
		const header = h(
			'header',
			{ class: 'chat-header' },
			this.statusLine,
			h(
				'span',
				{ class: 'toolbar' },
				iconButton('add', 'New chat', () => this.post({ type: 'newChat' }), {
					id: 'new-chat',
				}),
				iconButton('pulse', 'Show diagnostics', () =>
					this.post({ type: 'command', command: 'showDiagnostics' }),
				),
			),
		);
		this.remoteNotice = h('div', { class: 'remote-notice', role: 'note', hidden: true });
		this.demoNotice = demoNotice(() => this.post({ type: 'command', command: 'selectModel' }));
		this.log = h('div', {
			class: 'messages',
			id: 'messages',
			role: 'log',
			'aria-label': 'Conversation',
			tabindex: '0',
		});
		this.busyText = h('span', { class: 'busy-text', id: 'busy-text' });
		this.busyMeter = h('progress', { class: 'busy-meter', max: '1', 'aria-label': 'Progress' });
		this.stopButton = h(
			'button',
			{ type: 'button', class: 'stop-button', id: 'stop', title: 'Stop generating (Escape)' },
			icon('debug-stop'),
			' Stop',
		);
		this.stopButton.addEventListener('click', () =>
			this.post({ type: 'stop', requestId: this.current?.requestId }),
		);
		this.busyBar = h(
			'div',
			{ class: 'busy', id: 'busy', role: 'status', hidden: true },
			h('span', {
				class: 'codicon codicon-loading codicon-modifier-spin',
				'aria-hidden': 'true',
			}),
			this.busyText,
			this.busyMeter,
			this.stopButton,
		);
		this.input = h('textarea', {
			id: 'prompt',
			rows: '3',
			placeholder: 'Ask about the workspace (Enter sends, Shift+Enter adds a line)',
			'aria-label': 'Question about the workspace',
		});
		this.sendButton = h(
			'button',
			{ type: 'submit', class: 'send-button', id: 'send', title: 'Send (Enter)' },
			icon('send'),
			' Send',
		);
		const form = h(
			'form',
			{ class: 'composer', 'aria-label': 'Ask' },
			this.input,
			this.sendButton,
		);
		form.addEventListener('submit', (event) => {
			event.preventDefault();
			this.send();
		});
		this.input.addEventListener('keydown', (event) => {
			if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
				event.preventDefault();
				this.send();
			} else if (event.key === 'Escape' && this.current) {
				this.post({ type: 'stop', requestId: this.current.requestId });
			}
		});
		this.announcer = h('div', { class: 'sr-only', 'aria-live': 'polite' });
		root.append(
			header,
			this.remoteNotice,
			this.demoNotice,
			this.log,
			this.busyBar,
			form,
			this.announcer,
		);
		root.addEventListener('click', (event) => this.onClick(event));
	}

	private send(): void {
		const text = this.input.value.trim();
		if (!text || this.current) return;
		const requestId = `w${Date.now().toString(36)}-${this.counter++}`;
		this.post({ type: 'ask', requestId, text });
		this.input.value = '';
	}

	private onClick(event: MouseEvent): void {
		const target = event.target as Element | null;
		const link = target?.closest('a');
		if (link) {
			const file = link.getAttribute('data-path');
			const line = Number(link.getAttribute('data-line'));
			if (link.classList.contains('citation') && file && line >= 1) {
				event.preventDefault();
				this.post({ type: 'openCitation', path: file, line });
				return;
			}
			const href = link.getAttribute('href') ?? '';
			if (!/^https?:/i.test(href)) event.preventDefault();
			return;
		}
		const copy = target?.closest('button.copy-code');
		if (copy) {
			const code = copy.parentElement?.querySelector('pre')?.textContent ?? '';
			this.post({ type: 'copy', text: code });
		}
	}

	handle(message: HostToWebview): void {
		switch (message.type) {
			case 'init':
				this.showHistory(message.history);
				this.showStatus(message.status);
				return;
			case 'history':
				this.showHistory(message.history);
				return;
			case 'status':
				this.showStatus(message.status);
				return;
			case 'turnStart': {
				this.addTurn(message.user);
				const view = this.addTurn({
					id: message.assistantId,
					role: 'assistant',
					text: '',
				});
				view.element.setAttribute('aria-busy', 'true');
				this.current = { requestId: message.requestId, assistantId: message.assistantId };
				this.setBusy(true, { phase: 'loading', done: 0, total: 1 });
				return;
			}
			case 'progress':
				if (this.current?.requestId === message.requestId)
					this.setBusy(true, message.progress);
				return;
			case 'delta': {
				if (this.current?.requestId !== message.requestId) return;
				const view = this.turns.get(this.current.assistantId);
				if (!view) return;
				view.text = message.reset ? message.text : view.text + message.text;
				this.scheduleRender(view);
				return;
			}
			case 'turnEnd': {
				const current = this.current;
				if (!current || current.requestId !== message.requestId) return;
				const view = this.turns.get(current.assistantId);
				if (view) {
					view.text = message.text;
					this.renderTurn(view, {
						id: current.assistantId,
						role: 'assistant',
						text: message.text,
						outcome: message.outcome,
						note: message.note,
						sources: message.sources,
						citations: message.citations,
					});
					view.element.removeAttribute('aria-busy');
				}
				this.current = undefined;
				this.setBusy(false);
				this.announcer.textContent =
					message.outcome === 'done'
						? message.text.trim()
							? 'Answer complete.'
							: NO_ANSWER
						: message.outcome === 'stopped'
							? 'Stopped.'
							: 'The request failed.';
				this.input.focus();
				return;
			}
			case 'error':
				this.showError(message.message);
				return;
			case 'diagnostics':
				return;
			default: {
				const never: never = message;
				return never;
			}
		}
	}

	private showStatus(status: EngineStatus): void {
		const parts = [status.model ?? 'LongRoPE'];
		if (status.set) parts.push(`set ${status.set}`);
		if (status.contextUsed !== undefined && status.contextWindow)
			parts.push(
				`${formatTokens(status.contextUsed)}/${formatTokens(status.contextWindow)} tokens`,
			);
		if (status.state === 'error' || status.state === 'no-model')
			parts.push(status.detail ?? status.state);
		this.statusLine.textContent = parts.join(' · ');
		this.statusLine.title = status.detail ?? '';
		if (status.remote) {
			this.remoteNotice.hidden = false;
			this.remoteNotice.textContent = `Workspace text is sent to ${status.remote}.`;
		} else {
			this.remoteNotice.hidden = true;
		}
		this.demoNotice.hidden = !status.demo;
	}

	private showHistory(history: readonly ChatTurn[]): void {
		this.turns.clear();
		this.log.replaceChildren();
		if (history.length === 0) {
			this.log.append(
				h(
					'div',
					{ class: 'empty', id: 'empty' },
					h(
						'p',
						{},
						'Ask anything about this workspace. Answers come from a model running on this machine and cite files as path:line.',
					),
				),
			);
		}
		for (const turn of history) this.addTurn(turn);
	}

	private addTurn(turn: ChatTurn): TurnView {
		this.log.querySelector('#empty')?.remove();
		const body = h('div', { class: 'body' });
		const element = h(
			'article',
			{
				class: `turn ${turn.role}`,
				'data-turn': turn.id,
				'aria-label': turn.role === 'user' ? 'You' : 'Assistant',
			},
			h(
				'div',
				{ class: 'who' },
				icon(turn.role === 'user' ? 'account' : 'sparkle'),
				turn.role === 'user' ? ' You' : ' LongRoPE',
			),
			body,
		);
		const view: TurnView = { element, body, text: turn.text };
		this.turns.set(turn.id, view);
		this.log.append(element);
		this.renderTurn(view, turn);
		this.log.scrollTop = this.log.scrollHeight;
		return view;
	}

	private renderTurn(view: TurnView, turn: ChatTurn): void {
		if (turn.role === 'user') {
			view.body.replaceChildren(h('p', { class: 'user-text' }, turn.text));
		} else {
			this.renderer.render(
				view.body,
				turn.text || (turn.outcome ? '' : '…'),
				turn.citations ?? [],
			);
		}
		view.element.querySelector('.note')?.remove();
		view.element.querySelector('.sources')?.remove();
		if (turn.sources && turn.sources.length > 0) view.element.append(sourceList(turn.sources));
		view.element.classList.toggle('stopped', turn.outcome === 'stopped');
		view.element.classList.toggle('failed', turn.outcome === 'error');
		view.element.classList.toggle('empty', isEmptyAnswer(turn));
		const note = turnNote(turn);
		if (note) view.element.append(note);
	}

	private scheduleRender(view: TurnView): void {
		if (this.pendingRender !== undefined) return;
		this.pendingRender = requestAnimationFrame(() => {
			this.pendingRender = undefined;
			// Citations are linked once the host has checked them, at the end of the answer.
			this.renderer.render(view.body, view.text, []);
			this.log.scrollTop = this.log.scrollHeight;
		});
	}

	private setBusy(busy: boolean, progress?: ProgressInfo): void {
		this.busyBar.hidden = !busy;
		this.sendButton.disabled = busy;
		document.body.classList.toggle('is-busy', busy);
		if (!busy || !progress) return;
		let text: string;
		switch (progress.phase) {
			case 'loading':
				text = 'Loading the model…';
				break;
			case 'scanning':
				text = `Reading the workspace: ${progress.detail ?? `${progress.done} files`}`;
				break;
			case 'packing':
				text = `Packing ${progress.total} files into the context…`;
				break;
			case 'prefill':
				text = `Reading the prompt: ${formatTokens(progress.done)} / ${formatTokens(progress.total)} tokens${progress.tokensPerSecond ? ` · ${Math.round(progress.tokensPerSecond)} tok/s` : ''}${progress.etaSeconds !== undefined ? ` · ${formatEta(progress.etaSeconds)}` : ''}`;
				break;
			case 'generating':
				text = `Answering… ${progress.done} pieces`;
				break;
			case 'search':
				text = `Searching factors: round ${progress.done}/${progress.total}`;
				break;
			default: {
				const never: never = progress.phase;
				text = never;
			}
		}
		this.busyText.textContent = text;
		this.busyBar.dataset.phase = progress.phase;
		if (progress.phase === 'prefill' && progress.total > 0) {
			this.busyMeter.max = progress.total;
			this.busyMeter.value = progress.done;
		} else {
			this.busyMeter.removeAttribute('value');
		}
	}

	private showError(message: string): void {
		this.log.append(h('p', { class: 'error', role: 'alert' }, icon('error'), ` ${message}`));
	}
}

/** The files the model was shown, each a link to its first line. */
function sourceList(sources: readonly SourceRef[]): HTMLElement {
	const shown = sources.slice(0, 50);
	return h(
		'details',
		{ class: 'sources' },
		h('summary', {}, `Context: ${sources.length} file${sources.length === 1 ? '' : 's'}`),
		h(
			'ul',
			{},
			...shown.map((s) =>
				h(
					'li',
					{},
					h(
						'a',
						{
							href: '#',
							class: 'citation',
							'data-path': s.path,
							'data-line': String(Math.max(1, s.from)),
							title: `Open ${s.path} at line ${Math.max(1, s.from)}`,
						},
						`${s.path}:${s.from}${s.to > s.from ? `-${s.to}` : ''}`,
					),
				),
			),
		),
	);
}
