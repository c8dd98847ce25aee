"""Recompute the MNIST test accuracy of digit weights from the data and compare it with the JSON.

    python training/eval_digits.py --data-dir ../shared/data                 # every shipped model
    python training/eval_digits.py --model bilstm --model peephole --drawn 600 --photos 60
    python training/eval_digits.py --model lstm --limit 1000                  # first 1,000 test images
    python training/eval_digits.py --weights /tmp/digits_gru --data-dir ../shared/data
    python training/eval_digits.py --drawn 1000    # also digits drawn by script in every input form
    python training/eval_digits.py --model lstm --limit 1 --photos 60       # 60 photos of each photo form
    python training/eval_digits.py --model lstm --mnist-through-to-mnist 10000  # MNIST via to_mnist vs raw
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import numpy as np
import torch

from demo.digits import load_digit_model
from demo.digits.controls import MODEL_NAMES
from demo.digits.sketches import FORMS, random_drawing
from training.common import DEFAULT_DATA_DIR, ROOT
from training.train_digits import evaluate, load_mnist


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", action="append",
                   help=f"shipped model name (repeatable; default: {', '.join(MODEL_NAMES)})")
    p.add_argument("--weights", type=Path, help="a weights stem (path without .safetensors) instead")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder holding MNIST/raw")
    p.add_argument("--limit", type=int, help="only the first N test images")
    p.add_argument("--drawn", type=int, default=0, help="also score N script-drawn digits through to_mnist")
    p.add_argument("--photos", type=int, default=0,
                   help="also score N photos per photo form (demo.digits.photos, held-out seed)")
    p.add_argument("--photo-seed", type=int, default=None, help="seed of the photo set (default: TEST_SEED)")
    p.add_argument("--mnist-through-to-mnist", type=int, default=0, metavar="N",
                   help="also score the first N MNIST test images passed through to_mnist (vs raw)")
    p.add_argument("--threads", type=int, default=1, help="CPU threads")
    args = p.parse_args(argv)
    configure_torch(args.threads)
    _, (test_x, test_y), _ = load_mnist(args.data_dir)
    if args.limit:
        test_x, test_y = test_x[:args.limit], test_y[:args.limit]
    targets = ([(args.weights.name.removeprefix("digits_"), args.weights.parent)] if args.weights
               else [(m, ROOT / "weights") for m in (args.model or MODEL_NAMES)])
    print(f"{'model':<10} {'images':>7} {'test acc':>9} {'in JSON':>9} {'seconds':>8}")
    results = {}
    for name, folder in targets:
        model = load_digit_model(name, folder)
        t = time.perf_counter()
        _, acc = evaluate(model.net, test_x, test_y, torch.device("cpu"))
        recorded = model.meta.get("metrics", {}).get("test_acc", float("nan"))
        print(f"{name:<10} {len(test_y):>7} {acc:>9.4f} {recorded:>9.4f} {time.perf_counter() - t:>8.2f}")
        results[name] = acc
        if args.drawn:
            drawn_accuracy(model, args.drawn)
        if args.photos:
            photo_accuracy(model, args.photos, args.photo_seed)
        if args.mnist_through_to_mnist:
            mnist_through_to_mnist(model, test_x, test_y, args.mnist_through_to_mnist)
    return results


def drawn_accuracy(model, n: int, seed: int = 7) -> float:
    """Accuracy on n digits drawn by demo.sketches (random size, place, pen, canvas and form)."""
    rng = np.random.default_rng(seed)
    per_form = {f: [0, 0] for f in FORMS}
    for i in range(n):
        digit, form = i % 10, FORMS[(i // 10) % len(FORMS)]
        p = model.predict(random_drawing(digit, rng, form))
        per_form[form][0] += max(p, key=p.get) == str(digit)
        per_form[form][1] += 1
    total = sum(c for c, _ in per_form.values()) / n
    detail = ", ".join(f"{f} {c / max(t, 1):.3f}" for f, (c, t) in per_form.items())
    print(f"{'':<10} drawn digits: {total:.4f} of {n} ({detail})")
    return total


def photo_accuracy(model, n_per_form: int, seed: int | None = None) -> dict[str, float]:
    """Accuracy per photo form (demo.digits.photos) over n_per_form photos each, read through
    to_mnist as an upload is.  A photo refused as "not a single digit" counts as wrong."""
    from demo.digits.photos import PHOTO_FORMS, TEST_SEED, photo_set
    per_form = {f: [0, 0, 0] for f in PHOTO_FORMS}  # right, total, refused
    t = time.perf_counter()
    for img, digit, form in photo_set(n_per_form, TEST_SEED if seed is None else seed):
        per_form[form][1] += 1
        try:
            p = model.predict(img)
        except ValueError:
            per_form[form][2] += 1
            continue
        per_form[form][0] += max(p, key=p.get) == str(digit)
    right = sum(c for c, _, _ in per_form.values())
    total = sum(n for _, n, _ in per_form.values())
    print(f"{'':<10} photos: {right / total:.4f} of {total} ({time.perf_counter() - t:.0f} s)")
    for f, (c, n, refused) in per_form.items():
        print(f"{'':<12} {f:<14} {c / n:.3f}  ({c}/{n}, {refused} refused)")
    return {f: c / n for f, (c, n, _) in per_form.items()}


def mnist_through_to_mnist(model, test_x, test_y, n: int) -> tuple[float, float]:
    """MNIST test images as uploads (uint8 pictures through to_mnist) vs as the model reads
    them raw: preprocessing must not cost accuracy on MNIST itself."""
    from demo.digits.preprocess import to_mnist
    x, y = test_x[:n], test_y[:n]
    raw = np.asarray(x, dtype=np.float32)
    if raw.max() > 1.5:
        raw = raw / 255.0
    imgs = (raw * 255).round().astype(np.uint8)
    def read(im):
        try:
            return to_mnist(im)
        except ValueError:  # refused: counts as wrong
            return np.zeros((28, 28), np.float32)
    via = np.stack([read(im) for im in imgs])
    with torch.no_grad():
        acc_raw = float((model.logits(raw).argmax(1).numpy() == np.asarray(y)).mean())
        acc_via = float((model.logits(via).argmax(1).numpy() == np.asarray(y)).mean())
    print(f"{'':<10} MNIST test, first {len(y)}: raw {acc_raw:.4f}, through to_mnist {acc_via:.4f}")
    return acc_raw, acc_via


if __name__ == "__main__":
    main()
