"""Exports a trained checkpoint to ONNX in two conventions, plus the reference values that verify them.

  longrope   the extension's LongRoPE-ready graph (names and shapes: models/README.md): rotary cos/sin
             are inputs, the past is a sequence-major prefix of the caller's buffer, and only the new
             K/V rows come back.
  hf         the Hugging Face / transformers.js convention (model_type "llama"): attention_mask,
             position_ids and a head-major past that is returned whole; RoPE is computed inside.

  /usr/bin/python3 models/train/export.py --checkpoint final.pt --out DIR --convention longrope|hf
"""

import argparse
import json
import math
import os

import numpy as np
import torch
from torch import nn

from model import Decoder, ModelConfig, attend, rope_tables, rotate

OPSET = 17


def attend_sequence_major(q, past_k, past_v, k_new, v_new, kv_heads):
    """Grouped-query attention straight on the sequence-major cache, with no transpose of it.

    q: [b, t, heads, hd]; past_*: [b, past, kv_heads, hd]; *_new: [b, t, kv_heads, hd]. Each query
    head is spread into its KV group's block of a [kv_heads*hd] row (zeros elsewhere), so one plain
    matmul against the flattened cache rows scores every head: onnxruntime then reads the cache
    once, where permuting it to head-major costs more than the attention itself. Past and new keys
    are scored separately, so the cache is not concatenated (copied) either.
    """
    b, t, heads, hd = q.shape
    width = kv_heads * hd
    group = (torch.arange(heads)[:, None] // (heads // kv_heads) == torch.arange(kv_heads)[None, :]).to(q.dtype)
    spread = (q[:, :, :, None, :] * group[None, None, :, :, None]).reshape(b, t * heads, width)
    pk = past_k.reshape(b, -1, width)
    pv = past_v.reshape(b, -1, width)
    nk = k_new.reshape(b, t, width)
    nv = v_new.reshape(b, t, width)
    scale = 1.0 / math.sqrt(hd)
    s_past = spread @ pk.transpose(1, 2) * scale
    s_new = spread @ nk.transpose(1, 2) * scale
    row_pos = torch.arange(t * heads)[:, None] // heads
    s_new = s_new.masked_fill(torch.arange(t)[None, :] > row_pos, float("-inf"))
    probs = torch.softmax(torch.cat((s_past, s_new), dim=-1), dim=-1)
    past = pk.shape[1]
    out = probs[..., :past] @ pv + probs[..., past:] @ nv
    out = (out.reshape(b, t, heads, kv_heads, hd) * group[None, None, :, :, None]).sum(3)
    return out.reshape(b, t, heads * hd)


class LongRopeGraph(nn.Module):
    """Flat inputs/outputs for torch.onnx.export; same weights and maths as Decoder, cache-friendly attention."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, rope_cos, rope_sin, *past_flat):
        m = self.model
        cfg = m.cfg
        hd = cfg.head_dim
        b, t = input_ids.shape
        cos, sin = rope_cos[:, None, :], rope_sin[:, None, :]
        x = m.embed_tokens(input_ids)
        presents = []
        for i, layer in enumerate(m.layers):
            attn = layer.self_attn
            h = layer.input_layernorm(x)
            q = rotate(attn.q_proj(h).view(b, t, cfg.num_attention_heads, hd), cos, sin)
            k_new = rotate(attn.k_proj(h).view(b, t, cfg.num_key_value_heads, hd), cos, sin)
            v_new = attn.v_proj(h).view(b, t, cfg.num_key_value_heads, hd)
            a = attend_sequence_major(q, past_flat[2 * i], past_flat[2 * i + 1], k_new, v_new, cfg.num_key_value_heads)
            presents += [k_new, v_new]
            x = x + attn.o_proj(a)
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        logits = m.norm(x) @ m.embed_tokens.weight.t()
        return (logits, *presents)


class HfGraph(nn.Module):
    """transformers.js convention: head-major past [batch, kv_heads, past, head_dim], full present returned."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        m = self.model
        cfg = m.cfg
        hd = cfg.head_dim
        inv_freq = cfg.rope_theta ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
        angles = position_ids[0].float()[:, None] * inv_freq[None, :]
        cos, sin = torch.cos(angles), torch.sin(angles)
        x = m.embed_tokens(input_ids)
        b, t = input_ids.shape
        outputs = []
        # Padding keys are masked; batch 1 with an all-ones mask is what the benchmarks use.
        key_mask = attention_mask[:, None, None, None, :].to(torch.bool)
        for i, layer in enumerate(m.layers):
            attn = layer.self_attn
            h = layer.input_layernorm(x)
            q = rotate(attn.q_proj(h).view(b, t, cfg.num_attention_heads, hd).transpose(1, 2), cos, sin)
            k_new = rotate(attn.k_proj(h).view(b, t, cfg.num_key_value_heads, hd).transpose(1, 2), cos, sin)
            v_new = attn.v_proj(h).view(b, t, cfg.num_key_value_heads, hd).transpose(1, 2)
            k = torch.cat((past_flat[2 * i], k_new), dim=2)
            v = torch.cat((past_flat[2 * i + 1], v_new), dim=2)
            outputs += [k, v]
            a = attend(q, k, v, cfg.num_key_value_heads, key_mask).transpose(1, 2).reshape(b, t, -1)
            x = x + attn.o_proj(a)
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        logits = m.norm(x) @ m.embed_tokens.weight.t()
        return (logits, *outputs)


def load(checkpoint):
    state = torch.load(checkpoint, map_location="cpu")
    cfg = ModelConfig(**state["config"]) if "config" in state else ModelConfig.load(os.path.join(os.path.dirname(__file__), "model-config.json"))
    model = Decoder(cfg)
    model.load_state_dict(state["model"])
    model.eval()
    return model, state


def export_longrope(model, path):
    cfg = model.cfg
    n, kvh, hd = cfg.num_hidden_layers, cfg.num_key_value_heads, cfg.head_dim
    ids = torch.tensor([[1, 2, 3, 4]], dtype=torch.int64)
    cos, sin = rope_tables(torch.arange(3, 7), hd, cfg.rope_theta)
    past = [torch.zeros(1, 3, kvh, hd) for _ in range(2 * n)]
    names_past = [f"past_key_values.{i}.{kind}" for i in range(n) for kind in ("key", "value")]
    names_present = [f"present.{i}.{kind}" for i in range(n) for kind in ("key", "value")]
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "rope_cos": {0: "sequence"}, "rope_sin": {0: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
    for name in names_past:
        axes[name] = {0: "batch", 1: "past_sequence"}
    for name in names_present:
        axes[name] = {0: "batch", 1: "sequence"}
    torch.onnx.export(
        LongRopeGraph(model),
        (ids, cos, sin, *past),
        path,
        input_names=["input_ids", "rope_cos", "rope_sin", *names_past],
        output_names=["logits", *names_present],
        dynamic_axes=axes,
        opset_version=OPSET,
        do_constant_folding=True,
    )


def export_hf(model, path):
    cfg = model.cfg
    n, kvh, hd = cfg.num_hidden_layers, cfg.num_key_value_heads, cfg.head_dim
    ids = torch.tensor([[1, 2, 3, 4]], dtype=torch.int64)
    mask = torch.ones(1, 7, dtype=torch.int64)
    pos = torch.arange(3, 7)[None, :]
    past = [torch.zeros(1, kvh, 3, hd) for _ in range(2 * n)]
    names_past = [f"past_key_values.{i}.{kind}" for i in range(n) for kind in ("key", "value")]
    names_present = [f"present.{i}.{kind}" for i in range(n) for kind in ("key", "value")]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "total_sequence_length"}, "position_ids": {0: "batch_size", 1: "sequence_length"}, "logits": {0: "batch_size", 1: "sequence_length"}}
    for name in names_past:
        axes[name] = {0: "batch_size", 2: "past_sequence_length"}
    for name in names_present:
        axes[name] = {0: "batch_size", 2: "total_sequence_length"}
    torch.onnx.export(
        HfGraph(model),
        (ids, mask, pos, *past),
        path,
        input_names=["input_ids", "attention_mask", "position_ids", *names_past],
        output_names=["logits", *names_present],
        dynamic_axes=axes,
        opset_version=OPSET,
        do_constant_folding=True,
    )


