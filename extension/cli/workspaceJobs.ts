import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CancellationTokenSource, type CancellationToken } from '../engine/cancellation';
import type { RopeConfig } from '../engine/factorSet';
import type { ChatMessage } from '../engine/generation/chatTemplate';
import type { TextTokenizer } from '../engine/generation/tokenizer';
import type { SummaryScope } from '../engine/prompts/filePrompts';
import {
	parseCitations,
	validateCitations,
	type Citation,
	type DroppedCitation,
} from '../engine/workspace/citations';
import type { ContextBudget } from '../engine/workspace/budget';
import {
	contextLine,
	leftOutNote,
	type ManifestFile,
	type WorkspaceManifest,
} from '../engine/workspace/manifest';
import { prepareQuestion, textFromReader } from '../engine/workspace/questionContext';
import type { WorkspaceReader } from '../engine/workspace/reader';
import type { EditorFocus } from '../engine/workspace/relevance';
import { scanWorkspace, type ScanProgress } from '../engine/workspace/scan';
import { summarizeWorkspace, type SummarizeProgress } from '../engine/workspace/summarize';
import {
	MemoryTokenCountCache,
	TokenCounter,
	type TokenCountCache,
} from '../engine/workspace/tokenCount';
import type { GenerationStats, LocalModel } from '../runtime/localModel';
import {
	FileListReader,
	NodeWorkspaceReader,
	type NodeWorkspaceReaderOptions,
} from '../runtime/nodeWorkspaceReader';
import { defaultCacheDir, sha256Hex, TokenCountStore } from '../runtime/tokenCountStore';
import type { CliIo } from './command';
import { runChatJob, statsJson } from './generationJob';

/** What the workspace jobs need of a model: the local one, or a fake in tests. */
export interface ChatBackend {
	readonly tokenizer: TextTokenizer;
	readonly rope: RopeConfig;
	/** Most tokens a request may plan besides the window (the KV-cache memory cap). */
	readonly maxTokens?: number;
	/** Token counts by content hash; kept between runs when it can be saved. */
	readonly tokenCache?: TokenCountCache & { save?(): void };
	complete(
		messages: readonly ChatMessage[],
		maxNewTokens: number,
		options: {
			readonly stream: boolean;
			readonly token?: CancellationToken;
			/** The factor-set override the context was packed for. */
			readonly override?: string;
		},
	): Promise<{ readonly text: string; readonly stats?: GenerationStats }>;
}

/** The bundled (or --model) model as a backend; its token counts persist in the cache folder. */
export async function localBackend(model: LocalModel, io: CliIo): Promise<ChatBackend> {
	let tokenCache: ChatBackend['tokenCache'];
	try {
		const tokenizerJson = await readFile(path.join(model.folder.folder, 'tokenizer.json'));
		const store = TokenCountStore.open(defaultCacheDir(), tokenizerJson);
		tokenCache = {
			get: (hash) => store.get(hash),
			set: (hash, tokens) => store.set(hash, tokens),
			save: () => {
				try {
					store.save();
				} catch (error) {
					io.stderr(
						`warning: cannot save token counts to ${store.file}: ${(error as Error).message}\n`,
					);
				}
			},
		};
	} catch (error) {
		io.stderr(`warning: token counts are not cached: ${(error as Error).message}\n`);
	}
	return {
		tokenizer: model.folder.tokenizer,
		rope: model.folder.rope,
		maxTokens: Math.floor(model.options.maxKvCacheBytes / model.kvBytesPerToken),
		...(tokenCache ? { tokenCache } : {}),
		async complete(messages, maxNewTokens, options) {
			const { answer, stats } = await runChatJob(
				model,
				messages,
				maxNewTokens,
				io,
				!options.stream,
				{ override: options.override, token: options.token },
			);
			return { text: answer, stats };
		},
	};
}

export interface ReaderChoice {
	/** --workspace DIR (default: the current folder, unless --files alone is given). */
	readonly workspace?: string;
	/** --files LIST: alone, the only files read; with --workspace, pinned like open editors. */
	readonly files?: readonly string[];
	readonly exclude?: readonly string[];
	readonly maxFileBytes?: number;
	readonly cwd?: string;
}

function readerOptions(choice: ReaderChoice): NodeWorkspaceReaderOptions {
	return {
		...(choice.exclude && choice.exclude.length > 0 ? { exclude: choice.exclude } : {}),
		...(choice.maxFileBytes ? { maxFileBytes: choice.maxFileBytes } : {}),
	};
}

