"""Trains the bundled model on the tokenized corpus plus retrieval documents (passkeys and workspace
questions, retrieval.ts) whose loss is on the answer tokens only.

Deterministic for a seed: batch k is drawn from a generator seeded by (seed, k), so a run resumed
from a checkpoint sees exactly the batches an uninterrupted run would have seen.

  /usr/bin/python3 models/train/train.py --build .model-build [--steps N] [--init warmstart.pt] [--device cpu|cuda]
  /usr/bin/python3 models/train/train.py --build .model-build --evaluate CHECKPOINT   (prints the metrics)

--init starts from a checkpoint's weights (warmstart.py) instead of a random initialisation; a run
that has a checkpoint of its own resumes from that instead.

The progressive fine-tune (LongRoPE, Ding et al. 2024, sec. 3.3): with --long-window 1024 --sets
longrope.json, each step also draws --long-batch rows of 1024 tokens (text windows and
retrieval-1024 documents) fed the tables of --long-set, while the --batch rows of 256 tokens get
--short-set's, so the short window does not regress. The evaluation then reports both windows, each
with its set (the *_1024 metrics).
"""

import argparse
import json
import math
import os
import time

import numpy as np
import torch
from torch.nn import functional as F

from corpus import SOURCES
from model import Decoder, FactorSet, ModelConfig

# From each stage's first step on: the share of retrieval rows, and each retrieval row's kind, then a
# document of that kind. Passkeys get a larger share than their count (none was learned at 0.1 of all
# rows); chat questions keep answers from taking one format, and the late stage gives them more rows
# (at step 350 the model still answered most questions in one of two formats).
RETRIEVAL_STAGES = [
    {"from_step": 0, "fraction": 0.45, "mix": {"passkey": 0.4, "workspace": 0.35, "chat": 0.25}},
    {"from_step": 600, "fraction": 0.6, "mix": {"passkey": 0.3, "workspace": 0.3, "chat": 0.4}}
]
PAD_TARGET = -100
# An answer has ~20 target tokens, a text row 256: each kind's mean loss counts, so that retrieval is
# not drowned out by the text rows' many tokens.
ANSWER_WEIGHT = 1.0
# The long rows of the progressive fine-tune: half retrieval documents, passkeys and workspace
# questions first (what fails past the window), and text windows.
LONG_RETRIEVAL = {"fraction": 0.5, "mix": {"passkey": 0.35, "workspace": 0.4, "chat": 0.25}}


# The kinds of text source (corpus.py): the first corpus's Debian packages and the npm packages.
TEXT_KINDS = ("deb", "npm")


def text_kind(source):
    for s in SOURCES:
        if s["name"] == source:
            return s["kind"]
    if source.startswith("npm:"):
        return "npm"
    raise SystemExit(f"train: text source {source!r} is neither one of corpus.py's SOURCES nor an npm package")


