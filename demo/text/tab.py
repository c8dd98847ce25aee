"""The Text tab: a character-level RNN writes Shakespeare one character at a time, and you look
inside every step.  ``build(app, weights_dir)`` adds the tab's components and events to the
current ``gr.Blocks``/``gr.Tab`` context; ``demo.app.build_app`` calls it.  What is shown is computed
by ``demo.text.views`` (pure functions); this module only wires gradio.

    python app.py          # then open the Text tab

API: ``/generate`` (streaming) takes seed, length, temperature, top_k, rng_seed, model and yields
the text so far; ``/score`` takes text, model and returns nats/char; see README.md.
"""
import math
import time
from pathlib import Path

import gradio as gr
import numpy as np
import torch

from demo.text import views as tv
from demo.checkpoint import WEIGHTS_DIR
from demo.text.model import CharModel, load_char_model
from demo.ui_common import QUEUE, friendly, friendly_stream, heat_image, load_available

CHAR_MODELS = {"lstm": "LSTM", "rnn": "Vanilla RNN"}
STREAM_EVERY = 0.05             # s between partial outputs: light on the connection, smooth to read
TEMPERATURES = (0.3, 0.8, 1.5)
COMPARE_LENGTH = 1_000          # characters per column in the temperature comparison
DISCOVERY_CHARS = 4_000         # generated characters to find units on when no units file exists
DEFAULTS = dict(seed="ROMEO:\n", length=500, temperature=0.8, top_k=0, rng_seed=0)
# Model-running events share one pool as wide as the app's default (2 CPU cores).
HEAVY = dict(concurrency_id="char_model", concurrency_limit=QUEUE["default_concurrency_limit"])
QUIET = dict(show_progress="hidden", api_visibility="private")
# Moving the step slider outlines that character in the browser (no re-render of the text).
CSS = ""
MARK_JS = ("(t) => { document.querySelectorAll('#text-units [data-t]').forEach((s) => { "
           "s.style.outline = s.dataset.t == String(t) ? '2px solid #ff8c00' : ''; }); return t; }")
# A click on a character of the coloured text selects that step (spans carry data-t).
CLICK_JS = ("element.addEventListener('click', (e) => { const s = e.target.closest('[data-t]'); "
            "if (s) trigger('select', {index: Number(s.dataset.t), value: s.textContent}); });")


def pin_threads() -> None:
    """Re-apply torch's thread count in this worker thread.  OpenMP keeps it per thread: gradio's
    worker threads otherwise start with the default team, and on a busy 2-core machine sampling
    ran ~100x slower there (78 vs 8,000 chars/s).  Costs well under a microsecond."""
    torch.set_num_threads(torch.get_num_threads())


def step_slider(n: int, t: int = 1, **kwargs) -> gr.Slider:
    """Step 1..n (gradio wants maximum > minimum: a 1-character text gets 1..2, clamped later)."""
    return gr.Slider(1, max(n, 2), value=t, step=1, **kwargs)


def model_label(name: str, m: CharModel) -> str:
    return f"{CHAR_MODELS.get(name, name)} ({m.layers}×{m.hidden})"


