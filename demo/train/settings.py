"""A training run's settings, checked in one place: ``Settings.make(**kwargs)`` returns a frozen
``Settings`` with every task default filled in, or raises ``SettingError`` (a ValueError) whose
``field`` names the argument at fault and whose message says what it may be.

    Settings.make(task="remember", cell="lstm", delay=50, forget_bias=2.0)
    Settings.make(lr=float("nan"))   # SettingError: lr must be a number above 0 and at most 10, got nan

None means "off" for clip, "torch's initialisation" for forget_bias and "all of it" for
train_size; for every other setting it means the default (TASK_DEFAULTS for hidden, lr, batch,
bptt, embed, val_size and record_every).  Arguments that mean nothing for the task (a delay for plain digits, bptt for digits, a
forget bias for a cell without a forget gate, text for the digit tasks) are refused, not ignored.
"""
from __future__ import annotations

import math
import operator
from dataclasses import asdict, dataclass

TASKS = ("digits", "remember", "text")
# "rnn": tanh; "rnn_relu": the same plain RNN with ReLU (h' = relu(W_ih x + W_hh h + b))
CELLS = ("rnn", "rnn_relu", "gru", "lstm", "peephole")
FORGET_CELLS = ("lstm", "peephole")          # cells with a forget gate
BOTH_WAYS_CELLS = ("rnn", "rnn_relu", "gru", "lstm")  # DigitRNN reads both ways with these
OPTIMIZERS = ("sgd", "adam", "adagrad")

MAX_HIDDEN, MAX_LAYERS, MAX_DELAY = 1024, 4, 100
MAX_BATCH, MAX_BPTT, MAX_EMBED = 1024, 512, 256
MAX_LR, MAX_CLIP, MAX_FORGET_BIAS = 10.0, 1000.0, 20.0
MAX_SEED = 2**32 - 1
MAX_RECORD_EVERY = 100_000
NONE_MEANS_OFF = ("clip", "forget_bias", "train_size")  # None: no clipping, torch's init, all the data

# record_every: a record (validation, and the gradient reaching each step measured in the step's
# own backward) costs ~21 ms for digits, ~70 ms for remember at D = 50 (LSTM) and ~36 ms for text,
# against ~5, ~12 and ~16 ms per step on one thread (benchmarks/bench_train.py, 2026-12-07): these
# spacings keep the live run at >= 0.8x a bare loop's steps per second while records still come
# several times a second (digits: every 40 steps, ~4.4 a second at the live run's ~175 steps/s;
# every 30 measured 0.80x, every 40 0.82-0.87x).
TASK_DEFAULTS = {
    # the first run: LSTM 1x64, Adam lr 0.01, batch 64
    "digits": dict(hidden=64, lr=1e-2, batch=64, val_size=1000, record_every=40),
    # the digit then `delay` blank rows; Adam lr 0.005
    "remember": dict(hidden=64, lr=5e-3, batch=64, val_size=1000, record_every=40),
    # char-rnn: LSTM 1x128, embedding 32, Adam 3e-3, 32 windows of 64 characters
    "text": dict(hidden=128, lr=3e-3, batch=32, bptt=64, embed=32, val_size=10_000, record_every=15),
}


