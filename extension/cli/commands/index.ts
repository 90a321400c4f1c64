import type { CliCommand } from '../command';
import { ropeCommand } from './rope';

/** Every `longrope` subcommand, in the order the help lists them. */
export const COMMANDS: readonly CliCommand[] = [ropeCommand];
