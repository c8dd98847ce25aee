"""Links that reopen a view: the state a teacher hands over, as a URL query.  Pure (no gradio):
the app reads ``request.query_params`` on load and fills the controls; "Copy link" encodes them.

    from demo.links import DEFAULTS, decode_state, encode_state
    q = encode_state({"tab": "digits", "model": "gru", "t": 10, "digit": "3"})
    # -> "model=gru&t=10&digit=3" (defaults are left out; the order is fixed)
    state = decode_state(q)                 # every field, defaults filled in
    state, problems = decode_state("t=99", strict=False)   # defaults + ["Link parameter t: ..."]

The state is a flat dict (``DEFAULTS`` lists every field and its default):

- ``tab`` "digits" or "text"; ``lang`` None (follow the browser), "en" or "zh-CN"; ``lesson``
  None or a preset of ``demo.lessons`` (which panels to hide).
- Digits: ``model`` (lstm/gru/rnn), ``t`` (1..28, the step slider), ``unit`` (the opened unit),
  ``order`` (how the maps' rows are ordered), ``ablate`` and ``blank_rows`` (sorted tuples of
  ints), ``gate`` (None or i/f/g/o/r/z/n) with ``gate_value`` (0..1) and ``from_row`` (1..28);
  the drawing: ``digit`` (an example, "0".."9": ``examples/digit_N.png``) or ``ink`` (an
  "ink-v1" value, ``demo.digits.preprocess.ink_value``), never both.
- Text: ``text_model`` (lstm/rnn), ``seed``, ``length``, ``temperature``, ``top_k``, ``rng_seed``
  (None: fresh randomness), the selected ``text_state`` (h/c) and ``text_unit``, ``text_t`` (the
  step, None: the app's), and the interventions ``text_clamp`` / ``text_ablate`` as typed
  ("c25 = 2", "h7, c204").

The URL keys are short (``URL_KEYS``).  The drawing is 56x56 ink quantised to 16 levels (4 bits),
two cells a byte, zlib-compressed and urlsafe-base64'd behind a version byte and the sides: a
typical digit is 300-700 characters.

Every value is checked (the text settings with ``demo.text.limits``, so a link refuses what the
Text tab refuses, with the same words); a bad one raises ``ValueError`` whose message starts
"Link parameter KEY: ".  ``strict=False`` never raises: it returns ``(DEFAULTS, messages)`` when
anything is wrong (``partial=True`` keeps the fields that were fine instead).  The models' own
limits (a unit beyond this model's hidden size, a character the text model does not know) are
the app's to check when it applies the state: the codec only knows generous bounds.
"""
from __future__ import annotations

import base64
import binascii
import html
import math
import re
import unicodedata
import zlib
from urllib.parse import quote, unquote_plus

import numpy as np

from demo.digits.interventions import format_ranges
from demo.text import limits

# -- fields ------------------------------------------------------------------------------------

STEPS = 28                      # rows of a digit (demo.digits.analysis.STEPS; tests check they agree)
TABS = ("digits", "text")
LANGS = ("en", "zh-CN")
DIGIT_MODELS = ("lstm", "gru", "rnn")
TEXT_MODELS = ("lstm", "rnn")
ORDERS = ("index", "influence", "clustered")   # demo.digits.units.ORDERS (tests check)
GATES = ("i", "f", "g", "o", "r", "z", "n")    # demo.digits.interventions.GATE_NAMES
TEXT_STATES = ("h", "c")
EXAMPLE_DIGITS = tuple(str(d) for d in range(10))   # examples/digit_N.png
MAX_UNIT = 4095                 # the codec's bound; the app checks the model's hidden size
MAX_NUMBERS = 512               # units or rows in one list (demo.digits.interventions.MAX_NUMBERS)
MAX_LINK_SEED = 1_000           # characters of text seed a link may carry (the box takes more)
MAX_TOP_K = 256                 # the codec's bound; the app checks the model's vocabulary
MAX_CLAMP = 1_000.0             # |value| of a clamped text unit
MAX_EDIT_TEXT = 2_000           # characters of a clamp or ablate list
MAX_QUERY = 12_000              # characters of a whole query
MAX_VALUE = 4_000               # characters of one value (the ink is the longest)
MAX_FIELDS = 40

