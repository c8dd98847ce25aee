"""What the Digits tab shows, as plain data: analyse a drawing once, then build the views for any
step t (images as uint8 RGB arrays from ``demo.render``, probabilities as dicts, captions as
Markdown).  No gradio here; ``demo/ui.py`` wires these functions to components.

    from demo.views import analyse, step_views, drawing_views
    state = analyse(models, "lstm", sketch_value)   # preprocess + trace: once per drawing
    step = step_views(state, t=12)                   # re-render only: every slider move
    drawing = drawing_views(state)                   # model input, final answer, comparison

``models`` maps a name ("lstm", "gru", "rnn") to a loaded ``demo.digits.DigitModel``.
``state`` is a small dict of numpy arrays (it lives in a ``gr.State``), so moving the slider
never runs a model again.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from demo import render
from demo.digits import CLASSES, DigitModel, to_mnist

STEPS = 28
TITLES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
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


def title(name: str) -> str:
    return TITLES.get(name, name.upper())


# ---------------------------------------------------------------------------------------------
# Running the models (once per drawing)

@torch.no_grad()
def probs_over_time(model: DigitModel, x: np.ndarray) -> np.ndarray:
    """Class probabilities after each row, (28, 10), with the fast torch module (no gates kept)."""
    out, _ = model.net.rnn(model.net.normalise(torch.from_numpy(x))[None])  # (1, 28, H)
    return torch.softmax(model.net.head(out[0]), dim=-1).numpy()


def settle_step(probs: np.ndarray) -> int:
    """The step (1-based) from which the top class never changes again: where the model made up
    its mind.  probs (steps, classes)."""
    top = probs.argmax(axis=1)
    changed = np.nonzero(top != top[-1])[0]
    return int(changed[-1]) + 2 if changed.size else 1


def label_dict(p: np.ndarray) -> dict[str, float]:
    return {c: float(p[k]) for k, c in enumerate(CLASSES)}


def analyse(models: dict[str, DigitModel], name: str, image) -> dict:
    """Preprocess one drawing and run every model on it.  Raises ValueError (a message for the
    user) for blank or unreadable input.  Returns the state the views are built from."""
    x = to_mnist(image)
    compare = {n: probs_over_time(m, x) for n, m in models.items() if n != name}
    return retrace(models, {"x": x, "compare": compare}, name)


def retrace(models: dict[str, DigitModel], state: dict, name: str) -> dict:
    """Trace the drawing in ``state`` with model ``name`` (after the model picker changed)."""
    model = models[name]
    tr = model.trace_mnist(state["x"])  # preprocessed once for all three models
    compare = {**state["compare"], name: tr.probs}
    order = [n for n in TITLES if n in compare] + [n for n in compare if n not in TITLES]
    return {"x": state["x"], "name": name, "cell": model.cell, "arrays": dict(tr.arrays),
            "compare": {n: compare[n] for n in order}}


def _uploaded_path(value) -> str:
    """A file the API client uploaded: gradio has checked that these FileData dicts (marked by
    meta._type) point into its upload folder, so plain strings or unmarked dicts are refused
    (they could name any file on the server)."""
    if (isinstance(value, dict) and isinstance(value.get("path"), str)
            and (value.get("meta") or {}).get("_type") == "gradio.FileData"):
        return value["path"]  # to_mnist refuses huge images from the header, before decoding
    raise ValueError("Send images as files: gradio_client.handle_file('digit.png').")


def api_image(value):
    """The /classify payload -> what to_mnist takes: one uploaded file, or a Sketchpad value
    {"background", "layers", "composite"} whose images are uploaded files (or null)."""
    if value is None:
        return None
    if isinstance(value, dict) and "path" in value:
        return _uploaded_path(value)
    if isinstance(value, dict) and {"background", "layers", "composite"} & set(value):
        layers = value.get("layers") or []
        if not isinstance(layers, list):
            raise ValueError("A Sketchpad value's 'layers' must be a list of images.")
        file_or_none = lambda v: None if v is None else _uploaded_path(v)
        return {"background": file_or_none(value.get("background")),
                "layers": [_uploaded_path(v) for v in layers if v is not None],
                "composite": file_or_none(value.get("composite"))}
    raise ValueError("Expected an image file or a Sketchpad value {background, layers, composite}.")


def classify(models: dict[str, DigitModel], name: str, image) -> dict:
    """The API answer: top label and all confidences, in gr.Label's JSON shape."""
    if name not in models:
        raise ValueError(f"Unknown or unavailable model {name!r}; available: {', '.join(models)}.")
    probs = models[name].predict(image)
    ranked = sorted(probs.items(), key=lambda kv: -kv[1])
    return {"label": ranked[0][0], "model": name,
            "confidences": [{"label": c, "confidence": p} for c, p in ranked]}


