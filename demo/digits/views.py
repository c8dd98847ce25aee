"""What the Digits tab shows, rendered from a ``DigitAnalysis`` (``demo.digits.analysis``):
images as uint8 RGB arrays from ``demo.render``, probabilities as label dicts, captions as
Markdown.  Rendering only: no model runs here, and no gradio.

    from demo.digits.views import step_views, drawing_views
    step = step_views(analysis, t=12)       # every slider move
    drawing = drawing_views(analysis)       # model input, final answer, comparison

A network that reads both ways (the BiLSTM) gets its maps per direction (``demo.digits.directions``);
how a picture was read is ``demo.digits.reading_views`` (its two views are importable from here).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from demo import render
from demo.digits import directions as dirs
from demo.digits.analysis import STEPS, DigitAnalysis, label_dict, settle_step, title
from demo.digits.model import CLASSES
from demo.digits.reading_views import reading_html, reading_strip  # noqa: F401  (the views' names before the split)
from demo.i18n import t as tr_
from demo.i18n import LANGS

# Per cell, the extra panels beside h: (trace key, title, colour map, range; None = fit to data).
PANELS = {
    "lstm": [("i", "i: input gate", "sequential", 1.0), ("f", "f: forget gate", "sequential", 1.0),
             ("g", "g: candidate", "diverging", 1.0), ("o", "o: output gate", "sequential", 1.0),
             ("c", "c: cell state", "diverging", None)],
    "gru": [("r", "r: reset gate", "sequential", 1.0), ("z", "z: update gate", "sequential", 1.0),
            ("n", "n: candidate", "diverging", 1.0)],
    "rnn": [],
}
PANELS["peephole"] = PANELS["lstm"]     # the peephole LSTM's gates and cell are the LSTM's i, f, g, o, c
MAX_PANELS = max(len(p) for p in PANELS.values())
# Cell sizes in px (per row, per step).  Small on purpose: PNG encoding dominates the time per
# stroke, and the page scales images up with CSS `image-rendering: pixelated`, which stays crisp.
UNIT_CELL = (1, 4)      # units x steps maps (h, gates, c): 128 units x 28 steps -> 128 x 112 px
CONF_CELL = (10, 6)     # classes x steps: tall enough for the class labels
MINI_CELL = (8, 5)      # the small comparison maps
DIGIT_SCALE = 4         # the 28x28 input -> 112x112, enough for the row-t frame


# ---------------------------------------------------------------------------------------------
# Views (cheap: numpy only, every slider move)

@dataclass(frozen=True)
class StepViews:
    caption: str                    # Markdown: what happened at row t
    rows: dict                      # the input, row t highlighted, later rows dimmed (render.digit_value)
    probs: dict[str, float]         # class probabilities after row t
    h: dict                         # h: units x steps, column t marked (a render.heat_value; its title in "caption")
    panels: list[tuple[str, dict]] = field(default_factory=list)  # gates and c, titled (heat values)
    confidence: dict | None = None  # classes x steps, settled step marked (a heat value)
    # A network reading both ways: h and panels above are its forward direction's; here the
    # backward direction's maps, the line above each direction's maps (forward, backward) and
    # what "confidence after step t" means.  None, [], None and "" for a network reading one way.
    back: dict | None = None
    back_panels: list[tuple[str, dict]] = field(default_factory=list)
    headings: tuple[str, str] | None = None
    note: str = ""


@dataclass(frozen=True)
class DrawingViews:
    seen: dict                      # the 28x28 model input, enlarged (render.digit_value)
    final: dict[str, float]         # probabilities after the last row
    summary: str                    # Markdown one-liner
    compare: list[tuple[str, dict]]  # per model: caption, confidence-over-time map (heat-v2 value)


def _symmetric_limit(a: np.ndarray) -> float:
    """Colour range for unbounded values such as c: +-max|a|, at least 1, to one decimal."""
    return max(1.0, float(np.ceil(np.abs(a).max() * 10) / 10))


def step_caption(a: DigitAnalysis, t: int, lang: str = "en") -> str:
    probs = a.probs
    now, final = probs[t - 1], probs[-1]
    settled = settle_step(probs)
    guess = CLASSES[int(now.argmax())]
    both = dirs.both_ways(a.trace)
    if both:   # "Step t of 28: forward at row t, backward at row 29 - t."
        text = dirs.step_caption(title(a.name), t, guess, now.max(), lang)
    else:
        text = tr_("digits.caption.step", lang, t=t, steps=len(probs), model=title(a.name), guess=guess, p=now.max())
    answer = CLASSES[int(final.argmax())]
    key = ("since" if t >= settled else "settles") + ("_step" if both else "")
    return text + tr_(f"digits.caption.{key}", lang, answer=answer, settled=settled)


def panel_title(key: str, lang: str = "en") -> str:
    """A gate or state map's title ("f: forget gate") in ``lang``."""
    return tr_(f"digits.panel.{key}", lang)