DEFAULTS: dict = {
    "tab": "digits", "lang": None, "lesson": None,
    "model": "lstm", "t": STEPS, "unit": 0, "order": "index",
    "ablate": (), "gate": None, "gate_value": 1.0, "from_row": 1, "blank_rows": (),
    "digit": None, "ink": None,
    "text_model": "lstm", "seed": "ROMEO:\n", "length": 500, "temperature": 0.8, "top_k": 0, "rng_seed": 0,
    "text_state": "h", "text_unit": 0, "text_t": None, "text_clamp": "", "text_ablate": "",
}
# state field -> URL key, in the order encode_state writes them
URL_KEYS: dict[str, str] = {
    "tab": "tab", "lang": "lang", "lesson": "lesson",
    "model": "model", "t": "t", "unit": "unit", "order": "order",
    "ablate": "ablate", "gate": "gate", "gate_value": "gv", "from_row": "from", "blank_rows": "blank",
    "digit": "digit",
    "text_model": "tmodel", "seed": "seed", "length": "len", "temperature": "temp", "top_k": "topk",
    "rng_seed": "rng", "text_state": "state", "text_unit": "tunit", "text_t": "tt",
    "text_clamp": "clamp", "text_ablate": "tablate",
    "ink": "ink",               # last: the longest
}
FIELDS = {key: field for field, key in URL_KEYS.items()}
assert set(URL_KEYS) == set(DEFAULTS)

# -- the drawing -------------------------------------------------------------------------------

INK_VERSION = 1
INK_LEVELS = 15                 # 4 bits: 0 (paper) .. 15 (full ink)
INK_SIDE_MIN, INK_SIDE_MAX = 8, 128
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


shown = limits.shown             # a value as it came in, for a message: repr, at most 40 characters


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def _plain_number(key: str, value, label: str, what: str):
    """A URL's number is plain ASCII (float() would also take "１０", "1_000" or " 5 ")."""
    if isinstance(value, str) and not _NUMBER.fullmatch(value):
        raise LinkError(key, f"{label} must be {what}, got {shown(value)}")
    return value


class LinkError(ValueError):
    """A bad link parameter; ``key`` is the URL key (None: the query as a whole)."""

    def __init__(self, key: str | None, message: str):
        self.key = key
        # < > & escaped: the app may show the message as Markdown or HTML, and a link is text
        # anyone can write.
        message = html.escape(f"Link parameter {key}: {message}" if key else f"Link: {message}", quote=False)
        super().__init__(message)


def _ink_array(ink) -> np.ndarray:
    """An ink value (dict), or a 2-D array (uint8 0..255 or float 0..1) -> float64 (h, w) in [0, 1]."""
    if isinstance(ink, dict):
        from demo.digits.preprocess import decode_ink   # lazily: demo.digits imports torch
        return np.asarray(decode_ink(ink), np.float64)
    a = np.asarray(ink)
    if a.ndim != 2:
        raise ValueError(f"the drawing must be 2-D, got shape {a.shape}")
    if a.dtype == np.uint8:
        return a.astype(np.float64) / 255.0
    if not (np.issubdtype(a.dtype, np.floating) or a.dtype == bool) or not np.isfinite(a).all():
        raise ValueError(f"the drawing must be uint8 or finite floats in [0, 1], got {a.dtype}")
    return np.clip(a.astype(np.float64), 0.0, 1.0)