# ---------------------------------------------------------------------------------------------
# Views (cheap: numpy only, every slider move)

@dataclass
class StepViews:
    caption: str                    # Markdown: what happened at row t
    rows: np.ndarray                # the input, row t highlighted, later rows dimmed
    probs: dict[str, float]         # class probabilities after row t
    h: np.ndarray                   # h: units x steps, column t marked
    panels: list[tuple[str, np.ndarray]] = field(default_factory=list)  # gates and c, titled
    confidence: np.ndarray | None = None  # classes x steps, settled step marked


@dataclass
class DrawingViews:
    seen: np.ndarray                # the 28x28 model input, enlarged
    final: dict[str, float]         # probabilities after the last row
    summary: str                    # Markdown one-liner
    compare: list[tuple[str, np.ndarray]]  # per model: caption, confidence-over-time map


def _symmetric_limit(a: np.ndarray) -> float:
    """Colour range for unbounded values such as c: +-max|a|, at least 1, to one decimal."""
    return max(1.0, float(np.ceil(np.abs(a).max() * 10) / 10))


def step_caption(state: dict, t: int) -> str:
    probs = state["arrays"]["probs"]
    now, final = probs[t - 1], probs[-1]
    settled = settle_step(probs)
    guess = CLASSES[int(now.argmax())]
    text = (f"**Row {t} of {STEPS}.** The {title(state['name'])} has read the top {t} rows and "
            f"would answer **{guess}** ({now.max():.0%}) if the image ended here. ")
    answer = CLASSES[int(final.argmax())]
    if t >= settled:
        return text + f"Its answer has been **{answer}** since row {settled}."
    return text + f"It settles on **{answer}** at row {settled}."


def step_views(state: dict, t: int) -> StepViews:
    """Everything that depends on the step control, for the traced model in ``state``."""
    t = int(np.clip(t, 1, STEPS))
    arr = state["arrays"]
    settled = settle_step(arr["probs"])
    panels = []
    for key, name, kind, lim in PANELS.get(state["cell"], []):
        values = arr[key]
        lim = lim or _symmetric_limit(values)
        label = f"{name} (range ±{lim:g})" if kind == "diverging" and lim != 1.0 else name
        panels.append((label, render.heatmap(values.T, kind, lim, UNIT_CELL, t=t)))
    return StepViews(
        caption=step_caption(state, t),
        rows=render.digit_image(state["x"], DIGIT_SCALE, t=t),
        probs=label_dict(arr["probs"][t - 1]),
        h=render.heatmap(arr["h"].T, "diverging", 1.0, UNIT_CELL, t=t),
        panels=panels,
        confidence=render.confidence_map(arr["probs"], t=t, settled=settled, cell=CONF_CELL, font=9),
    )


def drawing_views(state: dict) -> DrawingViews:
    """Views that depend on the drawing only: model input, final answer, all models compared."""
    final = state["arrays"]["probs"][-1]
    settled = settle_step(state["arrays"]["probs"])
    answer = CLASSES[int(final.argmax())]
    summary = (f"The {title(state['name'])} reads **{answer}** ({final.max():.0%}); "
               f"it made up its mind at row {settled} of {STEPS}.")
    compare = []
    for name, probs in state["compare"].items():
        p, when = probs[-1], settle_step(probs)
        caption = f"{title(name)}: {CLASSES[int(p.argmax())]} ({p.max():.0%}), settled at row {when}"
        compare.append((caption, render.confidence_map(probs, settled=when, cell=MINI_CELL, font=8)))
    return DrawingViews(seen=render.digit_image(state["x"], DIGIT_SCALE), final=label_dict(final),
                        summary=summary, compare=compare)
