"""Checks shared by the tabs' tables of controls (``demo.fields``) and their handlers: each takes a
value as it may come (a URL's text, a component's value, Python) and returns the canonical value,
or raises a ``UserError`` whose ``label`` names the control.  Pure (no gradio).

    from demo.checks import choice, whole, number
    check_t = whole(1, 28, Text("digits.t.label"))    # a Field's check: check_t("10") -> 10
    choice(("lstm", "gru"), Text("digits.model.label"))("gru")

URL numbers are plain ASCII: float() would also take full-width digits, "1_000" or " 5 ", which a link never
means.  Booleans never count as numbers.
"""
from __future__ import annotations

import math
import re

import numpy as np

from demo.errors import UserError

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def shown(value) -> str:
    """A value as it came in, for a message: repr, at most 40 characters."""
    r = repr(value)
    return r if len(r) <= 40 else r[:37] + "..."


def as_number(value, plain: bool = True) -> int | float | None:
    """An int, a float, a numpy number or a string holding one -> that number; else None.
    ``plain``: only a plain ASCII number counts as a string's (a link's); else whatever float()
    reads (an API's JSON client sends NaN as "nan")."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str) and (not plain or _NUMBER.fullmatch(value.strip())):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def check_whole(value, lo: int, hi: int, label, hint="", plain: bool = True) -> int:
    """A whole number from lo to hi (10.0 counts as 10); ``plain`` as ``as_number``'s."""
    x = as_number(value, plain)
    if x is None or (isinstance(x, float) and (not math.isfinite(x) or x != int(x))):
        raise UserError("app.check.whole", label=label, hint=hint, value=shown(value))
    x = int(x)
    if not lo <= x <= hi:
        raise UserError("app.check.range", label=label, lo=lo, hi=hi, hint=hint, value=x)
    return x


def check_number(value, lo: float, hi: float, label, hint="") -> float:
    """A finite number from lo to hi."""
    x = as_number(value)
    if x is None or not math.isfinite(x) or not lo <= x <= hi:
        raise UserError("app.check.number", label=label, lo=lo, hi=hi, hint=hint, value=shown(value))
    return float(x)


def check_choice(value, choices, label):
    if value not in choices:
        raise UserError("app.check.choice", label=label, choices=", ".join(map(str, choices)), value=shown(value))
    return value


def whole(lo: int, hi: int, label, hint="", empty=...):
    """A Field's check: a whole number lo..hi; ``empty`` (if given) is what None or "" mean."""
    def check(value):
        if empty is not ... and value in (None, ""):
            return empty
        return check_whole(value, lo, hi, label, hint)
    return check


def number(lo: float, hi: float, label, hint=""):
    """A Field's check: a finite number lo..hi."""
    return lambda value: check_number(value, lo, hi, label, hint)


def choice(choices, label, empty=...):
    """A Field's check: one of ``choices``; ``empty`` (if given) is what None or "" mean."""
    def check(value):
        if empty is not ... and value in (None, ""):
            return empty
        return check_choice(value, tuple(choices), label)
    return check


def text(max_chars: int, label):
    """A Field's check: text of at most ``max_chars`` characters (None: "")."""
    def check(value):
        if value is None:
            return ""
        if not isinstance(value, str):
            raise UserError("app.check.text", label=label, max=max_chars, value=shown(value))
        if len(value) > max_chars:
            raise UserError("app.check.text_long", label=label, max=max_chars, n=len(value))
        return value
    return check
