import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { ModelFolderError } from '../loadModelFolder';
import { loadOnnxRuntime } from '../onnxRuntime';
import { defaultCacheDir } from '../tokenCountStore';
import {
	chooseBase,
	compareWithConfig,
	recoverFactors,
	type BaseChoice,
	type RecoveredSet,
} from './factorRecovery';
import { layerName, type GenaiFolder } from './genaiFolder';
import { narrowLogits, presentRows } from './graphOutputs';
import { rewriteAttention } from './attentionRewrite';
import { halfPrecisionKv } from './halfKv';
import { setInt4Activations, type Int4Activations } from './int4Activations';
import { GraphShapeError, externalEntry, subgraphs } from './onnxGraph';
import { OnnxDecodeError, decodeModel, encodeModel, type GraphProto } from './onnxProto';
import { findAttention, findCacheSource, liftCaches, type CacheSource } from './rotaryCaches';

/** Bumped whenever the rewrite changes, so that graphs adapted by older code are redone. */
export const ADAPTER_VERSION = 5;
const META_FILE = 'adapted.json';

/**
 * An ORT-genai graph whose rotary caches are inputs `cos_cache`/`sin_cache`, fed per request,
 * and whose outputs are narrowed to what the runtime reads (`graphOutputs.ts`): the logits from
 * position `logits_from` on and the new rows of each present.
 */
export interface AdaptedGraph {
	/** The adapted model.onnx in the cache folder (open it with `openAdaptedSession`). */
	readonly modelFile: string;
	readonly cacheFolder: string;
	/** The user's folder, where the graph's external data stays (onnxruntime reads it there). */
	readonly externalDataFolder: string;
	/** True when an earlier adaptation of the same file was found valid and reused. */
	readonly reused: boolean;
	readonly rotaryDim: number;
	/** `if`: LongRoPE short/long caches picked by an If; `initializer`: one plain cache. */
	readonly cacheKind: CacheSource['kind'];
	/** The length past which the original graph switched to its long caches (If only). */
	readonly window?: number;
	readonly recoveredSets: readonly RecoveredSet[];
	readonly base: BaseChoice;
	/** Where the graph's own caches and config.json disagree; empty when they agree. */
	readonly discrepancies: readonly string[];
	readonly inputNames: readonly string[];
	readonly outputNames: readonly string[];
	/** Nodes the rewrite removed (the If and what only fed its condition). */
	readonly removedNodes: readonly string[];
	/** The KV cache's element type: float32 as exported, or float16 (`halfKv.ts`). */
	readonly kvType: KvType;
	/** What the int4 matmuls do with their input (`int4Activations.ts`). */
	readonly int4Activations: Int4Activations;
}

/** How to adapt, beyond the rotary caches (each choice is a graph of its own in the cache). */
export interface AdaptOptions {
	readonly kvType?: KvType;
	readonly int4Activations?: Int4Activations;
}

export type KvType = 'float32' | 'float16';

/** A KV element type as a user may name it (a setting, a flag). */
export function isKvType(value: unknown): value is KvType {
	return value === 'float32' || value === 'float16';
}

/** What adapted.json records beside the adapted graph, to reuse it without decoding again. */
type Meta = Omit<
	AdaptedGraph,
	| 'modelFile'
	| 'cacheFolder'
	| 'externalDataFolder'
	| 'reused'
	| 'base'
	| 'discrepancies'
	| 'int4Activations'
> & {
	/** Absent in adaptations written before the choice existed: those are as exported. */
	readonly int4Activations?: Int4Activations;
	readonly adapterVersion: number;
	readonly source: string;
	/** The rotary base the factors were recovered with. */
	readonly base: number;
	readonly adaptedSha256: string;
	readonly externalFiles: readonly string[];
};

export function defaultAdaptedDir(env: NodeJS.ProcessEnv = process.env): string {
	return path.join(defaultCacheDir(env), 'adapted');
}

/**
 * Adapts the folder's graph (or reuses an earlier adaptation): the caches become inputs, the
 * factor sets baked into them are read back, and the result is written under
 * `cacheRoot/<sha256 of model.onnx and the adapter version>/` — never into the folder.
 */