def step_views(a: DigitAnalysis, t: int, order: np.ndarray | None = None, lang: str = "en") -> StepViews:
    """Everything that depends on the step control, for the traced model of ``a``.  ``order``
    (a permutation of the units) sorts the rows of every units × steps map the same way.  The
    maps are heat values (``render.heat_value``): numbers, marks and the real unit of each row.
    A network reading both ways gets each direction's maps, its units in that order."""
    tr = a.trace
    t = int(np.clip(t, 1, len(tr)))     # T = 28 rows, or 28 + the blank rows a "remember" model reads
    order = np.arange(tr.h.shape[1]) if order is None else np.asarray(order)
    both = dirs.both_ways(tr)
    if both:
        H = dirs.per_direction(tr)
        (h, panels), (back, back_panels) = (_unit_maps(a, units, t, d, lang)
                                            for d, units in zip(dirs.DIRECTIONS, dirs.split_order(order, H)))
        extra = dict(back=back, back_panels=back_panels, note=dirs.confidence_note(title(a.name), lang),
                     headings=tuple(dirs.heading(d, H, lang) for d in dirs.DIRECTIONS))
    else:
        (h, panels), extra = _unit_maps(a, order, t, None, lang), {}
    back_row = dirs.back_row(t) if both else None
    alt = tr_("digits.rows.alt_both", lang, t=t, back=back_row) if both else tr_("digits.rows.alt", lang, t=t)
    return StepViews(
        caption=step_caption(a, t, lang),
        rows=render.digit_value(tr.image, DIGIT_SCALE, t=t, alt=alt, back=back_row,
                                legend=dirs.rows_legend(t, lang) if both else None),
        probs=label_dict(tr.probs[t - 1]),
        h=h, panels=panels,
        confidence=confidence_value(tr.probs, t, settle_step(tr.probs), lang=lang,
                                    col_names=dirs.confidence_columns(lang) if both else None),
        **extra)


def _unit_maps(a: DigitAnalysis, units: np.ndarray, t: int, direction: str | None,
               lang: str) -> tuple[dict, list[tuple[str, dict]]]:
    """The h map (its title in "caption") and the titled gate panels of ``units`` (the rows, in
    that order).  ``direction``: None for a network reading one way; else "forward" or
    "backward", named in every title, each column's input row in the tooltip, and the backward
    direction's step marked in blue (its head on the input view)."""
    tr = a.trace
    extra = {} if direction is None else dict(
        col_names=dirs.column_rows(direction, lang), accent=render.BACK_ACCENT if direction == "backward" else None)
    named = (lambda s: s) if direction is None else (lambda s: dirs.map_title(s, direction, lang))  # noqa: E731

    def units_map(values: np.ndarray, kind: str, lim: float, what: str) -> dict:
        shown = values[:, units].T  # (these units in the chosen order, steps)
        # numbers only: the browser draws the map, its step strip and its legend (heat-v2)
        return render.heat_value(shown, kind, lim, UNIT_CELL, t=t, row_ids=units, what=what, **heat_words(lang),
                                 **extra)

    panels = []
    for key, _name, kind, lim in PANELS.get(a.cell, []):
        values = tr[key]    # (28, all units): both directions share a colour range
        lim = lim or _symmetric_limit(values)
        name = panel_title(key, lang)
        label = tr_("digits.panel.range", lang, name=name, lim=lim) if kind == "diverging" and lim != 1.0 else name
        panels.append((named(label), units_map(values, kind, lim, key)))
    h = {**units_map(tr.h, "diverging", 1.0, "h"), "caption": named(tr_("digits.hmap.label", lang))}
    return h, panels


