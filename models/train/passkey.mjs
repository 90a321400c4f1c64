// The synthetic passkey documents: training mixes them in, and the measurements quiz the model with them.

// The Landmark/LongRoPE passkey format; the evaluation harness builds its prompts the same way.
export const PASSKEY_INTRO =
	'There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. I will quiz you about the important information there.';
export const PASSKEY_FILLER = ' The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.';

// A small seeded generator (mulberry32) so that the passkey set is the same on every build.
export function rng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

// The question, up to where the model must say the key.
export function passkeyPrompt(before, after, key) {
	return (
		PASSKEY_INTRO +
		PASSKEY_FILLER.repeat(before) +
		` The pass key is ${key}. Remember it. ${key} is the pass key.` +
		PASSKEY_FILLER.repeat(after) +
		' What is the pass key? The pass key is'
	);
}

export function passkeyText(before, after, key) {
	return `${passkeyPrompt(before, after, key)} ${key}`;
}