/** The reader and editor focus for a job's flags. */
export function chooseReader(choice: ReaderChoice): {
	reader: WorkspaceReader;
	focus?: EditorFocus;
} {
	const cwd = choice.cwd ?? process.cwd();
	const files = choice.files ?? [];
	if (choice.workspace === undefined && files.length > 0) {
		return { reader: new FileListReader(files, cwd, readerOptions(choice)) };
	}
	const root = path.resolve(cwd, choice.workspace ?? '.');
	const reader = new NodeWorkspaceReader(root, readerOptions(choice));
	if (files.length === 0) return { reader };
	const openEditors = files.map((f) => {
		const rel = path.relative(root, path.resolve(cwd, f));
		return rel.split(path.sep).join('/');
	});
	return { reader, focus: { openEditors } };
}

function counterFor(backend: ChatBackend): TokenCounter {
	return new TokenCounter(
		backend.tokenizer,
		sha256Hex,
		backend.tokenCache ?? new MemoryTokenCountCache(),
	);
}

/** Progress lines on stderr, at most one every half second, and the last one. */
function scanReporter(io: CliIo, name: string): (p: ScanProgress) => void {
	let last = 0;
	return (p) => {
		const now = Date.now();
		if (!p.done && now - last < 500) return;
		last = now;
		io.stderr(
			`${p.done ? 'read' : 'reading'} ${name}: ${p.files} files, ${p.tokens.toLocaleString('en-US')} tokens${p.skipped ? `, ${p.skipped} skipped` : ''}\n`,
		);
	};
}

/** A job's cancellation: Ctrl-C cancels what is running (the model stops between runs). */
function withSigint<T>(body: (token: CancellationToken) => Promise<T>): Promise<T> {
	const source = new CancellationTokenSource();
	const onSigint = (): void => source.cancel();
	process.on('SIGINT', onSigint);
	return body(source.token).finally(() => {
		process.removeListener('SIGINT', onSigint);
		source.dispose();
	});
}

/** The --json `files` entries: path, tokens, status, reason, and what else the manifest knows. */
export function filesJson(files: readonly ManifestFile[]): Record<string, unknown>[] {
	return files.map((f) => ({ ...f }));
}

export interface AskOptions extends ReaderChoice {
	readonly question: string;
	readonly answerTokens: number;
	readonly override?: string;
	readonly json: boolean;
}

export interface AskResult {
	readonly answer: string;
	readonly manifest: WorkspaceManifest;
	readonly citations: readonly Citation[];
	readonly dropped: readonly DroppedCitation[];
	readonly stats?: GenerationStats;
}

/** `longrope ask`: read, count, pack, answer, and check the answer's citations. */
export async function askJob(
	options: AskOptions,
	backend: ChatBackend,
	io: CliIo,
): Promise<AskResult> {
	const { reader, focus } = chooseReader(options);
	const counter = counterFor(backend);
	return withSigint(async (token) => {
		const context = await prepareQuestion({
			reader,
			counter,
			rope: backend.rope,
			question: options.question,
			answerTokens: options.answerTokens,
			focus,
			override: options.override,
			maxTokens: backend.maxTokens,
			token,
			onScanProgress: scanReporter(io, reader.name),
		});
		backend.tokenCache?.save?.();
		io.stderr(`${contextLine(context.manifest)}\n`);
		const { text, stats } = await backend.complete(context.messages, options.answerTokens, {
			stream: !options.json,
			token,
			override: options.override,
		});
		const { citations, dropped } = validateCitations(
			parseCitations(text),
			context.manifest.files,
		);
		const note = leftOutNote(context.manifest);
		if (options.json) {
			io.stdout(
				`${JSON.stringify({
					question: options.question,
					answer: text,
					...(stats ? statsJson(stats) : {}),
					workspace: reader.name,
					files: filesJson(context.manifest.files),
					budget: context.manifest.budget,
					citations,
					droppedCitations: dropped,
					...(note ? { leftOut: note } : {}),
				})}\n`,
			);
		} else {
			if (citations.length > 0) {
				io.stdout(`\nSources: ${citations.map(citationText).join(', ')}\n`);
			}
			if (note) io.stdout(`\nNote: ${note}\n`);
		}
		return { answer: text, manifest: context.manifest, citations, dropped, stats };
	});
}