export async function adaptGenaiGraph(
	folder: GenaiFolder,
	cacheRoot: string = defaultAdaptedDir(),
	options: AdaptOptions = {},
): Promise<AdaptedGraph> {
	const kvType = options.kvType ?? 'float32';
	const int4Activations = options.int4Activations ?? 'exported';
	const bytes = await readFile(folder.modelFile);
	// The exported activations add nothing to the key, so earlier adaptations stay valid.
	const activations = int4Activations === 'exported' ? '' : ` activations ${int4Activations}`;
	const key = createHash('sha256')
		.update(bytes)
		.update(`\0adapter ${ADAPTER_VERSION} kv ${kvType}${activations}`)
		.digest('hex');
	const cacheFolder = path.join(cacheRoot, key);
	const modelFile = path.join(cacheFolder, path.basename(folder.modelFile));
	const base = chooseBase(folder.rope);
	const finish = (meta: Meta, reused: boolean): AdaptedGraph => ({
		modelFile,
		cacheFolder,
		externalDataFolder: folder.folder,
		reused,
		rotaryDim: meta.rotaryDim,
		cacheKind: meta.cacheKind,
		...(meta.window === undefined ? {} : { window: meta.window }),
		recoveredSets: meta.recoveredSets,
		base,
		discrepancies:
			folder.rope === undefined
				? []
				: compareWithConfig(meta.recoveredSets, folder.rope, meta.window),
		inputNames: meta.inputNames,
		outputNames: meta.outputNames,
		removedNodes: meta.removedNodes,
		kvType: meta.kvType,
		int4Activations: meta.int4Activations ?? 'exported',
	});
	const cached = await validCache(cacheFolder, modelFile, base);
	if (cached !== undefined) {
		checkExternalFiles(cached.externalFiles, folder);
		return finish(cached, true);
	}

	const { model, source, recovered } = analyze(bytes, folder, base);
	const graph = model.graph as GraphProto;
	const attention = findAttention(graph);
	const columns = recovered[0].factors.length;
	const removedNodes = rewrite(folder, () => {
		const removed = liftCaches(graph, attention, source, columns);
		narrowLogits(graph, folder.names);
		if (kvType === 'float16') {
			presentRows(graph, attention, folder.names, folder.layers);
			halfPrecisionKv(graph, attention, folder.names, folder.layers);
		} else {
			rewriteAttention(graph, attention, folder.names, folder.headSize, 2 * columns);
		}
		setInt4Activations(graph, int4Activations);
		return removed;
	});
	const adapted = encodeModel(model);
	const externalFiles = externalLocations(graph);
	const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
	const meta: Meta = {
		adapterVersion: ADAPTER_VERSION,
		source: folder.modelFile,
		base: base.base,
		adaptedSha256: sha256(adapted),
		externalFiles,
		rotaryDim: 2 * columns,
		cacheKind: source.kind,
		...(source.kind === 'if' ? { window: source.window } : {}),
		recoveredSets: recovered,
		inputNames: (graph.input ?? [])
			.map((v) => v.name ?? '')
			.filter((n) => !initializers.has(n)),
		outputNames: (graph.output ?? []).map((v) => v.name ?? ''),
		removedNodes,
		kvType,
		int4Activations,
	};
	await writeCacheFolder(cacheFolder, modelFile, adapted, meta);
	return finish(meta, false);
}

/**
 * Opens the adapted graph. It is read from memory with onnxruntime's external-initializers
 * folder set to the user's folder: onnxruntime refuses external data outside the model's own
 * folder, symbolic links included, and copying gigabytes of weights is not an option.
 */
export async function openAdaptedSession(
	adapted: AdaptedGraph,
	options: Ort.InferenceSession.SessionOptions = {},
): Promise<Ort.InferenceSession> {
	const ort = await loadOnnxRuntime();
	const extra = (options.extra ?? {}) as Record<string, Record<string, unknown> | undefined>;
	return ort.InferenceSession.create(await readFile(adapted.modelFile), {
		...options,
		extra: {
			...extra,
			session: {
				...extra.session,
				model_external_initializers_file_folder_path: adapted.externalDataFolder,
			},
		},
	});
}

/** The caches the original graph holds (both If branches, or the single one): for checks. */
export async function readOriginalCaches(folder: GenaiFolder): Promise<CacheSource> {
	return analyze(await readFile(folder.modelFile), folder, chooseBase(folder.rope)).source;
}

function analyze(bytes: Uint8Array, folder: GenaiFolder, base: BaseChoice) {
	const file = folder.modelFile;
	try {
		const model = decodeModel(bytes, file);
		const graph = model.graph;
		if (graph === undefined) throw new GraphShapeError('it has no graph');
		checkNames(graph, folder);
		checkExternalFiles(externalLocations(graph), folder);
		const attention = findAttention(graph);
		if (attention.nodes.length !== folder.layers) {
			throw new GraphShapeError(
				`it has ${attention.nodes.length} GroupQueryAttention nodes for ${folder.layers} layers`,
			);
		}
		if (attention.numHeads !== folder.heads || attention.kvNumHeads !== folder.kvHeads) {
			throw new GraphShapeError(
				`its GroupQueryAttention has ${attention.numHeads} heads over ${attention.kvNumHeads} KV heads, genai_config.json ${folder.heads} over ${folder.kvHeads}`,
			);
		}
		const source = findCacheSource(
			graph,
			attention,
			folder.names.attentionMask,
			path.dirname(file),
		);
		const recovered =
			source.kind === 'if'
				? [
						recoverFactors('short', source.short, base.base),
						recoverFactors('long', source.long, base.base),
					]
				: [recoverFactors('single', source.single, base.base)];
		const columns = recovered[0].factors.length;
		if (2 * columns > folder.headSize) {
			throw new GraphShapeError(
				`its caches rotate ${2 * columns} dims of a ${folder.headSize}-dim head`,
			);
		}
		return { model, source, recovered };
	} catch (err) {
		if (err instanceof GraphShapeError || err instanceof OnnxDecodeError) {
			throw new ModelFolderError(`${file} cannot be adapted: ${err.message}`);
		}
		throw err;
	}
}

