"""A seed the chosen model knows.  A model someone trained on their own text ("Open in the lens",
demo.lens_models) may not know the characters of the tab's seed ("ROMEO:" for Chinese pasted
text), and Generate would refuse it.  Then the seed becomes the start of the model's training
text (its first line, cut at a pause), or a character it knows, and a note says so; the text to
score ("How surprising is a text?") likewise.  Pure (no gradio).

    seed, note = known_seed(model, "ROMEO:\\n", opening)   # opening: the first characters it trained on
    seed                  # its first line, at most SEED_CHARS (cut after a pause), if the model knows it
    note.text("en")       # 'Your model never saw "R" "O" "M" "E" ":" in its training text: the seed is now ...'
    known_text(model, pasted, opening)   # the text to score, or the opening
"""
from __future__ import annotations

from demo.errors import Text

SEED_CHARS = 16                 # at most this many characters of the training text's first line
# where a cut seed may end: spaces and ASCII punctuation, and their full-width forms (Chinese text)
PAUSES = set(" \t,.;:!?\uff0c\u3002\uff1b\uff1a\uff01\uff1f\u3001")
SHOWN = 5                       # unknown characters named in the note
MARKDOWN = set("\\`*_{}[]()#+-.!|<>~")


def unknown_chars(model, text: str) -> list[str]:
    """The characters of ``text`` that ``model`` (a CharModel) does not know, each once, in order."""
    seen = []
    for ch in text or "":
        if ch not in model.vocab and ch not in seen:
            seen.append(ch)
    return seen


def opening_seed(opening: str) -> str:
    """The first line of the training text (``opening``: its first characters) with characters,
    at most SEED_CHARS of it, ending at its last pause within them if it is longer."""
    line = next((l for l in (opening or "").split("\n") if l.strip()), "")
    if len(line) <= SEED_CHARS:
        return line
    cut = max((k + 1 for k, ch in enumerate(line[:SEED_CHARS]) if ch in PAUSES), default=SEED_CHARS)
    return line[:cut]


def fallback_seed(model) -> str:
    """A seed of one character the model knows: a new line when it has one, else its first."""
    return "\n" if "\n" in model.vocab else model.vocab.chars[0]


def plain(text: str) -> str:
    """``text`` as Markdown shows it: its Markdown characters escaped, a new line as ↵, and spaces
    as ␣ when there is nothing else to see."""
    shown = "".join("\\" + ch if ch in MARKDOWN else ch for ch in text).replace("\n", "↵")
    return shown.replace(" ", "␣") if not shown.strip() else shown


def known_seed(model, seed: str, opening: str = "") -> tuple[str, Text | None]:
    """``seed`` if ``model`` knows every character of it (and None), else a seed it knows and
    the note that says so (a Text: written in the page's language, and again on its switch)."""
    unknown = unknown_chars(model, seed)
    if not unknown:
        return seed, None
    start = opening_seed(opening)
    new, key = (start, "lens.seed.opening") if start and not unknown_chars(model, start) else \
        (fallback_seed(model), "lens.seed.known")
    # each quoted (a comma or a colon among them reads as one), in any language
    shown = " ".join(f"\u201c{plain(ch)}\u201d" for ch in unknown[:SHOWN]) + (" …" if len(unknown) > SHOWN else "")
    return new, Text(key, chars=shown, seed=plain(new))


def known_text(model, text: str, opening: str = "") -> str:
    """``text`` (the text to score) if ``model`` knows its characters, else its training text's
    start (``opening``; "" when not recorded): a text it can be surprised by."""
    return text if not unknown_chars(model, text) else (opening if not unknown_chars(model, opening) else "")
