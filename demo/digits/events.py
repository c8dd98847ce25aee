"""The Digits tab's wiring: which event calls which handler (``demo.digits.handlers``,
``demo.digits.drawing``) with which components, in which lane, and the ``TabUI`` the app
assembles (``demo.app``).

    with gr.Tab("Digits"):
        ui = build(weights_dir, lang_state)       # lang_state: the page's language, a gr.State
    ui.c["t"], ui.sections["why_unit"], ui.apply(controls, {"model", "t"}, "en")

Handlers are pure and answer {output name: value}; here each event's function turns the
components' values into the checked ``Controls`` (``demo.digits.controls``), calls the handler
and maps its answer onto the components (``ui_common.to_gradio``), wrapped in ``friendly`` (a
UserError becomes a message in the page's language).  The pad's drawings are analysed in a
second process when there is one (``demo.digits.worker``).

API: ``/classify`` takes the pad's ink value, a Sketchpad value or one image file and returns
{"label", "model", "confidences"} (``demo.digits.api``); see README.md.
"""
import json

import gradio as gr

from demo import i18n, ui_serving
from demo.answers import SKIP
from demo.digits import drawing, handlers, views
from demo.digits.analysis import STEPS, title
from demo.digits.api import classifier
from demo.digits.controls import CONTROLS, NO_GATE, TABLE, from_copy
from demo.digits.handlers import (ALL_OUTPUTS, BACK_PANELS, EDIT_OUTPUTS, FIRST_OUTPUTS, PANELS, PICK_OUTPUTS,
                                  RELANGUAGE_OUTPUTS, REST_OUTPUTS, STEP_OUTPUTS, UNIT_OUTPUTS, Lab)
from demo.digits.pad import pad_value_from_image, pad_words
from demo.digits.page import CSS, EXAMPLES_DIR, WHY, layout
from demo.digits.preprocess import reading_steps
from demo.digits.worker import shared_worker, use_worker
from demo.errors import UserError
from demo.lens_models import is_lens_name, page_model
from demo.ui_common import QUIET, Problem, Words, friendly, in_event_loop, problems_markdown, running, to_gradio

__all__ = ["CSS", "TabUI", "build", "to_pad"]

PLAY_INTERVAL = 0.3             # s per row when animating
# Pen-ups answered at once (different pages; one page's events in that lane still run one at a
# time, in order: ui_serving.session_ordered_lane).  With 100 users arriving together, one at a
# time made the 34 first pen-ups wait for each other (benchmarks/load_test.py).
PEN_UPS_AT_ONCE = 4
LIVE = dict(trigger_mode="always_last", **QUIET)
# The controls the pad's handlers read (the model, the edit, the view), which the page copies into
# one hidden value (``controls``) whenever one of them changes: the pad's events then take 5
# inputs, not 13.  At an event's start, and at each of its status changes, gradio's page deep-copies
# the props of every input of every event it has run (~0.1-0.2 ms each, two thrown exceptions
# apiece for the functions in them): 13 inputs were ~250 copies in the 400 ms after a pen-up, and
# the first answer was painted ~20 ms later than with 4 (benchmarks/bench_browser.py).
CONTROLS_JS = f"(...v) => Object.fromEntries({json.dumps(list(CONTROLS))}.map((k, i) => [k, v[i]]))"
RESET = {"ablate": "", "gate": NO_GATE, "from_row": 1, "blank_rows": ""}


def to_pad(path) -> dict:
    """A picture from the upload box (or an example) -> shown in the pad; how the picture itself
    was read is kept for the strip.  A photo that is not one digit is refused with its message."""
    if not path:
        return {"pad": SKIP, "picture_reading": SKIP}
    value = pad_value_from_image(path)
    return {"pad": value, "picture_reading": (value["data"], reading_steps(path))}


