const BY_EXTENSION: Readonly<Record<string, string>> = {
	ts: 'typescript',
	tsx: 'typescriptreact',
	js: 'javascript',
	jsx: 'javascriptreact',
	mjs: 'javascript',
	cjs: 'javascript',
	py: 'python',
	go: 'go',
	rs: 'rust',
	java: 'java',
	kt: 'kotlin',
	c: 'c',
	h: 'c',
	cc: 'cpp',
	cpp: 'cpp',
	hpp: 'cpp',
	cs: 'csharp',
	rb: 'ruby',
	php: 'php',
	swift: 'swift',
	sh: 'shellscript',
	bash: 'shellscript',
	md: 'markdown',
	rst: 'restructuredtext',
	txt: 'plaintext',
	json: 'json',
	yml: 'yaml',
	yaml: 'yaml',
	toml: 'toml',
	html: 'html',
	css: 'css',
	scss: 'scss',
	sql: 'sql',
	xml: 'xml',
};

/** VS Code's language id for a path, from its extension; `plaintext` when unknown. */
export function languageOf(path: string): string {
	const name = path.split(/[\\/]/).pop() ?? path;
	const dot = name.lastIndexOf('.');
	return (dot > 0 && BY_EXTENSION[name.slice(dot + 1).toLowerCase()]) || 'plaintext';
}
