"""The bundled model: a Llama/Phi-3 style decoder whose rotary tables are inputs.

Training feeds plain RoPE tables, or a LongRoPE factor set's (the progressive fine-tune); the ONNX
export keeps cos/sin as graph inputs so that the extension's factor manager decides every position's
angles (LongRoPE, PI, NTK, YaRN alike).
"""

import dataclasses
import json
import math

import torch
from torch import nn
from torch.nn import functional as F


@dataclasses.dataclass
class ModelConfig:
    vocab_size: int = 4096
    hidden_size: int = 256
    num_hidden_layers: int = 6
    num_attention_heads: int = 8
    num_key_value_heads: int = 4
    intermediate_size: int = 704
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    original_max_position_embeddings: int = 256

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def load(cls, path):
        with open(path) as f:
            data = json.load(f)
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


@dataclasses.dataclass(frozen=True)
class FactorSet:
    """A LongRoPE set as models/<name>/longrope.json stores it: per-pair rescale factors lambda_i, the
    first nHat positions unscaled, and an attention factor that multiplies cos and sin."""

    name: str
    factors: tuple
    n_hat: int
    attention_factor: float

    @classmethod
    def load(cls, path, name):
        with open(path) as f:
            sets = json.load(f)["sets"]
        found = [s for s in sets if s["name"] == name]
        if not found:
            raise ValueError(f"{path} has no factor set named {name!r} (it has {[s['name'] for s in sets]})")
        s = found[0]
        return cls(name, tuple(float(x) for x in s["factors"]), int(s["nHat"]), float(s["attentionFactor"]))


def rope_tables(positions, head_dim, base, factor_set=None):
    """cos/sin for the given positions, one column per rotary pair, computed as the extension's
    engine computes the graph's inputs (extension/engine/rotaryTables.ts, rotaryGeometry.ts):
    theta_i = 1 / base^(2i/d), scaled theta_i / lambda_i from position nHat on, the angle in
    float64, then cos and sin times the attention factor, rounded to float32. With no set: plain RoPE."""
    theta = 1.0 / base ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    positions = positions.to(torch.float64)
    if factor_set is None:
        angles = positions[:, None] * theta[None, :]
        return torch.cos(angles).float(), torch.sin(angles).float()
    factors = torch.tensor(factor_set.factors, dtype=torch.float64)
    if factors.shape != theta.shape:
        raise ValueError(f"factor set {factor_set.name} has {len(factors)} factors for {len(theta)} rotary pairs")
    freqs = torch.where((positions < factor_set.n_hat)[:, None], theta[None, :], (theta / factors)[None, :])
    angles = positions[:, None] * freqs
    scale = factor_set.attention_factor
    return (torch.cos(angles) * scale).float(), (torch.sin(angles) * scale).float()


def rotate(x, cos, sin):
    """Rotate-half RoPE: x is [batch, heads, seq, head_dim]; cos/sin are [seq, head_dim/2]."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


def attend(q, k, v, kv_heads, key_mask=None):
    """Causal grouped-query attention. q: [b, heads, t, hd]; k, v: [b, kv_heads, total, hd], the last t
    rows new; key_mask (optional, broadcastable bool) marks the keys that may be seen. Query heads are grouped against their shared KV head by broadcasting, not by copying K/V."""
    b, heads, t, hd = q.shape
    total = k.shape[2]
    q = q.reshape(b, kv_heads, heads // kv_heads, t, hd)
    scores = q @ k[:, :, None].transpose(-1, -2) / math.sqrt(hd)
    # Query i (absolute position total - t + i) sees every cached key and new keys up to itself.
    qi = torch.arange(t)[:, None] + (total - t)
    ki = torch.arange(total)[None, :]
    hidden = ki > qi if key_mask is None else (ki > qi) | ~key_mask
    scores = scores.masked_fill(hidden, float("-inf"))
    return (F.softmax(scores, dim=-1) @ v[:, :, None]).reshape(b, heads, t, hd)


class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.q_proj = nn.Linear(cfg.hidden_size, cfg.num_attention_heads * hd, bias=False)
        self.k_proj = nn.Linear(cfg.hidden_size, cfg.num_key_value_heads * hd, bias=False)
        self.v_proj = nn.Linear(cfg.hidden_size, cfg.num_key_value_heads * hd, bias=False)
        self.o_proj = nn.Linear(cfg.num_attention_heads * hd, cfg.hidden_size, bias=False)

    def forward(self, x, cos, sin, past_k, past_v):
        """past_k/past_v are sequence-major [batch, past, kv_heads, head_dim]; returns only the new rows."""
        cfg = self.cfg
        b, t, _ = x.shape
        hd = cfg.head_dim
        q = self.q_proj(x).view(b, t, cfg.num_attention_heads, hd).transpose(1, 2)
        k_new = self.k_proj(x).view(b, t, cfg.num_key_value_heads, hd)
        v_new = self.v_proj(x).view(b, t, cfg.num_key_value_heads, hd)
        q = rotate(q, cos, sin)
        k_new = rotate(k_new.transpose(1, 2), cos, sin).transpose(1, 2)
        k = torch.cat((past_k, k_new), dim=1).transpose(1, 2)
        v = torch.cat((past_v, v_new), dim=1).transpose(1, 2)
        out = attend(q, k, v, cfg.num_key_value_heads)
        out = out.transpose(1, 2).reshape(b, t, cfg.num_attention_heads * hd)
        return self.o_proj(out), k_new, v_new


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, past_k, past_v):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, past_k, past_v)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, k, v


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        nn.init.normal_(self.embed_tokens.weight, std=0.02)
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):
                std = 0.02 / math.sqrt(2 * cfg.num_hidden_layers) if name.endswith(("o_proj.weight", "down_proj.weight")) else 0.02
                nn.init.normal_(p, std=std)

    def forward(self, input_ids, cos, sin, past):
        """past: list of (key, value) per layer, each [batch, past, kv_heads, head_dim]."""
        x = self.embed_tokens(input_ids)
        presents = []
        for layer, (pk, pv) in zip(self.layers, past):
            x, k, v = layer(x, cos, sin, pk, pv)
            presents.append((k, v))
        # Tied embeddings: the output head is the embedding matrix.
        logits = self.norm(x) @ self.embed_tokens.weight.t()
        return logits, presents

    def empty_past(self, batch):
        cfg = self.cfg
        z = torch.zeros(batch, 0, cfg.num_key_value_heads, cfg.head_dim)
        return [(z, z) for _ in range(cfg.num_hidden_layers)]

    def forward_plain(self, input_ids, start=0, factor_set=None):
        """Training/evaluation forward from position `start` with no cache: plain RoPE, or the tables of
        a LongRoPE factor set (FactorSet)."""
        t = input_ids.shape[1]
        cos, sin = rope_tables(torch.arange(start, start + t), self.cfg.head_dim, self.cfg.rope_theta, factor_set)
        return self(input_ids, cos, sin, self.empty_past(input_ids.shape[0]))[0]
