import { statSync } from 'node:fs';
import * as path from 'node:path';
import { summarizeJob } from '../../app/summarizeJob';
import { openWorkspace } from '../../app/workspaceSource';
import type { SummaryScope } from '../../engine/prompts/filePrompts';
import { booleanFlag, UsageError } from '../args';
import { JSON_FLAG, type CliCommand } from '../command';
import { runCliJob } from '../jobRunner';
import { cliEvents, statsJson } from '../renderEvents';
import { READER_FLAGS, readerFlags } from '../workspaceFlags';
import { answerFlags, modelChoice, MODEL_FLAGS } from './ask';

function isDirectory(target: string, shown: string): boolean {
	try {
		return statSync(target).isDirectory();
	} catch (error) {
		throw new Error(`cannot read ${shown}: ${(error as Error).message}`);
	}
}

export const summarizeCommand: CliCommand = {
	name: 'summarize',
	summary:
		'Summarize a file or a folder with the local model; map-reduce when it is larger than the window.',
	positionals: 'PATH',
	flags: [...READER_FLAGS, ...MODEL_FLAGS, JSON_FLAG],
	async run(args, io) {
		const [given, ...extra] = args.positionals;
		if (!given) throw new UsageError('PATH is missing');
		if (extra.length > 0)
			throw new UsageError(`one PATH at a time (got ${args.positionals.length})`);
		const json = booleanFlag(args, 'json');
		const cwd = process.cwd();
		const target = path.resolve(cwd, given);
		const folder = isDirectory(target, given);
		const { reader } = openWorkspace(
			folder
				? { root: target, ...readerFlags(args) }
				: { files: [target], ...readerFlags(args) },
		);
		const shown = path.relative(cwd, target).split(path.sep).join('/') || '.';
		const scope: SummaryScope = !folder
			? { kind: 'file', path: shown }
			: target === cwd || isDirectoryOrNothing(path.join(target, '.git'))
				? { kind: 'workspace', name: reader.name }
				: { kind: 'folder', path: shown };
		const emit = cliEvents(io, { quiet: true, name: reader.name });
		const result = await runCliJob(modelChoice(args), io, emit, (context) =>
			summarizeJob({ scope, ...answerFlags(args) }, reader, context),
		);
		if (json) {
			io.stdout(
				`${JSON.stringify({
					path: shown,
					scope: scope.kind,
					summary: result.summary,
					...statsJson(result.stats),
					mode: result.mode,
					parts: result.parts,
					levels: result.levels,
					calls: result.calls,
					files: result.files,
					budget: result.budget,
					citations: result.citations,
					droppedCitations: result.dropped,
				})}\n`,
			);
			return;
		}
		io.stdout(`${result.summary.trim()}\n`);
		if (result.note) io.stdout(`\nNote: ${result.note}\n`);
	},
};

function isDirectoryOrNothing(dir: string): boolean {
	try {
		return statSync(dir).isDirectory();
	} catch {
		return false;
	}
}
