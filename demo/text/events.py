"""The Text tab's wiring: its page (``demo.text.page``) and its pure handlers (``demo.text.steps``,
``demo.text.why``, ``demo.text.handlers``) joined by events, and ``build``, which the app calls
inside its tab and which returns the ``TabUI`` the app assembles the page with.

    with gr.Blocks() as demo:
        ui = build(None, gr.State("en"))        # ui.c["seed"], ui.sections["generate"], ui.apply(...)

/generate (streaming: seed, length, temperature, top_k, rng_seed, model, acrostic -> the text so
far; a Tang poems' model writes one whole poem) and
/score (text, model -> nats/char) are the public API; their messages follow the request's
language (the page's chosen one, else its Accept-Language: demo.ui_common.session_lang).  Every
other handler takes the page's language (a gr.State) as its last input.
"""
from __future__ import annotations

import functools
import inspect
import itertools
import logging
import os

import gradio as gr

from demo.answers import Update
from demo.errors import Text, UserError
from demo.lens_models import is_lens_name
from demo.text import corpus, handlers, steps, why
from demo.text.controls import TABLE
from demo.text.known_seed import known_seed, known_text
from demo.text.lab import CHAR_MODELS, OPTIONAL, Lab
from demo.text.model import load_char_model
from demo.text.page import CSS, MARK_JS, WHY, Page, layout  # noqa: F401 - CSS: the app's stylesheet
from demo.text.writer import shared_writer
from demo.ui_common import (HEAVY, QUIET, WRITER, friendly, friendly_stream, load_available, problems_markdown,
                            say_again, to_gradio)

log = logging.getLogger(__name__)
OPENED = itertools.count(1)     # "Open in the lens": numbers each opening, so that each one writes


def use_writer() -> bool:
    """Write generated text in a worker process: on 2+ cores, unless RNN_LENS_WRITER=0."""
    return os.environ.get("RNN_LENS_WRITER", "1") != "0" and (os.cpu_count() or 1) >= 2


def answer(fn, c: dict, *bound):
    """``fn(*bound, *inputs, lang=...)``, a pure handler answering {name: value}, as a gradio
    handler answering {component: value}: its signature is fn's less ``bound`` (gradio reads it,
    and ``friendly`` adds the page's language), its name fn's (the logs, the tests)."""
    part = functools.partial(fn, *bound)

    def run(*args, **kwargs):
        return to_gradio(part(*args, **kwargs), c)
    run.__name__ = run.__qualname__ = fn.__name__
    run.__doc__ = fn.__doc__
    run.__signature__ = inspect.signature(part)
    return run


def outputs(c: dict, names) -> list:
    return [c[n] for n in names]


