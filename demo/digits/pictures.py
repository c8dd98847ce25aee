"""Reading a picture the user handed over into a float array, before any ink is looked for.

``read_picture(image)`` accepts image file paths, PIL images (any mode and size, first frame of
animations) and numpy arrays (H, W), (H, W, 1|2|3|4), and returns float32 in [0, 1]: (H, W)
grey, (H, W, 2) grey+alpha, (H, W, 3) RGB or (H, W, 4) RGBA.  On the way it refuses what it
cannot read safely (over MAX_PIXELS or MAX_FILE_BYTES, not an image, NaNs) with a ``UserError``
(demo.errors: a key of demo/i18n), decodes large JPEGs at a reduced scale, box-reduces large
pictures in their own integer type (``_reduced``) and turns them by their EXIF orientation.

    from demo.digits.pictures import read_picture, is_opaque, flatten
    a = read_picture("photo.jpg")           # (H, W, 3) float32, upright, <= 2 * PHOTO_WORK px
    grey_or_rgb = flatten(a) if is_opaque(a) else a[:, :, -1]

What the marks in it are is ``demo.digits.marks``; the whole way to MNIST's 28x28 is
``demo.digits.preprocess.to_mnist``.  (``demo.digits.photos`` makes synthetic test photos.)
"""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageSequence

from demo.errors import Text, UserError
from demo.i18n import t

cv2.setNumThreads(1)  # like torch: one thread; the work per picture is too small to split

MAX_PIXELS = 40_000_000      # refuse decompression bombs; a 6000x6000 canvas still fits
MAX_FILE_BYTES = 20_000_000
PHOTO_WORK = 512             # pictures are read at most this many px on their longest side
EMPTY = "digits.error.empty"  # the key of a blank drawing's UserError (a hint, not an error, in the UI)
EMPTY_MESSAGE = t(EMPTY)      # its English words


def _too_large(w: int | None = None, h: int | None = None) -> UserError:
    """An image over MAX_PIXELS, w x h when known."""
    what = Text("digits.word.far_over") if w is None else Text("digits.word.pixels", w=w, h=h)
    return UserError("digits.error.too_large", what=what, max=MAX_PIXELS // 1_000_000)


def empty_error() -> UserError:
    """Nothing to read: no picture, a picture of no pixels, or no ink in it."""
    return UserError(EMPTY)


def pil_to_array(img: Image.Image, reduce: bool = True) -> np.ndarray:
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
        raise empty_error()
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
    drawings at preprocess.WORK_BOX, the pad shows SHOW_SIZE) at a fraction of the memory (a
    40 MP RGBA picture is 640 MB as float32).  Transparent ones are reduced premultiplied: every
    reader flattens colour onto white, and this is that flattening's box average, with no colour
    of clear pixels bleeding in.  They are premultiplied a band of rows at a time (a whole number
    of the reduction's boxes high, so the answer is the same), never as a second whole picture."""
    if not reduce or max(img.size) <= 2 * PHOTO_WORK:
        return img
    factor = max(img.size) // PHOTO_WORK
    premultiplied = {"RGBA": "RGBa", "LA": "La"}.get(img.mode)
    if premultiplied is None:
        return img.reduce(factor)
    w, h = img.size
    out = Image.new(premultiplied, (-(-w // factor), -(-h // factor)))
    rows = 64 * factor
    for top in range(0, h, rows):
        band = img.crop((0, top, w, min(h, top + rows))).convert(premultiplied)
        out.paste(band.reduce(factor), (0, top // factor))
    return out.convert(img.mode)


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


def read_picture(image) -> np.ndarray:
    """A file path, PIL image or array -> float32 array (H, W) or (H, W, 2|3|4) in [0, 1]."""
    if image is None:
        raise empty_error()
    if isinstance(image, dict):
        raise UserError("digits.error.sketchpad")
    if isinstance(image, (str, os.PathLike)):
        return _read_file(Path(image))
    if isinstance(image, Image.Image):
        return pil_to_array(image)
    return _read_array(image)


def _read_file(path: Path) -> np.ndarray:
    """An image file, its size checked before a pixel is decoded."""
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
            return pil_to_array(img)
    except Image.DecompressionBombError:  # PIL's own limit, hit while reading the header
        raise _too_large() from None
    except UserError:
        raise
    except (OSError, SyntaxError, ValueError) as e:  # PIL's ways to fail on a broken file
        raise UserError("digits.error.not_image", error=type(e).__name__) from e


def _read_array(image) -> np.ndarray:
    """A numpy array (or anything ``np.asarray`` takes): 0..255 values are scaled to [0, 1]."""
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


def is_opaque(a: np.ndarray) -> bool:
    """False for a partly transparent picture whose opaque part is the strokes (a sketch layer on
    a clear background); a picture on an opaque sheet with a few see-through pixels is opaque."""
    if a.ndim == 3 and a.shape[2] in (2, 4):
        alpha = a[:, :, -1]
        return not (alpha.min() < 0.98 and alpha.mean() < 0.9)
    return True


def flatten(a: np.ndarray) -> np.ndarray:
    """Grey+alpha or RGBA -> grey or RGB flattened onto white; grey and RGB as they are."""
    if a.ndim == 3 and a.shape[2] in (2, 4):
        alpha = a[:, :, -1:]
        a = a[:, :, :-1] * alpha + (1 - alpha)
        return a[:, :, 0] if a.shape[2] == 1 else a
    return a


def resize(a: np.ndarray, f: float) -> np.ndarray:
    """A picture (H, W) or (H, W, C) scaled by ``f``: area-averaged down, bilinear up."""
    h, w = a.shape[:2]
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(a, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
