"""The Digits tab's handlers, pure (no gradio): each takes what the page sends (the analysis it
keeps, the checked ``Controls``, the page's language) and returns ``{output name: value}``, with
``demo.answers.SKIP`` for an output left as it is and ``Update(...)`` for new properties.  The
drawing's own lanes (live, pen-up, the worker's part) are ``demo.digits.drawing``; the wiring that
turns names into components is ``demo.digits.events``.

    from demo.digits.handlers import load_lab, step, unit_view, edit
    lab = load_lab()                                      # the models and lookups of weights/
    c = TABLE.check({"model": "gru", "t": 12, "unit": 5})  # demo.digits.controls
    a = drawing.drawing(lab, pad_value, c)["analysis"]    # demo.digits.drawing
    step(lab, a, c, "en")["caption"]                      # "**Row 12 of 28.** The GRU ..."
    unit_view(lab, a, c)["unit_caption"]                  # "**Unit 5** ..."

Output names are the page's (``demo.digits.page``): a list's items are "panels.0" ... and
"compare.0" ...; the groups each handler fills are listed below (``ALL_OUTPUTS`` ...).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Callable

from demo import i18n, render
from demo.answers import SKIP, Update
from demo.checkpoint import WeightsError
from demo.digits import analysis, units, views
from demo.digits.analysis import DigitAnalysis, title
from demo.digits.controls import MODEL_NAMES, NO_GATE, TABLE
from demo.digits.explain import explain_markdown
from demo.digits.interventions import ABLATE, Intervention, format_ranges
from demo.digits.lookups import load_lookups, lookups_over
from demo.digits.model import DigitModel, load_digit_model
from demo.digits.model_words import HELP, model_words, worded
from demo.digits.pictures import EMPTY
from demo.errors import UserError

# The output groups, by name: each handler fills exactly the union of the groups it names.
COMPARE = tuple(f"compare.{i}" for i in range(len(MODEL_NAMES) + 1))   # the last: a model opened in the lens
PANELS = tuple(f"panels.{i}" for i in range(views.MAX_PANELS))
# A network reading both ways: the maps above are its forward direction's, these the backward
# one's, each group under its heading, and a note under the confidence map (hidden otherwise).
BACK_PANELS = tuple(f"back_panels.{i}" for i in range(views.MAX_PANELS))
BOTH_WAYS = ("dir_forward", "dir_backward", "hmap_back", *BACK_PANELS, "confidence_note")
DRAWING_OUTPUTS = ("analysis", "hint", "final", "summary", "seen", *COMPARE, "influence", "reading")
STEP_OUTPUTS = ("caption", "rows", "probs", "hmap", *PANELS, "confidence", *BOTH_WAYS, "trajectory", "difference",
                "edited_final", "edited_confidence")
UNIT_OUTPUTS = ("unit_caption", "unit_rows", "unit_profile", "unit_thumbs")
ALL_OUTPUTS = DRAWING_OUTPUTS + STEP_OUTPUTS + UNIT_OUTPUTS
# The pen-up's answer comes in two parts, so that the first screen is painted first: the page
# applies an answer in one task and paints after it, and the whole ~30-output answer was painted
# ~70 ms later than these outputs alone (benchmarks/bench_browser.py).  First the prediction and
# the row-by-row views (``drawing.first``), then what lies further down (``drawing.rest``): the
# comparison, the "why" sections, the unit's drill-down and the reading strip, with every model's
# row influence, the costly part of the server's work (~20 ms of ~30).
FIRST_OUTPUTS = ("analysis", "hint", "final", "summary", "seen", "caption", "rows", "probs", "hmap", *PANELS,
                 "confidence", *BOTH_WAYS)
REST_OUTPUTS = tuple(n for n in ALL_OUTPUTS if n not in FIRST_OUTPUTS)
RELANGUAGE_OUTPUTS = (*ALL_OUTPUTS, "explain", "gate", *HELP)   # and the views' labels (model_words)
# the picker also brings the unit box and the ablation list within the new model's units
PICK_OUTPUTS = (*RELANGUAGE_OUTPUTS, "unit", "ablate")
EDIT_OUTPUTS = ("analysis", *STEP_OUTPUTS)


class PenUps:
    """The last pen-up each pad (page) sent, so that a live answer overtaken by it is dropped.
    Thread-safe (gradio runs the lanes in worker threads); the oldest pads are forgotten first."""

    def __init__(self, size: int = 10_000):
        self.size, self._seen, self._lock = size, OrderedDict(), threading.Lock()

    def lifted(self, pad: str, seq: int) -> None:
        with self._lock:
            self._seen[pad] = max(seq, self._seen.pop(pad, -1))
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)

    def overtaken(self, pad: str, seq: int) -> bool:
        with self._lock:
            return self._seen.get(pad, -1) > seq


@dataclass
class Lab:
    """What the handlers of one process share: the loaded models and lookups, what could not load
    (``failures``: (i18n key, the field its error goes in, the error, fields), for the page's
    message), the drawing worker (None: analyse here), how many handlers run now (``running``,
    the UI's count) and the pads' last pen-ups.  ``own``: the model this page opened in the lens
    (demo.lens_models.LensRef; None: none), one of ``models`` in the Lab ``with_own`` gives."""
    models: dict[str, DigitModel]
    lookups: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    worker: object = None
    running: Callable[[], int] = lambda: 1
    pen_ups: PenUps = field(default_factory=PenUps)
    own: object = None

    @property
    def default(self) -> str | None:
        return next(iter(self.models), None)

    def with_own(self, ref, model: DigitModel | None = None) -> "Lab":
        """This Lab for a page that opened a model in the lens: the same models and worker, and
        ``ref``'s model (built from ``ref`` unless given: in the drawing worker) and lookups."""
        model = model if model is not None else DigitModel(ref.net, ref.meta)
        lookups = {**self.lookups, ref.name: ref.lookups} if ref.lookups is not None else self.lookups
        return replace(self, models={**self.models, ref.name: model}, lookups=lookups, own=ref)

    def name(self, name) -> str | None:
        """The model ``name`` if loaded, else the first loaded (None: none is)."""
        return name if name in self.models else self.default


def load_lab(weights_dir=None) -> Lab:
    """Every digit model whose weights exist and their lookups; what could not load is kept in
    ``failures`` (the page says why; the app still runs)."""
    models, failures, lookups = {}, [], {}
    for name in MODEL_NAMES:
        try:
            models[name] = load_digit_model(name, weights_dir)
        except WeightsError as e:
            failures.append(("app.error.unavailable", "message", e, {"title": title(name)}))
    for name, m in models.items():
        try:
            lookups[name] = load_lookups(name, m.meta.get("weights_sha256"), weights_dir)
        except WeightsError as e:
            failures.append(("digits.error.lookups", "error", e, {"model": title(name)}))
    return Lab(models, lookups, failures)


def own_lookups(own):
    """The lookups of ``own`` (a LensModel: a model its page opened in the lens), made once over
    its run's validation digits; None without them."""
    if "lookups" not in own.found and own.examples is not None:
        own.found["lookups"] = lookups_over(own.model, *own.examples)
    return own.found.get("lookups")


def worker_lab(weights_dir=None) -> Lab:
    """The drawing worker's Lab (demo/digits/worker.py makes it in its process)."""
    return load_lab(weights_dir)


# -- pieces of answers ---------------------------------------------------------------------------

def gate_choices(gates, lang: str = "en") -> list:
    """The clamp dropdown's choices in ``lang``: none, then the cell's gates."""
    return [(i18n.t("digits.gate.none", lang), NO_GATE), *[(i18n.t(f"digits.gate_name.{g}", lang), g) for g in gates]]


def intervention(lab: Lab, name: str, c) -> Intervention:
    """The edit the controls describe, checked against model ``name`` (its gates, its units)."""
    model = lab.models[name]
    clamp = ()
    if c.gate is not None:
        if c.gate not in model.gate_names:
            raise UserError("digits.error.no_gate", model=title(name), gate=c.gate)
        clamp = ((c.gate, float(c.gate_value)),)
    if c.ablate and c.ablate[-1] >= model.hidden:   # ablate is sorted
        raise UserError("digits.error.numbers_range", what=ABLATE, part=str(c.ablate[-1]), lo=0, hi=model.hidden - 1)
    return Intervention(ablate=tuple(c.ablate), clamp=clamp, from_step=c.from_row, blank_rows=tuple(c.blank_rows))


def unit_order(lab: Lab, a: DigitAnalysis, order: str):
    return units.unit_order(order or "index", lab.models[a.name], a.trace, lab.lookups.get(a.name))


def shown(a: DigitAnalysis, d: views.DrawingViews, refresh: bool = True) -> dict:
    """The answer and what the model sees (the pen-up's first part)."""
    # the hint is already hidden unless this is a first drawing (or the pad was blank): an
    # Update costs gradio more than the value itself
    return {"analysis": a, "hint": Update(visible=False) if refresh else SKIP, "final": d.final,
            "summary": d.summary, "seen": d.seen}


def compare(items: list, refresh: bool = True) -> dict:
    """The comparison maps: (caption, value) per loaded model; ``refresh``: set labels and which
    show (an Update), else plain values with the caption inside."""
    if not refresh:
        values = [{**value, "caption": caption} for caption, value in items]
        return dict(zip(COMPARE, values + [SKIP] * (len(COMPARE) - len(values))))
    answer = [Update(value={**value, "caption": caption}, label=caption, visible=True) for caption, value in items]
    # a blank pad shows the shipped models' empty frames
    answer += [Update(value=None, visible=not items and k < len(MODEL_NAMES)) for k in range(len(items), len(COMPARE))]
    return dict(zip(COMPARE, answer))


def shown_below(a: DigitAnalysis, d: views.DrawingViews, refresh: bool = True, lang: str = "en") -> dict:
    """The comparison and the row influence (the pen-up's second part)."""
    return {**compare(d.compare, refresh), "influence": views.influence_html(a, lang)}


def show(a: DigitAnalysis, refresh: bool = True, lang: str = "en") -> dict:
    d = views.drawing_views(a, lang)
    return {**shown(a, d, refresh), **shown_below(a, d, refresh, lang)}


def blank(lab: Lab, hint: str, lang: str = "en") -> dict:
    """Every output, for a blank pad (or no model): the hint says why."""
    return {"analysis": None, "hint": Update(value=f"✏️ {hint}", visible=True), "final": None, "summary": "",
            "seen": None, **compare([]), "influence": "", "reading": "", **step(lab, None, TABLE.default, lang),
            **unit_answer(lab, None, 0, lang)}


def reading_for(a: DigitAnalysis, value, picture, lang: str = "en") -> str:
    """The reading strip: the uploaded picture's own while the pad shows just it (``picture``:
    (pad data, its preprocess.Reading)), else how the pad's ink was read."""
    if picture and isinstance(value, dict) and value.get("data") == picture[0]:
        return views.reading_html(picture[1], lang)
    return views.reading_html(a.reading, lang)


def step_rows(lab: Lab, a: DigitAnalysis, t: int, order: str = "index", refresh: bool = False,
              lang: str = "en") -> dict:
    """The row-by-row views of step t (the pen-up's first part)."""
    v = views.step_views(a, int(t), unit_order(lab, a, order), lang)
    return {"caption": v.caption, "rows": v.rows, "probs": v.probs, "hmap": v.h, **_maps(PANELS, v.panels, refresh),
            "confidence": v.confidence, **both_ways(v, refresh)}


def _maps(names: tuple, items: list, refresh: bool) -> dict:
    """Titled maps [(title, value)] into the outputs ``names``, the rest hidden.  The title travels
    in the value; an Update (dearer for gradio to apply) only when which maps show may change
    (``refresh``: a new model, or after a blank pad)."""
    maps = [{**value, "caption": label} for label, value in items]
    if refresh:
        maps = [Update(value=m, label=m["caption"], visible=True) for m in maps]
        maps += [Update(value=None, visible=False) for _ in range(len(names) - len(maps))]
    else:
        maps += [SKIP] * (len(names) - len(maps))
    return dict(zip(names, maps))


def both_ways(v: views.StepViews, refresh: bool) -> dict:
    """The backward direction's maps, the directions' headings and the confidence note: shown for
    a network reading both ways, hidden (on ``refresh``) or left alone for one reading one way.
    The words change only with the model or the language, so they are sent on ``refresh`` only."""
    if v.back is None:
        return {n: Update(value=None, visible=False) if refresh else SKIP for n in BOTH_WAYS}
    words = dict(zip(("dir_forward", "dir_backward", "confidence_note"), (*v.headings, v.note)))
    hmap = Update(value=v.back, label=v.back["caption"], visible=True) if refresh else v.back
    return {**{k: Update(value=w, visible=True) if refresh else SKIP for k, w in words.items()}, "hmap_back": hmap,
            **_maps(BACK_PANELS, v.back_panels, refresh)}


def step_why(lab: Lab, a: DigitAnalysis, t: int, lang: str = "en") -> dict:
    """The views of step t further down: the state's path and what the edit changed."""
    edited_final, edited_img, difference = views.edited_views(a, int(t), lang)
    lookups = lab.lookups.get(a.name)
    trajectory = views.trajectory_html(a, lookups, int(t), lang=lang) if lookups is not None else ""
    return {"trajectory": trajectory, "difference": difference, "edited_final": edited_final,
            "edited_confidence": edited_img}


def check_unit(lab: Lab, name: str, unit) -> int:
    """A unit of model ``name``: 0 .. its hidden size - 1 (UserError naming the model otherwise)."""
    hidden = lab.models[name].hidden
    unit = int(unit)
    if not 0 <= unit < hidden:
        raise UserError("digits.error.unit_range", max=hidden - 1, model=title(name), hidden=hidden)
    return unit


def unit_answer(lab: Lab, a: DigitAnalysis | None, unit, lang: str = "en", colour: bool = True) -> dict:
    """The drill-down of one unit: looked up, plus this drawing's own values.  ``colour``: set
    the plot's colour column too (an Update, which gradio applies at a cost: the pen-up leaves it
    as the last unit view set it)."""
    if a is None:
        return {"unit_caption": "", "unit_rows": None, "unit_profile": None, "unit_thumbs": None}
    unit = check_unit(lab, a.name, unit)
    u = views.unit_views(a, unit, lab.lookups.get(a.name), lang)
    # the colour column is named in ``lang`` (the plot's tooltip and legend show its name)
    rows = Update(value=u.over_rows, color=views.unit_rows_color(lang)) if colour else u.over_rows
    return {"unit_caption": u.caption, "unit_rows": rows, "unit_profile": u.profile,
            "unit_thumbs": render.fast_png_image(u.thumbs) if u.thumbs is not None else None}


def words(lab: Lab, name: str | None, lang: str = "en") -> dict:
    """The fixed words that depend on model ``name`` (demo.digits.model_words): what it reads,
    where its lookups come from (a model the page opened in the lens: its run's digits)."""
    model = lab.models.get(name) if name is not None else None
    if model is None:
        return dict.fromkeys(HELP, SKIP)
    own = lab.own is not None and lab.own.name == name
    return model_words(model, lab.lookups.get(name), lang, own=own)


def explain(lab: Lab, model: str, lang: str = "en") -> str:
    """The chosen cell's equations and shapes (the first loaded model's when ``model`` is not)."""
    name = lab.name(model)
    return explain_markdown(lab.models[name], lang) if name is not None else ""


# -- handlers ------------------------------------------------------------------------------------

def step(lab: Lab, a: DigitAnalysis | None, c, lang: str = "en", refresh: bool = False) -> dict:
    """The step slider, the unit order (and after any drawing): step ``c.t`` from the analysis, no
    model run.  ``refresh``: also set which gate panels show (a new model, or after a blank pad).
    Fills STEP_OUTPUTS."""
    if a is None:
        return {"caption": "", "rows": None, "probs": None, "hmap": None,
                **{p: Update(value=None, visible=False) for p in (*PANELS, *BOTH_WAYS)}, "confidence": None,
                "trajectory": "", "difference": "", "edited_final": None, "edited_confidence": None}
    return {**step_rows(lab, a, c.t, c.order, refresh, lang), **step_why(lab, a, c.t, lang)}


def unit_view(lab: Lab, a: DigitAnalysis | None, c, lang: str = "en") -> dict:
    """The unit box: unit ``c.unit``'s drill-down.  Fills UNIT_OUTPUTS."""
    return unit_answer(lab, a, c.unit, lang)


def pick(lab: Lab, a: DigitAnalysis | None, c, lang: str = "en") -> dict:
    """The model picker: retrace the current drawing with ``c.model`` (no preprocessing) and
    explain the cell.  Fills PICK_OUTPUTS."""
    name = lab.name(c.model)
    if name is None:
        return {**blank(lab, i18n.t("digits.error.no_model_short", lang), lang), "explain": "", "gate": SKIP,
                "unit": SKIP, "ablate": SKIP, **dict.fromkeys(HELP, SKIP)}
    model = lab.models[name]
    clamped = a.intervention.clamp[0][0] if a is not None and a.intervention.clamp else None
    # a unit the new model lacks (the BiLSTM has 256, the others 128): its first unit instead
    unit = c.unit if c.unit < model.hidden else 0
    extra = {"explain": explain_markdown(model, lang),
             "gate": Update(choices=gate_choices(model.gate_names, lang),
                            value=clamped if clamped in model.gate_names else NO_GATE),
             "unit": unit if unit != c.unit else SKIP, "ablate": SKIP}
    if a is None:
        return worded({**blank(lab, i18n.t(EMPTY, lang), lang), **extra}, words(lab, name, lang))
    before, a = a, analysis.with_influence(lab.models, analysis.retrace(lab.models, a, name))
    if a.intervention.ablate != before.intervention.ablate:   # units the new model lacks were dropped
        extra["ablate"] = format_ranges(a.intervention.ablate)
    return worded({**show(a, True, lang), **step(lab, a, c, lang, True), **unit_answer(lab, a, unit, lang),
                   "reading": views.reading_html(a.reading, lang), **extra}, words(lab, name, lang))


def edit(lab: Lab, a: DigitAnalysis | None, c, lang: str = "en") -> dict:
    """Any intervention control: redo only the edited run, then the views of step ``c.t``.
    Fills EDIT_OUTPUTS."""
    if a is None:
        return {"analysis": None, **step(lab, None, c, lang)}
    a = analysis.with_intervention(lab.models, a, intervention(lab, a.name, c))
    return {"analysis": a, **step(lab, a, c, lang)}


def click_unit(lab: Lab, a: DigitAnalysis | None, index) -> dict:
    """A click on a units × steps map, which sends ``index`` = [unit, step] (the real unit number,
    whatever order the rows are shown in): that unit, or SKIP for anything else."""
    index = index if isinstance(index, (list, tuple)) else None
    if a is None or not index or len(index) != 2:
        return {"unit": SKIP}
    try:
        unit = int(index[0])
    except (TypeError, ValueError):
        return {"unit": SKIP}
    return {"unit": unit if 0 <= unit < lab.models[a.name].hidden else SKIP}


def add_unit(ablate: str | None, unit) -> dict:
    """'+ this unit': the opened unit appended to the ablation list as typed."""
    listed = [p.strip() for p in (ablate or "").split(",") if p.strip()]
    if unit is not None and str(int(unit)) not in listed:
        listed.append(str(int(unit)))
    return {"ablate": ", ".join(listed)}


def top_units(lab: Lab, a: DigitAnalysis | None, k) -> dict:
    """The k units that support this answer most, as the ablation list."""
    if a is None:
        raise UserError("digits.error.draw_first")
    try:
        k = int(k)
    except (TypeError, ValueError):
        raise UserError("digits.error.k_whole") from None
    return {"ablate": ", ".join(map(str, units.top_units(lab.models[a.name], a.trace, k)))}


def relanguage(lab: Lab, a: DigitAnalysis | None, c, pad=None, picture=None, lang: str = "en") -> dict:
    """After the language switch: every view Python wrote, again in ``lang``, from the analysis
    the page keeps (no model run), the gate names and the equations.  Fills part of
    RELANGUAGE_OUTPUTS."""
    if a is not None:
        out = {**show(a, True, lang), **step(lab, a, c, lang, True), **unit_answer(lab, a, c.unit, lang),
               "reading": reading_for(a, pad, picture, lang)}
    else:
        out = {"hint": "✏️ " + i18n.t(EMPTY, lang)}
    model = lab.models.get(c.model)
    if model is not None:
        out["gate"] = Update(choices=gate_choices(model.gate_names, lang))
    out["explain"] = explain(lab, c.model, lang)
    return worded(out, words(lab, lab.name(a.name if a is not None else c.model), lang))