class TabUI:
    """The Digits tab as the app sees it (the contract of demo/app.py): its components ``c`` by
    name, lesson ``sections`` and ``headings``, ``words``, and what a link, Copy link and the
    language switch need (``apply``, ``controls_from``, ``relanguage``, ``static_words``)."""
    name = "digits"
    table = TABLE

    def __init__(self, lab: Lab, problems: list, c: dict, sections: dict, words: Words, lang):
        self.lab, self.problems, self.c, self.sections, self.words, self.lang = lab, problems, c, sections, words, lang
        self.headings = {c["why_heading"]: WHY}
        self._examples = None   # pad data -> example digit, made on first use
        self.lens = None        # where the pages' own models are (None: the app's, demo.lens_models.LENS)

    @property
    def models(self) -> dict:
        return self.lab.models

    def page_lab(self, *names) -> Lab:
        """The tab's Lab for the page whose event this is: with the model it opened in the lens
        (demo.lens_models), if any.  ``names``: the models the handler will use (the picker's,
        the analysis's); one of the page's that is no longer open is refused with its message."""
        own = page_model("digits", self.lens)
        lab = self.lab if own is None else self.lab.with_own(own.ref, own.model)
        if any(is_lens_name(n) and n not in lab.models for n in names):
            raise UserError("lens.error.gone")
        return lab

    def model_choices(self, own, lang: str = "en") -> list:
        """The model picker's choices on a page: the loaded models, then ``own``, the one it
        opened in the lens (a LensModel, or None), in ``lang``."""
        return [(title(n), n) for n in self.lab.models] + ([(own.label(lang), own.name)] if own else [])

    @property
    def offer_outputs(self) -> list:
        return [self.c["model"], self.c["unit"], self.c["clouds"]]

    def offer(self, own, lang: str = "en") -> dict:
        """"Open in the lens": the picker gains the page's own model ``own`` (a LensModel), chosen
        (its change retraces the drawing with it); the unit box reaches its units; its lookups
        are made (once) and its class cloud goes into the page's styles for its state's path."""
        hidden = max([m.hidden for m in self.lab.models.values()] + [own.model.hidden])
        lookups = handlers.own_lookups(own)
        clouds = {**self.lab.lookups, **({own.name: lookups} if lookups is not None else {})}
        return {self.c["model"]: gr.update(choices=self.model_choices(own, lang), value=own.name),
                self.c["unit"]: gr.update(maximum=hidden - 1),
                self.c["clouds"]: f"<style>{views.cloud_css(clouds)}</style>"}

    def outputs(self, names) -> list:
        return [self.c[n] for n in names]

    def out(self, answer: dict) -> dict:
        """A handler's answer by name -> gradio's, by component."""
        return to_gradio(answer, self.c)

    @staticmethod
    def check(**values):
        """Some controls' values as the components send them -> Controls (None: the default)."""
        return TABLE.check({k: v for k, v in values.items() if v is not None})

    def static_words(self, lang: str = "en") -> dict:
        """The tab's fixed words Python writes, in ``lang``: what could not load, the over-data
        curves (their colour column is named in the language) with their summary, the pad's."""
        c, out = self.c, {}
        if "problems" in c:
            out[c["problems"]] = problems_markdown(self.problems, lang)
        if self.lab.lookups:
            out[c["curves"]] = gr.update(color=views.curves_color(lang))   # the frame has every name
            out[c["curves_text"]] = views.influence_summary(self.lab.lookups, lang)
        out[c["pad"]] = gr.update(words=pad_words(lang))
        return out

    # -- links ------------------------------------------------------------------------------------
    def _fits(self, controls, given) -> None:
        """UserError when this app cannot show the named fields: a model not loaded, a unit, an
        ablated unit or a gate that the model lacks."""
        lab = self.lab
        if "model" in given and controls.model not in lab.models:
            raise UserError("app.error.not_loaded", model=title(controls.model), names=", ".join(lab.models))
        name = lab.name(controls.model)
        if "unit" in given:
            handlers.check_unit(lab, name, controls.unit)
        if given & {"gate", "ablate"}:
            handlers.intervention(lab, name, controls)

    def apply(self, controls, given, lang: str = "en") -> dict:
        """Put a link's (or a lesson's) controls into the page: only the fields in ``given``, and
        the views a drawing opens.  {component: value}; UserError when this app cannot show them."""
        lab, c, given = self.lab, self.c, set(given)
        if not lab.models:
            return {}
        self._fits(controls, given)
        page = TABLE.page(controls)
        out = {c[k]: page[k] for k in CONTROLS if k in given and k != "gate"}
        if given & {"model", "gate"}:
            gates = lab.models[lab.name(controls.model)].gate_names
            out[c["gate"]] = gr.update(choices=handlers.gate_choices(gates, lang),
                                       value=page["gate"] if "gate" in given else NO_GATE)
        if given & set(CONTROLS):
            # the pad's events read the controls from their copy: set with them, in this answer
            # (a field the link leaves out is at its default there until a control changes)
            out[c["controls"]] = {k: page[k] for k in CONTROLS}
        value = None
        if "digit" in given and controls.digit is not None:
            value = pad_value_from_image(EXAMPLES_DIR / f"digit_{controls.digit}.png")
        elif "ink" in given and controls.ink is not None:
            value = controls.ink
        if value is not None:   # else the pad is left alone: the user may be drawing already
            out[c["pad"]] = value
            out.update(self.out(drawing.drawing(lab, value, controls, None, None, lang)))
        if "model" in given or lang != i18n.DEFAULT:
            out[c["explain"]] = handlers.explain(lab, controls.model, lang)
        return out

    @property
    def apply_outputs(self) -> list:
        return [*self.outputs(CONTROLS), self.c["controls"], self.c["pad"], *self.outputs(ALL_OUTPUTS),
                self.c["explain"]]

    @property
    def copy_inputs(self) -> list:
        """What Copy link reads: the pad, then the controls (``controls_from``'s arguments)."""
        return [self.c["pad"], *self.outputs(CONTROLS)]

    def controls_from(self, pad, *values):
        """The pad's value and the controls' (``copy_inputs``) -> Controls (UserError if bad): the
        drawing as the example digit it still is, else as its ink; an empty pad as none."""
        shown = {k: v for k, v in zip(CONTROLS, values) if v is not None and not is_lens_name(v)}   # not a
        return TABLE.check({**shown, **self.drawing_of(pad)})            # model of one page's own

    def drawing_of(self, pad) -> dict:
        if not isinstance(pad, dict) or not pad.get("data"):
            return {}
        digit = self.example_of(pad)
        if digit is not None:
            return {"digit": digit}
        ink = {k: v for k, v in pad.items() if k != "background"}
        try:
            TABLE.fields["ink"].check(ink)
        except UserError as e:
            if e.key == "digits.error.ink_empty":   # cleared: no drawing to link to
                return {}
            raise
        return {"ink": ink}

    def example_of(self, pad: dict) -> str | None:
        """The example digit the pad shows unchanged, else None."""
        if self._examples is None:
            paths = {str(d): EXAMPLES_DIR / f"digit_{d}.png" for d in range(10)}
            self._examples = {pad_value_from_image(p)["data"]: d for d, p in paths.items() if p.is_file()}
        return self._examples.get(pad.get("data"))

    # -- the language switch ----------------------------------------------------------------------
    def relanguage(self, event, lang_state):
        """After the app's language switch: the views Python wrote, again in the new language."""
        c = self.c

        def views_in_language(a, model, t, order, unit, pad, picture, lang="en"):
            controls = self.check(model=model or None, t=t, order=order, unit=unit)
            lab = self.page_lab(_name(a))
            out = self.out(handlers.relanguage(lab, a, controls, pad, picture, lang))
            own = page_model("digits", self.lens)
            if own is not None:      # the page's own model's words in the picker
                out[c["model"]] = gr.update(choices=self.model_choices(own, lang))
            return out

        inputs = [c["analysis"], c["model"], c["t"], c["order"], c["unit"], c["pad"], c["picture_reading"], lang_state]
        return event.then(friendly(views_in_language, lang=True), inputs,
                          [*self.outputs(RELANGUAGE_OUTPUTS), c["model"]], **QUIET)


