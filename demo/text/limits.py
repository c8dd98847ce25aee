"""What the character model accepts, checked in one place.  ``CharModel.generate/stream/loss/
states`` and ``demo.text.analysis`` call these functions, so the library, the /generate and /score
API and the Text tab refuse the same inputs with the same message: a ``UserError`` (demo.errors)
whose key the UI puts into the page's language; ``str(e)`` is the English.

    from demo.text.limits import MAX_LENGTH, check_length
    check_length(10.0)      # -> 10; check_length(0) raises UserError("app.check.range", ...):
                            #    "Length must be from 1 to 5,000 (characters to generate), got 0"

Numbers may arrive as text (a form field, or a JSON client sending "nan", which JSON cannot
encode as a number): a string holding a number counts as that number.  Booleans never count.
"""
from __future__ import annotations

import math

import numpy as np

from demo import checks
from demo.checks import as_number, shown
from demo.errors import Text, UserError

MAX_SEED = 20_000               # characters of priming text
MAX_LENGTH = 5_000              # characters per generate/stream call
MAX_TEMPERATURE = 10.0          # beyond ~3 the samples are noise; 10 leaves room to see that
MAX_RNG_SEED = 2**32 - 1        # numpy takes larger ones, but a form field cannot show them
MAX_STATES = 50_000             # characters for states(): every step of every layer is kept
MAX_SCORE = 10_000              # characters for "how surprising is this text?" (a few seconds)
MAX_LOSS = 50_000_000           # characters for loss(): batched, so memory stays small; ~50x the corpus

# what the callers of check_text / check_whole add to a message (a field of its key)
SCORE_WHY = Text("text.hint.score")          # a text to score: the first character is context only
LOOK_BACK_WHY = Text("text.hint.look_back")  # a text to explain: the first has nothing before it
N_TOP_HINT = Text("text.hint.n_top")


def _number(value) -> int | float | None:
    """A number, or a string float() reads (checks.as_number, not only plain ASCII); else None."""
    return as_number(value, plain=False)


def check_whole(label, value, lo: int, hi: int, hint="") -> int:
    """A whole number from lo to hi (10.0 counts as 10), as an API sends it (checks.check_whole).
    ``label`` starts the message and ``hint`` follows the rule: a ``Text`` or a name as it is."""
    return checks.check_whole(value, lo, hi, label, hint, plain=False)


def check_seed(seed) -> str:
    """The priming text: 1 to MAX_SEED characters (whether the model knows them is Vocab.encode's)."""
    if seed is None or seed == "":
        raise UserError("text.error.seed_hint")
    if not isinstance(seed, str):
        raise UserError("text.error.seed_type", kind=type(seed).__name__)
    if len(seed) > MAX_SEED:
        raise UserError("text.error.seed_long", n=len(seed), max=MAX_SEED)
    return seed


def check_length(length) -> int:
    return check_whole(Text("text.length.label"), length, 1, MAX_LENGTH, Text("text.hint.length"))


def check_temperature(temperature) -> float:
    t = _number(temperature)
    if t is None or not 0 <= t <= MAX_TEMPERATURE:  # the comparison also refuses NaN
        raise UserError("text.error.temperature", max=MAX_TEMPERATURE, value=shown(temperature))
    return float(t)


def check_top_k(top_k, vocab_size: int) -> int | None:
    """None or 0: off (sample from every character), else 1..vocab_size.  Above the vocabulary
    size is refused rather than clamped, so a request never silently means something else."""
    if top_k is None or top_k == "":
        return None
    k = check_whole(Text("text.top_k.label"), top_k, 0, vocab_size, Text("text.hint.top_k", n=vocab_size))
    return k or None


def check_rng_seed(rng_seed) -> int | None:
    """None (or an empty field): fresh randomness; else the same number gives the same text."""
    if rng_seed is None or rng_seed == "":
        return None
    return check_whole(Text("text.rng_seed.label"), rng_seed, 0, MAX_RNG_SEED, Text("text.hint.rng_seed"))


def check_text(text, max_len: int, min_len: int = 1, why="") -> str:
    """A text to read or score: a string of min_len to max_len characters (None counts as empty).
    ``why`` ends the too-short message (e.g. ``SCORE_WHY``)."""
    text = "" if text is None else text
    if not isinstance(text, str):
        raise UserError("text.error.text_type", kind=type(text).__name__)
    if len(text) < min_len:
        if min_len == 1:
            raise UserError("text.error.text_short_one", why=why)
        raise UserError("text.error.text_short", n=min_len, why=why)
    if len(text) > max_len:
        raise UserError("text.error.text_long", n=len(text), max=max_len)
    return text


