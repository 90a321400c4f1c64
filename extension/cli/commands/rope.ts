import { formatExplanation } from '../../engine/explanation';
import { FactorManager } from '../../engine/factorManager';
import { rotaryValuesAt } from '../../engine/rotaryTables';
import { loadRopeConfig } from '../../runtime/ropeConfigFiles';
import { booleanFlag, integerListFlag, positiveIntegerFlag, required, stringFlag } from '../args';
import { JSON_FLAG, type CliCommand } from '../command';

/** The `rope --json` document (DESIGN.md): cos[k][i]/sin[k][i] × attention factor, doubles. */
export interface RopeJson {
	readonly set: string;
	readonly attentionFactor: number;
	readonly positions: readonly number[];
	readonly cos: readonly (readonly number[])[];
	readonly sin: readonly (readonly number[])[];
}

export const ropeCommand: CliCommand = {
	name: 'rope',
	summary: 'Pick the factor set for a planned length and print its cos/sin at given positions.',
	flags: [
		{
			name: 'config',
			value: 'FILE',
			description: 'a Hugging Face config.json',
			required: true,
		},
		{
			name: 'planned-length',
			value: 'N',
			description: 'prompt tokens + answer budget of the request',
			required: true,
		},
		{
			name: 'positions',
			value: 'LIST',
			description: 'comma-separated positions, e.g. 0,1,4096',
			required: true,
		},
		{ name: 'sets', value: 'FILE', description: 'a longrope.json with more factor sets' },
		{
			name: 'override',
			value: 'SET',
			description: 'auto (default), short, long or a set name',
		},
		JSON_FLAG,
	],
	async run(args, io) {
		const configFile = required('config', stringFlag(args, 'config'));
		const plannedLength = required(
			'planned-length',
			positiveIntegerFlag(args, 'planned-length'),
		);
		const positions = required('positions', integerListFlag(args, 'positions'));
		const config = await loadRopeConfig(configFile, stringFlag(args, 'sets'));
		const manager = new FactorManager(config);
		try {
			const active = manager.plan({ plannedLength, override: stringFlag(args, 'override') });
			const { cos, sin } = rotaryValuesAt(active.spec, positions);
			if (booleanFlag(args, 'json')) {
				// stdout is for the document; the choice and any warning go to stderr.
				io.stderr(`longrope rope: set "${active.set.name}": ${active.reason}\n`);
				if (active.warning) io.stderr(`longrope rope: warning: ${active.warning}\n`);
				const doc: RopeJson = {
					set: active.set.name,
					attentionFactor: active.spec.attentionFactor,
					positions,
					cos,
					sin,
				};
				io.stdout(`${JSON.stringify(doc)}\n`);
				return;
			}
			io.stdout(
				`${formatExplanation(manager.explain())}\n\n${valueTable(positions, cos, sin)}\n`,
			);
		} finally {
			manager.dispose();
		}
	},
};

function valueTable(positions: readonly number[], cos: number[][], sin: number[][]): string {
	const cell = (text: string): string => text.padStart(13);
	const header = positions.flatMap((p) => [cell(`cos@${p}`), cell(`sin@${p}`)]).join('');
	const rows = (cos[0] ?? []).map(
		(_, i) =>
			String(i).padStart(4) +
			positions
				.flatMap((_p, k) => [cell(cos[k][i].toFixed(8)), cell(sin[k][i].toFixed(8))])
				.join(''),
	);
	return [
		'cos/sin × attention factor (double precision), one row per pair',
		`pair${header}`,
		...rows,
	].join('\n');
}
