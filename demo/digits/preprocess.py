"""Turn a user's drawing into an MNIST-style 28x28 input, the way MNIST itself was made.

``to_mnist(image)`` accepts PIL images (any mode and size, first frame of animations), numpy
arrays (H, W), (H, W, 1|2|3|4), Gradio Sketchpad / ImageEditor values
``{"background", "layers", "composite"}`` and image file paths.  Steps:

1. ink map in [0, 1]: the alpha channel of sketch layers (strokes on a transparent layer, which
   works in light and dark themes alike); any opaque picture is read as a photo of paper
   (``_picture_ink``): EXIF orientation applied first, large photos decoded and downscaled to
   PHOTO_WORK px, the paper removed by a large-scale closing/opening (uneven light, shadows,
   any background level), polarity from where the marks lie relative to the background, colour
   counted (darkest/brightest channel), ruled lines removed, and the digit's connected
   components kept (``layout``: specks, edges and lines dropped; several digits, text or a
   scene raise ``NotOneDigit``).  Pictures with no sensor noise (canvases, MNIST) keep every
   mark, as drawings do.  The ink comes back cropped around the digit;
2. crop to the ink's bounding box and bring the stroke width into MNIST's range (a hairline pen
   or a marker on a huge canvas both end up like a pen stroke in MNIST);
3. scale to fit 20x20 keeping the aspect ratio, anti-aliased;
4. paste into 28x28 so the centre of mass sits at the centre, as MNIST did.

Blank drawings raise a ``UserError`` (demo.errors: a key of demo/i18n, ``str(e)`` the English)
with a message meant for the user, as does every input this module cannot read.  ``to_mnist(image,
steps=True)`` (``reading_steps``) returns a ``Reading``: the input and every step that made it,
for ``views.reading_strip``.

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
sets ``background`` to show a picture in the pad (``pad_value_from_image``).  Decoding composites
the two: ``ink = max(data, background ink resized to width x height)``.  An all-zero ink (a cleared
pad) raises the same empty-canvas ``UserError`` as a blank drawing; any malformed value raises a
``UserError`` that says what is wrong.  ``ink_value(array)`` builds one.
"""
from __future__ import annotations

import base64
import binascii
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFilter, ImageSequence

from demo.errors import Text, UserError
from demo.i18n import t

cv2.setNumThreads(1)  # like torch: one thread; the work per picture is too small to split

MAX_PIXELS = 40_000_000      # refuse decompression bombs; a 6000x6000 canvas still fits
MAX_FILE_BYTES = 20_000_000
WORK_BOX = 80                # working resolution for stroke-width measurement (px, longest side)
MNIST_WIDTH = 12.0           # median stroke width of MNIST digits at WORK_BOX (measured: 8.6-16.7 p10-p90)
EMPTY = "digits.error.empty"  # the key of a blank drawing's UserError (a hint, not an error, in the UI)
EMPTY_MESSAGE = t(EMPTY)      # its English words
PHOTO_WORK = 512             # pictures are read at most this many px on their longest side
LUMA = np.array([0.299, 0.587, 0.114], np.float32)

INK_FORMAT = "ink-v1"        # the drawing pad's value: see the module docstring
INK_MIN_SIDE, INK_MAX_SIDE = 8, 512
INK_KEYS = frozenset({"format", "width", "height", "data", "background", "drawing", "pad", "seq"})
MAX_BACKGROUND_CHARS = 4_000_000   # a data URL; the pad's own are ~10-30 kB
MAX_BACKGROUND_SIDE = 2048
_DATA_URL = re.compile(r"data:image/(png|jpeg|webp|gif);base64,", re.IGNORECASE)


