import type { CliCommand } from '../command';
import { askCommand } from './ask';
import { ropeCommand } from './rope';
import { summarizeCommand } from './summarize';

/** Every `longrope` subcommand, in the order the help lists them. */
export const COMMANDS: readonly CliCommand[] = [askCommand, summarizeCommand, ropeCommand];
