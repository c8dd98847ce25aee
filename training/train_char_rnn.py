"""Train a character-level RNN, GRU or LSTM on Tiny Shakespeare (or any UTF-8 text) and write
weights/char_NAME.safetensors + .json.

    python training/train_char_rnn.py --preset lstm              # shipped LSTM (~45 min, 1 CPU thread)
    python training/train_char_rnn.py --preset rnn               # min-char-rnn's vanilla RNN (~3 min)
    python training/train_char_rnn.py --preset cpu-quick         # a decent LSTM in ~5 minutes
    python training/train_char_rnn.py --text my.txt --cell gru --hidden 256 --out /tmp/char_mine
    python training/train_char_rnn.py --preset lstm --resume     # after Ctrl-C / SIGTERM
    python training/train_char_rnn.py --preset tang              # 唐诗: the Tang poems (~75 min, 1 CPU thread)

The text's first 90% is for training, the last 10% for validation (Tiny Shakespeare: 111,540
characters).  The Tang preset reads the regular poems of 全唐诗 instead (training/tang_data.py:
OpenCC t2s, a form marker before each poem, 5% of the poems held out) and reports a bigram
baseline on the same split.  Batches are random windows of --seq-len+1 characters drawn from a seeded
generator; each window starts from a zero state.  Validation scores the whole split in one
batched pass (demo.text.mean_nll), in nats and bits per character.  Ctrl-C or SIGTERM finish the
current step and write the resumable checkpoint (checkpoints/NAME-HASH.pt, or --checkpoint: model,
optimiser, AMP scaler, RNG and sampler states), and --resume continues exactly where it stopped,
on any device.  With --max-steps alone the run is
deterministic; --time-budget makes the learning-rate schedule follow the clock instead.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import math
import time
from pathlib import Path

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import torch
import torch.nn.functional as F
from tqdm import tqdm

from demo.checkpoint import save_weights
from demo.text.model import MODEL_KEYS, CharModel, Vocab, build_net, mean_nll
from training.common import (DEFAULT_DATA_DIR, ROOT, checkpoint_path, command_line, device_name, download,
                             pick_device)
from training.loop import (GracefulStop, Stepper, clone_state, load_checkpoint, resume, save_checkpoint,
                           stopped)

SHAKESPEARE_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
TRAIN_FRACTION = 0.9

# Named configurations; flags given on the command line override them.
PRESETS = {
    # Shipped LSTM: 2x384 samples at >5,000 chars/s on one CPU thread.  On one core of a 2-core CPU
    # it reached 1.405 nats/char in 45 minutes (6,500 steps, 26.5 epochs; the clock ends the
    # schedule).  The embedding gets it past the first plateau much sooner than one-hot inputs.
    "lstm": dict(cell="lstm", hidden=384, layers=2, dropout=0.35, embed=64, seq_len=128, batch_size=32,
                 lr=3e-3, warmup=100, max_steps=0, time_budget=2700, eval_every=500, sample_every=1000),
    # min-char-rnn: one tanh layer of 100 units on one-hot characters.
    "rnn": dict(cell="rnn", hidden=100, layers=1, dropout=0.0, embed=0, seq_len=64, batch_size=32,
                lr=3e-3, warmup=50, max_steps=20000, time_budget=240, eval_every=2000, sample_every=5000),
    # A decent LSTM in five minutes on one CPU thread (measured: 1.532 nats/char); the embedding
    # gets it past the initial plateau faster than one-hot inputs.
    "cpu-quick": dict(cell="lstm", hidden=256, layers=2, dropout=0.1, embed=64, seq_len=128, batch_size=32,
                      lr=3e-3, warmup=50, max_steps=2000, time_budget=300, eval_every=250, sample_every=500),
    # 唐诗: 4,002 characters (the 4,000 commonest, the form markers' "：", "\n" and "□" for the
    # rest); a window of 128 holds one or two poems.  It underfits for a long time (training and
    # validation loss stay within 0.05): on one CPU thread, about a step a second, the shipped
    # weights took 12,300 s; a GPU ends the schedule at max_steps instead.
    "tang": dict(cell="lstm", hidden=384, layers=2, dropout=0.25, embed=128, seq_len=128, batch_size=32,
                 lr=3e-3, warmup=100, max_steps=12000, time_budget=12300, eval_every=500, sample_every=1000),
}
TRAIN_KEYS = ("seq_len", "batch_size", "lr", "warmup", "max_steps", "time_budget", "eval_every", "sample_every")


def load_text(path: Path | None, data_dir: Path) -> tuple[str, Path]:
    """The corpus as a string; Tiny Shakespeare is downloaded into data_dir if it is missing."""
    if path is None:
        path = Path(data_dir) / "tinyshakespeare" / "input.txt"
        if not path.is_file():
            print(f"Tiny Shakespeare not found at {path}; downloading {SHAKESPEARE_URL}")
            download(SHAKESPEARE_URL, path)
    try:
        return Path(path).read_text(encoding="utf-8"), Path(path)
    except FileNotFoundError:
        raise SystemExit(f"no text file at {path}") from None
    except UnicodeDecodeError as e:
        raise SystemExit(f"{path} is not UTF-8 text: {e}") from None


def load_corpus(args, dry_run: bool):
    """(train ids, val ids, vocab, what the weights JSON records about the data)."""
    if args.preset == "tang" and args.text is None:
        from training.tang_data import Bigram, load_split   # needs opencc
        split = load_split(args.data_dir, limit=2000 if dry_run else None)
        vocab = Vocab(split.vocab)
        train_text, val_text = split.text(split.train), split.text(split.val)
        train = torch.tensor(vocab.encode(train_text), dtype=torch.long)
        val = torch.tensor(vocab.encode(val_text), dtype=torch.long)
        bigram = Bigram(train.numpy(), len(vocab))
        lam = bigram.fit_lambda(val.numpy())
        data = {**split.meta, "corpus": "tang", "chars": len(train_text) + len(val_text),
                "train_chars": len(train), "val_chars": len(val),
                "text_sha256": hashlib.sha256((train_text + val_text).encode("utf-8")).hexdigest(),
                "bigram_val_loss": round(bigram.nll(val.numpy()), 5), "bigram_lambda": lam}
        return train, val, vocab, data
    text, text_path = load_text(args.text, args.data_dir)
    vocab = Vocab.from_text(text)
    ids = torch.tensor(vocab.encode(text), dtype=torch.long)
    n_train = int(len(ids) * TRAIN_FRACTION)
    data = {"file": text_path.name, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "chars": len(text), "train_chars": n_train, "val_chars": len(ids) - n_train,
            "split": "first 90% train, last 10% validation"}
    return ids[:n_train], ids[n_train:], vocab, data


def lr_at(step: int, elapsed: float, cfg: dict) -> float:
    """Linear warm-up, then cosine decay to lr/10 over whichever of --max-steps and --time-budget
    runs out first (so the rate always reaches its floor at the end)."""
    if step < cfg["warmup"]:
        return cfg["lr"] * (step + 1) / cfg["warmup"]
    progress = 0.0
    if cfg["max_steps"]:
        progress = max(progress, (step - cfg["warmup"]) / max(1, cfg["max_steps"] - cfg["warmup"]))
    if cfg["time_budget"]:
        progress = max(progress, elapsed / cfg["time_budget"])
    progress = min(progress, 1.0)
    return cfg["lr"] * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def get_batch(data: torch.Tensor, seq_len: int, batch_size: int, gen: torch.Generator):
    """Random windows: inputs (B, T) and next-character targets (B, T)."""
    starts = torch.randint(0, data.numel() - seq_len - 1, (batch_size,), generator=gen)
    idx = starts[:, None] + torch.arange(seq_len + 1)  # (B, T+1)
    w = data[idx]
    return w[:, :-1], w[:, 1:]


def sample_text(net, vocab: Vocab, seed: str, length: int = 200) -> str:
    """A short sample from a CPU copy of the current weights (does not touch any training RNG)."""
    model = CharModel(copy.deepcopy(net).float().cpu(), vocab)
    return seed + model.generate(seed, length, temperature=0.8, rng_seed=0)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--preset", default="lstm", choices=sorted(PRESETS), help="named starting configuration")
    p.add_argument("--text", type=Path, help="UTF-8 training text (default: Tiny Shakespeare in --data-dir)")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder holding tinyshakespeare/")
    p.add_argument("--cell", choices=["rnn", "gru", "lstm"], help="recurrent cell")
    p.add_argument("--hidden", type=int, help="hidden units per layer")
    p.add_argument("--layers", type=int, help="stacked recurrent layers")
    p.add_argument("--dropout", type=float, help="dropout between layers and before the output layer")
    p.add_argument("--embed", type=int, help="character embedding size (0: one-hot inputs)")
    p.add_argument("--seq-len", type=int, help="characters per training window (truncated BPTT length)")
    p.add_argument("--batch-size", type=int, help="windows per step")
    p.add_argument("--max-steps", type=int, help="optimiser steps (0: only --time-budget limits)")
    p.add_argument("--time-budget", type=float, help="stop after this many seconds (0: no limit)")
    p.add_argument("--lr", type=float, help="peak learning rate (warm-up, then cosine to lr/10)")
    p.add_argument("--warmup", type=int, help="warm-up steps")
    p.add_argument("--weight-decay", type=float, default=0.05, help="AdamW weight decay")
    p.add_argument("--clip", type=float, default=1.0, help="gradient-norm clipping")
    p.add_argument("--eval-every", type=int, help="validate (whole split) every N steps")
    p.add_argument("--sample-every", type=int, help="print a short sample every N steps (0: never)")
    p.add_argument("--seed", type=int, default=0, help="random seed (weights, dropout and batches)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where to train (AMP on CUDA)")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for torch (1 is fastest on small nets)")
    p.add_argument("--out", type=Path, help="output stem (default: weights/char_PRESET)")
    p.add_argument("--checkpoint", type=Path, help="resumable checkpoint (default: checkpoints/OUT-NAME-HASH.pt)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    p.add_argument("--dry-run", action="store_true", help="2 steps, a short validation, write nothing")
    p.add_argument("--stop-after-steps", type=int, help=argparse.SUPPRESS)  # tests: act as if Ctrl-C came then
    args = p.parse_args(argv)
    cfg = dict(PRESETS[args.preset])
    for key in (*MODEL_KEYS, *TRAIN_KEYS):
        if getattr(args, key, None) is not None:
            cfg[key] = getattr(args, key)
    if args.dry_run:
        cfg.update(max_steps=2, time_budget=0, eval_every=2, sample_every=0)
    if cfg["seq_len"] < 1 or cfg["batch_size"] < 1 or cfg["hidden"] < 1 or cfg["layers"] < 1:
        p.error("--seq-len, --batch-size, --hidden and --layers must be positive")
    if not cfg["max_steps"] and not cfg["time_budget"]:
        p.error("give --max-steps or --time-budget (or both)")
    return args, cfg


def main(argv=None):
    args, cfg = parse_args(argv)
    threads = configure_torch(args.threads)
    device = pick_device(args.device)
    out = args.out or ROOT / "weights" / f"char_{args.preset}"
    ckpt_path = args.checkpoint or checkpoint_path(out)

    train, val, vocab, data_meta = load_corpus(args, args.dry_run)
    checksum = data_meta.get("text_sha256", data_meta["sha256"])
    if args.dry_run:
        val = val[:2000]
    if len(train) < cfg["seq_len"] + 2 or len(val) < 2:
        raise SystemExit(f"the text is too short: {data_meta['chars']:,} characters for windows of "
                         f"{cfg['seq_len']} (lower --seq-len or use a longer text)")
    ck = load_checkpoint(ckpt_path) if args.resume else None
    if ck:
        if ck["data_sha256"] != checksum:
            raise SystemExit(f"{ckpt_path} was made from a different text; cannot resume on this one")
        cfg, args.weight_decay = ck["cfg"], ck["weight_decay"]  # the interrupted run's settings win

    torch.manual_seed(args.seed)
    net = build_net(cfg, len(vocab)).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"], weight_decay=args.weight_decay, betas=(0.9, 0.99))
    stepper = Stepper(net, opt, device, args.clip)  # the schedule is lr_at, set before each step
    gen = torch.Generator().manual_seed(args.seed)  # draws the batches; its state is checkpointed
    step, elapsed, history, best, run_loss, run_n = 0, 0.0, [], None, 0.0, 0
    if ck:
        resume(stepper, ck)
        gen.set_state(ck["batch_rng"])
        step, elapsed, history, best = ck["step"], ck["elapsed"], ck["history"], ck["best"]
        run_loss, run_n = ck["run_loss"], ck["run_n"]
        print(f"resumed from {ckpt_path} at step {step:,} ({elapsed:.0f}s in)")

    def checkpoint():
        save_checkpoint(ckpt_path, stepper, cfg=cfg, weight_decay=args.weight_decay, step=step,
                        elapsed=time.time() - t0, history=history, best=best, run_loss=run_loss, run_n=run_n,
                        batch_rng=gen.get_state(), data_sha256=checksum, vocab=vocab.chars)

    def validate():
        nonlocal best, run_loss, run_n
        val_loss = mean_nll(net, val)
        rec = dict(step=step, tokens=step * cfg["batch_size"] * cfg["seq_len"],
                   train_loss=round(run_loss / run_n, 5) if run_n else None, val_loss=round(val_loss, 5),
                   val_bpc=round(val_loss / math.log(2), 5), lr=opt.param_groups[0]["lr"],
                   wall_s=round(time.time() - t0, 1))
        history.append(rec)
        run_loss, run_n = 0.0, 0
        tqdm.write(f"step {step:,}: train {rec['train_loss']} | val {val_loss:.4f} nats "
                   f"({rec['val_bpc']:.4f} bits)/char | {rec['wall_s']:.0f}s")
        if best is None or val_loss < best["val_loss"]:
            best = {"val_loss": val_loss, "step": step, "state": clone_state(net)}

    n_params = sum(p.numel() for p in net.parameters())
    print(f"{cfg['cell']} {cfg['layers']}x{cfg['hidden']} dropout={cfg['dropout']} params={n_params:,} "
          f"vocab={len(vocab)} train={len(train):,} val={len(val):,} chars | device={device} threads={threads}")
    seed_char = vocab.decode(train[:1])
    t0 = time.time() - elapsed
    bar = tqdm(total=cfg["max_steps"] or None, initial=step, desc="train", mininterval=2.0, smoothing=0.05)
    with GracefulStop(args.stop_after_steps) as stop:
        while True:
            elapsed = time.time() - t0
            if (cfg["max_steps"] and step >= cfg["max_steps"]) or (cfg["time_budget"] and elapsed >= cfg["time_budget"]):
                break
            if stop.should_stop(step):
                bar.close()
                checkpoint()
                stopped(ckpt_path, f"step {step:,}")
            net.train()
            lr = lr_at(step, elapsed, cfg)
            for g in opt.param_groups:
                g["lr"] = lr
            x, y = get_batch(train, cfg["seq_len"], cfg["batch_size"], gen)
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)

            def forward():
                logits, _ = net(x)  # (B, T, V)
                return F.cross_entropy(logits.float().reshape(-1, len(vocab)), y.reshape(-1)), None

            loss, _ = stepper.step(forward)
            step += 1
            run_loss += loss.item()
            run_n += 1
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{run_loss / run_n:.3f}", lr=f"{lr:.2e}", refresh=False)
            if cfg["eval_every"] and step % cfg["eval_every"] == 0:
                validate()
                if not args.dry_run:
                    checkpoint()
            if cfg["sample_every"] and step % cfg["sample_every"] == 0:
                tqdm.write("---\n" + sample_text(net, vocab, seed_char) + "\n---")
    bar.close()
    if not history or history[-1]["step"] != step:
        validate()

    wall = time.time() - t0
    if args.dry_run:
        print(f"dry run finished: {step} steps, val loss {best['val_loss']:.4f}; nothing written")
        return None
    checkpoint()
    net.load_state_dict(best["state"])
    print("sample from the final weights:\n" + sample_text(net, vocab, seed_char, 300))
    val_loss = best["val_loss"]
    tokens = step * cfg["batch_size"] * cfg["seq_len"]
    meta = {
        "kind": "char", "name": out.name,
        "config": {"vocab_size": len(vocab), **{k: cfg[k] for k in MODEL_KEYS}},  # exactly CharRNN's arguments
        "vocab": vocab.chars,
        "metrics": {"val_loss": val_loss, "val_bpc": val_loss / math.log(2), "best_step": best["step"],
                    "val_chars": len(val), "train_loss": history[-1]["train_loss"],
                    **({"bigram_val_loss": data_meta["bigram_val_loss"]} if "bigram_val_loss" in data_meta else {}),
                    "eval": "demo.text.mean_nll over the whole validation split (chunks of 2048, burn-in 128)"},
        "training": {**{k: cfg[k] for k in TRAIN_KEYS}, "weight_decay": args.weight_decay, "clip": args.clip,
                     "optimizer": "AdamW(0.9, 0.99)", "schedule": "linear warm-up, cosine to lr/10",
                     "seed": args.seed, "steps": step, "tokens_seen": tokens, "epochs": round(tokens / len(train), 2)},
        "history": history,
        "data": data_meta,
        "device": device_name(device), "threads": threads, "wall_time_s": round(wall, 1),
        "torch": torch.__version__, "command": command_line(__file__, argv),
    }
    st, js = save_weights(out, net.state_dict(), meta)
    if "bigram_val_loss" in data_meta:
        print(f"bigram baseline on the same split: {data_meta['bigram_val_loss']:.4f} nats/char")
    print(f"best val loss {val_loss:.4f} nats ({val_loss / math.log(2):.4f} bits)/char at step "
          f"{best['step']:,} of {step:,} | {wall:.0f}s\nwrote {st} and {js}")
    return meta


if __name__ == "__main__":
    main()
