"""The form of a Tang poem (五言/七言, 绝句/律诗) and the markers the Tang model is trained with.

The model reads each poem as one line of text: a form marker, the poem, an end marker.

    五绝：床前明月光，疑是地上霜。举头望明月，低头思故乡。\n

- FORMS: the four markers, "五绝" (four lines of five), "五律" (eight of five), "七绝", "七律";
  each is followed by "：" (MARK_END), which no regular poem contains.
- "\n" (POEM_END) ends a poem.
- UNKNOWN ("□", the collection's own sign for a lost character) stands for every character outside
  the model's vocabulary; it is never sampled.

``check_form`` is the measure of ``training/eval_tang.py`` and of the tests: every line the same
length, 5 or 7; "，" and "。" alternating, the last one "。"; 4 or 8 lines.  ``rhyme_final`` and
``rhymes`` are the rhyme (押韵) measure: the even lines end in characters of one final, read by
pypinyin.  Pure: no torch, no gradio.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

FORMS = {"五绝": (5, 4), "五律": (5, 8), "七绝": (7, 4), "七律": (7, 8)}   # marker -> (chars a line, lines)
MARK_END, POEM_END, UNKNOWN = "：", "\n", "□"
COMMA, STOP = "，", "。"
_SPLIT = re.compile(r"([，。！？；])")


def form_marker(chars: int, lines: int) -> str:
    """The marker of a form: (5, 4) -> "五绝"."""
    for marker, form in FORMS.items():
        if form == (chars, lines):
            return marker
    raise ValueError(f"no Tang form has {lines} lines of {chars} characters")


def split_lines(poem: str) -> tuple[list[str], list[str]]:
    """A poem's lines and the punctuation after each: "白日依山尽，黄河入海流。" ->
    (["白日依山尽", "黄河入海流"], ["，", "。"]).  Text after the last mark is a line with ""."""
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
    """Is ``poem`` a regular 五言/七言 绝句/律诗?  Every line the same length, 5 or 7; "，" and "。"
    alternating; 4 or 8 lines.  The poem is the bare text: no marker, no end marker."""
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
    """The form marker of a regular poem ("五绝" ...); ValueError when it has no regular form."""
    form = check_form(poem)
    if not form.ok:
        raise ValueError(f"not a regular poem: {form.problem}")
    return form_marker(form.line_lengths[0], form.lines)


def poem_line(poem: str) -> str:
    """A regular poem as the model reads it: marker, "：", poem, "\n"."""
    return marker_of(poem) + MARK_END + poem + POEM_END


def rhyme_final(char: str) -> str | None:
    """The rhyme of a character's (commonest) reading: its pinyin final without the medial i/u/ü
    (霜 shuang -> "ang", 乡 xiang -> "ang", 流 liu -> "ou").  None for a character pypinyin cannot
    read."""
    from pypinyin import Style, pinyin   # only the rhyme measure needs it

    final = pinyin(char, style=Style.FINALS, strict=True, errors=lambda _: [""])[0][0]
    if not final:
        return None
    if len(final) > 1 and final[0] in "iuv" and final[1] in "aeo":
        final = final[1:]
    return final


def rhymes(poem: str) -> bool:
    """Do the even lines (2nd, 4th, ...) end in characters of one rhyme final?"""
    lines, _ = split_lines(poem)
    finals = {rhyme_final(line[-1]) for line in lines[1::2] if line}
    return len(lines) >= 2 and len(finals) == 1 and None not in finals
