import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encode as o200kEncode } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage } from '../../../extension/engine/generation/chatTemplate';
import { HfTokenizer } from '../../../extension/runtime/hfTokenizer';
import {
	ModelChatTemplate,
	chatTemplateSource,
	readModelChatTemplate,
	stopTokenIds,
} from '../../../extension/runtime/modelChatTemplate';
import { phi3TokenizerJson, phi4MiniTokenizerJson } from '../../tokenizers/publishedTokenizers';

// The published chat_template strings, as copied into onnxruntime-extensions' test data
// (test/data/phi-3, phi-3-mini, phi-4-mini, phi-4-mini-reasoning) and its list of known templates.
const TEMPLATES = {
	/** Phi-3-mini-4k/128k as first published (April 2024): no system turn, no generation prompt. */
	phi3April:
		"{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}",
	/** Phi-3-mini since mid 2024. */
	phi3: "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
	phi35: "{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
	phi4Mini:
		"{% for message in messages %}{% if message['role'] == 'system' and 'tools' in message and message['tools'] is not none %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|tool|>' + message['tools'] + '<|/tool|>' + '<|end|>' }}{% else %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% else %}{{ eos_token }}{% endif %}",
	phi4MiniReasoning:
		"{{ '<|system|>Your name is Phi, an AI math expert developed by Microsoft.' }}{% for message in messages %}{% if message['role'] == 'system' %} {{ message['content'] }}{% if 'tools' in message and message['tools'] is not none %}{{ '<|tool|>' + message['tools'] + '<|/tool|>' }}{% endif %}{% endif %}{% endfor %}{{ '<|end|>' }}{% for message in messages %}{% if message['role'] != 'system' %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% else %}{{ eos_token }}{% endif %}",
};

const PHI3_STOPS = [32007, 32001, 32000];
const PHI4_STOPS = [200020, 199999];

/** A conversation that grows by a user and an assistant turn at a time. */
const CONVERSATION: ChatMessage[] = [
	{ role: 'system', content: 'You answer questions about code.' },
	{ role: 'user', content: 'What does `add(a, b)` return?' },
	{ role: 'assistant', content: 'It returns a + b.\n\n```ts\nadd(1, 2) // 3\n```' },
	{ role: 'user', content: '  And for strings? 日本語 🚀' },
	{ role: 'assistant', content: ' The concatenation, e.g. "ab".' },
	{ role: 'user', content: 'Thanks!\n' },
];