def heat_words(lang: str = "en", row: str = "unit") -> dict:
    """A heatmap's hover words in ``lang`` ("unit 37 · step 12 · h = +0.523"): render.heat_value's labels."""
    return {"row_label": tr_(f"app.heat.{row}", lang), "col_label": tr_("app.heat.step", lang),
            "missing": tr_("app.heat.missing", lang)}


def confidence_value(probs: np.ndarray, t: int | None, settled: int, cell=CONF_CELL, lang: str = "en",
                     col_names: list[str] | None = None) -> dict:
    """Classes × steps, sequential colours (p from 0 to 1), row t framed, the settled step green,
    as a heat-v2 value the browser draws (hover: "class 3 · step 5 · p = 0.912", then the
    column's ``col_names`` entry when given: what a network reading both ways has read)."""
    return render.heat_value(probs.T, "sequential", 1.0, cell, t=t, settled=settled, dim_future=t is not None,
                             what="p", row_names=list(CLASSES), legend=True, col_names=col_names,
                             **heat_words(lang, "class"))


def drawing_views(a: DigitAnalysis, lang: str = "en") -> DrawingViews:
    """Views that depend on the drawing only: model input, final answer, all models compared."""
    final = a.probs[-1]
    settled = settle_step(a.probs)
    answer = CLASSES[int(final.argmax())]
    # a network reading both ways settles at a step (each way), not a row
    summary = tr_("digits.summary_both" if dirs.both_ways(a.trace) else "digits.summary", lang, model=title(a.name),
                  answer=answer, p=final.max(), settled=settled, steps=len(a.probs))
    if len(a.probs) > STEPS:    # a "remember the digit" model: the drawing, then blank rows
        summary += " " + tr_("digits.summary_delay", lang, delay=len(a.probs) - STEPS, steps=len(a.probs))
    compare = []
    for name, probs in a.compare.items():
        p, when = probs[-1], settle_step(probs)
        key = "digits.compare.caption_both" if dirs.named_both_ways(name) else "digits.compare.caption"
        caption = tr_(key, lang, model=title(name), answer=CLASSES[int(p.argmax())], p=p.max(), settled=when)
        compare.append((caption, confidence_value(probs, None, when, MINI_CELL, lang)))
    return DrawingViews(seen=render.digit_value(a.trace.image, DIGIT_SCALE, alt=tr_("digits.seen.alt", lang)),
                        final=label_dict(final),
                        summary=summary, compare=compare)


# ---------------------------------------------------------------------------------------------
# Why: row influence, one unit, interventions, the state's path

INFLUENCE_CSS = """
.rl-inf { display: flex; flex-wrap: wrap; gap: 14px; }
.rl-inf-cell { flex: 0 1 auto; min-width: 0; max-width: 100%; }
.rl-inf-title { font-weight: 600; margin: 0 0 4px; font-size: 14px; }
.rl-inf-body { display: grid; grid-template-columns: 140px 60px 60px; grid-template-rows: repeat(28, 5px);
  gap: 0 4px; align-items: center; }
.rl-inf-body img { grid-row: 1 / span 28; grid-column: 1; width: 140px; height: 140px; image-rendering: pixelated; }
.rl-inf-bar { height: 4px; border-radius: 1px; }
.rl-inf-g { grid-column: 2; background: #7ad151; }
.rl-inf-o { grid-column: 3; background: #ff8c00; }
.rl-inf-o.neg { background: #67a9cf; }
.rl-inf-head, .rl-inf-scale { font-size: 11px; opacity: .75; margin: 2px 0; }
.rl-inf-wait { opacity: .45; }
"""