function citationText(c: Citation): string {
	return `${c.path}:${c.line}${c.endLine ? `-${c.endLine}` : ''}`;
}

export interface SummarizeJobOptions {
	readonly target: string;
	readonly answerTokens: number;
	readonly override?: string;
	readonly exclude?: readonly string[];
	readonly maxFileBytes?: number;
	readonly json: boolean;
	readonly cwd?: string;
}

export interface SummarizeJobResult {
	readonly summary: string;
	readonly mode: 'single' | 'map-reduce';
	readonly files: readonly ManifestFile[];
	readonly budget: ContextBudget;
	readonly calls: number;
}

/** `longrope summarize DIR|FILE`: one request when it fits, map-reduce beyond the window. */
export async function summarizeJob(
	options: SummarizeJobOptions,
	backend: ChatBackend,
	io: CliIo,
): Promise<SummarizeJobResult> {
	const cwd = options.cwd ?? process.cwd();
	const target = path.resolve(cwd, options.target);
	let isDirectory: boolean;
	try {
		isDirectory = statSync(target).isDirectory();
	} catch (error) {
		throw new Error(`cannot read ${options.target}: ${(error as Error).message}`);
	}
	const choice = {
		exclude: options.exclude,
		maxFileBytes: options.maxFileBytes,
		cwd,
	};
	const { reader } = isDirectory
		? chooseReader({ ...choice, workspace: target })
		: chooseReader({ ...choice, files: [target] });
	const shown = path.relative(cwd, target).split(path.sep).join('/') || '.';
	const scope: SummaryScope = !isDirectory
		? { kind: 'file', path: shown }
		: target === cwd || existsDir(path.join(target, '.git'))
			? { kind: 'workspace', name: reader.name }
			: { kind: 'folder', path: shown };
	const counter = counterFor(backend);
	return withSigint(async (token) => {
		const scan = await scanWorkspace(reader, {
			counter,
			token,
			onProgress: scanReporter(io, reader.name),
		});
		backend.tokenCache?.save?.();
		if (scan.files.length === 0) {
			throw new Error(
				`${options.target} has no text file to summarize${scan.skipped.length ? ` (${scan.skipped.map((s) => `${s.path}: ${s.detail}`).join('; ')})` : ''}`,
			);
		}
		let lastStats: GenerationStats | undefined;
		const result = await summarizeWorkspace({
			scan,
			counter,
			rope: backend.rope,
			scope,
			answerTokens: options.answerTokens,
			override: options.override,
			maxTokens: backend.maxTokens,
			readText: textFromReader(reader),
			token,
			complete: async (messages, callToken) => {
				const { text, stats } = await backend.complete(messages, options.answerTokens, {
					stream: false,
					token: callToken,
					override: options.override,
				});
				lastStats = stats ?? lastStats;
				return text;
			},
			onProgress: (p: SummarizeProgress) => io.stderr(`${describeProgress(p)}\n`),
		});
		const { citations, dropped } = validateCitations(
			parseCitations(result.summary),
			result.files,
		);
		if (options.json) {
			io.stdout(
				`${JSON.stringify({
					path: shown,
					scope: scope.kind,
					summary: result.summary,
					...(lastStats ? statsJson(lastStats) : {}),
					mode: result.mode,
					parts: result.parts,
					levels: result.levels,
					calls: result.calls,
					files: filesJson(result.files),
					budget: result.budget,
					citations,
					droppedCitations: dropped,
				})}\n`,
			);
		} else {
			io.stdout(`${result.summary.trim()}\n`);
			if (result.mode === 'map-reduce') {
				io.stdout(
					`\nNote: ${scope.kind === 'file' ? 'the file' : `${result.files.length} files`} did not fit the ${result.budget.window.toLocaleString('en-US')}-token window; summarized in ${result.parts} parts and ${result.levels} combining round${result.levels === 1 ? '' : 's'} (${result.calls} model calls).\n`,
				);
			}
		}
		return {
			summary: result.summary,
			mode: result.mode,
			files: result.files,
			budget: result.budget,
			calls: result.calls,
		};
	});
}

function existsDir(dir: string): boolean {
	try {
		return statSync(dir).isDirectory();
	} catch {
		return false;
	}
}

function describeProgress(p: SummarizeProgress): string {
	if (p.phase === 'map') return `[map ${p.done}/${p.total}] ${p.message}`;
	return `[reduce round ${p.level}, ${p.done}/${p.total}] ${p.message}`;
}