# -- the wiring ----------------------------------------------------------------------------------

def _name(a) -> str | None:
    """The model an analysis traced (None: no drawing)."""
    return a.name if a is not None else None


def wire_pad(ui: TabUI) -> dict:
    """The pad's two lanes and the pictures put into it; returns the pen-up lane's settings."""
    c, L = ui.c, [ui.lang]

    def pad_live(value, controls, before, picture, lang="en"):
        c = from_copy(controls)
        return ui.out(drawing.live(ui.page_lab(c.model), value, c, before, picture, lang))

    def pad_up(value, controls, before, picture, lang="en"):
        c = from_copy(controls)
        return ui.out(drawing.pen_up_first(ui.page_lab(c.model), value, c, before, picture, lang))

    def pad_rest(a, value, picture, controls, lang="en"):
        lab = ui.page_lab(_name(a))
        return ui.out(drawing.pen_up_rest(lab, a, value, picture, from_copy(controls), lang))

    def picture_to_pad(path, lang="en"):
        return ui.out(to_pad(path))

    # Two lanes (separate queues, so a pen-up never waits behind the live updates of everyone
    # drawing): while the pen moves, the pad's "change" (one at a time for the whole server: under
    # load the live updates thin out, the answers do not); when it lifts, the pad also sends
    # "submit", whose answer is the final one.  Values set from Python (examples, uploads, links)
    # come only as a "change", so the live lane analyses those.  The prediction alone carries both
    # lanes' (hidden) status: tests and the browser benchmark read it to know when the page is idle.
    pad_in = [c["pad"], c["controls"], c["analysis"], c["picture_reading"], *L]
    status = {**LIVE, "show_progress_on": [c["final"]]}
    c["pad"].change(friendly(pad_live, lang=True), pad_in, ui.outputs(ALL_OUTPUTS),
                    concurrency_id="pad-live", concurrency_limit=1, **status)
    # The step slider, the unit order and the unit share the pen-up's lane, whose events of one
    # page run one at a time, in order, so their answers come after the pen-up's (which carries
    # the step and unit it was sent with): a learner who moves the slider right after drawing
    # keeps that step.  Other pages' pen-ups run beside them.
    after_pen = ui_serving.session_ordered_lane("pad-final", PEN_UPS_AT_ONCE)
    # The pen-up's answer in two parts (handlers.FIRST_OUTPUTS); the second reads the analysis the
    # first left, and the step, order and unit as they are when it leaves the page.
    c["pad"].submit(friendly(pad_up, lang=True), pad_in, ui.outputs(FIRST_OUTPUTS), **after_pen, **status) \
        .success(friendly(pad_rest, lang=True), [c["analysis"], c["pad"], c["picture_reading"], c["controls"], *L],
                 ui.outputs(REST_OUTPUTS), **after_pen, **status)
    # A picture (upload, paste, drop or an example) goes into the pad, whose change analyses it.
    c["picture"].change(friendly(picture_to_pad, lang=True), [c["picture"], *L], [c["pad"], c["picture_reading"]],
                        **LIVE)
    controls = ui.outputs(CONTROLS)    # the page's copy of them: a js function, no server call
    gr.on([x.change for x in controls], None, controls, [c["controls"]], js=CONTROLS_JS, **LIVE)
    return after_pen


