import type { CliCommand } from '../command';
import { askCommand } from './ask';
import { evalCommand } from './eval';
import { ropeCommand } from './rope';
import { searchCommand } from './search';
import { summarizeCommand } from './summarize';

/** Every `longrope` subcommand, in the order the help lists them. */
export const COMMANDS: readonly CliCommand[] = [
	askCommand,
	summarizeCommand,
	ropeCommand,
	searchCommand,
	evalCommand,
];