def _too_large(w: int | None = None, h: int | None = None) -> UserError:
    """An image over MAX_PIXELS, w x h when known."""
    what = Text("digits.word.far_over") if w is None else Text("digits.word.pixels", w=w, h=h)
    return UserError("digits.error.too_large", what=what, max=MAX_PIXELS // 1_000_000)


def _empty() -> UserError:
    return UserError("digits.error.empty")


def _pil_to_array(img: Image.Image, reduce: bool = True) -> np.ndarray:
    """Any PIL mode -> float32 in [0, 1]: (H, W) grey, (H, W, 2) grey+alpha, (H, W, 3) RGB or
    (H, W, 4) RGBA.  Pictures over 2 * PHOTO_WORK px are box-reduced to PHOTO_WORK..2 *
    PHOTO_WORK px in their own integer type before any float conversion (``_reduced``), then
    turned by their EXIF orientation (phones store photos rotated)."""
    if getattr(img, "is_animated", False):
        img = next(iter(ImageSequence.Iterator(img)))
    w, h = img.size
    if w * h > MAX_PIXELS:
        raise _too_large(w, h)
    if w < 1 or h < 1:
        raise _empty()
    orientation = _orientation(img)
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        img = img.convert("I") if mode.startswith("I;16") else img  # reduce works on I and F
        a = np.asarray(_upright(_reduced(img, reduce), orientation), dtype=np.float32)
        lo, hi = float(a.min()), float(a.max())
        return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in img.info)
    grey = mode in ("1", "L", "LA", "La") or (mode in ("P", "PA") and _grey_palette(img))
    target = ("LA" if has_alpha else "L") if grey else ("RGBA" if has_alpha else "RGB")
    img = img.convert(target) if img.mode != target else img
    return np.asarray(_upright(_reduced(img, reduce), orientation), dtype=np.float32) / 255.0


def _reduced(img: Image.Image, reduce: bool = True) -> Image.Image:
    """A picture over 2 * PHOTO_WORK px box-reduced by a whole factor to PHOTO_WORK..2 *
    PHOTO_WORK px on its longest side: what the readers need (photos are read at PHOTO_WORK,
    drawings at WORK_BOX, the pad shows SHOW_SIZE) at a fraction of the memory (a 40 MP RGBA
    picture is 640 MB as float32).  Transparent ones are reduced premultiplied: every reader
    flattens colour onto white, and this is that flattening's box average, with no colour of
    clear pixels bleeding in."""
    if not reduce or max(img.size) <= 2 * PHOTO_WORK:
        return img
    factor = max(img.size) // PHOTO_WORK
    premultiplied = {"RGBA": "RGBa", "LA": "La"}.get(img.mode)
    if premultiplied is None:
        return img.reduce(factor)
    return img.convert(premultiplied).reduce(factor).convert(img.mode)


