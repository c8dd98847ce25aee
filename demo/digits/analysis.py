"""One drawing, analysed once: preprocess it, trace it with the chosen model and get every other
model's confidence over time for the comparison.  Pure (numpy and torch, no gradio); the views
(``demo.digits.views``) render from the frozen result without running a model again.

    from demo.digits.analysis import analyse, classify
    a = analyse(models, "lstm", image)     # DigitAnalysis: input, trace, comparison
    a = retrace(models, a, "gru")          # the same drawing, another model traced
    classify(models, "lstm", image)        # the /classify answer
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from demo.digits import interventions, units
from demo.digits.interventions import Intervention
from demo.digits.model import CLASSES, DigitModel, DigitTrace
from demo.digits.preprocess import Reading, to_mnist
from demo.errors import UserError
from demo.lens_models import lens_title

STEPS = 28
TITLES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN", "bilstm": "BiLSTM", "peephole": "Peephole LSTM"}  # the comparison's order


def title(name: str) -> str:
    """"LSTM"; a model someone trained and opened in the lens: "LSTM 1×64" (demo.lens_models)."""
    return TITLES.get(name) or lens_title(name) or name.upper()


@dataclass(frozen=True)
class DigitAnalysis:
    """A drawing read by every loaded model.  It lives in a gr.State, so the step slider never
    reruns a model."""
    x: np.ndarray                   # (28, 28) model input in [0, 1], from to_mnist
    name: str                       # the model traced
    trace: DigitTrace               # its every step (h, c, gates, probs)
    compare: dict[str, np.ndarray]  # every loaded model -> probs (T, 10), in TITLES order (T: its rows)
    # every loaded model -> row influence {"gradient", "occlusion"}: (28,) each; {} when not asked
    influence: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    intervention: Intervention = Intervention()
    edited: DigitTrace | None = None  # the traced model under the intervention (None: no edit)
    contributions: np.ndarray | None = None  # (H,) each unit's part of the answer's logit (units.py)
    reading: Reading | None = None  # how the picture was read, step by step (preprocess.Reading)

    @property
    def cell(self) -> str:
        return self.trace.cell

    @property
    def probs(self) -> np.ndarray:
        """(T, 10) the traced model's class probabilities after each row (T = 28, or 28 + its delay)."""
        return self.trace.probs


def settle_step(probs: np.ndarray) -> int:
    """The step (1-based) from which the top class never changes again: where the model made up
    its mind.  probs (steps, classes)."""
    top = probs.argmax(axis=1)
    changed = np.nonzero(top != top[-1])[0]
    return int(changed[-1]) + 2 if changed.size else 1


def _model(models: dict[str, DigitModel], name) -> DigitModel:
    if name not in models:
        raise UserError("digits.error.unknown_model", name=repr(name)[:40], names=", ".join(models))
    return models[name]


def analyse(models: dict[str, DigitModel], name: str, image, intervention: Intervention | None = None,
            influence: str = "none", before: DigitAnalysis | None = None) -> DigitAnalysis:
    """Preprocess one drawing and run every model on it; the row influence of "all" models, of
    the "current" one only (cheaper, while the pen moves) or "none"; and with an
    ``intervention``, the traced model's edited run.  ``before``: the previous analysis; when
    the drawing reads the same (the value the pad sends as the pen lifts usually has the ink of
    the last one sent while drawing), its runs are reused and only what it lacks is computed.
    Raises ValueError (a message for the user) for blank or unreadable input or a bad edit."""
    _model(models, name)
    if influence not in ("none", "current", "all"):
        raise ValueError(f"influence is 'none', 'current' or 'all', got {influence!r}")
    reading = to_mnist(image, steps=True)
    x = reading.x
    iv = intervention or Intervention()
    if before is not None and before.name == name and np.array_equal(before.x, x):
        a = replace(before, reading=reading)
        if iv != before.intervention:
            a = with_intervention(models, a, iv)
        return with_influence(models, a) if influence == "all" else a
    which = {"none": [], "current": [name], "all": list(models)}[influence]
    both = {n: models[n].influence_and_step_probs(x) for n in which}  # one pass gives both
    inf = {n: both[n][0] for n in which}
    compare = {n: both[n][1] if n in both else m.step_probs(x) for n, m in models.items() if n != name}
    return replace(_traced(models, x, name, compare, inf, intervention or Intervention()), reading=reading)


