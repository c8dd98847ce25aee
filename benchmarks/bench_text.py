"""How fast the shipped character models sample, trace and score text on this machine.

    python benchmarks/bench_text.py                         # char_lstm and char_rnn, one thread
    python benchmarks/bench_text.py --models lstm --repeats 7 --threads 1

Prints one table row per measurement (best and median of --repeats runs):
plain sampling (``generate``), ``stream`` with the top-5 next characters per step and its cost
relative to plain sampling, the app's trace of what it wrote (``analysis.trace_text``: one
``states`` pass over seed + text), ``states`` over 2,000 characters and ``loss`` over the
111,540-character validation split of Tiny Shakespeare (skipped when the data is missing).
The writer's batched step (``demo.text.sampler.BatchStepper``): characters a second with 1, 8 and
64 texts stepped together, and the cost of 8 against 1.
Asking why (issue #12): ``connectivity`` for one position over 500 previous characters (autograd
through the torch module, goal <= 150 ms) beside a plain forward of that module over the same
characters in the same run (no gradient: the reference for this machine's speed), generation
with a clamp and an ablation against plain sampling (goal <= 1.2x), and select-and-match over
the validation split (goal <= 1 s; the activations' first computation and memory are reported
beside it).  ``--why-only`` runs just those.
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections import deque
from pathlib import Path

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import torch

from demo.text import load_char_model, matching
from demo.text.analysis import trace_text
from demo.text.sampler import BatchStepper

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
        # the text worker (demo/text/writer.py) writes every request at once: n texts stepped
        # together, against the same loop with one (the reference, in this run)
        def batch(n, steps=200):
            bs = BatchStepper(model, slots=n)
            slots, ids = [bs.open() for _ in range(n)], [1] * n
            return lambda: [bs.step(slots, ids) for _ in range(steps)]
        bt = {n: _times(batch(n), repeats) for n in (1, 8, 64)}
        for n, ts in bt.items():
            rows.append(dict(model=name, measure=f"{n} texts stepped together (the writer's batches)",
                             best=200 * n / min(ts), median=200 * n / statistics.median(ts), unit="chars/s", goal=""))
        rows.append(dict(model=name, measure="8 texts stepped together / 1", best=min(bt[8]) / min(bt[1]),
                         median=statistics.median(bt[8]) / statistics.median(bt[1]), unit="x", goal="< 8"))
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


def bench_why(models=("lstm", "rnn"), repeats: int = 5, text_path: Path = DEFAULT_TEXT,
              weights_dir: Path | None = None, match: bool = True) -> list[dict]:
    """Connectivity, edited generation and select-and-match timings (one dict per row)."""
    rows = []
    val = None
    if Path(text_path).is_file():
        full = Path(text_path).read_text(encoding="utf-8")
        val = full[int(len(full) * 0.9):]
    sample = (val or "ROMEO:\nWhat light through yonder window breaks?\n" * 20)[:501]
    for name in models:
        model = load_char_model(name, weights_dir)
        with torch.no_grad():
            x = model.net.inputs(torch.tensor([model.encode(sample[:500])])).float()   # (1, 500, F)

        def forward():
            with torch.no_grad():
                model.net.rnn(x)
        ct, ft = [], []
        for _ in range(repeats):   # interleaved, so a busy neighbour slows both alike
            ct += _times(lambda: model.connectivity(sample, 500), 1)
            ft += _times(forward, 1)
        rows.append(dict(model=name, measure="connectivity, 1 position over 500 previous chars", best=min(ct) * 1e3,
                         median=statistics.median(ct) * 1e3, unit="ms", goal="<= 150"))
        rows.append(dict(model=name, measure=f"  reference: a plain forward of its nn.{type(model.net.rnn).__name__} "
                         "over the same 500 (no gradient)", best=min(ft) * 1e3, median=statistics.median(ft) * 1e3,
                         unit="ms", goal=""))
        state = "c" if model.cell == "lstm" else "h"
        edits = dict(clamp={(state, 25 % model.hidden): 2.0}, ablate=[("h", 7)])
        # interleaved, so a busy neighbour slows both alike
        plain_t, edit_t = [], []
        for _ in range(repeats):
            plain_t += _times(lambda: model.generate("T", 1000, 0.8, rng_seed=0), 1)
            edit_t += _times(lambda: model.generate("T", 1000, 0.8, rng_seed=0, **edits), 1)
        rows.append(dict(model=name, measure="generate 1,000 chars with 1 clamp + 1 ablation / plain",
                         best=min(edit_t) / min(plain_t), median=statistics.median(edit_t) / statistics.median(plain_t),
                         unit="x", goal="<= 1.2"))
        if val is not None and match:
            t = time.perf_counter()
            acts = matching.validation_activations(model, val)
            first = time.perf_counter() - t
            mb = sum(a.nbytes for a in acts.values()) / 1e6
            rows.append(dict(model=name, measure=f"validation activations, first use ({mb:.0f} MB float16)",
                             best=first, median=None, unit="s", goal="once"))
            st = model.states(val[:400])
            a = getattr(st, state)
            sel = matching.select_units(a, 300, 306, 0.3) or matching.select_units(a, 300, 306, 0.0)
            units = [u.unit for u in sel] or [0]
            mt = _times(lambda: (matching.select_units(a, 300, 306, 0.3),
                                 matching.match(acts[state][:-1], units, 0.3, 6)), repeats)
            rows.append(dict(model=name, measure=f"select + match {len(units)} units over the validation split",
                             best=min(mt) * 1e3, median=statistics.median(mt) * 1e3, unit="ms", goal="<= 1,000"))
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
    p.add_argument("--why-only", action="store_true", help="only the asking-why rows (connectivity, edits, match)")
    p.add_argument("--no-match", action="store_true", help="skip select-and-match (its first use reads the split)")
    args = p.parse_args(argv)
    configure_torch(args.threads)
    rows = [] if args.why_only else bench(args.models, args.length, args.repeats, args.text, args.weights_dir)
    rows += bench_why(args.models, args.repeats, args.text, args.weights_dir, not args.no_match)
    print(f"torch {torch.__version__}, {args.threads} thread(s)")
    print(format_table(rows))
    return rows


if __name__ == "__main__":
    main()
