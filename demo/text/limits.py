"""What the character model accepts, checked in one place.  ``CharModel.generate/stream/loss/
states`` and ``demo.text.analysis`` call these functions, so the library, the /generate and /score
API and the Text tab refuse the same inputs with the same message (the UI shows it as it is).

    from demo.text.limits import MAX_LENGTH, check_length
    check_length(10.0)      # -> 10; check_length(0) raises ValueError("Length must be from 1 ...")

Numbers may arrive as text (a form field, or a JSON client sending "nan", which JSON cannot
encode as a number): a string holding a number counts as that number.  Booleans never count.
"""
from __future__ import annotations

import math

import numpy as np

MAX_SEED = 20_000               # characters of priming text
MAX_LENGTH = 5_000              # characters per generate/stream call
MAX_TEMPERATURE = 10.0          # beyond ~3 the samples are noise; 10 leaves room to see that
MAX_RNG_SEED = 2**32 - 1        # numpy takes larger ones, but a form field cannot show them
MAX_STATES = 50_000             # characters for states(): every step of every layer is kept
MAX_SCORE = 10_000              # characters for "how surprising is this text?" (a few seconds)
MAX_LOSS = 50_000_000           # characters for loss(): batched, so memory stays small; ~50x the corpus

SEED_HINT = "Type a seed to start from: one character or more (e.g. \"ROMEO:\" or \"T\")."
TEMPERATURE_HINT = "0 = always the most likely character, 1 = the model's own probabilities"


def shown(value) -> str:
    """A value as it came in, for a message: repr, at most 40 characters."""
    r = repr(value)
    return r if len(r) <= 40 else r[:37] + "..."


