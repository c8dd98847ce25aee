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

    python app.py          # then open the Text tab

API: ``/generate`` (streaming) takes seed, length, temperature, top_k, rng_seed, model and yields
the text so far; ``/score`` takes text, model and returns nats/char; see README.md.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np

from demo.checkpoint import WEIGHTS_DIR
from demo.text import analysis, units, views
from demo.text.analysis import COMPARE_LENGTH, TEMPERATURES, TextTrace
from demo.text.limits import MAX_LENGTH, MAX_TEMPERATURE
from demo.text.model import CharModel, load_char_model
from demo.ui_common import HEAVY, QUIET, friendly, friendly_stream, heat_image, load_available, png

CHAR_MODELS = {"lstm": "LSTM", "rnn": "Vanilla RNN"}
STREAM_EVERY = 0.05             # s between partial outputs: light on the connection, smooth to read
DEFAULTS = dict(seed="ROMEO:\n", length=500, temperature=0.8, top_k=0, rng_seed=0)
CSS = ""
# Moving the step slider outlines that character in the browser (no re-render of the text).
MARK_JS = ("(t) => { document.querySelectorAll('#text-units [data-t]').forEach((s) => { "
           "s.style.outline = s.dataset.t == String(t) ? '2px solid #ff8c00' : ''; }); return t; }")
# A click on a character of the coloured text selects that step (spans carry data-t).
CLICK_JS = ("element.addEventListener('click', (e) => { const s = e.target.closest('[data-t]'); "
            "if (s) trigger('select', {index: Number(s.dataset.t), value: s.textContent}); });")


@dataclass(frozen=True)
class Written:
    """What wrote the text in the output box (kept in a gr.State: the seed box may change after)."""
    model: str
    seed: str


def step_slider(n: int, t: int = 1, **kwargs) -> gr.Slider:
    """Step 1..n (gradio wants maximum > minimum: a 1-character text gets 1..2, clamped later)."""
    return gr.Slider(1, max(n, 2), value=t, step=1, **kwargs)


def model_label(name: str, m: CharModel) -> str:
    return f"{CHAR_MODELS.get(name, name)} ({m.layers}×{m.hidden})"


def skip(components) -> dict:
    return {c: gr.skip() for c in components}


