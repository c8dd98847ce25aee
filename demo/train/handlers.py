"""The Train tab's handlers, pure (no gradio): they answer {output name: value} (demo.answers: SKIP,
Update), and raise UserError for what a person must fix, keyed in both languages.  The events
(``demo.train.events``) wire them to the page.

    trainer = Trainer()                          # the app's one TrainPool, made on first use
    for answer in play(trainer, "page-1", controls, pasted, upload, lang="en"):
        ...                                      # {"status": ..., "loss": ..., "maps.0": Update(...)}
    pause(trainer, "page-1"); reset(trainer, "page-1", "en")
    download(trainer, "page-1", folder)          # a zip of the weights in the weights/ format
    gone(trainer, "page-1")                      # the page went away: its run stops

A page (``owner``: its session) has one run, or two in the compare mode (``controls.compare``:
run A of the controls and run B of ``controls.second``, demo.train.compare).  Play starts them
with the controls' settings (or goes on with those it has, if the settings are the same), then
streams what they show (``watch``) until they pause or end; Step does STEP_STEPS steps (one
record) and pauses; Pause, Step and Reset act on both runs.  Reset stops them and clears the
views.  Two runs share the loss and accuracy charts (each in its colour, named in the legend) and
have a gradient chart each ("grads", "grads_b"), and the fixed example's maps both runs' (A's
above B's).  A newer stream of the same page takes over from an older one; a stream closed while
its runs play (the page went away) stops them.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from demo.answers import SKIP, Update
from demo.errors import Text, UserError, message
from demo.train import compare
from demo.train import controls as ctl
from demo.train import views
from demo.train.data import MAX_TEXT_BYTES, MIN_TEXT_CHARS, _CONTROL, check_text
from demo.train.settings import FORGET_CELLS, TASKS, SettingError

MAX_MAPS = 6                   # h, c and four gates (LSTM); GRU h r z n; RNN h
MAPS = tuple(f"maps.{k}" for k in range(MAX_MAPS))
DIGIT_VIEWS = ("input", "answers", "confusion")
FRAME = ("status", "loss", "acc", "grads", "grads_b", *DIGIT_VIEWS, *MAPS, "sample", "open")   # open: in the lens
CLEARED = FRAME
STEP_STEPS = 10                # Step: one record's worth of training steps
UPDATE_TIMEOUT = 0.5           # s: a stream shows the run at least this often
PAUSE_LINGER = 1.5             # s a stream goes on after its run paused (a Step's steps arrive first)
MAP_EVERY = 0.4                # s between two sends of the example's maps (the biggest view)
CAP_S = float(os.environ.get("RNN_LENS_TRAIN_CAP_S") or 120)   # a local install may raise it


def make_pool():
    from demo.train.pool import TrainPool
    return TrainPool(cap_s=CAP_S)


@dataclass
class Session:
    """One page's run and what its views were last drawn from; ``b``: the compare mode's run B
    (a Session of its own: its job, settings, records, views), else None."""
    job: object = None
    settings: dict = field(default_factory=dict)
    text: str | None = None
    records: list = field(default_factory=list)
    views: dict = field(default_factory=dict)
    token: int = 0                 # the newest stream's number: older ones end
    lang: str = "en"
    x: str = "step"                # the curves' x axis: "step" or "seconds"
    last: object = None            # the last Update
    b: "Session | None" = None

    def runs(self) -> dict:
        """{run: Session}: "a" (this one), and "b" in the compare mode."""
        return {"a": self, "b": self.b} if self.b is not None else {"a": self}


class Trainer:
    """The app's training: one TrainPool (``make_pool()``, made on first use, closed by
    ``close``) and each page's Session."""

    def __init__(self, make=make_pool):
        self._make, self._pool = make, None
        self._lock = threading.Lock()
        self.sessions: dict[str, Session] = {}

    @property
    def pool(self):
        with self._lock:
            if self._pool is None:
                self._pool = self._make()
            return self._pool

    @property
    def data_dir(self):
        """Where the pool reads MNIST and Tiny Shakespeare (None: the default, or no pool yet)."""
        return getattr(self._pool, "data_dir", None)

    @property
    def cap_s(self) -> float:
        return self._pool.cap_s if self._pool is not None else CAP_S

    def session(self, owner: str) -> Session:
        with self._lock:
            return self.sessions.setdefault(owner, Session())

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


# -- the run's settings -------------------------------------------------------------------------