def retrace(models: dict[str, DigitModel], analysis: DigitAnalysis, name: str) -> DigitAnalysis:
    """The same drawing traced with model ``name`` (after the model picker changed).  An
    intervention that does not fit the new cell (a gate it lacks) is dropped, not an error."""
    model = _model(models, name)
    iv = analysis.intervention
    iv = replace(iv, clamp=tuple((g, v) for g, v in iv.clamp if g in model.gate_names),
                 ablate=tuple(u for u in iv.ablate if u < model.hidden))
    return replace(_traced(models, analysis.x, name, analysis.compare, analysis.influence, iv),
                   reading=analysis.reading)


def with_intervention(models: dict[str, DigitModel], analysis: DigitAnalysis,
                      intervention: Intervention) -> DigitAnalysis:
    """The same drawing and model with another intervention (only the edited run is redone)."""
    edited = None if intervention.empty else interventions.run(models[analysis.name], analysis.x, intervention)
    return replace(analysis, intervention=intervention, edited=edited)


def with_influence(models: dict[str, DigitModel], analysis: DigitAnalysis) -> DigitAnalysis:
    """The same analysis with every model's row influence (those it lacks are computed)."""
    missing = [n for n in models if n not in analysis.influence]
    if not missing:
        return analysis
    found = {**analysis.influence, **{n: models[n].row_influence_mnist(analysis.x) for n in missing}}
    return replace(analysis, influence={n: found[n] for n in models})


def _traced(models, x: np.ndarray, name: str, compare: dict[str, np.ndarray], influence: dict,
            intervention: Intervention) -> DigitAnalysis:
    model = models[name]
    trace = model.trace_mnist(x)  # preprocessed once for all the models
    edited = None if intervention.empty else interventions.run(model, x, intervention)
    compare = {**compare, name: trace.probs}
    order = [n for n in TITLES if n in compare] + [n for n in compare if n not in TITLES]
    return DigitAnalysis(x, name, trace, {n: compare[n] for n in order}, influence, intervention, edited,
                         units.contributions(model, trace))


# ---------------------------------------------------------------------------------------------
# The /classify API

def _uploaded_path(value) -> str:
    """A file the API client uploaded: gradio has checked that these FileData dicts (marked by
    meta._type) point into its upload folder, so plain strings or unmarked dicts are refused
    (they could name any file on the server)."""
    if (isinstance(value, dict) and isinstance(value.get("path"), str)
            and (value.get("meta") or {}).get("_type") == "gradio.FileData"):
        return value["path"]  # to_mnist refuses huge images from the header, before decoding
    raise UserError("digits.error.send_files")


def api_image(value):
    """The /classify payload -> what to_mnist takes: one uploaded file, the drawing pad's ink
    value {"format": "ink-v1", ...} (checked strictly by to_mnist), or a Sketchpad value
    {"background", "layers", "composite"} whose images are uploaded files (or null)."""
    if value is None:
        return None
    if isinstance(value, dict) and "format" in value:
        return value
    if isinstance(value, dict) and "path" in value:
        return _uploaded_path(value)
    if isinstance(value, dict) and {"background", "layers", "composite"} & set(value):
        layers = value.get("layers") or []
        if not isinstance(layers, list):
            raise UserError("digits.error.sketchpad_layers")
        file_or_none = lambda v: None if v is None else _uploaded_path(v)
        return {"background": file_or_none(value.get("background")),
                "layers": [_uploaded_path(v) for v in layers if v is not None],
                "composite": file_or_none(value.get("composite"))}
    raise UserError("digits.error.api_value")


def classify(models: dict[str, DigitModel], name: str, image) -> dict:
    """The API answer: top label and all confidences, in gr.Label's JSON shape."""
    probs = _model(models, name).predict(image)
    ranked = sorted(probs.items(), key=lambda kv: -kv[1])
    return {"label": ranked[0][0], "model": name,
            "confidences": [{"label": c, "confidence": p} for c, p in ranked]}


def label_dict(p: np.ndarray) -> dict[str, float]:
    """(10,) probabilities -> gr.Label's {"0": p0, ...}."""
    return {c: float(p[k]) for k, c in enumerate(CLASSES)}
