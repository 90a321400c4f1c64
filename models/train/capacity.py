"""Chooses the bundled model's size by loss per CPU-hour: each candidate shape starts from the same
weights (grow.py makes the larger ones compute the same function), trains on the same batches for
the same CPU time, one core each, side by side so that the machine's noise hits them alike, and is
then evaluated on the same held-out text and watch questions (train.py --evaluate).

  make -f models/train/Makefile capacity     (the shipped shape against model-config-grown.json)
  /usr/bin/python3 models/train/capacity.py --build .model-build --init .model-build/shipped.pt \\
      --candidate base=models/train/model-config.json --candidate grown=CONFIG.json \\
      --minutes 15 --name capacity -- [train.py options: --lr, --retrieval-fraction, --long-window ...]

The learning rate is flat after its warmup (a schedule of 10^6 steps), so no candidate is further
along its decay than another. Run it again with more --minutes (and another --name) to continue the
same candidates: each resumes from its checkpoint. Writes bench/results/<name>.md and .json.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import torch

from model import Decoder, ModelConfig

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FLAT_SCHEDULE = 1_000_000
METRICS = ("heldout_loss", "val_loss", "heldout_loss_1024", "passkey_acc", "workspace_acc", "passkey_acc_1024", "workspace_acc_1024")


def run(args, log):
    with open(log, "w") as out:
        # One core each: OpenBLAS's own threads would take the other candidate's.
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
        return subprocess.Popen([sys.executable, *args], cwd=HERE, stdout=out, stderr=subprocess.STDOUT, env=env)


def wait_all(procs, what):
    for name, proc, log in procs:
        if proc.wait() != 0:
            raise SystemExit(f"capacity: {what} of {name} failed (see {log})")


def evaluation(log):
    """The metrics train.py --evaluate printed as its last line, or None when it did not finish."""
    try:
        with open(log) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, IndexError, ValueError):
        return None


def evaluate_args(folder, checkpoint, train_args):
    """train.py --evaluate with the candidate's config and the long-window options of the run."""
    keep, i = [], 0
    while i < len(train_args):
        if train_args[i] in ("--long-window", "--sets", "--short-set", "--long-set"):
            keep += train_args[i : i + 2]
            i += 2
        else:
            i += 1
    return ["train.py", "--build", folder, "--config", os.path.join(folder, "model-config.json"), "--evaluate", checkpoint, "--threads", "1", *keep]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build")
    p.add_argument("--init")
    p.add_argument("--candidate", action="append", help="name=model-config.json (2 at most: one core each)")
    p.add_argument("--minutes", type=float)
    p.add_argument("--name", default="capacity")
    p.add_argument("--render", help="only write bench/results/<name>.md (and .json) again from this report's .json")
    p.add_argument("train_args", nargs="*", help="after --: train.py's options for every candidate")
    args = p.parse_args()
    if args.render:
        with open(args.render) as f:
            write(json.load(f), args.name)
        return
    if not (args.build and args.init and args.candidate and args.minutes):
        raise SystemExit("capacity: --build, --init, --candidate and --minutes are needed (or --render)")
    if len(args.candidate) > 2:
        raise SystemExit("capacity: 2 candidates at most, side by side on the 2 cores")
    build = os.path.abspath(args.build)
    init = torch.load(args.init, map_location="cpu")
    candidates = []
    for spec in args.candidate:
        name, _, config = spec.partition("=")
        folder = os.path.join(build, "capacity", name)
        os.makedirs(folder, exist_ok=True)
        if not os.path.exists(os.path.join(folder, "tokens")):
            os.symlink(os.path.join(build, "tokens"), os.path.join(folder, "tokens"))
        shutil.copyfile(os.path.join(build, "tokenizer.json"), os.path.join(folder, "tokenizer.json"))
        shutil.copyfile(config, os.path.join(folder, "model-config.json"))
        cfg = ModelConfig.load(config)
        # Made once: a run continued with more minutes resumes from its checkpoint, not from here.
        start = os.path.join(folder, "start.pt")
        if not os.path.exists(start):
            if cfg.__dict__ == init["config"]:
                shutil.copyfile(args.init, start)
            else:
                subprocess.run([sys.executable, "grow.py", os.path.abspath(args.init), start, "--config", os.path.abspath(config)], cwd=HERE, check=True)
        candidates.append({"name": name, "folder": folder, "config": cfg, "params": sum(t.numel() for t in Decoder(cfg).parameters())})

    first = candidates[0]
    before_log = os.path.join(first["folder"], "eval-start.log")
    procs = []
    for c in candidates:
        train = ["train.py", "--build", c["folder"], "--config", os.path.join(c["folder"], "model-config.json"), "--init", os.path.join(c["folder"], "start.pt")]
        train += ["--steps", str(FLAT_SCHEDULE), "--eval-every", str(FLAT_SCHEDULE), "--ckpt-every", "50", "--threads", "1", "--stop-after-seconds", str(args.minutes * 60)]
        procs.append((c["name"], run(train + args.train_args, os.path.join(c["folder"], "train.log")), os.path.join(c["folder"], "train.log")))
    t0 = time.time()
    wait_all(procs, "training")
    print(f"capacity: trained {len(candidates)} candidates side by side in {time.time() - t0:.0f} s", flush=True)

    # Every candidate's start computes the same function: one evaluation, kept for a continued run.
    procs = [] if evaluation(before_log) else [("start", run(evaluate_args(first["folder"], os.path.join(first["folder"], "start.pt"), args.train_args), before_log), before_log)]
    for c in candidates:
        log = os.path.join(c["folder"], "eval-end.log")
        procs.append((c["name"], run(evaluate_args(c["folder"], os.path.join(c["folder"], "ckpt", "latest.pt"), args.train_args), log), log))
        if len(procs) == 2:
            wait_all(procs, "evaluation")
            procs = []
    wait_all(procs, "evaluation")
    start = evaluation(before_log)
    rows = []
    for c in candidates:
        end = evaluation(os.path.join(c["folder"], "eval-end.log"))
        state = torch.load(os.path.join(c["folder"], "ckpt", "latest.pt"), map_location="cpu")
        hours = state["seconds"] / 3600
        rows.append(
            {
                "name": c["name"],
                "params": c["params"],
                "layers": c["config"].num_hidden_layers,
                "intermediate": c["config"].intermediate_size,
                "steps": state["step"],
                "tokens": state["tokens"],
                "cpu_seconds": round(state["seconds"]),
                "end": {k: end[k] for k in METRICS if k in end},
                "heldout_change_per_cpu_hour": round((end["heldout_loss"] - start["heldout_loss"]) / hours, 4),
            }
        )
    report = {
        "minutes": args.minutes,
        "train_args": args.train_args,
        "init": os.path.abspath(args.init),
        "init_source": init.get("source", "?"),
        "start": {k: start[k] for k in METRICS if k in start},
        "candidates": rows,
    }
    write(report, args.name)


