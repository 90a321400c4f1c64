"""Full-size random-weight replicas of the ONNX Runtime GenAI CPU int4 Phi exports, for speed.

The structure is make_replicas.py's (replica_graph.py: the builder's graph, names and configs),
at the published models' sizes, with accuracy_level 4 as in the published CPU folders. The int4
blocks and their scales are drawn directly (no float weights to quantize): random weights are
honest for speed and memory, never for quality. Each initializer is written into
model.onnx.data as it is drawn, so memory stays at one matrix.

Written into a staging folder and renamed when complete; realsize.json records what was built.
Never commit the output (2.7 GB for phi3.5-mini, 4.9 GB for phi4-mini).

Run:  /usr/bin/python3 test/replicas/make_realsize.py KIND OUT_FOLDER
      (KIND: phi3.5-mini or phi4-mini; bench/realsize.bench.ts calls it on first use)
"""

import json
import math
import os
import pathlib
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, mapping

from replica_graph import build_graph, check, kind_factors, write_configs

# Bumped when the written folders change, so that the benchmark rebuilds older ones.
GENERATOR_VERSION = 2
SOURCE = "Full-size random-weight replica written by test/replicas/make_realsize.py (speed only)"
DATA_FILE = "model.onnx.data"
CHUNK_BYTES = 64 << 20

COMMON = dict(
    hidden=3072, intermediate=8192, layers=32, longrope=True, original_max=4096, max_pos=131072,
    block=32, symmetric=True, eps=1e-5, fill_vocab=True, source=SOURCE,
)
KINDS = {
    # microsoft/Phi-3.5-mini-instruct: 32 heads over 32 KV heads of 96, full rotary.
    "phi3.5-mini": dict(COMMON, heads=32, kv_heads=32, partial_rotary_factor=1.0, tie=False,
                        vocab=32064, seed=21, family="phi3"),
    # microsoft/Phi-4-mini-instruct: 24 heads over 8 KV heads of 128, 3/4 rotated, tied embeddings
    # (the builder keeps the fp32 Gather table and an int4 lm_head).
    "phi4-mini": dict(COMMON, heads=24, kv_heads=8, partial_rotary_factor=0.75, tie=True,
                      vocab=200064, seed=22, family="phi4"),
}


class Rows:
    """A tensor made row block by row block when it is written: draw(start, rows)."""

    def __init__(self, dims, dtype, draw):
        self.dims, self.dtype, self.draw = tuple(dims), np.dtype(dtype), draw

    def chunks(self):
        row_bytes = self.dtype.itemsize * int(np.prod(self.dims[1:]))
        step = max(1, CHUNK_BYTES // row_bytes)
        for start in range(0, self.dims[0], step):
            yield self.draw(start, min(step, self.dims[0] - start))


class RandomQ4:
    """A [out_f, in_f] weight as uniformly random symmetric int4 blocks; the scales make the
    dequantized weight's spread gain/sqrt(in_f), as replica_graph.random_weights does."""

    def __init__(self, rng, out_f, in_f, gain=1.0):
        self.rng, self.n, self.k, self.gain = rng, out_f, in_f, gain

    def __getitem__(self, rows):
        return RandomQ4(self.rng, len(range(*rows.indices(self.n))), self.k, self.gain)

    def q4(self, block):
        k_blocks = -(-self.k // block)
        rng = self.rng
        packed = Rows((self.n, k_blocks, block // 2), np.uint8,
                      lambda _, rows: rng.integers(0, 256, (rows, k_blocks, block // 2), dtype=np.uint8))
        spread = self.gain / math.sqrt(self.k) / 4.61  # 4.61: the spread of uniform q - 8, q in 0..15
        scales = (spread * (0.5 + rng.random(self.n * k_blocks, dtype=np.float32))).astype(np.float32)
        return packed, scales, None


def drawn_weights(spec):
    rng = np.random.default_rng(spec["seed"])
    h, n, kv, inter = spec["hidden"], spec["heads"], spec["kv_heads"], spec["intermediate"]
    hd = h // n

    def norm_weight():
        return (1.0 + 0.1 * rng.standard_normal(h)).astype(np.float32)

    embed = Rows((spec["vocab"], h), np.float32, lambda _, rows: rng.standard_normal((rows, h), dtype=np.float32))
    w = {"embed": embed, "layers": []}
    for _ in range(spec["layers"]):
        w["layers"].append({
            "input_norm": norm_weight(),
            "qkv": RandomQ4(rng, (n + 2 * kv) * hd, h),
            "o": RandomQ4(rng, h, n * hd),
            "post_norm": norm_weight(),
            "gate_up": RandomQ4(rng, 2 * inter, h),
            "down": RandomQ4(rng, h, inter),
        })
    w["final_norm"] = norm_weight()
    w["lm_head"] = RandomQ4(rng, spec["vocab"], h, 2.5)
    return w


class ExternalData:
    """The Graph sink: appends each initializer to one data file, as onnx.save_model's
    all_tensors_to_one_file would, and returns a TensorProto that points there."""

    def __init__(self, path):
        self.file = open(path, "wb")
        self.location = path.name

    def __call__(self, name, value):
        if isinstance(value, np.ndarray):
            value = Rows(value.shape, value.dtype, lambda start, rows, v=value: v[start:start + rows])
        offset = self.file.tell()
        for chunk in value.chunks():
            self.file.write(np.ascontiguousarray(chunk, dtype=value.dtype).tobytes())
        tensor = TensorProto(name=name, dims=value.dims, data_type=mapping.NP_TYPE_TO_TENSOR_TYPE[value.dtype])
        tensor.data_location = TensorProto.EXTERNAL
        for key, entry in (("location", self.location), ("offset", offset), ("length", self.file.tell() - offset)):
            tensor.external_data.add(key=key, value=str(entry))
        return tensor

    def close(self):
        self.file.close()


def write_realsize(kind, out):
    spec = KINDS[kind]
    out = pathlib.Path(out)
    staging = out.with_name(f"{out.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        factors = kind_factors(kind, spec)
        sink = ExternalData(staging / DATA_FILE)
        try:
            model = build_graph(spec, drawn_weights(spec), 4, factors, sink)
        finally:
            sink.close()
        here = os.getcwd()
        os.chdir(staging)  # the checker looks for external data relative to the working folder
        try:
            check(model)
        finally:
            os.chdir(here)
        onnx.save_model(model, str(staging / "model.onnx"))
        write_configs(staging, spec, factors)
        record = {"generatorVersion": GENERATOR_VERSION, "kind": kind, "spec": spec, "accuracyLevel": 4}
        (staging / "realsize.json").write_text(json.dumps(record, indent=4) + "\n")
        shutil.rmtree(out, ignore_errors=True)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in KINDS:
        sys.exit(f"usage: make_realsize.py {{{'|'.join(KINDS)}}} OUT_FOLDER")
    write_realsize(sys.argv[1], sys.argv[2])
