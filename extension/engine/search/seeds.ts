import type { RotaryGeometry } from '../rotaryGeometry';
import { linearScaling, noScaling, ntkScaling, yarnScaling } from '../scalings';
import { genomeFromFactors, genomeKey, type Genome, type SearchSpace } from './space';

export interface NamedGenome {
	readonly name: string;
	readonly genome: Genome;
}

/**
 * The paper's starting points, snapped into the space: PI (λ = s), NTK (λ_i = s^(2i/(d−2))) and
 * YaRN (its ramp), all with n̂ = 0. At s ≤ 1 they all collapse to plain RoPE (λ = 1), which is
 * the seed of the short-window search. Duplicates (after snapping) are dropped.
 */
export function classicSeeds(
	space: SearchSpace,
	geometry: RotaryGeometry,
	scale: number,
): NamedGenome[] {
	const candidates: NamedGenome[] =
		scale > 1
			? [
					{ name: 'pi', genome: genome(space, linearScaling(geometry, scale).factors) },
					{ name: 'ntk', genome: genome(space, ntkScaling(geometry, scale).factors) },
					{
						name: 'yarn',
						genome: genome(space, yarnScaling(geometry, { scale }).factors),
					},
				]
			: [{ name: 'none', genome: genome(space, noScaling(geometry).factors) }];
	const seen = new Set<string>();
	return candidates.filter((seed) => {
		const key = genomeKey(seed.genome);
		if (seen.has(key)) return false;
		seen.add(key);
		return true;
	});
}

function genome(space: SearchSpace, factors: Float64Array): Genome {
	return genomeFromFactors(space, factors, 0);
}
