"""Interventions on a digit model, as a learner types them: ablate units ("3, 17, 40-42", or
the top-k most influential for this digit), clamp a gate from row t on, blank rows of the input.
Pure: parses and checks the request (ValueError with a message), runs the edited trace and names
the difference it makes.

    from demo.digits.interventions import Intervention, parse_numbers, run, difference
    iv = Intervention(ablate=(3, 17), clamp=(("f", 0.0),), from_step=10, blank_rows=(5, 6))
    edited = run(model, x, iv)                       # a DigitTrace, like a plain one
    difference(plain.probs, edited.probs, iv)        # "ablating 2 units ... turns this 7 into a 1"
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from demo.digits.model import CLASSES, DigitModel, DigitTrace
from demo.errors import Text, UserError
from demo.i18n import t

GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
              "r": "reset gate r", "z": "update gate z", "n": "candidate n"}
MAX_NUMBERS = 512
ABLATE, BLANK_ROWS = Text("digits.name.ablate"), Text("digits.name.blank_rows")  # parse_numbers' ``what``


@dataclass(frozen=True)
class Intervention:
    ablate: tuple[int, ...] = ()                 # top-layer hidden units forced to 0
    clamp: tuple[tuple[str, float], ...] = ()    # (gate, value): every unit of that gate
    from_step: int = 1                           # the edit starts at this row (1-based)
    blank_rows: tuple[int, ...] = ()             # input rows (1-based) set to 0 before reading

    @property
    def empty(self) -> bool:
        return not (self.ablate or self.clamp or self.blank_rows)

    def describe(self, lang: str = "en") -> str:
        """Plain words, e.g. "ablating 5 units and clamping the forget gate f to 1 from row 10"."""
        if lang != "en":
            return self._describe(lang)
        parts = []
        if self.ablate:
            shown = ", ".join(map(str, self.ablate[:6])) + ("…" if len(self.ablate) > 6 else "")
            parts.append(f"ablating {'unit' if len(self.ablate) == 1 else f'{len(self.ablate)} units'} ({shown})")
        for gate, value in self.clamp:
            parts.append(f"clamping the {GATE_NAMES.get(gate, gate)} to {value:g}")
        text = " and ".join(parts)
        if text and self.from_step > 1:
            text += f" from row {self.from_step}"
        if self.blank_rows:
            rows = format_ranges(self.blank_rows)
            text = (text + " and " if text else "") + f"blanking row{'s' if len(self.blank_rows) > 1 else ''} {rows}"
        return text or "no edit"


    def _describe(self, lang: str) -> str:
        """``describe`` from demo/i18n's texts (any language)."""
        parts = []
        if self.ablate:
            shown = ", ".join(map(str, self.ablate[:6])) + ("…" if len(self.ablate) > 6 else "")
            parts.append(t("digits.edit.ablating_one", lang, units=shown) if len(self.ablate) == 1 else
                         t("digits.edit.ablating_many", lang, n=len(self.ablate), units=shown))
        for gate, value in self.clamp:
            name = t(f"digits.gate_name.{gate}", lang) if gate in GATE_NAMES else gate
            parts.append(t("digits.edit.clamping", lang, gate=name, value=value))
        text = ""
        for part in parts:
            text = part if not text else t("digits.edit.and", lang, first=text, second=part)
        if text and self.from_step > 1:
            text = t("digits.edit.from_row", lang, edit=text, row=self.from_step)
        if self.blank_rows:
            rows = format_ranges(self.blank_rows)
            blank = t("digits.edit.blanking_many" if len(self.blank_rows) > 1 else "digits.edit.blanking_one",
                      lang, rows=rows)
            text = t("digits.edit.and", lang, first=text, second=blank) if text else blank
        return text or t("digits.edit.no_edit", lang)


def format_ranges(nums, sep: str = ", ") -> str:
    """(3, 4, 5, 9) -> "3-5, 9" (what parse_numbers reads back; links use sep=",")."""
    nums, out, k = sorted(set(int(n) for n in nums)), [], 0
    while k < len(nums):
        j = k
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[k]) if j == k else f"{nums[k]}-{nums[j]}")
        k = j + 1
    return sep.join(out)


