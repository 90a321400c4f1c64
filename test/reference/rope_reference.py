"""Reference values for the rotary core's unit tests, computed independently with numpy.

Each scaling is written the way Hugging Face transformers writes it
(modeling_rope_utils.py: _compute_default/linear/dynamic_ntk/yarn/longrope_parameters,
and Phi-3's attention factor), in float64, and evaluated as cos/sin(position * inv_freq)
times the attention factor. The TypeScript side instead builds per-pair factors
lambda_i and divides theta_i by them, so agreement checks the reduction too.

Regenerate with:
    /usr/bin/python3 test/reference/rope_reference.py > test/fixtures/rope-reference.json
"""

import json
import math
import pathlib

import numpy as np

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"


def default_inv_freq(base, dim):
    return 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))


def tables(inv_freq, positions, attention_factor=1.0, unscaled_inv_freq=None, n_hat=0):
    cos, sin = [], []
    for n in positions:
        freqs = unscaled_inv_freq if n < n_hat else inv_freq
        angles = np.float64(n) * freqs
        cos.append((np.cos(angles) * attention_factor).tolist())
        sin.append((np.sin(angles) * attention_factor).tolist())
    return cos, sin


def case(name, params, inv_freq, positions, attention_factor=1.0, **extra):
    cos, sin = tables(inv_freq, positions, attention_factor, **extra)
    return {
        "name": name,
        "params": params,
        "invFreq": inv_freq.tolist(),
        "attentionFactor": attention_factor,
        "positions": positions,
        "cos": cos,
        "sin": sin,
    }


def plain():
    params = {"base": 10000.0, "dim": 96}
    inv = default_inv_freq(params["base"], params["dim"])
    return case("plain", params, inv, [0, 1, 2, 4095, 4096, 131071])


def linear():
    params = {"base": 10000.0, "dim": 64, "factor": 4.0}
    inv = default_inv_freq(params["base"], params["dim"]) / params["factor"]
    return case("linear", params, inv, [0, 1, 100, 8191, 16383])


def ntk():
    params = {"base": 10000.0, "dim": 128, "factor": 8.0}
    dim = params["dim"]
    base = params["base"] * params["factor"] ** (dim / (dim - 2))
    return case("ntk", params, default_inv_freq(base, dim), [0, 1, 1000, 32767])


def dynamic():
    params = {"base": 10000.0, "dim": 64, "factor": 2.0, "original": 2048, "seqLen": 5000}
    dim, factor, original = params["dim"], params["factor"], params["original"]
    seq_len = max(params["seqLen"], original)
    base = params["base"] * ((factor * seq_len / original) - (factor - 1)) ** (dim / (dim - 2))
    return case("dynamic", params, default_inv_freq(base, dim), [0, 1, 2047, 4999])


def yarn(name, params, positions):
    base, dim, factor = params["base"], params["dim"], params["factor"]
    original = params["original"]
    beta_fast = params.get("betaFast", 32)
    beta_slow = params.get("betaSlow", 1)
    truncate = params.get("truncate", True)

    def get_mscale(scale, mscale=1):
        return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0

    if params.get("mscale") and params.get("mscaleAllDim"):
        attention = get_mscale(factor, params["mscale"]) / get_mscale(factor, params["mscaleAllDim"])
    else:
        attention = get_mscale(factor)

    def correction_dim(rotations):
        return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = np.clip((np.arange(dim // 2, dtype=np.float64) - low) / (high - low), 0, 1)
    extrapolation = 1 - ramp
    pos_freqs = base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    inv = (1.0 / (factor * pos_freqs)) * (1 - extrapolation) + (1.0 / pos_freqs) * extrapolation
    result = case(name, params, inv, positions, attention)
    result["correctionRange"] = [low, high]
    return result


def longrope_phi3():
    config = json.loads((FIXTURES / "phi-3-mini-128k-instruct.config.json").read_text())
    dim = config["hidden_size"] // config["num_attention_heads"]
    base = config["rope_theta"]
    original = config["original_max_position_embeddings"]
    scale = config["max_position_embeddings"] / original
    attention = math.sqrt(1 + math.log(scale) / math.log(original))
    shape = np.arange(0, dim, 2, dtype=np.float64) / dim
    positions = [0, 1, 4095, 4096, 131071]
    cases = []
    for which in ("short", "long"):
        ext = np.array(config["rope_scaling"][f"{which}_factor"], dtype=np.float64)
        inv = 1.0 / (ext * base**shape)
        cases.append(case(f"longrope-phi3-{which}", {"set": which}, inv, positions, attention))
    return cases


def longrope_n_hat():
    params = {"base": 10000.0, "dim": 8, "factors": [1.0, 1.5, 2.0, 4.0], "nHat": 4, "attentionFactor": 1.25}
    unscaled = default_inv_freq(params["base"], params["dim"])
    inv = 1.0 / (np.array(params["factors"]) * params["base"] ** (np.arange(0, 8, 2) / 8))
    return case(
        "longrope-nhat",
        params,
        inv,
        [0, 3, 4, 5, 100],
        params["attentionFactor"],
        unscaled_inv_freq=unscaled,
        n_hat=params["nHat"],
    )


def partial():
    # head_dim 64 with partial_rotary_factor 0.5: only 32 dimensions rotate.
    params = {"base": 10000.0, "headDim": 64, "partialRotaryFactor": 0.5}
    dim = int(params["headDim"] * params["partialRotaryFactor"])
    return case("partial", params, default_inv_freq(params["base"], dim), [0, 7, 300])


def main():
    cases = [
        plain(),
        linear(),
        ntk(),
        dynamic(),
        yarn("yarn", {"base": 10000.0, "dim": 128, "factor": 16.0, "original": 4096}, [0, 1, 4096, 65535]),
        yarn(
            "yarn-options",
            {
                "base": 500000.0,
                "dim": 64,
                "factor": 4.0,
                "original": 8192,
                "betaFast": 16,
                "betaSlow": 2,
                "mscale": 1.0,
                "mscaleAllDim": 0.5,
                "truncate": False,
            },
            [0, 5, 8192, 32767],
        ),
        *longrope_phi3(),
        longrope_n_hat(),
        partial(),
    ]
    doc = {
        "_generatedBy": "/usr/bin/python3 test/reference/rope_reference.py (numpy " + np.__version__ + ")",
        "cases": cases,
    }
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