def wire_views(ui: TabUI, after_pen: dict) -> None:
    """The model picker, the step, the unit order and the unit, and clicks on the maps."""
    c, L = ui.c, [ui.lang]
    lab = ui.page_lab      # the page's: with the model it opened in the lens

    def pick(a, model, t, order, unit, lang="en"):
        return ui.out(handlers.pick(lab(model), a, ui.check(model=model, t=t, order=order, unit=unit), lang))

    def step(a, t, order, lang="en"):
        return ui.out(handlers.step(lab(_name(a)), a, ui.check(t=t, order=order), lang))

    def unit_view(a, unit, lang="en"):
        return ui.out(handlers.unit_view(lab(_name(a)), a, ui.check(unit=unit), lang))

    def click_unit(a, evt: gr.SelectData):
        return ui.out(handlers.click_unit(lab(_name(a)), a, evt.index))

    view = [c["t"], c["order"], c["unit"]]
    c["model"].change(friendly(pick, lang=True), [c["analysis"], c["model"], *view, *L], ui.outputs(PICK_OUTPUTS),
                      **LIVE)
    stepped, clicked = friendly(step, lang=True), friendly(click_unit)
    for x in (c["t"], c["order"]):
        x.change(stepped, [c["analysis"], c["t"], c["order"], *L], ui.outputs(STEP_OUTPUTS), **LIVE, **after_pen)
    c["unit"].change(friendly(unit_view, lang=True), [c["analysis"], c["unit"], *L], ui.outputs(UNIT_OUTPUTS),
                     **LIVE, **after_pen)
    for x in ui.outputs(("hmap", *PANELS, "hmap_back", *BACK_PANELS)):   # both directions' maps
        x.select(clicked, [c["analysis"]], [c["unit"]], **QUIET)


