"""The drawing pad's value, "ink-v1": checking, decoding and building it.

Ink values (``format: "ink-v1"``), what the app's own drawing pad (``demo/digits/pad.py``) sends
and shows, are JSON-able dicts::

    {"format": "ink-v1",      # required, exactly this string
     "width": 56,             # required int, 8..512: columns of `data`
     "height": 56,            # required int, 8..512: rows of `data`
     "data": "AAAA...",       # required str: standard base64 (with padding) of width*height
                              #   uint8 ink values, row-major, 0 = paper, 255 = full ink
     "drawing": true,         # optional bool: the pen is still down (the pad sends it while
                              #   drawing; the value sent as the pen lifts has none)
     "pad": "k3x9q2",         # optional str, 1..32 letters/digits: which pad (page) sent it
     "seq": 17,               # optional int >= 0: the pad's count of values sent, so an answer
                              #   to an older value can tell it came too late
     "background": "data:image/png;base64,..."}  # optional (absent or None): a picture under the
                              #   strokes, stretched over the whole pad; its ink is its alpha
                              #   channel where it is transparent, else its darkness/brightness
                              #   (read like an upload)

No other keys are allowed.  The pad sends ``data`` rendered from everything on it (a background it
was given plus the strokes on top, area-averaged from the canvas's ink to width x height); Python
sets ``background`` to show a picture in the pad (``pad.pad_value_from_image``).  Decoding
composites the two: ``ink = max(data, background ink resized to width x height)``.  Any malformed
value raises a ``UserError`` (demo.errors) that says what is wrong; an all-zero ink decodes to
zeros, which ``preprocess.to_mnist`` refuses with the empty-canvas message.

    from demo.digits.pad_ink import decode_ink, ink_data_url, ink_value
    value = ink_value(ink)                          # ink: (H, W) uint8 or float in [0, 1]
    value = ink_value(ink, background=ink_data_url(picture_ink))
    decode_ink(value)                               # (H, W) float32 in [0, 1]
"""
from __future__ import annotations

import base64
import binascii
import io
import re

import numpy as np
from PIL import Image

from demo.digits.marks import ink_of
from demo.digits.pictures import pil_to_array
from demo.errors import Text, UserError

INK_FORMAT = "ink-v1"        # the drawing pad's value: see the module docstring
INK_MIN_SIDE, INK_MAX_SIDE = 8, 512
INK_KEYS = frozenset({"format", "width", "height", "data", "background", "drawing", "pad", "seq"})
MAX_BACKGROUND_CHARS = 4_000_000   # a data URL; the pad's own are ~10-30 kB
MAX_BACKGROUND_SIDE = 2048
MAX_SEQ = 2**53 - 1  # JavaScript's largest exact integer
_DATA_URL = re.compile(r"data:image/(png|jpeg|webp|gif);base64,", re.IGNORECASE)


def pad_id_ok(pad) -> bool:
    return isinstance(pad, str) and 1 <= len(pad) <= 32 and pad.isascii() and pad.isalnum()


def seq_ok(seq) -> bool:
    return isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= MAX_SEQ


def _bad_ink(problem: str, /, **fields) -> UserError:
    """A malformed ink value: what is wrong is ``digits.ink.<problem>`` with ``fields``."""
    return UserError("digits.error.unreadable", what=Text(f"digits.ink.{problem}", **fields))


def _ink_side(value: dict, key: str) -> int:
    side = value[key]
    if isinstance(side, bool) or not isinstance(side, int):
        raise _bad_ink("side_type", name=key, kind=type(side).__name__)
    if not INK_MIN_SIDE <= side <= INK_MAX_SIDE:
        raise _bad_ink("side_range", name=key, side=side, lo=INK_MIN_SIDE, hi=INK_MAX_SIDE)
    return side


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # bad characters or padding; non-ASCII text
        raise _bad_ink("base64", what=what) from None


def _background_ink(url, size: tuple[int, int]) -> np.ndarray | None:
    """The optional background data URL -> ink (height, width) in [0, 1], or None."""
    if url is None:
        return None
    if not isinstance(url, str):
        raise _bad_ink("bg_type", kind=type(url).__name__)
    if len(url) > MAX_BACKGROUND_CHARS:
        raise _bad_ink("bg_long", n=len(url), max=MAX_BACKGROUND_CHARS)
    head = _DATA_URL.match(url)
    if head is None:
        raise _bad_ink("bg_url")
    raw = _b64decode(url[head.end():], "background")
    try:
        with Image.open(io.BytesIO(raw)) as img:  # reads the header only
            if max(img.size) > MAX_BACKGROUND_SIDE or min(img.size) < 1:
                raise _bad_ink("bg_size", w=img.width, h=img.height, max=MAX_BACKGROUND_SIDE)
            img.load()
            ink = ink_of(pil_to_array(img))
    except Image.DecompressionBombError:
        raise _bad_ink("bg_far") from None
    except UserError:  # ours, already worded for the user
        raise
    except Exception as e:  # PIL's many ways to fail on a broken file: OSError, SyntaxError, ...
        raise _bad_ink("bg_unreadable", error=type(e).__name__) from e
    if ink.shape[::-1] != size:
        ink8 = Image.fromarray((ink * 255).round().astype(np.uint8))
        ink = np.asarray(ink8.resize(size, Image.Resampling.BOX), dtype=np.float32) / 255.0
    return ink