def influence_html(a: DigitAnalysis, lang: str = "en") -> str:
    """The row-influence strips as HTML (the browser draws the bars: nothing to encode): for
    every model in ``a.compare``, the input beside one bar per row for each measure, each scaled
    to its own largest value (printed underneath); hovering a bar gives its row and value.
    Green: |dz_k/drow_t|; orange: occlusion p_k - p_k(row blanked); blue: blanking raised p_k.
    A model whose influence is not in ``a`` yet (the pen is still down) is shown faded."""
    digit = render.png_data_url(render.digit_image(a.x, 1))
    cells = []
    for name in a.compare:
        k = CLASSES[int(a.compare[name][-1].argmax())]
        inf = a.influence.get(name)
        bars = []
        if inf is not None:
            g, o = inf["gradient"], inf["occlusion"]
            gl, ol = max(float(g.max()), 1e-9), max(float(np.abs(o).max()), 1e-9)
            for t in range(STEPS):
                bars.append(f'<div class="rl-inf-bar rl-inf-g" style="grid-row:{t + 1};width:{100 * g[t] / gl:.0f}%" '
                            f'title="{tr_("digits.influence.bar_gradient", lang, row=t + 1, value=g[t])}"></div>')
                bars.append(f'<div class="rl-inf-bar rl-inf-o{" neg" if o[t] < 0 else ""}" style="grid-row:{t + 1};'
                            f'width:{100 * abs(o[t]) / ol:.0f}%" '
                            f'title="{tr_("digits.influence.bar_occlusion", lang, row=t + 1, value=o[t])}"></div>')
            scale = tr_("digits.influence.scale", lang, g=gl, o=ol)
        else:
            scale = tr_("digits.influence.wait", lang)
        cells.append(f'<div class="rl-inf-cell{"" if inf is not None else " rl-inf-wait"}">'
                     f'<p class="rl-inf-title">{tr_("digits.influence.reads", lang, model=title(name), answer=k)}</p>'
                     f'<p class="rl-inf-head">{tr_("digits.influence.head", lang)}</p>'
                     f'<div class="rl-inf-body"><img src="{digit}" alt="{tr_("digits.influence.input_alt", lang)}">'
                     f'{"".join(bars)}</div>'
                     f'<p class="rl-inf-scale">{scale}</p></div>')
    if not cells:
        return f"<p>{tr_('digits.influence.empty', lang)}</p>"
    return f'<div class="rl-inf">{"".join(cells)}</div>'


def influence_curves(lookups: dict) -> "object":
    """The over-data curves: per model, mean |dz_k/drow_t| over test digits: a DataFrame of
    row, cell, value (lookups: model name -> DigitLookups).  The cell's column is there once
    under each language's name (``curves_color``): the plot's tooltip and legend show the name
    its ``color`` says, and the language switch only changes that."""
    import pandas as pd
    recs = [(t + 1, title(n), float(v)) for n, lk in lookups.items() for t, v in enumerate(lk.influence_gradient)]
    frame = pd.DataFrame(recs, columns=["row", "cell", "mean |dz/d row|"])
    return _colour_names(frame, "cell", curves_color)


def _colour_names(frame, column: str, name) -> "object":
    """``frame`` with ``column`` copied under every language's ``name(lang)``, next to it.
    (A gr.LinePlot given a new colour column and a value naming it at once draws a single
    "undefined" series, gradio 6.31: with every name there, any order of the two works.)"""
    names = list(dict.fromkeys(name(lang) for lang in LANGS))
    at = list(frame.columns).index(column)
    for k, new in enumerate(n for n in names if n != column):
        frame.insert(at + 1 + k, new, frame[column])
    if column not in names:
        frame = frame.drop(columns=[column])
    return frame


def curves_color(lang: str = "en") -> str:
    """The name of the curves' colour column (their model) in ``lang``."""
    return tr_("digits.curves.color", lang)


def unit_rows_color(lang: str = "en") -> str:
    """The name of the unit plot's colour column (h, c or a gate) in ``lang``."""
    return tr_("digits.unit_rows.color", lang)