def parse_numbers(text, lo: int, hi: int, what) -> tuple[int, ...]:
    """ "3, 17, 40-42" -> (3, 17, 40, 41, 42), each within [lo, hi]; a UserError otherwise, whose
    message starts with ``what``: the field's name, a ``Text`` (e.g. ``ABLATE``, ``BLANK_ROWS``)."""
    if text is None:
        return ()
    if not isinstance(text, str):
        raise UserError("digits.error.numbers_format", what=what, value=repr(text)[:40])
    if len(text) > 4000:
        raise UserError("digits.error.numbers_long", what=what)
    out = []
    for part in filter(None, (p.strip() for p in re.split(r"[,\s;]+", text))):
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not m:
            raise UserError("digits.error.numbers_part", what=what, part=part)
        a, b = int(m[1]), int(m[2] or m[1])
        if a > b:
            a, b = b, a
        if a < lo or b > hi:
            raise UserError("digits.error.numbers_range", what=what, part=part, lo=lo, hi=hi)
        out.extend(range(a, b + 1))
        if len(out) > MAX_NUMBERS:
            raise UserError("digits.error.numbers_many", what=what, max=MAX_NUMBERS)
    return tuple(sorted(set(out)))


def blanked(x: np.ndarray, rows) -> np.ndarray:
    """x (28, 28) with the given 1-based rows set to 0."""
    if not rows:
        return x
    out = x.copy()
    out[np.asarray(rows) - 1] = 0.0
    return out


def run(model: DigitModel, x: np.ndarray, iv: Intervention) -> DigitTrace:
    """The edited trace: rows blanked first, then the model's own ablate/clamp checks."""
    return model.trace_mnist(blanked(x, iv.blank_rows), ablate=list(iv.ablate), clamp=dict(iv.clamp),
                             from_step=iv.from_step)


def directions_note(iv: Intervention, hidden: int, model: str, lang: str = "en") -> str:
    """For a network reading both ways (``hidden`` units per direction; the list numbers them
    forward 0..H-1, then backward H..2H-1): which direction each edit acts on, and that "from
    row r" is each direction's own step r (forward rows r..28, backward rows 29-r..1)."""
    parts = []
    forward = [u for u in iv.ablate if u < hidden]
    backward = [u for u in iv.ablate if u >= hidden]
    if forward:
        parts.append(t("digits.edit.dirs.ablate_forward", lang, units=format_ranges(forward)))
    if backward:
        parts.append(t("digits.edit.dirs.ablate_backward", lang, units=format_ranges(u - hidden for u in backward),
                       numbers=format_ranges(backward)))
    for gate, _value in iv.clamp:
        name = t(f"digits.gate_name.{gate}", lang) if gate in GATE_NAMES else gate
        parts.append(t("digits.edit.dirs.clamp", lang, gate=name))
    if iv.from_step > 1 and (iv.ablate or iv.clamp):
        parts.append(t("digits.edit.dirs.from", lang, row=iv.from_step, back=29 - iv.from_step))
    if iv.blank_rows:
        parts.append(t("digits.edit.dirs.blank", lang))
    return t("digits.edit.dirs.intro", lang, model=model, parts="\n".join(parts))   # a Markdown list


def difference(plain: np.ndarray, edited: np.ndarray, iv: Intervention, lang: str = "en") -> str:
    """Name what the edit did to the answer after row 28.  plain, edited: (28, 10) probs."""
    a, b = int(plain[-1].argmax()), int(edited[-1].argmax())
    pa, pb = float(plain[-1, a]), float(edited[-1, a])
    what = iv.describe(lang)
    what = what[0].upper() + what[1:]
    if lang != "en":
        if a != b:
            return t("digits.edit.turns", lang, what=what, before=CLASSES[a], after=CLASSES[b],
                     p_after=float(edited[-1, b]), p_before=pa, p_before_edited=pb)
        return t("digits.edit.keeps", lang, what=what, before=CLASSES[a], p_before=pa, p_before_edited=pb)
    if a != b:
        return (f"{what} turns this **{CLASSES[a]}** into a **{CLASSES[b]}** "
                f"({CLASSES[b]}: {float(edited[-1, b]):.0%}; {CLASSES[a]}: {pa:.0%} → {pb:.0%}).")
    return f"{what} keeps the **{CLASSES[a]}** ({pa:.0%} → {pb:.0%})."
