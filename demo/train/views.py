"""The Train tab's views, drawn from a run's records and live views (demo.train.live): pure
functions of numbers and the page's language, no gradio.

    curves_html(records, "loss", "step", "digits", "en")   # an SVG chart with its legend (HTML)
    grads_html(records, 28, "en")                          # |dL/dh_t| against t, log scale
    example_maps(views["example"], "lstm", "en")           # [(caption, heat value)]: h, c, gates
    input_map(example, "en"), answers_map(example, "en")   # the digit read, the answer after each step
    confusion_map(views["confusion"], "en"); sample_text(views["sample"], "en")
    # the compare mode (demo.train.compare): two runs on one chart, a gradient chart each
    curves_html([], "loss", "step", "remember", "en", runs=[("a", "Run A · ...", records_a), ("b", ..., records_b)])
    grads_html(records_b, 28, "en", name="Run B · ...", run="b", y_range=grad_range(records_a, records_b))
    compare_status([(name, update, records, error), ...], 120, "en", waiting=None)

Charts are inline SVG (no image to encode, ~10 kB): the page redraws one in a millisecond, several
times a second while a run plays.  Each has a legend; ``data-step`` (the last record's step) and
``data-records`` tell the tests that it moved (with two runs: the latest step of either, and
their records together; each polyline's ``data-run`` says whose it is).  The heatmaps are ``demo.render.heat_value``
values for ``demo.ui_heatmap.hover_heatmap`` (their caption rides in the value).
"""
from __future__ import annotations

import html
import math

import numpy as np

from demo import render
from demo.i18n import t as tr

