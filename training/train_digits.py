"""Train a row-by-row MNIST classifier (RNN, GRU, LSTM, BiLSTM or peephole LSTM): weights/digits_NAME.*

    python training/train_digits.py --config lstm --data-dir ../shared/data       # shipped LSTM
    python training/train_digits.py --config bilstm --data-dir ../shared/data     # reads both ways
    python training/train_digits.py --config peephole --data-dir ../shared/data   # gates see the cell
    python training/train_digits.py --config teaching --data-dir ../shared/data   # tutorial recipe
    python training/train_digits.py --config gru --epochs 3 --out /tmp/digits_gru # your own
    python training/train_digits.py --config lstm --resume                        # after Ctrl-C
    python -m training.train_digits --config quick --mean 0.5 --std 0.5           # other statistics

Each image is read one row per time step (28 steps x 28 pixels).  5,000 training images are
held out for validation (model selection); the test set is used once, for the final report.
Augmentation is drawn per sample (torchvision.transforms.v2 inside the Dataset), so every image
in a batch gets its own rotation, shift, scale, shear and stroke thickness.  Ctrl-C or SIGTERM
finish the current step and write the resumable checkpoint (model, optimiser, schedule, AMP
scaler, RNGs and the place in the epoch); --resume continues from it, on any device.  The weights
JSON's "config" is exactly DigitRNN's arguments, the normalisation (--mean/--std) included.
"""
from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Sampler
from tqdm import tqdm

from demo.cells import CELLS
from demo.checkpoint import save_weights
from demo.digits.model import CONFIGS, MNIST_MEAN, MNIST_STD, DigitRNN, model_args
from training.common import DEFAULT_DATA_DIR, ROOT, checkpoint_path, command_line, device_name, pick_device
from training.loop import (GracefulStop, Stepper, clone_state, load_checkpoint, resume, save_checkpoint,
                           stopped)

SPLIT_SEED = 20240601  # fixed so every model is selected on the same 5,000 validation images


class StrokeWidth(torch.nn.Module):
    """Randomly thicken (grey dilation) or thin (erosion) the strokes of one (1, 28, 28) image."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.rand(()) > self.p:
            return x
        amount = torch.empty(()).uniform_(0.3, 1.0)
        if torch.rand(()) < 0.6:
            grown = F.max_pool2d(x, 3, stride=1, padding=1)
        else:
            grown = -F.max_pool2d(-x, 3, stride=1, padding=1)
        return x + amount * (grown - x)


class MNISTRows(Dataset):
    """uint8 images (N, 28, 28) + labels -> float rows (28, 28) in [0, 1], optionally augmented."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, augment: bool):
        from torchvision.transforms import v2
        self.images, self.labels = images, labels
        self.tf = v2.Compose([
            v2.RandomAffine(degrees=12, translate=(0.08, 0.08), scale=(0.85, 1.08), shear=(-12, 12, -6, 6)),
            v2.ToDtype(torch.float32, scale=True),
            StrokeWidth(p=0.5),
        ]) if augment else None

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i]
        if self.tf is None:
            return x.float() / 255.0, self.labels[i]
        return self.tf(x[None])[0].clamp_(0, 1), self.labels[i]


class EpochBatches(Sampler):
    """Shuffled batches of ``batch_size`` indices (the last partial batch dropped).  Epoch e's
    order is drawn from (seed, e) alone, so a run stopped inside an epoch resumes on the same
    order by skipping the batches it had done: ``set_epoch(e, skip)`` before iterating."""

    def __init__(self, n: int, batch_size: int, seed: int):
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.epoch, self.skip = 0, 0

    def set_epoch(self, epoch: int, skip: int = 0) -> None:
        self.epoch, self.skip = epoch, skip

    def __len__(self) -> int:
        return self.n // self.batch_size

    def __iter__(self):
        order = torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch))
        for b in range(self.skip, len(self)):
            yield order[b * self.batch_size:(b + 1) * self.batch_size].tolist()


def one_thread(_worker_id: int) -> None:
    """DataLoader workers: one torch thread each."""
    configure_torch(1)


