"""Draw training curves from the histories the training scripts save in weights/*.json.

    python scripts/plot_curves.py            # writes docs/curves_digits.png and docs/curves_text.png

Plain PIL line charts (no plotting library): one panel per metric, one line per model.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14)]


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About n round tick values (1, 2 or 5 times a power of ten apart) within [lo, hi]."""
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= 0.7 * raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + k * step, 10) for k in range(int((hi - first) / step + 1e-9) + 1)]


def line_chart(series: dict[str, list[tuple[float, float]]], title: str, xlabel: str,
               size=(560, 340), ylim=None) -> Image.Image:
    """series: name -> [(x, y), ...] drawn as lines with a legend, axes and tick labels."""
    W, H = size
    left, right, top, bottom = 62, 16, 34, 44
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    pts = [p for s in series.values() for p in s]
    if not pts:
        d.text((left, H // 2), "no data", fill="black")
        return img
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = ylim or (min(p[1] for p in pts), max(p[1] for p in pts))
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1e-3)
    sx = lambda x: left + (x - x0) / (x1 - x0) * (W - left - right)
    sy = lambda y: H - bottom - (min(max(y, y0), y1) - y0) / (y1 - y0) * (H - top - bottom)
    for yv in nice_ticks(y0, y1):
        d.line([(left, sy(yv)), (W - right, sy(yv))], fill=(230, 230, 230))
        d.text((4, sy(yv) - 6), f"{yv:g}", fill=(90, 90, 90))
    for xv in nice_ticks(x0, x1):
        label = f"{xv:,.0f}" if abs(xv) >= 1000 else f"{xv:g}"
        d.text((sx(xv) - 3 * len(label), H - bottom + 6), label, fill=(90, 90, 90))
    d.rectangle([left, top, W - right, H - bottom], outline=(120, 120, 120))
    d.text((left, 10), title, fill="black")
    d.text((W // 2 - 30, H - 18), xlabel, fill=(60, 60, 60))
    for i, (name, s) in enumerate(series.items()):
        c = COLOURS[i % len(COLOURS)]
        if len(s) > 1:
            d.line([(sx(x), sy(y)) for x, y in s], fill=c, width=2)
        for x, y in s[-1:]:
            d.ellipse([sx(x) - 3, sy(y) - 3, sx(x) + 3, sy(y) + 3], fill=c)
        d.text((W - right - 70 * (len(series) - i), 10), name, fill=c)  # legend beside the title
    return img


def grid(images: list[Image.Image]) -> Image.Image:
    W, H = images[0].size
    out = Image.new("RGB", (W * len(images), H), "white")
    for i, im in enumerate(images):
        out.paste(im, (i * W, 0))
    return out


def load(pattern: str, weights_dir: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(weights_dir.glob(pattern))}


def digits_figure(weights_dir: Path) -> Image.Image | None:
    metas = load("digits_*.json", weights_dir)
    if not metas:
        return None
    acc = {n.removeprefix("digits_"): [(h["wall_s"] / 60, 100 * h["val_acc"]) for h in m["history"]]
           for n, m in metas.items()}
    loss = {n.removeprefix("digits_"): [(h["epoch"], h["train_loss"]) for h in m["history"]]
            for n, m in metas.items()}
    return grid([line_chart(acc, "validation accuracy (%)", "minutes of training", ylim=(96, 100)),
                 line_chart(loss, "training loss (augmented images)", "epoch")])


def text_figure(weights_dir: Path) -> Image.Image | None:
    metas = load("char_*.json", weights_dir)
    if not metas:
        return None
    val, train = {}, {}
    for n, m in metas.items():
        name = n.removeprefix("char_")
        for h in m.get("history", []):
            if h.get("val_loss") is not None:
                val.setdefault(name, []).append((h.get("wall_s", h.get("step", 0)) / 60, h["val_loss"]))
            if h.get("train_loss") is not None:
                train.setdefault(name, []).append((h.get("step", 0), h["train_loss"]))
    return grid([line_chart(val, "validation loss (nats/char)", "minutes of training"),
                 line_chart(train, "training loss (nats/char)", "step")])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights-dir", type=Path, default=ROOT / "weights", help="where the JSON files are")
    p.add_argument("--out-dir", type=Path, default=ROOT / "docs", help="where to write the PNGs")
    args = p.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, fig in (("curves_digits.png", digits_figure(args.weights_dir)),
                      ("curves_text.png", text_figure(args.weights_dir))):
        if fig is not None:
            fig.save(args.out_dir / name)
            print(f"wrote {args.out_dir / name}")


if __name__ == "__main__":
    main()