class TextHandlers:
    """Event handlers over the loaded character models.  Units found are cached here, so each
    model's discovery runs at most once per process (and only when first needed)."""

    def __init__(self, models: dict[str, CharModel], weights_dir=None):
        self.models = models
        self.weights_dir = Path(weights_dir or WEIGHTS_DIR)
        self._units: dict[str, tuple[list[tv.Unit], str]] = {}

    def model(self, name) -> CharModel:
        if name not in self.models:
            raise ValueError(f"no character model {name!r} is loaded; choose one of {', '.join(self.models)}")
        return self.models[name]

    # -- generate ------------------------------------------------------------------------------
    def generate(self, seed=DEFAULTS["seed"], length=DEFAULTS["length"], temperature=DEFAULTS["temperature"],
                 top_k=DEFAULTS["top_k"], rng_seed=DEFAULTS["rng_seed"], model="lstm"):
        """Yield (text so far, settings) every STREAM_EVERY seconds and once at the end; the
        settings (model, seed) are kept in a gr.State for the step-by-step view."""
        pin_threads()
        m = self.model(model)
        req = tv.check_request(seed, length, temperature, top_k, rng_seed, len(m.vocab))
        steps = m.stream(**req, trace=False)  # checks the seed's characters before the first yield
        settings = {"model": model, "seed": req["seed"]}
        chars, last = [], 0.0
        for step in steps:
            chars.append(step.char)
            if time.perf_counter() - last >= STREAM_EVERY:  # the first character goes out at once
                yield "".join(chars), settings
                last = time.perf_counter()  # from resuming: gradio's own time per output is not ours
                pin_threads()  # each next() may run in another worker thread
        yield "".join(chars), settings

    # -- see each step ---------------------------------------------------------------------------
    def analyse(self, settings, text, state, unit, t, picked):
        """After generation (or Stop): trace the text once into a gr.State and show step t.  Until
        a unit has been picked, the first unit worth looking at is shown (found now if needed)."""
        if not settings or not text:
            return [None, "", step_slider(0), "", None] + [gr.skip()] * 4
        pin_threads()
        m = self.model(settings["model"])
        trace = tv.trace_text(m, settings["seed"], text)
        units = [gr.skip()] * 4
        if not picked:
            units = self.show_units(settings["model"])
            found = self.units(settings["model"])[0]
            if found:
                state, unit = found[0].state, found[0].unit
        state = state if trace.get(state) is not None else "h"
        unit = min(int(unit or 0), m.hidden - 1)
        t = min(max(int(t or 1), 1), len(text))
        return [trace, tv.unit_html(trace, state, unit), step_slider(len(text), t),
                tv.step_html(trace, t), tv.heatmap_image(trace, state, t, unit)] + units

    def step(self, trace, t, state, unit):
        """Slider move: re-render from the stored trace."""
        if trace is None:
            return "", None
        return tv.step_html(trace, t), tv.heatmap_image(trace, state, t, int(unit))

    def recolour(self, trace, state, unit, t):
        """Another unit or state: recolour the text and move the heatmap's unit marker."""
        if trace is None:
            return "", None
        unit = int(unit)
        return tv.unit_html(trace, state, unit), tv.heatmap_image(trace, state, t, unit)

    def pick(self, choice, trace, t):
        """A unit from the 'worth looking at' list: set the h/c radio and the unit number too."""
        if not choice:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        state, unit = choice.split(":")
        html, img = self.recolour(trace, state, int(unit), t)
        return state, int(unit), html, img

    @staticmethod
    def click(evt: gr.SelectData):
        """A character clicked in the coloured text: move the step slider there."""
        return int(evt.index)

    # -- units worth looking at ------------------------------------------------------------------
    def saved_units(self, name: str) -> tuple[list[tv.Unit], str] | None:
        """Units from weights/char_NAME_units.json if it was made for these weights (no search)."""
        if name not in self._units:
            path = self.weights_dir / f"char_{name}_units.json"
            found = tv.load_units(path, self.model(name).meta.get("weights_sha256"))
            if found is not None:
                self._units[name] = found
        return self._units.get(name)

    def units(self, name: str) -> tuple[list[tv.Unit], str]:
        """Units for model `name`: saved ones, else found once on text the model writes itself."""
        if self.saved_units(name) is None:
            pin_threads()
            m = self.model(name)
            text = m.generate("\n", DISCOVERY_CHARS, 0.8, rng_seed=0)
            self._units[name] = (tv.discover_units(m, text),
                                 f"{DISCOVERY_CHARS:,} characters the model wrote itself (no "
                                 f"char_{name}_units.json: run training/find_units.py to search "
                                 f"validation text instead)")
        return self._units[name]

    def show_units(self, name):
        """The units list, its table, and the h/c radio and unit number set to the first unit."""
        units, source = self.units(name)
        first = units[0] if units else tv.Unit("", "", "h", 0, 0.0)
        m = self.model(name)
        return [gr.Dropdown(choices=[(u.label, f"{u.state}:{u.unit}") for u in units],
                            value=f"{first.state}:{first.unit}" if units else None),
                tv.units_table_html(units, source),
                gr.Radio(choices=["h", "c"] if m.cell == "lstm" else ["h"], value=first.state),
                gr.Number(value=first.unit, maximum=m.hidden - 1)]

    def switch(self, name):
        """Another model: its units, and the step views cleared (the trace was the other model's)."""
        return self.show_units(name) + [None, "", step_slider(0), "", None]

    # -- surprise and temperature ----------------------------------------------------------------
    def surprise(self, text, name) -> np.ndarray:
        """(len(text),) −ln p of each character given the ones before (the first is NaN)."""
        pin_threads()
        m = self.model(name)
        if not isinstance(text, str) or len(text) < 2:
            raise ValueError("Paste at least 2 characters to score (the first one is only context).")
        if len(text) > tv.MAX_SCORE:
            raise ValueError(f"That text has {len(text):,} characters; paste at most {tv.MAX_SCORE:,}.")
        return m.states(text).surprise  # unknown characters: ValueError naming them

    def score(self, text, name):
        """Pasted text -> (summary HTML, characters coloured by surprise)."""
        s = self.surprise(text, name)
        return tv.surprise_summary(text, s), tv.surprise_html(text, s)

    def score_api(self, text: str, model: str = "lstm") -> dict:
        """How surprising is `text` (2 to 10,000 characters) to `model` ("lstm" or "rnn")?
        Returns {"model", "chars", "nats_per_char", "bits_per_char", "surprise": [−ln p per
        character after the first]}."""
        s = self.surprise(text, model)[1:]
        nats = float(np.mean(s))
        return {"model": model, "chars": len(text), "nats_per_char": nats,
                "bits_per_char": nats / math.log(2), "surprise": [round(float(v), 4) for v in s]}

    def compare(self, seed, length, top_k, rng_seed, name):
        """The same seed and random seed at each of TEMPERATURES (at most COMPARE_LENGTH chars)."""
        pin_threads()
        m = self.model(name)
        req = tv.check_request(seed, length, 1.0, top_k, rng_seed, len(m.vocab))
        req["length"] = min(req["length"], COMPARE_LENGTH)
        return [m.generate(**{**req, "temperature": T}) for T in TEMPERATURES]


