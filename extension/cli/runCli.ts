import { flagUsage, parseArgs, UsageError } from './args';
import type { CliCommand, CliIo } from './command';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Runs `longrope <command> …` and returns the exit code; never calls process.exit. */
export async function runCli(
	argv: readonly string[],
	io: CliIo,
	commands: readonly CliCommand[],
): Promise<number> {
	const [name, ...rest] = argv;
	if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
		(name === undefined ? io.stderr : io.stdout)(overview(commands));
		return name === undefined ? EXIT_USAGE : EXIT_OK;
	}
	const command = commands.find((c) => c.name === name);
	if (!command) {
		io.stderr(
			`longrope: unknown command "${name}" (commands: ${commands.map((c) => c.name).join(', ')})\n`,
		);
		return EXIT_USAGE;
	}
	if (rest.includes('--help') || rest.includes('-h')) {
		io.stdout(commandUsage(command));
		return EXIT_OK;
	}
	try {
		const args = parseArgs(rest, command.flags);
		if (args.positionals.length > 0 && !command.positionals) {
			throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
		}
		await command.run(args, io);
		return EXIT_OK;
	} catch (error) {
		if (error instanceof UsageError) {
			io.stderr(`longrope ${name}: ${error.message}\n\n${commandUsage(command)}`);
			return EXIT_USAGE;
		}
		io.stderr(`longrope ${name}: ${(error as Error).message}\n`);
		return EXIT_FAILURE;
	}
}

function overview(commands: readonly CliCommand[]): string {
	const width = Math.max(...commands.map((c) => c.name.length));
	return [
		'Usage: longrope <command> [flags]',
		'',
		'Commands:',
		...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
		'',
		'Run "longrope <command> --help" for its flags.',
		'',
	].join('\n');
}

export function commandUsage(command: CliCommand): string {
	const flags = command.flags.map((f) => (f.required ? flagUsage(f) : `[${flagUsage(f)}]`));
	const width = Math.max(...command.flags.map((f) => flagUsage(f).length));
	return [
		`Usage: longrope ${[command.name, command.positionals, ...flags].filter(Boolean).join(' ')}`,
		'',
		command.summary,
		'',
		...command.flags.map((f) => `  ${flagUsage(f).padEnd(width)}  ${f.description}`),
		'',
	].join('\n');
}
