"""Reference logits for the ORT-genai replicas, from Hugging Face's Phi-3 semantics, in float64.

Written from transformers' modeling_phi3.py and modeling_rope_utils.py, not from
the ONNX graph, which is never run here:

- RMSNorm: x / sqrt(mean(x^2) + eps) * weight; residual around attention and MLP.
- qkv_proj split into q (heads*head_dim), k and v (kv_heads*head_dim each);
  repeat_kv for grouped heads; causal softmax(q k^T / sqrt(head_dim)) v; o_proj.
- Rotary: rotate_half on the first rotary_dim = head_dim * partial_rotary_factor
  dims of each head; the rest pass through.
- LongRoPE (Phi3LongRoPEScaledRotaryEmbedding / _compute_longrope_parameters):
  inv_freq_i = 1 / (ext_factor_i * base^(2i/rotary_dim)), ext_factors = long_factor
  when the sequence is longer than original_max_position_embeddings, else
  short_factor; cos and sin multiplied by sqrt(1 + ln(s) / ln(L)),
  s = max_position_embeddings / original_max_position_embeddings. The long
  regime is the whole sequence under the long factors, as HF computes it
  after its forced re-prefill (transformers PR #33129).
- MLP: gate_up_proj chunked into gate and up, down(up * silu(gate)).

Weights come from the folder's ONNX initializers by name (the builder's
naming), MatMulNBits blocks dequantized here: (q - zero_point) * scale, 4-bit
values low nibble first, zero point 8 when none is stored. Hyper-parameters
come from config.json.

Output: test/fixtures/replicas/reference.json, see test/replicas/README.md.
Run:    /usr/bin/python3 test/reference/phi3_reference.py
"""

import json
import math
import pathlib

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[2]
REPLICAS = ROOT / "test" / "fixtures" / "replicas"
KINDS = ["phi3-128k", "phi4-mini", "plain"]
SHORT_LENGTH = 64  # = original window: the last length the short factors serve
LONG_LENGTH = 100  # crosses the original window of the LongRoPE kinds
PLAIN_FULL_LENGTH = 120
TOKEN_SEED = 2024


def load_initializers(folder):
    model = onnx.load(str(folder / "model.onnx"), load_external_data=True)
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def dequantize(inits, prefix, k):
    """HF-layout [out_features, in_features] float64 from the quantizer's _Q4/_scales/_zero_points."""
    packed = inits[prefix + "_Q4"]
    n, k_blocks, half = packed.shape
    block = half * 2
    q = np.empty((n, k_blocks, block), np.float64)
    q[..., 0::2] = packed & 0x0F
    q[..., 1::2] = packed >> 4
    scales = inits[prefix + "_scales"].astype(np.float64).reshape(n, k_blocks)
    if prefix + "_zero_points" in inits:
        zp_packed = inits[prefix + "_zero_points"].reshape(n, -1)
        zp = np.empty((n, zp_packed.shape[1] * 2), np.float64)
        zp[:, 0::2] = zp_packed & 0x0F
        zp[:, 1::2] = zp_packed >> 4
        zp = zp[:, :k_blocks]
    else:
        zp = np.full((n, k_blocks), 8.0)
    weight = ((q - zp[..., None]) * scales[..., None]).reshape(n, k_blocks * block)
    return weight[:, :k]


def hf_weights(folder, config):
    inits = load_initializers(folder)
    h, inter = config["hidden_size"], config["intermediate_size"]
    layers = []
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}"
        gate = dequantize(inits, f"{p}.mlp.gate_proj.MatMul.weight", h)
        up = dequantize(inits, f"{p}.mlp.up_proj.MatMul.weight", h)
        layers.append({
            "input_layernorm": inits[f"{p}.input_layernorm.weight"].astype(np.float64),
            "qkv_proj": dequantize(inits, f"{p}.attn.qkv_proj.MatMul.weight", h),
            "o_proj": dequantize(inits, f"{p}.attn.o_proj.MatMul.weight", h),
            "post_attention_layernorm": inits[f"{p}.post_attention_layernorm.weight"].astype(np.float64),
            "gate_up_proj": np.concatenate([gate, up], axis=0),
            "down_proj": dequantize(inits, f"{p}.mlp.down_proj.MatMul.weight", inter),
        })
    n = config["num_hidden_layers"]
    return {
        "embed_tokens": inits["model.embed_tokens.weight"].astype(np.float64),
        "layers": layers,
        "norm": inits[f"model.layers.{n}.final_norm_layernorm.weight"].astype(np.float64),
        "lm_head": dequantize(inits, "lm_head.MatMul.weight", h),
    }


