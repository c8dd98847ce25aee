"""The form of a Tang poem (wuyan/qiyan, jueju/lüshi) and the markers the Tang model is trained with.

The model reads each poem as one line of text: a form marker, the poem, an end marker, e.g.
the marker "wujue", a full-width colon, "chuang qian ming yue guang, ... si gu xiang." and "\\n".
(No Chinese in demo/'s Python: the characters are written as escapes and named here in pinyin.)

- FORMS: the four markers, wujue (FIVE + JUE: four lines of five), wulü (FIVE + LU: eight of
  five), qijue (SEVEN + JUE), qilü (SEVEN + LU); each is followed by MARK_END (the full-width
  colon), which no regular poem contains.
- POEM_END ("\\n") ends a poem.
- UNKNOWN (the white square, the collection's own sign for a lost character) stands for every
  character outside the model's vocabulary; it is never sampled (demo.text.model.Sampling).
- LINE_MARKS: the punctuation that ends a line (full-width comma, full stop, !, ?, ;).

``check_form`` is the measure of ``training/eval_tang.py`` and of the tests: every line the same
length, 5 or 7; COMMA and STOP alternating, the last one STOP; 4 or 8 lines.  ``rhyme_final`` and
``rhymes`` are the rhyme (yayun) measure: the even lines end in characters of one final, read by
pypinyin.  Pure: no torch, no gradio.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

FIVE, SEVEN = "\u4e94", "\u4e03"        # wu, qi: five, seven (characters a line)
JUE, LU = "\u7edd", "\u5f8b"            # jue (jueju, the quatrain), lü (lüshi, regulated verse)
FORMS = {FIVE + JUE: (5, 4), FIVE + LU: (5, 8), SEVEN + JUE: (7, 4), SEVEN + LU: (7, 8)}   # marker -> (chars a line, lines)
MARK_END, POEM_END, UNKNOWN = "\uff1a", "\n", "\u25a1"   # full-width colon, newline, white square
COMMA, STOP = "\uff0c", "\u3002"        # full-width comma, ideographic full stop
LINE_MARKS = COMMA + STOP + "\uff01\uff1f\uff1b"   # and full-width !, ?, ;
NOT_IN_POEMS = MARK_END + POEM_END + UNKNOWN       # the format's own characters
_SPLIT = re.compile(f"([{LINE_MARKS}])")


def form_marker(chars: int, lines: int) -> str:
    """The marker of a form: (5, 4) -> FIVE + JUE (wujue)."""
    for marker, form in FORMS.items():
        if form == (chars, lines):
            return marker
    raise ValueError(f"no Tang form has {lines} lines of {chars} characters")


def split_lines(poem: str) -> tuple[list[str], list[str]]:
    """A poem's lines and the punctuation after each: "AAAAA,BBBBB." (full-width marks) ->
    (["AAAAA", "BBBBB"], [COMMA, STOP]).  Text after the last mark is a line with ""."""
    parts = _SPLIT.split(poem.strip())
    lines, puncts = parts[0::2], parts[1::2]
    if lines and lines[-1] == "":
        lines = lines[:-1]
    return lines, puncts + [""] * (len(lines) - len(puncts))


@dataclass(frozen=True)
class Form:
    """What ``check_form`` found: ok, and the first thing that is wrong (None when ok)."""
    ok: bool
    problem: str | None
    lines: int
    line_lengths: tuple[int, ...]


def check_form(poem: str) -> Form:
    """Is ``poem`` a regular wuyan/qiyan jueju/lüshi?  Every line the same length, 5 or 7; COMMA
    and STOP alternating; 4 or 8 lines.  The poem is the bare text: no marker, no end marker."""
    lines, puncts = split_lines(poem)
    lengths = tuple(len(line) for line in lines)
    problem = None
    if len(lines) not in (4, 8):
        problem = f"{len(lines)} lines"
    elif len(set(lengths)) != 1 or lengths[0] not in (5, 7):
        problem = f"line lengths {lengths}"
    elif any(p != (COMMA if i % 2 == 0 else STOP) for i, p in enumerate(puncts)):
        problem = f"punctuation {''.join(puncts)!r}"
    return Form(problem is None, problem, len(lines), lengths)


def marker_of(poem: str) -> str:
    """The form marker of a regular poem (FIVE + JUE ...); ValueError when it has no regular form."""
    form = check_form(poem)
    if not form.ok:
        raise ValueError(f"not a regular poem: {form.problem}")
    return form_marker(form.line_lengths[0], form.lines)


def poem_line(poem: str) -> str:
    """A regular poem as the model reads it: marker, MARK_END, poem, POEM_END."""
    return marker_of(poem) + MARK_END + poem + POEM_END


def rhyme_final(char: str) -> str | None:
    """The rhyme of a character's (commonest) reading: its pinyin final without the medial i/u/ü
    (shuang -> "ang", xiang -> "ang", liu -> "ou").  None for a character pypinyin cannot
    read."""
    from pypinyin import Style, pinyin   # only the rhyme measure needs it

    final = pinyin(char, style=Style.FINALS, strict=True, errors=lambda _: [""])[0][0]
    if not final:
        return None
    if len(final) > 1 and final[0] in "iuv" and final[1] in "aeo":
        final = final[1:]
    return final


def rhymes(poem: str) -> bool:
    """Do the even lines (2nd, 4th, ...) end in characters of one rhyme final?  A rhyme takes two
    even lines at least: a poem of fewer than 4 lines does not rhyme (nor one with an empty line)."""
    lines, _ = split_lines(poem)
    finals = {rhyme_final(line[-1]) if line else None for line in lines[1::2]}
    return len(lines) >= 4 and len(finals) == 1 and None not in finals