def read_text(pasted, upload) -> str:
    """The user's training text: the uploaded file (a path) if any, else the pasted text; UTF-8,
    at most 1 MB, not binary, at least MIN_TEXT_CHARS characters."""
    if upload:
        size = os.path.getsize(upload)
        if size > MAX_TEXT_BYTES:
            raise UserError("train.error.text_big", mb=size / 2**20)
        raw = Path(upload).read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise UserError("train.error.text_utf8", byte=e.start) from None
    else:
        text = pasted if isinstance(pasted, str) else ""
    if not text.strip():
        raise UserError("train.error.text_empty")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise UserError("train.error.text_big", mb=len(text.encode("utf-8", "surrogatepass")) / 2**20)
    if "\x00" in text or len(_CONTROL.findall(text)) > 0.01 * len(text):
        raise UserError("train.error.text_binary")
    if len(text) < MIN_TEXT_CHARS:
        raise UserError("train.error.text_short", n=len(text), min=MIN_TEXT_CHARS)
    try:
        return check_text(text)
    except SettingError as e:
        raise keyed(e) from None


LABELS = {"forget_bias": "train.fbias.label", "clip": "train.clip_value.label", "text": "train.pasted.label",
          "bidirectional": "train.bidirectional.label", "delay": "train.delay.label"}


def keyed(error: Exception) -> Exception:
    """A SettingError (the library's words, in English) as a UserError naming the control in the
    page's language; anything else as it is."""
    if not isinstance(error, SettingError):
        return error
    key = LABELS.get(error.field, f"train.{error.field}.label")
    label = Text(key) if key in _known() else error.field
    return UserError("train.error.setting", label=label)


def _known() -> set:
    from demo.i18n import strings
    return set(strings("en"))


def run_settings(c, pasted=None, upload=None) -> tuple[dict, str | None]:
    """Controls -> (Run's settings, the text to train on or None): UserError when they do not go
    together or the text cannot be used."""
    bad = ctl.problem(c)
    if bad is not None:
        raise bad
    text = read_text(pasted, upload) if c.task == "text" and c.source == "mine" else None
    return ctl.settings(c), text


def weights_name(settings: dict) -> str:
    """The weights' name: the cell's when the app's tabs know a model of that name (so that
    ``python app.py --weights-dir`` shows it in its place), else "mine"."""
    cell, both = settings["cell"], settings.get("bidirectional")
    if settings["task"] == "text":
        return cell if cell in ("lstm", "rnn") else "mine"
    if both:
        return "bilstm" if cell == "lstm" else "mine"
    return cell if cell in ("lstm", "gru", "rnn", "peephole") else "mine"


# -- Play, Pause, Step, Reset -------------------------------------------------------------------

def _wanted(c, pasted, upload) -> list[tuple[dict, str | None]]:
    """The settings (and text) of the page's runs: A's, and B's in the compare mode; both checked
    before either starts."""
    runs = [run_settings(c, pasted, upload)]
    if c.compare:
        b = ctl.second(c)
        bad = ctl.problem(b)
        if bad is not None:
            raise bad
        runs.append((ctl.settings(b), runs[0][1]))
    return runs


def _submit(trainer: Trainer, owner: str, run: Session, settings: dict, text, paused: bool) -> bool:
    """``run``'s job for these settings: the one it has when they are the same and it has not
    ended, else a new one (the old one stopped).  Returns whether it is new."""
    job = run.job
    if job is not None and job.end is None and run.settings == settings and run.text == text:
        return False
    if job is not None:
        job.stop()
    try:
        job = trainer.pool.submit(settings, owner=owner, text=text, paused=paused, name=weights_name(settings))
    except SettingError as e:
        raise keyed(e) from None
    run.job, run.settings, run.text, run.records, run.views, run.last = job, settings, text, [], {}, None
    return True


def _start(trainer: Trainer, owner: str, c, pasted, upload, lang: str, extra: dict | None, paused: bool):
    """The page's runs for controls ``c`` (``_submit``; run B only in the compare mode, a run B
    no longer wanted stopped).  Returns (session, {run: whether its job is new})."""
    wanted = _wanted(c, pasted, upload)
    s = trainer.session(owner)
    s.lang = lang
    if len(wanted) == 1 and s.b is not None:
        if s.b.job is not None:
            s.b.job.stop()
        s.b = None
    elif len(wanted) == 2 and s.b is None:
        s.b = Session(lang=lang)
    new = {}
    for (run, side), (settings, text) in zip(s.runs().items(), wanted):
        side.lang = lang
        try:
            new[run] = _submit(trainer, owner, side, {**settings, **(extra or {})}, text, paused)
        except Exception:
            if new.get("a") and s.job is not None:     # B refused (the line is full): A does not train alone
                s.job.stop()
            raise
    return s, new


