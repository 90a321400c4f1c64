import type { CancellationToken } from '../engine/cancellation';
import type { GenerateFn } from '../engine/evaluation/harness';
import type { RopeConfig, StaticFactorSet } from '../engine/factorSet';
import type { LanguageModel, ModelSession } from '../engine/model/languageModel';
import { planIds } from '../engine/model/requestPlan';
import type { RopeScaling } from '../engine/scalings';

/** A model whose rotary tables the extension feeds: a session can run any factor set. */
export interface RopeModel extends LanguageModel {
	readonly windows: { readonly kind: 'factor-sets'; readonly rope: RopeConfig };
	readonly perplexity: NonNullable<LanguageModel['perplexity']>;
	openSession(rope?: RopeConfig): ModelSession;
}

export function isRopeModel(model: LanguageModel): model is RopeModel {
	return model.windows.kind === 'factor-sets' && model.perplexity !== undefined;
}

/** The model of an evaluation or a search, or an error that says why this one cannot be. */
export function requireRopeModel(model: LanguageModel): RopeModel {
	if (!isRopeModel(model)) {
		throw new Error(
			`${model.description.name} (${model.description.location}) does not take rotary tables from the extension, so it cannot be evaluated or searched here`,
		);
	}
	return model;
}

/**
 * Greedy answers with one ad-hoc factor set (the passkey harness's generate): the raw prompt ids,
 * no template, planned as one request of its own set.
 */
export function ropeGenerate(model: RopeModel): GenerateFn {
	const eos = model.tokenizer.tokenId('</s>');
	return async (
		prompt,
		scaling: RopeScaling,
		setName,
		maxNewTokens,
		token?: CancellationToken,
	) => {
		const plannedLength = prompt.length + maxNewTokens;
		const set: StaticFactorSet = {
			name: 'eval',
			method: 'longrope',
			maxLength: plannedLength,
			scale: 1,
			source: `eval ${setName}`,
			factors: Array.from(scaling.factors),
			nHat: scaling.nHat,
			attentionFactor: scaling.attentionFactor,
		};
		const rope = { geometry: model.windows.rope.geometry, sets: [set] };
		const plan = planIds(
			{ windows: { kind: 'factor-sets', rope } },
			prompt,
			maxNewTokens,
			set.name,
			eos === undefined ? [] : [eos],
		);
		const session = model.openSession(rope);
		try {
			const stream = session.generate({ plan }, token);
			let text = '';
			for (;;) {
				const next = await stream.next();
				if (next.done) return text;
				text += next.value;
			}
		} finally {
			session.dispose();
		}
	};
}
