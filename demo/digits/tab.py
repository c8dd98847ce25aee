"""The Digits tab: draw a digit on the pad and watch a recurrent network read it row by row,
live while you draw; then ask it why (which rows mattered, what a unit does, what an edit
changes, where the state travels).  Layout and handlers only: the analysis is
``demo.digits.analysis``, the pictures and captions ``demo.digits.views``, the pad
``demo.digits.pad``.  On 2+ cores the pad's drawings are analysed by the same handlers in a
second process (``demo.digits.worker``: ``analysed`` sends them there).

Handlers are plain methods returning ``{component: value}`` (Gradio's own pattern); each fills
one or more named output groups, and the tests call them without a server:

    tab = DigitsTab(models)
    with gr.Blocks():
        tab.layout()
    out = tab.draw(ink_value, "lstm")       # out[tab.final] is the prediction

API: ``/classify`` takes the pad's ink value, a Sketchpad value or one image file and returns
{"label", "model", "confidences"}; see README.md.
"""
from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import OrderedDict
from pathlib import Path

import gradio as gr

from demo.checkpoint import WeightsError
from demo.digits import analysis, units, views
from demo.digits.analysis import STEPS, DigitAnalysis, title
from demo.digits.explain import explain_markdown
from demo.digits.input_view import input_view
from demo.digits.interventions import Intervention, parse_numbers
from demo.digits.lookups import load_lookups
from demo.digits.model import DigitModel, load_digit_model
from demo.digits.pad import drawing_pad, pad_value_from_image
from demo.digits.preprocess import EMPTY_MESSAGE, pad_id_ok, reading_steps, seq_ok
from demo.digits.worker import shared_worker, use_worker
from demo import i18n, ui_serving
from demo.ui_common import (LATEX, QUIET, K, Problem, Words, friendly, heat_image, in_event_loop,
                            load_available, png, problems_markdown, running)
from demo.ui_heatmap import hover_heatmap

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = ROOT / "examples"
MODEL_NAMES = ("lstm", "gru", "rnn")
CANVAS = 420                    # px, the pad's side; its pen is CANVAS/28 wide, like MNIST's strokes
PLAY_INTERVAL = 0.3             # s per row when animating
NO_GATE = "none"
LIVE_BACKOFF = 0.2            # s a live preview waits while other handlers run (draw_live)
URGENT_HERE_UP_TO = 2         # handlers running (a live preview and the pen-up's own): the server is free
# Pen-ups answered at once (different pages; one page's events in that lane still run one at a
# time, in order: ui_serving.session_ordered_lane).  With 100 users arriving together, one at a
# time made the 34 first pen-ups wait for each other (benchmarks/load_test.py).
PEN_UPS_AT_ONCE = 4
CELL_COLOURS = {"LSTM": "#1f77b4", "GRU": "#ff7f0e", "RNN": "#d62728"}
STATE_COLOURS = {"h": "#111111", "c": "#888888", "i": "#1f77b4", "f": "#ff7f0e", "g": "#2ca02c", "o": "#d62728",
                 "r": "#1f77b4", "z": "#ff7f0e", "n": "#2ca02c"}
CSS = """
#hint { color: var(--body-text-color-subdued); }
.rl-warning { color: #b45309; font-weight: 600; margin: 6px 0 0; }
@media (max-width: 640px) { #intro { display: none; } }
/* gradio floats a block's label over its top: a label that wraps (the reading strip's, on a
   phone) covered the pictures under it.  In the flow, it pushes them down. */
#digit-reading [data-testid="block-label"], #digit-seen [data-testid="block-label"] { position: relative; }
/* the page's copy of the controls that the pad's events read (CONTROLS): kept, never shown */
#digit-controls { display: none !important; }
""" + views.INFLUENCE_CSS + views.TRAJECTORY_CSS


def load_models(weights_dir=None) -> tuple[dict[str, DigitModel], list[str]]:
    """Every digit model whose weights exist, and a message for each one that could not load."""
    return load_available({n: title(n) for n in MODEL_NAMES}, load_digit_model, weights_dir)


def load_all_lookups(models: dict[str, DigitModel], weights_dir=None) -> tuple[dict, list[str]]:
    """The precomputed lookups of every loaded model; a message for each that is missing."""
    found, problems = {}, []
    for name, m in models.items():
        try:
            found[name] = load_lookups(name, m.meta.get("weights_sha256"), weights_dir)
        except WeightsError as e:
            problems.append(Problem("digits.error.lookups", str(e), "error", model=title(name)))
    return found, problems


def numbered(value) -> bool:
    """A value the pad sent itself: it says which pad, and its place in that pad's sequence."""
    return isinstance(value, dict) and pad_id_ok(value.get("pad")) and seq_ok(value.get("seq"))


def pen_up(value) -> bool:
    """A value the pad sent as the pen lifted (or for Undo/Clear): it goes out as "submit" too."""
    return numbered(value) and value.get("drawing") is not True


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


# The output groups, by attribute (compare and panels are lists): each handler fills exactly the
# union of the groups it names.  The worker's answers are keyed by these names ("panels.0", ...
# for a list's; demo/digits/worker.py).
DRAWING_OUTPUTS = ("analysis", "hint", "final", "summary", "seen", "compare", "influence", "reading")
STEP_OUTPUTS = ("caption", "rows", "probs", "hmap", "panels", "confidence", "trajectory", "difference",
                "edited_final", "edited_confidence")
UNIT_OUTPUTS = ("unit_caption", "unit_rows", "unit_profile", "unit_thumbs")
OUTPUT_NAMES = DRAWING_OUTPUTS + STEP_OUTPUTS + UNIT_OUTPUTS
# The pen-up's answer comes in two parts, so that the first screen is painted first: the page
# applies an answer in one task and paints after it, and the whole ~30-output answer was painted
# ~70 ms later than these outputs alone (benchmarks/bench_browser.py).  First the prediction and
# the row-by-row views ("submit": ``draw_final``), then what lies further down: the comparison,
# the "why" sections, the unit's drill-down and the reading strip (``draw_rest``), with every
# model's row influence, the costly part of the server's work (~20 ms of ~30).
FIRST_OUTPUTS = ("analysis", "hint", "final", "summary", "seen", "caption", "rows", "probs", "hmap", "panels",
                 "confidence")
