import type { ProgressInfo } from '../protocol';

/** A job's progress in words, for the notification and the status line. */
export function progressText(p: ProgressInfo): string {
	switch (p.phase) {
		case 'loading':
			return 'loading the model…';
		case 'scanning':
			return `reading the workspace: ${p.detail ?? `${p.done} files`}`;
		case 'packing':
			return `packing ${p.total} files into the context…`;
		case 'prefill':
			return `reading the prompt: ${p.done}/${p.total} tokens${p.etaSeconds !== undefined ? `, ${formatEta(p.etaSeconds)} left` : ''}`;
		case 'generating':
			return `answering: ${p.done} tokens`;
		case 'search':
			return `searching factors: round ${p.done}/${p.total}${p.detail ? ` — ${p.detail.replace(/^search \S+ /, '')}` : ''}`;
		default: {
			const never: never = p.phase;
			return never;
		}
	}
}

export function formatEta(seconds: number): string {
	if (!Number.isFinite(seconds)) return '…';
	if (seconds < 1) return '<1 s';
	if (seconds < 90) return `${Math.round(seconds)} s`;
	return `${Math.round(seconds / 60)} min`;
}