def decode_ink(value: dict) -> np.ndarray:
    """An ink value -> ink (height, width) float32 in [0, 1] (data and background composited).
    Anything malformed raises a ``UserError``; an empty ink is returned as zeros (``to_mnist``
    then raises the empty-canvas message)."""
    if not isinstance(value, dict):
        raise _bad_ink("not_dict", kind=type(value).__name__)
    if value.get("format") != INK_FORMAT:
        raise _bad_ink("format", found=repr(str(value.get("format"))[:40]), want=repr(INK_FORMAT))
    missing = sorted({"width", "height", "data"} - value.keys())
    if missing:
        raise _bad_ink("missing", keys=", ".join(missing))
    extra = sorted(str(k)[:40] for k in value.keys() - INK_KEYS)
    if extra:
        raise _bad_ink("extra", keys=", ".join(extra))
    if "drawing" in value and not isinstance(value["drawing"], bool):
        raise _bad_ink("drawing")
    if "pad" in value and not pad_id_ok(value["pad"]):
        raise _bad_ink("pad")
    if "seq" in value and not seq_ok(value["seq"]):
        raise _bad_ink("seq", max=MAX_SEQ)
    w, h = _ink_side(value, "width"), _ink_side(value, "height")
    data = value["data"]
    if not isinstance(data, str):
        raise _bad_ink("data_type", kind=type(data).__name__)
    expected = 4 * ((w * h + 2) // 3)  # base64 length of w*h bytes, padded
    if len(data) != expected:
        raise _bad_ink("data_len", n=len(data), want=expected, w=w, h=h)
    raw = _b64decode(data, "data")
    if len(raw) != w * h:  # unreachable with the length check above, kept as the contract
        raise _bad_ink("data_bytes", n=len(raw), want=w * h)
    ink = np.frombuffer(raw, dtype=np.uint8).reshape(h, w).astype(np.float32) / 255.0
    background = _background_ink(value.get("background"), (w, h))
    return ink if background is None else np.maximum(ink, background)


def ink_value(ink, background: str | None = None) -> dict:
    """Ink (H, W) -> an "ink-v1" value.  ``ink`` is uint8 (0 = paper, 255 = ink) or float in
    [0, 1]; ``background`` an optional data URL shown under it (see the module docstring)."""
    a = np.asarray(ink)
    if a.ndim != 2 or not (INK_MIN_SIDE <= a.shape[0] <= INK_MAX_SIDE and INK_MIN_SIDE <= a.shape[1] <= INK_MAX_SIDE):
        raise ValueError(f"ink must be a 2-D array with sides {INK_MIN_SIDE}..{INK_MAX_SIDE}, got shape {a.shape}")
    if a.dtype != np.uint8:
        if not (np.issubdtype(a.dtype, np.floating) or a.dtype == bool) or not np.isfinite(a).all():
            raise ValueError(f"ink must be uint8 or float in [0, 1], got {a.dtype}")
        a = (np.clip(a.astype(np.float64), 0.0, 1.0) * 255).round().astype(np.uint8)
    value = {"format": INK_FORMAT, "width": int(a.shape[1]), "height": int(a.shape[0]),
             "data": base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")}
    if background is not None:
        value["background"] = background
    return value


def ink_data_url(ink) -> str:
    """Ink (H, W), uint8 or float in [0, 1] -> "data:image/png;base64,..." of near-black ink
    (the pad's pen colour, grey 17) whose alpha is the ink: how the pad shows a picture as a
    background it can draw over."""
    a = np.asarray(ink)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"ink must be a non-empty 2-D array, got shape {a.shape}")
    if a.dtype != np.uint8:
        a = (np.clip(np.nan_to_num(a.astype(np.float64)), 0.0, 1.0) * 255).round().astype(np.uint8)
    la = np.dstack([np.full_like(a, 17), a])
    buf = io.BytesIO()
    Image.fromarray(la).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
