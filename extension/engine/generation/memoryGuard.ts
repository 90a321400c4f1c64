/** A request whose KV cache would not fit under the configured cap; nothing was allocated. */
export class MemoryCapError extends Error {
	constructor(
		readonly plannedTokens: number,
		readonly neededBytes: number,
		readonly capBytes: number,
	) {
		super(
			`a ${plannedTokens}-token request needs a ${formatBytes(neededBytes)} KV cache, over the ${formatBytes(capBytes)} cap ` +
				'(setting longrope.maxKvCacheMB, or --kv-cache-mb); shorten the context or raise the cap',
		);
		this.name = 'MemoryCapError';
	}
}

export function checkKvBudget(
	plannedTokens: number,
	bytesPerToken: number,
	capBytes: number,
): number {
	const needed = plannedTokens * bytesPerToken;
	if (needed > capBytes) throw new MemoryCapError(plannedTokens, needed, capBytes);
	return needed;
}

export function formatBytes(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
	return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
