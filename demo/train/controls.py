"""The Train tab's state as one table (``demo.fields``): the task, the network and how it learns,
each one control of the page and one key of a link.  Links, the page's controls, the lesson
presets ("Remember the digit" at D = 50, forget bias 2) and "Copy link" are all made from
``TABLE``.  Pure (no gradio: each ``component`` is called by the page).

    from demo.train.controls import TABLE, Controls, settings
    c = TABLE.decode({"task": "remember", "delay": "50", "fbias": "2", "cmp": "1"})
    settings(c)        # {"task": "remember", "cell": "lstm", "delay": 50, "forget_bias": 2.0, ...}
    TABLE.encode(c)    # [("task", "remember"), ("delay", "50"), ("fbias", "2"), ("cmp", "1")]
    second(c)          # run B's controls: the same, with B's cell and forget bias (torch's here)

``hidden``, ``lr``, ``batch`` and ``bptt`` are None for "the task's default"
(demo.train.TASK_DEFAULTS): the page shows that number, and a link leaves it out.  Controls that
mean nothing for the task or the cell (a delay for plain digits, a forget bias for a GRU) are
kept, not refused, and left out of the run's settings (``settings``); what cannot go together
(a peephole LSTM reading both ways) is refused when the run starts (``demo.train.handlers``).

The compare mode (``compare``: "cmp=1") trains a second run B beside the first (A): the same
task, network and learning, but its own cell (``cell_b``) and forget bias (``forget_bias_b``);
``second(c)`` is B's controls.
"""
from __future__ import annotations

import dataclasses

from demo.checks import choice, number, shown, whole
from demo.errors import Text, UserError
from demo.fields import Field, Table
from demo.train.settings import (BOTH_WAYS_CELLS, CELLS, FORGET_CELLS, MAX_BATCH, MAX_BPTT, MAX_CLIP, MAX_DELAY,
                                 MAX_FORGET_BIAS, MAX_LAYERS, MAX_LR, MAX_SEED, OPTIMIZERS, TASK_DEFAULTS, TASKS)

# what the page lets a person choose (the library allows more: Run's arguments)
MAX_HIDDEN = 512
SOURCES = ("shakespeare", "mine")       # the text task's corpus: Tiny Shakespeare, or the user's text
DEFAULT_DELAY = 50                      # the "remember the digit" lesson
TORCH_DEFAULT = "default"               # the forget-bias control's "torch's initialisation"
FORGET_BIASES = ("0", "1", "2", "3")    # offered besides TORCH_DEFAULT; any number may be typed
TASK_SIZED = ("hidden", "lr", "batch", "bptt")   # None: the task's default
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "adagrad": "Adagrad"}   # names, the same in every language


def task_default(task: str, name: str):
    """What ``name`` (hidden, lr, batch, bptt) is when the controls leave it None."""
    return TASK_DEFAULTS[task].get(name, 64 if name == "bptt" else None)


def check_flag(label):
    """A checkbox: True/False, or a link's 1/0 (true/false, yes/no)."""
    def check(value) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise UserError("train.error.flag", label=label, value=shown(value))
    return check


def forget_bias_check(label_key: str = "train.fbias.label"):
    """A forget-bias control's check: None (torch's initialisation: None, "" or "default") or a
    number from -20 to 20; its messages name the control ``label_key``."""
    def check(value) -> float | None:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", TORCH_DEFAULT)):
            return None
        return number(-MAX_FORGET_BIAS, MAX_FORGET_BIAS, Text(label_key))(value)
    return check


check_forget_bias = forget_bias_check()


def show_forget_bias(value) -> str:
    return TORCH_DEFAULT if value is None else f"{value:g}"


def _flag_url(value) -> str:
    return "1" if value else "0"


def _forget_bias_url(value) -> str:
    return "" if value is None else f"{value:g}"


def _task_sized(name: str, check):
    """A check where None or "" is the task's default."""
    return lambda value: None if value in (None, "") else check(value)


