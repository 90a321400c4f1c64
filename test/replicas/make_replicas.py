"""Tiny random-weight replicas of the ONNX Runtime GenAI CPU int4 Phi exports.

The graphs follow the structure that onnxruntime-genai's model builder
(src/python/py/models/builder.py at tag v0.6.0, February 2025, the builder of
the folders published in 2024-25) writes for Phi3ForCausalLM on the CPU with
fp32 I/O and int4 weights, after its MatMul4BitsQuantizer pass:

- inputs input_ids, attention_mask, past_key_values.{i}.key/.value; outputs
  logits, present.{i}.key/.value; no position_ids (rotary inside attention);
- seqlens_k / total_sequence_length from attention_mask
  (/model/attn_mask_reformat/attn_mask_subgraph/...);
- Gather embedding (fp32), SimplifiedLayerNormalization then
  SkipSimplifiedLayerNormalization, packed qkv MatMulNBits feeding
  GroupQueryAttention (do_rotary=1, cos/sin caches as inputs 7 and 8),
  o_proj, gate_proj and up_proj (the builder unpacks Phi-3's fused gate_up),
  Sigmoid*x*up, down_proj, final SkipSimplifiedLayerNormalization, lm_head
  MatMulNBits writing "logits";
- LongRoPE kinds: an If (/model/rotemb_caches_subgraph/If) on
  attention_mask's length > original_max_position_embeddings whose branches
  are Constant nodes holding the long [max_pos, rotary_dim/2] or short
  [original_max, rotary_dim/2] caches, attention factor multiplied in; the
  plain kind: cos_cache / sin_cache initializers.

Each kind is written twice, accuracy_level 0 (exact fp32 arithmetic on the
dequantized weights) and accuracy_level 4 (int8 activations, what the
published CPU folders use); the twins share their model.onnx.data byte for
byte.

The structure code lives in replica_graph.py and replica_tokenizer.py, shared with
make_realsize.py (full-size replicas for the benchmarks).

Run:  /usr/bin/python3 test/replicas/make_replicas.py [OUT_DIR]
(default test/fixtures/replicas).
"""

import pathlib
import sys

import onnx

from replica_graph import ROOT, build_graph, check, kind_factors, random_weights, write_configs

DEFAULT_OUT = ROOT / "test" / "fixtures" / "replicas"
VOCAB_SIZE = 320  # rows of the embedding; like Phi-3's 32064, a few past the last token
SOURCE = "Tiny random-weight replica written by test/replicas/make_replicas.py"

KINDS = {
    # Phi-3-mini-128k / Phi-3.5-mini: heads == kv heads, full rotary, RTN block 32 symmetric.
    "phi3-128k": dict(
        hidden=128, heads=4, kv_heads=4, intermediate=256, layers=2, partial_rotary_factor=1.0,
        longrope=True, original_max=64, max_pos=512, block=32, symmetric=True, tie=False,
        eps=1e-5, seed=11, family="phi3", vocab=VOCAB_SIZE, source=SOURCE,
    ),
    # Phi-4-mini: 3/4 of each head rotated, GQA 4 heads over 2, tied embeddings, RTN block 32.
    "phi4-mini": dict(
        hidden=256, heads=4, kv_heads=2, intermediate=256, layers=2, partial_rotary_factor=0.75,
        longrope=True, original_max=64, max_pos=512, block=32, symmetric=True, tie=True,
        eps=1e-5, seed=12, family="phi4", vocab=VOCAB_SIZE, source=SOURCE,
    ),
    # Phi-3-mini-4k-like: no rope_scaling, one cache; block 128 with zero points (asymmetric).
    "plain": dict(
        hidden=128, heads=4, kv_heads=4, intermediate=256, layers=2, partial_rotary_factor=1.0,
        longrope=False, original_max=128, max_pos=128, block=128, symmetric=False, tie=False,
        eps=1e-5, seed=13, family="phi3", vocab=VOCAB_SIZE, source=SOURCE,
    ),
}


def write_kind(out_root, kind, spec):
    factors = kind_factors(kind, spec)
    weights = random_weights(spec)
    for accuracy_level, suffix in ((0, ""), (4, "-acc4")):
        folder = out_root / f"{kind}{suffix}"
        folder.mkdir(parents=True, exist_ok=True)
        for stale in ("model.onnx", "model.onnx.data"):
            (folder / stale).unlink(missing_ok=True)
        model = build_graph(spec, weights, accuracy_level, factors)
        check(model)
        onnx.save_model(model, str(folder / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.onnx.data", size_threshold=0, convert_attribute=False)
        write_configs(folder, spec, factors)
        print(f"wrote {folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}")


def main():
    out_root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    for kind, spec in KINDS.items():
        write_kind(out_root, kind, spec)


if __name__ == "__main__":
    main()