def drawn_digits(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n digits drawn by demo.sketches (pen strokes of even width, like a canvas gives) and put
    through to_mnist exactly as the app does: uint8 (n, 28, 28) and labels (n,)."""
    import numpy as np

    from demo.digits.preprocess import to_mnist
    from demo.digits.sketches import render_strokes, templates
    rng = np.random.default_rng(seed)
    shapes = templates()
    labels = np.arange(n) % 10
    imgs = np.empty((n, 28, 28), np.uint8)
    for i, d in enumerate(tqdm(labels, desc="drawing digits", leave=False, mininterval=1.0)):
        variants = shapes[int(d)]
        ink = render_strokes(variants[rng.integers(len(variants))], rng, (100, 100), height=rng.uniform(40, 90))
        imgs[i] = np.round(to_mnist(ink) * 255)
    return torch.from_numpy(imgs), torch.from_numpy(labels).long()


def load_mnist(data_dir: Path):
    """torchvision's MNIST from data_dir (downloads there if it is missing and you are online)."""
    from torchvision import datasets
    raw = Path(data_dir) / "MNIST" / "raw"
    download = not (raw / "train-images-idx3-ubyte").exists()
    if download:
        print(f"MNIST not found under {raw}; downloading with torchvision")
    train = datasets.MNIST(str(data_dir), train=True, download=download)
    test = datasets.MNIST(str(data_dir), train=False, download=download)
    checksums = {}
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        p = raw / name
        if p.exists():
            checksums[name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return (train.data, train.targets), (test.data, test.targets), checksums


@torch.no_grad()
def evaluate(model, images, labels, device, batch_size=1000) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of uint8 images (N, 28, 28)."""
    model.eval()
    loss, correct = 0.0, 0
    for i in range(0, len(labels), batch_size):
        x = images[i:i + batch_size].to(device).float() / 255.0
        y = labels[i:i + batch_size].to(device)
        logits = model(x).float()
        loss += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
    return loss / len(labels), correct / len(labels)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--config", default="lstm", choices=sorted(CONFIGS),
                   help="named starting configuration: the shipped lstm, gru, rnn, bilstm (both ways) and "
                        "peephole, the tutorial's teaching, or quick")
    p.add_argument("--cell", choices=list(CELLS), help="recurrent cell (default: the config's)")
    p.add_argument("--bidirectional", action=argparse.BooleanOptionalAction,
                   help="read the rows both ways (rnn, gru, lstm; default: the config's)")
    p.add_argument("--hidden", type=int, help="hidden units per layer")
    p.add_argument("--layers", type=int, help="stacked recurrent layers")
    p.add_argument("--head-hidden", type=int, help="hidden units of the classifier head (0: one linear layer)")
    p.add_argument("--dropout", type=float, help="dropout between recurrent layers")
    p.add_argument("--epochs", type=int, help="passes over the 55,000 training images")
    p.add_argument("--batch-size", type=int, help="images per step")
    p.add_argument("--lr", type=float, help="peak learning rate (one-cycle schedule)")
    p.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW weight decay")
    p.add_argument("--clip", type=float, default=1.0, help="gradient-norm clipping")
    p.add_argument("--drawn", type=int, help="add this many script-drawn digits to the training images")
    p.add_argument("--no-augment", action="store_true", help="train on the plain images")
    p.add_argument("--mean", type=float, default=MNIST_MEAN,
                   help="pixel mean the model subtracts (stored in the weights; the app uses it)")
    p.add_argument("--std", type=float, default=MNIST_STD, help="pixel standard deviation the model divides by")
    p.add_argument("--val-size", type=int, default=5000, help="training images held out for validation")
    p.add_argument("--target-acc", type=float, help="stop once validation accuracy reaches this (e.g. 0.99)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where to train")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for torch (1 is fastest on small nets)")
    p.add_argument("--workers", type=int, default=1, help="DataLoader processes for augmentation (0: inline)")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder holding MNIST/raw")
    p.add_argument("--out", type=Path, help="output stem (default: weights/digits_CONFIG)")
    p.add_argument("--max-steps", type=int, help="stop after this many optimiser steps (smoke runs)")
    p.add_argument("--dry-run", action="store_true", help="2 steps on a small subset, write nothing")
    p.add_argument("--resume", action="store_true",
                   help="continue from the checkpoint of an interrupted run with the same --out "
                        "(its model and normalisation win)")
    p.add_argument("--stop-after-steps", type=int, help=argparse.SUPPRESS)  # tests: act as if Ctrl-C came then
    args = p.parse_args(argv)
    if not args.std > 0:
        p.error("--std must be positive")
    cfg = dict(CONFIGS[args.config])
    for key in ("cell", "bidirectional", "hidden", "layers", "head_hidden", "dropout", "epochs", "batch_size", "lr",
                "drawn"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    if args.dry_run:
        args.max_steps = 2
    return args, cfg


def main(argv=None):
    args, cfg = parse_args(argv)
    threads = configure_torch(args.threads)
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    name = args.out.name if args.out else f"digits_{args.config}"
    out = args.out or ROOT / "weights" / name
    ckpt_path = checkpoint_path(out)
    ck = load_checkpoint(ckpt_path) if args.resume else None
    # The model's constructor arguments, normalisation included; an interrupted run's win.
    margs = ck["model_args"] if ck and "model_args" in ck else model_args(cfg, args.mean, args.std)

    (train_x, train_y), (test_x, test_y), checksums = load_mnist(args.data_dir)
    perm = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(SPLIT_SEED))
    val_idx, tr_idx = perm[:args.val_size], perm[args.val_size:]
    if args.dry_run:
        tr_idx, val_idx = tr_idx[:512], val_idx[:256]
    val_x, val_y = train_x[val_idx], train_y[val_idx]
    tr_x, tr_y = train_x[tr_idx], train_y[tr_idx]
    n_drawn = 0 if args.dry_run else cfg.get("drawn", 0)
    if n_drawn:  # canvas drawings have even pen strokes that MNIST's scans lack
        dx, dy = drawn_digits(n_drawn, args.seed)
        tr_x, tr_y = torch.cat([tr_x, dx]), torch.cat([tr_y, dy])
    augment = cfg.get("augment", True) and not args.no_augment
    ds = MNISTRows(tr_x, tr_y, augment=augment)
    batches = EpochBatches(len(ds), cfg["batch_size"], args.seed)
    loader = DataLoader(ds, batch_sampler=batches, num_workers=args.workers, persistent_workers=args.workers > 0,
                        worker_init_fn=one_thread, generator=torch.Generator().manual_seed(args.seed),
                        pin_memory=device.type == "cuda")

    model = DigitRNN(**margs).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"], total_steps=cfg["epochs"] * len(loader),
                                                pct_start=0.15)
    stepper = Stepper(model, opt, device, args.clip, sched)
    # epoch: epochs finished; batch: batches done of the next one (a stop inside an epoch)
    run = dict(history=[], best=None, epoch=0, batch=0, step=0, elapsed=0.0, loss=0.0, correct=0, seen=0)
    if ck:
        resume(stepper, ck)
        run.update({k: ck.get(k, run[k]) for k in run})
        print(f"resumed from {ckpt_path} at epoch {run['epoch'] + 1}, step {run['step']:,}")

    def checkpoint():
        save_checkpoint(ckpt_path, stepper, **{**run, "elapsed": time.time() - t0}, model_args=margs)

    print(f"{margs['cell']}{' bidirectional' if margs['bidirectional'] else ''} hidden={margs['hidden']} layers={margs['layers']} "
          f"params={sum(p.numel() for p in model.parameters()):,} device={device} threads={threads} "
          f"train={len(ds)} val={len(val_y)} mean={margs['mean']:.4f} std={margs['std']:.4f}")
    t0 = time.time() - run["elapsed"]
    with GracefulStop(args.stop_after_steps) as stop:
        for epoch in range(run["epoch"], cfg["epochs"]):
            model.train()
            batches.set_epoch(epoch, skip=run["batch"])
            bar = tqdm(loader, total=len(loader), initial=run["batch"], desc=f"epoch {epoch + 1}/{cfg['epochs']}",
                       leave=False, mininterval=1.0)
            for x, y in bar:
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)

                def forward():
                    logits = model(x)
                    return F.cross_entropy(logits.float(), y), logits

                loss, logits = stepper.step(forward)
                run["step"] += 1
                run["batch"] += 1
                run["loss"] += loss.item() * len(y)
                run["correct"] += (logits.argmax(1) == y).sum().item()
                run["seen"] += len(y)
                if run["step"] % 25 == 0:
                    bar.set_postfix(loss=f"{run['loss'] / run['seen']:.4f}",
                                    acc=f"{run['correct'] / run['seen']:.4f}", refresh=False)
                if args.max_steps and run["step"] >= args.max_steps:
                    break
                if stop.should_stop(run["step"]):
                    bar.close()
                    checkpoint()
                    stopped(ckpt_path, f"step {run['step']:,} (epoch {epoch + 1}, batch {run['batch']})")
            val_loss, val_acc = evaluate(model, val_x, val_y, device)
            seen = max(run["seen"], 1)
            rec = dict(epoch=epoch + 1, step=run["step"], train_loss=run["loss"] / seen,
                       train_acc=run["correct"] / seen, val_loss=val_loss, val_acc=val_acc,
                       lr=sched.get_last_lr()[0], wall_s=round(time.time() - t0, 2))
            run["history"].append(rec)
            run.update(epoch=epoch + 1, batch=0, loss=0.0, correct=0, seen=0)
            print(f"epoch {epoch + 1}: train loss {rec['train_loss']:.4f} acc {rec['train_acc']:.4f} | "
                  f"val loss {val_loss:.4f} acc {val_acc:.4f} | {rec['wall_s']:.0f}s")
            if run["best"] is None or val_acc > run["best"]["val_acc"]:
                run["best"] = {"val_acc": val_acc, "epoch": epoch + 1, "state": clone_state(model)}
            done = ((args.max_steps and run["step"] >= args.max_steps)
                    or (args.target_acc and val_acc >= args.target_acc))
            if not args.dry_run or (stop.should_stop(run["step"]) and not done):
                checkpoint()
            if done:
                break
            if stop.should_stop(run["step"]):
                stopped(ckpt_path, f"the end of epoch {epoch + 1}")

    wall = time.time() - t0
    history, best, step = run["history"], run["best"], run["step"]
    model.load_state_dict(best["state"])
    if args.dry_run:
        print(f"dry run finished: {step} steps, val acc {best['val_acc']:.4f}; nothing written")
        return None
    test_loss, test_acc = evaluate(model, test_x, test_y, device)
    print(f"best epoch {best['epoch']}: val acc {best['val_acc']:.4f} | test acc {test_acc:.4f} "
          f"(loss {test_loss:.4f}) | {wall:.0f}s")
    meta = {
        "kind": "digits", "name": name,
        "config": margs,  # exactly DigitRNN's constructor arguments
        "normalisation": {"mean": margs["mean"], "std": margs["std"],
                          "input": "to_mnist: white digit on black, 20x20 box, centre of mass at (14, 14); "
                                   "28 rows x 28 pixels, one row per step"},
        "training": {"epochs": cfg["epochs"], "batch_size": cfg["batch_size"], "lr": cfg["lr"],
                     "weight_decay": args.weight_decay, "clip": args.clip, "schedule": "one-cycle",
                     "augment": augment, "drawn_digits": n_drawn, "seed": args.seed,
                     "steps": step},
        "metrics": {"val_acc": best["val_acc"], "best_epoch": best["epoch"], "test_acc": test_acc,
                    "test_loss": test_loss, "val_size": len(val_y), "test_size": len(test_y)},
        "history": history,
        "data": {"dataset": "MNIST", "sha256": checksums, "split_seed": SPLIT_SEED,
                 "train_images": len(tr_idx), "drawn_digits": n_drawn, "val_images": len(val_y)},
        "device": device_name(device), "threads": threads, "wall_time_s": round(wall, 1),
        "torch": torch.__version__, "command": command_line(__file__, argv),
    }
    st, js = save_weights(out, model.state_dict(), meta)
    print(f"wrote {st} and {js}")
    return meta


if __name__ == "__main__":
    main()
