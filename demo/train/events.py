"""The Train tab's wiring: its page (``demo.train.page``) and its pure handlers
(``demo.train.handlers``) joined by events, and ``build``, which the app calls inside its tab and
which returns the ``TabUI`` the app assembles the page with.

    with gr.Blocks() as demo:
        ui = build(None, gr.State("en"))        # ui.c["play"], ui.sections["train_curves"]

The app's one ``Trainer`` (``TRAINER``: a TrainPool of max(1, cores - 1) worker processes, made
at the first Play, closed when the process exits) serves every page; a page is its session.
Play and Step stream the run, or the compare mode's two runs (their own lane, as wide as the
line: a stream mostly waits for the pool); Pause, Reset, the x axis and the compare presets (every
control set, as a lesson's link does) answer at once.  When the page goes away (gradio's unload,
or its stream closed), its run stops.
"""
from __future__ import annotations

import atexit
import inspect
import os

import gradio as gr
from gradio.context import get_blocks_context

from demo.answers import Update
from demo.train import compare
from demo.train import controls as ctl
from demo.train import handlers, views
from demo.train.controls import CONTROLS, TABLE
from demo.train.handlers import FRAME, LOOKS, SHOWN, TASK_OUTPUTS, Trainer
from demo.train.page import CSS, layout  # noqa: F401 - CSS: the app's stylesheet
from demo.train.pool import MAX_WAITING
from demo.ui_common import QUIET, friendly, friendly_stream, say_again, to_gradio

TRAINER = Trainer()
atexit.register(TRAINER.close)
# The streams of Play and Step: as many as the pool has runs and places in line, and a few more
# (a stream outlives its run by a second).  Each holds one of gradio's worker threads (40) while
# it waits for its run's next update, so no more than that: the pool refuses the rest (JobFull).
STREAM = dict(concurrency_id="train", concurrency_limit=max(1, (os.cpu_count() or 2) - 1) + MAX_WAITING + 2)
RUN_INPUTS = (*CONTROLS, "pasted", "upload")


def owner_of(request) -> str:
    return getattr(request, "session_hash", None) or "anonymous"