def play(trainer: Trainer, owner: str, c, pasted=None, upload=None, lang: str = "en", extra: dict | None = None):
    """Play: start (or go on with) the page's runs, then stream them (``watch``)."""
    s, new = _start(trainer, owner, c, pasted, upload, lang, extra, paused=False)
    for run, side in s.runs().items():
        if not new[run]:
            side.job.play()
    yield from watch(trainer, owner, lang)


def step(trainer: Trainer, owner: str, c, pasted=None, upload=None, lang: str = "en", extra: dict | None = None,
         n: int = STEP_STEPS):
    """Step: ``n`` training steps of each run (a new run starts paused first), then pause; streamed."""
    s, _ = _start(trainer, owner, c, pasted, upload, lang, extra, paused=True)
    for side in s.runs().values():
        side.job.step(n)
    yield from watch(trainer, owner, lang)


def pause(trainer: Trainer, owner: str) -> dict:
    """Pause: the runs stop at their next step; their stream shows that, then ends."""
    s = trainer.sessions.get(owner)
    if s is not None:
        for side in s.runs().values():
            if side.job is not None:
                side.job.pause()
    return {"status": SKIP}


def reset(trainer: Trainer, owner: str, lang: str = "en") -> dict:
    """Stop the page's runs and clear every view."""
    s = trainer.session(owner)
    for side in s.runs().values():
        if side.job is not None:
            side.job.stop()
    s.job, s.records, s.views, s.last, s.settings, s.text, s.b = None, [], {}, None, {}, None, None
    s.token += 1                       # a stream still running ends
    s.lang = lang
    return blank(trainer, s, lang)


def gone(trainer: Trainer, owner: str) -> int:
    """The page went away: its run stops (and the pool's worker is free), its views are forgotten."""
    with trainer._lock:
        trainer.sessions.pop(owner, None)
        pool = trainer._pool
    return pool.cancel_owner(owner) if pool is not None else 0


# -- streaming ------------------------------------------------------------------------------------

def watch(trainer: Trainer, owner: str, lang: str = "en"):
    """The page's runs as they go: one answer per update of the pool (5 a second for each run
    while it trains), until each has ended or stayed paused PAUSE_LINGER s.  A newer stream of
    the page ends this one; closed while a run still plays (the page went away), it stops them."""
    s = trainer.session(owner)
    s.token += 1
    token, runs = s.token, s.runs()
    jobs = {run: side.job for run, side in runs.items()}
    finished, quiet, ended, fresh, maps_at = False, {}, set(), set(jobs), 0.0
    try:
        for run, u in compare.merged(jobs, UPDATE_TIMEOUT):
            if s.token != token or {r: side.job for r, side in s.runs().items()} != jobs:
                finished = True
                return
            now = time.monotonic()
            if u.state in ("paused", "parked"):
                quiet.setdefault(run, now)
            else:
                quiet.pop(run, None)
            if u.end is not None:
                ended.add(run)
            first = run in fresh
            fresh.discard(run)
            maps = first or u.end is not None or run in quiet or now - maps_at >= MAP_EVERY
            maps_at = now if maps else maps_at
            if first:
                runs[run].records = []      # a stream's first update holds every record so far
            yield frame(trainer, s, u, maps, first, run)
            if all(r in ended or (r in quiet and now - quiet[r] >= PAUSE_LINGER) for r in jobs):
                finished = True
                return
        finished = True
    finally:
        if not finished and s.token == token and any(job.end is None for job in jobs.values()):
            gone(trainer, owner)


def frame(trainer: Trainer, s: Session, u, maps: bool = True, first: bool = False, run: str = "a") -> dict:
    """One update ``u`` of the session's run ``run`` ("a", or the compare mode's "b") as the page's
    answer (what did not change: SKIP).  ``first``: everything drawn, and the other task's views
    hidden.  The fixed example's views are run A's."""
    side = s.runs().get(run, s)
    side.records.extend(u.records)
    if u.views:
        side.views.update(u.views)
    side.last = u
    task = s.settings.get("task", "digits")
    out = dict.fromkeys(FRAME, SKIP)
    if first and run == "a":     # and the run has weights to open in the lens (demo.train.lens)
        out.update({n: Update(visible=False) for n in (DIGIT_VIEWS if task == "text" else ("sample",))},
                   open=Update(interactive=True))
    out["status"] = status(trainer, s)
    if u.records or first:
        out.update(curves(s))
    if run == "a" or s.b is not None:             # the compare mode: B's insides beside A's
        out.update(inside(s, u, task, maps, first))
    return out