class TabUI:
    """What the app needs of the Text tab (the contract of every tab's ``build``)."""
    name = "text"
    table = TABLE

    def __init__(self, lab: Lab, page: Page, writer=None):
        self.lab, self.writer = lab, writer
        self.models = lab.models
        self.c = page.c
        self.sections = page.sections
        self.words = page.words
        self.headings = {self.c["why_heading"]: WHY} if lab.models else {}
        self.controls = {f.name: self.c[f.name] for f in TABLE.components} if lab.models else {}
        self.copy_inputs = list(self.controls.values())
        shown = ("unit_pick", "units_table", "corpus_note", "pasted")   # what a link opens beside the controls
        self.apply_outputs = [*self.copy_inputs, *(outputs(self.c, shown) if lab.models else [])]

    def static_words(self, lang: str = "en") -> dict:
        """{component: value or gr.update}: the words Python formats, and the messages about the
        models that could not load, in ``lang``."""
        out = to_gradio(handlers.static_words(self.lab, lang), self.c)
        if "problems_md" in self.c:
            out[self.c["problems_md"]] = problems_markdown(self.lab.problems, lang)
        return out

    def controls_from(self, *values):
        """The values of ``copy_inputs`` -> Controls (UserError on a bad one); a link cannot carry
        a model the page opened in the lens (its default instead)."""
        return TABLE.check({k: v for k, v in zip(self.controls, values) if not is_lens_name(v)})

    # -- Open in the lens (demo.app): the character model the page trained, chosen here --------------
    @property
    def offer_outputs(self) -> list:
        return outputs(self.c, (*corpus.SWITCH, "seed_said", "opened")) if self.models else []

    def offer(self, own, lang: str = "en") -> dict:
        """The model dropdown gains ``own`` (a LensModel; demo.text.lab.Lab.models has it on this
        page), chosen, with its corpus's seed and boxes; the step views cleared, as a switch.  A
        seed (or text to score) with characters it never saw becomes the start of its training
        text (demo.text.known_seed; the note says so), and it writes a text at once (``opened``)."""
        if not self.models:
            raise UserError("lens.error.no_tab", tab=Text("app.tab.text"))
        view = corpus.view(self.lab, self.lab.corpus(own.name), lang, own.name)
        seed, said = known_seed(own.model, view["seed"], own.opening)
        view.update(seed=seed, pasted=known_text(own.model, view["pasted"], own.opening),
                    corpus_note=said.text(lang) if said is not None else "")
        opened = {"model": own.name, "seed": seed, "n": next(OPENED)}   # a new value: its change writes
        return to_gradio({**view, **steps.switch(self.lab, own.name, lang), "seed_said": said, "opened": opened},
                         self.c)

    def apply(self, controls, given, lang: str = "en") -> dict:
        """A link's (or a lesson's) controls into the page: the fields in ``given``, and the views
        they open (the model's units and states, the step slider's range).  UserError when this
        app cannot show them (a model not loaded, a unit beyond the model's)."""
        if not self.models:
            return {}
        corpus_name, name = corpus.resolve(self.lab, controls, given, lang)
        if name not in self.models:
            raise UserError("app.link.param", param="tmodel", message=UserError(
                "app.error.not_loaded", model=Text(f"text.model.{name}"),
                names=[Text(f"text.model.{n}") for n in self.models]))
        m = self.models[name]
        if "unit" in given and controls.unit >= m.hidden:
            raise UserError("app.link.param", param="tunit", message=UserError(
                "app.check.range", label=Text("text.unit.label"), lo=0, hi=m.hidden - 1, hint="", value=controls.unit))
        out, given = self.fields(controls, given, corpus_name, name, lang)
        if "t" in given:   # the slider's range grows to the step (a generation sets it to the text's)
            out[self.c["t"]] = gr.update(maximum=max(controls.t, 2), value=controls.t)
        if "model" in given:
            out[self.c["which"]] = gr.update(choices=["h", "c"] if m.cell == "lstm" else ["h"],
                                             **({"value": controls.which} if "which" in given else {}))
        choices = self.lab.unit_choices(name, lang)
        key = f"{controls.which}:{controls.unit}"
        if {"which", "unit"} & set(given) and key in {v for _, v in choices}:
            out[self.c["unit_pick"]] = gr.update(choices=choices, value=key)
        elif choices and ("model" in given or lang != "en"):
            out[self.c["unit_pick"]] = gr.update(choices=choices)
        if "model" in given or lang != "en":   # else as built: the load must not undo a user's model switch
            out[self.c["units_table"]] = self.lab.units_table_html(name, lang)
        return out

    def fields(self, controls, given, corpus_name: str, name: str, lang: str) -> tuple[dict, frozenset]:
        """The fields a link names, on the page, over its corpus's view (its models, seed and
        boxes) when that is another than the page's (named, the model's, or the language's);
        and the fields set (the model too, then)."""
        switched = "corpus" in given or corpus_name != corpus.built_corpus(self.lab)
        out = corpus.view(self.lab, corpus_name, lang, name) if switched else {}
        if not switched and lang != "en":   # the models named in the page's language
            out["model"] = Update(choices=corpus.model_choices(self.lab, corpus_name, lang))
        shown = TABLE.page(controls)
        for k in given - {"corpus"} if switched else given:   # what the link names wins
            old = out.get(k)
            out[k] = Update(**{**old, "value": shown[k]}) if isinstance(old, Update) else shown[k]
        return to_gradio(out, self.c), (given | {"model"} if switched else given)

    def relanguage(self, event, lang_state):
        """After the app's language switch (which sends ``static_words``): every view the tab wrote,
        again in the new language (from what is kept), then the connectivity plot drawn again
        (see handlers.relanguage)."""
        if not self.models:
            return event
        c, f = self.c, functools.partial(friendly, lang=True)
        again = event.then(f(answer(handlers.relanguage, c, self.lab)), [*outputs(c, handlers.RELANGUAGE_INPUTS),
                           lang_state], outputs(c, handlers.RELANGUAGE_VIEWS), **QUIET).then(
            f(answer(handlers.replot, c, self.lab)), [c["conn_shown"], lang_state], [c["conn_plot"]], **QUIET)
        return say_again(again, c["corpus_note"], c["seed_said"], lang_state)   # the seed's note (``offer``)


