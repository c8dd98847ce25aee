"""Train a row-by-row MNIST classifier (RNN, GRU or LSTM) and write weights/digits_NAME.*

    python training/train_digits.py --config lstm --data-dir ../shared/data       # shipped LSTM
    python training/train_digits.py --config teaching --data-dir ../shared/data   # tutorial recipe
    python training/train_digits.py --config gru --epochs 3 --out /tmp/digits_gru # your own
    python training/train_digits.py --config lstm --resume                        # after Ctrl-C

Each image is read one row per time step (28 steps x 28 pixels).  5,000 training images are
held out for validation (model selection); the test set is used once, for the final report.
Augmentation is drawn per sample (torchvision.transforms.v2 inside the Dataset), so every image
in a batch gets its own rotation, shift, scale, shear and stroke thickness.
"""
from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from common import (DEFAULT_DATA_DIR, checkpoint_path, ROOT, command_line, load_checkpoint, pick_device,
                    rng_state, save_checkpoint, set_rng_state, set_threads, sigterm_as_interrupt)
from demo.checkpoint import save_weights
from demo.digits import CONFIGS, MNIST_MEAN, MNIST_STD, MODEL_KEYS, build_model

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
    p.add_argument("--config", default="lstm", choices=sorted(CONFIGS), help="named starting configuration")
    p.add_argument("--cell", choices=["rnn", "gru", "lstm"], help="recurrent cell (default: the config's)")
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
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint of an interrupted run with the same --out")
    args = p.parse_args(argv)
    cfg = dict(CONFIGS[args.config])
    for key in ("cell", "hidden", "layers", "head_hidden", "dropout", "epochs", "batch_size", "lr", "drawn"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    if args.dry_run:
        args.max_steps = 2
    return args, cfg


def main(argv=None):
    args, cfg = parse_args(argv)
    torch.manual_seed(args.seed)
    threads = set_threads(args.threads)
    device = pick_device(args.device)
    sigterm_as_interrupt()
    name = args.out.name if args.out else f"digits_{args.config}"
    out = args.out or ROOT / "weights" / name
    ckpt_path = checkpoint_path(out)

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
    loader = DataLoader(ds, batch_size=cfg["batch_size"], shuffle=True, drop_last=True,
                        num_workers=args.workers, persistent_workers=args.workers > 0,
                        worker_init_fn=lambda _: torch.set_num_threads(1),
                        generator=torch.Generator().manual_seed(args.seed),
                        pin_memory=device.type == "cuda")

    model = build_model(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=args.weight_decay)
    total = cfg["epochs"] * len(loader)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"], total_steps=total, pct_start=0.15)
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    history, best, start_epoch, step, elapsed = [], None, 0, 0, 0.0
    if args.resume:
        ck = load_checkpoint(ckpt_path)
        model.load_state_dict(ck["model"]); opt.load_state_dict(ck["opt"]); sched.load_state_dict(ck["sched"])
        history, best, start_epoch, step, elapsed = ck["history"], ck["best"], ck["epoch"], ck["step"], ck["elapsed"]
        set_rng_state(ck["rng"])
        loader.generator.set_state(ck["loader_rng"])
        print(f"resumed from {ckpt_path} at epoch {start_epoch}")

    n_params = sum(p.numel() for p in model.parameters())
    print(f"{cfg['cell']} hidden={cfg['hidden']} layers={cfg['layers']} params={n_params:,} "
          f"device={device} threads={threads} train={len(ds)} val={len(val_y)}")
    t0 = time.time() - elapsed
    try:
        for epoch in range(start_epoch, cfg["epochs"]):
            model.train()
            run_loss, run_correct, seen = 0.0, 0, 0
            bar = tqdm(loader, desc=f"epoch {epoch + 1}/{cfg['epochs']}", leave=False, mininterval=1.0)
            for x, y in bar:
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                    logits = model(x)
                    loss = F.cross_entropy(logits.float(), y)
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
                scaler.step(opt)
                scaler.update()
                sched.step()
                step += 1
                run_loss += loss.item() * len(y)
                run_correct += (logits.argmax(1) == y).sum().item()
                seen += len(y)
                if step % 25 == 0:
                    bar.set_postfix(loss=f"{run_loss / seen:.4f}", acc=f"{run_correct / seen:.4f}", refresh=False)
                if args.max_steps and step >= args.max_steps:
                    break
            val_loss, val_acc = evaluate(model, val_x, val_y, device)
            rec = dict(epoch=epoch + 1, step=step, train_loss=run_loss / max(seen, 1),
                       train_acc=run_correct / max(seen, 1), val_loss=val_loss, val_acc=val_acc,
                       lr=sched.get_last_lr()[0], wall_s=round(time.time() - t0, 2))
            history.append(rec)
            print(f"epoch {epoch + 1}: train loss {rec['train_loss']:.4f} acc {rec['train_acc']:.4f} | "
                  f"val loss {val_loss:.4f} acc {val_acc:.4f} | {rec['wall_s']:.0f}s")
            if best is None or val_acc > best["val_acc"]:
                best = {"val_acc": val_acc, "epoch": epoch + 1,
                        "state": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}}
            done = (args.max_steps and step >= args.max_steps) or (args.target_acc and val_acc >= args.target_acc)
            if not args.dry_run:
                save_checkpoint(ckpt_path, dict(model=model.state_dict(), opt=opt.state_dict(),
                                                sched=sched.state_dict(), history=history, best=best,
                                                epoch=epoch + 1, step=step, elapsed=time.time() - t0,
                                                rng=rng_state(), loader_rng=loader.generator.get_state()))
            if done:
                break
    except KeyboardInterrupt:
        print(f"\ninterrupted: the last finished epoch is saved in {ckpt_path}; "
              f"continue with the same command plus --resume")
        raise SystemExit(130)

    wall = time.time() - t0
    model.load_state_dict(best["state"])
    if args.dry_run:
        print(f"dry run finished: {step} steps, val acc {best['val_acc']:.4f}; nothing written")
        return None
    test_loss, test_acc = evaluate(model, test_x, test_y, device)
    print(f"best epoch {best['epoch']}: val acc {best['val_acc']:.4f} | test acc {test_acc:.4f} "
          f"(loss {test_loss:.4f}) | {wall:.0f}s")
    meta = {
        "kind": "digits", "name": name,
        "config": {**{k: cfg[k] for k in MODEL_KEYS}, "input": "28 rows x 28 pixels, one row per step"},
        "normalisation": {"mean": MNIST_MEAN, "std": MNIST_STD,
                          "input": "to_mnist: white digit on black, 20x20 box, centre of mass at (14, 14)"},
        "training": {"epochs": cfg["epochs"], "batch_size": cfg["batch_size"], "lr": cfg["lr"],
                     "weight_decay": args.weight_decay, "clip": args.clip, "schedule": "one-cycle",
                     "augment": augment, "drawn_digits": n_drawn, "seed": args.seed,
                     "steps": step},
        "metrics": {"val_acc": best["val_acc"], "best_epoch": best["epoch"], "test_acc": test_acc,
                    "test_loss": test_loss, "val_size": len(val_y), "test_size": len(test_y)},
        "history": history,
        "data": {"dataset": "MNIST", "sha256": checksums, "split_seed": SPLIT_SEED,
                 "train_images": len(tr_idx), "drawn_digits": n_drawn, "val_images": len(val_y)},
        "device": str(device) + (f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else ""),
        "threads": threads, "wall_time_s": round(wall, 1), "torch": torch.__version__,
        "command": command_line(),
    }
    st, js = save_weights(out, model.state_dict(), meta)
    print(f"wrote {st} and {js}")
    return meta


if __name__ == "__main__":
    main()
