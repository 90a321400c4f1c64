/** `text` as `npm run lint` expects it (tables aligned by Prettier), with the settings for `file`. */
export async function formatted(
	text: string,
	file: string,
	parser: 'markdown' | 'json' = 'markdown',
): Promise<string> {
	const prettier = await import('prettier');
	return prettier.format(text, { ...((await prettier.resolveConfig(file)) ?? {}), parser });
}
