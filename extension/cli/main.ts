import { COMMANDS } from './commands';
import { runCli } from './runCli';

async function readStdin(): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

/** After the command: time for the output to drain, then exit even if something still hangs. */
const EXIT_GRACE_MS = 2000;

// The bundle's entry (dist/cli.js, the package's `longrope` bin).
runCli(
	process.argv.slice(2),
	{
		stdout: (text) => process.stdout.write(text),
		stderr: (text) => process.stderr.write(text),
		readStdin,
	},
	COMMANDS,
).then((code) => {
	process.exitCode = code;
	// A file-system call that never returned (a hung network drive) was abandoned by the walk
	// but still holds the event loop; it must not hold the command. Unref'd: a normal end
	// does not wait for it.
	setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
});
