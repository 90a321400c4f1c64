import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { withFactorSets, type FactorSet, type RopeConfig } from '../../engine/factorSet';
import { factorSetsFromLongropeJson } from '../../engine/longropeSetsFile';
import type { RotaryGeometry } from '../../engine/rotaryGeometry';
import { ModelFolderError } from '../loadModelFolder';
import type { AdaptedGraph } from './adaptGraph';
import type { RecoveredSet } from './factorRecovery';
import type { GenaiFolder } from './genaiFolder';

/** The factor sets a genai folder runs with, and what people should know about where they came from. */
export interface GenaiRope {
	readonly rope: RopeConfig;
	readonly warnings: readonly string[];
}

/**
 * config.json's sets when the folder has one (checked against the graph's own caches: each
 * disagreement becomes a warning), else the sets read back from the caches: `short`/`long`
 * for an If (windows: the If's threshold and genai_config's context_length), one `default`
 * set for a single cache. A longrope.json beside them adds searched sets.
 */
export async function genaiRope(folder: GenaiFolder, adapted: AdaptedGraph): Promise<GenaiRope> {
	const warnings: string[] = [];
	let rope: RopeConfig;
	if (folder.rope !== undefined) {
		rope = folder.rope;
		if (rope.geometry.rotaryDim !== adapted.rotaryDim) {
			throw new ModelFolderError(
				`${folder.folder}: config.json rotates ${rope.geometry.rotaryDim} dims per head but the graph's caches rotate ${adapted.rotaryDim}`,
			);
		}
		for (const discrepancy of adapted.discrepancies) {
			warnings.push(`config.json and the graph's own rotary caches disagree: ${discrepancy}`);
		}
	} else {
		rope = recoveredRope(folder, adapted);
		warnings.push(
			`no config.json: the factor sets were read back from the graph's rotary caches (rotary base ${adapted.base.source})`,
		);
	}
	const setsFile = path.join(folder.folder, 'longrope.json');
	if (existsSync(setsFile)) {
		try {
			const json = JSON.parse(await readFile(setsFile, 'utf8')) as unknown;
			rope = withFactorSets(rope, factorSetsFromLongropeJson(json, rope.geometry, setsFile));
		} catch (err) {
			throw new ModelFolderError(`${setsFile}: ${(err as Error).message}`);
		}
	}
	return { rope, warnings };
}

function recoveredRope(folder: GenaiFolder, adapted: AdaptedGraph): RopeConfig {
	const sets = adapted.recoveredSets;
	const context = folder.contextLength;
	const originalWindow = adapted.cacheKind === 'if' ? (adapted.window ?? context) : context;
	const geometry: RotaryGeometry = {
		base: adapted.base.base,
		headDim: folder.headSize,
		rotaryDim: adapted.rotaryDim,
		originalWindow,
		maxWindow: context,
	};
	const scale = context / originalWindow;
	const set = (recovered: RecoveredSet, name: string, maxLength: number): FactorSet => {
		const plain =
			recovered.attentionFactor === 1 &&
			recovered.factors.every((f) => Math.abs(f - 1) < 1e-5);
		return {
			name,
			method: plain ? 'none' : 'longrope',
			maxLength,
			scale,
			source: `the graph's ${recovered.name} rotary cache (${recovered.rows} rows)`,
			factors: plain ? recovered.factors.map(() => 1) : recovered.factors,
			nHat: 0,
			attentionFactor: plain ? 1 : recovered.attentionFactor,
		};
	};
	return adapted.cacheKind === 'if'
		? {
				geometry,
				sets: sets.map((s) =>
					set(s, s.name, s.name === 'short' ? originalWindow : context),
				),
			}
		: { geometry, sets: [set(sets[0], 'default', context)] };
}