class SettingError(ValueError):
    """A setting the run cannot use; ``field`` is the argument's name (the message starts with it)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field} {message}")


@dataclass(frozen=True)
class Settings:
    """Everything that decides a run's records, step for step (besides the data themselves)."""
    task: str = "digits"
    cell: str = "lstm"
    hidden: int = 64
    layers: int = 1
    optimizer: str = "adam"
    lr: float = 1e-2
    batch: int = 64
    delay: int = 0
    clip: float | None = 1.0             # gradient-norm clipping; None: off
    forget_bias: float | None = None     # None: torch's initialisation
    seed: int = 0
    bidirectional: bool = False
    bptt: int | None = None              # text: characters per training window
    embed: int | None = None             # text: embedding size (0: one-hot inputs)
    record_every: int = 10               # steps between records
    train_size: int | None = None        # digits: training images; text: training characters (None: all)
    val_size: int = 1000                 # digits: validation images; text: validation characters

    @classmethod
    def make(cls, **kwargs) -> "Settings":
        unknown = sorted(set(kwargs) - set(cls.__dataclass_fields__))
        if unknown:
            raise SettingError(unknown[0], "is not a setting of a training run")
        task = _choice("task", kwargs.get("task", "digits"), TASKS)
        given = {k: v for k, v in kwargs.items() if v is not None or k in NONE_MEANS_OFF}
        values = {**asdict(cls()), "bptt": None, "embed": None, **TASK_DEFAULTS[task], **given}
        values["task"] = task
        checked = {name: check(values[name]) for name, check in _CHECKS.items() if values[name] is not None}
        out = cls(**{**values, **checked})
        out._check_fits()
        return out

    def _check_fits(self) -> None:
        """The settings that depend on each other (the task, the cell)."""
        if self.task == "text":
            if self.bidirectional:
                raise SettingError("bidirectional", "is for the digit tasks: a text model reads "
                                   "left to right to predict the next character")
        else:
            for name in ("bptt", "embed"):
                if getattr(self, name) is not None:
                    raise SettingError(name, f"is a setting of the text task, not of {self.task!r}")
        if self.delay and self.task != "remember":
            raise SettingError("delay", f"is for the remember task; {self.task!r} has no blank rows (use 0)")
        if self.forget_bias is not None and self.cell not in FORGET_CELLS:
            raise SettingError("forget_bias", f"is for the LSTM cells ({', '.join(FORGET_CELLS)}); "
                               f"the {self.cell!r} cell has no forget gate (use None)")
        if self.bidirectional and self.cell not in BOTH_WAYS_CELLS:
            raise SettingError("bidirectional", f"works with {', '.join(BOTH_WAYS_CELLS)}, "
                               f"not {self.cell!r}")
        if self.train_size is not None and self.task != "text" and self.train_size < self.batch:
            raise SettingError("train_size", f"must hold at least one batch ({self.batch} images), "
                               f"got {self.train_size}")

    def as_dict(self) -> dict:
        return asdict(self)


def _whole(name: str, lo: int, hi: int):
    def check(value) -> int:
        try:
            if isinstance(value, bool):
                raise TypeError
            n = operator.index(value)  # int or numpy integer; 10.0 is refused too
        except TypeError:
            if isinstance(value, float) and math.isfinite(value) and value == int(value):
                n = int(value)
            else:
                raise SettingError(name, f"must be a whole number from {lo} to {hi}, got {value!r}") from None
        if not lo <= n <= hi:
            raise SettingError(name, f"must be from {lo} to {hi}, got {n}")
        return int(n)
    return check


def _number(name: str, lo: float, hi: float, above: bool = False):
    """A finite number in [lo, hi] (or (lo, hi] when ``above``)."""
    def check(value) -> float:
        x = None
        if not isinstance(value, (bool, str, bytes)):  # "0.1" is not a number here; numpy numbers are
            try:
                x = float(value)
            except (TypeError, ValueError):
                pass
        if x is None or not math.isfinite(x) or not (lo < x if above else lo <= x) or x > hi:
            side = f"above {lo:g}" if above else f"from {lo:g}"
            raise SettingError(name, f"must be a number {side} and at most {hi:g}, got {value!r}")
        return x
    return check


def _choice(name: str, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise SettingError(name, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def _flag(name: str):
    def check(value) -> bool:
        if not isinstance(value, bool):
            raise SettingError(name, f"must be True or False, got {value!r}")
        return value
    return check


def _clip(value) -> float | None:
    if value is False or value == 0:
        return None  # 0 or False: off
    return _number("clip", 0.0, MAX_CLIP, above=True)(value)


_CHECKS = {
    "cell": lambda v: _choice("cell", v, CELLS),
    "optimizer": lambda v: _choice("optimizer", v, OPTIMIZERS),
    "hidden": _whole("hidden", 1, MAX_HIDDEN),
    "layers": _whole("layers", 1, MAX_LAYERS),
    "lr": _number("lr", 0.0, MAX_LR, above=True),
    "batch": _whole("batch", 1, MAX_BATCH),
    "delay": _whole("delay", 0, MAX_DELAY),
    "clip": _clip,
    "forget_bias": _number("forget_bias", -MAX_FORGET_BIAS, MAX_FORGET_BIAS),
    "seed": _whole("seed", 0, MAX_SEED),
    "bidirectional": _flag("bidirectional"),
    "bptt": _whole("bptt", 1, MAX_BPTT),
    "embed": _whole("embed", 0, MAX_EMBED),
    "record_every": _whole("record_every", 1, MAX_RECORD_EVERY),
    "train_size": _whole("train_size", 1, 10**9),
    "val_size": _whole("val_size", 1, 10**9),
}