# ---------------------------------------------------------------------------------------------
# Layout and events

def build(app, weights_dir=None) -> TextHandlers | None:
    """Add the Text tab's components and events to the current Blocks context."""
    models, problems = load_available(CHAR_MODELS, load_char_model, weights_dir)
    if problems:
        gr.Markdown("\n\n".join(problems))
    if not models:
        return None
    h = TextHandlers(models, weights_dir)
    first = next(iter(models))
    known = h.saved_units(first)  # from weights/char_NAME_units.json; else found after a generation

    gr.Markdown("A character-level RNN trained on Tiny Shakespeare writes one character at a time. "
                "Generate text, then look inside every step.")
    with gr.Row():
        seed = gr.Textbox(DEFAULTS["seed"], label="Seed: the text it starts from", lines=2, scale=3)
        model = gr.Dropdown([(model_label(n, m), n) for n, m in models.items()], value=first,
                            label="Model", scale=1)
    with gr.Row():
        length = gr.Number(DEFAULTS["length"], label="Length", info="1 to 5,000 characters", step=1)
        temperature = gr.Number(DEFAULTS["temperature"], label="Temperature", step=0.1,
                                info="0 = most likely; 1 = the model's odds; up to 10")
        top_k = gr.Number(DEFAULTS["top_k"], label="Top-k", step=1, info="0 = off; else the k likeliest")
        rng_seed = gr.Number(DEFAULTS["rng_seed"], label="Random seed", step=1,
                             info="same seed + settings = same text; empty = random")
    with gr.Row():
        go = gr.Button("Generate", variant="primary")
        stop = gr.Button("■ Stop")
        dice = gr.Button("🎲 New random seed")
    out = gr.Textbox(label="Generated text", lines=10, max_lines=20, interactive=False, buttons=["copy"])
    settings = gr.State(None)  # {"model", "seed"} of the text in `out`

    gr.Markdown("## See each step\nEach character is coloured by one hidden unit in the state that "
                "chose it (blue negative, red positive). Pick a unit; click a character or move the "
                "slider to see that step.")
    with gr.Row():
        unit_pick = gr.Dropdown([(u.label, f"{u.state}:{u.unit}") for u in known[0]] if known else [],
                                value=None, label="Units worth looking at", scale=3)
        state = gr.Radio(["h", "c"], value="h", label="State", scale=1,
                         info="h: hidden state; c: LSTM cell state")
        unit = gr.Number(0, label="Unit", precision=0, minimum=0, scale=1)
    coloured = gr.HTML("", js_on_load=CLICK_JS, max_height=420, padding=True, container=True,
                       elem_id="text-units")
    t = step_slider(0, label="Step: click a character or drag")
    with gr.Row():
        step_view = gr.HTML("", padding=True)
        hmap = heat_image("State: units × steps around the selected step (orange)", height=420)
    trace = gr.State(None)  # text_views.trace_text(): numpy arrays of every step

    with gr.Accordion("Units worth looking at: how they were found", open=False):
        units_table = gr.HTML(tv.units_table_html(*known) if known else
                              "<p>Generate some text first: the units are found on first use.</p>")

    gr.Markdown("## How surprising is this text?\nPaste any text: each character is coloured by the "
                "model's surprise −ln p (hover for numbers).")
    pasted = gr.Textbox(label="Text to score", lines=4, value="ROMEO:\nBut soft, what light through "
                        "yonder window breaks?\n")
    score = gr.Button("Score")
    summary = gr.HTML("")
    surprise = gr.HTML("", padding=True, container=True, max_height=420)

    gr.Markdown(f"## Temperature\nThe same seed and random seed at temperatures "
                f"{', '.join(map(str, TEMPERATURES))} (at most {COMPARE_LENGTH:,} characters each).")
    compare = gr.Button("Compare temperatures")
    with gr.Row():
        columns = [gr.Textbox(label=f"temperature {T}", lines=10, max_lines=20, interactive=False)
                   for T in TEMPERATURES]

    # Events.  /generate (streaming) and /score are public; the rest serve the page.
    gen = go.click(friendly_stream(h.generate), [seed, length, temperature, top_k, rng_seed, model],
                   [out, settings], api_name="generate", **HEAVY)
    units_out = [unit_pick, units_table, state, unit]
    analyse_in = [settings, out, state, unit, t, unit_pick]
    analyse_out = [trace, coloured, t, step_view, hmap] + units_out
    gen.then(friendly(h.analyse), analyse_in, analyse_out, **QUIET, **HEAVY)
    stop.click(None, None, None, cancels=[gen], **QUIET).then(
        friendly(h.analyse), analyse_in, analyse_out, **QUIET, **HEAVY)
    dice.click(lambda: int(np.random.default_rng().integers(0, 2**31)), None, rng_seed, queue=False, **QUIET)
    t.change(friendly(h.step), [trace, t, state, unit], [step_view, hmap], trigger_mode="always_last", **QUIET)
    t.change(None, t, None, js=MARK_JS, **QUIET)
    coloured.select(h.click, None, t, **QUIET)
    for c in (state, unit):
        c.input(friendly(h.recolour), [trace, state, unit, t], [coloured, hmap], trigger_mode="always_last",
                **QUIET)
    unit_pick.input(friendly(h.pick), [unit_pick, trace, t], [state, unit, coloured, hmap], **QUIET)
    model.input(friendly(h.switch), model, units_out + [trace, coloured, t, step_view, hmap], **QUIET, **HEAVY)
    score.click(friendly(h.score), [pasted, model], [summary, surprise], api_name="score_view", **QUIET,
                **HEAVY)  # named so the public "score" below keeps its name
    compare.click(friendly(h.compare), [seed, length, top_k, rng_seed, model], columns, **QUIET, **HEAVY)
    gr.api(friendly(h.score_api), api_name="score", **HEAVY)
    return h