def status(trainer: Trainer, s: Session) -> str:
    """Where the page's run is, or both runs in the compare mode (each named; the one in line said)."""
    cap, lang = (s.job.cap_s if s.job is not None else trainer.cap_s), s.lang

    def error(side):
        return message(keyed(side.last.error), lang) if side.last.error is not None else ""
    if s.b is None:
        return views.status_text(s.last, cap, s.records, lang, error(s))
    shown = {run: side for run, side in s.runs().items() if side.last is not None}
    names = {run: compare.run_name(side.settings, run, lang) for run, side in shown.items()}
    waiting = compare.in_line({run: side.last.state for run, side in shown.items()})
    return views.compare_status([(names[run], side.last, side.records, error(side)) for run, side in shown.items()],
                                cap, lang, names.get(waiting))


def inside(s: Session, u, task: str, maps: bool, first: bool) -> dict:
    """The fixed example, confusion matrix and sample, when they changed (compare: inside_both)."""
    if s.b is not None:
        return inside_both(s, u, maps, first)
    out, fresh, lang = {}, u.views or {}, s.lang
    if "example" in s.views and (maps or first) and ("example" in fresh or first):
        out.update(example_views(s, task, first))
    if "confusion" in fresh or (first and "confusion" in s.views):
        out["confusion"] = Update(value=views.confusion_map(s.views["confusion"], lang), visible=True)
    if "sample" in fresh or (first and "sample" in s.views):
        out["sample"] = Update(value=views.sample_text(s.views["sample"], lang), visible=True)
    return out


def inside_both(s: Session, u, maps: bool, first: bool) -> dict:
    """The compare mode: both runs' maps, answers and confusion (demo.train.compare.inside)."""
    fresh, lang, out = u.views or {}, s.lang, {}
    names = (compare.run_name(s.settings, "a", lang), compare.run_name(s.b.settings, "b", lang))
    got = compare.inside(s.views, s.b.views, names, lang)
    if "maps" in got and (maps or first) and ("example" in fresh or first):
        shown = got["maps"][:MAX_MAPS]
        out.update({name: Update(value=shown[k][1], visible=True) if k < len(shown) else Update(visible=False)
                    for k, name in enumerate(MAPS)})
        out.update({k: Update(value=got[k], visible=True) for k in ("input", "answers") if k in got})
    if "confusion" in got and ("confusion" in fresh or first):
        out["confusion"] = Update(value=got["confusion"], visible=True)
    return out


def curves(s: Session) -> dict:
    """The loss and accuracy charts and the gradient chart(s): one run's, or both runs' (the
    loss and accuracy on the same axes, a gradient chart each on the same scale)."""
    task = s.settings.get("task", "digits")
    digit_rows, clip = (28 if task != "text" else None), s.settings.get("clip") is not None
    if s.b is None:
        return {"loss": views.curves_html(s.records, "loss", s.x, task, s.lang),
                "acc": views.curves_html(s.records, "acc", s.x, task, s.lang),
                "grads": views.grads_html(s.records, digit_rows, s.lang, clip=clip), "grads_b": Update(visible=False)}
    runs = [(run, compare.run_name(side.settings, run, s.lang), side.records) for run, side in s.runs().items()]
    y_range = views.grad_range(*(records for *_, records in runs))
    grads = [views.grads_html(records, digit_rows, s.lang, clip, name, run, y_range) for run, name, records in runs]
    return {"loss": views.curves_html([], "loss", s.x, task, s.lang, runs=runs),
            "acc": views.curves_html([], "acc", s.x, task, s.lang, runs=runs),
            "grads": grads[0], "grads_b": Update(value=grads[1], visible=True)}