class Data:
    def __init__(self, build, window, retrieval="retrieval", text_mix=None):
        tok = os.path.join(build, "tokens")
        self.train = np.memmap(os.path.join(tok, "train.bin"), dtype=np.uint16, mode="r")
        # text_mix: each kind's share of the text windows; without it a window starts anywhere, so
        # each kind gets its share of the training tokens.
        self.text_mix = text_mix
        if text_mix:
            self.text_shares = np.array([text_mix[kind] for kind in TEXT_KINDS])
            with open(os.path.join(tok, "train.docs.json")) as f:
                train_docs = json.load(f)
            self.text_docs = {}
            for kind in TEXT_KINDS:
                docs = [d for d in train_docs if text_kind(d["source"]) == kind]
                offsets = np.array([d["offset"] for d in docs], dtype=np.int64)
                ends = np.cumsum([d["length"] for d in docs], dtype=np.int64)
                self.text_docs[kind] = (offsets, ends)
        self.val = np.memmap(os.path.join(tok, "val.bin"), dtype=np.uint16, mode="r")
        self.heldout = np.memmap(os.path.join(tok, "heldout.bin"), dtype=np.uint16, mode="r")
        self.retrieval = np.memmap(os.path.join(tok, f"{retrieval}.bin"), dtype=np.uint16, mode="r")
        with open(os.path.join(tok, f"{retrieval}.docs.json")) as f:
            docs = json.load(f)
        kinds = RETRIEVAL_STAGES[0]["mix"]
        self.retrieval_train = {kind: [d for d in docs if d["split"] == "train" and d["kind"] == kind] for kind in kinds}
        self.kinds = [kind for kind in kinds if self.retrieval_train[kind]]
        self.watch = {kind: [d for d in docs if d["split"] == "watch" and d["kind"] == kind] for kind in ("passkey", "workspace")}
        with open(os.path.join(build, "tokenizer.json")) as f:
            vocab = json.load(f)["model"]["vocab"]
        self.pad = vocab["<pad>"]
        self.window = window

    def answer_row(self, doc, inputs, targets, row):
        """A retrieval document: its prompt as context, the loss on the answer tokens only."""
        ids = np.asarray(self.retrieval[doc["offset"] : doc["offset"] + doc["length"]], dtype=np.int64)
        n = min(len(ids) - 1, self.window)
        inputs[row, :n] = ids[:n]
        # Position t predicts ids[t + 1]: keep the targets from the answer's first token on.
        first = doc["answer"] - 1
        targets[row, first:n] = ids[first + 1 : n + 1]

    def batch(self, seed, step, size, stage, stream=0):
        """Rows of text windows and retrieval documents (stage: the retrieval fraction and mix); stream
        separates the draws of two batches of one step."""
        rng = np.random.default_rng([seed, step] + ([stream] if stream else []))
        w = self.window
        inputs = np.full((size, w), self.pad, dtype=np.int64)
        targets = np.full((size, w), PAD_TARGET, dtype=np.int64)
        answers = np.zeros(size, dtype=bool)
        shares = np.array([stage["mix"][kind] for kind in self.kinds])
        for row in range(size):
            if rng.random() < stage["fraction"]:
                pool = self.retrieval_train[self.kinds[rng.choice(len(self.kinds), p=shares / shares.sum())]]
                self.answer_row(pool[rng.integers(len(pool))], inputs, targets, row)
                answers[row] = True
            else:
                start = self.text_start(rng) if self.text_mix else rng.integers(len(self.train) - w - 1)
                ids = np.asarray(self.train[start : start + w + 1], dtype=np.int64)
                inputs[row] = ids[:-1]
                targets[row] = ids[1:]
        return torch.from_numpy(inputs), torch.from_numpy(targets), torch.from_numpy(answers)

    def text_start(self, rng):
        """A window's first token: a kind drawn by its share, then a token of that kind's documents
        uniformly (the window may run on into the next document, as without a mix)."""
        offsets, ends = self.text_docs[TEXT_KINDS[rng.choice(len(TEXT_KINDS), p=self.text_shares)]]
        at = rng.integers(ends[-1])
        doc = int(np.searchsorted(ends, at, side="right"))
        start = offsets[doc] + at - (ends[doc - 1] if doc else 0)
        return min(int(start), len(self.train) - self.window - 1)

    def windows(self, tokens, count, size):
        """Fixed, evenly spaced windows of a held-out split: the same ones at every evaluation."""
        w = self.window
        starts = np.linspace(0, len(tokens) - w - 2, count * size).astype(np.int64)
        for i in range(count):
            chunk = [np.asarray(tokens[s : s + w + 1], dtype=np.int64) for s in starts[i * size : (i + 1) * size]]
            arr = torch.from_numpy(np.stack(chunk))
            yield arr[:, :-1], arr[:, 1:]

    def watch_batches(self, kind, size):
        docs = self.watch[kind]
        for i in range(0, len(docs), size):
            part = docs[i : i + size]
            inputs = np.full((len(part), self.window), self.pad, dtype=np.int64)
            targets = np.full((len(part), self.window), PAD_TARGET, dtype=np.int64)
            for row, doc in enumerate(part):
                self.answer_row(doc, inputs, targets, row)
            yield torch.from_numpy(inputs), torch.from_numpy(targets)


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


@torch.no_grad()
def evaluate(model, data, device, factor_set=None, long=None):
    """Loss on the old corpus's held-out files (val) and on the held-out npm packages (heldout), and
    the share of watch documents whose whole answer is the greedy choice (teacher-forced argmax on
    every answer token: what greedy decoding would answer), with factor_set's tables (plain RoPE
    without). long = (data, set): the same at the longer window with its set, under *_<window> names
    (heldout only: the old corpus's val split has few windows of 1024; 32 windows, a quarter of the
    short window's count, for a similar token count)."""
    model.eval()
    result = {}
    runs = [(data, factor_set, "", (("val_loss", data.val), ("heldout_loss", data.heldout)), 16)]
    if long:
        runs.append((long[0], long[1], f"_{long[0].window}", (("heldout_loss", long[0].heldout),), 4))
    for d, fs, suffix, splits, count in runs:
        for name, tokens in splits:
            losses = [
                F.cross_entropy(model.forward_plain(x.to(device), factor_set=fs).flatten(0, 1), y.to(device).flatten()).item()
                for x, y in d.windows(tokens, count, 8)
            ]
            result[name + suffix] = round(float(np.mean(losses)), 4)
        for kind in ("passkey", "workspace"):
            right = total = 0
            for x, y in d.watch_batches(kind, 16):
                y = y.to(device)
                guess = model.forward_plain(x.to(device), factor_set=fs).argmax(-1)
                answer = y != PAD_TARGET
                right += int(((guess == y) | ~answer).all(dim=1).sum())
                total += len(y)
            result[f"{kind}_acc{suffix}"] = round(right / total, 4)
    model.train()
    return result


