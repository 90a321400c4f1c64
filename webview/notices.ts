import { h } from './dom';

/**
 * Said plainly while the bundled model answers: it is a demonstration, and a real model is one
 * folder away.
 */
export function demoNotice(onSelectModel: () => void): HTMLElement {
	const select = h('button', { type: 'button', id: 'select-model' }, 'Select Model Folder…');
	select.addEventListener('click', onSelectModel);
	return h(
		'div',
		{ class: 'demo-notice', id: 'demo-notice', role: 'note', hidden: true },
		h(
			'span',
			{},
			'This is the small demonstration model bundled with the extension: it shows how everything works offline, but its answers are not useful. Point the extension at a real LongRoPE model (Phi-3-mini-128k, Phi-3.5-mini or Phi-4-mini as an ONNX Runtime GenAI folder).',
		),
		select,
	);
}