def example_views(s: Session, task: str, first: bool) -> dict:
    """The fixed example's maps (hidden slots for gates the cell lacks); digits: the rows and answers."""
    example, lang = s.views["example"], s.lang
    maps = views.example_maps(example, s.settings.get("cell", "lstm"), lang)[:MAX_MAPS]
    out = {name: Update(value=maps[k][1], visible=True) if k < len(maps) else Update(visible=False)
           for k, name in enumerate(MAPS)}
    if task != "text":
        out["input"] = Update(value=views.input_map(example, lang), visible=True)
        out["answers"] = Update(value=views.answers_map(example, lang), visible=True)
    return out


def blank(trainer: Trainer, s: Session, lang: str) -> dict:
    """Every view empty, as before a first Play (the charts' frames and what will show there)."""
    task = s.settings.get("task", "digits")
    empty = Session(settings={"task": task}, lang=lang, x=s.x)
    return {"status": views.idle_text(trainer.cap_s, lang), **curves(empty),
            **{name: Update(value=None, visible=False) for name in (*DIGIT_VIEWS, *MAPS)},
            "sample": Update(value="", visible=False), "open": Update(interactive=False)}


def redraw(trainer: Trainer, owner: str, x: str = "step", lang: str = "en") -> dict:
    """Every view again from what the page's run showed last (the x axis or the language changed)."""
    s = trainer.session(owner)
    s.x, s.lang = ("seconds" if x == "seconds" else "step"), lang
    if s.last is None:
        return blank(trainer, s, lang)
    return frame(trainer, s, replace(s.last, records=[], views=None), True, True)


# -- Download -------------------------------------------------------------------------------------

def download(trainer: Trainer, owner: str, folder: str | Path | None = None) -> str:
    """The page's trained weights as a zip of KIND_NAME.safetensors + KIND_NAME.json, exactly
    the weights/ format (``python app.py --weights-dir`` and load_digit_model / load_char_model
    read the unzipped folder).  Returns the zip's path (in ``folder``, else a new temporary one)."""
    s = trainer.sessions.get(owner)
    if s is None or s.job is None:
        raise UserError("train.error.no_run")
    if s.settings.get("cell") == "rnn_relu":
        raise UserError("train.error.relu_save")
    weights = s.job.result(timeout=30)
    if weights is None:
        raise UserError("train.error.no_weights")
    name = weights_name(s.settings)
    folder = Path(folder or tempfile.mkdtemp(prefix="rnn-lens-train-"))
    inner = folder / uuid.uuid4().hex
    try:
        paths = weights.save(inner, name)
    except SettingError as e:
        raise keyed(e) from None
    out = folder / f"rnn-lens_{weights.kind}_{name}_step{weights.step}.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in paths:
            z.write(p, Path(p).name)
            os.remove(p)
    inner.rmdir()
    return str(out)


# -- the controls shown ---------------------------------------------------------------------------

def shown_controls(task: str, cell: str, source: str, clip: bool, compare: bool = False,
                   cell_b: str = "lstm") -> dict:
    """Which controls mean something for this task and cell (the others are hidden, and the run
    leaves them out): the delay for "remember", the text's source (and the box for one's own)
    for "text", reading both ways for the digit tasks, the forget bias for the LSTMs, and run B's
    cell and forget bias in the compare mode."""
    digits = task != "text"
    return {"delay": Update(visible=task == "remember"), "source": Update(visible=not digits),
            "pasted": Update(visible=not digits and source == "mine"),
            "upload": Update(visible=not digits and source == "mine"),
            "bidirectional": Update(visible=digits), "bptt": Update(visible=not digits),
            "forget_bias": Update(visible=cell in FORGET_CELLS),
            "clip_value": Update(interactive=bool(clip)), "cell_b": Update(visible=bool(compare)),
            "forget_bias_b": Update(visible=bool(compare) and cell_b in FORGET_CELLS)}


SHOWN = ("delay", "source", "pasted", "upload", "bidirectional", "bptt", "forget_bias", "clip_value", "cell_b",
         "forget_bias_b")
LOOKS = ("task", "cell", "source", "clip", "compare", "cell_b")     # what shown_controls reads


def task_defaults(task: str, cell: str, source: str, clip: bool, compare: bool = False, cell_b: str = "lstm") -> dict:
    """A new task chosen: its own hidden size, learning rate, batch (and BPTT length), as the
    library's defaults for it, and the controls it shows."""
    task = task if task in TASKS else "digits"
    return {**{n: ctl.task_default(task, n) for n in ctl.TASK_SIZED},
            **shown_controls(task, cell, source, clip, compare, cell_b)}


TASK_OUTPUTS = (*ctl.TASK_SIZED, *SHOWN)
