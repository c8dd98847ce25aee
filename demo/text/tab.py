"""The Text tab: a character-level RNN writes Shakespeare one character at a time, and you look
inside every step.  Layout and handlers only: the model is ``demo.text.model`` (which checks every
input, via ``demo.text.limits``), the traces and scores ``demo.text.analysis``, the units worth
looking at ``demo.text.units``, the HTML and pictures ``demo.text.views``.

Handlers are plain methods returning ``{component: value}``; each fills exactly one output group
(the tests check the keys) and they can be called without a server:

    tab = TextTab(models)
    with gr.Blocks():
        tab.layout()
    out = tab.analyse(Written("lstm", "ROMEO:\\n"), text, "h", 0, 1, None)   # out[tab.coloured]
    out = tab.analyse(..., lang="zh-CN")   # every handler that shows words takes the page's language

The page's language is a gr.State (``tab.lang``: the app passes its own, a tab built alone has
"en"), the last input of those handlers (``friendly(fn, lang=True)``).  What Python wrote is kept
(the trace, and the last connectivity, match, edit and score in gr.States) so that the app's
language switch can write it again in the other language (``relanguage``) without running the
model again.

    python app.py          # then open the Text tab

API: ``/generate`` (streaming) takes seed, length, temperature, top_k, rng_seed, model and yields
the text so far; ``/score`` takes text, model and returns nats/char; see README.md.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np

from demo import i18n
from demo.checkpoint import WEIGHTS_DIR, WeightsError
from demo.text import analysis, interventions, limits, matching, units, views
from demo.text.analysis import COMPARE_LENGTH, TEMPERATURES, TextTrace
from demo.text.limits import MAX_LENGTH, MAX_TEMPERATURE
from demo.text.model import CharModel, load_char_model
from demo.text.writer import Writer, WriterUnavailable, shared_writer, texts_so_far
from demo.ui_common import HEAVY, QUIET, WRITER, K, Words, friendly, friendly_stream, load_available, problems_markdown
from demo.ui_heatmap import hover_heatmap

CHAR_MODELS = {"lstm": "LSTM", "rnn": "Vanilla RNN"}
# Tiny Shakespeare, for select-and-match over the validation split (the app ships no dataset;
# without it the units of a span are still listed).  RNN_LENS_DATA_DIR overrides.
DATA_DIR = Path(os.environ.get("RNN_LENS_DATA_DIR") or Path(__file__).resolve().parents[3] / "shared" / "data")
log = logging.getLogger(__name__)
DEFAULTS = dict(seed="ROMEO:\n", length=500, temperature=0.8, top_k=0, rng_seed=0)
CSS = ""
# Moving the step slider outlines that character in the browser (no re-render of the text).
MARK_JS = ("(t) => { document.querySelectorAll('#text-units [data-t]').forEach((s) => { "
           "s.style.outline = s.dataset.t == String(t) ? '2px solid #ff8c00' : ''; }); return t; }")
# A click on a character of the coloured text selects that step (spans carry data-t); dragging
# over several characters selects that span: index [first step, last step].
CLICK_JS = ("element.addEventListener('mouseup', (e) => { const sel = window.getSelection(); "
            "const at = (n) => { const el = n && (n.nodeType === 1 ? n : n.parentElement); "
            "return el && el.closest ? el.closest('[data-t]') : null; }; "
            "if (sel && !sel.isCollapsed) { const a = at(sel.anchorNode), b = at(sel.focusNode); "
            "if (a && b && element.contains(a) && element.contains(b) && a !== b) { "
            "const i = Number(a.dataset.t), j = Number(b.dataset.t); "
            "trigger('select', {index: [Math.min(i, j), Math.max(i, j)], value: sel.toString()}); return; } } "
            "const s = e.target.closest('[data-t]'); "
            "if (s) trigger('select', {index: Number(s.dataset.t), value: s.textContent}); });")
EDIT_LENGTH = 1_000             # characters per side in the side-by-side generation
CONN_MODELS = ("lstm", "rnn")   # the connectivity plot compares these on the same text
CONN_COLOURS = {("lstm", "text"): "#b2182b", ("rnn", "text"): "#2166ac",
                ("lstm", "mean"): "#ef8a62", ("rnn", "mean"): "#67a9cf"}  # (model, curve) -> colour


def model_title(name: str, lang: str = "en") -> str:
    """"LSTM", "Vanilla RNN" (普通 RNN): a character model's name in ``lang``."""
    key = f"text.model.{name}"
    return i18n.t(key, lang) if key in i18n.strings(i18n.DEFAULT) else CHAR_MODELS.get(name, name)


def series_name(name: str, kind: str, lang: str = "en") -> str:
    """A connectivity curve's name: "LSTM · this text" (kind "text") or "LSTM · validation mean"."""
    return i18n.t("text.conn.series_text" if kind == "text" else "text.conn.series_mean", lang,
                  model=model_title(name, lang))


def conn_colours(lang: str = "en") -> dict[str, str]:
    """The connectivity plot's colour map, by series name in ``lang``."""
    return {series_name(n, k, lang): c for (n, k), c in CONN_COLOURS.items()}


@dataclass(frozen=True)
class Written:
    """What wrote the text in the output box (kept in a gr.State: the seed box may change after)."""
    model: str
    seed: str


def step_slider(n: int, t: int = 1, **kwargs) -> gr.Slider:
    """Step 1..n (gradio wants maximum > minimum: a 1-character text gets 1..2, clamped later)."""
    return gr.Slider(1, max(n, 2), value=t, step=1, **kwargs)


def model_label(name: str, m: CharModel, lang: str = "en") -> str:
    return f"{model_title(name, lang)} ({m.layers}×{m.hidden})"