def wire_edits(ui: TabUI) -> None:
    """The interventions: each control re-runs the edit; '+ this unit', top-k and Reset first
    change the controls."""
    c, L = ui.c, [ui.lang]

    def edit(a, ablate, gate, gate_value, from_row, blank_rows, t, order, unit, lang="en"):
        controls = ui.check(ablate=ablate, gate=gate, gate_value=gate_value, from_row=from_row,
                            blank_rows=blank_rows, t=t, order=order, unit=unit)
        return ui.out(handlers.edit(ui.page_lab(_name(a)), a, controls, lang))

    def add_unit(ablate, unit):
        return ui.out(handlers.add_unit(ablate, unit))

    def top_units(a, k, lang="en"):
        return ui.out(handlers.top_units(ui.page_lab(_name(a)), a, k))

    def reset():
        return ui.out(RESET)

    inputs = [c["analysis"], *ui.outputs(("ablate", "gate", "gate_value", "from_row", "blank_rows", "t", "order",
                                          "unit")), *L]
    again = dict(fn=friendly(edit, lang=True), inputs=inputs, outputs=ui.outputs(EDIT_OUTPUTS), **LIVE)
    for x in ui.outputs(("ablate", "blank_rows")):
        x.submit(**again)
        x.blur(**again)
    for x in ui.outputs(("gate", "gate_value", "from_row")):
        x.input(**again)
    c["ablate_unit"].click(friendly(add_unit), [c["ablate"], c["unit"]], [c["ablate"]], **QUIET).then(**again)
    c["ablate_top"].click(friendly(top_units, lang=True), [c["analysis"], c["top_k"], *L], [c["ablate"]],
                          **QUIET).then(**again)
    c["reset"].click(reset, None, ui.outputs(RESET), **QUIET).then(**again)


def wire_player(ui: TabUI) -> None:
    """Play: a timer moves the slider one row per tick (the slider's change re-renders)."""
    t = ui.c["t"]
    timer = gr.Timer(PLAY_INTERVAL, active=False)

    def start(now):
        return {t: 1 if now >= STEPS else now, timer: gr.Timer(active=True)}

    def tick(now):
        now = min(int(now) + 1, STEPS)
        return {t: now, timer: gr.Timer(active=now < STEPS)}

    ui.c["play"].click(start, [t], [t, timer], **QUIET)
    ui.c["stop"].click(lambda: gr.Timer(active=False), None, [timer], **QUIET)
    timer.tick(tick, [t], [t, timer], **QUIET)


def build(weights_dir=None, lang=None) -> TabUI:
    """Add the Digits tab's components and events to the current Blocks/Tab context.  ``lang``:
    the page's language (a gr.State of "en" / "zh-CN"; None: English)."""
    lab = handlers.load_lab(weights_dir)
    lab.running = running
    problems = [Problem(key, e, field, **fields) for key, field, e, fields in lab.failures]
    c, sections, words = layout(lab, problems)
    ui = TabUI(lab, problems, c, sections, words, lang if lang is not None else gr.State("en"))
    after_pen = wire_pad(ui)
    wire_views(ui, after_pen)
    wire_edits(ui)
    wire_player(ui)
    gr.api(in_event_loop(classifier(lab.models, lab.default)), api_name="classify")
    if use_worker():
        lab.worker = shared_worker(handlers.worker_lab, str(weights_dir) if weights_dir else None)
    return ui
