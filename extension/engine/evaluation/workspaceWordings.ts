import type { QuestionKind } from './workspaceQuestions';

/**
 * The training variety of workspaceQuestions.ts: how a name is declared, how the question is
 * worded and how the answer opens. Each list starts with the evaluation's form.
 */
/** How a name is declared; the evaluation asks only about functions. */
export type Form = 'function' | 'arrow' | 'class' | 'method' | 'interface' | 'type';
export const FORMS: readonly Form[] = ['function', 'arrow', 'class', 'method', 'interface', 'type'];
/** Forms with a return type, for "What does `name` return?". */
export const CALLABLE: readonly Form[] = ['function', 'arrow', 'method'];
export const TYPE_SUFFIXES = ['Options', 'Info', 'State', 'Result', 'Settings'];
export const CLASS_SUFFIXES = ['Store', 'Manager', 'Service', 'Provider', 'Registry', 'Client'];
const FORM_WORDS: Readonly<Record<Form, string>> = {
	function: 'function',
	arrow: 'function',
	class: 'class',
	method: 'method',
	interface: 'interface',
	type: 'type',
};

/** The wordings of a training question, the evaluation's first. */
export function questionWordings(kind: QuestionKind, name: string, form: Form): string[] {
	const word = FORM_WORDS[form];
	return kind === 'defined'
		? [
				`Where is \`${name}\` defined?`,
				`Where is ${name} defined?`,
				`Which file defines \`${name}\`?`,
				`Which file defines ${name}?`,
				`Where can I find ${name}?`,
				`Where can I find the ${word} \`${name}\`?`,
				`In which file is \`${name}\` declared?`,
				`Where is the ${word} ${name} declared?`,
				`Show me where ${name} is defined.`,
				`Find the definition of \`${name}\`.`,
				`where is ${name} defined`,
				`What line defines \`${name}\`?`,
			]
		: [
				`What does \`${name}\` return?`,
				`What does ${name} return?`,
				`What is the return type of \`${name}\`?`,
				`What type does the ${word} ${name} return?`,
			];
}

/** The openings of a training answer, the evaluation's first; each cites `cite` before any other path:line. */
export function answerWordings(
	kind: QuestionKind,
	d: { readonly name: string; readonly returns: string; readonly form: Form },
	cite: string,
	declared: string,
): string[] {
	const word = FORM_WORDS[d.form];
	if (kind === 'returns') {
		return [
			`\`${d.name}\` returns \`${d.returns}\` (${cite}).`,
			`It returns ${d.returns} (${cite}).`,
			`${cite}: \`${d.name}\` returns \`${d.returns}\`.`,
			`The return type is \`${d.returns}\`, see ${cite}.`,
		];
	}
	return [
		`\`${d.name}\` is defined at ${cite}.`,
		`It is defined in ${cite}.`,
		`${cite} defines \`${d.name}\`.`,
		`${d.name} is defined in ${cite}.`,
		`The ${word} \`${d.name}\` is declared at ${cite}.`,
		`You can find it at ${cite}.`,
		...(declared.length <= 60 ? [`${cite}: \`${declared}\``] : []),
	];
}
