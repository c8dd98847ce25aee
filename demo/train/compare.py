"""Two runs side by side, the Train tab's compare mode, pure (no gradio): the one-click presets
of the classic lesson, each run's name for the legends, the two runs' status, and the two jobs'
updates read as one stream.

Run A is the page's controls; run B (``demo.train.controls.second``) is the same task, network
and learning with its own cell and forget bias.  Each is its own TrainPool job: with two
training places free they train at once, each in its worker; with one, B waits in line until
A ends (or has been paused a while), and the status says so.

    c = preset("fbias")                      # Remember the digit, D = 50: LSTM fb 2 (A), torch's (B)
    run_name(settings_a, "a", "en")          # "A · LSTM, forget bias 2"
    for run, u in merged({"a": job_a, "b": job_b}, timeout=0.5):
        ...                                  # ("a" | "b", demo.train.job.Update), as they come
    inside(views_a, views_b, (name_a, name_b), "en")   # both runs' example maps, answers, confusion
"""
from __future__ import annotations

import queue
import threading

from demo.i18n import t as tr
from demo.train.controls import TABLE
from demo.train import views as draw
from demo.train.settings import FORGET_CELLS

RUNS = ("a", "b")
LETTERS = {"a": "A", "b": "B"}             # the runs' names: the same letters in every language
# The classic lesson (Gers et al. 2000; Jozefowicz et al. 2015): the digit, then 50 blank rows;
# run A an LSTM whose forget gate starts open (bias 2), run B without it.  Every other control at
# its default (the task's own hidden size, learning rate and batch).  The lessons' links
# (demo/lessons/presets.json: remember, remember_rnn) open the same two.
LESSON = dict(task="remember", delay=50, cell="lstm", forget_bias=2.0, compare=True)
PRESETS = {
    "fbias": {**LESSON, "cell_b": "lstm", "forget_bias_b": None},   # the same LSTM, torch's initialisation
    "rnn": {**LESSON, "cell_b": "rnn", "forget_bias_b": None},      # a plain RNN (no forget gate)
}


def preset(name: str):
    """The controls of a compare preset (``PRESETS``), every other control at its default."""
    return TABLE.check(PRESETS[name])


def run_name(settings: dict, run: str, lang: str = "en") -> str:
    """A run's name in the legends: its letter, its cell and, for the LSTMs, its forget bias."""
    cell = settings.get("cell", "lstm")
    fields = dict(run=LETTERS[run], cell=tr(f"train.cell.{cell}", lang))
    if cell not in FORGET_CELLS:
        return tr("train.compare.name", lang, **fields)
    if settings.get("forget_bias") is None:
        return tr("train.compare.name_torch", lang, **fields)
    return tr("train.compare.name_fbias", lang, fbias=f"{settings['forget_bias']:g}", **fields)


def in_line(states: dict) -> str | None:
    """The run that waits in line while the other holds a training place (``states``: {run: its
    Update's state}), or None."""
    for run, other in (("b", "a"), ("a", "b")):
        if states.get(run) == "waiting" and states.get(other) in ("running", "paused"):
            return run
    return None


def merged(jobs: dict, timeout: float):
    """The updates of ``jobs`` ({run: Job}) as one stream of (run, Update), each as it comes;
    every job's ``updates(timeout)`` as it is (the first of each holds its records so far).
    Ends when every job's updates have ended.  One job is read here; two, by one thread each,
    which stop within ``timeout`` s once the stream is closed."""
    if len(jobs) == 1:
        (run, job), = jobs.items()
        for u in job.updates(timeout=timeout):
            yield run, u
        return
    box, stop = queue.Queue(), threading.Event()

    def read(run, job):
        try:
            for u in job.updates(timeout=timeout):
                box.put((run, u))
                if stop.is_set():
                    return
        except Exception as e:           # handed to the stream, which raises it
            box.put((run, e))
        finally:
            box.put((run, None))         # this reader is done

    for run, job in jobs.items():
        threading.Thread(target=read, args=(run, job), daemon=True, name=f"train-compare-{run}").start()
    reading = len(jobs)
    try:
        while reading:
            run, u = box.get()
            if u is None:
                reading -= 1
            elif isinstance(u, Exception):
                raise u
            else:
                yield run, u
    finally:
        stop.set()


def inside(views_a: dict, views_b: dict | None, names: tuple[str, str], lang: str = "en") -> dict:
    """What is inside the two networks, from each run's latest live views ({view: value} of
    demo.train.live; B's empty while it waits in line): {"maps": [(caption, heat value)],
    "input", "answers", "confusion": heat value} for the views run A has.  Where B has the view
    too, each shows both runs (demo.train.views.pair_*: A above B); else run A's alone, its caption
    headed by A's name.  "input", the digit read, is the same example for both: A's."""
    b, out = views_b or {}, {}
    named = lambda v: {**v, "caption": f"{names[0]} · {v['caption']}"}        # noqa: E731
    ex_a, ex_b = views_a.get("example"), b.get("example")
    if ex_a is not None:
        out["maps"] = draw.pair_maps(ex_a, ex_b, names, lang) if ex_b is not None else \
            [(f"{names[0]} · {c}", named(v)) for c, v in draw.example_maps(ex_a, "", lang)]
        if "probs" in ex_a:
            out["input"] = draw.input_map(ex_a, lang)
            out["answers"] = draw.pair_answers(ex_a, ex_b, names, lang) if ex_b is not None and "probs" in ex_b \
                else named(draw.answers_map(ex_a, lang))
    if views_a.get("confusion") is not None:
        out["confusion"] = draw.pair_confusion(views_a["confusion"], b["confusion"], names, lang) \
            if b.get("confusion") is not None else named(draw.confusion_map(views_a["confusion"], lang))
    return out