def check_score_text(text) -> str:
    """What /score and the "How surprising" panel take: 2 to MAX_SCORE characters."""
    if isinstance(text, str) and len(text) > MAX_SCORE:
        raise UserError("text.error.score_long", n=len(text), max=MAX_SCORE)
    return check_text(text, MAX_SCORE, 2, SCORE_WHY)


# -- asking why: states, units, positions, spans, thresholds and edits ------------------------

MAX_CONNECTIVITY = 5_000        # characters of context for one connectivity gradient (~1 s for the LSTM)
MAX_EDITS = 64                  # clamped plus ablated units per generation
MATCH_MARGIN = 3                # characters each side of a span that must be "off"
MAX_MATCH_UNITS = 20            # units a span may select for the match


def check_state(state, cell: str) -> str:
    """"h" (the top layer's hidden state) or, for the LSTM, "c" (its cell state)."""
    lstm = cell == "lstm"
    if state not in (("h", "c") if lstm else ("h",)):
        raise UserError("text.error.state", names=Text("text.state.h_or_c") if lstm else "'h'", cell=cell.upper(),
                        about=Text("text.state.about_lstm" if lstm else "text.state.about_other"),
                        value=shown(state))
    return state


def check_unit(unit, hidden: int) -> int:
    return check_whole(Text("text.unit.label"), unit, 0, hidden - 1, Text("text.hint.unit", max=hidden - 1))


def check_position(position, n: int) -> int:
    """A character to explain: 1..n-1 (character 0 has nothing before it)."""
    if n < 2:
        raise UserError("text.error.need_two")
    return check_whole(Text("text.name.position"), position, 1, n - 1, Text("text.hint.position"))


def check_span(start, end, n: int) -> tuple[int, int]:
    """A span [start, end) of a text of n characters, 0-based, at least one character."""
    if n < 1:
        raise UserError("text.error.no_text")
    s = check_whole(Text("text.name.span_start"), start, 0, n - 1, Text("text.hint.span_start", n=n))
    e = check_whole(Text("text.name.span_end"), end, 1, n, Text("text.hint.span_end", n=n))
    if e <= s:
        raise UserError("text.error.span_empty", end=e, start=s)
    return s, e


def check_threshold(threshold) -> float:
    t = _number(threshold)
    if t is None or not math.isfinite(t) or abs(t) > 1e3:
        raise UserError("text.error.threshold", value=shown(threshold))
    return float(t)


def check_edits(clamp, ablate, hidden: int | None = None) -> tuple[dict, list]:
    """clamp {(state, unit): value} and ablate [(state, unit), ...] as given (None: none).  With
    ``hidden`` (the top layer's size) each unit number and each clamped value is checked too;
    the state names are ``check_state``'s (they depend on the cell), and demo.cells.Edit.make
    checks everything again against the model."""
    clamp = {} if clamp is None else clamp
    ablate = [] if ablate is None else ablate
    if not isinstance(clamp, dict):
        raise UserError("text.error.clamp_type", value=shown(clamp))
    if isinstance(ablate, (str, bytes, dict)) or not hasattr(ablate, "__iter__"):
        raise UserError("text.error.ablate_type", value=shown(ablate))
    ablate = list(ablate)
    if len(clamp) + len(ablate) > MAX_EDITS:
        raise UserError("text.error.too_many_edits", max=MAX_EDITS, n=len(clamp) + len(ablate))
    for key in [*clamp, *ablate]:
        if not (isinstance(key, tuple) and len(key) == 2):
            raise UserError("text.error.unit_form", value=shown(key))
        if hidden is not None:
            _check_edit_unit(key[1], hidden)
    for key in ablate:
        if key in clamp:
            raise UserError("text.error.both", state=key[0], unit=key[1])
    if hidden is not None:
        for (state, unit), value in clamp.items():
            _check_clamp_value(value, f"{state}[{unit}]")
    return clamp, ablate


def _check_edit_unit(unit, hidden: int) -> None:
    if isinstance(unit, (bool, np.bool_)) or not isinstance(unit, (int, np.integer)):
        raise UserError("text.error.unit_number", value=shown(unit))
    if not 0 <= unit < hidden:
        raise UserError("text.error.unit_out", unit=int(unit), max=hidden - 1)


def _check_clamp_value(value, what: str) -> None:
    """A clamped value: a finite number, |v| <= 1e6 (as demo.cells takes it)."""
    x = None if isinstance(value, (str, bytes)) else _number(value)
    if x is None:
        raise UserError("text.error.clamp_not_number", what=what, value=shown(value))
    if not math.isfinite(x) or abs(x) > 1e6:
        raise UserError("text.error.clamp_value", what=what, value=shown(value))