MAX_UNITS = 64                 # units shown per map (the first ones): a map stays small to send
W, H = 440, 220                # the charts' own size (px; the page scales them to its width)
PAD_L, PAD_R, PAD_T, PAD_B = 58, 12, 10, 40
COLOURS = {"train_loss": "#1f77b4", "val_loss": "#ff7f0e", "val_acc": "#2ca02c"}
GRAD_COLOURS = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08306b")   # earlier records light, now dark
RUN_COLOURS = {"a": "#1f77b4", "b": "#d94801"}       # the compare mode's two runs: blue, orange
GRAD_RUN_COLOURS = {"a": GRAD_COLOURS, "b": ("#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603")}
GRAD_LINES = 5                 # records drawn in the gradient chart: the first, the latest, 3 between
GATES = {"i", "f", "o", "r", "z"}   # sigmoid gates: 0 to 1
BAND_LABEL = 14                # px above a chart's plot for its shaded band's words (the digit's rows)


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round numbers from lo to hi, about n of them (1, 2 or 5 times a power of ten apart)."""
    if not hi > lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + k * step, 12) for k in range(int((hi - first) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.0e}"


def _svg(series: list[dict], x_range, y_range, labels: tuple[str, str], log: bool = False,
         band: tuple[float, float, str] | None = None) -> str:
    """Lines on axes.  ``series``: {"points": [(x, y)], "colour", "width", "dash" (optional),
    "run" (optional: its polylines' data-run)}; a non-finite y breaks a line.  ``log``: y on a
    log10 scale (y_range in powers of ten).  ``band``: (x0, x1, words) shaded behind the lines,
    its words above the plot (BAND_LABEL px more at the top), where no line can cross them."""
    (x0, x1), (y0, y1) = x_range, y_range
    top = PAD_T + (BAND_LABEL if band is not None else 0)
    pw, ph = W - PAD_L - PAD_R, H - top - PAD_B
    fx = lambda x: PAD_L + (x - x0) / ((x1 - x0) or 1) * pw  # noqa: E731
    fy = lambda y: top + ph - (y - y0) / ((y1 - y0) or 1) * ph  # noqa: E731
    out = [f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{html.escape(labels[1])}" '
           f'preserveAspectRatio="xMidYMid meet">']
    if band is not None:
        a, b = fx(max(band[0], x0)), fx(min(band[1], x1))
        out.append(f'<rect x="{a:.1f}" y="{PAD_T}" width="{max(b - a, 0):.1f}" height="{top + ph - PAD_T}" '
                   f'fill="#f3f0e6"/><text x="{a + 4:.1f}" y="{PAD_T + 11}" font-size="12" fill="#8a7a4a" '
                   f'class="rl-band-label">{html.escape(band[2])}</text>')
    for v in _ticks(y0, y1):
        y = fy(v)
        words = f"1e{int(v)}" if log else _fmt(v)
        out.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>'
                   f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" font-size="12" text-anchor="end" fill="#555">{words}</text>')
    for v in _ticks(x0, x1, 6):
        x = fx(v)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="#888"/>'
                   f'<text x="{x:.1f}" y="{top + ph + 16}" font-size="12" text-anchor="middle" fill="#555">'
                   f'{_fmt(v)}</text>')
    out.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{top + ph}" y2="{top + ph}" stroke="#888"/>'
               f'<line x1="{PAD_L}" x2="{PAD_L}" y1="{top}" y2="{top + ph}" stroke="#888"/>'
               f'<text x="{PAD_L + pw / 2:.1f}" y="{H - 4}" font-size="13" text-anchor="middle" fill="#333">'
               f'{html.escape(labels[0])}</text>'
               f'<text x="12" y="{top + ph / 2:.1f}" font-size="13" text-anchor="middle" fill="#333" '
               f'transform="rotate(-90 12 {top + ph / 2:.1f})">{html.escape(labels[1])}</text>')
    for s in series:
        for part in _segments(s["points"]):
            pts = " ".join(f"{fx(x):.1f},{fy(min(max(y, y0), y1)):.1f}" for x, y in part)
            dot = "" if len(part) > 1 else f'<circle cx="{fx(part[0][0]):.1f}" cy="{fy(part[0][1]):.1f}" r="2.5" ' \
                                          f'fill="{s["colour"]}"/>'
            extra = (' stroke-dasharray="5 3"' if s.get("dash") else "") + \
                (f' data-run="{s["run"]}"' if s.get("run") else "")
            out.append(f'<polyline points="{pts}" fill="none" stroke="{s["colour"]}" '
                       f'stroke-width="{s.get("width", 2)}" stroke-linejoin="round"{extra}/>{dot}')
    out.append("</svg>")
    return "".join(out)


def _segments(points):
    part = []
    for x, y in points:
        if y is None or not math.isfinite(y):
            if part:
                yield part
            part = []
        else:
            part.append((x, y))
    if part:
        yield part


def _legend(items: list[tuple], note: str = "") -> str:
    """``items``: (name, colour) or (name, colour, dashed)."""
    keys = "".join(f'<span class="rl-key"><i style="background:{_swatch(c, *dashed)}"></i>{html.escape(name)}</span>'
                   for name, c, *dashed in items)
    return f'<div class="rl-train-legend">{keys}{f"<span class=rl-note>{html.escape(note)}</span>" if note else ""}</div>'


def _swatch(colour: str, dashed: bool = False) -> str:
    return f"repeating-linear-gradient(90deg, {colour} 0 5px, transparent 5px 8px)" if dashed else colour


def _chart(body: str, title: str, legend: str, step: int, n_records: int, kind: str) -> str:
    """A chart's box: ``step`` (the latest drawn, -1: none) and ``n_records`` tell the tests it moved."""
    return (f'<div class="rl-train-chart" data-kind="{kind}" data-step="{step}" data-records="{n_records}">'
            f'<div class="rl-train-title">{html.escape(title)}</div>{body}{legend}</div>')


def curves_html(records: list, kind: str, x: str, task: str, lang: str = "en", runs: list | None = None) -> str:
    """The loss ("loss": training and validation) or accuracy ("acc": validation) against the
    steps or the seconds of training (``x``), with a legend.  No records: the chart's frame and
    a word on what will show there.  ``runs`` (the compare mode): [(run "a" | "b", its name, its
    records)] on the same axes instead, each in its colour (RUN_COLOURS), training loss dashed."""
    names = ("train_loss", "val_loss") if kind == "loss" else ("val_acc",)
    if runs is None:
        lines = [(tr(f"train.curve.{n}", lang), COLOURS[n], False, records, n, None) for n in names]
    else:
        lines = [(f"{name} — {tr(f'train.curve.{n}', lang)}" if kind == "loss" else name, RUN_COLOURS[run],
                  n == "train_loss", recs, n, run) for run, name, recs in runs for n in names]
    return _curves(lines, kind, x, task, lang, [r for *_, r in runs] if runs is not None else [records])


def _curves(lines: list, kind: str, x: str, task: str, lang: str, runs: list) -> str:
    """``lines``: (legend name, colour, dashed, records, record key, run or None); ``runs``: each
    run's records (the chart's data-step is the latest step of any, data-records their sum)."""
    text = task == "text"
    title = tr(f"train.chart.{kind}" + ("_text" if text else ""), lang)
    series, top, x_end = [], 1.0, 0.0
    for _, colour, dashed, records, n, run in lines:
        xs = [r["seconds" if x == "seconds" else "step"] for r in records]
        ys = [r.get(n) for r in records]
        if kind == "acc":
            ys = [None if y is None else 100 * y for y in ys]
        finite = [y for y in ys if y is not None and math.isfinite(y)]
        if finite and kind == "loss":
            top = max(top, min(max(finite), 3 * np.median(finite)))
        x_end = max([x_end, *xs])
        series.append({"points": list(zip(xs, ys)), "colour": colour, "width": 1.5 if dashed else 2,
                       "dash": dashed, "run": run})
    y_range = (0.0, 100.0) if kind == "acc" else (0.0, top * 1.05)
    x_range = (0.0, max(x_end, 1e-9) if any(runs) else 1.0)
    labels = (tr(f"train.axis.{'seconds' if x == 'seconds' else 'step'}", lang),
              tr(f"train.axis.{kind}" + ("_text" if text else ""), lang))
    body = _svg(series, x_range, y_range, labels)
    legend = _legend([(name, colour, dashed) for name, colour, dashed, *_ in lines],
                     "" if any(runs) else tr("train.chart.empty", lang))
    last = max((recs[-1]["step"] for recs in runs if recs), default=-1)
    return _chart(body, title, legend, last, sum(len(recs) for recs in runs), kind)


def _grad_records(records: list) -> list:
    """The records the gradient chart draws: the first, the latest and up to 3 between, evenly."""
    have = [r for r in records if r.get("grad_by_step")]
    if len(have) <= GRAD_LINES:
        return have
    picks = np.linspace(0, len(have) - 1, GRAD_LINES).round().astype(int)
    return [have[i] for i in sorted(set(picks.tolist()))]


def _log_grads(r: dict) -> np.ndarray:
    g = np.asarray(r["grad_by_step"], dtype=float)                  # (T,)
    return np.where(g > 0, np.log10(np.maximum(g, 1e-30)), np.nan)


def grad_range(*runs: list) -> tuple[float, float]:
    """The gradient chart's y range (powers of ten) over the records each of ``runs`` draws: one
    range for two runs side by side, so that their fading compares by eye."""
    logs = [_log_grads(r) for records in runs for r in _grad_records(records)]
    finite = np.concatenate([x[np.isfinite(x)] for x in logs]) if logs else np.zeros(0)
    if not finite.size:
        return (-6.0, 0.0)
    lo, hi = math.floor(float(finite.min())), math.ceil(float(finite.max()))
    return (lo - 1, hi) if hi - lo < 1 else (lo, hi)


def grads_html(records: list, digit_rows: int | None, lang: str = "en", clip: bool = True, name: str = "",
               run: str = "a", y_range: tuple | None = None) -> str:
    """|dL/dh_t| of the top layer against the time step t (log scale), one line per chosen record
    (the latest dark and thick), with a legend; under it, how often clipping bit.  ``digit_rows``:
    28 for the digit tasks (the rows holding the digit are shaded), None for text.  The compare
    mode: ``name`` heads the chart (its title), ``run`` picks its colours, ``y_range`` is the two runs' own
    (grad_range)."""
    shown = _grad_records(records)
    palette = GRAD_RUN_COLOURS[run]
    colours = palette[-len(shown):] if shown else ()
    series = [{"points": list(enumerate(_log_grads(r).tolist(), start=1)), "colour": colour,
               "width": 3 if k == len(shown) - 1 else 1.5, "run": run if name else None}
              for k, (r, colour) in enumerate(zip(shown, colours))]
    T = len(shown[-1]["grad_by_step"]) if shown else (digit_rows or 28)
    y_range = y_range or grad_range(records)
    band = (0.5, digit_rows + 0.5, tr("train.grad.digit_rows", lang)) if digit_rows and T > digit_rows else None
    labels = (tr("train.axis.t", lang), tr("train.axis.grad", lang))
    body = _svg(series, (1.0, float(max(T, 2))), y_range, labels, log=True, band=band)
    items = [(tr("train.grad.step_now" if k == len(shown) - 1 else "train.grad.step", lang, step=r["step"]), c)
             for k, (r, c) in enumerate(zip(shown, colours))]
    title = name or tr("train.chart.grad", lang)      # two side by side: each named (the axis says what)
    step = records[-1]["step"] if records else -1
    return _chart(body, title, _legend(items, clip_note(records, lang, clip)), step, len(records), "grad")


def clip_note(records: list, lang: str = "en", clip: bool = True) -> str:
    """How often clipping bit in the steps before the latest record (empty before any step)."""
    r = next((r for r in reversed(records) if r.get("clipped") is not None), None)
    if r is None:
        return tr("train.chart.empty", lang) if not records else ""
    if not clip:
        return tr("train.clip.off", lang, norm=r["grad_norm"])
    if r["clipped"] == 0:
        return tr("train.clip.none", lang, norm=r["grad_norm"])
    return tr("train.clip.bites", lang, share=100 * r["clipped"], norm=r["grad_norm"])


def _cells(rows: int, cols: int) -> tuple[int, int]:
    """Px per row and per column of a map: ~250 px wide whatever the steps, rows 2 px (1 when many)."""
    return (2 if rows <= MAX_UNITS else 1), max(2, min(8, 256 // max(cols, 1)))


def _words(lang: str, row: str = "unit", col: str = "step") -> dict:
    return {"row_label": tr(f"app.heat.{row}" if row in ("unit", "class", "step") else f"train.heat.{row}", lang),
            "col_label": tr(f"app.heat.{col}" if col in ("unit", "class", "step") else f"train.heat.{col}", lang),
            "missing": tr("app.heat.missing", lang)}


MAP_NAMES = ("h", "c", "i", "f", "g", "o", "r", "z", "n")
GAP_ROWS = 2                   # the compare mode's stacked maps: NaN rows between run A's and run B's


def example_maps(example: dict, cell: str, lang: str = "en") -> list[tuple[str, dict]]:
    """The fixed example's maps, units x steps (the first MAX_UNITS units): h, then c and the
    gates the cell has, each (caption, heat value).  Text: each column is named by its character."""
    out = []
    for name in MAP_NAMES:
        if name in example["arrays"]:
            shown = _units(example, name)                               # (units shown, T)
            caption = _map_title(name, lang) + " · " + _map_part(example, name, lang)
            out.append((caption, _map_value(name, [shown], _col_names(example), caption, lang)))
    return out


def pair_maps(a: dict, b: dict, names: tuple[str, str], lang: str = "en") -> list[tuple[str, dict]]:
    """The compare mode's maps of the fixed example (both runs read the same one): for h, c and
    each gate, run A's units above run B's (GAP_ROWS blank rows between, the same steps across);
    a map only one run's cell has (an RNN has no gates), that run's alone, headed by its name.
    ``names``: the runs' names (demo.train.compare.run_name)."""
    out = []
    for name in MAP_NAMES:
        have = [(ex, run) for ex, run in zip((a, b), names) if name in ex["arrays"]]
        if not have:
            continue
        parts = [f"{run} ({_map_part(ex, name, lang)})" for ex, run in have]
        words = tr("train.map.pair", lang, top=parts[0], bottom=parts[1]) if len(have) == 2 else parts[0]
        caption = _map_title(name, lang) + " · " + words
        value = _map_value(name, [_units(ex, name) for ex, _ in have], _col_names(a), caption, lang)
        out.append((caption, value))
    return out


def _units(example: dict, name: str) -> np.ndarray:
    """One array of the example as (units shown, T): the first MAX_UNITS units."""
    return np.asarray(example["arrays"][name], dtype=np.float32)[:, :MAX_UNITS].T   # (T, H) -> (<=64, T)


def _map_title(name: str, lang: str) -> str:
    return tr("train.map.h" if name == "h" else f"digits.panel.{name}", lang)


def _map_part(example: dict, name: str, lang: str) -> str:
    units = np.shape(example["arrays"][name])[1]
    if units > MAX_UNITS:
        return tr("train.map.units", lang, shown=MAX_UNITS, units=units, step=example["step"])
    return tr("train.map.all", lang, units=units, step=example["step"])


def _col_names(example: dict):
    return [repr(ch)[1:-1] or " " for ch in example["text"]] if "text" in example else None


def _map_value(name: str, blocks: list, col_names, caption: str, lang: str) -> dict:
    """``blocks`` (units x T each, one per run) stacked with GAP_ROWS NaN rows between, each
    block's rows numbered from 0 (its units), as one heat value captioned ``caption``."""
    kind = "sequential" if name in GATES else "diverging"
    lim = 1.0
    if name == "c":
        top = max((float(np.nanmax(np.abs(x))) for x in blocks if x.size), default=0.0)
        lim = max(1.0, float(np.ceil(top * 10) / 10))
    gap = np.full((GAP_ROWS, blocks[0].shape[1]), np.nan, dtype=np.float32)
    shown = np.concatenate([x for k, blk in enumerate(blocks) for x in ((gap, blk) if k else (blk,))])
    ids = np.concatenate([r for k, blk in enumerate(blocks)
                          for r in ((np.full(GAP_ROWS, -1), np.arange(len(blk))) if k else (np.arange(len(blk)),))])
    value = render.heat_value(shown, kind, lim, _cells(*blocks[0].shape), what=name, col_names=col_names,
                              dim_future=False, row_ids=ids, **_words(lang))
    return {**value, "caption": caption}


def input_map(example: dict, lang: str = "en") -> dict:
    """The digit as the network reads it, one row per step (the blank rows of "remember" below)."""
    x = np.asarray(example["input"], dtype=np.float32) / 255.0       # (T, 28)
    caption = tr("train.map.input", lang, label=example["label"], steps=len(x))
    side = 6 if len(x) <= 40 else 3                                  # 168 px wide: the legend's width
    value = render.heat_value(x, "sequential", 1.0, (side, 6), what="x", dim_future=False,
                              row_ids=np.arange(1, len(x) + 1), **_words(lang, "step", "column"))
    return {**value, "caption": caption}


def answers_map(example: dict, lang: str = "en") -> dict:
    """The network's answer after each step (probabilities, classes x steps), true class named."""
    p = np.asarray(example["probs"], dtype=np.float32)               # (T, 10)
    caption = tr("train.map.answers", lang, label=example["label"], guess=int(p[-1].argmax()), p=float(p[-1].max()))
    return _answers_value(p.T, [str(d) for d in range(10)], caption, lang)


def pair_answers(a: dict, b: dict, names: tuple[str, str], lang: str = "en") -> dict:
    """The compare mode's answers after each step: run A's classes ("A 0".."A 9") above run B's."""
    pa, pb = (np.asarray(ex["probs"], dtype=np.float32) for ex in (a, b))     # (T, 10) each
    rows = [f"A {d}" for d in range(10)] + [""] * GAP_ROWS + [f"B {d}" for d in range(10)]
    caption = tr("train.map.answers_pair", lang, label=a["label"], a=names[0], guess_a=int(pa[-1].argmax()),
                 p_a=float(pa[-1].max()), b=names[1], guess_b=int(pb[-1].argmax()), p_b=float(pb[-1].max()))
    gap = np.full((GAP_ROWS, len(pa)), np.nan, dtype=np.float32)
    return _answers_value(np.concatenate([pa.T, gap, pb.T]), rows, caption, lang)


def _answers_value(p: np.ndarray, rows: list, caption: str, lang: str) -> dict:
    """p (classes, T)."""
    cell = (10 if len(rows) <= 10 else 8, max(2, min(8, 256 // max(p.shape[1], 1))))
    value = render.heat_value(p, "sequential", 1.0, cell, what="p", row_names=rows,
                              dim_future=False, **_words(lang, "class"))
    return {**value, "caption": caption}


def confusion_map(confusion: dict, lang: str = "en") -> dict:
    """Rows: the true digit; columns: the network's answer; each row as shares of its digit."""
    share, acc = _shares(confusion)
    caption = tr("train.map.confusion", lang, step=confusion["step"], acc=acc)
    return _confusion_value(share, [str(d) for d in range(10)], caption, (16, 16), lang)


def pair_confusion(a: dict, b: dict, names: tuple[str, str], lang: str = "en") -> dict:
    """The compare mode's confusion matrices: run A's rows (true digits "A 0".."A 9") above run
    B's ("B 0".."B 9"), GAP_ROWS blank rows between; the same answer columns."""
    (sa, acc_a), (sb, acc_b) = _shares(a), _shares(b)
    gap = np.full((GAP_ROWS, 10), np.nan)
    rows = [f"A {d}" for d in range(10)] + [""] * GAP_ROWS + [f"B {d}" for d in range(10)]
    caption = tr("train.map.confusion_pair", lang, a=names[0], step_a=a["step"], acc_a=acc_a,
                 b=names[1], step_b=b["step"], acc_b=acc_b)
    return _confusion_value(np.concatenate([sa, gap, sb]), rows, caption, (10, 16), lang)


def _shares(confusion: dict) -> tuple[np.ndarray, float]:
    """(each row as shares of its digit (10, 10), % right)."""
    counts = np.asarray(confusion["counts"], dtype=np.float64)       # (10, 10)
    share = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    return share, 100 * np.trace(counts) / max(counts.sum(), 1)


def _confusion_value(share: np.ndarray, rows: list, caption: str, cell: tuple, lang: str) -> dict:
    value = render.heat_value(share, "sequential", 1.0, cell, what=tr("train.heat.share", lang),
                              row_names=rows, first_col=0, dim_future=False, **_words(lang, "digit", "answer"))
    return {**value, "caption": caption}


def sample_text(sample: dict, lang: str = "en") -> str:
    return tr("train.sample.head", lang, step=sample["step"], temperature=sample["temperature"]) + "\n" + sample["text"]


def idle_text(cap_s: float, lang: str = "en") -> str:
    """The status before a run: what the buttons do, and the cap."""
    return tr("train.status.idle", lang, cap=cap_s)


def status_text(u, cap_s: float, records: list, lang: str = "en", error: str = "") -> str:
    """Where the page's run is (an Update of demo.train.job): its place in the line, its step and
    seconds of the cap, how it ended (``error``: the message when it failed), and the latest
    validation score."""
    fields = dict(step=u.step, seconds=u.seconds, cap=cap_s, place=u.position or 1)
    key = f"train.end.{u.end}" if u.end is not None else f"train.status.{u.state}"
    line = tr(key, lang, **fields)
    if error:
        line += " " + error
    last = records[-1] if records else None
    if last is not None and last.get("val_acc") is not None and u.state != "waiting":
        line += "  \n" + tr("train.status.score", lang, acc=100 * last["val_acc"], loss=last["val_loss"],
                            step=last["step"])
    return line


def compare_status(runs: list, cap_s: float, lang: str = "en", waiting: str | None = None) -> str:
    """The compare mode's status: each run's (``runs``: [(its name, its latest Update, its
    records, its error message)]) headed by its name; ``waiting``: the name of the run that
    waits in line while the other trains (one training place free), said."""
    parts = [f"**{name}** · " + status_text(u, cap_s, records, lang, error) for name, u, records, error in runs]
    if waiting:
        parts.append(tr("train.compare.in_line", lang, run=waiting))
    return "\n\n".join(parts)