def rope_tables(config, seq_len):
    """cos/sin [seq_len, rotary_dim] for positions 0..seq_len-1, and the factor set used."""
    head_dim = config["hidden_size"] // config["num_attention_heads"]
    dim = int(head_dim * config.get("partial_rotary_factor", 1.0))
    base = config["rope_theta"]
    scaling = config.get("rope_scaling")
    exponent = np.arange(0, dim, 2, dtype=np.float64) / dim
    if scaling and scaling["type"] in ("longrope", "su"):
        original = config["original_max_position_embeddings"]
        factor = config["max_position_embeddings"] / original
        attention = math.sqrt(1 + math.log(factor) / math.log(original)) if factor > 1 else 1.0
        chosen = "long" if seq_len > original else "short"
        ext = np.asarray(scaling[f"{chosen}_factor"], np.float64)
    else:
        attention, chosen, ext = 1.0, "plain", np.ones(dim // 2)
    inv_freq = 1.0 / (ext * base**exponent)
    freqs = np.outer(np.arange(seq_len, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb) * attention, np.sin(emb) * attention, chosen


def rms_norm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rotary(x, cos, sin):
    """x [heads, seq, head_dim]; rotates the first cos.shape[-1] dims, passes the rest."""
    rot = cos.shape[-1]
    x_rot, x_pass = x[..., :rot], x[..., rot:]
    return np.concatenate([x_rot * cos + rotate_half(x_rot) * sin, x_pass], axis=-1)


def forward(config, w, tokens):
    """Logits [seq, vocab] of one full forward over tokens (no cache), and the factor set."""
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    head_dim = config["hidden_size"] // heads
    eps = config["rms_norm_eps"]
    seq = len(tokens)
    cos, sin, chosen = rope_tables(config, seq)
    causal = np.triu(np.full((seq, seq), -np.inf), k=1)
    x = w["embed_tokens"][np.asarray(tokens)]
    for layer in w["layers"]:
        h = rms_norm(x, layer["input_layernorm"], eps)
        qkv = h @ layer["qkv_proj"].T
        q_end, k_end = heads * head_dim, heads * head_dim + kv_heads * head_dim
        q = qkv[:, :q_end].reshape(seq, heads, head_dim).transpose(1, 0, 2)
        k = qkv[:, q_end:k_end].reshape(seq, kv_heads, head_dim).transpose(1, 0, 2)
        v = qkv[:, k_end:].reshape(seq, kv_heads, head_dim).transpose(1, 0, 2)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        groups = heads // kv_heads
        k, v = np.repeat(k, groups, axis=0), np.repeat(v, groups, axis=0)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(head_dim) + causal
        scores -= scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        attn = (probs @ v).transpose(1, 0, 2).reshape(seq, heads * head_dim)
        x = x + attn @ layer["o_proj"].T
        h = rms_norm(x, layer["post_attention_layernorm"], eps)
        gate, up = np.split(h @ layer["gate_up_proj"].T, 2, axis=-1)
        x = x + (up * gate / (1 + np.exp(-gate))) @ layer["down_proj"].T
    x = rms_norm(x, w["norm"], eps)
    return x @ w["lm_head"].T, chosen


def sample(config, w, rng, real_tokens, length):
    """A sequence the model itself finds typical: 4 random tokens, then each next token drawn from
    the reference's own softmax (restricted to ordinary tokens), so perplexities are moderate."""
    tokens = rng.integers(0, real_tokens, size=4).tolist()
    while len(tokens) < length:
        logits = forward(config, w, tokens)[0][-1, :real_tokens]
        p = np.exp(logits - logits.max())
        tokens.append(int(rng.choice(real_tokens, p=p / p.sum())))
    return tokens


def summarize(name, tokens, logits, chosen, row_positions):
    lse = np.log(np.exp(logits - logits.max(axis=-1, keepdims=True)).sum(axis=-1)) + logits.max(axis=-1)
    targets = [float(logits[t, tokens[t + 1]]) for t in range(len(tokens) - 1)]
    nll = [float(lse[t]) - targets[t] for t in range(len(tokens) - 1)]
    return {
        "name": name,
        "factorSet": chosen,
        "tokens": [int(t) for t in tokens],
        "argmax": [int(i) for i in logits.argmax(axis=-1)],
        "logsumexp": [round(float(v), 6) for v in lse],
        "targetLogit": [round(v, 6) for v in targets],
        "perplexity": round(math.exp(sum(nll) / len(nll)), 6),
        "rows": {str(p): [round(float(v), 6) for v in logits[p]] for p in row_positions},
    }


def main():
    rng = np.random.default_rng(TOKEN_SEED)
    doc = {
        "_about": "Made by test/reference/phi3_reference.py (numpy float64, Hugging Face Phi-3 semantics, weights "
                  "dequantized from the replicas' initializers); format in test/replicas/README.md.",
        "kinds": {},
    }
    for kind in KINDS:
        folder = REPLICAS / kind
        config = json.loads((folder / "config.json").read_text())
        w = hf_weights(folder, config)
        added = json.loads((folder / "tokenizer.json").read_text())["added_tokens"]
        real_tokens = min(t["id"] for t in added)  # ordinary tokens: below the specials and padding rows
        sequences = []
        longest = PLAIN_FULL_LENGTH if not config.get("rope_scaling") else LONG_LENGTH
        tokens = sample(config, w, rng, real_tokens, longest)
        short = tokens[:SHORT_LENGTH]
        logits, chosen = forward(config, w, short)
        sequences.append(summarize("short", short, logits, chosen, [0, 31, SHORT_LENGTH - 1]))
        logits, chosen = forward(config, w, tokens)
        name = "long" if config.get("rope_scaling") else "full"
        sequences.append(summarize(name, tokens, logits, chosen, [0, SHORT_LENGTH - 1, SHORT_LENGTH, SHORT_LENGTH + 1, longest - 1]))
        doc["kinds"][kind] = {
            "originalMaxPositionEmbeddings": config["original_max_position_embeddings"],
            "vocabSize": config["vocab_size"],
            "sequences": sequences,
        }
        print(kind, [(s["name"], s["factorSet"], len(s["tokens"]), s["perplexity"]) for s in sequences])
    (REPLICAS / "reference.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