def _radio(gr, K, name, choices, value, **kw):
    return gr.Radio([(K(f"train.{name}.{c}"), c) for c in choices], value=value, label=K(f"train.{name}.label"),
                    elem_id=f"train-{name}", **kw)


def _forget_bias(gr, K, name, elem_id, **kw):
    choices = [(K("train.fbias.default"), TORCH_DEFAULT), *((K(f"train.fbias.b{b}"), b) for b in FORGET_BIASES)]
    return gr.Dropdown(choices, value=TORCH_DEFAULT, allow_custom_value=True, label=K(f"train.{name}.label"),
                       elem_id=elem_id, min_width=160, **kw)


def _cells(gr, K, name, elem_id, **kw):
    return gr.Dropdown([(K(f"train.cell.{c}"), c) for c in CELLS], value="lstm", label=K(f"train.{name}.label"),
                       elem_id=elem_id, min_width=160, **kw)


def _number(gr, K, name, value, **kw):
    return gr.Number(value, label=K(f"train.{name}.label"), elem_id=f"train-{name}", min_width=120, **kw)


L = Text  # a control's label, named in its messages
TABLE = Table("train", [
    Field("task", "task", "digits", check=choice(TASKS, L("train.task.label")),
          component=lambda gr, K: _radio(gr, K, "task", TASKS, "digits", info=K("train.task.info")),
          example="remember"),
    Field("delay", "delay", DEFAULT_DELAY, check=whole(0, MAX_DELAY, L("train.delay.label")),
          component=lambda gr, K: gr.Slider(0, MAX_DELAY, value=DEFAULT_DELAY, step=1, label=K("train.delay.label"),
                                            info=K("train.delay.info"), elem_id="train-delay", visible=False),
          example="10"),
    Field("source", "corpus", "shakespeare", check=choice(SOURCES, L("train.source.label")),
          component=lambda gr, K: _radio(gr, K, "source", SOURCES, "shakespeare", visible=False),
          example="mine"),
    Field("cell", "cell", "lstm", check=choice(CELLS, L("train.cell.label")),
          component=lambda gr, K: _cells(gr, K, "cell", "train-cell"), example="gru"),
    Field("bidirectional", "bidi", False, check=check_flag(L("train.bidirectional.label")),
          component=lambda gr, K: gr.Checkbox(False, label=K("train.bidirectional.label"),
                                              elem_id="train-bidirectional", min_width=120),
          url=_flag_url, example="1"),
    Field("hidden", "hidden", None, check=_task_sized("hidden", whole(1, MAX_HIDDEN, L("train.hidden.label"))),
          component=lambda gr, K: _number(gr, K, "hidden", task_default("digits", "hidden"), precision=0,
                                           minimum=1, maximum=MAX_HIDDEN),
          example="32"),
    Field("layers", "layers", 1, check=whole(1, MAX_LAYERS, L("train.layers.label")),
          component=lambda gr, K: gr.Slider(1, MAX_LAYERS, value=1, step=1, label=K("train.layers.label"),
                                            elem_id="train-layers", min_width=120),
          example="2"),
    Field("optimizer", "opt", "adam", check=choice(OPTIMIZERS, L("train.optimizer.label")),
          component=lambda gr, K: gr.Radio([(OPTIMIZER_NAMES[o], o) for o in OPTIMIZERS], value="adam",
                                           label=K("train.optimizer.label"), elem_id="train-optimizer"),
          example="sgd"),
    Field("lr", "lr", None, check=_task_sized("lr", number(1e-6, MAX_LR, L("train.lr.label"))),
          component=lambda gr, K: _number(gr, K, "lr", task_default("digits", "lr"), step=0.001),
          example="0.001"),
    Field("batch", "batch", None, check=_task_sized("batch", whole(1, MAX_BATCH, L("train.batch.label"))),
          component=lambda gr, K: _number(gr, K, "batch", task_default("digits", "batch"), precision=0,
                                          minimum=1, maximum=MAX_BATCH),
          example="16"),
    Field("bptt", "bptt", None, check=_task_sized("bptt", whole(1, MAX_BPTT, L("train.bptt.label"))),
          component=lambda gr, K: _number(gr, K, "bptt", task_default("text", "bptt"), precision=0, minimum=1,
                                          maximum=MAX_BPTT, visible=False, info=K("train.bptt.info")),
          example="32"),
    Field("clip", "clip", True, check=check_flag(L("train.clip.label")),
          component=lambda gr, K: gr.Checkbox(True, label=K("train.clip.label"), elem_id="train-clip",
                                              min_width=120),
          url=_flag_url, example="0"),
    Field("clip_value", "clipv", 1.0, check=number(1e-3, MAX_CLIP, L("train.clip_value.label")),
          component=lambda gr, K: _number(gr, K, "clip_value", 1.0, step=0.1, minimum=0.001, maximum=MAX_CLIP),
          example="5"),
    Field("forget_bias", "fbias", None, check=check_forget_bias,
          component=lambda gr, K: _forget_bias(gr, K, "fbias", "train-fbias", info=K("train.fbias.info")),
          shown=show_forget_bias, url=_forget_bias_url, example="2"),
    Field("seed", "trseed", 0, check=whole(0, MAX_SEED, L("train.seed.label"), empty=0),
          component=lambda gr, K: _number(gr, K, "seed", 0, precision=0, minimum=0),
          example="7"),
    # the compare mode: a second run (B) beside the first, the same in all but its cell and forget bias
    Field("compare", "cmp", False, check=check_flag(L("train.compare.label")),
          component=lambda gr, K: gr.Checkbox(False, label=K("train.compare.label"), info=K("train.compare.info"),
                                              elem_id="train-compare-on", min_width=200),
          url=_flag_url, example="1"),
    Field("cell_b", "cell2", "lstm", check=choice(CELLS, L("train.cell_b.label")),
          component=lambda gr, K: _cells(gr, K, "cell_b", "train-cell-b", visible=False), example="rnn"),
    Field("forget_bias_b", "fbias2", None, check=forget_bias_check("train.fbias_b.label"),
          component=lambda gr, K: _forget_bias(gr, K, "fbias_b", "train-fbias-b", visible=False),
          shown=show_forget_bias, url=_forget_bias_url, example="2"),
], module=__name__)
Controls = TABLE.Controls
CONTROLS = tuple(f.name for f in TABLE.components)


