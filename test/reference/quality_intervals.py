"""Reference values for the quality benchmark's intervals, computed independently.

- Wilson intervals: the two roots in p of the score test's boundary (p̂ − p)² = z²·p(1 − p)/n,
  a quadratic solved by numpy.roots (the TypeScript side uses the closed form).
- Bootstrap: the same resampling stream (mulberry32 written again here in Python, index =
  floor(u * count)), the pooled perplexity per resample with numpy, and the 2.5%/97.5%
  quantiles by numpy.percentile (its default linear interpolation).

Run with /usr/bin/python3 test/reference/quality_intervals.py; the numbers are pasted into
test/unit/engine/qualityEvaluation.test.ts.
"""

import json

import numpy as np

Z = 1.959963984540054


def wilson(k, n):
    # (1 + z²/n)p² − (2p̂ + z²/n)p + p̂² = 0
    ph = k / n
    roots = np.roots([1 + Z * Z / n, -(2 * ph + Z * Z / n), ph * ph])
    return sorted(float(np.real(r)) for r in roots)


def mulberry32(seed):
    state = seed & 0xFFFFFFFF

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def next_value():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return next_value


def bootstrap(nll, tokens, resamples, seed):
    random = mulberry32(seed)
    nll = np.asarray(nll, dtype=np.float64)
    tokens = np.asarray(tokens, dtype=np.float64)
    values = []
    for _ in range(resamples):
        idx = [int(random() * len(nll)) for _ in range(len(nll))]
        values.append(np.exp(nll[idx].sum() / tokens[idx].sum()))
    return np.percentile(values, [2.5, 97.5]).tolist()


out = {
    "wilson": {
        f"{k}/{n}": wilson(k, n)
        for k, n in [(0, 10), (8, 10), (10, 10), (19, 20), (1, 3)]
    },
    "first_indices_seed_7_count_5": [int(v * 5) for v in (lambda r: [r() for _ in range(10)])(mulberry32(7))],
    "bootstrap_seed_7_200": bootstrap(
        [100.0, 130.0, 90.0, 160.0, 120.0], [40, 50, 40, 50, 45], 200, 7
    ),
    "percentile_1_2_3_4": np.percentile([1, 2, 3, 4], [2.5, 50, 97.5]).tolist(),
}
print(json.dumps(out, indent=1))