def page_handler(fn, names, ui: "TabUI", stream: bool = False):
    """``fn(owner, {name: value}, lang)`` as a gradio handler of the components ``names`` and the
    page's language (last): gradio gives it the request (its session is the owner); the answer
    ({name: value}, or a stream of them) goes onto the components."""
    def call(request, *values, lang="en"):
        return fn(owner_of(request), dict(zip(names, values)), lang)

    def run(request, *values, lang="en"):
        return to_gradio(call(request, *values, lang=lang), ui.c)

    def run_stream(request, *values, lang="en"):
        for answer in call(request, *values, lang=lang):
            yield to_gradio(answer, ui.c)
    out = run_stream if stream else run
    params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request)]
    params += [inspect.Parameter(n.replace(".", "_"), inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    params.append(inspect.Parameter("lang", inspect.Parameter.POSITIONAL_OR_KEYWORD, default="en"))
    out.__signature__ = inspect.Signature(params)
    out.__annotations__ = {"request": gr.Request}
    out.__name__ = out.__qualname__ = fn.__name__
    return friendly_stream(out, lang=True) if stream else friendly(out, lang=True)


class TabUI:
    """What the app needs of the Train tab (the contract of every tab's ``build``)."""
    name = "train"
    table = TABLE

    def __init__(self, page, trainer: Trainer):
        self.trainer = trainer
        self.c, self.sections, self.words = page.c, page.sections, page.words
        self.headings = {}
        self.controls = {name: self.c[name] for name in CONTROLS}
        self.copy_inputs = list(self.controls.values())
        self.apply_outputs = self.copy_inputs + [self.c[n] for n in SHOWN]

    def outputs(self, names) -> list:
        return [self.c[n] for n in names]

    def static_words(self, lang: str = "en") -> dict:
        """The words Python formats: the status before a run (it names the cap)."""
        return {self.c["status"]: views.idle_text(self.trainer.cap_s, lang)}

    def controls_from(self, *values):
        """The values of ``copy_inputs`` -> Controls (UserError on a bad one); a number equal to
        the task's default is the default (a link leaves it out)."""
        return ctl.normalised(TABLE.check({k: v for k, v in zip(self.controls, values) if v is not None}))

    def apply(self, controls, given, lang: str = "en") -> dict:
        """A link's (or a lesson's) controls into the page: the fields in ``given`` (a new task
        shows its own default sizes), and the controls that task and cell show."""
        given = set(given)
        if not given:
            return {}
        shown = TABLE.page(controls)
        out = handlers.shown_controls(*(getattr(controls, n) for n in LOOKS))
        values = {k: shown[k] for k in CONTROLS if k in given}
        values.update({n: ctl.effective(controls, n) for n in ctl.TASK_SIZED if n in given or "task" in given})
        for name, value in values.items():
            out[name] = Update(**out[name], value=value) if name in out else value
        return to_gradio(out, self.c)

    def relanguage(self, event, lang_state):
        """After the app's language switch: the charts and maps again, in the new language, and
        the note under "Open in the lens" (demo.app.App.open_lens)."""
        redrawn = event.then(page_handler(_redraw(self.trainer), ["x"], self), [self.c["x"], lang_state],
                             self.outputs(FRAME), **QUIET)
        return say_again(redrawn, self.c["lens_note"], self.c["lens_said"], lang_state)


def _redraw(trainer: Trainer):
    def redraw(owner, values, lang):
        return handlers.redraw(trainer, owner, values["x"], lang)
    return redraw


def _controls(values: dict):
    """The page's controls -> Controls (UserError naming a bad one)."""
    return TABLE.check({k: values[k] for k in CONTROLS if values.get(k) is not None})


def wire_buttons(ui: TabUI, lang_state) -> None:
    """Play and Step (streamed), Pause, Reset, Download."""
    c, trainer = ui.c, ui.trainer
    inputs = [*ui.outputs(RUN_INPUTS), lang_state]

    def play(owner, values, lang):
        return handlers.play(trainer, owner, _controls(values), values["pasted"], values["upload"], lang)

    def step(owner, values, lang):
        return handlers.step(trainer, owner, _controls(values), values["pasted"], values["upload"], lang)

    def pause(owner, values, lang):
        return handlers.pause(trainer, owner)

    def reset(owner, values, lang):
        return handlers.reset(trainer, owner, lang)

    def download(owner, values, lang):
        return {"weights_file": handlers.download(trainer, owner)}

    for button, fn in (("play", play), ("step", step)):
        c[button].click(page_handler(fn, RUN_INPUTS, ui, stream=True), inputs, ui.outputs(FRAME), **QUIET, **STREAM)
    c["pause"].click(page_handler(pause, [], ui), [lang_state], [c["status"]], **QUIET)
    c["reset"].click(page_handler(reset, [], ui), [lang_state], ui.outputs(FRAME), **QUIET)
    c["download"].click(page_handler(download, [], ui), [lang_state], [c["weights_file"]], **QUIET)


def wire_controls(ui: TabUI, lang_state) -> None:
    """A new task: its default sizes and the controls it shows; the cell, the text's source,
    clipping, the compare mode and run B's cell show theirs; a compare preset sets every control
    (as a lesson's link does); the curves' x axis redraws them."""
    c = ui.c
    looks = ui.outputs(LOOKS)

    def task_defaults(task, cell, source, clip, compare_, cell_b):
        return to_gradio(handlers.task_defaults(task, cell, source, clip, compare_, cell_b), c)

    def shown(task, cell, source, clip, compare_, cell_b):
        return to_gradio(handlers.shown_controls(task, cell, source, clip, compare_, cell_b), c)

    c["task"].input(friendly(task_defaults), looks, ui.outputs(TASK_OUTPUTS), **QUIET)
    for name in LOOKS[1:]:
        c[name].input(friendly(shown), looks, ui.outputs(SHOWN), **QUIET)
    for name in compare.PRESETS:
        c[f"compare_{name}"].click(friendly(_preset(ui, name)), [], ui.apply_outputs, **QUIET)
    c["x"].input(page_handler(_redraw(ui.trainer), ["x"], ui), [c["x"], lang_state], ui.outputs(FRAME), **QUIET)


def _preset(ui: TabUI, name: str):
    """A compare preset's button: every control of the page to the preset's (compare.PRESETS)."""
    def compare_preset():
        return ui.apply(compare.preset(name), CONTROLS)
    compare_preset.__name__ = f"compare_{name}"
    return compare_preset


def build(weights_dir=None, lang_state=None, trainer: Trainer | None = None) -> TabUI:
    """The Train tab's components and events in the current Blocks/Tab context.  ``lang_state``:
    the page's language (a gr.State; None: a tab built alone, in English).  ``trainer``: the
    app's (TRAINER) unless given (tests).  Its pool starts at the first Play, not here."""
    trainer = trainer or TRAINER
    lang_state = lang_state if lang_state is not None else gr.State("en")
    ui = TabUI(layout(trainer.cap_s), trainer)
    wire_buttons(ui, lang_state)
    wire_controls(ui, lang_state)
    root = get_blocks_context()
    if root is not None:
        def page_gone(request: gr.Request):
            handlers.gone(trainer, owner_of(request))
        root.root_block.unload(page_gone)
    return ui