def _number(value) -> int | float | None:
    """An int, a float, a numpy number or a string holding one -> that number; None otherwise."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def check_whole(label: str, value, lo: int, hi: int, hint: str = "") -> int:
    """A whole number from lo to hi (10.0 counts as 10); `label` starts the message."""
    x = _number(value)
    if x is None or (isinstance(x, float) and (not math.isfinite(x) or x != int(x))):
        raise ValueError(f"{label} must be a whole number{hint}, got {shown(value)}")
    x = int(x)
    if not lo <= x <= hi:
        raise ValueError(f"{label} must be from {lo:,} to {hi:,}{hint}, got {x:,}")
    return x


def check_seed(seed) -> str:
    """The priming text: 1 to MAX_SEED characters (whether the model knows them is Vocab.encode's)."""
    if seed is None or seed == "":
        raise ValueError(SEED_HINT)
    if not isinstance(seed, str):
        raise ValueError(f"{SEED_HINT} The seed must be a string, got {type(seed).__name__}.")
    if len(seed) > MAX_SEED:
        raise ValueError(f"The seed is too long: {len(seed):,} characters (at most {MAX_SEED:,}).")
    return seed


def check_length(length) -> int:
    return check_whole("Length", length, 1, MAX_LENGTH, " (characters to generate)")


def check_temperature(temperature) -> float:
    t = _number(temperature)
    if t is None or not 0 <= t <= MAX_TEMPERATURE:  # the comparison also refuses NaN
        raise ValueError(f"Temperature must be a number from 0 to {MAX_TEMPERATURE:g} ({TEMPERATURE_HINT}), "
                         f"got {shown(temperature)}")
    return float(t)


def check_top_k(top_k, vocab_size: int) -> int | None:
    """None or 0: off (sample from every character), else 1..vocab_size.  Above the vocabulary
    size is refused rather than clamped, so a request never silently means something else."""
    if top_k is None or top_k == "":
        return None
    k = check_whole("Top-k", top_k, 0, vocab_size, f" (0 = off; this model knows {vocab_size} characters)")
    return k or None


def check_rng_seed(rng_seed) -> int | None:
    """None (or an empty field): fresh randomness; else the same number gives the same text."""
    if rng_seed is None or rng_seed == "":
        return None
    return check_whole("Random seed", rng_seed, 0, MAX_RNG_SEED, " (empty = fresh randomness)")


def check_text(text, max_len: int, min_len: int = 1, why: str = "") -> str:
    """A text to read or score: a string of min_len to max_len characters (None counts as empty)."""
    text = "" if text is None else text
    if not isinstance(text, str):
        raise ValueError(f"The text must be a string, got {type(text).__name__}")
    if len(text) < min_len:
        raise ValueError(f"The text needs at least {min_len} character{'s' if min_len > 1 else ''}{why}.")
    if len(text) > max_len:
        raise ValueError(f"The text is too long: {len(text):,} characters (at most {max_len:,}).")
    return text


def check_score_text(text) -> str:
    """What /score and the "How surprising" panel take: 2 to MAX_SCORE characters."""
    if isinstance(text, str) and len(text) > MAX_SCORE:
        raise ValueError(f"That text has {len(text):,} characters; paste at most {MAX_SCORE:,}.")
    return check_text(text, MAX_SCORE, 2, " to score (the first one is only context)")


# -- asking why: states, units, positions, spans, thresholds and edits ------------------------

MAX_CONNECTIVITY = 5_000        # characters of context for one connectivity gradient (~1 s for the LSTM)
MAX_EDITS = 64                  # clamped plus ablated units per generation
MATCH_MARGIN = 3                # characters each side of a span that must be "off"
MAX_MATCH_UNITS = 20            # units a span may select for the match


def check_state(state, cell: str) -> str:
    """"h" (the top layer's hidden state) or, for the LSTM, "c" (its cell state)."""
    names = ("h", "c") if cell == "lstm" else ("h",)
    if state not in names:
        raise ValueError(f"State must be {' or '.join(repr(n) for n in names)} for the {cell.upper()} "
                         f"(h: hidden state{'; c: cell state' if cell == 'lstm' else '; only the LSTM has c'}), "
                         f"got {shown(state)}")
    return state


def check_unit(unit, hidden: int) -> int:
    return check_whole("Unit", unit, 0, hidden - 1, f" (the top layer has units 0 to {hidden - 1})")


def check_position(position, n: int) -> int:
    """A character to explain: 1..n-1 (character 0 has nothing before it)."""
    if n < 2:
        raise ValueError("The text needs at least 2 characters: the first one has nothing before it to look at.")
    return check_whole("Position", position, 1, n - 1,
                       " (0-based index of the character whose prediction is explained; it needs one before it)")


def check_span(start, end, n: int) -> tuple[int, int]:
    """A span [start, end) of a text of n characters, 0-based, at least one character."""
    if n < 1:
        raise ValueError("There is no text to select from yet: generate or paste some first.")
    s = check_whole("Span start", start, 0, n - 1, f" (0-based; the text has {n:,} characters)")
    e = check_whole("Span end", end, 1, n, f" (exclusive; the text has {n:,} characters)")
    if e <= s:
        raise ValueError(f"The span must hold at least one character: end ({e}) must be after start ({s}).")
    return s, e


def check_threshold(threshold) -> float:
    t = _number(threshold)
    if t is None or not math.isfinite(t) or abs(t) > 1e3:
        raise ValueError(f"Threshold must be a finite number (a unit counts as on above it), got {shown(threshold)}")
    return float(t)


def check_edits(clamp, ablate) -> tuple[dict, list]:
    """clamp {(state, unit): value} and ablate [(state, unit), ...] as given (None: none); the
    names, units and values are checked by demo.cells.Edit.make against the model."""
    clamp = {} if clamp is None else clamp
    ablate = [] if ablate is None else ablate
    if not isinstance(clamp, dict):
        raise ValueError(f"clamp must be a dict {{(state, unit): value}}, e.g. {{('c', 25): 2.0}}, got {shown(clamp)}")
    if isinstance(ablate, (str, bytes, dict)) or not hasattr(ablate, "__iter__"):
        raise ValueError(f"ablate must be a list of (state, unit), e.g. [('h', 7)], got {shown(ablate)}")
    ablate = list(ablate)
    if len(clamp) + len(ablate) > MAX_EDITS:
        raise ValueError(f"At most {MAX_EDITS} units can be edited at once, got {len(clamp) + len(ablate)}.")
    for key in ablate:
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ValueError(f"a unit is written (state, index), e.g. ('h', 7); got {shown(key)}")
        if key in clamp:
            raise ValueError(f"{key[0]}[{key[1]}] is both clamped and ablated: choose one.")
    return clamp, ablate