def write(report, name):
    """bench/results/<name>.json and .md, paths inside the repository relative to it so that the
    report reads the same on any machine, both formatted as lint checks them."""
    here = lambda path: os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path
    report = {**report, "train_args": [here(a) for a in report["train_args"]], "init": here(report["init"]), "init_source": here(report["init_source"])}
    out = os.path.join(ROOT, "bench", "results", name)
    with open(out + ".json", "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    with open(out + ".md", "w") as f:
        f.write(markdown(report))
    subprocess.run([os.path.join(ROOT, "node_modules", ".bin", "prettier"), "--write", out + ".md", out + ".json"], check=True, stdout=subprocess.DEVNULL)
    print(markdown(report))


def markdown(report):
    fmt = lambda key, v: f"{100 * v:.1f}%" if "_acc" in key else f"{v:.4f}"
    shown = [k for k in METRICS if k in report["start"]]
    lines = [
        f"# Capacity: loss per CPU-hour ({report['minutes']:g} CPU-minutes per candidate)",
        "",
        "Written by `models/train/capacity.py` (see its header): every candidate starts from the same weights",
        f"(`{report['init']}`, dequantized from `{report['init_source']}`; the larger ones grown by `grow.py` to compute the same",
        "function), trains on the same batches for the same CPU time, one core each, side by side, with the train.py options",
        f"`{' '.join(report['train_args'])}`, and is evaluated on the same held-out text (`train.py --evaluate`).",
        "",
        "| | start | " + " | ".join(f"{r['name']} ({r['params'] / 1e6:.2f} M: {r['layers']} layers, MLP {r['intermediate']})" for r in report["candidates"]) + " |",
        "|---|---:|" + "---:|" * len(report["candidates"]),
        "| steps / tokens | | " + " | ".join(f"{r['steps']} / {r['tokens'] / 1e6:.2f} M" for r in report["candidates"]) + " |",
        "| CPU minutes (tok/s) | | " + " | ".join(f"{r['cpu_seconds'] / 60:.1f} ({r['tokens'] / r['cpu_seconds']:.0f})" for r in report["candidates"]) + " |",
    ]
    for k in shown:
        lines.append(f"| {k} | {fmt(k, report['start'][k])} | " + " | ".join(fmt(k, r["end"][k]) for r in report["candidates"]) + " |")
    lines.append("| held-out npm loss change per CPU-hour | | " + " | ".join(f"{r['heldout_change_per_cpu_hour']:+.4f}" for r in report["candidates"]) + " |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
