"""Trains the bundled model on the tokenized corpus plus synthetic passkey documents.

Deterministic for a seed: batch k is drawn from a generator seeded by (seed, k), so a run resumed
from a checkpoint sees exactly the batches an uninterrupted run would have seen.

  /usr/bin/python3 models/train/train.py --build .model-build [--steps N] [--device cpu|cuda]
"""

import argparse
import json
import math
import os
import time

import numpy as np
import torch
from torch.nn import functional as F

from model import Decoder, ModelConfig

PASSKEY_FRACTION = 0.1
PAD_TARGET = -100


class Data:
    def __init__(self, build, window):
        tok = os.path.join(build, "tokens")
        self.train = np.memmap(os.path.join(tok, "train.bin"), dtype=np.uint16, mode="r")
        self.val = np.memmap(os.path.join(tok, "val.bin"), dtype=np.uint16, mode="r")
        self.passkey = np.memmap(os.path.join(tok, "passkey.bin"), dtype=np.uint16, mode="r")
        with open(os.path.join(tok, "passkey.docs.json")) as f:
            self.passkey_docs = json.load(f)
        with open(os.path.join(build, "tokenizer.json")) as f:
            vocab = json.load(f)["model"]["vocab"]
        self.pad = vocab["<pad>"]
        self.window = window

    def batch(self, seed, step, size):
        rng = np.random.default_rng([seed, step])
        w = self.window
        inputs = np.full((size, w), self.pad, dtype=np.int64)
        targets = np.full((size, w), PAD_TARGET, dtype=np.int64)
        for row in range(size):
            if rng.random() < PASSKEY_FRACTION:
                doc = self.passkey_docs[rng.integers(len(self.passkey_docs))]
                ids = np.asarray(self.passkey[doc["offset"] : doc["offset"] + doc["length"]], dtype=np.int64)
                n = min(len(ids) - 1, w)
                inputs[row, :n] = ids[:n]
                targets[row, :n] = ids[1 : n + 1]
            else:
                start = rng.integers(len(self.train) - w - 1)
                ids = np.asarray(self.train[start : start + w + 1], dtype=np.int64)
                inputs[row] = ids[:-1]
                targets[row] = ids[1:]
        return torch.from_numpy(inputs), torch.from_numpy(targets)

    def val_batches(self, count, size):
        """Fixed, evenly spaced held-out windows: the same ones at every evaluation."""
        w = self.window
        starts = np.linspace(0, len(self.val) - w - 2, count * size).astype(np.int64)
        for i in range(count):
            chunk = [np.asarray(self.val[s : s + w + 1], dtype=np.int64) for s in starts[i * size : (i + 1) * size]]
            arr = torch.from_numpy(np.stack(chunk))
            yield arr[:, :-1], arr[:, 1:]


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


@torch.no_grad()
def evaluate(model, data, device):
    model.eval()
    losses = []
    for x, y in data.val_batches(16, 8):
        logits = model.forward_plain(x.to(device))
        losses.append(F.cross_entropy(logits.flatten(0, 1), y.to(device).flatten()).item())
    model.train()
    return float(np.mean(losses))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--config", default=os.path.join(os.path.dirname(__file__), "model-config.json"))
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=int(os.environ.get("TRAIN_THREADS", "2")))
    p.add_argument("--ckpt-every", type=int, default=100)
    p.add_argument("--eval-every", type=int, default=400)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = ModelConfig.load(args.config)
    data = Data(args.build, cfg.original_max_position_embeddings)
    model = Decoder(cfg).to(args.device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.95),
    )
    ckpt_dir = os.path.join(args.build, "ckpt")
    os.makedirs(ckpt_dir, exist_ok=True)
    latest = os.path.join(ckpt_dir, "latest.pt")
    log_path = os.path.join(args.build, "train-log.jsonl")
    step = 0
    tokens = 0
    train_seconds = 0.0
    if os.path.exists(latest):
        state = torch.load(latest, map_location=args.device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, tokens, train_seconds = state["step"], state["tokens"], state["seconds"]
        print(f"train: resumed at step {step}", flush=True)
        # Steps after the checkpoint are run again; their old log lines go.
        if os.path.exists(log_path):
            with open(log_path) as f:
                kept = [line for line in f if json.loads(line)["step"] <= step]
            with open(log_path, "w") as f:
                f.writelines(kept)
    params = sum(p.numel() for p in model.parameters())
    print(f"train: {params} parameters, {args.steps} steps of {args.batch}x{data.window} tokens on {args.device}", flush=True)

    def save(final=False):
        state = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "tokens": tokens, "seconds": train_seconds}
        torch.save(state, latest + ".tmp")
        os.replace(latest + ".tmp", latest)
        if final:
            torch.save({"model": model.state_dict(), "config": cfg.__dict__, "step": step, "tokens": tokens, "seconds": train_seconds}, os.path.join(args.build, "final.pt"))

    log = open(log_path, "a")
    model.train()
    while step < args.steps:
        t0 = time.time()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        x, y = data.batch(args.seed, step, args.batch)
        x, y = x.to(args.device), y.to(args.device)
        logits = model.forward_plain(x)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=PAD_TARGET)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += x.numel()
        dt = time.time() - t0
        train_seconds += dt
        entry = {"step": step, "loss": round(loss.item(), 4), "lr": opt.param_groups[0]["lr"], "tokens": tokens, "tok_s": round(x.numel() / dt)}
        if step % args.eval_every == 0 or step == args.steps:
            entry["val_loss"] = round(evaluate(model, data, args.device), 4)
            entry["val_ppl"] = round(math.exp(entry["val_loss"]), 3)
        log.write(json.dumps(entry) + "\n")
        log.flush()
        if step % 20 == 0 or "val_loss" in entry:
            print(f"train: {json.dumps(entry)}", flush=True)
        if step % args.ckpt_every == 0 or step == args.steps:
            save(final=step == args.steps)
    print(f"train: done, {tokens} tokens in {train_seconds:.0f}s ({tokens / max(train_seconds, 1e-9):.0f} tok/s)", flush=True)


if __name__ == "__main__":
    main()