def influence_summary(lookups: dict, lang: str = "en") -> str:
    """A measured sentence per model: how the gradient reaching the first rows compares with the
    last rows (the vanishing-gradient lesson, from the shipped models, not assumed)."""
    lines = []
    for n, lk in lookups.items():
        g = lk.influence_gradient
        early, late = float(g[:7].mean()), float(g[-7:].mean())
        lines.append(tr_("digits.curves.summary_line", lang, model=title(n), early=early, late=late,
                         ratio=early / late))
    n_digits = next(iter(lookups.values())).meta.get("data", {}).get("influence_digits", "?") if lookups else 0
    return tr_("digits.curves.summary", lang, n=n_digits) + "\n" + "\n".join(lines)


@dataclass(frozen=True)
class UnitViews:
    caption: str                    # Markdown: the unit, its part in this answer, its profile in words
    over_rows: object               # DataFrame row, state, value: h (c, gates) of this unit, this drawing
    profile: object | None          # DataFrame class, mean: mean final h per class over the test set
    thumbs: np.ndarray | None       # the 9 test digits that drive it highest (top) and lowest (bottom)


def unit_views(a: DigitAnalysis, unit: int, lookups=None, lang: str = "en") -> UnitViews:
    """The drill-down of one top-layer unit (looked up, nothing computed but this drawing's)."""
    import pandas as pd
    from demo.digits.units import describe_profile
    H = a.trace.h.shape[1]
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 0 <= unit < H:
        raise ValueError(f"unit must be from 0 to {H - 1}, got {unit!r}")
    tr = a.trace
    series = {"h": tr.h, **({"c": tr.c} if tr.c is not None else {}), **tr.gates}
    # each value at the input row its step read: a backward unit's step t read row 29 - t
    backward = dirs.both_ways(tr) and unit >= dirs.per_direction(tr)
    row = dirs.back_row if backward else (lambda step: step)  # noqa: E731
    over = _colour_names(pd.DataFrame([(row(t + 1), k, float(v[t, unit])) for k, v in series.items()
                                       for t in range(len(tr))], columns=["row", "state", "value"]),
                         "state", unit_rows_color)
    k = int(tr.probs[-1].argmax())
    rank = int((a.contributions > a.contributions[unit]).sum()) + 1 if a.contributions is not None else None
    lines = [_unit_caption(a, unit, lang)]
    if a.contributions is not None:
        lines.append(tr_("digits.unit.part", lang, answer=CLASSES[k], part=a.contributions[unit], rank=rank,
                         hidden=H))
    profile = thumbs = None
    if lookups is not None:
        means = lookups.class_means[unit]
        profile = pd.DataFrame({"class": CLASSES, "mean final h": means.astype(float)})
        own = lookups.meta.get("data", {}).get("own")    # a model opened in the lens: its run's digits
        lines.append(tr_("digits.unit.over_own" if own else "digits.unit.over_data", lang,
                         profile=describe_profile(means, lang), **({"n": own} if own else {})))
        thumbs = unit_thumbnails(lookups, unit)
    else:
        lines.append(tr_("digits.unit.no_profile", lang))
    return UnitViews((" " if lang == "en" else "").join(lines), over, profile, thumbs)


def _unit_caption(a: DigitAnalysis, unit: int, lang: str) -> str:
    """"**Unit 5** of the LSTM's top layer ...", and for a network reading both ways, which
    direction's unit it is ("backward unit 2") and the rows it reads."""
    tr = a.trace
    if not dirs.both_ways(tr):    # a "remember the digit" model answers after its blank rows
        key = "digits.unit.caption" if len(tr) == STEPS else "digits.unit.caption_last"
        return tr_(key, lang, unit=unit, model=title(a.name), h=tr.h[-1, unit], steps=len(tr))
    direction, j = dirs.unit_direction(unit, dirs.per_direction(tr))
    return tr_(f"digits.unit.caption_{direction}", lang, unit=unit, j=j, model=title(a.name), h=tr.h[-1, unit])


_THUMBS: dict[tuple, np.ndarray] = {}


