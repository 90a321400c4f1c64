"""Block-wise weight-only quantization of an exported graph with python3-onnx and numpy.

Every MatMul whose right side is a weight becomes com.microsoft MatMulNBits, and the embedding
Gather becomes com.microsoft GatherBlockQuantized, both asymmetric with one scale and zero point per
block of 32 along the input dimension. The tied output head (the embedding, transposed) reuses the
embedding's quantized bytes, so the tied weights are stored once.

  /usr/bin/python3 models/train/quantize.py IN.onnx OUT.onnx --bits 4|8 [--dequantized FAKE.onnx]

--dequantized also writes an fp32 graph whose weights are the dequantized values: running it and
the quantized graph on the same input must agree to float rounding, which checks the packing.
"""

import argparse

import numpy as np
import onnx
from onnx import helper, numpy_helper

BLOCK = 32
MS_DOMAIN = "com.microsoft"


def quantize_rows(w, bits):
    """w: [rows, K] float32 -> packed uint8 [rows, K/BLOCK, BLOCK*bits/8], scales, zero points, dequantized."""
    rows, k = w.shape
    if k % BLOCK:
        raise ValueError(f"quantize: input dimension {k} is not a multiple of the block size {BLOCK}")
    levels = (1 << bits) - 1
    blocks = w.reshape(rows, k // BLOCK, BLOCK).astype(np.float64)
    lo = np.minimum(blocks.min(axis=2), 0.0)
    hi = np.maximum(blocks.max(axis=2), 0.0)
    scale = (hi - lo) / levels
    scale[scale == 0] = 1.0
    zero = np.clip(np.round(-lo / scale), 0, levels)
    q = np.clip(np.round(blocks / scale[..., None]) + zero[..., None], 0, levels).astype(np.uint8)
    scale32 = scale.astype(np.float32)
    deq = ((q.astype(np.float32) - zero[..., None].astype(np.float32)) * scale32[..., None]).reshape(rows, k)
    zero = zero.astype(np.uint8)
    if bits == 4:
        packed = q[..., 0::2] | (q[..., 1::2] << 4)
        kb = zero.shape[1]
        zpad = np.zeros((rows, kb + kb % 2), dtype=np.uint8)
        zpad[:, :kb] = zero
        zero = zpad[:, 0::2] | (zpad[:, 1::2] << 4)
    else:
        packed = q
    return packed, scale32, zero, deq


def initializer_map(graph):
    return {init.name: init for init in graph.initializer}


def quantize(model, bits, fake):
    graph = model.graph
    inits = initializer_map(graph)
    new_nodes = []
    new_inits = []
    drop = set()
    embedding = None
    for node in graph.node:
        if node.op_type == "Gather" and node.input[0] in inits and len(numpy_helper.to_array(inits[node.input[0]]).shape) == 2:
            embedding = node.input[0]
    emb = numpy_helper.to_array(inits[embedding]) if embedding else None
    emb_q = quantize_rows(emb, bits) if embedding else None
    for node in graph.node:
        if node.op_type == "Gather" and node.input[0] == embedding:
            packed, scale, zero, deq = emb_q
            if fake:
                new_inits.append(numpy_helper.from_array(deq.astype(np.float32), embedding + "_deq"))
                new_nodes.append(helper.make_node("Gather", [embedding + "_deq", node.input[1]], list(node.output), name=node.name, axis=0))
            else:
                base = embedding + f"_q{bits}"
                new_nodes.append(
                    helper.make_node(
                        "GatherBlockQuantized",
                        [base + "_rows", node.input[1], base + "_scales", base + "_zp"],
                        list(node.output),
                        name=node.name + "_q",
                        domain=MS_DOMAIN,
                        gather_axis=0,
                        quantize_axis=1,
                        block_size=BLOCK,
                        bits=bits,
                    )
                )
            drop.add(embedding)
            continue
        if node.op_type == "MatMul" and node.input[1] in inits:
            w = numpy_helper.to_array(inits[node.input[1]])  # [K, N]
            k, n = w.shape
            tied = emb is not None and w.shape == emb.T.shape and np.array_equal(w.T, emb)
            packed, scale, zero, deq = emb_q if tied else quantize_rows(np.ascontiguousarray(w.T), bits)
            drop.add(node.input[1])
            if fake:
                name = node.input[1] + "_deq"
                new_inits.append(numpy_helper.from_array(np.ascontiguousarray(deq.T), name))
                new_nodes.append(helper.make_node("MatMul", [node.input[0], name], list(node.output), name=node.name))
                continue
            base = (embedding + f"_q{bits}") if tied else (node.input[1] + f"_q{bits}")
            new_nodes.append(
                helper.make_node(
                    "MatMulNBits",
                    [node.input[0], base + "_blocks", base + "_scales", base + "_zp"],
                    list(node.output),
                    name=node.name + "_q",
                    domain=MS_DOMAIN,
                    K=k,
                    N=n,
                    bits=bits,
                    block_size=BLOCK,
                )
            )
            if not tied:
                new_inits += [
                    numpy_helper.from_array(packed, base + "_blocks"),
                    numpy_helper.from_array(scale, base + "_scales"),
                    numpy_helper.from_array(zero, base + "_zp"),
                ]
            continue
        new_nodes.append(node)
    if embedding and not fake:
        packed, scale, zero, _ = emb_q
        base = embedding + f"_q{bits}"
        rows = packed.shape[0]
        # One copy of the tied bytes: MatMulNBits reads it as [N, blocks, blob], the gather as [rows, K*bits/8].
        new_inits += [
            numpy_helper.from_array(packed, base + "_blocks"),
            numpy_helper.from_array(scale, base + "_scales"),
            numpy_helper.from_array(zero, base + "_zp"),
            numpy_helper.from_array(np.array([rows, -1], dtype=np.int64), base + "_rows_shape"),
        ]
        new_nodes.insert(0, helper.make_node("Reshape", [base + "_blocks", base + "_rows_shape"], [base + "_rows"], name=base + "_rows"))
    kept = [init for init in graph.initializer if init.name not in drop]
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    del graph.node[:]
    graph.node.extend(new_nodes)
    if not fake and not any(op.domain == MS_DOMAIN for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    return model


def main():
    p = argparse.ArgumentParser()
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--bits", type=int, choices=[4, 8], required=True)
    p.add_argument("--dequantized")
    args = p.parse_args()
    onnx.save(quantize(onnx.load(args.src), args.bits, fake=False), args.dst)
    if args.dequantized:
        onnx.save(quantize(onnx.load(args.src), args.bits, fake=True), args.dequantized)


if __name__ == "__main__":
    main()