describe('model chat templates (@huggingface/jinja) with the published tokenizers', function () {
	this.timeout(60_000);
	let phi3: HfTokenizer;
	let phi4: HfTokenizer;
	before(() => {
		phi3 = new HfTokenizer(phi3TokenizerJson(), 'phi-3');
		phi4 = new HfTokenizer(phi4MiniTokenizerJson(), 'phi-4-mini');
	});

	const phi3Template = (template: string): ModelChatTemplate =>
		new ModelChatTemplate(
			{ template, bosToken: '<s>', eosToken: '<|endoftext|>' },
			phi3,
			PHI3_STOPS,
		);
	const phi4Template = (template: string): ModelChatTemplate =>
		new ModelChatTemplate(
			{ template, bosToken: '<|endoftext|>', eosToken: '<|endoftext|>' },
			phi4,
			PHI4_STOPS,
		);

	it("renders Phi-3's published conversation to Hugging Face's text and ids", () => {
		// onnxruntime-extensions' Phi3MiniChatTemplate test ("from HuggingFace Python output for
		// microsoft/Phi-3-mini-4k-instruct"): rendered with add_generation_prompt, the role tokens
		// single ids, the newline after each one stripped by the tokenizer.
		const template = phi3Template(TEMPLATES.phi3);
		const messages: ChatMessage[] = [
			{ role: 'system', content: 'System message' },
			{ role: 'user', content: 'Hello, can you call some tools for me?' },
			{ role: 'assistant', content: 'Sure, I can calculate the sum for you!' },
		];
		assert.equal(
			template.render(messages),
			'<|system|>\nSystem message<|end|>\n<|user|>\nHello, can you call some tools for me?<|end|>\n' +
				'<|assistant|>\nSure, I can calculate the sum for you!<|end|>\n<|assistant|>\n',
		);
		assert.deepEqual(template.buildPrompt(messages), {
			ids: [
				32006, 2184, 2643, 32007, 32010, 15043, 29892, 508, 366, 1246, 777, 8492, 363, 592,
				29973, 32007, 32001, 18585, 29892, 306, 508, 8147, 278, 2533, 363, 366, 29991,
				32007, 32001,
			],
			stopIds: PHI3_STOPS,
		});
	});

	it("renders Phi-4-mini-reasoning's published conversation to Hugging Face's text and ids", () => {
		// onnxruntime-extensions' Phi4MiniReasoningChatTemplate test, from Hugging Face's output.
		const template = phi4Template(TEMPLATES.phi4MiniReasoning);
		const messages: ChatMessage[] = [
			{
				role: 'system',
				content:
					'You are a medieval knight and must provide explanations to modern people.',
			},
			{ role: 'user', content: 'How should I explain the Internet?' },
		];
		assert.equal(
			template.render(messages),
			'<|system|>Your name is Phi, an AI math expert developed by Microsoft. You are a medieval knight ' +
				'and must provide explanations to modern people.<|end|><|user|>How should I explain the ' +
				'Internet?<|end|><|assistant|>',
		);
		assert.deepEqual(
			template.buildPrompt(messages).ids,
			[
				200022, 9719, 1308, 382, 102143, 11, 448, 20837, 13324, 8333, 9742, 656, 8321, 13,
				1608, 553, 261, 55145, 105457, 326, 2804, 3587, 69457, 316, 6809, 1665, 13, 200020,
				200021, 5299, 1757, 357, 16644, 290, 7380, 30, 200020, 200019,
			],
		);
	});

	it("renders Phi-4-mini's template with each role token as its single id", () => {
		const template = phi4Template(TEMPLATES.phi4Mini);
		const system = 'You are a medieval knight and must provide explanations to modern people.';
		const messages: ChatMessage[] = [
			{ role: 'system', content: system },
			{ role: 'user', content: 'How should I explain the Internet?' },
		];
		assert.equal(
			template.render(messages),
			`<|system|>${system}<|end|><|user|>How should I explain the Internet?<|end|><|assistant|>`,
		);
		// The text between the role tokens as gpt-tokenizer's o200k encoder splits it; the user turn's
		// ids are the tail of the published Phi-4-mini-reasoning ids above.
		assert.deepEqual(template.buildPrompt(messages).ids, [
			200022,
			...o200kEncode(system),
			200020,
			200021,
			5299,
			1757,
			357,
			16644,
			290,
			7380,
			30,
			200020,
			200019,
		]);
	});

	const growing: [string, () => ModelChatTemplate][] = [
		['Phi-3 (April 2024)', () => phi3Template(TEMPLATES.phi3April)],
		['Phi-3', () => phi3Template(TEMPLATES.phi3)],
		['Phi-3.5', () => phi3Template(TEMPLATES.phi35)],
		['Phi-4-mini', () => phi4Template(TEMPLATES.phi4Mini)],
	];
	for (const [name, make] of growing) {
		it(`${name}: a conversation that grows by a turn keeps its token prefix`, () => {
			const template = make();
			let previous: number[] = [];
			for (let turns = 2; turns <= CONVERSATION.length; turns += 2) {
				const { ids } = template.buildPrompt(CONVERSATION.slice(0, turns));
				assert.deepEqual(
					ids.slice(0, previous.length),
					previous,
					`after ${turns} messages`,
				);
				assert.ok(ids.length > previous.length);
				previous = ids;
			}
		});
	}

	it('reads stop ids from genai_config, config and generation_config, then <|end|> and <|endoftext|>', () => {
		assert.deepEqual(
			stopTokenIds(phi3, {
				genaiConfig: { model: { eos_token_id: [32007, 32001, 32000] } },
				config: { eos_token_id: 32000 },
				generationConfig: { eos_token_id: [32000, 32001, 32007] },
			}),
			[32007, 32001, 32000],
		);
		assert.deepEqual(stopTokenIds(phi3, {}), [32007, 32000]);
		assert.deepEqual(
			stopTokenIds(phi4, {
				genaiConfig: { model: { eos_token_id: [200020, 199999] } },
				config: { eos_token_id: 199999 },
			}),
			[200020, 199999],
		);
	});

	it('reads a folder: tokenizer_config.json, chat_template.jinja over it, the configs', async () => {
		const folder = mkdtempSync(path.join(os.tmpdir(), 'longrope-chat-template-'));
		try {
			const write = (name: string, value: unknown): void =>
				writeFileSync(path.join(folder, name), JSON.stringify(value));
			write('tokenizer_config.json', {
				chat_template: TEMPLATES.phi3,
				bos_token: { content: '<s>' },
				eos_token: '<|endoftext|>',
			});
			write('genai_config.json', { model: { eos_token_id: [32007, 32001, 32000] } });
			const template = await readModelChatTemplate(folder, phi3);
			assert.deepEqual(template.stopIds, [32007, 32001, 32000]);
			assert.equal(
				template.render([{ role: 'user', content: 'hi' }]),
				'<|user|>\nhi<|end|>\n<|assistant|>\n',
			);
			writeFileSync(path.join(folder, 'chat_template.jinja'), TEMPLATES.phi3April);
			const april = await readModelChatTemplate(folder, phi3);
			assert.equal(
				april.render([{ role: 'user', content: 'hi' }]),
				'<s><|user|>\nhi<|end|>\n<|assistant|>\n',
			);
		} finally {
			rmSync(folder, { recursive: true, force: true });
		}
	});

	it('names what is missing', async () => {
		assert.throws(
			() => chatTemplateSource({ eos_token: '</s>' }, 'x/tokenizer_config.json'),
			/x\/tokenizer_config.json has no chat_template/,
		);
		assert.equal(
			chatTemplateSource(
				{
					chat_template: [
						{ name: 'rag', template: 'r' },
						{ name: 'default', template: 'd' },
					],
				},
				'x',
			).template,
			'd',
		);
		assert.throws(
			() => new ModelChatTemplate({ template: '{% if %}' }, phi3, [1]),
			/chat template does not parse/,
		);
		const empty = mkdtempSync(path.join(os.tmpdir(), 'longrope-chat-template-'));
		try {
			await assert.rejects(
				readModelChatTemplate(empty, phi3),
				/has no tokenizer_config.json/,
			);
		} finally {
			rmSync(empty, { recursive: true, force: true });
		}
	});
});
