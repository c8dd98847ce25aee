"""Interventions while generating: clamp or ablate units of the top layer at every step, generate
side by side with the unedited model (same seed, settings and random seed), and measure what
changed.  Pure: parses what a learner types, runs the two generations, counts.

    clamp = parse_clamp("c25 = 2, h7=-0.5")          # {("c", 25): 2.0, ("h", 7): -0.5}
    ablate = parse_units("h7, c204")                  # [("h", 7), ("c", 204)]
    cmp = side_by_side(model, "ROMEO:\\n", 500, 0.8, 0, 0, clamp, ablate, usual=(20, 50))
    cmp.plain, cmp.edited, cmp.stats_plain.mean_line    # the two texts and their line statistics

A line is a line of the text for Tiny Shakespeare, and a poem line (the characters between two
punctuation marks) for the Tang poems (``line_lengths``; the model's corpus picks).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from demo.errors import UserError
from demo.i18n import t as tr_
from demo.text import limits
from demo.text.tang import MARK_END, POEM_END, split_lines
from demo.text.units import corpus_of

UNIT_RE = re.compile(r"^\s*([hc])\s*\[?\s*:?\s*(\d+)\s*\]?\s*$")
CLAMP_RE = re.compile(r"^\s*([hc])\s*\[?\s*:?\s*(\d+)\s*\]?\s*=\s*(\S+)\s*$")


def parse_units(text) -> list[tuple[str, int]]:
    """"h7, c[204]" -> [("h", 7), ("c", 204)]; empty -> []."""
    out = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        m = UNIT_RE.match(part)
        if not m:
            raise UserError("text.error.unit_syntax", part=part.strip())
        out.append((m.group(1), int(m.group(2))))
    return out


def parse_clamp(text) -> dict[tuple[str, int], float]:
    """"c25 = 2, h7=-0.5" -> {("c", 25): 2.0, ("h", 7): -0.5}; empty -> {}."""
    out = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        m = CLAMP_RE.match(part)
        if not m:
            raise UserError("text.error.clamp_syntax", part=part.strip())
        try:
            value = float(m.group(3))
        except ValueError:
            raise UserError("text.error.clamp_number", part=part.strip(), value=m.group(3)) from None
        out[(m.group(1), int(m.group(2)))] = value
    return out


def describe(clamp: dict, ablate: list, lang: str = "en") -> str:
    """The edit in words ("c[25] clamped to 2, h[7] ablated (0)"), in ``lang``."""
    parts = [tr_("text.edit.clamped", lang, state=s, unit=u, value=v) for (s, u), v in clamp.items()]
    parts += [tr_("text.edit.ablated", lang, state=s, unit=u) for s, u in ablate]
    return tr_("app.sep.list", lang).join(parts) or tr_("text.edit.no_edit", lang)


@dataclass(frozen=True)
class LineStats:
    lines: int              # complete lines (ended by a newline), blank ones excluded
    mean_line: float        # their mean length in characters (nan when none)
    usual: float            # fraction whose length lies in the usual range (nan when none)


def poem_lines(text: str) -> list[str]:
    """The complete poem lines of Tang text (marker, MARK_END, lines, POEM_END: demo.text.tang): in
    each poem (its form marker and MARK_END left out), every line ended by one of LINE_MARKS;
    a line still being written, and an empty one, are left out."""
    out = []
    for poem in text.split(POEM_END):
        k = poem.find(MARK_END)
        lines, puncts = split_lines(poem[k + 1:] if 0 <= k <= 2 else poem)
        out += [line for line, p in zip(lines, puncts) if p and line]
    return out


def line_lengths(text: str, corpus: str = "shakespeare") -> list[int]:
    """The lengths of the complete non-empty lines of ``text``: the text's lines (the part after
    the last newline is unfinished), or for the Tang poems the poem lines (``poem_lines``)."""
    if corpus == "tang":
        return [len(line) for line in poem_lines(text)]
    return [len(line) for line in text.split("\n")[:-1] if line]


def line_stats(text: str, usual: tuple[float, float], corpus: str = "shakespeare") -> LineStats:
    """Complete non-empty lines of ``text`` (``line_lengths``): how many, their mean length, and
    the fraction with a length in [usual[0], usual[1]]."""
    lengths = np.array(line_lengths(text, corpus), float)
    if not len(lengths):
        return LineStats(0, float("nan"), float("nan"))
    lo, hi = usual
    return LineStats(len(lengths), float(lengths.mean()), float(((lengths >= lo) & (lengths <= hi)).mean()))


@dataclass(frozen=True)
class SideBySide:
    edit: str               # in words
    plain: str
    edited: str
    first_difference: int | None   # 0-based index of the first character that differs (None: same)
    stats_plain: LineStats
    stats_edited: LineStats
    usual: tuple[float, float]
    clamp: dict = field(default_factory=dict)   # the edit itself, to describe it in any language
    ablate: tuple = ()


def side_by_side(model, seed, length, temperature, top_k, rng_seed, clamp: dict, ablate: list,
                 usual: tuple[float, float]) -> SideBySide:
    """The unedited and the edited model from the same seed, settings and random seed."""
    limits.check_seed(seed)
    edit = model.edit(clamp, ablate)  # checked before anything runs
    if edit is None:
        raise UserError("text.error.nothing_to_edit")
    if rng_seed in (None, ""):
        raise UserError("text.error.set_rng")
    plain = model.generate(seed, length, temperature, top_k, rng_seed)
    edited = model.generate(seed, length, temperature, top_k, rng_seed, clamp=clamp, ablate=ablate)
    diff = next((i for i, (a, b) in enumerate(zip(plain, edited)) if a != b), None)
    corpus = corpus_of(model)
    return SideBySide(describe(clamp, ablate), plain, edited, diff, line_stats(plain, usual, corpus),
                      line_stats(edited, usual, corpus), usual, dict(clamp), tuple(ablate))
