"""What the Digits tab shows, rendered from a ``DigitAnalysis`` (``demo.digits.analysis``):
images as uint8 RGB arrays from ``demo.render``, probabilities as label dicts, captions as
Markdown.  Rendering only: no model runs here, and no gradio.

    from demo.digits.views import step_views, drawing_views
    step = step_views(analysis, t=12)       # every slider move
    drawing = drawing_views(analysis)       # model input, final answer, comparison
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from demo import render
from demo.digits.analysis import STEPS, DigitAnalysis, label_dict, settle_step, title
from demo.digits.model import CLASSES

# Per cell, the extra panels beside h: (trace key, title, colour map, range; None = fit to data).
PANELS = {
    "lstm": [("i", "i: input gate", "sequential", 1.0), ("f", "f: forget gate", "sequential", 1.0),
             ("g", "g: candidate", "diverging", 1.0), ("o", "o: output gate", "sequential", 1.0),
             ("c", "c: cell state", "diverging", None)],
    "gru": [("r", "r: reset gate", "sequential", 1.0), ("z", "z: update gate", "sequential", 1.0),
            ("n", "n: candidate", "diverging", 1.0)],
    "rnn": [],
}
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
    rows: np.ndarray                # the input, row t highlighted, later rows dimmed
    probs: dict[str, float]         # class probabilities after row t
    h: np.ndarray                   # h: units x steps, column t marked
    panels: list[tuple[str, np.ndarray]] = field(default_factory=list)  # gates and c, titled
    confidence: np.ndarray | None = None  # classes x steps, settled step marked


@dataclass(frozen=True)
class DrawingViews:
    seen: np.ndarray                # the 28x28 model input, enlarged
    final: dict[str, float]         # probabilities after the last row
    summary: str                    # Markdown one-liner
    compare: list[tuple[str, np.ndarray]]  # per model: caption, confidence-over-time map


def _symmetric_limit(a: np.ndarray) -> float:
    """Colour range for unbounded values such as c: +-max|a|, at least 1, to one decimal."""
    return max(1.0, float(np.ceil(np.abs(a).max() * 10) / 10))


def step_caption(a: DigitAnalysis, t: int) -> str:
    probs = a.probs
    now, final = probs[t - 1], probs[-1]
    settled = settle_step(probs)
    guess = CLASSES[int(now.argmax())]
    text = (f"**Row {t} of {STEPS}.** The {title(a.name)} has read the top {t} rows and "
            f"would answer **{guess}** ({now.max():.0%}) if the image ended here. ")
    answer = CLASSES[int(final.argmax())]
    if t >= settled:
        return text + f"Its answer has been **{answer}** since row {settled}."
    return text + f"It settles on **{answer}** at row {settled}."


def step_views(a: DigitAnalysis, t: int) -> StepViews:
    """Everything that depends on the step control, for the traced model of ``a``."""
    t = int(np.clip(t, 1, STEPS))
    tr = a.trace
    settled = settle_step(tr.probs)
    panels = []
    for key, name, kind, lim in PANELS.get(a.cell, []):
        values = tr[key]
        lim = lim or _symmetric_limit(values)
        label = f"{name} (range ±{lim:g})" if kind == "diverging" and lim != 1.0 else name
        panels.append((label, render.heatmap(values.T, kind, lim, UNIT_CELL, t=t)))
    return StepViews(
        caption=step_caption(a, t),
        rows=render.digit_image(a.x, DIGIT_SCALE, t=t),
        probs=label_dict(tr.probs[t - 1]),
        h=render.heatmap(tr.h.T, "diverging", 1.0, UNIT_CELL, t=t),
        panels=panels,
        confidence=render.confidence_map(tr.probs, t=t, settled=settled, cell=CONF_CELL, font=9),
    )


def drawing_views(a: DigitAnalysis) -> DrawingViews:
    """Views that depend on the drawing only: model input, final answer, all models compared."""
    final = a.probs[-1]
    settled = settle_step(a.probs)
    answer = CLASSES[int(final.argmax())]
    summary = (f"The {title(a.name)} reads **{answer}** ({final.max():.0%}); "
               f"it made up its mind at row {settled} of {STEPS}.")
    compare = []
    for name, probs in a.compare.items():
        p, when = probs[-1], settle_step(probs)
        caption = f"{title(name)}: {CLASSES[int(p.argmax())]} ({p.max():.0%}), settled at row {when}"
        compare.append((caption, render.confidence_map(probs, settled=when, cell=MINI_CELL, font=8)))
    return DrawingViews(seen=render.digit_image(a.x, DIGIT_SCALE), final=label_dict(final),
                        summary=summary, compare=compare)
