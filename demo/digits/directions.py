"""A network that reads the digit both ways (the BiLSTM) in the Digits tab's words: which units are
which direction's, the row each of its steps reads, and the titles and notes that say so.  Pure.

A bidirectional ``DigitTrace`` has 2H units in step order (``demo.digits.model``): units 0..H-1
are the forward direction after rows 1..t, units H..2H-1 the backward one after rows 28..29-t.
At step t the forward head is on row t and the backward head on row 29 - t.

    from demo.digits.directions import both_ways, back_row, split_order, unit_direction
    both_ways(trace)                 # True for the BiLSTM
    back_row(5)                      # 24: the row the backward direction reads at step 5
    split_order(order, 128)          # the units of each direction's map, in the shown order
    unit_direction(130, 128)         # ("backward", 2)
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from demo.digits.model import CONFIGS
from demo.i18n import t as tr_

STEPS = 28
DIRECTIONS = ("forward", "backward")


def both_ways(trace) -> bool:
    """Whether a trace (or anything with ``directions``) reads the rows both ways."""
    return getattr(trace, "directions", 1) == 2


def named_both_ways(name: str) -> bool:
    """Whether the shipped model ``name`` reads both ways (its configuration says so)."""
    return bool(CONFIGS.get(name, {}).get("bidirectional", False))


def back_row(t: int) -> int:
    """The input row (1-based) the backward direction reads at its step t."""
    return STEPS + 1 - int(t)


def per_direction(trace) -> int:
    """H, the units of one direction (a trace's h is (28, 2H) when it reads both ways)."""
    return trace.h.shape[1] // (2 if both_ways(trace) else 1)


def split_order(order: np.ndarray, hidden: int) -> tuple[np.ndarray, np.ndarray]:
    """A permutation of the 2H units (forward 0..H-1, backward H..2H-1) -> each direction's units,
    in that order: the rows of its maps (real unit numbers, as the unit box takes them)."""
    order = np.asarray(order)
    return order[order < hidden], order[order >= hidden]


def unit_direction(unit: int, hidden: int) -> tuple[str, int]:
    """A unit of a model reading both ways -> (its direction, its number in that direction)."""
    return ("forward", int(unit)) if unit < hidden else ("backward", int(unit) - hidden)


def direction_words(direction: str, lang: str = "en") -> str:
    """"forward · reads rows 1→28" / "backward · reads rows 28→1": a map's direction."""
    return tr_(f"digits.dir.{direction}_reads", lang)


def map_title(name: str, direction: str, lang: str = "en") -> str:
    """A map's title with its reading direction: "i: input gate · backward · reads rows 28→1"."""
    return tr_("digits.dir.titled", lang, name=name, direction=direction_words(direction, lang))


def heading(direction: str, hidden: int, lang: str = "en") -> str:
    """The line above a direction's maps: its units and the row it reads at step t."""
    first = 0 if direction == "forward" else hidden
    return tr_(f"digits.dir.heading_{direction}", lang, first=first, last=first + hidden - 1)


@lru_cache(maxsize=16)
def column_rows(direction: str, lang: str = "en") -> tuple[str, ...]:
    """The input row of each step's column, for a map's tooltip ("row 24" for backward step 5)."""
    rows = range(1, STEPS + 1) if direction == "forward" else range(STEPS, 0, -1)
    return tuple(tr_("digits.dir.row", lang, row=r) for r in rows)


@lru_cache(maxsize=16)
def confidence_columns(lang: str = "en") -> tuple[str, ...]:
    """What the head has read at each step of a confidence map that reads both ways."""
    return tuple(tr_("digits.dir.read_both", lang, t=t, back=back_row(t), steps=STEPS) for t in range(1, STEPS + 1))


def rows_legend(t: int, lang: str = "en") -> list[str]:
    """The input view's legend: the forward head (orange), then the backward one (blue)."""
    return [tr_("digits.dir.head_forward", lang, t=t), tr_("digits.dir.head_backward", lang, back=back_row(t))]


def confidence_note(model: str, lang: str = "en") -> str:
    """What "confidence after step t" means for a network that reads both ways."""
    return tr_("digits.confidence.both", lang, model=model, steps=STEPS)


def step_caption(model: str, t: int, guess: str, p: float, lang: str = "en") -> str:
    """The step's caption for a network that reads both ways: where each head is."""
    return tr_("digits.caption.step_both", lang, t=t, back=back_row(t), steps=STEPS, model=model, guess=guess, p=p)
