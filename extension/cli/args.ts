/** A command-line mistake: reported with the usage, exit code 2. */
export class UsageError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'UsageError';
	}
}

export interface FlagSpec {
	readonly name: string;
	/** Placeholder of the flag's value (`FILE`, `N`); absent for a boolean switch. */
	readonly value?: string;
	readonly description: string;
	readonly required?: boolean;
}

export interface ParsedArgs {
	readonly flags: ReadonlyMap<string, string | true>;
	readonly positionals: readonly string[];
}

/** `--name value`, `--name=value` and boolean `--name`; `--` ends the flags. */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
	const byName = new Map(specs.map((spec) => [spec.name, spec]));
	const flags = new Map<string, string | true>();
	const positionals: string[] = [];
	for (let k = 0; k < argv.length; k++) {
		const arg = argv[k];
		if (arg === '--') {
			positionals.push(...argv.slice(k + 1));
			break;
		}
		if (!arg.startsWith('--')) {
			positionals.push(arg);
			continue;
		}
		const eq = arg.indexOf('=');
		const name = arg.slice(2, eq < 0 ? undefined : eq);
		const spec = byName.get(name);
		if (!spec) {
			const known = specs.map((s) => `--${s.name}`).join(', ');
			throw new UsageError(`unknown flag --${name} (known: ${known})`);
		}
		if (flags.has(name)) throw new UsageError(`--${name} is given twice`);
		if (!spec.value) {
			if (eq >= 0) throw new UsageError(`--${name} takes no value`);
			flags.set(name, true);
			continue;
		}
		const value = eq >= 0 ? arg.slice(eq + 1) : argv[++k];
		if (value === undefined || (eq < 0 && value.startsWith('--'))) {
			throw new UsageError(`--${name} needs a value (${spec.value})`);
		}
		flags.set(name, value);
	}
	for (const spec of specs) {
		if (spec.required && !flags.has(spec.name)) {
			throw new UsageError(`${flagUsage(spec)} is required`);
		}
	}
	return { flags, positionals };
}

/** `--config FILE`, or `--json` for a switch. */
export function flagUsage(spec: FlagSpec): string {
	return spec.value ? `--${spec.name} ${spec.value}` : `--${spec.name}`;
}

/** For flags the spec marks required: parseArgs has already refused their absence. */
export function required<T>(name: string, value: T | undefined): T {
	if (value === undefined) throw new UsageError(`--${name} is required`);
	return value;
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
	const value = args.flags.get(name);
	return typeof value === 'string' ? value : undefined;
}

export function booleanFlag(args: ParsedArgs, name: string): boolean {
	return args.flags.get(name) === true;
}

export function positiveIntegerFlag(args: ParsedArgs, name: string): number | undefined {
	const value = stringFlag(args, name);
	if (value === undefined) return undefined;
	const n = Number(value);
	if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
		throw new UsageError(`--${name} must be a positive integer (got "${value}")`);
	}
	return n;
}

/** A comma-separated list of non-negative integers, e.g. `--positions 0,1,4096`. */
export function integerListFlag(args: ParsedArgs, name: string): number[] | undefined {
	const value = stringFlag(args, name);
	if (value === undefined) return undefined;
	return value.split(',').map((item) => {
		const n = Number(item.trim());
		if (!/^\d+$/.test(item.trim()) || !Number.isSafeInteger(n)) {
			throw new UsageError(
				`--${name} must be comma-separated non-negative integers (got "${item}" in "${value}")`,
			);
		}
		return n;
	});
}