# The controls the pad's handlers read (the model, the edit, the view), which the page copies into
# one hidden value (``controls``) whenever one of them changes: the pad's events then take 5
# inputs, not 13.  At an event's start, and at each of its status changes, gradio's page deep-copies
# the props of every input of every event it has run (~0.1-0.2 ms each, two thrown exceptions
# apiece for the functions in them): 13 inputs were ~250 copies in the 400 ms after a pen-up, and
# the first answer was painted ~20 ms later than with 4 (benchmarks/bench_browser.py).
CONTROLS = ("model", "ablate", "gate", "gate_value", "from_row", "blank_rows", "t", "order", "unit")


class DigitsTab:
    """The tab's components (made by ``layout``), its events (``wire``) and its handlers."""

    def __init__(self, models: dict[str, DigitModel], problems: list[str] = (), lookups: dict | None = None):
        self.models = models
        self.problems = list(problems)
        self.lookups = lookups or {}
        self.default = next(iter(models), None)
        self.pen_ups = PenUps()
        self.worker = None  # a DrawWorker: the pad's drawings analysed in another process
        self._keys = None   # output_keys(), once the page exists

    @classmethod
    def keyed(cls, models, problems, lookups, lists: dict) -> "DigitsTab":
        """The handlers without a page (the worker's): each output is its name, a list
        attribute's ``lists[name]`` outputs "name.0", "name.1", ..."""
        tab = cls(models, problems, lookups)
        for name in OUTPUT_NAMES:
            setattr(tab, name, [f"{name}.{i}" for i in range(lists[name])] if name in lists else name)
        return tab

    def output_keys(self, names=OUTPUT_NAMES) -> dict:
        """{output name: component} of this page (a keyed tab's answer -> this tab's), in order."""
        keys = {}
        for name in names:
            c = getattr(self, name)
            keys.update({f"{name}.{i}": x for i, x in enumerate(c)} if isinstance(c, list) else {name: c})
        return keys

    def analysed(self, *args, method: str = "draw", urgent: bool = False, **kwargs) -> dict:
        """``draw(*args, **kwargs)`` (or ``method``'s: "rest"), in the worker process when there
        is one and it is ready.  ``urgent`` (the pen-up's first part): not behind a live preview
        the worker is still computing (~40 ms) when nothing else runs on the server: then it is
        computed here, on the other core.  Under load the worker takes it, as everything else."""
        w = self.worker
        here = w is None or (urgent and w.busy and running() <= URGENT_HERE_UP_TO)
        out = None if here else w.call(method, *args, **kwargs)
        if out is None:
            return getattr(self, method)(*args, **kwargs)
        self._keys = self._keys or self.output_keys()
        return {self._keys[k]: v for k, v in out.items()}

    def _only(self, out: dict, names, keep: bool = True) -> dict:
        """The entries of an answer whose outputs are among ``names`` (``keep=False``: are not)."""
        chosen = set(map(id, self.output_keys(names).values()))
        return {c: v for c, v in out.items() if (id(c) in chosen) == keep}

    @property
    def first_outputs(self) -> list:
        return list(self.output_keys(FIRST_OUTPUTS).values())

    @property
    def rest_outputs(self) -> list:
        return list(self._only(dict.fromkeys(self.all_outputs), FIRST_OUTPUTS, keep=False))

    # -- layout ---------------------------------------------------------------------------------
    def layout(self) -> None:
        # what could not load, in English until the page's language is known (``static_words``)
        self.problems_md = gr.Markdown(problems_markdown(self.problems)) if self.problems else None
        # The analysed drawing (DigitAnalysis): the slider re-renders from it without a model run.
        self.analysis = gr.State(None)
        # (pad data, reading strip) of the last picture put into the pad: while the pad still
        # shows just that picture, the strip shows how the picture itself was read.
        self.picture_reading = gr.State(None)
        if getattr(self, "lang", None) is None:  # the app passes the page's; alone, English
            self.lang = gr.State("en")
        w = self.words = Words()
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=300, elem_id="sec-pad") as self.sec_pad:
                self.pad = drawing_pad(elem_id="digit-pad", size=CANVAS)
                self.final = w.add(gr.Label(label=K("digits.final.label"), num_top_classes=3,
                                            elem_id="digit-prediction"), label="digits.final.label")
                self.hint = w.add(gr.Markdown(K("digits.hint.start"), elem_id="hint"), value="digits.hint.start")
                self.reading = w.add(gr.HTML("", label=K("digits.reading.label"), show_label=True, container=True,
                                             padding=True, elem_id="digit-reading"), label="digits.reading.label")
                # image_mode=None: the file as it is (the default "RGB" would flatten a transparent
                # drawing onto black before we read it)
                self.picture = gr.Image(label=K("digits.picture.label"), type="filepath",
                                        image_mode=None,
                                        sources=["upload", "clipboard"], height=150, elem_id="digit-picture")
                w.add(self.picture, label="digits.picture.label")
                paths = sorted(EXAMPLES_DIR.glob("digit_*.png"))
                self.examples = gr.Examples(
                    [[str(p)] for p in paths], inputs=[self.picture], label=K("digits.examples.label"),
                    examples_per_page=10, api_visibility="private", elem_id="digit-examples") if paths else None
            with gr.Column(scale=4, min_width=300, elem_id="sec-prediction") as self.sec_prediction:
                choices = [(title(n), n) for n in self.models] or [(K("digits.model.none"), "")]
                self.model = w.add(gr.Radio(choices, value=choices[0][1], label=K("digits.model.label"),
                                            interactive=bool(self.models), elem_id="digit-model"),
                                   label="digits.model.label")
                self.summary = gr.Markdown()
                self.seen = w.add(input_view(K("digits.seen.label"), elem_id="digit-seen"), label="digits.seen.label")

        with gr.Column(elem_id="sec-row-by-row") as self.sec_row_by_row:
            w.add(gr.Markdown(K("digits.section.row_by_row")), value="digits.section.row_by_row")
            with gr.Row():
                self.t = w.add(gr.Slider(1, STEPS, value=STEPS, step=1, scale=8, label=K("digits.t.label"),
                                         elem_id="digit-t"), label="digits.t.label")
                with gr.Column(scale=1, min_width=120):
                    self.play = w.add(gr.Button(K("digits.play"), size="sm", variant="primary", elem_id="digit-play"),
                                      value="digits.play")
                    self.stop = w.add(gr.Button(K("digits.stop"), size="sm", elem_id="digit-stop"), value="digits.stop")
            self.caption = gr.Markdown(elem_id="digit-caption")
            with gr.Row():
                self.rows = w.add(input_view(K("digits.rows.label"), elem_id="digit-rows"), label="digits.rows.label")
                self.probs = w.add(gr.Label(label=K("digits.probs.label"), num_top_classes=5, elem_id="digit-probs"),
                                   label="digits.probs.label")
                self.confidence = w.add(hover_heatmap(i18n.t("digits.confidence.label"), elem_id="digit-confidence",
                                                      height=280), label="digits.confidence.label")
            self.order = w.add(gr.Radio([(K(f"digits.order.{k}"), k) for k in units.ORDERS], value="index",
                                        label=K("digits.order.label")),
                               label="digits.order.label", choices=[(f"digits.order.{k}", k) for k in units.ORDERS])
            w.add(gr.Markdown(K("digits.maps.help")), value="digits.maps.help")
            # Three maps a row, so each is shown ~2.5x its size: one screen pixel per unit is too thin to
            # hover or click.  The first row: h and the first two gates; then the rest.
            first = views.PANELS.get(self.models[self.default].cell, []) if self.models else []
            keys = [f"digits.panel.{p[0]}" for p in first]   # the switch names the maps shown before a drawing
            labels = [i18n.t(k) for k in keys] + [i18n.t("digits.panel.other", k=k)
                                                  for k in range(len(first), views.MAX_PANELS)]
            with gr.Row():
                self.hmap = w.add(hover_heatmap(i18n.t("digits.hmap.label"), elem_id="digit-h"),
                                  label="digits.hmap.label")
                self.panels = [hover_heatmap(labels[k], elem_id=f"digit-panel-{k}", visible=k < len(first))
                               for k in range(2)]
            with gr.Row():
                self.panels += [hover_heatmap(labels[k], elem_id=f"digit-panel-{k}", visible=k < len(first))
                                for k in range(2, views.MAX_PANELS)]
            for panel, key in zip(self.panels, keys):
                w.add(panel, label=key)

        with gr.Column(elem_id="sec-compare") as self.sec_compare:
            w.add(gr.Markdown(K("digits.section.compare")), value="digits.section.compare")
            with gr.Row(elem_id="digit-compare"):
                self.compare = [hover_heatmap(title(n), elem_id=f"digit-compare-{n}") for n in MODEL_NAMES]

        self.why_heading = w.add(gr.Markdown(K("digits.section.why")), value="digits.section.why")
        with gr.Accordion(K("digits.why_rows.title"), open=True, elem_id="sec-why-rows") as self.sec_why_rows:
            w.add(gr.Markdown(K("digits.why_rows.help")), value="digits.why_rows.help")
            self.influence = w.add(gr.HTML("", label=K("digits.influence.label"), elem_id="row-influence",
                                           show_label=True, container=True, padding=True),
                                   label="digits.influence.label")
            with gr.Row():
                curves = (views.influence_curves(self.lookups) if self.lookups else None)
                self.curves = w.add(gr.LinePlot(curves, x="row", y="mean |dz/d row|", color=views.curves_color(),
                                                height=260, min_width=320,  # a phone: the summary under it
                                                color_map=CELL_COLOURS, label=K("digits.curves.label"),
                                                x_title=i18n.t("digits.curves.x", i18n.DEFAULT),
                                                y_title=i18n.t("digits.curves.y", i18n.DEFAULT),
                                                elem_id="digit-curves"),
                                    label="digits.curves.label", x_title="digits.curves.x", y_title="digits.curves.y")
                self.curves_text = gr.Markdown(views.influence_summary(self.lookups) if self.lookups else "")
        with gr.Accordion(K("digits.why_unit.title"), open=True, elem_id="sec-why-unit") as self.sec_why_unit:
            with gr.Row():
                self.unit = w.add(gr.Number(0, label=K("digits.unit.label"), precision=0, minimum=0,
                                            maximum=max((m.hidden for m in self.models.values()), default=1) - 1,
                                            scale=1, elem_id="digit-unit"), label="digits.unit.label")
                self.unit_caption = gr.Markdown(scale=4)
            with gr.Row():
                # the plots' tooltips show their axis titles, and the colour column's name
                self.unit_rows = w.add(gr.LinePlot(x="row", y="value", color=views.unit_rows_color(), height=240,
                                                   color_map=STATE_COLOURS, label=K("digits.unit_rows.label"),
                                                   elem_id="digit-unit-rows", x_title=i18n.t("digits.unit_rows.x"),
                                                   y_title=i18n.t("digits.unit_rows.y")),
                                       label="digits.unit_rows.label", x_title="digits.unit_rows.x",
                                       y_title="digits.unit_rows.y")
                self.unit_profile = w.add(gr.BarPlot(x="class", y="mean final h", height=240,
                                                     label=K("digits.unit_profile.label"),
                                                     x_title=i18n.t("digits.unit_profile.x"),
                                                     y_title=i18n.t("digits.unit_profile.y")),
                                          label="digits.unit_profile.label", x_title="digits.unit_profile.x",
                                          y_title="digits.unit_profile.y")
            self.unit_thumbs = w.add(heat_image(K("digits.unit_thumbs.label"), height=170),
                                     label="digits.unit_thumbs.label")
        with gr.Accordion(K("digits.why_whatif.title"), open=True, elem_id="sec-why-whatif") as self.sec_why_whatif:
            with gr.Row():
                self.ablate = w.add(gr.Textbox(label=K("digits.ablate.label"), placeholder=K("digits.ablate.placeholder"),
                                               scale=3, elem_id="digit-ablate"),
                                    label="digits.ablate.label", placeholder="digits.ablate.placeholder")
                self.ablate_unit = w.add(gr.Button(K("digits.ablate_unit"), size="sm", scale=1,
                                                   elem_id="digit-ablate-unit"), value="digits.ablate_unit")
                self.top_k = gr.Number(5, label="k", precision=0, minimum=1, scale=1)
                self.ablate_top = w.add(gr.Button(K("digits.ablate_top"), size="sm", scale=2), value="digits.ablate_top")
            with gr.Row():
                gates = self.models[self.default].gate_names if self.models else ()
                self.gate = w.add(gr.Dropdown(self.gate_choices(gates), value=NO_GATE, label=K("digits.gate.label"),
                                              scale=2, elem_id="digit-gate"), label="digits.gate.label")
                self.gate_value = w.add(gr.Slider(0, 1, value=1.0, step=0.05, label=K("digits.gate_value.label"),
                                                  scale=2), label="digits.gate_value.label")
                self.from_row = w.add(gr.Slider(1, STEPS, value=1, step=1, label=K("digits.from_row.label"), scale=2),
                                      label="digits.from_row.label")
                self.blank_rows = w.add(gr.Textbox(label=K("digits.blank_rows.label"),
                                                   placeholder=K("digits.blank_rows.placeholder"), scale=2),
                                        label="digits.blank_rows.label", placeholder="digits.blank_rows.placeholder")
                self.reset = w.add(gr.Button(K("digits.reset"), size="sm", scale=1), value="digits.reset")
            self.difference = gr.Markdown(elem_id="digit-difference")
            with gr.Row():
                self.edited_final = w.add(gr.Label(label=K("digits.edited_final.label"), num_top_classes=3),
                                          label="digits.edited_final.label")
                self.edited_confidence = w.add(hover_heatmap(i18n.t("digits.edited_confidence.label"),
                                                             elem_id="digit-edited-confidence"),
                                               label="digits.edited_confidence.label")
        with gr.Accordion(K("digits.why_trajectory.title"), open=True,
                          elem_id="sec-why-trajectory") as self.sec_why_trajectory:
            w.add(gr.Markdown(K("digits.trajectory.help")), value="digits.trajectory.help")
            # the class clouds, sent once as CSS: the path's HTML then only names its model's
            gr.HTML(f"<style>{views.cloud_css(self.lookups)}</style>", padding=False)
            self.trajectory = gr.HTML("", elem_id="digit-trajectory")
        with gr.Accordion(K("digits.explain.title"), open=False, elem_id="sec-explain") as self.sec_explain:
            self.explain = gr.Markdown(explain_markdown(self.models[self.default]) if self.models else "",
                                       latex_delimiters=LATEX, elem_id="digit-explain")
        # what the pad's events read of the controls (CONTROLS above; ``wire`` keeps it up to date)
        self.controls = gr.JSON(self.control_values(), visible="hidden", elem_id="digit-controls")
        for acc, key in ((self.sec_why_rows, "digits.why_rows.title"), (self.sec_why_unit, "digits.why_unit.title"),
                         (self.sec_why_whatif, "digits.why_whatif.title"),
                         (self.sec_why_trajectory, "digits.why_trajectory.title"),
                         (self.sec_explain, "digits.explain.title")):
            w.add(acc, label=key)

    def static_words(self, lang: str = "en") -> dict:
        """The tab's fixed views Python writes, in ``lang``: what could not load, and the
        over-data curves (their colour column is named in the language) with their summary.
        Sent by the app when the page opens in another language than English, and by the switch."""
        out = {}
        if self.problems_md is not None:
            out[self.problems_md] = problems_markdown(self.problems, lang)
        if self.lookups:
            out[self.curves] = gr.update(color=views.curves_color(lang))   # the frame has every name
            out[self.curves_text] = views.influence_summary(self.lookups, lang)
        return out

    @staticmethod
    def gate_choices(gates, lang: str | None = None) -> list:
        """The clamp dropdown's choices: none, then the cell's gates (gr.I18n keys, or in ``lang``)."""
        word = (lambda k: i18n.t(k, lang)) if lang else K
        return [(word("digits.gate.none"), NO_GATE), *[(word(f"digits.gate_name.{g}"), g) for g in gates]]

    def sections(self) -> dict:
        """demo.lessons.GROUPS name -> its container (the lesson presets hide them)."""
        return {"pad": self.sec_pad, "prediction": self.sec_prediction, "row_by_row": self.sec_row_by_row,
                "compare": self.sec_compare, "why_rows": self.sec_why_rows, "why_unit": self.sec_why_unit,
                "why_whatif": self.sec_why_whatif, "why_trajectory": self.sec_why_trajectory,
                "explain": self.sec_explain}

    # The output groups (DRAWING_OUTPUTS, ... above).
    @property
    def drawing_outputs(self) -> list:
        return list(self.output_keys(DRAWING_OUTPUTS).values())

    @property
    def step_outputs(self) -> list:
        return list(self.output_keys(STEP_OUTPUTS).values())

    @property
    def unit_outputs(self) -> list:
        return list(self.output_keys(UNIT_OUTPUTS).values())

    @property
    def edit_inputs(self) -> list:
        return [self.ablate, self.gate, self.gate_value, self.from_row, self.blank_rows]

    @property
    def all_outputs(self) -> list:
        return [*self.drawing_outputs, *self.step_outputs, *self.unit_outputs]

    # -- events ---------------------------------------------------------------------------------
    def wire(self, app: gr.Blocks) -> None:
        live = dict(trigger_mode="always_last", **QUIET)
        view = [self.t, self.order, self.unit]
        L = [self.lang]  # the page's language, last input of every handler that shows words
        # Two lanes (separate queues, so a pen-up never waits behind the live updates of everyone
        # drawing): while the pen moves, the pad's "change" (one at a time for the whole server:
        # under load the live updates thin out, the answers do not); when it lifts, the pad also
        # sends "submit", whose answer is the final one.  Values set from Python (examples,
        # uploads, links) come only as a "change", so the live lane analyses those.  The
        # prediction alone carries both lanes' (hidden) status: tests and the browser benchmark
        # read it to know when the page is idle.
        # The controls come as one value that the page keeps (CONTROLS above): no server call.
        controls = [getattr(self, k) for k in CONTROLS]
        gr.on([c.change for c in controls], None, controls, [self.controls],
              js=f"(...v) => Object.fromEntries({json.dumps(list(CONTROLS))}.map((k, i) => [k, v[i]]))", **live)
        pad_in = [self.pad, self.controls, self.analysis, self.picture_reading, *L]
        status = {**live, "show_progress_on": [self.final]}
        self.pad.change(friendly(self.pad_live, lang=True), pad_in, self.all_outputs,
                        concurrency_id="pad-live", concurrency_limit=1, **status)
        # The step slider, the unit order and the unit share the final lane, whose events of one
        # page run one at a time, in order, so their answers come after the pen-up's (which
        # carries the step and unit it was sent with): a learner who moves the slider right after
        # drawing keeps that step.  Other pages' pen-ups run beside them.
        after_pen = ui_serving.session_ordered_lane("pad-final", PEN_UPS_AT_ONCE)
        # The pen-up's answer in two parts (FIRST_OUTPUTS above); the second reads the analysis
        # the first left, and the step, order and unit as they are when it leaves the page.
        self.pad.submit(friendly(self.pad_up, lang=True), pad_in, self.first_outputs, **after_pen, **status) \
            .success(friendly(self.pad_rest, lang=True),
                     [self.analysis, self.pad, self.picture_reading, self.controls, *L], self.rest_outputs,
                     **after_pen, **status)
        # A picture (upload, paste, drop or an example) goes into the pad, whose change analyses it.
        self.picture.change(friendly(self.to_pad, lang=True), [self.picture, *L], [self.pad, self.picture_reading],
                            **live)  # examples too
        self.model.change(friendly(self.pick, lang=True), [self.analysis, self.model, *view, *L],
                          [*self.all_outputs, self.explain, self.gate], **live)
        self.t.change(friendly(self.step, lang=True), [self.analysis, self.t, self.order, *L], self.step_outputs,
                      **live, **after_pen)
        self.order.change(friendly(self.step, lang=True), [self.analysis, self.t, self.order, *L], self.step_outputs,
                          **live, **after_pen)
        self.unit.change(friendly(self.unit_view, lang=True), [self.analysis, self.unit, *L], self.unit_outputs,
                         **live, **after_pen)
        for img in (self.hmap, *self.panels):
            img.select(friendly(self.click_unit), [self.analysis], [self.unit], **QUIET)
        edit = dict(fn=friendly(self.edit, lang=True), inputs=[self.analysis, *self.edit_inputs, *view, *L],
                    outputs=[self.analysis, *self.step_outputs], **live)
        for c in (self.ablate, self.blank_rows):
            c.submit(**edit)
            c.blur(**edit)
        for c in (self.gate, self.gate_value, self.from_row):
            c.input(**edit)
        self.ablate_unit.click(self.add_unit, [self.ablate, self.unit], [self.ablate], **QUIET).then(**edit)
        self.ablate_top.click(friendly(self.top_units, lang=True), [self.analysis, self.top_k, *L], [self.ablate],
                              **QUIET).then(**edit)
        self.reset.click(lambda: {self.ablate: "", self.gate: NO_GATE, self.from_row: 1, self.blank_rows: ""},
                         None, [self.ablate, self.gate, self.from_row, self.blank_rows], **QUIET).then(**edit)
        self.wire_player()
        gr.api(in_event_loop(friendly(self.classify)), api_name="classify")

    def wire_player(self) -> None:
        """Play: a timer moves the slider one row per tick (the slider's change re-renders)."""
        timer = gr.Timer(PLAY_INTERVAL, active=False)

        def start(t):
            return {self.t: 1 if t >= STEPS else t, timer: gr.Timer(active=True)}

        def tick(t):
            t = min(int(t) + 1, STEPS)
            return {self.t: t, timer: gr.Timer(active=t < STEPS)}

        self.play.click(start, [self.t], [self.t, timer], **QUIET)
        self.stop.click(lambda: gr.Timer(active=False), None, [timer], **QUIET)
        timer.tick(tick, [self.t], [self.t, timer], **QUIET)

    # -- handlers -------------------------------------------------------------------------------
    def _name(self, name) -> str | None:
        return name if name in self.models else self.default

    def intervention(self, name: str, ablate, gate, gate_value, from_row, blank_rows) -> Intervention:
        """The edit the controls describe, checked (ValueError names the bad field)."""
        model = self.models[name]
        clamp = ()
        if gate not in (None, "", NO_GATE):
            if gate not in model.gate_names:
                raise ValueError(f"The {title(name)} has no gate {gate!r}.")
            clamp = ((gate, float(gate_value)),)
        from_row = int(from_row or 1)
        if not 1 <= from_row <= STEPS:
            raise ValueError(f"from row must be 1 to {STEPS}")
        return Intervention(ablate=parse_numbers(ablate, 0, model.hidden - 1, "Ablate units"), clamp=clamp,
                            from_step=from_row, blank_rows=parse_numbers(blank_rows, 1, STEPS, "Blank rows"))

    def control_values(self) -> dict:
        """The controls' values as the page shows them at first (``controls``'s first value)."""
        return {k: getattr(self, k).value for k in CONTROLS}

    @staticmethod
    def controls_from(value) -> dict:
        """The page's copy of the controls (``controls``) -> the draw handlers' keyword
        arguments, checked at the edge: ValueError names a bad field.  A missing field keeps the
        handler's default, as a control left empty (None) does.  The ranges the components keep
        are checked here; the handlers check the rest (the unit against the model, the gate, the
        edit's numbers)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("controls must be an object of the Digits tab's controls")
        unknown = sorted(set(value) - set(CONTROLS), key=str)
        if unknown:
            raise ValueError(f"controls: unknown field {str(unknown[0])[:40]!r}")
        ranges = {"t": (1, STEPS), "from_row": (1, STEPS), "gate_value": (0.0, 1.0), "unit": (0, None)}
        for k, v in value.items():
            if v is None:
                continue
            if k in ranges:
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                    raise ValueError(f"controls: {k} must be a number")
                lo, hi = ranges[k]
                if v < lo or (hi is not None and v > hi) or (k != "gate_value" and v != int(v)):
                    raise ValueError(f"controls: {k} must be {'a whole number ' if k != 'gate_value' else ''}"
                                     f"from {lo}" + (f" to {hi}" if hi is not None else ""))
            elif not isinstance(v, str) or len(v) > 1000:
                raise ValueError(f"controls: {k} must be text of at most 1000 characters")
            elif k == "order" and v not in units.ORDERS:
                raise ValueError(f"controls: order must be one of {', '.join(units.ORDERS)}")
        out = {k: v for k, v in value.items() if v is not None}
        if "model" in out:
            out["name"] = out.pop("model")
        return out

    def pad_live(self, value, controls=None, before=None, picture=None, lang: str = "en") -> dict:
        """The pad's "change": ``draw_live`` with the controls the page copied (``controls_from``)."""
        return self.draw_live(value, **{"name": None, **self.controls_from(controls)}, before=before,
                              picture=picture, lang=lang)

    def pad_up(self, value, controls=None, before=None, picture=None, lang: str = "en") -> dict:
        """The pad's "submit": ``draw_final`` with the controls the page copied."""
        return self.draw_final(value, **{"name": None, **self.controls_from(controls)}, before=before,
                               picture=picture, lang=lang)

    def pad_rest(self, a, value=None, picture=None, controls=None, lang: str = "en") -> dict:
        """After ``pad_up``: ``draw_rest`` with the step, order and unit the page copied."""
        c = self.controls_from(controls)
        return self.draw_rest(a, value, picture, **{k: c[k] for k in ("t", "order", "unit") if k in c}, lang=lang)

    def draw_live(self, value, name, ablate=None, gate=NO_GATE, gate_value=1.0, from_row=1, blank_rows=None,
                  t=STEPS, order="index", unit=0, before: DigitAnalysis | None = None, picture=None,
                  lang: str = "en") -> dict:
        """The pad's "change": a value sent while the pen moves, or one set from Python.  A
        pen-up value (the pad numbers its values: ``seq``, and sends "submit" for those) is left
        to ``draw_final``; a live answer that a later pen-up has overtaken is dropped, so it
        cannot land on top of the final one."""
        if pen_up(value):
            return {c: gr.skip() for c in self.all_outputs}
        if isinstance(value, dict) and value.get("drawing") is True and running() > 1:
            # Others are being answered (a pen-up, a classify, a generate): this lane runs one
            # preview at a time for the whole server, so waiting here thins the previews out
            # and leaves the CPU to the answers.  Alone on the server, no wait.
            time.sleep(LIVE_BACKOFF)
        out = self.analysed(value, name, ablate, gate, gate_value, from_row, blank_rows, t, order, unit, before,
                            picture, lang)
        if numbered(value) and self.pen_ups.overtaken(value["pad"], value["seq"]):
            return {c: gr.skip() for c in self.all_outputs}
        return out

    def draw_final(self, value, name, ablate=None, gate=NO_GATE, gate_value=1.0, from_row=1, blank_rows=None,
                   t=STEPS, order="index", unit=0, before: DigitAnalysis | None = None, picture=None,
                   lang: str = "en") -> dict:
        """The pad's "submit": the pen lifted (or Undo, Clear): the answer's first part, the
        prediction and the row-by-row views (FIRST_OUTPUTS); ``draw_rest`` follows."""
        if numbered(value):
            self.pen_ups.lifted(value["pad"], value["seq"])
        # Every view, as for a first drawing: the two lanes answer in any order, so ``before``
        # (and what the page shows) may not be the last live answer: a Clear's blank page may
        # land after it, or the live answer was dropped.  The final answer stands on its own.
        return self.analysed(value, name, ablate, gate, gate_value, from_row, blank_rows, t, order, unit, before,
                             picture, lang, complete=True, first=True, urgent=True)

    def draw_rest(self, a: DigitAnalysis | None, value=None, picture=None, t=STEPS, order="index", unit=0,
                  lang: str = "en") -> dict:
        """After ``draw_final``: the rest of the pen-up's answer (every output not in
        FIRST_OUTPUTS), from the analysis it left."""
        return self.analysed(a, value, picture, t, order, unit, lang, method="rest")

    def rest(self, a: DigitAnalysis | None, value=None, picture=None, t=STEPS, order="index", unit=0,
             lang: str = "en") -> dict:
        """``draw_rest``'s answer: every model's row influence is added here.  The analysis
        state is left as the first part set it: a live answer of the next drawing may have
        replaced it since (influence is added again wherever it is shown)."""
        if a is None:  # the pad was blank (Clear): so is everything below
            return self._only(self.blank("", lang), FIRST_OUTPUTS, keep=False)
        a = analysis.with_influence(self.models, a)
        return {**self._shown_below(a, views.drawing_views(a, lang), True, lang), **self._step_why(a, int(t), lang),
                **self.unit_view(a, unit, lang), self.reading: self.reading_for(a, value, picture, lang)}

    def draw(self, value, name, ablate=None, gate=NO_GATE, gate_value=1.0, from_row=1, blank_rows=None,
             t=STEPS, order="index", unit=0, before: DigitAnalysis | None = None, picture=None,
             lang: str = "en", complete: bool = False, first: bool = False) -> dict:
        """``_draw``; ``first``: only FIRST_OUTPUTS, from an analysis without row influence (the
        pen-up's first part: ``rest`` adds the others)."""
        out = self._draw(value, name, ablate, gate, gate_value, from_row, blank_rows, t, order, unit, before,
                         picture, lang, complete, first)
        if not first:
            return out
        return self._only(out, FIRST_OUTPUTS)

    def _draw(self, value, name, ablate=None, gate=NO_GATE, gate_value=1.0, from_row=1, blank_rows=None,
              t=STEPS, order="index", unit=0, before: DigitAnalysis | None = None, picture=None,
              lang: str = "en", complete: bool = False, first: bool = False) -> dict:
        """A stroke (every ~100 ms while the pen moves), an upload or an example: analyse the
        drawing with every model and render every view.  While the pen is down (the pad's value
        says "drawing"), the row influence is the chosen cell's only and the unit's looked-up
        profile is not sent again (it does not change with the drawing); the value sent as the
        pen lifts brings everything.  ``before`` is the previous analysis (None: first drawing);
        ``complete``: send every view as for a first drawing (the final lane's answers)."""
        name = self._name(name)
        if name is None:
            return self.blank(i18n.t("digits.error.no_model", lang), lang)
        iv = self.intervention(name, ablate, gate, gate_value, from_row, blank_rows)
        drawing = isinstance(value, dict) and value.get("drawing") is True
        try:
            a = analysis.analyse(self.models, name, value, iv,
                                 influence="none" if first else "current" if drawing else "all", before=before)
        except ValueError as e:
            if str(e) == EMPTY_MESSAGE:  # cleared pad: a hint, not an error popup
                return self.blank(i18n.translate_message(str(e), lang), lang)
            raise
        refresh = complete or before is None or before.name != name
        if first:  # the views further down are the second part's (``rest``)
            return {**self._shown(a, views.drawing_views(a, lang), refresh),
                    **self._step_rows(a, int(t), order, refresh, lang)}
        out = {**self.show(a, refresh, lang), **self.step(a, t, order, refresh, lang)}
        if refresh:  # a first drawing or another model: everything at once
            out.update({**self.unit_view(a, unit, lang), self.reading: self.reading_for(a, value, picture, lang)})
        elif drawing:
            # The page must keep up with the pen (~10 updates a second, each laid out again by the
            # browser): the unit's drill-down (its plots are the browser's slowest views) and the
            # reading strip wait for the pen to lift.
            out.update({c: gr.skip() for c in [*self.unit_outputs, self.reading]})
        else:
            # Pen up: the unit's views follow the drawing too.  Its looked-up profile and
            # thumbnails do not depend on the drawing, so they are not sent again.
            out.update({**self._unit_view(a, unit, lang, colour=False), self.unit_profile: gr.skip(),
                        self.unit_thumbs: gr.skip(),
                        self.reading: self.reading_for(a, value, picture, lang)})
        return out

    def reading_for(self, a: DigitAnalysis, value, picture, lang: str = "en") -> str:
        """The reading strip: the uploaded picture's own while the pad shows just it
        (``picture``: (pad data, its preprocess.Reading))."""
        if picture and isinstance(value, dict) and value.get("data") == picture[0]:
            return self.reading_html(picture[1], lang)
        return self.reading_html(a.reading, lang)

    def to_pad(self, path) -> dict:
        """A picture from the upload box (or an example) -> shown in the pad; how the picture
        itself was read is kept for the strip.  A photo that is not one digit is refused here
        with its message (NotOneDigit is a ValueError)."""
        if not path:
            return {self.pad: gr.skip(), self.picture_reading: gr.skip()}
        value = pad_value_from_image(path)
        reading = reading_steps(path)
        return {self.pad: value, self.picture_reading: (value["data"], reading)}

    def pick(self, a: DigitAnalysis | None, name, t=STEPS, order="index", unit=0, lang: str = "en") -> dict:
        """Model picker: retrace the current drawing (no preprocessing) and explain the cell."""
        name = self._name(name)
        if name is None:
            return {**self.blank(i18n.t("digits.error.no_model_short", lang), lang), self.explain: "",
                    self.gate: gr.skip()}
        model = self.models[name]
        extra = {self.explain: explain_markdown(model, lang),
                 self.gate: gr.update(choices=self.gate_choices(model.gate_names, lang),
                                        value=NO_GATE if a is None or not a.intervention.clamp
                                        or a.intervention.clamp[0][0] not in model.gate_names
                                        else a.intervention.clamp[0][0])}
        if a is None:
            return {**self.blank(i18n.translate_message(EMPTY_MESSAGE, lang), lang), **extra}
        a = analysis.with_influence(self.models, analysis.retrace(self.models, a, name))
        return {**self.show(a, True, lang), **self.step(a, t, order, True, lang), **self.unit_view(a, unit, lang),
                self.reading: self.reading_html(a.reading, lang), **extra}

    def edit(self, a: DigitAnalysis | None, ablate, gate, gate_value, from_row, blank_rows, t=STEPS,
             order="index", unit=0, lang: str = "en") -> dict:
        """Any intervention control: redo only the edited run, then the views that show it."""
        if a is None:
            return {self.analysis: None, **self.step(None, t, order)}
        iv = self.intervention(a.name, ablate, gate, gate_value, from_row, blank_rows)
        a = analysis.with_intervention(self.models, a, iv)
        return {self.analysis: a, **self.step(a, t, order, lang=lang)}

    def unit_order(self, a: DigitAnalysis, order: str):
        return units.unit_order(order or "index", self.models[a.name], a.trace, self.lookups.get(a.name))

    def step(self, a: DigitAnalysis | None, t, order="index", refresh: bool = False, lang: str = "en") -> dict:
        """Slider move, unit order, or after any of the above: render step t from the analysis.
        ``refresh``: also set which gate panels show (the model changed, or the pad was blank)."""
        if a is None:
            hidden = gr.update(value=None, visible=False)
            return {self.caption: "", self.rows: None, self.probs: None, self.hmap: None,
                    **{p: hidden for p in self.panels}, self.confidence: None, self.trajectory: "",
                    self.difference: "", self.edited_final: None, self.edited_confidence: None}
        return {**self._step_rows(a, int(t), order, refresh, lang), **self._step_why(a, int(t), lang)}

    def _step_rows(self, a: DigitAnalysis, t: int, order="index", refresh: bool = False, lang: str = "en") -> dict:
        """``step``'s row-by-row views (the pen-up's first part)."""
        v = views.step_views(a, t, self.unit_order(a, order), lang)
        # The caption travels in the value; a gr.update (dearer for gradio to apply) only when
        # the panels' visibility may change: a new model, or after a blank pad.
        panels = [{**hover, "caption": label} for label, hover in v.panels]
        if refresh:
            panels = [gr.update(value=p, label=p["caption"], visible=True) for p in panels]
            panels += [gr.update(value=None, visible=False)] * (len(self.panels) - len(panels))
        else:
            panels += [gr.skip()] * (len(self.panels) - len(panels))
        return {self.caption: v.caption, self.rows: v.rows, self.probs: v.probs, self.hmap: v.h,
                **dict(zip(self.panels, panels)), self.confidence: v.confidence}

    def _step_why(self, a: DigitAnalysis, t: int, lang: str = "en") -> dict:
        """``step``'s views further down: the state's path and what the edit changed (the pen-up's
        second part)."""
        edited_final, edited_img, difference = views.edited_views(a, t, lang)
        lookups = self.lookups.get(a.name)
        trajectory = views.trajectory_html(a, lookups, t, lang=lang) if lookups is not None else ""
        return {self.trajectory: trajectory, self.difference: difference, self.edited_final: edited_final,
                self.edited_confidence: edited_img}

    def unit_view(self, a: DigitAnalysis | None, unit, lang: str = "en") -> dict:
        """The drill-down of one unit: looked up, plus this drawing's own values."""
        return self._unit_view(a, unit, lang, colour=True)

    def _unit_view(self, a: DigitAnalysis | None, unit, lang: str = "en", colour: bool = True) -> dict:
        """``unit_view``; ``colour``: set the plot's colour column too (a gr.update, which gradio
        applies at a cost: the pen-up leaves it as the last unit view set it).  (Handlers take
        the page's language last: hence two methods.)"""
        if a is None:
            return {self.unit_caption: "", self.unit_rows: None, self.unit_profile: None, self.unit_thumbs: None}
        H = self.models[a.name].hidden
        try:
            unit = int(unit)
        except (TypeError, ValueError):
            raise ValueError(f"Unit must be a whole number from 0 to {H - 1}.") from None
        if not 0 <= unit < H:
            raise ValueError(f"Unit must be from 0 to {H - 1}; the {title(a.name)} has {H} units.")
        u = views.unit_views(a, unit, self.lookups.get(a.name), lang)
        # the colour column is named in ``lang`` (the plot's tooltip and legend show its name)
        rows = gr.update(value=u.over_rows, color=views.unit_rows_color(lang)) if colour else u.over_rows
        return {self.unit_caption: u.caption, self.unit_rows: rows,
                self.unit_profile: u.profile,
                self.unit_thumbs: png(u.thumbs) if u.thumbs is not None else None}

    def click_unit(self, a: DigitAnalysis | None, evt: gr.SelectData) -> dict:
        """A click on a units × steps map: the map sends [unit, step], the real unit number
        whatever order the rows are shown in."""
        index = evt.index if isinstance(evt.index, (list, tuple)) else None
        if a is None or not index or len(index) != 2:
            return {self.unit: gr.skip()}
        try:
            unit = int(index[0])
        except (TypeError, ValueError):
            return {self.unit: gr.skip()}
        if not 0 <= unit < self.models[a.name].hidden:
            return {self.unit: gr.skip()}
        return {self.unit: unit}

    @staticmethod
    def add_unit(ablate, unit) -> str:
        """'+ this unit': append the opened unit to the ablation list."""
        listed = [p.strip() for p in (ablate or "").split(",") if p.strip()]
        if unit is not None and str(int(unit)) not in listed:
            listed.append(str(int(unit)))
        return ", ".join(listed)

    def top_units(self, a: DigitAnalysis | None, k) -> str:
        """The k units that support this answer most, as the ablation list."""
        if a is None:
            raise ValueError("Draw a digit first: the top units depend on the drawing.")
        try:
            k = int(k)
        except (TypeError, ValueError):
            raise ValueError("k must be a whole number.") from None
        return ", ".join(map(str, units.top_units(self.models[a.name], a.trace, k)))

    def show(self, a: DigitAnalysis, refresh: bool = True, lang: str = "en") -> dict:
        d = views.drawing_views(a, lang)
        return {**self._shown(a, d, refresh), **self._shown_below(a, d, refresh, lang)}

    def _shown(self, a: DigitAnalysis, d: views.DrawingViews, refresh: bool = True) -> dict:
        """``show``'s answer and what the model sees (the pen-up's first part)."""
        # the hint is already hidden unless this is a first drawing (or the pad was blank): a
        # gr.update costs gradio more than the value itself
        return {self.analysis: a, self.hint: gr.update(visible=False) if refresh else gr.skip(), self.final: d.final,
                self.summary: d.summary, self.seen: d.seen}

    def _shown_below(self, a: DigitAnalysis, d: views.DrawingViews, refresh: bool = True, lang: str = "en") -> dict:
        """``show``'s comparison and row influence (the pen-up's second part)."""
        return {**self._compare(d.compare, refresh), self.influence: views.influence_html(a, lang)}

    def blank(self, hint: str, lang: str = "en") -> dict:
        return {self.analysis: None, self.hint: gr.update(value=f"✏️ {hint}", visible=True), self.final: None,
                self.summary: "", self.seen: None, **self._compare([]), self.influence: "", self.reading: "",
                **self.step(None, STEPS), **self.unit_view(None, 0)}

    @staticmethod
    def reading_html(reading, lang: str = "en") -> str:
        """The reading strip (a preprocess.Reading) in ``lang``, and a visible warning when the
        ink may not be one digit (``views.reading_html``)."""
        return views.reading_html(reading, lang)

    def _compare(self, compare: list, refresh: bool = True) -> dict:
        if not refresh:  # the same models as before: plain values, the caption inside
            return dict(zip(self.compare, [{**value, "caption": caption} for caption, value in compare]))
        shown = [gr.update(value={**value, "caption": caption}, label=caption, visible=True)
                 for caption, value in compare]
        shown += [gr.update(value=None, visible=not compare)] * (len(self.compare) - len(compare))
        return dict(zip(self.compare, shown))

    def classify(self, image: dict | None, model: str | None = None) -> dict:
        """Classify a digit: `image` is the pad's value {"format": "ink-v1", "width", "height",
        "data"}, an image file (handle_file) or a Sketchpad value {"background", "layers",
        "composite"}; `model` is "lstm", "gru" or "rnn" (default: the first loaded).  Returns
        {"label", "model", "confidences": [{"label", "confidence"}]}."""
        return analysis.classify(self.models, model or self.default, analysis.api_image(image))


def build(app: gr.Blocks, weights_dir=None, lang: gr.State | None = None) -> DigitsTab:
    """Add the Digits tab's components and events to the current Blocks/Tab context.  ``lang``:
    the page's language (a gr.State of "en" / "zh-CN"; None: English)."""
    models, problems = load_models(weights_dir)
    lookups, missing = load_all_lookups(models, weights_dir)
    tab = DigitsTab(models, problems + missing, lookups)
    tab.lang = lang
    tab.layout()
    tab.wire(app)
    if use_worker():
        tab.worker = shared_worker(keyed_tab, str(weights_dir) if weights_dir else None,
                                   (("compare", len(tab.compare)), ("panels", len(tab.panels))))
    return tab


def keyed_tab(weights_dir, lists) -> DigitsTab:
    """The drawing worker's handlers (demo/digits/worker.py): the models and lookups of
    ``weights_dir`` and every output named; ``lists``: ((list attribute, its length), ...)."""
    models, problems = load_models(weights_dir)
    lookups, missing = load_all_lookups(models, weights_dir)
    return DigitsTab.keyed(models, problems + missing, lookups, dict(lists))