def parse_mix(text, kinds, option="--retrieval-mix"):
    """"passkey=0.3,workspace=0.5,chat=0.2" → shares of every kind, summing to 1."""
    mix = {}
    for part in text.split(","):
        kind, _, share = part.partition("=")
        if kind not in kinds or kind in mix:
            raise SystemExit(f"train: {option}: {kind!r} is not one of {', '.join(kinds)} (or is given twice)")
        try:
            mix[kind] = float(share)
        except ValueError:
            raise SystemExit(f"train: {option}: {kind}'s share {share!r} is not a number")
        if not mix[kind] >= 0:
            raise SystemExit(f"train: {option}: {kind}'s share must be ≥ 0")
    if set(mix) != set(kinds) or abs(sum(mix.values()) - 1) > 1e-6:
        raise SystemExit(f"train: {option} must give every kind ({', '.join(kinds)}) a share, the shares summing to 1")
    return mix


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--config", default=os.path.join(os.path.dirname(__file__), "model-config.json"))
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--stop-at", type=int, help="stop after this step (checkpointed; the schedule stays that of --steps), to train in segments")
    p.add_argument("--stop-after-seconds", type=float, help="stop (checkpointed) once the run's training time reaches this: runs compared at equal compute (capacity.py)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=int(os.environ.get("TRAIN_THREADS", "2")))
    p.add_argument("--ckpt-every", type=int, default=100)
    p.add_argument("--eval-every", type=int, default=300)
    p.add_argument("--init", help="start from this checkpoint's weights (warmstart.py)")
    p.add_argument("--evaluate", help="print this checkpoint's metrics and exit")
    p.add_argument("--log", default="train-log.jsonl", help="log file under the build folder")
    p.add_argument("--ckpt-dir", default="ckpt", help="checkpoint folder under the build folder (probes use their own)")
    p.add_argument("--final", default="final.pt", help="the finished run's checkpoint, under the build folder")
    p.add_argument("--sets", help="longrope.json whose sets the progressive fine-tune trains with")
    p.add_argument("--short-set", default="short", help="the set of the --batch rows at the model's window")
    p.add_argument("--long-set", default="long-1k", help="the set of the --long-batch rows")
    p.add_argument("--long-window", type=int, help="the long rows' length (needs tokens/retrieval-<N>.bin and --sets)")
    p.add_argument("--long-batch", type=int, default=4)
    p.add_argument("--retrieval-mix", help="the retrieval rows' kinds, e.g. passkey=0.3,workspace=0.5,chat=0.2, in every stage and in the long rows (a later fine-tune's emphasis)")
    p.add_argument("--retrieval-fraction", type=float, help="the share of retrieval rows (the rest text windows) in every stage and in the long rows")
    p.add_argument("--text-mix", help="the text windows' kinds of source, e.g. deb=0.15,npm=0.85 (default: as many windows as tokens)")
    args = p.parse_args()
    text_mix = parse_mix(args.text_mix, TEXT_KINDS, "--text-mix") if args.text_mix else None
    stages, long_stage = RETRIEVAL_STAGES, LONG_RETRIEVAL
    if args.retrieval_mix:
        mix = parse_mix(args.retrieval_mix, RETRIEVAL_STAGES[0]["mix"])
        stages, long_stage = [{**s, "mix": mix} for s in stages], {**long_stage, "mix": mix}
    if args.retrieval_fraction is not None:
        if not 0 <= args.retrieval_fraction <= 1:
            raise SystemExit(f"train: --retrieval-fraction must lie in [0, 1], not {args.retrieval_fraction}")
        fraction = args.retrieval_fraction
        stages, long_stage = [{**s, "fraction": fraction} for s in stages], {**long_stage, "fraction": fraction}

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = ModelConfig.load(args.config)
    data = Data(args.build, cfg.original_max_position_embeddings, text_mix=text_mix)
    short_set = long_set = long_data = None
    if args.long_window:
        if not args.sets:
            raise SystemExit("train: --long-window needs --sets (a longrope.json)")
        short_set = FactorSet.load(args.sets, args.short_set)
        long_set = FactorSet.load(args.sets, args.long_set)
        long_data = Data(args.build, args.long_window, f"retrieval-{args.long_window}", text_mix)
    long = (long_data, long_set) if long_data else None
    model = Decoder(cfg).to(args.device)
    run_eval = lambda: evaluate(model, data, args.device, short_set, long)
    if args.evaluate:
        model.load_state_dict(torch.load(args.evaluate, map_location=args.device)["model"])
        t0 = time.time()
        print(json.dumps({"checkpoint": args.evaluate, **run_eval(), "seconds": round(time.time() - t0)}))
        return
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.95),
    )
    ckpt_dir = os.path.join(args.build, args.ckpt_dir)
    os.makedirs(ckpt_dir, exist_ok=True)
    latest = os.path.join(ckpt_dir, "latest.pt")
    log_path = os.path.join(args.build, args.log)
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
    elif args.init:
        model.load_state_dict(torch.load(args.init, map_location=args.device)["model"])
        print(f"train: warm start from {args.init}", flush=True)
    params = sum(p.numel() for p in model.parameters())
    shape = f"{args.batch}x{data.window}" + (f" + {args.long_batch}x{long_data.window}" if long_data else "")
    print(f"train: {params} parameters, {args.steps} steps of {shape} tokens on {args.device}", flush=True)

    def save(final=False):
        state = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "tokens": tokens, "seconds": train_seconds}
        torch.save(state, latest + ".tmp")
        os.replace(latest + ".tmp", latest)
        if final:
            torch.save({"model": model.state_dict(), "config": cfg.__dict__, "step": step, "tokens": tokens, "seconds": train_seconds, "init": args.init}, os.path.join(args.build, args.final))

    log = open(log_path, "a")
    model.train()
    stop = min(args.steps, args.stop_at or args.steps)
    # A run resumed past its time limit stops at once (capacity.py run again only re-evaluates).
    out_of_time = lambda: args.stop_after_seconds is not None and train_seconds >= args.stop_after_seconds
    while step < stop and not out_of_time():
        t0 = time.time()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        opt.zero_grad(set_to_none=True)
        # The short rows (the only ones without --long-window), then the long rows: each batch's
        # loss weighted by its share of the step's rows, gradients accumulated.
        # The progressive fine-tune's short rows are drawn as in the last stage.
        stage = stages[-1] if long_data else [s for s in stages if s["from_step"] <= step][-1]
        parts = [(data.batch(args.seed, step, args.batch, stage), short_set)]
        if long_data:
            parts.append((long_data.batch(args.seed, step, args.long_batch, long_stage, stream=1), long_set))
        rows = sum(len(batch[0]) for batch, _ in parts)
        step_tokens = 0
        losses = {}
        for (x, y, answers), factor_set in parts:
            x, y, answers = x.to(args.device), y.to(args.device), answers.to(args.device)
            logits = model.forward_plain(x, factor_set=factor_set)
            per_token = F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=PAD_TARGET, reduction="none").view(y.shape)
            valid = y != PAD_TARGET
            mean = lambda mask: per_token[mask].mean() if mask.any() else torch.zeros((), device=args.device)
            text_loss = mean(valid & ~answers[:, None])
            answer_loss = mean(valid & answers[:, None])
            ((text_loss + ANSWER_WEIGHT * answer_loss) * len(x) / rows).backward()
            suffix = "" if x.shape[1] == data.window else f"_{x.shape[1]}"
            # A batch of retrieval rows only (or text only) logs no loss for the missing kind.
            for name, rows_of_kind, value in (("loss", ~answers, text_loss), ("answer_loss", answers, answer_loss)):
                if rows_of_kind.any():
                    losses[name + suffix] = round(value.item(), 4)
            step_tokens += x.numel()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += step_tokens
        dt = time.time() - t0
        train_seconds += dt
        entry = {"step": step, **losses, "lr": opt.param_groups[0]["lr"], "tokens": tokens, "tok_s": round(step_tokens / dt)}
        if step % args.eval_every == 0 or step == args.steps:
            entry.update(run_eval())
            entry["val_ppl"] = round(math.exp(entry["val_loss"]), 3)
            entry["heldout_ppl"] = round(math.exp(entry["heldout_loss"]), 3)
        log.write(json.dumps(entry) + "\n")
        log.flush()
        if step % 20 == 0 or "val_loss" in entry:
            print(f"train: {json.dumps(entry)}", flush=True)
        if step % args.ckpt_every == 0 or step == stop or out_of_time():
            save(final=step == args.steps)
    print(f"train: done, {tokens} tokens in {train_seconds:.0f}s ({tokens / max(train_seconds, 1e-9):.0f} tok/s)", flush=True)


if __name__ == "__main__":
    main()