class TextTab:
    """The tab's components (made by ``layout``), its events (``wire``) and its handlers.  Units
    found are cached here, so each model's discovery runs at most once per process (and only when
    first needed)."""

    def __init__(self, models: dict[str, CharModel], problems: list[str] = (), weights_dir=None):
        self.models = models
        self.problems = list(problems)
        self.weights_dir = Path(weights_dir or WEIGHTS_DIR)
        self.discovery_chars = units.DISCOVERY_CHARS
        self._units: dict[str, tuple[list[units.Unit], str]] = {}

    def loaded(self, name) -> CharModel:
        if name not in self.models:
            raise ValueError(f"no character model {name!r} is loaded; choose one of {', '.join(self.models)}")
        return self.models[name]

    # -- layout ---------------------------------------------------------------------------------
    def layout(self) -> None:
        if self.problems:
            gr.Markdown("\n\n".join(self.problems))
        if not self.models:
            return
        first = next(iter(self.models))
        known = self.saved_units(first)  # from weights/char_NAME_units.json; else found after a generation

        gr.Markdown("A character-level RNN trained on Tiny Shakespeare writes one character at a time. "
                    "Generate text, then look inside every step.")
        with gr.Row():
            self.seed = gr.Textbox(DEFAULTS["seed"], label="Seed: the text it starts from", lines=2, scale=3)
            self.model = gr.Dropdown([(model_label(n, m), n) for n, m in self.models.items()], value=first,
                                     label="Model", scale=1)
        with gr.Row():
            self.length = gr.Number(DEFAULTS["length"], label="Length", step=1,
                                    info=f"1 to {MAX_LENGTH:,} characters")
            self.temperature = gr.Number(DEFAULTS["temperature"], label="Temperature", step=0.1,
                                         info=f"0 = most likely; 1 = the model's odds; up to {MAX_TEMPERATURE:g}")
            self.top_k = gr.Number(DEFAULTS["top_k"], label="Top-k", step=1, info="0 = off; else the k likeliest")
            self.rng_seed = gr.Number(DEFAULTS["rng_seed"], label="Random seed", step=1,
                                      info="same seed + settings = same text; empty = random")
        with gr.Row():
            self.go = gr.Button("Generate", variant="primary")
            self.stop = gr.Button("■ Stop")
            self.dice = gr.Button("🎲 New random seed")
        self.generated = gr.Textbox(label="Generated text", lines=10, max_lines=20, interactive=False,
                                    buttons=["copy"])
        self.written = gr.State(None)  # Written: the model and seed of the generated text

        gr.Markdown("## See each step\nEach character is coloured by one hidden unit in the state that "
                    "chose it (blue negative, red positive). Pick a unit; click a character or move the "
                    "slider to see that step.")
        with gr.Row():
            self.unit_pick = gr.Dropdown([(u.label, u.key) for u in known[0]] if known else [],
                                         value=None, label="Units worth looking at", scale=3)
            self.which = gr.Radio(["h", "c"], value="h", label="State", scale=1,
                                  info="h: hidden state; c: LSTM cell state")
            self.unit = gr.Number(0, label="Unit", precision=0, minimum=0, scale=1)
        self.coloured = gr.HTML("", js_on_load=CLICK_JS, max_height=420, padding=True, container=True,
                                elem_id="text-units")
        self.t = step_slider(0, label="Step: click a character or drag")
        with gr.Row():
            self.step_view = gr.HTML("", padding=True)
            self.hmap = heat_image("State: units × steps around the selected step (orange)", height=420)
        self.trace_state = gr.State(None)  # TextTrace of the generated text: every step, as numpy

        with gr.Accordion("Units worth looking at: how they were found", open=False):
            self.units_table = gr.HTML(views.units_table_html(*known) if known else
                                       "<p>Generate some text first: the units are found on first use.</p>")

        gr.Markdown("## How surprising is this text?\nPaste any text: each character is coloured by the "
                    "model's surprise −ln p (hover for numbers).")
        self.pasted = gr.Textbox(label="Text to score", lines=4, value="ROMEO:\nBut soft, what light through "
                                 "yonder window breaks?\n")
        self.score_button = gr.Button("Score")
        self.summary = gr.HTML("")
        self.surprise_view = gr.HTML("", padding=True, container=True, max_height=420)

        gr.Markdown(f"## Temperature\nThe same seed and random seed at temperatures "
                    f"{', '.join(map(str, TEMPERATURES))} (at most {COMPARE_LENGTH:,} characters each).")
        self.compare_button = gr.Button("Compare temperatures")
        with gr.Row():
            self.columns = [gr.Textbox(label=f"temperature {T}", lines=10, max_lines=20, interactive=False)
                            for T in TEMPERATURES]

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
        return [self.summary, self.surprise_view]

    # -- events ---------------------------------------------------------------------------------
    def wire(self, app: gr.Blocks) -> None:
        """Events.  /generate (streaming) and /score are public; the rest serve the page."""
        if not self.models:
            return
        gen = self.go.click(friendly_stream(self.generate),
                            [self.seed, self.length, self.temperature, self.top_k, self.rng_seed, self.model],
                            self.generate_outputs, api_name="generate", **HEAVY)
        analyse_in = [self.written, self.generated, self.which, self.unit, self.t, self.unit_pick]
        gen.then(friendly(self.analyse), analyse_in, self.analysis_outputs, **QUIET, **HEAVY)
        self.stop.click(None, None, None, cancels=[gen], **QUIET).then(
            friendly(self.analyse), analyse_in, self.analysis_outputs, **QUIET, **HEAVY)
        self.dice.click(self.new_rng_seed, None, [self.rng_seed], queue=False, **QUIET)
        self.t.change(friendly(self.step), [self.trace_state, self.t, self.which, self.unit], self.step_outputs,
                      trigger_mode="always_last", **QUIET)
        self.t.change(None, self.t, None, js=MARK_JS, **QUIET)
        self.coloured.select(self.click, None, [self.t], **QUIET)
        for c in (self.which, self.unit):
            c.input(friendly(self.recolour), [self.trace_state, self.which, self.unit, self.t],
                    self.colour_outputs, trigger_mode="always_last", **QUIET)
        self.unit_pick.input(friendly(self.pick), [self.unit_pick, self.trace_state, self.t], self.pick_outputs,
                             **QUIET)
        self.model.input(friendly(self.switch), [self.model], self.analysis_outputs, **QUIET, **HEAVY)
        self.score_button.click(friendly(self.score), [self.pasted, self.model], self.score_outputs,
                                api_name="score_view", **QUIET, **HEAVY)  # so the public "score" keeps its name
        self.compare_button.click(friendly(self.compare), [self.seed, self.length, self.top_k, self.rng_seed,
                                                           self.model], self.columns, **QUIET, **HEAVY)
        gr.api(friendly(self.score_api), api_name="score", **HEAVY)

    # -- generate -------------------------------------------------------------------------------
    def generate(self, seed=DEFAULTS["seed"], length=DEFAULTS["length"], temperature=DEFAULTS["temperature"],
                 top_k=DEFAULTS["top_k"], rng_seed=DEFAULTS["rng_seed"], model="lstm"):
        """Yield the text so far every STREAM_EVERY seconds and once at the end, with what wrote
        it (kept in a gr.State for the step-by-step view)."""
        m = self.loaded(model)
        # stream() checks every argument (and the seed's characters) before the first character
        steps = m.stream(seed, length, temperature, top_k, rng_seed, n_top=0)
        written = Written(model, seed)
        chars, last = [], 0.0
        for step in steps:
            chars.append(step.char)
            if time.perf_counter() - last >= STREAM_EVERY:  # the first character goes out at once
                yield {self.generated: "".join(chars), self.written: written}
                last = time.perf_counter()  # from resuming: gradio's own time per output is not ours
        yield {self.generated: "".join(chars), self.written: written}

    def new_rng_seed(self) -> dict:
        return {self.rng_seed: int(np.random.default_rng().integers(0, 2**31))}

    # -- see each step --------------------------------------------------------------------------
    def analyse(self, written: Written | None, text, which, unit, t, picked) -> dict:
        """After generation (or Stop): trace the text once into a gr.State and show step t.  Until
        a unit has been picked, the first unit worth looking at is shown (found now if needed)."""
        if written is None or not text:
            return {**self.cleared(), **skip(self.units_outputs)}
        m = self.loaded(written.model)
        trace = analysis.trace_text(m, written.seed, text)
        shown_units = skip(self.units_outputs)
        if not picked:
            shown_units = self.show_units(written.model)
            found = self.units(written.model)[0]
            if found:
                which, unit = found[0].state_name, found[0].unit
        which = which if trace.has(which) else "h"
        unit = min(int(unit or 0), m.hidden - 1)
        t = min(max(int(t or 1), 1), len(text))
        return {self.trace_state: trace, self.coloured: views.unit_html(trace, which, unit),
                self.t: step_slider(len(text), t), self.step_view: views.step_html(trace, t),
                self.hmap: png(views.heatmap_image(trace, which, t, unit)), **shown_units}

    def cleared(self) -> dict:
        """The trace's views emptied (no text, or the trace was another model's)."""
        return {self.trace_state: None, self.coloured: "", self.t: step_slider(0), self.step_view: "",
                self.hmap: None}

    def step(self, trace: TextTrace | None, t, which, unit) -> dict:
        """Slider move: re-render from the stored trace."""
        if trace is None:
            return {self.step_view: "", self.hmap: None}
        return {self.step_view: views.step_html(trace, t),
                self.hmap: png(views.heatmap_image(trace, which, t, int(unit)))}

    def recolour(self, trace: TextTrace | None, which, unit, t) -> dict:
        """Another unit or state: recolour the text and move the heatmap's unit marker."""
        if trace is None:
            return {self.coloured: "", self.hmap: None}
        unit = int(unit)
        return {self.coloured: views.unit_html(trace, which, unit),
                self.hmap: png(views.heatmap_image(trace, which, t, unit))}

    def pick(self, choice, trace: TextTrace | None, t) -> dict:
        """A unit from the 'worth looking at' list ("c:25"): set the h/c radio and the unit too."""
        if not choice:
            return skip(self.pick_outputs)
        which, unit = choice.split(":")
        return {self.which: which, self.unit: int(unit), **self.recolour(trace, which, int(unit), t)}

    def click(self, evt: gr.SelectData) -> dict:
        """A character clicked in the coloured text: move the step slider there."""
        return {self.t: int(evt.index)}

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

    def show_units(self, name) -> dict:
        """The units list, its table, and the h/c radio and unit number set to the first unit."""
        found, source = self.units(name)
        first = found[0] if found else units.Unit("", "", "h", 0, 0.0)
        m = self.loaded(name)
        return {self.unit_pick: gr.Dropdown(choices=[(u.label, u.key) for u in found],
                                            value=first.key if found else None),
                self.units_table: views.units_table_html(found, source),
                self.which: gr.Radio(choices=["h", "c"] if m.cell == "lstm" else ["h"], value=first.state_name),
                self.unit: gr.Number(value=first.unit, maximum=m.hidden - 1)}

    def switch(self, name) -> dict:
        """Another model: its units, and the step views cleared (the trace was the other model's)."""
        return {**self.show_units(name), **self.cleared()}

    # -- surprise and temperature ---------------------------------------------------------------
    def score(self, text, name) -> dict:
        """Pasted text -> the summary and the characters coloured by surprise."""
        s = analysis.score_text(self.loaded(name), text)
        return {self.summary: views.surprise_summary(s.text, s.surprise),
                self.surprise_view: views.surprise_html(s.text, s.surprise)}

    def score_api(self, text: str, model: str = "lstm") -> dict:
        """How surprising is `text` (2 to 10,000 characters) to `model` ("lstm" or "rnn")?
        Returns {"model", "chars", "nats_per_char", "bits_per_char", "surprise": [−ln p per
        character after the first]}."""
        m = self.loaded(model)
        return analysis.score_text(m, text).answer()

    def compare(self, seed, length, top_k, rng_seed, name) -> dict:
        """The same seed and random seed at each of TEMPERATURES (at most COMPARE_LENGTH chars)."""
        texts = analysis.compare_temperatures(self.loaded(name), seed, length, top_k, rng_seed)
        return dict(zip(self.columns, texts))


def build(app: gr.Blocks, weights_dir=None) -> TextTab:
    """Add the Text tab's components and events to the current Blocks/Tab context."""
    tab = TextTab(*load_available(CHAR_MODELS, load_char_model, weights_dir), weights_dir=weights_dir)
    tab.layout()
    tab.wire(app)
    return tab