def use_writer() -> bool:
    """Write generated text in a worker process: on 2+ cores, unless RNN_LENS_WRITER=0."""
    return os.environ.get("RNN_LENS_WRITER", "1") != "0" and (os.cpu_count() or 1) >= 2


def skip(components) -> dict:
    return {c: gr.skip() for c in components}


class TextTab:
    """The tab's components (made by ``layout``), its events (``wire``) and its handlers.  Units
    found are cached here, so each model's discovery runs at most once per process (and only when
    first needed)."""

    def __init__(self, models: dict[str, CharModel], problems: list[str] = (), weights_dir=None, data_dir=None):
        self.models = models
        self.problems = list(problems)
        self.weights_dir = Path(weights_dir or WEIGHTS_DIR)
        self.discovery_chars = units.DISCOVERY_CHARS
        self._units: dict[str, tuple[list[units.Unit], str]] = {}
        self.data_dir = Path(data_dir or DATA_DIR)
        self._val: dict[str, tuple[str, dict] | None] = {}  # validation text + activations, per model
        self.words = Words()                                # filled by layout
        self.writer: Writer | None = None                   # generation in a worker process (build)

    def loaded(self, name) -> CharModel:
        if name not in self.models:
            raise ValueError(f"no character model {name!r} is loaded; choose one of {', '.join(self.models)}")
        return self.models[name]

    # -- layout ---------------------------------------------------------------------------------
    def layout(self) -> None:
        # what could not load, in English until the page's language is known (``problem_words``)
        self.problems_md = gr.Markdown(problems_markdown(self.problems)) if self.problems else None
        if not self.models:
            return
        first = next(iter(self.models))
        known = self.saved_units(first)  # from weights/char_NAME_units.json; else found after a generation
        if getattr(self, "lang", None) is None:  # the app passes the page's; alone, English
            self.lang = gr.State("en")
        # Static words the language switch sends again, beyond the gr.I18n keys the app finds itself
        w = self.words = Words()

        with gr.Column(elem_id="sec-generate") as self.sec_generate:
            gr.Markdown(K("text.intro"))
            with gr.Row():
                self.seed = gr.Textbox(DEFAULTS["seed"], label=K("text.seed.label"), lines=2, scale=3)
                self.model = gr.Dropdown([(model_label(n, m), n) for n, m in self.models.items()], value=first,
                                         label=K("text.model.label"), scale=1)
            with gr.Row():
                self.length = gr.Number(DEFAULTS["length"], label=K("text.length.label"), step=1,
                                        info=i18n.t("text.length.info", "en", max=MAX_LENGTH))
                self.temperature = gr.Number(DEFAULTS["temperature"], label=K("text.temperature.label"), step=0.1,
                                             info=i18n.t("text.temperature.info", "en", max=MAX_TEMPERATURE))
                self.top_k = gr.Number(DEFAULTS["top_k"], label=K("text.top_k.label"), step=1, info=K("text.top_k.info"))
                self.rng_seed = gr.Number(DEFAULTS["rng_seed"], label=K("text.rng_seed.label"), step=1,
                                          info=K("text.rng_seed.info"))
            with gr.Row():
                self.go = gr.Button(K("text.go"), variant="primary", elem_id="text-generate")
                self.stop = gr.Button(K("text.stop"))
                self.dice = gr.Button(K("text.dice"))
            self.generated = gr.Textbox(label=K("text.generated.label"), lines=10, max_lines=20, interactive=False,
                                        elem_id="text-generated",
                                        buttons=["copy"])
            self.written = gr.State(None)  # Written: the model and seed of the generated text

        with gr.Column(elem_id="sec-steps") as self.sec_steps:
            gr.Markdown(K("text.section.steps"))
            with gr.Row():
                self.unit_pick = gr.Dropdown([(u.label, u.key) for u in known[0]] if known else [],
                                             value=None, label=K("text.unit_pick.label"), scale=3, elem_id="text-unit-pick")
                self.which = gr.Radio(["h", "c"], value="h", label=K("text.which.label"), scale=1,
                                      info=K("text.which.info"))
                self.unit = gr.Number(0, label=K("text.unit.label"), precision=0, minimum=0, scale=1)
            self.coloured = gr.HTML("", js_on_load=CLICK_JS, max_height=420, padding=True, container=True,
                                    elem_id="text-units")
            self.t = step_slider(0, label=K("text.t.label"))
            with gr.Row():
                self.step_view = gr.HTML("", padding=True)
                self.hmap = w.add(hover_heatmap(i18n.t("text.hmap.label"), elem_id="text-hmap", height=420),
                                  label="text.hmap.label")
            self.trace_state = gr.State(None)  # TextTrace of the generated text: every step, as numpy

        with gr.Accordion(K("text.units.title"), open=False, elem_id="sec-units") as self.sec_units:
            self.units_table = gr.HTML(self.units_table_html(first, "en"))
        self.why_layout()

        with gr.Column(elem_id="sec-surprise") as self.sec_surprise:
            gr.Markdown(K("text.section.surprise"))
            self.pasted = gr.Textbox(label=K("text.pasted.label"), lines=4, value="ROMEO:\nBut soft, what light through "
                                     "yonder window breaks?\n")
            self.score_button = gr.Button(K("text.score_button"))
            self.summary = gr.HTML("")
            self.surprise_view = gr.HTML("", padding=True, container=True, max_height=420, js_on_load=CLICK_JS,
                                         elem_id="text-surprise")
            self.score_shown = gr.State(None)  # the last Score, to write it again in another language


        with gr.Column(elem_id="sec-temperature") as self.sec_temperature:
            self.temperature_md = gr.Markdown(self.temperature_help("en"))
            self.compare_button = gr.Button(K("text.compare_button"))
            with gr.Row():
                self.columns = [gr.Textbox(label=i18n.t("text.column.label", "en", t=T), lines=10, max_lines=20,
                                           interactive=False) for T in TEMPERATURES]

    def why_layout(self) -> None:
        """Asking why: how far back it looks, one unit, select and match, interventions, sampling."""
        self.why_heading = gr.Markdown(K("text.section.why"))
        w = self.words
        with gr.Accordion(K("text.why_conn.title"), open=True, elem_id="sec-why-conn") as self.sec_why_conn:
            gr.Markdown(K("text.why_conn.help"))
            self.conn_view = gr.HTML("", padding=True, container=True, max_height=360, elem_id="text-conn")
            self.conn_shown = gr.State(None)   # what the tint and the plot show, to write it again
            with gr.Row():
                with gr.Column(scale=3):
                    # Gradio draws no colour key for this plot: the HTML under it is one
                    self.conn_plot = w.add(gr.LinePlot(None, x="distance", y="log10 relative connectivity",
                                                       color=views.conn_color(), height=280,
                                                       elem_id="text-conn-plot",
                                                       label=K("text.conn_plot.label"),
                                                       x_title=i18n.t("text.conn_plot.x"),
                                                       y_title=i18n.t("text.conn_plot.y"), tooltip="all",
                                                       color_map=conn_colours("en")),
                                           x_title="text.conn_plot.x", y_title="text.conn_plot.y")
                    self.conn_legend = gr.HTML(views.connectivity_legend(self.legend_colours("en"), "en"),
                                               elem_id="text-conn-key")
                self.conn_words = gr.Markdown(views.connectivity_words(self.data_summaries(), "en"), scale=2)
        with gr.Accordion(K("text.why_unit.title"), open=True, elem_id="sec-why-text-unit") as self.sec_why_text_unit:
            gr.Markdown(K("text.why_unit.help"))
            self.unit_plot = gr.LinePlot(x="step", y="value", height=220, label=K("text.unit_plot.label"),
                                         x_title=i18n.t("text.unit_plot.x"), y_title=i18n.t("text.unit_plot.y"),
                                         tooltip="all", elem_id="text-unit-plot")
            with gr.Row():
                self.unit_contexts = gr.HTML("", padding=True, elem_id="text-unit-contexts")
                self.unit_features = gr.HTML("", padding=True)
        with gr.Accordion(K("text.why_match.title"), open=True, elem_id="sec-why-match") as self.sec_why_match:
            self.match_help = gr.Markdown(i18n.t("text.why_match.help", "en", margin=limits.MATCH_MARGIN))
            with gr.Row():
                self.span_start = gr.Number(None, label=K("text.span_start.label"), precision=0, minimum=1)
                self.span_end = gr.Number(None, label=K("text.span_end.label"), precision=0, minimum=1)
                self.threshold = gr.Number(0.3, label=K("text.threshold.label"), step=0.05, info=K("text.threshold.info"))
                self.match_button = gr.Button(K("text.match_button"))
            self.match_view = gr.HTML("", padding=True, elem_id="text-match")
            self.match_shown = gr.State(None)
        with gr.Accordion(K("text.why_whatif.title"), open=True, elem_id="sec-why-text-whatif") as self.sec_why_text_whatif:
            gr.Markdown(K("text.why_whatif.help"))
            with gr.Row():
                self.clamp_box = gr.Textbox(label=K("text.clamp_box.label"), placeholder=K("text.clamp_box.placeholder"), scale=3,
                                            elem_id="text-clamp")
                self.ablate_box = gr.Textbox(label=K("text.ablate_box.label"), placeholder=K("text.ablate_box.placeholder"), scale=3)
            with gr.Row():
                self.edit_button = gr.Button(K("text.edit_button"), variant="primary", elem_id="text-edit-go")
                self.example_button = gr.Button(K("text.example_button"),
                                                elem_id="text-edit-example")
            self.edit_summary = gr.Markdown(elem_id="text-edit-summary")
            self.edit_shown = gr.State(None)
            with gr.Row():
                self.plain_text = gr.Textbox(label=K("text.plain_text.label"), lines=10, max_lines=16, interactive=False,
                                             elem_id="text-plain")
                self.edited_text = gr.Textbox(label=K("text.edited_text.label"), lines=10, max_lines=16, interactive=False,
                                              elem_id="text-edited")
        with gr.Accordion(K("text.why_sampling.title"), open=True, elem_id="sec-why-sampling") as self.sec_why_sampling:
            gr.Markdown(K("text.why_sampling.help"))
            with gr.Row():
                self.samp_temperature = gr.Slider(0, 3, value=0.8, step=0.05, label=K("text.temperature.label"))
                self.samp_top_k = gr.Slider(0, 65, value=0, step=1, label=K("text.samp_top_k.label"))
            self.sampling_view = gr.HTML("", padding=True, elem_id="text-sampling")

    # The output groups: each handler fills exactly one of these (tests check the keys).
    @property
    def generate_outputs(self) -> list:
        return [self.generated, self.written]

    @property
    def units_outputs(self) -> list:
        return [self.unit_pick, self.units_table, self.which, self.unit]

    @property
    def trace_outputs(self) -> list:
        return [self.trace_state, self.coloured, self.t, self.step_view, self.hmap]

    @property
    def analysis_outputs(self) -> list:
        """After a generation, and after another model is picked: the trace's views and the units."""
        return [*self.trace_outputs, *self.units_outputs]

    @property
    def step_outputs(self) -> list:
        return [self.step_view, self.hmap]

    @property
    def colour_outputs(self) -> list:
        return [self.coloured, self.hmap]

    @property
    def pick_outputs(self) -> list:
        return [self.which, self.unit, *self.colour_outputs]

    @property
    def score_outputs(self) -> list:
        return [self.summary, self.surprise_view, self.score_shown]

    @property
    def click_outputs(self) -> list:
        return [self.t, self.span_start, self.span_end]

    @property
    def connect_outputs(self) -> list:
        return [self.conn_view, self.conn_plot, self.conn_shown]

    @property
    def drill_outputs(self) -> list:
        return [self.unit_plot, self.unit_contexts, self.unit_features]

    @property
    def match_outputs(self) -> list:
        return [self.match_view, self.match_shown]

    @property
    def edit_outputs(self) -> list:
        return [self.edit_summary, self.plain_text, self.edited_text, self.edit_shown]

    @property
    def example_outputs(self) -> list:
        return [self.clamp_box, self.ablate_box]

    @property
    def sampling_outputs(self) -> list:
        return [self.sampling_view]

    # -- the language ---------------------------------------------------------------------------
    @staticmethod
    def temperature_help(lang: str = "en") -> str:
        return i18n.t("text.section.temperature", lang, temperatures=", ".join(map(str, TEMPERATURES)),
                      max=COMPARE_LENGTH)

    def problem_words(self, lang: str = "en") -> dict:
        """The messages about models that could not load, in ``lang`` (none: {})."""
        md = getattr(self, "problems_md", None)
        return {md: problems_markdown(self.problems, lang)} if md is not None else {}

    def static_words(self, lang: str = "en") -> dict:
        """The tab's words Python formats (numbers in them) and its fixed views, in ``lang``:
        sent by the app when the page opens in another language than English, and by the switch."""
        if not self.models:
            return {}
        return {self.length: gr.update(info=i18n.t("text.length.info", lang, max=MAX_LENGTH)),
                self.temperature: gr.update(info=i18n.t("text.temperature.info", lang, max=MAX_TEMPERATURE)),
                self.model: gr.update(choices=[(model_label(n, m, lang), n) for n, m in self.models.items()]),
                self.temperature_md: self.temperature_help(lang),
                self.match_help: i18n.t("text.why_match.help", lang, margin=limits.MATCH_MARGIN),
                self.conn_words: views.connectivity_words(self.data_summaries(lang), lang),
                self.conn_legend: views.connectivity_legend(self.legend_colours(lang), lang),
                **{c: gr.update(label=i18n.t("text.column.label", lang, t=T))
                   for c, T in zip(self.columns, TEMPERATURES)}}

    @property
    def relanguage_inputs(self) -> list:
        """What ``relanguage`` writes again from (the app adds the page's language last)."""
        return [self.model, self.trace_state, self.t, self.which, self.unit, self.samp_temperature, self.samp_top_k,
                self.conn_shown, self.match_shown, self.edit_shown, self.score_shown]

    @property
    def relanguage_outputs(self) -> list:
        return [*self.static_words().keys(), self.units_table, self.unit_pick, self.coloured, self.step_view,
                self.hmap, *self.drill_outputs, *self.sampling_outputs, self.conn_view, self.conn_plot,
                self.match_view, self.edit_summary, self.summary, self.surprise_view]

    def relanguage(self, model, trace: TextTrace | None, t, which, unit, samp_temperature, samp_top_k,
                   conn_shown, match_shown, edit_shown, score_shown, lang: str = "en") -> dict:
        """The language switch: every view Python wrote, again in ``lang``, from what is kept
        (no model runs, except the cheap drill-down and bars); empty views stay as they are."""
        keep = {c: gr.skip() for c in self.relanguage_outputs}
        out = {**keep, **self.static_words(lang)}
        name = trace.model if trace is not None else model
        if name in self.models:
            out[self.units_table] = self.units_table_html(name, lang)
            known = self._units.get(name)
            if known:
                out[self.unit_pick] = gr.update(choices=[(views.unit_label(u, lang), u.key) for u in known[0]])
        if trace is not None:
            t = min(max(int(t or 1), 1), len(trace))
            unit = int(unit or 0)
            which = which if trace.has(which) else "h"
            out.update({self.coloured: views.unit_html(trace, which, unit, lang),
                        **self.step(trace, t, which, unit, lang), **self.drill(trace, which, unit, lang),
                        **self.sampling(trace, t, samp_temperature, samp_top_k, lang)})
        if conn_shown is not None:
            # the plot is emptied here and drawn again by ``replot``, chained after: a LinePlot
            # given a value whose series have other names draws nothing (gradio 6.31, chromium)
            out.update({**self.connectivity_shown(conn_shown, lang), self.conn_plot: None})
        if match_shown is not None:
            out[self.match_view] = views.match_html(*match_shown, lang=lang)
        if edit_shown is not None:
            out[self.edit_summary] = views.side_by_side_md(edit_shown, lang)
        if score_shown is not None:
            out.update({self.summary: views.surprise_summary(score_shown.text, score_shown.surprise, lang),
                        self.surprise_view: views.surprise_html(score_shown.text, score_shown.surprise, lang)})
        return out

    def replot(self, conn_shown, lang: str = "en") -> dict:
        """After ``relanguage``: the connectivity plot again, its series named in ``lang``."""
        if conn_shown is None:
            return {self.conn_plot: gr.skip()}
        return {self.conn_plot: self.connectivity_shown(conn_shown, lang)[self.conn_plot]}

    # -- events ---------------------------------------------------------------------------------
    def wire(self, app: gr.Blocks) -> None:
        """Events.  /generate (streaming) and /score are public; the rest serve the page."""
        if not self.models:
            return
        # /generate and /score are the public API: their inputs stay as documented (their messages
        # follow the session's language, ui_common.session_lang); every other handler takes the
        # page's language as its last input.
        L = [self.lang]
        f = lambda fn: friendly(fn, lang=True)  # noqa: E731
        gen = self.go.click(friendly_stream(self.generate),
                            [self.seed, self.length, self.temperature, self.top_k, self.rng_seed, self.model],
                            self.generate_outputs, api_name="generate", **(WRITER if self.writer else HEAVY))
        analyse_in = [self.written, self.generated, self.which, self.unit, self.t, self.unit_pick, *L]
        drill = dict(fn=f(self.drill), inputs=[self.trace_state, self.which, self.unit, *L],
                     outputs=self.drill_outputs, trigger_mode="always_last", **QUIET)
        sampling = dict(fn=f(self.sampling), inputs=[self.trace_state, self.t, self.samp_temperature,
                                                     self.samp_top_k, *L],
                        outputs=self.sampling_outputs, trigger_mode="always_last", **QUIET)
        connect = dict(fn=f(self.connect), inputs=[self.written, self.generated, self.t, *L],
                       outputs=self.connect_outputs, trigger_mode="always_last", **QUIET, **HEAVY)
        for analysed in (gen.then(f(self.analyse), analyse_in, self.analysis_outputs, **QUIET, **HEAVY),
                         self.stop.click(None, None, None, cancels=[gen], **QUIET).then(
                             f(self.analyse), analyse_in, self.analysis_outputs, **QUIET, **HEAVY)):
            analysed.then(**drill).then(**sampling).then(**connect)
        self.dice.click(self.new_rng_seed, None, [self.rng_seed], queue=False, **QUIET)
        self.t.change(f(self.step), [self.trace_state, self.t, self.which, self.unit, *L], self.step_outputs,
                      trigger_mode="always_last", **QUIET)
        self.t.change(None, self.t, None, js=MARK_JS, **QUIET)
        self.coloured.select(self.click, None, self.click_outputs, **QUIET)
        for c in (self.which, self.unit):
            c.input(f(self.recolour), [self.trace_state, self.which, self.unit, self.t, *L],
                    self.colour_outputs, trigger_mode="always_last", **QUIET).then(**drill)
        self.unit_pick.input(f(self.pick), [self.unit_pick, self.trace_state, self.t, *L], self.pick_outputs,
                             **QUIET).then(**drill)
        self.hmap.select(f(self.click_unit), [self.trace_state, self.which, self.t, *L],
                         [self.unit, *self.colour_outputs], **QUIET).then(**drill)
        self.t.change(**connect)
        # The plot starts empty and is first filled by a click or a generation, with every series
        # at once: a LinePlot that has drawn some series ignores later values adding new ones
        # (gradio 6.31, seen in chromium), so it never shows the over-data curves alone.
        self.surprise_view.select(f(self.connect_pasted), [self.pasted, self.model, *L], self.connect_outputs,
                                  **QUIET, **HEAVY)
        self.t.change(**sampling)
        self.samp_temperature.change(**sampling)
        self.samp_top_k.change(**sampling)
        self.match_button.click(f(self.select_match), [self.trace_state, self.which, self.span_start,
                                                      self.span_end, self.threshold, *L], self.match_outputs,
                                **QUIET, **HEAVY)
        edit_in = [self.seed, self.length, self.temperature, self.top_k, self.rng_seed, self.model,
                   self.clamp_box, self.ablate_box, *L]
        self.edit_button.click(f(self.side_by_side), edit_in, self.edit_outputs, **QUIET, **HEAVY)
        self.example_button.click(f(self.worked_example), [self.model, *L], self.example_outputs,
                                  **QUIET).then(f(self.side_by_side), edit_in, self.edit_outputs,
                                                **QUIET, **HEAVY)
        self.model.input(f(self.switch), [self.model, *L], self.analysis_outputs, **QUIET, **HEAVY)
        self.score_button.click(f(self.score), [self.pasted, self.model, *L], self.score_outputs,
                                api_name="score_view", **QUIET, **HEAVY)  # so the public "score" keeps its name
        self.compare_button.click(f(self.compare), [self.seed, self.length, self.top_k, self.rng_seed,
                                                    self.model, *L], self.columns, **QUIET, **HEAVY)
        gr.api(friendly(self.score_api), api_name="score", **HEAVY)

    # -- generate -------------------------------------------------------------------------------
    def generate(self, seed=DEFAULTS["seed"], length=DEFAULTS["length"], temperature=DEFAULTS["temperature"],
                 top_k=DEFAULTS["top_k"], rng_seed=DEFAULTS["rng_seed"], model="lstm"):
        """Yield the text so far every writer.EVERY seconds and once at the end, with what wrote
        it (kept in a gr.State for the step-by-step view).  With a Writer (``build`` starts one on
        a machine with 2+ cores) the text is written in its worker process, on the other core;
        if that worker is unavailable, here."""
        m = self.loaded(model)
        written = Written(model, seed)
        if self.writer is not None:
            try:
                for text in self.writer.stream(model, seed, length, temperature, top_k, rng_seed):
                    yield {self.generated: text, self.written: written}
                return
            except WriterUnavailable as e:  # raised before any text: write it here instead
                log.warning("%s; writing in the server process", e)
        # stream() checks every argument (and the seed's characters) before the first character
        steps = m.stream(seed, length, temperature, top_k, rng_seed, n_top=0)
        for text, _ in texts_so_far(steps):
            yield {self.generated: text, self.written: written}

    def new_rng_seed(self) -> dict:
        return {self.rng_seed: int(np.random.default_rng().integers(0, 2**31))}

    # -- see each step --------------------------------------------------------------------------
    def analyse(self, written: Written | None, text, which, unit, t, picked, lang: str = "en") -> dict:
        """After generation (or Stop): trace the text once into a gr.State and show step t.  Until
        a unit has been picked, the first unit worth looking at is shown (found now if needed)."""
        if written is None or not text:
            return {**self.cleared(), **skip(self.units_outputs)}
        m = self.loaded(written.model)
        trace = analysis.trace_text(m, written.seed, text)
        shown_units = skip(self.units_outputs)
        if not picked:
            shown_units = self.show_units(written.model, lang)
            found = self.units(written.model)[0]
            if found:
                which, unit = found[0].state_name, found[0].unit
        which = which if trace.has(which) else "h"
        unit = min(int(unit or 0), m.hidden - 1)
        t = min(max(int(t or 1), 1), len(text))
        return {self.trace_state: trace, self.coloured: views.unit_html(trace, which, unit, lang),
                self.t: step_slider(len(text), t), self.step_view: views.step_html(trace, t, lang=lang),
                self.hmap: views.heatmap_value(trace, which, t, unit, lang=lang), **shown_units}

    def cleared(self) -> dict:
        """The trace's views emptied (no text, or the trace was another model's)."""
        return {self.trace_state: None, self.coloured: "", self.t: step_slider(0), self.step_view: "",
                self.hmap: None}

    def step(self, trace: TextTrace | None, t, which, unit, lang: str = "en") -> dict:
        """Slider move: re-render from the stored trace."""
        if trace is None:
            return {self.step_view: "", self.hmap: None}
        return {self.step_view: views.step_html(trace, t, lang=lang),
                self.hmap: views.heatmap_value(trace, which, t, int(unit), lang=lang)}

    def recolour(self, trace: TextTrace | None, which, unit, t, lang: str = "en") -> dict:
        """Another unit or state: recolour the text and move the heatmap's unit marker."""
        if trace is None:
            return {self.coloured: "", self.hmap: None}
        unit = int(unit)
        return {self.coloured: views.unit_html(trace, which, unit, lang),
                self.hmap: views.heatmap_value(trace, which, t, unit, lang=lang)}

    def pick(self, choice, trace: TextTrace | None, t, lang: str = "en") -> dict:
        """A unit from the 'worth looking at' list ("c:25"): set the h/c radio and the unit too."""
        if not choice:
            return skip(self.pick_outputs)
        which, unit = choice.split(":")
        return {self.which: which, self.unit: int(unit), **self.recolour(trace, which, int(unit), t, lang)}

    def click(self, evt: gr.SelectData) -> dict:
        """A character clicked in the coloured text: move the step slider there.  A span dragged
        over (index [first, last]): fill the select-and-match span."""
        if isinstance(evt.index, (list, tuple)):
            a, b = (int(i) for i in evt.index[:2])
            return {self.t: gr.skip(), self.span_start: a, self.span_end: b}
        return {self.t: int(evt.index), self.span_start: gr.skip(), self.span_end: gr.skip()}

    def click_unit(self, trace: TextTrace | None, which, t, evt: gr.SelectData, lang: str = "en") -> dict:
        """A cell of the heatmap clicked (index [unit, step]): open that unit."""
        try:
            unit = int(evt.index[0])
        except (TypeError, ValueError, IndexError):
            unit = None
        if trace is None or unit is None or not 0 <= unit < trace.acts("h").shape[1]:
            return {self.unit: gr.skip(), self.coloured: gr.skip(), self.hmap: gr.skip()}
        return {self.unit: unit, **self.recolour(trace, which, unit, t, lang)}

    # -- asking why -----------------------------------------------------------------------------
    def lookups(self, name: str):
        """The precomputed lookups of model `name`, or None (missing or stale: say so once)."""
        try:
            return self.loaded(name).lookups()
        except WeightsError:
            return None

    def data_curves(self, lang: str = "en") -> dict:
        """Over data: {"LSTM · validation mean": mean connectivity by distance, ...}."""
        out = {}
        for name in CONN_MODELS:
            lk = self.lookups(name) if name in self.models else None
            if lk is not None:
                out[series_name(name, "mean", lang)] = lk.conn_mean
        return views.connectivity_frame(out, lang=lang)

    def data_summaries(self, lang: str = "en") -> dict:
        out = {}
        for name in CONN_MODELS:
            lk = self.lookups(name) if name in self.models else None
            if lk is not None:
                out[model_title(name, lang)] = lk.meta["connectivity"]
        return out

    def legend_colours(self, lang: str = "en") -> dict[str, str]:
        """The connectivity plot's series that this app can draw, by name in ``lang``: colour."""
        return {series_name(n, k, lang): c for (n, k), c in CONN_COLOURS.items()
                if n in self.models and (k == "text" or self.lookups(n) is not None)}

    def connectivity_views(self, text: str, position: int, name: str, lang: str = "en") -> dict:
        """Tint `text` for the prediction of text[position] by `name`; the plot: each loaded model
        on the same text (where it knows every character) and the over-data means."""
        conn = self.loaded(name).connectivity(text, position)
        curves = []  # (model, "text" | "mean", connectivity by distance)
        for other in CONN_MODELS:
            if other not in self.models:
                continue
            try:
                c = conn if other == name else self.models[other].connectivity(text, position)
            except ValueError:  # a character the other model does not know
                continue
            curves.append((other, "text", c[::-1]))
        for other in CONN_MODELS:
            lk = self.lookups(other) if other in self.models else None
            if lk is not None:
                curves.append((other, "mean", lk.conn_mean))
        shown = (text, position, conn, name, curves)
        return {**self.connectivity_shown(shown, lang), self.conn_shown: shown}

    def connectivity_shown(self, shown, lang: str = "en") -> dict:
        """The tint and the plot of a connectivity result (``conn_shown``) in ``lang``."""
        text, position, conn, name, curves = shown
        frame = views.connectivity_frame({series_name(n, k, lang): c for n, k, c in curves}, lang=lang)
        return {self.conn_view: views.connectivity_html(text, position, conn,
                                                        model_label(name, self.loaded(name), lang), lang=lang),
                self.conn_plot: gr.update(value=frame, color_map=conn_colours(lang), color=views.conn_color(lang))}

    def connect(self, written: Written | None, text, t, lang: str = "en") -> dict:
        """Step t of the generated text: the prediction of its t-th character, from seed + text."""
        if written is None or not text:
            return {self.conn_view: "", self.conn_plot: gr.skip(), self.conn_shown: None}
        t = min(max(int(t or 1), 1), len(text))
        full = written.seed + text
        position = len(written.seed) + t - 1
        start = max(0, position - limits.MAX_CONNECTIVITY)  # the last MAX_CONNECTIVITY characters at most
        out = self.connectivity_views(full[start:position + 1], position - start, written.model, lang)
        return out

    def connect_pasted(self, text, name, evt: gr.SelectData, lang: str = "en") -> dict:
        """A character of the scored text clicked (data-t: 1-based)."""
        text = limits.check_score_text(text)
        index = evt.index[-1] if isinstance(evt.index, (list, tuple)) else evt.index  # a drag: its last character
        position = limits.check_position(int(index) - 1, len(text))
        return self.connectivity_views(text, position, name, lang)

    def drill(self, trace: TextTrace | None, which, unit, lang: str = "en") -> dict:
        """One unit: its value along the text, its top contexts, its feature correlations."""
        if trace is None:
            return {self.unit_plot: None, self.unit_contexts: "", self.unit_features: ""}
        m = self.loaded(trace.model)
        which = limits.check_state(which if trace.has(which) else "h", m.cell)
        unit = limits.check_unit(unit, m.hidden)
        v = trace.unit_values(which, unit)
        feats = units.text_features(trace.text)
        names = list(units.FEATURES)
        r_text = units.correlate(np.stack([feats[k] for k in names], 1), v[:, None])[:, 0] if len(v) > 2 else None
        lk = self.lookups(trace.model)
        if lk is None:
            ctx = f"<p>{views.esc(i18n.t('text.contexts.none', lang))}</p>"
            r_val = np.full(len(names), np.nan)
        else:
            lim = max(abs(float(lk.unit_max[lk.index(which), unit])), abs(float(lk.unit_min[lk.index(which), unit])),
                      1e-3) if which == "c" else 1.0
            ctx = views.contexts_html(lk.contexts(which, unit), which, unit, lim, lang)
            r_val = lk.correlations(which, unit)
        return {self.unit_plot: gr.LinePlot(views.unit_frame(v, trace.text, lang),
                                            label=i18n.t("text.unit_plot.along", lang, state=which, unit=unit),
                                            x_title=i18n.t("text.unit_plot.x", lang),
                                            y_title=i18n.t("text.unit_plot.y", lang)),
                self.unit_contexts: ctx,
                self.unit_features: views.features_html(names, [units.FEATURES[k] for k in names], r_val, r_text,
                                                        lang)}

    def validation_acts(self, name: str):
        """The validation split's text and top-layer activations of model `name`, computed once per
        process (None when the data is not here)."""
        if name not in self._val:
            lk = self.lookups(name)
            text = matching.read_validation(self.data_dir, lk.meta) if lk is not None else None
            self._val[name] = (text, matching.validation_activations(self.loaded(name), text)) if text else None
        return self._val[name]

    def select_match(self, trace: TextTrace | None, which, start, end, threshold, lang: str = "en") -> dict:
        """Span (1-based steps, end included) + threshold -> the units on there and their matches."""
        if trace is None:
            raise ValueError("Generate some text first, then drag over a few characters of it.")
        m = self.loaded(trace.model)
        which = limits.check_state(which if trace.has(which) else "h", m.cell)
        if start is None or end is None:
            raise ValueError("Choose a span: drag over some characters of the coloured text, or type its first "
                             "and last step.")
        s, e = limits.check_span(limits.check_whole("Span start", start, 1, len(trace), " (a step)") - 1,
                                 limits.check_whole("Span end", end, 1, len(trace), " (a step)"), len(trace))
        threshold = limits.check_threshold(threshold)
        selected = matching.select_units(trace.acts(which), s, e, threshold)
        found, passages, seconds = None, [], 0.0
        val = self.validation_acts(trace.model) if selected else None
        if val is not None:
            text, acts = val
            t0 = time.perf_counter()
            found = matching.match(acts[which][:-1], [u.unit for u in selected], threshold, e - s)
            seconds = time.perf_counter() - t0
            # run [a, b) of acts[:-1] = the states that chose characters a + 1 .. b of the split
            for a, b in found.passages:
                passages.append((text[max(a + 1 - matching.CONTEXT, 0):a + 1], text[a + 1:b + 1],
                                 text[b + 1:b + 1 + matching.CONTEXT]))
        shown = (selected, which, threshold, trace.text[s:e], found, passages, seconds)
        return {self.match_view: views.match_html(*shown, lang=lang), self.match_shown: shown}

    def side_by_side(self, seed, length, temperature, top_k, rng_seed, name, clamp_text, ablate_text,
                     lang: str = "en") -> dict:
        """The unedited and the edited model, same seed and settings (at most EDIT_LENGTH each)."""
        m = self.loaded(name)
        clamp, ablate = interventions.parse_clamp(clamp_text), interventions.parse_units(ablate_text)
        length = min(limits.check_length(length), EDIT_LENGTH)
        lk = self.lookups(name)
        ll = lk.line_lengths if lk is not None else {}
        usual = (ll.get("p25", 20.0), ll.get("p75", 45.0))
        cmp = interventions.side_by_side(m, seed, length, temperature, top_k, rng_seed, clamp, ablate, usual)
        return {self.edit_summary: views.side_by_side_md(cmp, lang), self.plain_text: cmp.plain,
                self.edited_text: cmp.edited, self.edit_shown: cmp}

    def worked_example(self, name, lang: str = "en") -> dict:
        """Clamp the unit the units file says tracks the position in the line ("column") to its
        value far along a line (its lowest over the validation split when r < 0, else its highest)."""
        found = self.units(name)[0]
        col = next((u for u in found if u.feature == "column"), None)
        if col is None:
            raise ValueError("No unit of this model tracks the position in the line strongly enough to try.")
        lk = self.lookups(name)
        if lk is None:
            value = -2.0 if col.r < 0 else 2.0
        else:
            k = lk.index(col.state_name)
            value = float(lk.unit_min[k, col.unit] if col.r < 0 else lk.unit_max[k, col.unit])
        return {self.clamp_box: f"{col.state_name}{col.unit} = {value:.2f}", self.ablate_box: ""}

    def sampling(self, trace: TextTrace | None, t, temperature, top_k, lang: str = "en") -> dict:
        """Step t's next-character bars before and after temperature and top-k."""
        if trace is None:
            return {self.sampling_view: ""}
        t = min(max(int(t or 1), 1), len(trace))
        p = trace.probs[t - 1].astype(np.float64)
        p = p / p.sum()
        q = analysis.reshape(p, temperature, int(top_k or 0))
        return {self.sampling_view: views.sampling_html(p, q, trace.vocab, trace.text[t - 1], float(temperature),
                                                        int(top_k or 0), lang=lang)}

    # -- units worth looking at -----------------------------------------------------------------
    def saved_units(self, name: str) -> tuple[list[units.Unit], str] | None:
        """Units from weights/char_NAME_units.json if it was made for these weights (no search)."""
        if name not in self._units:
            found = units.load_units(units.units_path(self.weights_dir, name),
                                     self.loaded(name).meta.get("weights_sha256"))
            if found is not None:
                self._units[name] = found
        return self._units.get(name)

    def units(self, name: str) -> tuple[list[units.Unit], str]:
        """Units for model `name`: saved ones, else found once on text the model writes itself."""
        if self.saved_units(name) is None:
            self._units[name] = units.discover_on_own_text(self.loaded(name), self.discovery_chars)
        return self._units[name]

    def units_table_html(self, name: str, lang: str = "en") -> str:
        """The units table of model `name` if its units are known yet (no search), else a hint."""
        known = self._units.get(name) or (self.saved_units(name) if name in self.models else None)
        if known is None:
            return f"<p>{views.esc(i18n.t('text.units.none_yet', lang))}</p>"
        return views.units_table_html(*known, lang=lang)

    def show_units(self, name, lang: str = "en") -> dict:
        """The units list, its table, and the h/c radio and unit number set to the first unit."""
        found, source = self.units(name)
        first = found[0] if found else units.Unit("", "", "h", 0, 0.0)
        m = self.loaded(name)
        return {self.unit_pick: gr.Dropdown(choices=[(views.unit_label(u, lang), u.key) for u in found],
                                            value=first.key if found else None),
                self.units_table: views.units_table_html(found, source, lang),
                self.which: gr.Radio(choices=["h", "c"] if m.cell == "lstm" else ["h"], value=first.state_name),
                self.unit: gr.Number(value=first.unit, maximum=m.hidden - 1)}

    def switch(self, name, lang: str = "en") -> dict:
        """Another model: its units, and the step views cleared (the trace was the other model's)."""
        return {**self.show_units(name, lang), **self.cleared()}

    # -- surprise and temperature ---------------------------------------------------------------
    def score(self, text, name, lang: str = "en") -> dict:
        """Pasted text -> the summary and the characters coloured by surprise."""
        s = analysis.score_text(self.loaded(name), text)
        return {self.summary: views.surprise_summary(s.text, s.surprise, lang),
                self.surprise_view: views.surprise_html(s.text, s.surprise, lang), self.score_shown: s}

    def score_api(self, text: str, model: str = "lstm") -> dict:
        """How surprising is `text` (2 to 10,000 characters) to `model` ("lstm" or "rnn")?
        Returns {"model", "chars", "nats_per_char", "bits_per_char", "surprise": [−ln p per
        character after the first]}."""
        m = self.loaded(model)
        return analysis.score_text(m, text).answer()

    def compare(self, seed, length, top_k, rng_seed, name, lang: str = "en") -> dict:
        """The same seed and random seed at each of TEMPERATURES (at most COMPARE_LENGTH chars)."""
        texts = analysis.compare_temperatures(self.loaded(name), seed, length, top_k, rng_seed)
        return dict(zip(self.columns, texts))


def build(app: gr.Blocks, weights_dir=None, lang: gr.State | None = None) -> TextTab:
    """Add the Text tab's components and events to the current Blocks/Tab context.  ``lang``:
    the page's language (a gr.State of "en" / "zh-CN"; None: English)."""
    tab = TextTab(*load_available(CHAR_MODELS, load_char_model, weights_dir), weights_dir=weights_dir)
    tab.lang = lang
    if tab.models and use_writer():
        tab.writer = shared_writer(weights_dir, tuple(tab.models))
    tab.layout()
    tab.wire(app)
    return tab
