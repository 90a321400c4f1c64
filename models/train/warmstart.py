"""Turns a shipped 4/8-bit LongRoPE-ready graph back into a PyTorch checkpoint to train from.

The fp32 checkpoint of the bundled model is not kept, so training warm-starts from the weights
the folder ships: each MatMulNBits / GatherBlockQuantized weight (quantize.py's layout: rows of
K/32 blocks, low nibble first, asymmetric zero points packed two per byte at 4 bits) is
dequantized into the Decoder's state dict. The projections appear in the graph in layer order,
q k v o gate up down per layer, then the tied output head.

  /usr/bin/python3 models/train/warmstart.py MODEL_DIR/model.onnx OUT.pt [--reference REF.json]

--reference writes the dequantized model's logits on a fixed sequence (export.py's format), which
verify.mjs compares against the graph in onnxruntime-node.
"""

import argparse
import os

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from export import reference
from model import Decoder, ModelConfig

PROJECTIONS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]


def attr(node, name):
    return next(onnx.helper.get_attribute_value(a) for a in node.attribute if a.name == name)


def dequantize(blocks, scales, zero_points, bits, k):
    """[rows, K/B, B*bits/8] packed bytes -> [rows, K] float32, exactly as quantize.py built them."""
    rows = blocks.shape[0]
    blocks = blocks.reshape(rows, scales.shape[1], -1)
    if bits == 4:
        q = np.stack((blocks & 0x0F, blocks >> 4), axis=-1).reshape(rows, scales.shape[1], -1)
        zero = np.stack((zero_points & 0x0F, zero_points >> 4), axis=-1).reshape(rows, -1)[:, : scales.shape[1]]
    else:
        q, zero = blocks, zero_points
    deq = (q.astype(np.float32) - zero[..., None].astype(np.float32)) * scales[..., None]
    return deq.reshape(rows, -1)[:, :k]


def state_dict(path, cfg):
    graph = onnx.load(path).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state = {name: torch.from_numpy(inits[name].copy()) for name in inits if name.endswith("layernorm.weight") or name == "model.norm.weight"}
    state = {name.removeprefix("model."): value for name, value in state.items()}
    projections = []
    for node in graph.node:
        if node.op_type == "GatherBlockQuantized":
            base = node.input[0].removesuffix("_rows")
            deq = dequantize(inits[base + "_blocks"], inits[base + "_scales"], inits[base + "_zp"], attr(node, "bits"), cfg.hidden_size)
            state["embed_tokens.weight"] = torch.from_numpy(deq)
        elif node.op_type == "MatMulNBits":
            base = node.input[1].removesuffix("_blocks")
            if base.startswith("model.embed_tokens"):
                continue  # the tied head: the embedding's bytes again
            projections.append(dequantize(inits[node.input[1]], inits[base + "_scales"], inits[base + "_zp"], attr(node, "bits"), attr(node, "K")))
    expected = len(PROJECTIONS) * cfg.num_hidden_layers
    if len(projections) != expected:
        raise SystemExit(f"warmstart: {path} has {len(projections)} quantized projections, the config needs {expected}")
    for i, w in enumerate(projections):
        state[f"layers.{i // len(PROJECTIONS)}.{PROJECTIONS[i % len(PROJECTIONS)]}.weight"] = torch.from_numpy(w)
    return state


def main():
    p = argparse.ArgumentParser()
    p.add_argument("onnx")
    p.add_argument("out")
    p.add_argument("--config", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "model-config.json"))
    p.add_argument("--reference")
    args = p.parse_args()
    cfg = ModelConfig.load(args.config)
    model = Decoder(cfg)
    model.load_state_dict(state_dict(args.onnx, cfg))  # strict: every parameter comes from the graph
    model.eval()
    torch.save({"model": model.state_dict(), "config": cfg.__dict__, "source": args.onnx}, args.out)
    if args.reference:
        reference(model, args.reference)


if __name__ == "__main__":
    main()
