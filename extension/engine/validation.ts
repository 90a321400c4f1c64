/**
 * Input checks shared by the rotary core. Every failure names the field and the
 * offending value, so a bad config.json or CLI flag is fixable from the message alone.
 */
export class RopeInputError extends Error {
	constructor(
		readonly field: string,
		readonly value: unknown,
		requirement: string,
	) {
		super(`${field} must be ${requirement} (got ${describeValue(value)})`);
		this.name = 'RopeInputError';
	}
}

export function describeValue(value: unknown): string {
	if (typeof value === 'number' || typeof value === 'bigint') return String(value);
	if (value === undefined) return 'nothing';
	if (Array.isArray(value) || value instanceof Float64Array || value instanceof Float32Array) {
		return `an array of ${value.length}`;
	}
	const text = JSON.stringify(value) ?? String(value);
	return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function requireFinitePositive(field: string, value: unknown): number {
	if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
		throw new RopeInputError(field, value, 'a finite number > 0');
	}
	return value;
}

export function requirePositiveInteger(field: string, value: unknown): number {
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
		throw new RopeInputError(field, value, 'a positive integer');
	}
	return value;
}

export function requireNonNegativeInteger(field: string, value: unknown): number {
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
		throw new RopeInputError(field, value, 'a non-negative integer');
	}
	return value;
}

/** Rescale factors λ_i: exactly one per rotary pair, each finite and > 0. */
export function requireFactors(field: string, value: unknown, pairs: number): number[] {
	if (!isArrayLikeOfUnknown(value) || value.length !== pairs) {
		throw new RopeInputError(
			field,
			value,
			`an array of ${pairs} factors (one per rotary pair, rotary_dim/2)`,
		);
	}
	const factors: number[] = [];
	for (let i = 0; i < pairs; i++) factors.push(requireFinitePositive(`${field}[${i}]`, value[i]));
	return factors;
}

function isArrayLikeOfUnknown(value: unknown): value is ArrayLike<unknown> {
	return Array.isArray(value) || value instanceof Float64Array || value instanceof Float32Array;
}

export function requireRecord(field: string, value: unknown): Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new RopeInputError(field, value, 'a JSON object');
	}
	return value as Record<string, unknown>;
}

export function requireNonEmptyString(field: string, value: unknown): string {
	if (typeof value !== 'string' || value.trim() === '') {
		throw new RopeInputError(field, value, 'a non-empty string');
	}
	return value;
}
