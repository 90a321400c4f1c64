"""Reference tables for the progressive fine-tune: the cos/sin that models/train/model.py feeds the
model in training for LongRoPE factor sets, which test/unit/model/trainingRopeTables.test.ts
checks against the extension's engine (the tables the ONNX graph gets at inference).

The sets are the bundled model's short and long-1k sets as models/longrope-tiny/longrope.json held
them when this was written; they are copied into the fixture, so the check does not depend on later
searches. Regenerate with:
    /usr/bin/python3 test/reference/training_rope_tables.py > test/fixtures/training-rope-tables.json
"""

import json
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "models" / "train"))
from model import FactorSet, ModelConfig, rope_tables  # noqa: E402

POSITIONS = [0, 1, 2, 3, 127, 255, 256, 511, 700, 1023]


def main():
    cfg = ModelConfig.load(ROOT / "models" / "train" / "model-config.json")
    cases = []
    for name in ("short", "long-1k"):
        s = FactorSet.load(ROOT / "models" / "longrope-tiny" / "longrope.json", name)
        cos, sin = rope_tables(torch.tensor(POSITIONS), cfg.head_dim, cfg.rope_theta, s)
        cases.append(
            {
                "name": name,
                "factors": list(s.factors),
                "nHat": s.n_hat,
                "attentionFactor": s.attention_factor,
                "positions": POSITIONS,
                "cos": cos.tolist(),
                "sin": sin.tolist(),
            }
        )
    doc = {
        "_generatedBy": f"/usr/bin/python3 test/reference/training_rope_tables.py (torch {torch.__version__})",
        "base": cfg.rope_theta,
        "headDim": cfg.head_dim,
        "originalWindow": cfg.original_max_position_embeddings,
        "cases": cases,
    }
    print(format_doc(doc))


def format_doc(doc):
    """JSON with one line per case field, so that the fixture stays small and diffable."""
    head = {k: v for k, v in doc.items() if k != "cases"}
    lines = [json.dumps(head, indent=1)[:-2] + ',\n "cases": [']
    for i, case in enumerate(doc["cases"]):
        fields = [f'  "{k}": {json.dumps(v)}' for k, v in case.items()]
        lines.append(" {\n" + ",\n".join(fields) + "\n }" + ("," if i < len(doc["cases"]) - 1 else ""))
    lines.append(" ]\n}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