def encode_ink(ink) -> str:
    """A drawing (ink value or array) -> the compact string of the ``ink=`` parameter."""
    a = _ink_array(ink)
    h, w = a.shape
    if not (INK_SIDE_MIN <= h <= INK_SIDE_MAX and INK_SIDE_MIN <= w <= INK_SIDE_MAX):
        raise LinkError("ink", f"the drawing must have sides {INK_SIDE_MIN} to {INK_SIDE_MAX}, got {w}x{h}")
    q = np.rint(a * INK_LEVELS).astype(np.uint8).reshape(-1)
    if not q.any():
        raise LinkError("ink", "the drawing is empty")
    if q.size % 2:
        q = np.append(q, 0)
    packed = (q[0::2] << 4 | q[1::2]).astype(np.uint8).tobytes()
    raw = bytes([INK_VERSION, w, h]) + zlib.compress(packed, 9)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_ink_param(text: str) -> np.ndarray:
    """The ``ink=`` string -> uint8 ink (h, w), 0 paper .. 255 ink.  LinkError if malformed."""
    if not isinstance(text, str) or not text:
        raise LinkError("ink", "empty: expected the encoded drawing")
    if len(text) > MAX_VALUE:
        raise LinkError("ink", f"too long ({len(text):,} characters, at most {MAX_VALUE:,})")
    if not _B64URL.match(text):
        raise LinkError("ink", "not valid urlsafe base64 (only A-Z, a-z, 0-9, - and _ may appear)")
    if len(text) % 4 == 1:
        raise LinkError("ink", "not valid base64: its length is wrong (cut short?)")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise LinkError("ink", "not valid base64") from None
    if len(raw) < 4:
        raise LinkError("ink", "too short to hold a drawing (cut short?)")
    version, w, h = raw[0], raw[1], raw[2]
    if version != INK_VERSION:
        raise LinkError("ink", f"unknown drawing format version {version} (this app reads {INK_VERSION})")
    if not (INK_SIDE_MIN <= w <= INK_SIDE_MAX and INK_SIDE_MIN <= h <= INK_SIDE_MAX):
        raise LinkError("ink", f"the drawing's sides must be {INK_SIDE_MIN} to {INK_SIDE_MAX}, got {w}x{h}")
    n = (w * h + 1) // 2
    d = zlib.decompressobj()
    try:
        packed = d.decompress(raw[3:], n + 1)   # at most one byte more than expected: no zip bombs
    except zlib.error:
        raise LinkError("ink", "the drawing's data is corrupt (not zlib; cut short or edited?)") from None
    if len(packed) != n or not d.eof or d.unused_data or d.unconsumed_tail:
        longer = len(packed) > n or d.unconsumed_tail or d.unused_data
        what = "longer than its sides say" if longer else "cut short"
        raise LinkError("ink", f"the drawing's data is {what}: expected {n:,} bytes for {w}x{h}")
    p = np.frombuffer(packed, np.uint8)
    q = np.empty(2 * n, np.uint8)
    q[0::2], q[1::2] = p >> 4, p & 15
    q = q[:w * h].reshape(h, w)
    if not q.any():
        raise LinkError("ink", "the drawing is empty")
    return (q.astype(np.uint16) * 255 // INK_LEVELS).astype(np.uint8)


def ink_from_param(text: str) -> dict:
    """The ``ink=`` string -> an "ink-v1" value for the pad (``demo.digits.preprocess.ink_value``)."""
    from demo.digits.preprocess import ink_value
    return ink_value(decode_ink_param(text))


# -- lists of numbers --------------------------------------------------------------------------

def parse_numbers(key: str, text: str, lo: int, hi: int) -> tuple[int, ...]:
    """"3,17,40-42" -> (3, 17, 40, 41, 42), each lo..hi, at most MAX_NUMBERS."""
    out: set[int] = set()
    for part in filter(None, (p.strip() for p in re.split(r"[,\s;]+", text))):
        m = re.fullmatch(r"(\d{1,6})(?:-(\d{1,6}))?", part)
        if not m:
            raise LinkError(key, f"{shown(part)} is not a number or a range like 40-42")
        a, b = sorted((int(m[1]), int(m[2] or m[1])))
        if a < lo or b > hi:
            raise LinkError(key, f"{part} is out of range: use {lo} to {hi}")
        out.update(range(a, b + 1))
        if len(out) > MAX_NUMBERS:
            raise LinkError(key, f"at most {MAX_NUMBERS} numbers")
    return tuple(sorted(out))


def format_numbers(numbers) -> str:
    """(3, 17, 40, 41, 42) -> "3,17,40-42" (what parse_numbers reads)."""
    return format_ranges(numbers, sep=",")


# -- checks, one per field ---------------------------------------------------------------------

def _choice(key: str, value, choices) -> str:
    if value not in choices:
        raise LinkError(key, f"must be one of {', '.join(choices)}; got {shown(value)}")
    return value


def _lang(key: str, value) -> str | None:
    if value is None or value == "":
        return None
    v = str(value).strip().replace("_", "-").lower()
    if v in ("en", "en-us", "en-gb"):
        return "en"
    if v in ("zh", "zh-cn", "zh-hans", "zh-hans-cn", "zh-sg"):
        return "zh-CN"
    raise LinkError(key, f"must be one of {', '.join(LANGS)}; got {shown(value)}")


def _lesson(key: str, value) -> str | None:
    if value is None or value == "":
        return None
    from demo.lessons import load_presets
    return _choice(key, value, tuple(load_presets()))


def _whole(key: str, value, lo: int, hi: int, label: str) -> int:
    _plain_number(key, value, label, "a whole number")
    try:
        return limits.check_whole(label, value, lo, hi)
    except ValueError as e:
        raise LinkError(key, str(e)) from None


def _float(key: str, value, lo: float, hi: float, label: str) -> float:
    _plain_number(key, value, label, f"a number from {lo:g} to {hi:g}")
    x = limits._number(value)
    if x is None or not math.isfinite(x) or not lo <= x <= hi:
        raise LinkError(key, f"{label} must be a number from {lo:g} to {hi:g}, got {shown(value)}")
    return float(x)


def _numbers(key: str, value, lo: int, hi: int) -> tuple[int, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return parse_numbers(key, value, lo, hi)
    try:
        items = [int(v) for v in value if not isinstance(v, bool) and float(v) == int(v)]
    except (TypeError, ValueError, OverflowError):
        raise LinkError(key, f"must be a list of whole numbers, got {shown(value)}") from None
    if len(items) != len(value):
        raise LinkError(key, f"must be a list of whole numbers, got {shown(value)}")
    return parse_numbers(key, ",".join(map(str, items)), lo, hi) if items else ()


_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def _seed(key: str, value) -> str:
    if isinstance(value, str) and len(value) > MAX_LINK_SEED:
        raise LinkError(key, f"a link carries at most {MAX_LINK_SEED:,} characters of seed, got {len(value):,}")
    try:
        seed = limits.check_seed(value)
    except ValueError as e:
        raise LinkError(key, str(e)) from None
    for ch in seed:
        if ch not in "\n\t" and unicodedata.category(ch) in _BAD_CATEGORIES:
            raise LinkError(key, f"the seed holds an invisible or control character (U+{ord(ch):04X})")
    return seed


def _edit_text(key: str, value, parse) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise LinkError(key, f"must be text like 'c25 = 2, h7', got {shown(value)}")
    if len(value) > MAX_EDIT_TEXT:
        raise LinkError(key, f"too long ({len(value):,} characters, at most {MAX_EDIT_TEXT:,})")
    from demo.text import interventions
    try:
        parsed = parse(interventions)(value)
    except ValueError as e:
        raise LinkError(key, str(e)) from None
    units = parsed.items() if isinstance(parsed, dict) else [(u, None) for u in parsed]
    if len(parsed) > limits.MAX_EDITS:
        raise LinkError(key, f"at most {limits.MAX_EDITS} units can be edited at once, got {len(parsed)}")
    for (state, unit), v in units:
        if unit > MAX_UNIT:
            raise LinkError(key, f"unit {state}{unit} is out of range (at most {MAX_UNIT})")
        if v is not None and not (math.isfinite(v) and abs(v) <= MAX_CLAMP):
            raise LinkError(key, f"the clamp value of {state}{unit} must be a finite number from "
                                 f"-{MAX_CLAMP:g} to {MAX_CLAMP:g}, got {v!r}")
    return value.strip()


def _check(field: str, value):
    """One field's value (from a URL string or a Python state) -> its canonical value."""
    key = URL_KEYS[field]
    if field == "tab":
        return _choice(key, value, TABS)
    if field == "lang":
        return _lang(key, value)
    if field == "lesson":
        return _lesson(key, value)
    if field == "model":
        return _choice(key, value, DIGIT_MODELS)
    if field == "t":
        return _whole(key, value, 1, STEPS, "Step t")
    if field in ("unit", "text_unit"):
        return _whole(key, value, 0, MAX_UNIT, "Unit")
    if field == "order":
        return _choice(key, value, ORDERS)
    if field == "ablate":
        return _numbers(key, value, 0, MAX_UNIT)
    if field == "blank_rows":
        return _numbers(key, value, 1, STEPS)
    if field == "gate":
        return None if value in (None, "", "none") else _choice(key, value, GATES)
    if field == "gate_value":
        return _float(key, value, 0.0, 1.0, "The gate's value")
    if field == "from_row":
        return _whole(key, value, 1, STEPS, "From row")
    if field == "digit":
        return None if value in (None, "") else _choice(key, str(value), EXAMPLE_DIGITS)
    if field == "ink":
        if value is None or (isinstance(value, str) and value == ""):
            return None
        if isinstance(value, str):
            return ink_from_param(value)
        try:
            from demo.digits.preprocess import ink_value
            a = _ink_array(value)
            value = ink_value((a * 255).round().astype(np.uint8))
        except LinkError:
            raise
        except ValueError as e:
            raise LinkError(key, str(e)) from None
        encode_ink(value)   # the same checks as a link's (sides, not empty)
        return value
    if field == "text_model":
        return _choice(key, value, TEXT_MODELS)
    if field == "seed":
        return _seed(key, value)
    try:
        if field == "length":
            return limits.check_length(_plain_number(key, value, "Length", "a whole number"))
        if field == "temperature":
            return limits.check_temperature(_plain_number(key, value, "Temperature", "a number from 0 to "
                                                          f"{limits.MAX_TEMPERATURE:g}"))
        if field == "rng_seed":
            return limits.check_rng_seed(value if value in (None, "") else
                                         _plain_number(key, value, "Random seed", "a whole number"))
    except ValueError as e:
        raise LinkError(key, str(e)) from None
    if field == "top_k":
        return 0 if value in (None, "") else _whole(key, value, 0, MAX_TOP_K, "Top-k")
    if field == "text_state":
        return _choice(key, value, TEXT_STATES)
    if field == "text_t":
        return None if value in (None, "") else _whole(key, value, 1, limits.MAX_LENGTH, "Text step")
    if field == "text_clamp":
        return _edit_text(key, value, lambda m: m.parse_clamp)
    if field == "text_ablate":
        return _edit_text(key, value, lambda m: m.parse_units)
    raise AssertionError(field)


def _check_together(state: dict) -> None:
    """What no single field can check: one drawing, a state the text model has."""
    if state["digit"] is not None and state["ink"] is not None:
        raise LinkError("ink", "a link holds an example digit or a drawing, not both")
    try:
        limits.check_state(state["text_state"], state["text_model"])
    except ValueError as e:
        raise LinkError("state", str(e)) from None
    if state["text_model"] != "lstm":
        for field in ("text_clamp", "text_ablate"):
            if re.search(r"(^|,)\s*c", state[field]):
                raise LinkError(URL_KEYS[field], "only the LSTM has a cell state c; the RNN's units are h")


def check_state(state: dict) -> dict:
    """A (partial) state -> every field, checked and canonical.  ValueError on unknown fields."""
    if not isinstance(state, dict):
        raise LinkError(None, f"a state must be a dict, got {type(state).__name__}")
    unknown = sorted(str(k) for k in state if k not in DEFAULTS)
    if unknown:
        raise LinkError(None, f"unknown field(s) {', '.join(map(shown, unknown))}; "
                              f"known: {', '.join(DEFAULTS)}")
    out = dict(DEFAULTS)
    for field, value in state.items():
        out[field] = _check(field, value)
    _check_together(out)
    return out


# -- the query ---------------------------------------------------------------------------------

def _url_value(field: str, value) -> str:
    if field in ("ablate", "blank_rows"):
        return format_numbers(value)
    if field == "ink":
        return encode_ink(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def encode_state(state: dict) -> str:
    """A state (any subset of DEFAULTS' fields) -> the URL query without "?": checked first,
    the fields at their defaults left out, the keys in URL_KEYS' order."""
    full = check_state(state)
    parts = []
    for field, key in URL_KEYS.items():
        value = full[field]
        if value == DEFAULTS[field] or (field == "ink" and value is None):
            continue
        parts.append(f"{key}={quote(_url_value(field, value), safe='-_.~,:')}")
    return "&".join(parts)


def _pairs(query) -> list[tuple[str, str]]:
    """A query string ("?a=1&b=2", "a=1", a whole URL) or a mapping (request.query_params,
    parse_qs's lists) -> [(key, value)], URL-decoded, with repeated keys refused."""
    if isinstance(query, str):
        if len(query) > MAX_QUERY:
            raise LinkError(None, f"the link is too long ({len(query):,} characters, at most {MAX_QUERY:,})")
        q = query.split("#", 1)[0]
        if "?" in q:
            q = q.split("?", 1)[1]
        pairs = []
        for part in q.split("&"):
            if not part:
                continue
            k, _, v = part.partition("=")
            try:
                pairs.append((unquote_plus(k, errors="strict"), unquote_plus(v, errors="strict")))
            except UnicodeDecodeError:
                raise LinkError(None, f"{shown(part[:40])} is not valid UTF-8 once decoded") from None
    elif hasattr(query, "items"):
        items = query.multi_items() if hasattr(query, "multi_items") else list(query.items())
        pairs = []
        for k, v in items:
            if isinstance(v, (list, tuple)):
                if len(v) != 1:
                    raise LinkError(str(k), f"given {len(v)} times; give it once")
                v = v[0]
            if not isinstance(k, str) or not isinstance(v, str):
                raise LinkError(None, f"query keys and values must be text, got {shown(k)}={shown(v)}")
            pairs.append((k, v))
        if sum(len(k) + len(v) + 2 for k, v in pairs) > MAX_QUERY:
            raise LinkError(None, f"the link is too long (at most {MAX_QUERY:,} characters)")
    elif query is None:
        pairs = []
    else:
        raise LinkError(None, f"expected a query string or a mapping, got {type(query).__name__}")
    if len(pairs) > MAX_FIELDS:
        raise LinkError(None, f"too many parameters ({len(pairs)}, at most {MAX_FIELDS})")
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise LinkError(shown(k)[1:-1], "given twice; give it once")
        seen.add(k)
    return pairs


def _decode(query) -> dict:
    state = {}
    for key, value in _pairs(query):
        if key.startswith("__"):          # gradio's own (__theme=dark): not ours to check
            continue
        if key not in FIELDS:
            raise LinkError(None, f"unknown parameter {shown(key)}; known: {', '.join(FIELDS)}")
        if len(value) > MAX_VALUE:
            raise LinkError(key, f"too long ({len(value):,} characters, at most {MAX_VALUE:,})")
        state[FIELDS[key]] = value
    return state


def decode_state(query, strict: bool = True, partial: bool = False):
    """A query (string, URL or mapping) -> the full state (DEFAULTS filled in).  strict: a bad
    link raises ValueError naming the parameter.  strict=False: (state, messages), never raising;
    when anything is wrong the state is DEFAULTS (partial=True: the fields that were fine are
    kept, the rest at their defaults)."""
    if strict:
        return check_state(_decode(query))
    try:
        raw = _decode(query)
    except Exception as e:  # noqa: BLE001 - a link must never become an error page
        return dict(DEFAULTS), [str(e) if isinstance(e, ValueError) else f"Link: unreadable ({type(e).__name__})"]
    out, messages = dict(DEFAULTS), []
    for field, value in raw.items():
        try:
            out[field] = _check(field, value)
        except Exception as e:  # noqa: BLE001
            messages.append(str(e) if isinstance(e, ValueError) else
                            f"Link parameter {URL_KEYS[field]}: unreadable ({type(e).__name__})")
    try:
        _check_together(out)
    except LinkError as e:
        messages.append(str(e))
        if partial:   # the field the joint check names goes back to its default
            field = FIELDS.get(e.key)
            if field is not None:
                out[field] = DEFAULTS[field]
            try:
                _check_together(out)
            except ValueError:
                out = dict(DEFAULTS)
    if messages and not partial:
        return dict(DEFAULTS), messages
    return out, messages


# -- applying a state --------------------------------------------------------------------------

def controls(state: dict) -> dict[str, dict]:
    """A checked state -> the values of the tabs' controls, by attribute name:
    {"digits": {"model": "gru", "t": 10, "ablate": "3, 17", "gate": "none", ...},
     "text": {"model": "lstm", "seed": ..., "which": "h", "unit": 0, ...}, "app": {...}}.
    The lead maps them with ``{getattr(tab, k): v for k, v in ...items()}`` (the drawing:
    "digit"/"ink" are for the pad, via pad_value_from_image / as it is)."""
    s = check_state(state)
    digits = {"model": s["model"], "t": s["t"], "unit": s["unit"], "order": s["order"],
              "ablate": ", ".join(format_numbers(s["ablate"]).split(",")) if s["ablate"] else "",
              "gate": s["gate"] or "none", "gate_value": s["gate_value"], "from_row": s["from_row"],
              "blank_rows": ", ".join(format_numbers(s["blank_rows"]).split(",")) if s["blank_rows"] else "",
              "digit": s["digit"], "ink": s["ink"]}
    text = {"model": s["text_model"], "seed": s["seed"], "length": s["length"], "temperature": s["temperature"],
            "top_k": s["top_k"], "rng_seed": s["rng_seed"], "which": s["text_state"], "unit": s["text_unit"],
            "t": s["text_t"], "clamp_box": s["text_clamp"], "ablate_box": s["text_ablate"]}
    return {"app": {"tab": s["tab"], "lang": s["lang"], "lesson": s["lesson"]}, "digits": digits, "text": text}


# The "Copy link" button's js: after a Python handler returned encode_state(...) into a hidden
# textbox, `.then(None, [that_box], None, js=COPY_LINK_JS)` puts it in the address bar and on the
# clipboard (a page that is not https or localhost has no clipboard: the URL bar still changes).
COPY_LINK_JS = ("(q) => { const u = new URL(window.location.href); u.search = q ? '?' + q : ''; "
                "window.history.replaceState(null, '', u.toString()); "
                "if (navigator.clipboard) navigator.clipboard.writeText(u.toString()).catch(() => {}); return q; }")
