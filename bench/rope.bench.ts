// npm run bench:rope — how long the factor manager's tables take for Phi-3-mini-128k's
// geometry (48 rotary pairs): a full 131072-position build, and serving cached ranges.
// Prints a markdown table of medians. Goal: the full build in ≤ 50 ms.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FactorManager } from '../extension/engine/factorManager';
import { ropeConfigFromHf } from '../extension/engine/hfRopeConfig';
import { buildRotaryTables } from '../extension/engine/rotaryTables';

const POSITIONS = 131072;
const GOAL_MS = 50;

const configJson: unknown = JSON.parse(
	readFileSync(
		path.join(__dirname, '../test/fixtures/phi-3-mini-128k-instruct.config.json'),
		'utf8',
	),
);
const config = ropeConfigFromHf(configJson);

interface Row {
	operation: string;
	size: string;
	medianMs: number;
	minMs: number;
	runs: number;
}

/** Median and minimum of `runs` timings (ms per call, `inner` calls per timing), after warm-up. */
function time(runs: number, inner: number, body: () => void): { medianMs: number; minMs: number } {
	for (let k = 0; k < 3; k++) body();
	const samples: number[] = [];
	for (let r = 0; r < runs; r++) {
		const start = performance.now();
		for (let k = 0; k < inner; k++) body();
		samples.push((performance.now() - start) / inner);
	}
	samples.sort((a, b) => a - b);
	return { medianMs: samples[Math.floor(runs / 2)], minMs: samples[0] };
}

const rows: Row[] = [];
const manager = new FactorManager(config);
const spec = manager.plan({ plannedLength: POSITIONS }).spec;
const pairs = spec.factors.length;
const full = `${POSITIONS} × ${pairs}`;

rows.push({
	operation: 'buildRotaryTables, positions 0…131071 (long set)',
	size: full,
	runs: 15,
	...time(15, 1, () => buildRotaryTables(spec, 0, POSITIONS)),
});
rows.push({
	operation: 'factor manager, cold: plan + tables(0, 131072)',
	size: full,
	runs: 9,
	...time(9, 1, () => {
		const cold = new FactorManager(config);
		cold.plan({ plannedLength: POSITIONS });
		cold.tables(0, POSITIONS);
		cold.dispose();
	}),
});
manager.tables(0, POSITIONS); // fill the cache
rows.push({
	operation: 'cached: one decode row, tables(100000, 1)',
	size: `1 × ${pairs}`,
	runs: 21,
	...time(21, 10000, () => manager.tables(100000, 1)),
});
rows.push({
	operation: 'cached: prefill chunk inside one cache chunk, tables(8192, 512)',
	size: `512 × ${pairs}`,
	runs: 21,
	...time(21, 1000, () => manager.tables(8192, 512)),
});
rows.push({
	operation: 'cached: range across cache chunks (copied), tables(4000, 4096)',
	size: `4096 × ${pairs}`,
	runs: 21,
	...time(21, 100, () => manager.tables(4000, 4096)),
});
manager.dispose();

const format = (ms: number): string =>
	ms >= 0.1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(2)} µs`;
console.log(`Node ${process.version}, ${process.platform}-${process.arch}\n`);
console.log('| operation | positions × pairs | median | min | runs |');
console.log('|---|---|---|---|---|');
for (const row of rows) {
	console.log(
		`| ${row.operation} | ${row.size} | ${format(row.medianMs)} | ${format(row.minMs)} | ${row.runs} |`,
	);
}
const build = rows[0].medianMs;
console.log(
	`\nFull build median ${build.toFixed(2)} ms: ${build <= GOAL_MS ? 'within' : 'OVER'} the ${GOAL_MS} ms goal.`,
);
process.exitCode = build <= GOAL_MS ? 0 : 1;
