"""How fast the shipped character models sample, trace and score text on this machine.

    python benchmarks/bench_text.py                         # char_lstm and char_rnn, one thread
    python benchmarks/bench_text.py --models lstm --repeats 7 --threads 1

Prints one table row per measurement (best and median of --repeats runs):
plain sampling (``generate``), ``stream`` with the top-5 next characters per step and its cost
relative to plain sampling, the app's trace of what it wrote (``analysis.trace_text``: one
``states`` pass over seed + text), ``states`` over 2,000 characters and ``loss`` over the
111,540-character validation split of Tiny Shakespeare (skipped when the data is missing).
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections import deque
from pathlib import Path

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import torch

from demo.text import load_char_model
from demo.text.analysis import trace_text

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_TEXT = ROOT.parent / "shared" / "data" / "tinyshakespeare" / "input.txt"


def _times(fn, repeats: int) -> list[float]:
    fn()  # warm-up: first-call allocations, lazy initialisation
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def bench(models=("lstm", "rnn"), length: int = 1000, repeats: int = 5, text_path: Path = DEFAULT_TEXT,
          weights_dir: Path | None = None) -> list[dict]:
    """One dict per measurement: model, measure, best, median, unit, goal."""
    val = None
    if Path(text_path).is_file():
        text = Path(text_path).read_text(encoding="utf-8")
        val = text[int(len(text) * 0.9):]
    rows = []
    for name in models:
        t = time.perf_counter()
        model = load_char_model(name, weights_dir)
        rows.append(dict(model=name, measure="load weights", best=time.perf_counter() - t, median=None,
                         unit="s", goal=""))
        arch = f"{model.cell} {model.layers}x{model.hidden}"
        gen = lambda: model.generate("T", length, temperature=0.8, rng_seed=0)
        listed = lambda: deque(model.stream("T", length, temperature=0.8, rng_seed=0, n_top=5), maxlen=0)
        plain_t, listed_t = _times(gen, repeats), _times(listed, repeats)
        rate = lambda ts: (length / min(ts), length / statistics.median(ts))
        rows.append(dict(model=name, measure=f"sample {length:,} chars ({arch})", best=rate(plain_t)[0],
                         median=rate(plain_t)[1], unit="chars/s", goal=">= 5,000"))
        rows.append(dict(model=name, measure=f"stream {length:,} chars (top-5 per step)", best=rate(listed_t)[0],
                         median=rate(listed_t)[1], unit="chars/s", goal=""))
        rows.append(dict(model=name, measure="stream (top-5) cost / plain sampling", best=min(listed_t) / min(plain_t),
                         median=statistics.median(listed_t) / statistics.median(plain_t), unit="x", goal="<= 1.5"))
        written = gen()
        tr_t = _times(lambda: trace_text(model, "T", written), max(1, repeats // 2))
        rows.append(dict(model=name, measure=f"trace_text of those {length:,} (h, c, probs)", best=min(tr_t),
                         median=statistics.median(tr_t), unit="s", goal=""))
        states_text = (val or "ROMEO:\nWhat light through yonder window breaks?\n" * 50)[:2000]
        st_t = _times(lambda: model.states(states_text), max(1, repeats // 2))
        rows.append(dict(model=name, measure=f"states() over {len(states_text):,} chars", best=min(st_t),
                         median=statistics.median(st_t), unit="s", goal=""))
        if val is not None:
            loss_t, nats = [], None
            for _ in range(max(1, repeats // 2)):
                t = time.perf_counter()
                nats = model.loss(val)
                loss_t.append(time.perf_counter() - t)
            rows.append(dict(model=name, measure=f"loss() over validation ({len(val):,} chars) = {nats:.4f} nats",
                             best=min(loss_t), median=statistics.median(loss_t), unit="s", goal="seconds"))
    return rows


def format_table(rows: list[dict]) -> str:
    fmt = lambda v: "" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:.3g}" if v < 10 else f"{v:.1f}")
    cells = [["model", "measure", "best", "median", "unit", "goal"]]
    cells += [[r["model"], r["measure"], fmt(r["best"]), fmt(r["median"]), r["unit"], r["goal"]] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = [" | ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=["lstm", "rnn"], help="shipped model names")
    p.add_argument("--length", type=int, default=1000, help="characters per sampling run")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per measurement")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--text", type=Path, default=DEFAULT_TEXT, help="Tiny Shakespeare (for the loss row)")
    p.add_argument("--weights-dir", type=Path, help="folder holding char_NAME.* (default: weights/)")
    args = p.parse_args(argv)
    configure_torch(args.threads)
    rows = bench(args.models, args.length, args.repeats, args.text, args.weights_dir)
    print(f"torch {torch.__version__}, {args.threads} thread(s)")
    print(format_table(rows))
    return rows


if __name__ == "__main__":
    main()
