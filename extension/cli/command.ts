import type { FlagSpec, ParsedArgs } from './args';

/** Where a command writes: results to stdout, progress and errors to stderr. */
export interface CliIo {
	readonly stdout: (text: string) => void;
	readonly stderr: (text: string) => void;
	/** All of stdin, as text (`ask -`); absent where there is none. */
	readonly readStdin?: () => Promise<string>;
}

/** One `longrope` subcommand; add new ones to the list in commands/index.ts. */
export interface CliCommand {
	readonly name: string;
	readonly summary: string;
	/** Positional arguments shown in the usage line, e.g. `"QUESTION"`. */
	readonly positionals?: string;
	readonly flags: readonly FlagSpec[];
	run(args: ParsedArgs, io: CliIo): Promise<void>;
}

export const JSON_FLAG: FlagSpec = {
	name: 'json',
	description: 'print one JSON document on stdout',
};
