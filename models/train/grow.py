"""Grows a trained checkpoint into a deeper and wider Decoder that computes the same function.

A larger model trained from scratch does not catch up with the bundled one within a session on two
cores, so it starts from the bundled weights instead (function-preserving growth, as in Net2Net,
Chen et al. 2016, and the layer stacking of Gong et al. 2019):

- each old layer is followed by (new layers / old layers - 1) copies of itself whose output
  projections (o_proj, down_proj) are zero: a zero update on the residual stream, so the copy is an
  identity until training moves it, and its attention and MLP inputs already read useful features;
- a wider MLP gets new gate/up rows drawn like a fresh layer's and zero down_proj columns, so the new
  units add nothing until they learn.

Hidden size, heads and head size stay, so the tokenizer, the embedding and every LongRoPE factor set
keep their meaning.

  /usr/bin/python3 models/train/grow.py FROM.pt TO.pt --config NEW-model-config.json [--seed N]

It checks its own work: the grown model's logits on a fixed sequence must match the original's.
"""

import argparse
import os

import torch

from model import Decoder, ModelConfig

# Zero in a new copy: what a layer adds to the residual stream.
OUTPUTS = ("self_attn.o_proj.weight", "mlp.down_proj.weight")
# Both models do the same arithmetic but for the zero updates and the wider MLP's summation order:
# the tolerance of verify.mjs.
TOLERANCE = 1e-4


def grow(state, old, new, fresh):
    """The grown model's state dict (old, new: ModelConfig; fresh: a new Decoder's state dict, whose
    rows initialise the new MLP units)."""
    for field in ("vocab_size", "hidden_size", "num_attention_heads", "num_key_value_heads", "rope_theta", "original_max_position_embeddings"):
        if getattr(old, field) != getattr(new, field):
            raise SystemExit(f"grow: {field} must stay {getattr(old, field)} (the new config says {getattr(new, field)})")
    if new.num_hidden_layers % old.num_hidden_layers or new.intermediate_size < old.intermediate_size:
        raise SystemExit(
            f"grow: {old.num_hidden_layers} → {new.num_hidden_layers} layers and {old.intermediate_size} → "
            f"{new.intermediate_size} MLP units: the layers must be a multiple and the units no fewer"
        )
    per = new.num_hidden_layers // old.num_hidden_layers
    out = {key: state[key] for key in ("embed_tokens.weight", "norm.weight")}
    extra = new.intermediate_size - old.intermediate_size
    for i in range(new.num_hidden_layers):
        source = f"layers.{i // per}."
        for key, fresh_value in fresh.items():
            if not key.startswith(f"layers.{i}."):
                continue
            name = key[len(f"layers.{i}.") :]
            value = state[source + name].clone()
            if name in ("mlp.gate_proj.weight", "mlp.up_proj.weight") and extra:
                value = torch.cat([value, fresh_value[old.intermediate_size :]], dim=0)
            elif name == "mlp.down_proj.weight" and extra:
                value = torch.cat([value, torch.zeros(new.hidden_size, extra)], dim=1)
            if i % per and name in OUTPUTS:
                value = torch.zeros_like(value)
            out[key] = value
    return out


@torch.no_grad()
def largest_difference(a, b, cfg_a):
    ids = torch.arange(cfg_a.original_max_position_embeddings).remainder(cfg_a.vocab_size - 7).add(5)[None]
    return (a.forward_plain(ids) - b.forward_plain(ids)).abs().max().item()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("source")
    p.add_argument("out")
    p.add_argument("--config", required=True, help="the grown model's model-config.json")
    p.add_argument("--seed", type=int, default=1234)
    args = p.parse_args()
    checkpoint = torch.load(args.source, map_location="cpu")
    old = ModelConfig(**checkpoint["config"])
    new = ModelConfig.load(args.config)
    torch.manual_seed(args.seed)
    grown = Decoder(new)
    grown.load_state_dict(grow(checkpoint["model"], old, new, grown.state_dict()))  # strict: every parameter set
    original = Decoder(old)
    original.load_state_dict(checkpoint["model"])
    grown.eval()
    original.eval()
    diff = largest_difference(grown, original, old)
    if not diff <= TOLERANCE:
        raise SystemExit(f"grow: the grown model's logits differ from the original's by {diff:.3g} (> {TOLERANCE})")
    params = lambda m: sum(t.numel() for t in m.parameters())
    torch.save({"model": grown.state_dict(), "config": new.__dict__, "source": os.path.abspath(args.source)}, args.out)
    print(f"grow: {params(original)} → {params(grown)} parameters, logits within {diff:.2g} of the original's")


if __name__ == "__main__":
    main()