# -- the events -------------------------------------------------------------------------------

def wire_generate(ui: TabUI, lang_state) -> None:
    """Generate (streamed: the public /generate), Stop, and the step views after either."""
    c, lab, writer, L = ui.c, ui.lab, ui.writer, [lang_state]
    f = functools.partial(friendly, lang=True)

    def generate(seed="ROMEO:\n", length=500, temperature=0.8, top_k=0, rng_seed=0, model="lstm", acrostic=""):
        """Yield the text so far (every ~50 ms) and all of it last.  A Tang poems' model
        ("tang") writes one whole poem: from the seed's characters, or each line from one of
        the acrostic's 4 or 8 (length and top_k are not used)."""
        # the writer process has the shipped models only: a page's own one writes here
        it = handlers.generate(lab, None if is_lens_name(model) else writer, seed, length, temperature, top_k,
                               rng_seed, model, acrostic)
        try:
            for out in it:
                yield to_gradio(out, c)
        finally:   # Stop: the worker drops the text at once
            it.close()

    def write_opened(opened, length=500, temperature=0.8, top_k=0, rng_seed=0):
        """"Open in the lens" (``TabUI.offer``): the page's own model writes from its seed at once.
        Both come in ``opened``: when its change fires, the page may not hold the dropdown's new
        value yet (a dropdown given new choices and value together takes a moment)."""
        if opened:
            yield from generate(opened["seed"], length, temperature, top_k, rng_seed, opened["model"])

    gen = c["go"].click(friendly_stream(generate), outputs(c, ("seed", "length", "temperature", "top_k",
                                                                "rng_seed", "model", "acrostic")),
                        outputs(c, handlers.GENERATE), api_name="generate", **(WRITER if writer else HEAVY))
    opened = c["opened"].change(friendly_stream(write_opened), outputs(c, ("opened", "length", "temperature",
                                "top_k", "rng_seed")), outputs(c, handlers.GENERATE), **QUIET, **HEAVY)
    analyse = dict(fn=f(answer(steps.analyse, c, lab)), outputs=outputs(c, steps.ANALYSIS), **QUIET, **HEAVY,
                   inputs=[*outputs(c, ("written", "generated", "which", "unit", "t", "unit_pick")), *L])
    stopped = c["stop"].click(None, None, None, cancels=[gen, opened], **QUIET)
    for analysed in (gen.then(**analyse), opened.then(**analyse), stopped.then(**analyse)):
        analysed.then(**drill(ui, L)).then(**sampling(ui, L)).then(**connect(ui, L))
    c["dice"].click(answer(handlers.new_rng_seed, c), None, [c["rng_seed"]], queue=False, **QUIET)


