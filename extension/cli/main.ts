import { COMMANDS } from './commands';
import { runCli } from './runCli';

// The bundle's entry (dist/cli.js, the package's `longrope` bin).
runCli(
	process.argv.slice(2),
	{
		stdout: (text) => process.stdout.write(text),
		stderr: (text) => process.stderr.write(text),
	},
	COMMANDS,
).then((code) => {
	process.exitCode = code;
});
