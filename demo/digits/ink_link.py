"""A drawing in a link: the pad's ink as the compact text of the ``ink=`` parameter, and back.
Pure (no gradio).  The Digits tab's table of controls (``demo.digits.controls``) checks and
writes its ``ink`` field with these; ``demo.links`` reaches them through that table.

    from demo.digits.ink_link import encode_ink, decode_ink_param, ink_from_param
    code = encode_ink(pad_value)        # "AQg4eJz..." (300-700 characters for a digit)
    ink_from_param(code)                # an "ink-v1" value the pad can show
    decode_ink_param(code)              # uint8 (h, w): 0 paper .. 255 ink

The ink is quantised to 16 levels (4 bits), two cells a byte, zlib-compressed and urlsafe-base64'd
behind a version byte and the sides (w, h).  Every malformed text raises a keyed ``UserError``
(``digits.error.ink_*``), and decompression stops one byte past what the sides allow, so a
zip bomb costs nothing.
"""
from __future__ import annotations

import base64
import binascii
import re
import zlib

import numpy as np

from demo.errors import UserError

INK_VERSION = 1
INK_LEVELS = 15                 # 4 bits: 0 (paper) .. 15 (full ink)
INK_SIDE_MIN, INK_SIDE_MAX = 8, 128
MAX_TEXT = 4_000                # characters of an ink= value (a link's longest)
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def ink_array(ink) -> np.ndarray:
    """An ink value (dict, checked by ``pad_ink.decode_ink``), or a 2-D array (uint8 0..255 or
    float 0..1) -> float64 (h, w) in [0, 1]."""
    if isinstance(ink, dict):
        from demo.digits.pad_ink import decode_ink   # lazily: demo.digits imports torch
        return np.asarray(decode_ink(ink), np.float64)
    a = np.asarray(ink)
    if a.ndim != 2:
        raise UserError("digits.error.ink_shape", shape=str(a.shape))
    if a.dtype == np.uint8:
        return a.astype(np.float64) / 255.0
    if not (np.issubdtype(a.dtype, np.floating) or a.dtype == bool) or not np.isfinite(a).all():
        raise UserError("digits.error.ink_dtype", dtype=str(a.dtype))
    return np.clip(a.astype(np.float64), 0.0, 1.0)


def encode_ink(ink) -> str:
    """A drawing (ink value or array) -> the compact text of the ``ink=`` parameter."""
    a = ink_array(ink)
    h, w = a.shape
    if not (INK_SIDE_MIN <= h <= INK_SIDE_MAX and INK_SIDE_MIN <= w <= INK_SIDE_MAX):
        raise UserError("digits.error.ink_sides", lo=INK_SIDE_MIN, hi=INK_SIDE_MAX, w=w, h=h)
    q = np.rint(a * INK_LEVELS).astype(np.uint8).reshape(-1)   # (h*w,) levels 0..15
    if not q.any():
        raise UserError("digits.error.ink_empty")
    if q.size % 2:
        q = np.append(q, 0)
    packed = (q[0::2] << 4 | q[1::2]).astype(np.uint8).tobytes()
    raw = bytes([INK_VERSION, w, h]) + zlib.compress(packed, 9)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _raw(text) -> bytes:
    """The ``ink=`` text -> its bytes (version, w, h, zlib data), the text's own checks passed."""
    if not isinstance(text, str) or not text:
        raise UserError("digits.error.ink_missing")
    if len(text) > MAX_TEXT:
        raise UserError("digits.error.ink_long", n=len(text), max=MAX_TEXT)
    if not _B64URL.match(text):
        raise UserError("digits.error.ink_chars")
    if len(text) % 4 == 1:
        raise UserError("digits.error.ink_length")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise UserError("digits.error.ink_base64") from None
    if len(raw) < 4:
        raise UserError("digits.error.ink_short")
    return raw


def decode_ink_param(text: str) -> np.ndarray:
    """The ``ink=`` text -> uint8 ink (h, w), 0 paper .. 255 ink.  UserError if malformed."""
    raw = _raw(text)
    version, w, h = raw[0], raw[1], raw[2]
    if version != INK_VERSION:
        raise UserError("digits.error.ink_version", version=version, known=INK_VERSION)
    if not (INK_SIDE_MIN <= w <= INK_SIDE_MAX and INK_SIDE_MIN <= h <= INK_SIDE_MAX):
        raise UserError("digits.error.ink_sides", lo=INK_SIDE_MIN, hi=INK_SIDE_MAX, w=w, h=h)
    n = (w * h + 1) // 2                         # packed bytes: two cells each
    d = zlib.decompressobj()
    try:
        packed = d.decompress(raw[3:], n + 1)   # at most one byte more than expected: no zip bombs
    except zlib.error:
        raise UserError("digits.error.ink_corrupt") from None
    if len(packed) != n or not d.eof or d.unused_data or d.unconsumed_tail:
        longer = len(packed) > n or d.unconsumed_tail or d.unused_data
        raise UserError("digits.error.ink_longer" if longer else "digits.error.ink_cut", n=n, w=w, h=h)
    p = np.frombuffer(packed, np.uint8)
    q = np.empty(2 * n, np.uint8)
    q[0::2], q[1::2] = p >> 4, p & 15
    q = q[:w * h].reshape(h, w)
    if not q.any():
        raise UserError("digits.error.ink_empty")
    return (q.astype(np.uint16) * 255 // INK_LEVELS).astype(np.uint8)


def ink_from_param(text: str) -> dict:
    """The ``ink=`` text -> an "ink-v1" value for the pad (``pad_ink.ink_value``)."""
    from demo.digits.pad_ink import ink_value
    return ink_value(decode_ink_param(text))


def check_ink(value) -> dict | None:
    """The ``ink`` field's check: None or "" (no drawing), the ``ink=`` text, or an ink value or
    array -> the canonical "ink-v1" value {format, width, height, data} (the pad's numbering and
    any background picture dropped), or a UserError."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, str):
        return ink_from_param(value)
    from demo.digits.pad_ink import ink_value
    a = ink_array(value)
    value = ink_value((a * 255).round().astype(np.uint8))
    encode_ink(value)   # the same checks as a link's (sides, not empty)
    return value
