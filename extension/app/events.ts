import type { FactorExplanation } from '../engine/explanation';
import type { GenerationStats, PlanInfo } from '../engine/model/languageModel';
import type { ContextBudget } from '../engine/workspace/budget';
import type { ManifestFile } from '../engine/workspace/manifest';
import type {
	BudgetInfo,
	FactorInfo,
	KvInfo,
	ManifestRow,
	ProgressInfo,
	SourceRef,
	SpeedInfo,
} from '../protocol';

/**
 * What a running job tells its front end, in the order it happens. The CLI prints these; the
 * engine process forwards them to the editor unchanged. Plain data, so they cross processes.
 */
export type JobEvent =
	| { readonly type: 'progress'; readonly progress: ProgressInfo }
	/** The request's plan, as the model runs it (once per model call). */
	| {
			readonly type: 'plan';
			readonly set: string;
			readonly reason: string;
			readonly warning?: string;
			readonly plannedLength: number;
			readonly promptTokens: number;
			readonly reusedTokens: number;
			readonly factors?: FactorInfo;
			readonly cacheRebuilt?: string;
			readonly kv: KvInfo;
	  }
	/** What went into the context: the budget and every file with what became of it. */
	| {
			readonly type: 'manifest';
			readonly budget: BudgetInfo;
			readonly files: readonly ManifestRow[];
			readonly note?: string;
	  }
	/** Answer text as it streams; `reset` starts a new text (the next call of a map-reduce). */
	| { readonly type: 'delta'; readonly text: string; readonly reset?: boolean };

export type EmitEvent = (event: JobEvent) => void;

export function factorInfo(e: FactorExplanation): FactorInfo {
	return {
		set: e.set,
		method: e.method,
		reason: e.reason,
		...(e.warning ? { warning: e.warning } : {}),
		plannedLength: e.plannedLength,
		originalWindow: e.originalWindow,
		setWindow: e.setWindow,
		maxWindow: e.maxWindow,
		nHat: e.nHat,
		attentionFactor: e.attentionFactor,
		factors: e.pairs.map((p) => p.factor),
		sets: e.sets.map((s) => ({ name: s.name, maxLength: s.maxLength })),
	};
}

export function planEvent(plan: PlanInfo, capBytes: number): JobEvent {
	return {
		type: 'plan',
		set: plan.set,
		reason: plan.reason,
		...(plan.warning ? { warning: plan.warning } : {}),
		plannedLength: plan.plannedLength,
		promptTokens: plan.promptTokens,
		reusedTokens: plan.reusedTokens,
		...(plan.factors ? { factors: factorInfo(plan.factors) } : {}),
		...(plan.cacheRebuilt ? { cacheRebuilt: plan.cacheRebuilt } : {}),
		kv: { plannedBytes: plan.plannedKvBytes, capBytes },
	};
}

export function budgetInfo(b: ContextBudget): BudgetInfo {
	return {
		window: b.window,
		windowSet: b.windowSet,
		template: b.template,
		context: b.context,
		question: b.question,
		history: b.history,
		answer: b.answer,
		free: b.free,
		...(b.limit ? { limit: b.limit } : {}),
	};
}

export function manifestRows(files: readonly ManifestFile[]): ManifestRow[] {
	return files.map((f) => ({
		path: f.path,
		status: f.status,
		reason: f.reason,
		tokens: f.tokens,
		...(f.fileTokens !== undefined ? { fileTokens: f.fileTokens } : {}),
		...(f.priority ? { priority: f.priority } : {}),
		...(f.lines ? { lines: `${f.lines.from}–${f.lines.to} of ${f.lines.of}` } : {}),
	}));
}

/** The files the model saw, with their lines, in the manifest's order. */
export function sourcesOf(files: readonly ManifestFile[]): SourceRef[] {
	return files
		.filter((f) => (f.status === 'included' || f.status === 'truncated') && f.lines)
		.map((f) => ({ path: f.path, from: f.lines?.from ?? 1, to: f.lines?.to ?? 1 }));
}

export function speedInfo(stats: GenerationStats): SpeedInfo {
	return {
		promptTokens: stats.plan.promptTokens,
		reusedTokens: stats.plan.reusedTokens,
		newTokens: stats.newTokens,
		timeToFirstTokenMs: stats.timeToFirstTokenMs,
		prefillTokensPerSecond: stats.prefillTokensPerSecond,
		decodeTokensPerSecond: stats.decodeTokensPerSecond,
		stopReason: stats.stopReason,
	};
}