def effective(c, name: str):
    """The value a control shows and the run uses: its own, or the task's default (TASK_SIZED)."""
    value = getattr(c, name)
    return task_default(c.task, name) if value is None and name in TASK_SIZED else value


def normalised(c):
    """``c`` with the task-sized controls that equal the task's default set to None (what the
    page shows for the default is the default: a link leaves it out)."""
    same = {n: None for n in TASK_SIZED if getattr(c, n) is not None and getattr(c, n) == task_default(c.task, n)}
    return TABLE.check(same, base=c) if same else c


def settings(c) -> dict:
    """The run's settings (demo.train.Run's arguments) of controls ``c``: the controls that mean
    something for the task and the cell; None leaves the library's default (the same numbers
    the page shows)."""
    out = dict(task=c.task, cell=c.cell, hidden=c.hidden, layers=c.layers, optimizer=c.optimizer, lr=c.lr,
               batch=c.batch, clip=c.clip_value if c.clip else None, seed=c.seed)
    if c.task == "remember":
        out["delay"] = c.delay
    if c.task == "text":
        out["bptt"] = c.bptt
    elif c.bidirectional:
        out["bidirectional"] = True
    if c.cell in FORGET_CELLS:
        out["forget_bias"] = c.forget_bias
    return out


def second(c):
    """Run B's controls of the compare mode: ``c`` with B's cell and forget bias (the rest shared)."""
    return dataclasses.replace(c, cell=c.cell_b, forget_bias=c.forget_bias_b, compare=False)


def problem(c) -> UserError | None:
    """What the run cannot do with controls that each are fine (None: nothing)."""
    if c.task != "text" and c.bidirectional and c.cell not in BOTH_WAYS_CELLS:
        return UserError("train.error.both_ways", cell=Text(f"train.cell.{c.cell}"))
    return None