def drill(ui: TabUI, L) -> dict:
    c = ui.c
    return dict(fn=friendly(answer(why.drill, c, ui.lab), lang=True), inputs=[*outputs(c, ("trace_state", "which",
                "unit")), *L], outputs=outputs(c, why.DRILL), trigger_mode="always_last", **QUIET)


def sampling(ui: TabUI, L) -> dict:
    c = ui.c
    return dict(fn=friendly(answer(why.sampling, c), lang=True), inputs=[*outputs(c, ("trace_state", "t",
                "samp_temperature", "samp_top_k")), *L], outputs=outputs(c, why.SAMPLING),
                trigger_mode="always_last", **QUIET)


def connect(ui: TabUI, L) -> dict:
    c = ui.c
    return dict(fn=friendly(answer(why.connect, c, ui.lab), lang=True),
                inputs=[*outputs(c, ("written", "generated", "t")), *L], outputs=outputs(c, why.CONNECT),
                trigger_mode="always_last", **QUIET, **HEAVY)


def wire_steps(ui: TabUI, lang_state) -> None:
    """The step slider, the unit and state, the unit picker, clicks on the text and the heatmap."""
    c, lab, L = ui.c, ui.lab, [lang_state]
    f = functools.partial(friendly, lang=True)

    def click(evt: gr.SelectData):
        return to_gradio(steps.click(evt.index), c)

    def click_unit(trace, which, t, evt: gr.SelectData, lang="en"):
        return to_gradio(steps.click_unit(lab, trace, which, t, evt.index, lang), c)

    c["t"].change(f(answer(steps.step, c)), [*outputs(c, ("trace_state", "t", "which", "unit")), *L],
                  outputs(c, steps.STEP), trigger_mode="always_last", **QUIET)
    c["t"].change(None, c["t"], None, js=MARK_JS, **QUIET)
    c["coloured"].select(click, None, outputs(c, steps.CLICK), **QUIET)
    for name in ("which", "unit"):
        c[name].input(f(answer(steps.recolour, c, lab)), [*outputs(c, ("trace_state", "which", "unit", "t")), *L],
                      outputs(c, steps.COLOUR), trigger_mode="always_last", **QUIET).then(**drill(ui, L))
    c["unit_pick"].input(f(answer(steps.pick, c, lab)), [*outputs(c, ("unit_pick", "trace_state", "t")), *L],
                         outputs(c, steps.PICK), **QUIET).then(**drill(ui, L))
    c["hmap"].select(f(click_unit), [*outputs(c, ("trace_state", "which", "t")), *L], outputs(c, steps.CLICK_UNIT),
                     **QUIET).then(**drill(ui, L))
    c["t"].change(**connect(ui, L))
    c["t"].change(**sampling(ui, L))
    c["samp_temperature"].change(**sampling(ui, L))
    c["samp_top_k"].change(**sampling(ui, L))
    c["model"].input(f(answer(steps.switch, c, lab)), [c["model"], *L], outputs(c, steps.ANALYSIS), **QUIET, **HEAVY)
    c["corpus"].input(f(answer(corpus.switch_corpus, c, lab)), [c["corpus"], *L], outputs(c, corpus.SWITCH),
                      **QUIET, **HEAVY)


def wire_why(ui: TabUI, lang_state) -> None:
    """Connectivity of a scored character, select and match, the interventions."""
    c, lab, L = ui.c, ui.lab, [lang_state]
    f = functools.partial(friendly, lang=True)

    def connect_pasted(text, name, evt: gr.SelectData, lang="en"):
        return to_gradio(why.connect_pasted(lab, text, name, evt.index, lang), c)

    c["surprise_view"].select(f(connect_pasted), [c["pasted"], c["model"], *L], outputs(c, why.CONNECT),
                              **QUIET, **HEAVY)
    c["match_button"].click(f(answer(why.select_match, c, lab)),
                            [*outputs(c, ("trace_state", "which", "span_start", "span_end", "threshold")), *L],
                            outputs(c, why.MATCH), **QUIET, **HEAVY)
    edit = dict(fn=f(answer(why.side_by_side, c, lab)), outputs=outputs(c, why.EDIT), **QUIET, **HEAVY,
                inputs=[*outputs(c, ("seed", "length", "temperature", "top_k", "rng_seed", "model", "clamp",
                                     "ablate")), *L])
    c["edit_button"].click(**edit)
    c["example_button"].click(f(answer(why.worked_example, c, lab)), [c["model"], *L], outputs(c, why.EXAMPLE),
                              **QUIET).then(**edit)