def unit_thumbnails(lookups, unit: int, scale: int = 2) -> np.ndarray:
    """``_unit_thumbnails``, drawn once per (lookups, unit): they never change with the drawing,
    and every stroke asks for them."""
    key = (id(lookups), int(unit), scale)
    if key not in _THUMBS:
        if len(_THUMBS) > 2048:
            _THUMBS.clear()
        _THUMBS[key] = _unit_thumbnails(lookups, unit, scale)
        _THUMBS[key].setflags(write=False)
    return _THUMBS[key]


def _unit_thumbnails(lookups, unit: int, scale: int = 2) -> np.ndarray:
    """Two rows of 9 test digits: those with the highest final h of ``unit`` (top row), and the
    lowest (bottom row), each with its class and activation underneath (numbers only: the
    image's font is Latin-only, so the words are the label's, digits.unit_thumbs.label)."""
    def row(ids, values):
        cells = []
        for i, v in zip(ids, values):
            img = render.digit_image(lookups.thumbs[i] / 255.0, scale)
            w = img.shape[1]
            cells.append(np.concatenate([img, render.text_strip(w, f"{lookups.thumb_labels[i]} {v:+.2f}", 12, 9,
                                                                "centre")], 0))
            cells.append(np.full((cells[-1].shape[0], 2, 3), render.GUTTER, np.uint8))
        return np.concatenate(cells, axis=1)
    top = row(lookups.top[unit], lookups.top_values[unit])
    bottom = row(lookups.bottom[unit], lookups.bottom_values[unit])
    return np.concatenate([top, np.full((6, top.shape[1], 3), 255, np.uint8), bottom], 0)


def edited_views(a: DigitAnalysis, t: int, lang: str = "en") -> tuple[dict | None, np.ndarray | None, str]:
    """The edited run beside the original: its final probabilities, its confidence over time
    (row t marked), and the difference in words."""
    from demo.digits.interventions import difference, directions_note
    if a.edited is None:
        return None, None, tr_("digits.edit.none", lang)
    probs = a.edited.probs
    both = dirs.both_ways(a.trace)
    value = confidence_value(probs, int(np.clip(t, 1, len(probs))), settle_step(probs), lang=lang,
                             col_names=dirs.confidence_columns(lang) if both else None)
    text = difference(a.trace.probs, probs, a.intervention, lang)
    if both:    # which direction each edit acts on, and from which row
        text += "\n\n" + directions_note(a.intervention, dirs.per_direction(a.trace), title(a.name), lang)
    return label_dict(probs[-1]), value, text


_CLOUDS: dict[int, tuple] = {}