def _grey_palette(img: Image.Image) -> bool:
    pal = img.getpalette() or []
    rgb = np.asarray(pal[:len(pal) // 3 * 3], dtype=np.int16).reshape(-1, 3)
    return bool(rgb.size == 0 or (np.ptp(rgb, axis=1) <= 2).all())


_TURNS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
          5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
          8: Image.Transpose.ROTATE_90}  # EXIF orientation -> the turn that shows it upright


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation tag (1, as stored, without one), read before the picture is reduced."""
    try:
        return int(img.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block: read the pixels as stored
        return 1


def _upright(img: Image.Image, orientation: int) -> Image.Image:
    """Turn a picture by its EXIF ``orientation`` (a no-op for 1 or an unknown value)."""
    return img.transpose(_TURNS[orientation]) if orientation in _TURNS else img


def _read(image) -> np.ndarray:
    """Whatever the user handed over -> float32 array (H, W) or (H, W, 2) in [0, 1]."""
    if image is None:
        raise _empty()
    if isinstance(image, dict):
        raise UserError("digits.error.sketchpad")
    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        if not path.is_file():
            raise UserError("digits.error.no_file", name=repr(path.name))
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UserError("digits.error.file_large", size=path.stat().st_size // 1_000_000,
                            max=MAX_FILE_BYTES // 1_000_000)
        try:
            with Image.open(path) as img:  # reads the header only
                if img.width * img.height > MAX_PIXELS:  # refuse before decoding a single pixel
                    raise _too_large(img.width, img.height)
                if img.format == "JPEG" and max(img.size) > PHOTO_WORK:  # decode at 1/2..1/8 scale
                    f = 0.9 * PHOTO_WORK / max(img.size)
                    img.draft(img.mode, (int(img.width * f) + 1, int(img.height * f) + 1))
                img.load()
                return _pil_to_array(img)
        except Image.DecompressionBombError:  # PIL's own limit, hit while reading the header
            raise _too_large() from None
        except UserError:
            raise
        except (OSError, SyntaxError, ValueError) as e:  # PIL's ways to fail on a broken file
            raise UserError("digits.error.not_image", error=type(e).__name__) from e
    if isinstance(image, Image.Image):
        return _pil_to_array(image)
    try:
        a = np.asarray(image)
    except Exception as e:
        raise UserError("digits.error.not_an_image", kind=type(image).__name__) from e
    if a.dtype == object or a.size == 0 or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise UserError("digits.error.not_an_image", kind=type(image).__name__)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)):
        raise UserError("digits.error.image_shape", shape=a.shape)
    if a.shape[0] * a.shape[1] > MAX_PIXELS:
        raise _too_large(a.shape[1], a.shape[0])
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise UserError("digits.error.not_finite")
    if image_is_8bit(a):
        a = a / 255.0
    a = np.clip(a, 0.0, 1.0)
    return a


def image_is_8bit(a: np.ndarray) -> bool:
    return float(a.max(initial=0.0)) > 1.0


def _editor_ink(value: dict) -> np.ndarray:
    """Gradio Sketchpad value -> ink: strokes from the layers' alpha (theme-proof), else the
    composite or background image (an upload placed on the canvas)."""
    inks = [_ink(_read(layer)) for layer in (value.get("layers") or []) if layer is not None]
    inks = [i for i in inks if i.shape == inks[0].shape] if inks else []
    if inks and max(float(i.max()) for i in inks) > 0.2:
        return np.maximum.reduce(inks)
    for key in ("composite", "background"):
        if value.get(key) is not None:
            return _ink(_read(value[key]))
    raise _empty()


def drawing_to_ink(image) -> np.ndarray:
    """Any accepted input -> ink (H, W) in [0, 1].  A picture without transparency is read as a
    photo of paper (``_picture_ink``): its ink comes back cropped around the digit, and a
    picture that is not one digit raises ``NotOneDigit`` (a ``UserError``)."""
    return _find_ink(image)[0]


def _find_ink(image, preview: bool = False) -> tuple[np.ndarray, np.ndarray | None, bool, str | None]:
    """(ink, a small uint8 copy of the picture as handed over when ``preview``, whether it was
    read as a picture without transparency, a warning: why a clean picture may not be one digit)."""
    if isinstance(image, dict):
        # A "format" key marks the pad's ink value (Sketchpad values never have one): decoded
        # strictly, so an unknown format says so instead of reading as an empty canvas.
        ink = decode_ink(image) if "format" in image else _editor_ink(image)
        return ink, None, False, (check_single_digit(ink) if preview else None)
    a = _read(image)
    shown = _thumbnail(a) if preview else None
    if _opaque(a):
        ink, lay = _picture_ink(_flatten(a))
        return ink, shown, True, lay.problem if lay is not None else None
    ink = a[:, :, -1]
    return ink, shown, False, (check_single_digit(ink) if preview else None)


def _thumbnail(a: np.ndarray, side: int = 112) -> np.ndarray:
    """A picture from ``_read`` -> uint8 grey or RGB, at most ``side`` px, flattened onto white."""
    a = _flatten(a)
    f = side / max(a.shape[:2])
    if f < 1:
        a = _resize(a, f)
    return np.clip(a * 255 + 0.5, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# The drawing pad's ink values ("ink-v1", see the module docstring)
MAX_SEQ = 2**53 - 1  # JavaScript's largest exact integer


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
            ink = _ink(_pil_to_array(img))
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


def _ink(a: np.ndarray) -> np.ndarray:
    """A picture (``_read``'s arrays) -> ink (H, W): 1 on strokes, 0 on paper.  Strokes on a
    transparent layer are its alpha; anything opaque is read as a photo of paper
    (``_picture_ink``), which may raise ``NotOneDigit``."""
    return _picture_ink(_flatten(a))[0] if _opaque(a) else a[:, :, -1]


def _opaque(a: np.ndarray) -> bool:
    """False for a partly transparent picture whose opaque part is the strokes (a sketch layer on
    a clear background); a picture on an opaque sheet with a few see-through pixels is opaque."""
    if a.ndim == 3 and a.shape[2] in (2, 4):
        alpha = a[:, :, -1]
        return not (alpha.min() < 0.98 and alpha.mean() < 0.9)
    return True


def _flatten(a: np.ndarray) -> np.ndarray:
    """Grey+alpha or RGBA -> grey or RGB flattened onto white; grey and RGB as they are."""
    if a.ndim == 3 and a.shape[2] in (2, 4):
        alpha = a[:, :, -1:]
        a = a[:, :, :-1] * alpha + (1 - alpha)
        return a[:, :, 0] if a.shape[2] == 1 else a
    return a


# ---------------------------------------------------------------------------------------------
# Photos: background, polarity, lines, the digit's components

class NotOneDigit(UserError):
    """The picture does not show one digit (several marks, a line of text, a photo of a scene):
    the message says what was found, for the user."""

    @classmethod
    def of(cls, problem: Text) -> "NotOneDigit":
        return cls(problem.key, **problem.fields)


@dataclass(frozen=True)
class Layout:
    """What the components of a picture's marks say (``layout``).  ``problem`` is None for one
    digit, else a message for the user."""
    box: tuple[int, int, int, int] | None   # (r0, r1, c0, c1) of the digit's components
    labels: tuple[int, ...]                  # the components that make the digit
    marks: int                               # separate marks found (digit groups and others)
    problem: Text | None                     # digits.error.many_marks, side_by_side(_some), not_on_paper


CLEAN = 0.0015              # a picture whose paper varies less than this has no sensor noise: made on a computer
BUSY_LEVEL = 0.055           # paper: the background's level and spread stay under this (measured <= 0.04)


def _odd(n: float) -> int:
    n = max(1, int(round(n)))
    return n if n % 2 else n + 1


def _resize(a: np.ndarray, f: float) -> np.ndarray:
    h, w = a.shape[:2]
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(a, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)


def _marks_are_dark(grey: np.ndarray) -> bool | None:
    """Polarity from where the marks lie relative to the background, whatever its level: the
    background is the border's level when the border is even, else a median at a large scale
    (the marks are few), and the marks are the side of it with the heavier tail beyond the noise.  None for a flat picture (no marks at all);
    ``NotOneDigit`` for one with detail everywhere and no marks (a texture)."""
    h, w = grey.shape
    f = min(1.0, 160 / max(h, w))
    small = _resize(grey, f) if f < 1 else grey
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    lo_b, mid_b, hi_b = np.percentile(border, [5, 50, 95])
    if hi_b - lo_b <= 0.02:  # an even border (a canvas, a scan): it is the background
        dev = small - mid_b
        neg, pos = float(np.maximum(-dev - 0.03, 0).sum()), float(np.maximum(dev - 0.03, 0).sum())
        if neg != pos:
            return neg > pos
    short = min(small.shape)
    k = _odd(max(3, short / 3))
    bg = cv2.medianBlur(np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8), min(k, 255)) / np.float32(255)
    dev = small - bg
    sub = dev[::2, ::2] if dev.size > 20_000 else dev
    sigma = 1.4826 * float(np.median(np.abs(sub - np.median(sub))))
    t = max(4 * sigma, 0.03)
    neg = float(np.maximum(-dev - t, 0).sum())
    pos = float(np.maximum(dev - t, 0).sum())
    if neg == pos == 0:
        if sigma > BUSY_LEVEL:  # no tail beyond a wide spread: texture everywhere, not paper
            raise NotOneDigit("digits.error.busy")
        return None
    return neg >= pos


def _mark_signal(c: np.ndarray, dark: bool) -> np.ndarray:
    """How much each pixel stands out from the paper (>= 0).  Colour counts: for dark marks the
    picture's darkest channel (pencil is faint in grey, coloured ink dark in some channel), for
    light ones its brightest.  The background is a closing (an opening for light marks) over a
    fifth of the picture, which removes strokes narrower than that however dense they are and
    keeps shadows, gradients and the desk."""
    if c.ndim == 3:  # per channel: a strided min/max over axis 2 is many times slower
        pick = np.minimum if dark else np.maximum
        v = pick(pick(c[:, :, 0], c[:, :, 1]), c[:, :, 2])
    else:
        v = c
    h, w = v.shape
    f = min(1.0, 160 / max(h, w))  # the background is smooth: estimate it small, fast
    vs = _resize(v, f) if f < 1 else v
    short = min(vs.shape)
    k = _odd(max(3, short / 5, min(short / 2.5, 15)))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    # Replicated borders: light falling off towards the edges is then followed, not filled in.
    padded = cv2.copyMakeBorder(vs, k, k, k, k, cv2.BORDER_REPLICATE)
    bg = cv2.morphologyEx(padded, cv2.MORPH_CLOSE if dark else cv2.MORPH_OPEN, kernel)[k:-k, k:-k]
    kb = _odd(k / 3)
    bg = cv2.blur(bg, (kb, kb))
    if f < 1:
        bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    sig = bg - v if dark else v - bg
    return np.maximum(sig, 0, out=sig)


def _remove_lines(sig: np.ndarray, level: float) -> np.ndarray:
    """Ruled and squared notebook lines (and straight paper edges): marks a few px thin that run
    along 80% of the picture, two or more of them, or one across all of it.  Their level (a
    grey opening along the line, over a band that allows a slight tilt) is subtracted, so a
    stroke crossing a line keeps what stands out above it.  Found at half resolution (max-pooled,
    so thin lines keep their level), subtracted at full."""
    h, w = sig.shape
    half = sig.shape[0] >= 64 and sig.shape[1] >= 64
    s2 = cv2.dilate(sig, np.ones((2, 2), np.uint8))[::2, ::2] if half else sig
    hh, ww = s2.shape
    lines = None
    for horizontal in (True, False):
        span = ww if horizontal else hh
        length = max(9, span // 6)
        band = cv2.dilate(s2, np.ones((3, 1) if horizontal else (1, 3), np.uint8))
        line = cv2.morphologyEx(band, cv2.MORPH_OPEN, np.ones((1, length) if horizontal else (length, 1), np.uint8))
        m = (line > level).astype(np.uint8)
        if not m.any():
            continue
        n, lab, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        start = stats[:, cv2.CC_STAT_LEFT if horizontal else cv2.CC_STAT_TOP]
        extent = stats[:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT]
        thick = stats[:, cv2.CC_STAT_AREA] / np.maximum(extent, 1)  # mean thickness, band included
        long = (extent >= 0.8 * span) & (thick <= max(5, 0.02 * span))
        long[0] = False
        if long.sum() == 1:  # a lone one must cross the whole picture (a stroke of a tall 1 does not)
            long &= (start <= 0.02 * span) & (start + extent >= 0.98 * span)
        if long.any():
            found = np.where(long[lab], line, 0).astype(np.float32)
            lines = found if lines is None else np.maximum(lines, found)
    if lines is None:
        return sig
    if half:
        lines = cv2.resize(lines, (w, h), interpolation=cv2.INTER_NEAREST)
    return np.maximum(sig - lines, 0)


def layout(mask: np.ndarray, stats: np.ndarray | None = None, labels: np.ndarray | None = None) -> Layout:
    """The digit in a binary mark map, and whether the marks look like one digit.

    The rule (also in the README): marks are 8-connected components.  Specks (under 1% of the
    largest mark's area) and strips along the picture's border (a paper edge) are ignored.  The
    digit is the largest mark, weighted towards the centre, plus every mark within 15% of its
    size (a 5's flag, a pencil stroke broken in pieces), repeatedly.  It is *not one digit* when
      - another mark at least 20% of the digit's area and 35% of its size lies apart from it
        (two digits, a page of text: "separate marks");
      - the digit's marks split into side-by-side parts by a (nearly) empty column, each at
        least 20% of the ink and half the height, in a box wider than tall; or the box is over twice as
        wide as tall (a word);
      - the marks cover over 35% of the picture, or fill over 80% of the digit's box when that
        box is not narrow (a photo of a scene or a face, a blot, not strokes on paper)."""
    H, W = mask.shape
    if stats is None or labels is None:
        _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    x, y, w, h, area = (stats[:, i].astype(np.int64) for i in range(5))
    idx = np.arange(1, len(stats))
    if idx.size == 0:
        return Layout(None, (), 0, None)
    touches = (x[idx] == 0) | (y[idx] == 0) | (x[idx] + w[idx] == W) | (y[idx] + h[idx] == H)
    strip = touches & (((w[idx] >= 0.5 * W) & (h[idx] < 0.15 * H)) | ((h[idx] >= 0.5 * H) & (w[idx] < 0.15 * W)))
    idx = idx[~strip]
    if idx.size == 0:
        return Layout(None, (), 0, None)
    idx = idx[area[idx] >= max(2, 0.01 * area[idx].max())]
    idx = idx[np.argsort(-area[idx])][:400]
    cx, cy = x[idx] + w[idx] / 2, y[idx] + h[idx] / 2
    off = np.hypot((cx - W / 2) / W, (cy - H / 2) / H) / 0.7071
    main = int(np.argmax(area[idx] * (1 - 0.5 * off)))
    inside = np.zeros(idx.size, bool)
    inside[main] = True
    r0, r1, c0, c1 = y[idx[main]], y[idx[main]] + h[idx[main]], x[idx[main]], x[idx[main]] + w[idx[main]]
    x0, x1, y0, y1 = x[idx], x[idx] + w[idx], y[idx], y[idx] + h[idx]
    g = 0.15 * max(r1 - r0, c1 - c0) + 2  # from the main mark alone: a page does not snowball
    while True:
        gap = np.maximum.reduce([x0 - c1, c0 - x1, y0 - r1, r0 - y1, np.zeros_like(x0)])
        new = (gap <= g) & ~inside
        if not new.any():
            break
        inside |= new
        r0, r1 = min(r0, y0[new].min()), max(r1, y1[new].max())
        c0, c1 = min(c0, x0[new].min()), max(c1, x1[new].max())
    digit_area = float(area[idx[inside]].sum())
    side = max(r1 - r0, c1 - c0)
    others = ~inside & (area[idx] >= 0.2 * digit_area) & (np.maximum(w[idx], h[idx]) >= 0.35 * side)
    box = (int(r0), int(r1), int(c0), int(c1))
    group = tuple(int(i) for i in idx[inside])
    marks = 1 + int(others.sum())
    problem = None
    if others.any():
        problem = Text("digits.error.many_marks", n=marks, text=Text("digits.word.page_of_text") if marks >= 4 else "")
    else:
        bw, bh = c1 - c0, r1 - r0
        if bw > 2 * bh and bh > 0:
            problem = Text("digits.error.side_by_side_some")
        elif bw > bh:
            cols = np.isin(labels[r0:r1, c0:c1], group).sum(axis=0)
            parts = _column_parts(cols)
            rows_of = [np.isin(labels[r0:r1, c0 + a:c0 + b], group).any(axis=1) for a, b in parts]
            big = [p for p, rows in zip(parts, rows_of)
                   if cols[p[0]:p[1]].sum() >= 0.2 * cols.sum() and rows.sum() >= 0.5 * bh]
            if len(big) >= 2:
                problem = Text("digits.error.side_by_side", n=len(big))
    if problem is None:
        cover = float(mask.mean())
        fill = digit_area / max(1, (r1 - r0) * (c1 - c0))
        squat = min(r1 - r0, c1 - c0) >= 0.4 * side  # a 1 fills its narrow box, a blot a wide one
        if cover > 0.35 or (fill > 0.8 and squat and side > 0.2 * min(H, W)):
            problem = Text("digits.error.not_on_paper", p=max(cover, fill * (r1 - r0) * (c1 - c0) / (H * W)),
                           what="" if cover > 0.35 else Text("digits.word.solid_blot"))
    return Layout(box, group, marks, problem)


def _column_parts(cols: np.ndarray) -> list[tuple[int, int]]:
    """Runs of inked columns: [(start, stop), ...].  A column with under 12% of the fullest
    column's ink counts as empty: a ruled line or a joining stroke does not join two digits."""
    filled = np.concatenate([[0], (cols > 0.12 * cols.max()).astype(np.int8), [0]])
    d = np.diff(filled)
    return list(zip(np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]))


def _components(sig: np.ndarray, lo: float, seed: float):
    """Hysteresis: 8-connected components of sig > lo that reach sig > seed somewhere.  Returns
    (count kept, labels, stats with the area of unseeded components set to 0)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((sig > lo).astype(np.uint8), connectivity=8)
    seeded = np.bincount(labels[sig > seed], minlength=n) > 0
    seeded[0] = False
    stats = stats.copy()
    stats[~seeded, cv2.CC_STAT_AREA] = 0
    return int(seeded.sum()), labels, stats


def _clean_ink(sig: np.ndarray) -> tuple[np.ndarray, Layout | None]:
    """A picture without noise (a canvas or an image made on a computer, MNIST itself): every
    mark is kept as it is, like a drawing, cropped around all of them; the layout is returned
    for a warning, not raised."""
    top = float(sig.max())
    if top < 0.1:
        return np.zeros_like(sig), None
    ink = np.clip(sig / top, 0, 1)
    lay = layout(ink > 0.5)
    box = _bbox(ink)
    r0, r1, c0, c1 = box
    h, w = ink.shape
    m = int(0.1 * max(r1 - r0, c1 - c0)) + 2
    return ink[max(0, r0 - m):min(h, r1 + m), max(0, c0 - m):min(w, c1 + m)], lay


def _picture_ink(c: np.ndarray) -> tuple[np.ndarray, Layout | None]:
    """An opaque picture, grey (H, W) or RGB (H, W, 3) in [0, 1], read as a photo of one digit:
    downscaled to PHOTO_WORK px, the paper's level removed (``_mark_signal``, polarity from
    ``_marks_are_dark``), the noise floor measured, ruled lines removed, marks thresholded
    with hysteresis (4 and 8 noise widths, at least 0.03 and 0.06) and the digit's components
    kept (``layout``).  Returns the ink cropped around the digit with a margin, and the layout;
    raises ``NotOneDigit`` when it is not one digit."""
    h, w = c.shape[:2]
    if max(h, w) > 1.2 * PHOTO_WORK:  # (a JPEG decoded at a reduced scale may stay a bit larger)
        c = _resize(c, PHOTO_WORK / max(h, w))
        h, w = c.shape[:2]
    grey = c if c.ndim == 2 else c @ LUMA
    dark = _marks_are_dark(grey)
    if dark is None:
        return np.zeros((h, w), np.float32), None
    sig = _mark_signal(c, dark)
    sub = sig[::2, ::2] if sig.size > 20_000 else sig
    med = float(np.median(sub))
    sigma = 1.4826 * float(np.median(np.abs(sub - med)))
    if med > BUSY_LEVEL or sigma > BUSY_LEVEL:  # the "paper" itself stands out: not paper
        raise NotOneDigit("digits.error.busy")
    if med <= CLEAN and sigma <= CLEAN:
        return _clean_ink(sig)
    lo = med + max(4 * sigma, 0.03)
    hi_seed = med + max(8 * sigma, 0.06)
    sig = _remove_lines(sig, lo)
    # Pass 1: the strongest mark (by the ink it holds above the floor) sets the ink's level.
    n, labels, stats = _components(sig, lo, hi_seed)
    if n == 0:
        return np.zeros((h, w), np.float32), None
    mass = np.bincount(labels.ravel(), weights=np.maximum(sig - lo, 0).ravel(), minlength=stats.shape[0])
    mass[stats[:, cv2.CC_STAT_AREA] == 0] = 0
    mass[0] = 0
    main = labels == int(np.argmax(mass))
    level = float(np.percentile(sig[main], 90)) - med
    if level < 0.06:  # nothing stands out enough to be ink
        return np.zeros((h, w), np.float32), None
    # Pass 2: marks are what reaches a quarter of that level (half of it somewhere): faint
    # lighting bumps, paper texture and light specks drop out; pencil keeps its grain.
    lo2, seed2 = max(lo, med + 0.25 * level), max(hi_seed, med + 0.5 * level)
    n, labels, stats = _components(sig, lo2, seed2)
    lay = layout(stats[labels, cv2.CC_STAT_AREA] > 0, stats, labels)
    if lay.box is None:
        return np.zeros((h, w), np.float32), None
    if lay.problem:
        raise NotOneDigit.of(lay.problem)
    member = np.zeros(stats.shape[0], bool)
    member[list(lay.labels)] = True
    r0, r1, c0, c1 = lay.box
    m = int(0.1 * max(r1 - r0, c1 - c0)) + 2
    r0, r1, c0, c1 = max(0, r0 - m), min(h, r1 + m), max(0, c0 - m), min(w, c1 + m)
    crop = sig[r0:r1, c0:c1]
    region = member[labels[r0:r1, c0:c1]]
    top = float(np.percentile(crop[region], 90))
    region = cv2.dilate(region.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)  # soft edges
    ink = np.clip((crop - lo) / max(top - lo, 1e-3), 0, 1) * region
    return ink.astype(np.float32), lay


def _morph(img: Image.Image, width: float) -> Image.Image:
    """Dilate or erode (grey-level) so the stroke width moves toward MNIST's."""
    if width < 0.7 * MNIST_WIDTH:
        size = int(round(MNIST_WIDTH - width)) | 1  # odd filter size
        return img.filter(ImageFilter.MaxFilter(min(size, 15)))
    if width > 1.15 * MNIST_WIDTH:
        size = int(round(width - MNIST_WIDTH)) | 1
        return img.filter(ImageFilter.MinFilter(min(size, 15)))
    return img


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels: 2 * area / boundary (a stroke of width w, length L has area
    w*L and about 2*L boundary pixels)."""
    m = ink > 0.5
    inner = m.copy()
    inner[1:] &= m[:-1]
    inner[:-1] &= m[1:]
    inner[:, 1:] &= m[:, :-1]
    inner[:, :-1] &= m[:, 1:]
    boundary = int((m & ~inner).sum())
    return 2.0 * float(m.sum()) / max(boundary, 1)


def _bbox(ink: np.ndarray, thresh: float = 0.2):
    rows, cols = np.nonzero((ink > thresh).any(1))[0], np.nonzero((ink > thresh).any(0))[0]
    if rows.size == 0:
        return None
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


@dataclass(frozen=True)
class Reading:
    """How ``to_mnist`` read a picture, step by step (``to_mnist(image, steps=True)``), each
    step as a uint8 array: 0 = paper, 255 = ink, except ``original``."""
    x: np.ndarray                 # (28, 28) float32 in [0, 1]: the model input, what to_mnist returns
    original: np.ndarray          # the picture as handed over, small (<= 112 px): grey or RGB,
                                  #   or for a drawing its ink as dark strokes on white
    ink: np.ndarray               # the ink found (photos: cropped around the digit, lines, specks
                                  #   and background removed)
    cropped: np.ndarray           # the ink's bounding box at the working scale (80 px), stroke
                                  #   width brought to MNIST's
    box20: np.ndarray             # scaled to fit 20x20, aspect kept
    centred: np.ndarray           # (28, 28): the 20x20 pasted with its centre of mass at (14, 14)
    photo: bool = False           # a picture without transparency (background removed; with sensor
                                  #   noise also lines and stray components)
    warning: Text | None = None   # for drawings and clean pictures: why the ink may not be one digit
                                  #   (photos that are not one digit raise NotOneDigit instead)

    STEPS = (("original", "picture"), ("ink", "ink found"), ("cropped", "cropped"),
             ("box20", "20x20"), ("centred", "28x28"))

    def steps(self) -> dict[str, np.ndarray]:
        """{label: uint8 array} in reading order: what ``views.reading_strip`` shows."""
        return {label: getattr(self, name) for name, label in self.STEPS}


def reading_steps(image) -> Reading:
    """``to_mnist(image, steps=True)``: the model input and every step that made it."""
    return to_mnist(image, steps=True)


def _u8(a: np.ndarray) -> np.ndarray:
    return np.clip(a * 255 + 0.5, 0, 255).astype(np.uint8)


def check_single_digit(ink: np.ndarray) -> Text | None:
    """None when an ink map (H, W) in [0, 1] looks like one digit, else why not (``layout``'s
    rule on the marks over half ink).  Photos are checked while they are read; this is for
    drawings, whose users get a warning rather than an error."""
    m = ink > 0.5
    return layout(m).problem if m.any() else None


def to_mnist(image, steps: bool = False):
    """User drawing -> float32 (28, 28) in [0, 1], white digit on black, MNIST-normalised.
    With ``steps``, a ``Reading`` of every step instead (costs well under a millisecond more
    for the pad's 56x56 ink)."""
    ink, shown, photo, warning = _find_ink(image, preview=steps)
    ink[ink < 0.1] = 0.0  # paper texture, JPEG noise
    box = _bbox(ink)
    if box is None:
        raise _empty()
    r0, r1, c0, c1 = box
    crop = ink[r0:r1, c0:c1]
    h, w = crop.shape
    # Work at a fixed scale (longest side WORK_BOX px) with a margin for dilation.
    s = WORK_BOX / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    work = Image.fromarray((crop * 255).astype(np.uint8)).resize(
        size, Image.Resampling.BOX if s < 1 else Image.Resampling.BILINEAR)
    arr = np.asarray(work, dtype=np.float32) / 255.0
    # Hairlines fade when shrunk: scale so typical stroke pixels are full ink again (a high
    # percentile, not the max, which sits on crossings where strokes overlap).
    vals = arr[arr > 0.05]
    arr = np.clip(arr / max(float(np.percentile(vals, 90)) if vals.size else 1.0, 1e-6), 0.0, 1.0)
    pad = 12
    canvas = Image.fromarray((np.pad(arr, pad) * 255).astype(np.uint8))
    canvas = _morph(canvas, stroke_width(np.pad(arr, pad)))
    arr = np.asarray(canvas, dtype=np.float32) / 255.0
    box = _bbox(arr)
    if box is None:
        raise _empty()
    r0, r1, c0, c1 = box
    arr = arr[r0:r1, c0:c1]
    # Fit 20x20 keeping the aspect ratio; LANCZOS gives MNIST-like anti-aliased grey edges.
    h, w = arr.shape
    s = 20.0 / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    small = Image.fromarray((arr * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS)
    patch = np.asarray(small, dtype=np.float32) / 255.0
    # Centre of mass to (14, 14), the mean centre of MNIST's training digits (measured: 14.0, 14.0).
    mass = patch.sum()
    ys, xs = np.indices(patch.shape)
    cy, cx = (ys * patch).sum() / mass, (xs * patch).sum() / mass
    oy = int(np.clip(round(14 - cy), 0, 28 - patch.shape[0]))
    ox = int(np.clip(round(14 - cx), 0, 28 - patch.shape[1]))
    out = np.zeros((28, 28), dtype=np.float32)
    out[oy:oy + patch.shape[0], ox:ox + patch.shape[1]] = patch
    out = np.clip(out, 0.0, 1.0)
    if not steps:
        return out
    if shown is None:  # a drawing: its ink as dark strokes on white
        shown = 255 - _u8(ink if max(ink.shape) <= 112 else _resize(ink, 112 / max(ink.shape)))
    return Reading(x=out, original=shown, ink=_u8(ink), cropped=np.asarray(canvas)[r0:r1, c0:c1],
                   box20=np.asarray(small), centred=_u8(out), photo=photo, warning=warning)
