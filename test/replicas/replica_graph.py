"""The graph, weights and configs of an ORT-genai replica, for any size (see make_replicas.py
for the structure and where it comes from; make_realsize.py writes full-size ones)."""

import json
import math
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from replica_tokenizer import tokenizer_files

ROOT = pathlib.Path(__file__).resolve().parents[2]
PHI3_CONFIG = ROOT / "test" / "fixtures" / "phi-3-mini-128k-instruct.config.json"
OPSET = 14
IR_VERSION = 7


# ---------------------------------------------------------------- weights


def resample(values, n):
    """Phi-3-mini-128k's published factor curve (48 pairs) read at n evenly spaced pairs."""
    src = np.linspace(0.0, 1.0, len(values))
    return [round(float(v), 4) for v in np.interp(np.linspace(0.0, 1.0, n), src, values)]


def rope_factors(pairs):
    scaling = json.loads(PHI3_CONFIG.read_text())["rope_scaling"]
    return resample(scaling["short_factor"], pairs), resample(scaling["long_factor"], pairs)


def random_weights(spec):
    """HF-layout (out_features x in_features) fp32 weights, scaled so logits spread by a few units."""
    rng = np.random.default_rng(spec["seed"])
    h, n, kv, inter = spec["hidden"], spec["heads"], spec["kv_heads"], spec["intermediate"]
    hd = h // n

    def linear(out_f, in_f, gain):
        return (rng.standard_normal((out_f, in_f)) * gain / math.sqrt(in_f)).astype(np.float32)

    def norm_weight():
        return (1.0 + 0.1 * rng.standard_normal(h)).astype(np.float32)

    w = {"embed": rng.standard_normal((spec["vocab"], h)).astype(np.float32), "layers": []}
    for _ in range(spec["layers"]):
        w["layers"].append({
            "input_norm": norm_weight(),
            "qkv": linear((n + 2 * kv) * hd, h, 1.0),
            "o": linear(h, n * hd, 1.0),
            "post_norm": norm_weight(),
            "gate_up": linear(2 * inter, h, 1.0),
            "down": linear(h, inter, 1.0),
        })
    w["final_norm"] = norm_weight()
    w["lm_head"] = w["embed"] * np.float32(2.5 / math.sqrt(h)) if spec["tie"] else linear(spec["vocab"], h, 2.5)
    if spec["tie"]:
        w["embed"] = w["lm_head"].copy()  # tied, as Phi-4-mini: the same matrix feeds Gather and lm_head
    return w