def _cloud(lookups, size: int):
    """The class cloud (drawn once per lookups object) and its bounds."""
    key = (id(lookups), size)
    if key not in _CLOUDS:
        pts = lookups.cloud
        lo, hi = np.percentile(pts, 1, axis=0), np.percentile(pts, 99, axis=0)
        pad = (hi - lo) * 0.12
        bounds = (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
        colours = (render.CLASS_COLOURS[lookups.cloud_labels.astype(int)] * 0.6 + 24 * 0.4).astype(np.uint8)
        _CLOUDS[key] = (render.scatter(pts, colours, size, bounds, radius=1), bounds)
    return _CLOUDS[key]


_CLOUD_URLS: dict[int, str] = {}


def cloud_css(lookups: dict, size: int = 300) -> str:
    """One CSS class per model whose background is its class cloud: the page loads and decodes
    each cloud once, and the path's HTML (new ~10 times a second while drawing) only names it."""
    rules = []
    for name, lk in lookups.items():
        key = id(lk)
        if key not in _CLOUD_URLS:
            _CLOUD_URLS[key] = render.png_data_url(_cloud(lk, size)[0])
        rules.append(f".rl-cloud-{name} {{ background-image: url({_CLOUD_URLS[key]}); }}")
    return "\n".join(rules)


def trajectory_html(a: DigitAnalysis, lookups, t: int, size: int = 300, lang: str = "en") -> str:
    """The state's path as HTML: the class cloud (the CSS class ``cloud_css`` made for this
    model, so the page decodes it once) under an SVG path the browser draws, row t in orange, the
    edited run in red, and a legend of the class colours.  Hovering a point names its row."""
    t = int(np.clip(t, 1, len(a.trace)))
    bounds = _cloud(lookups, size)[1]
    cloud = (f'<div class="rl-cloud rl-cloud-{a.name}" aria-label="{tr_("digits.trajectory.cloud_alt", lang)}">'
             f'</div>')
    # trace.h's rows are what the head reads after each step (both ways: [forward ; backward], the
    # 2H units the lookups' components are of)
    path = render.to_pixels(lookups.project(a.trace.h), size, bounds)  # (28, 2)
    pts = " ".join(f"{x},{y}" for x, y in path.tolist())
    point, axes = _trajectory_words(a, lang)
    dots = "".join(f'<circle cx="{x}" cy="{y}" r="{4 if k == 0 else 2.5}" class="{"start" if k == 0 else "dot"}">'
                   f'<title>{point(k + 1)}</title></circle>' for k, (x, y) in enumerate(path.tolist()))
    edited = ""
    if a.edited is not None:
        e = render.to_pixels(lookups.project(a.edited.h), size, bounds)
        edited = f'<polyline class="edited" points="{" ".join(f"{x},{y}" for x, y in e.tolist())}"/>'
    x, y = path[t - 1].tolist()
    legend = "".join(f'<span><i style="background:rgb{tuple(int(c) for c in render.CLASS_COLOURS[d])}"></i>{d}</span>'
                     for d in range(10))
    var = lookups.pca_variance
    return (f'<div class="rl-traj" style="max-width:{size}px"><div class="rl-traj-box">'
            f'{cloud}'
            f'<svg viewBox="0 0 {size} {size}">{edited}<polyline class="path" points="{pts}"/>{dots}'
            f'<circle cx="{x}" cy="{y}" r="6" class="now"><title>{point(t)}</title>'
            f'</circle></svg></div>'
            f'<p class="rl-traj-legend">{legend}</p><p class="rl-traj-axes">'
            f'{axes(var, t)}'
            f'{tr_("digits.trajectory.edited", lang) if a.edited is not None else ""}'
            f'{tr_("app.sep.stop", lang)}</p></div>')


def _trajectory_words(a: DigitAnalysis, lang: str):
    """The trajectory's words: each point's title (by step) and the axes' line (PCA variances, t).
    A network reading both ways: a point is a step, forward at row t and backward at row 29 - t."""
    if dirs.both_ways(a.trace):
        hidden = a.trace.h.shape[1]
        return (lambda k: tr_("digits.trajectory.step_both", lang, t=k, back=dirs.back_row(k)),
                lambda var, t: tr_("digits.trajectory.axes_both", lang, v1=var[0], v2=var[1], t=t,
                                   back=dirs.back_row(t), hidden=hidden))
    return (lambda k: tr_("digits.trajectory.after_row", lang, t=k),
            lambda var, t: tr_("digits.trajectory.axes", lang, v1=var[0], v2=var[1], t=t))


TRAJECTORY_CSS = """
.rl-traj { width: 100%; }
.rl-traj-box { position: relative; width: 100%; aspect-ratio: 1; }
.rl-traj-box svg, .rl-traj-box .rl-cloud { position: absolute; inset: 0; width: 100%; height: 100%; }
.rl-traj-box .rl-cloud { image-rendering: pixelated; background-size: 100% 100%; }
.rl-traj .path { fill: none; stroke: #ebebeb; stroke-width: 2; }
.rl-traj .edited { fill: none; stroke: #ff5050; stroke-width: 1.5; stroke-dasharray: 4 2; }
.rl-traj .dot { fill: #ebebeb; } .rl-traj .start { fill: none; stroke: #fff; stroke-width: 1.5; }
.rl-traj .now { fill: #ff8c00; }
.rl-traj-legend { display: flex; flex-wrap: wrap; gap: 8px; font-size: 12px; margin: 4px 0 0; }
.rl-traj-legend i { display: inline-block; width: 10px; height: 10px; margin-right: 3px; }
.rl-traj-axes { font-size: 12px; opacity: .75; margin: 2px 0 0; }
"""