@torch.no_grad()
def reference(model, out_path):
    """PyTorch logits that the onnxruntime-node verification compares against (plain RoPE)."""
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(7, model.cfg.vocab_size, (1, 48), generator=g)
    logits = model.forward_plain(ids)[0]
    np.save(out_path + ".ids.npy", ids.numpy())
    with open(out_path, "w") as f:
        json.dump({"ids": ids[0].tolist(), "logits": logits.numpy().astype(float).round(7).tolist()}, f)


def hf_config(cfg):
    return {
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "head_dim": cfg.head_dim,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_theta": cfg.rope_theta,
        "max_position_embeddings": cfg.original_max_position_embeddings,
        "tie_word_embeddings": True,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "pad_token_id": 2,
        "hidden_act": "silu",
        "torch_dtype": "float32",
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--convention", choices=["longrope", "hf"], required=True)
    p.add_argument("--reference", help="write PyTorch reference logits to this JSON file")
    args = p.parse_args()
    model, state = load(args.checkpoint)
    os.makedirs(args.out, exist_ok=True)
    if args.convention == "longrope":
        export_longrope(model, os.path.join(args.out, "model.onnx"))
    else:
        export_hf(model, os.path.join(args.out, "model.onnx"))
        with open(os.path.join(args.out, "config.json"), "w") as f:
            json.dump(hf_config(model.cfg), f, indent=1)
    if args.reference:
        reference(model, args.reference)


if __name__ == "__main__":
    main()