def quantize(weight_kn, block, symmetric):
    """MatMul4BitsQuantizer's QOperator layout: B [N, k_blocks, block/2] uint8, scales [N*k_blocks],
    zero points [N*ceil(k_blocks/2)] (asymmetric only). Symmetric follows MLAS: scale = signed
    absmax / -8, q = clamp(floor(v/scale + 8.5), 0, 15), implicit zero point 8."""
    k, n = weight_kn.shape
    k_blocks = -(-k // block)
    padded = np.zeros((k_blocks * block, n), np.float32)
    padded[:k] = weight_kn
    blocks = padded.T.reshape(n, k_blocks, block)
    if symmetric:
        idx = np.argmax(np.abs(blocks), axis=2)
        signed_max = np.take_along_axis(blocks, idx[..., None], axis=2)[..., 0]
        scale = (signed_max / np.float32(-8.0)).astype(np.float32)
        zp = np.full((n, k_blocks), 8, np.int64)
    else:
        lo = np.minimum(blocks.min(axis=2), 0.0)
        hi = np.maximum(blocks.max(axis=2), 0.0)
        scale = ((hi - lo) / np.float32(15.0)).astype(np.float32)
        safe = np.where(scale == 0, 1.0, scale)
        zp = np.clip(np.round(-lo / safe), 0, 15).astype(np.int64)
    recip = np.where(scale == 0, 0.0, 1.0 / np.where(scale == 0, 1.0, scale)).astype(np.float32)
    q = np.clip(np.floor(blocks * recip[..., None] + zp[..., None] + 0.5), 0, 15).astype(np.uint8)
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    scales = scale.reshape(-1).astype(np.float32)
    if symmetric:
        return packed, scales, None
    zp_cols = np.zeros((n, -(-k_blocks // 2) * 2), np.uint8)
    zp_cols[:, :k_blocks] = zp
    zero_points = (zp_cols[:, 0::2] | (zp_cols[:, 1::2] << 4)).reshape(-1).astype(np.uint8)
    return packed, scales, zero_points


def rotary_cache(spec, rows, factors, mscale):
    """builder.make_rotary_embedding_caches_from_scratch in float32, then sliced to [rows, rotary_dim/2]."""
    hd = spec["hidden"] // spec["heads"]
    dim = int(spec["partial_rotary_factor"] * hd)
    exponent = np.arange(0, dim, 2).astype(np.float32) / np.float32(dim)
    inv_freq = (np.float32(1.0) / (np.asarray(factors, np.float32) * np.power(np.float32(10000.0), exponent))).astype(np.float32)
    t = np.arange(rows).astype(np.float32)
    freqs = np.outer(t, inv_freq).astype(np.float32)
    return (np.cos(freqs) * np.float32(mscale)).astype(np.float32), (np.sin(freqs) * np.float32(mscale)).astype(np.float32)


# ---------------------------------------------------------------- graph


class Graph:
    """Collects nodes, initializers and value_info with the builder's naming. With a sink, each
    initializer goes to it as it is made (sink(name, value) -> TensorProto), so that full-size
    weights are written out one by one instead of held together."""

    def __init__(self, sink=None):
        self.nodes, self.initializers, self.value_infos = [], [], []
        self.constants = set()
        self.sink = sink

    def const(self, dtype_name, dims, value):
        name = f"/model/constants/TensorProto.{dtype_name}/{dims}/{value}"
        if name not in self.constants:
            np_dtype = {"INT64": np.int64, "FLOAT": np.float32}[dtype_name]
            array = np.array(value if dims == "0D" else [value], dtype=np_dtype)
            tensor = numpy_helper.from_array(array, name=name.replace("constants", "numpy_helper"))
            self.nodes.append(helper.make_node("Constant", [], [name], name=name.replace("constants", "constant_nodes"), value=tensor))
            self.value_infos.append(helper.make_tensor_value_info(name, getattr(TensorProto, dtype_name), []))
            self.constants.add(name)
        return name

    def node(self, op, name, inputs, dtype=None, shape=None, outputs=None, domain=None, **attrs):
        outs = outputs or [f"{name}/output_0"]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, domain=domain, **attrs))
        if dtype is not None:
            self.value_infos.append(helper.make_tensor_value_info(outs[0], dtype, shape))
        return outs[0]

    def init(self, name, value):
        self.initializers.append(self.sink(name, value) if self.sink else numpy_helper.from_array(value, name=name))
        return name


def matmul_nbits(g, spec, accuracy_level, basename, root_input, weight_hf, output=None):
    """A MatMul named basename, as the quantizer rewrites it: node basename_Q4, weight .weight_Q4.
    weight_hf: an HF-layout float matrix to quantize, or drawn int4 blocks (make_realsize.py)."""
    if hasattr(weight_hf, "q4"):
        k, n = weight_hf.k, weight_hf.n
        packed, scales, zero_points = weight_hf.q4(spec["block"])
    else:
        weight_kn = weight_hf.T
        k, n = weight_kn.shape
        packed, scales, zero_points = quantize(weight_kn, spec["block"], spec["symmetric"])
    prefix = basename[1:].replace("/", ".") + ".weight"
    inputs = [root_input, g.init(prefix + "_Q4", packed), g.init(prefix + "_scales", scales)]
    if zero_points is not None:
        inputs.append(g.init(prefix + "_zero_points", zero_points))
    out = output or f"{basename}/output_0"
    g.node("MatMulNBits", basename + "_Q4", inputs, TensorProto.FLOAT, ["batch_size", "sequence_length", n],
           outputs=[out], domain="com.microsoft", K=k, N=n, bits=4, block_size=spec["block"],
           accuracy_level=accuracy_level)
    return out


def build_graph(spec, weights, accuracy_level, factors, sink=None):
    g = Graph(sink)
    h, n_heads, kv, inter, layers = spec["hidden"], spec["heads"], spec["kv_heads"], spec["intermediate"], spec["layers"]
    hd = h // n_heads
    f32, i64 = TensorProto.FLOAT, TensorProto.INT64
    seq = ["batch_size", "sequence_length", h]

    inputs = [
        helper.make_tensor_value_info("input_ids", i64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_mask", i64, ["batch_size", "total_sequence_length"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", f32, ["batch_size", "sequence_length", spec["vocab"]])]
    for i in range(layers):
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{kind}", f32, ["batch_size", kv, "past_sequence_length", hd]))
            outputs.append(helper.make_tensor_value_info(f"present.{i}.{kind}", f32, ["batch_size", kv, "total_sequence_length", hd]))

    # attention_mask -> seqlens_k (row sums - 1, int32) and total_sequence_length (int32 scalar)
    base = "/model/attn_mask_reformat/attn_mask_subgraph"
    red = g.node("ReduceSum", f"{base}/ReduceSum", ["attention_mask", g.const("INT64", "1D", 1)], i64, ["batch_size", 1])
    sub = g.node("Sub", f"{base}/Sub", [red, g.const("INT64", "1D", 1)], i64, ["batch_size", 1])
    seqlens_k = g.node("Cast", f"{base}/Sub/Cast", [sub], TensorProto.INT32, ["batch_size", 1], to=TensorProto.INT32)
    shape = g.node("Shape", f"{base}/Shape", ["attention_mask"], i64, [2])
    total_len = g.node("Gather", f"{base}/Gather", [shape, g.const("INT64", "0D", 1)], i64, [], axis=0)
    total_len_i32 = g.node("Cast", f"{base}/Gather/Cast", [total_len], TensorProto.INT32, None, to=TensorProto.INT32)

    # rotary caches
    if spec["longrope"]:
        mscale = math.sqrt(1 + math.log(spec["max_pos"] / spec["original_max"]) / math.log(spec["original_max"]))
        cos_l, sin_l = rotary_cache(spec, spec["max_pos"], factors["long"], mscale)
        cos_s, sin_s = rotary_cache(spec, spec["original_max"], factors["short"], mscale)
        greater = g.node("Greater", "/model/rotemb_caches_subgraph/Greater",
                         [total_len, g.const("INT64", "0D", spec["original_max"])], TensorProto.BOOL, [])

        def branch(name, tag, cos, sin, suffix):
            cos_name, sin_name = f"cos_cache_{suffix}", f"sin_cache_{suffix}"
            return helper.make_graph(
                [helper.make_node("Constant", [], [cos_name], name=f"/{tag}/cos_cache/Constant", value=numpy_helper.from_array(cos)),
                 helper.make_node("Constant", [], [sin_name], name=f"/{tag}/sin_cache/Constant", value=numpy_helper.from_array(sin))],
                name, [],
                [helper.make_tensor_value_info(cos_name, f32, list(cos.shape)),
                 helper.make_tensor_value_info(sin_name, f32, list(sin.shape))],
            )

        g.node("If", "/model/rotemb_caches_subgraph/If", [greater], outputs=["cos_cache", "sin_cache"],
               then_branch=branch("large_rotemb_caches_graph", "large", cos_l, sin_l, "large"),
               else_branch=branch("small_rotemb_caches_graph", "small", cos_s, sin_s, "small"))
        for name in ("cos_cache", "sin_cache"):
            g.value_infos.append(helper.make_tensor_value_info(name, f32, ["max_sequence_length", "head_dim / 2"]))
    else:
        cos, sin = rotary_cache(spec, spec["max_pos"], [1.0] * (int(spec["partial_rotary_factor"] * hd) // 2), 1.0)
        g.init("cos_cache", cos)
        g.init("sin_cache", sin)

    embed = g.init("model.embed_tokens.weight", weights["embed"])
    residual = g.node("Gather", "/model/embed_tokens/Gather", [embed, "input_ids"], f32, seq)
    skip = residual
    for i, lw in enumerate(weights["layers"]):
        # input norm: plain RMSNorm on layer 0, else Skip (adds the previous MLP output to the residual)
        weight = g.init(f"model.layers.{i}.input_layernorm.weight", lw["input_norm"])
        normed = f"/model/layers.{i}/input_layernorm/output_0"
        if i == 0:
            g.node("SimplifiedLayerNormalization", f"/model/layers.{i}/input_layernorm/LayerNorm", [residual, weight],
                   f32, seq, outputs=[normed], epsilon=spec["eps"], axis=-1, stash_type=1)
        else:
            out3 = f"/model/layers.{i}/input_layernorm/output_3"
            g.node("SkipSimplifiedLayerNormalization", f"/model/layers.{i}/input_layernorm/SkipLayerNorm",
                   [residual, skip, weight], f32, seq, outputs=[normed, "", "", out3], domain="com.microsoft", epsilon=spec["eps"])
            g.value_infos.append(helper.make_tensor_value_info(out3, f32, seq))
            residual = out3

        qkv = matmul_nbits(g, spec, accuracy_level, f"/model/layers.{i}/attn/qkv_proj/MatMul", normed, lw["qkv"])
        attn = g.node(
            "GroupQueryAttention", f"/model/layers.{i}/attn/GroupQueryAttention",
            [qkv, "", "", f"past_key_values.{i}.key", f"past_key_values.{i}.value", seqlens_k, total_len_i32, "cos_cache", "sin_cache"],
            f32, ["batch_size", "sequence_length", n_heads * hd],
            outputs=[f"/model/layers.{i}/attn/GroupQueryAttention/output_0", f"present.{i}.key", f"present.{i}.value"],
            domain="com.microsoft", num_heads=n_heads, kv_num_heads=kv, scale=float(1 / np.sqrt(hd)),
            softcap=0.0, do_rotary=1, rotary_interleaved=0,
        )
        o = matmul_nbits(g, spec, accuracy_level, f"/model/layers.{i}/attn/o_proj/MatMul", attn, lw["o"])

        weight = g.init(f"model.layers.{i}.post_attention_layernorm.weight", lw["post_norm"])
        normed = f"/model/layers.{i}/post_attention_layernorm/output_0"
        out3 = f"/model/layers.{i}/post_attention_layernorm/output_3"
        g.node("SkipSimplifiedLayerNormalization", f"/model/layers.{i}/post_attention_layernorm/SkipLayerNorm",
               [residual, o, weight], f32, seq, outputs=[normed, "", "", out3], domain="com.microsoft", epsilon=spec["eps"])
        g.value_infos.append(helper.make_tensor_value_info(out3, f32, seq))
        residual = out3

        inter_shape = ["batch_size", "sequence_length", inter]
        gate = matmul_nbits(g, spec, accuracy_level, f"/model/layers.{i}/mlp/gate_proj/MatMul", normed, lw["gate_up"][:inter])
        up = matmul_nbits(g, spec, accuracy_level, f"/model/layers.{i}/mlp/up_proj/MatMul", normed, lw["gate_up"][inter:])
        sig = g.node("Sigmoid", f"/model/layers.{i}/mlp/act_fn/Sigmoid", [gate], f32, inter_shape)
        act = g.node("Mul", f"/model/layers.{i}/mlp/act_fn/Mul", [gate, sig], f32, inter_shape)
        prod = g.node("Mul", f"/model/layers.{i}/mlp/Mul", [act, up], f32, inter_shape)
        skip = matmul_nbits(g, spec, accuracy_level, f"/model/layers.{i}/mlp/down_proj/MatMul", prod, lw["down"])

    weight = g.init(f"model.layers.{layers}.final_norm_layernorm.weight", weights["final_norm"])
    final = f"/model/layers.{layers}/final_norm_layernorm/output_0"
    g.node("SkipSimplifiedLayerNormalization", f"/model/layers.{layers}/final_norm_layernorm/SkipLayerNorm",
           [residual, skip, weight], f32, seq, outputs=[final], domain="com.microsoft", epsilon=spec["eps"])
    matmul_nbits(g, spec, accuracy_level, "/lm_head/MatMul", final, weights["lm_head"], output="logits")

    graph = helper.make_graph(g.nodes, "main_graph", inputs, outputs, initializer=g.initializers, value_info=g.value_infos)
    model = helper.make_model(
        graph, ir_version=IR_VERSION, producer_name="onnxruntime-genai", producer_version="0.0.0",
        opset_imports=[helper.make_operatorsetid("", OPSET), helper.make_operatorsetid("com.microsoft", 1)],
    )
    return model


def check(model):
    """onnx.checker on a copy in which SimplifiedLayerNormalization is moved out of the ONNX domain:
    ORT registers that op in the default domain, which the onnx checker (rightly) does not know, so
    the published exports fail the strict check on it too; everything else is checked as written."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for node in probe.graph.node:
        if node.op_type == "SimplifiedLayerNormalization":
            node.domain = "com.microsoft"
    onnx.checker.check_model(probe)


# ---------------------------------------------------------------- configs


def hf_config(spec, factors, ids):
    hd = spec["hidden"] // spec["heads"]
    config = {
        "_source": spec["source"],
        "architectures": ["Phi3ForCausalLM"],
        "model_type": "phi3",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": ids["bos"],
        "eos_token_id": ids["eos"][0] if spec["family"] == "phi3" else ids["eos"],
        "pad_token_id": ids["pad"],
        "hidden_act": "silu",
        "hidden_size": spec["hidden"],
        "initializer_range": 0.02,
        "intermediate_size": spec["intermediate"],
        "max_position_embeddings": spec["max_pos"],
        "original_max_position_embeddings": spec["original_max"],
        "num_attention_heads": spec["heads"],
        "num_hidden_layers": spec["layers"],
        "num_key_value_heads": spec["kv_heads"],
        "rms_norm_eps": spec["eps"],
        "rope_theta": 10000.0,
        "rope_scaling": {"type": "longrope", "short_factor": factors["short"], "long_factor": factors["long"]} if spec["longrope"] else None,
        "sliding_window": spec["max_pos"] if spec["longrope"] else None,
        "tie_word_embeddings": spec["tie"],
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": spec["vocab"],
    }
    if spec["partial_rotary_factor"] != 1.0:
        config["partial_rotary_factor"] = spec["partial_rotary_factor"]
    assert hd * spec["heads"] == spec["hidden"]
    return config


def genai_config(spec, ids):
    """builder.make_genai_config's fields for a CPU export."""
    return {
        "model": {
            "bos_token_id": ids["bos"],
            "context_length": spec["max_pos"],
            "decoder": {
                "session_options": {"log_id": "onnxruntime-genai", "provider_options": []},
                "filename": "model.onnx",
                "head_size": spec["hidden"] // spec["heads"],
                "hidden_size": spec["hidden"],
                "inputs": {
                    "input_ids": "input_ids",
                    "attention_mask": "attention_mask",
                    "past_key_names": "past_key_values.%d.key",
                    "past_value_names": "past_key_values.%d.value",
                },
                "outputs": {
                    "logits": "logits",
                    "present_key_names": "present.%d.key",
                    "present_value_names": "present.%d.value",
                },
                "num_attention_heads": spec["heads"],
                "num_hidden_layers": spec["layers"],
                "num_key_value_heads": spec["kv_heads"],
            },
            "eos_token_id": ids["eos"],
            "pad_token_id": ids["pad"],
            "type": "phi3",
            "vocab_size": spec["vocab"],
        },
        "search": {
            "diversity_penalty": 0.0,
            "do_sample": False,
            "early_stopping": True,
            "length_penalty": 1.0,
            "max_length": spec["max_pos"],
            "min_length": 0,
            "no_repeat_ngram_size": 0,
            "num_beams": 1,
            "num_return_sequences": 1,
            "past_present_share_buffer": True,
            "repetition_penalty": 1.0,
            "temperature": 1.0,
            "top_k": 1,
            "top_p": 1.0,
        },
    }


def write_json(path, value):
    path.write_text(json.dumps(value, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")




def kind_factors(kind, spec):
    """The LongRoPE factor sets for the kind's rotary pairs."""
    hd = spec["hidden"] // spec["heads"]
    pairs = int(spec["partial_rotary_factor"] * hd) // 2
    assert pairs % 8 == 0, f"{kind}: the CPU GroupQueryAttention needs cos_cache columns in multiples of 8, not {pairs}"
    short, long = rope_factors(pairs)
    return {"short": short, "long": long}


def write_configs(folder, spec, factors):
    """Everything beside the graph: genai_config.json, config.json and the tokenizer files."""
    tokenizer, tokenizer_config, special_map, ids = tokenizer_files(spec)
    write_json(folder / "genai_config.json", genai_config(spec, ids))
    write_json(folder / "config.json", hf_config(spec, factors, ids))
    write_json(folder / "tokenizer.json", tokenizer)
    write_json(folder / "tokenizer_config.json", tokenizer_config)
    write_json(folder / "special_tokens_map.json", special_map)