def wire_scores(ui: TabUI, lang_state) -> None:
    """How surprising (the page's, and the public /score) and the temperatures compared."""
    c, lab, L = ui.c, ui.lab, [lang_state]
    f = functools.partial(friendly, lang=True)

    def score(text: str, model: str = "lstm") -> dict:
        """How surprising is `text` (2 to 10,000 characters) to `model` ("lstm" or "rnn")?
        Returns {"model", "chars", "nats_per_char", "bits_per_char", "surprise": [−ln p per
        character after the first]}."""
        return handlers.score_api(lab, text, model)

    c["score_button"].click(f(answer(handlers.score, c, lab)), [c["pasted"], c["model"], *L],
                            outputs(c, handlers.SCORE), api_name="score_view", **QUIET, **HEAVY)  # "score": the API's
    c["compare_button"].click(f(answer(handlers.compare, c, lab)),
                              [*outputs(c, ("seed", "length", "top_k", "rng_seed", "model", "acrostic")), *L],
                              outputs(c, handlers.COLUMNS), **QUIET, **HEAVY)
    gr.api(friendly(score), api_name="score", **HEAVY)


def load_lab(weights_dir=None) -> Lab:
    """The character models in ``weights_dir``: a shipped one that is missing is said above the
    tab; an optional one (lab.OPTIONAL: the Tang poems'), by its corpus's choice (Lab.missing)."""
    shipped = {n: title for n, title in CHAR_MODELS.items() if n not in OPTIONAL}
    models, problems = load_available(shipped, load_char_model, weights_dir)
    extra, absent = load_available({n: CHAR_MODELS[n] for n in OPTIONAL}, load_char_model, weights_dir)
    for problem in absent:
        log.info("optional text model not loaded: %s", problem)
    return Lab({**models, **extra}, problems, weights_dir=weights_dir, missing=[n for n in OPTIONAL if n not in extra])


def build(weights_dir=None, lang_state=None, lab: Lab | None = None) -> TabUI:
    """The Text tab's components and events in the current Blocks/Tab context.  ``lang_state``:
    the page's language (a gr.State of "en" / "zh-CN"; None: a tab built alone, in English).
    The models are loaded from ``weights_dir`` (``lab``: given instead, for tests); their
    writer process is started first, loads and warms up while the page is built, and is ready
    when this returns (one per weights folder and process: ``shared_writer``; a second build
    finds it ready)."""
    if lab is None:
        lab = load_lab(weights_dir)
    # the worker writes free text; a poem (a few dozen characters) is written here
    written = tuple(n for n in lab.models if not corpus.writes_poems(lab.corpus(n)))
    writer = shared_writer(weights_dir, written) if written and use_writer() else None
    page = layout(lab)
    # "Open in the lens" (TabUI.offer): a new value when the page's own model is chosen here, and
    # the note about its seed as words (demo.errors.Text), for the language switch
    page.c["opened"], page.c["seed_said"] = gr.State(None), gr.State(None)
    ui = TabUI(lab, page, writer)
    if lab.models:
        lang_state = lang_state if lang_state is not None else gr.State("en")
        wire_generate(ui, lang_state)
        wire_steps(ui, lang_state)
        wire_why(ui, lang_state)
        wire_scores(ui, lang_state)
    if writer is not None and not writer.wait_ready():   # the first visitor's text as fast as the next's
        log.warning("the text worker did not start: text is written in the server process")
    return ui

