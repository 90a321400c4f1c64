// Writes the model folder's Hugging Face style config.json (from model-config.json) and its tokenizer.json.
// The rotary tables are graph inputs, so rope_scaling stays empty here: the factor sets that stretch the
// window live in longrope.json, written by the LongRoPE search; given one, max_position_embeddings is
// its longest set's window (what the folder supports), otherwise the trained window.
//
//   node models/train/config.mjs BUILD_DIR MODEL_DIR [LONGROPE_JSON]
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [build, dir, longrope] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const model = JSON.parse(readFileSync(join(here, 'model-config.json'), 'utf8'));
const vocab = JSON.parse(readFileSync(join(build, 'tokenizer.json'), 'utf8')).model.vocab;
const config = {
	architectures: ['LongRopeDecoder'],
	model_type: 'llama',
	vocab_size: model.vocab_size,
	hidden_size: model.hidden_size,
	intermediate_size: model.intermediate_size,
	num_hidden_layers: model.num_hidden_layers,
	num_attention_heads: model.num_attention_heads,
	num_key_value_heads: model.num_key_value_heads,
	head_dim: model.hidden_size / model.num_attention_heads,
	hidden_act: 'silu',
	rms_norm_eps: model.rms_norm_eps,
	rope_theta: model.rope_theta,
	original_max_position_embeddings: model.original_max_position_embeddings,
	max_position_embeddings: longrope
		? Math.max(...JSON.parse(readFileSync(longrope, 'utf8')).sets.map((set) => set.maxLength))
		: model.original_max_position_embeddings,
	rope_scaling: null,
	tie_word_embeddings: true,
	bos_token_id: vocab['<s>'],
	eos_token_id: vocab['</s>'],
	pad_token_id: vocab['<pad>'],
	torch_dtype: 'float32',
};
writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, '\t') + '\n');
copyFileSync(join(build, 'tokenizer.json'), join(dir, 'tokenizer.json'));