/** Runs a graph rewrite; a graph it cannot handle is the folder's problem, said as such. */
function rewrite<T>(folder: GenaiFolder, edit: () => T): T {
	try {
		return edit();
	} catch (err) {
		if (err instanceof GraphShapeError) {
			throw new ModelFolderError(`${folder.modelFile} cannot be adapted: ${err.message}`);
		}
		throw err;
	}
}

function checkExternalFiles(locations: readonly string[], folder: GenaiFolder): void {
	const missing = locations.filter((location) => !existsSync(path.join(folder.folder, location)));
	if (missing.length > 0) {
		throw new ModelFolderError(
			`${folder.modelFile} keeps its weights in ${missing.join(', ')}, which the folder lacks`,
		);
	}
}

function checkNames(graph: GraphProto, folder: GenaiFolder): void {
	const { names, layers } = folder;
	const perLayer = (template: string) =>
		Array.from({ length: layers }, (_, l) => layerName(template, l));
	const inputs = new Set((graph.input ?? []).map((v) => v.name));
	const outputs = new Set((graph.output ?? []).map((v) => v.name));
	const wanted = [
		names.inputIds,
		names.attentionMask,
		...perLayer(names.pastKey),
		...perLayer(names.pastValue),
	];
	const wantedOut = [
		names.logits,
		...perLayer(names.presentKey),
		...perLayer(names.presentValue),
	];
	const missing = [
		...wanted.filter((n) => !inputs.has(n)).map((n) => `input ${n}`),
		...wantedOut.filter((n) => !outputs.has(n)).map((n) => `output ${n}`),
	];
	if (missing.length > 0) {
		throw new GraphShapeError(
			`genai_config.json names ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ` and ${missing.length - 4} more` : ''} that the graph lacks`,
		);
	}
}

/** The external data files the graph's tensors name, relative to the model's folder. */
function externalLocations(graph: GraphProto, into = new Set<string>()): string[] {
	for (const tensor of graph.initializer ?? []) {
		const location = externalEntry(tensor, 'location');
		if (location === undefined) continue;
		if (path.isAbsolute(location) || location.split(/[/\\]/).includes('..')) {
			throw new GraphShapeError(
				`tensor ${tensor.name} keeps its data at ${location}, outside the model's folder`,
			);
		}
		into.add(location);
	}
	for (const node of graph.node ?? [])
		for (const sub of subgraphs(node)) externalLocations(sub, into);
	return [...into].sort();
}

function sha256(bytes: Uint8Array): string {
	return createHash('sha256').update(bytes).digest('hex');
}

async function validCache(
	cacheFolder: string,
	modelFile: string,
	base: BaseChoice,
): Promise<Meta | undefined> {
	try {
		const meta = JSON.parse(await readFile(path.join(cacheFolder, META_FILE), 'utf8')) as Meta;
		if (meta.adapterVersion !== ADAPTER_VERSION) return undefined;
		if (sha256(await readFile(modelFile)) !== meta.adaptedSha256) return undefined;
		// The recovered factors depend on the base, which config.json may have changed since.
		return meta.base === base.base ? meta : undefined;
	} catch {
		return undefined;
	}
}

async function writeCacheFolder(
	cacheFolder: string,
	modelFile: string,
	adapted: Uint8Array,
	meta: Meta,
): Promise<void> {
	const staging = `${cacheFolder}.partial-${process.pid}-${Date.now()}`;
	mkdirSync(staging, { recursive: true });
	try {
		await writeFile(path.join(staging, path.basename(modelFile)), adapted);
		await writeFile(path.join(staging, META_FILE), `${JSON.stringify(meta, null, '\t')}\n`);
		rmSync(cacheFolder, { recursive: true, force: true });
		renameSync(staging, cacheFolder);
	} catch (err) {
		rmSync(staging, { recursive: true, force: true });
		throw err;
	}
}
