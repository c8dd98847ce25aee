"""Turn a user's drawing into an MNIST-style 28x28 input, the way MNIST itself was made.

``to_mnist(image)`` accepts PIL images (any mode and size, first frame of animations), numpy
arrays (H, W), (H, W, 1|2|3|4), Gradio Sketchpad / ImageEditor values
``{"background", "layers", "composite"}``, the drawing pad's "ink-v1" values
(``demo.digits.pad_ink``) and image file paths.  Steps:

1. ink map in [0, 1]: the pad's value decoded (``pad_ink.decode_ink``); the alpha channel of
   sketch layers (strokes on a transparent layer, which works in light and dark themes alike);
   any other picture read (``pictures.read_picture``: EXIF orientation, large pictures reduced)
   and, when opaque, read as a photo of paper (``marks.picture_ink``: the paper, lines, specks
   and edges removed; several digits, text or a scene raise ``marks.NotOneDigit``).  The ink of
   a photo comes back cropped around the digit;
2. crop to the ink's bounding box and bring the stroke width into MNIST's range (a hairline pen
   or a marker on a huge canvas both end up like a pen stroke in MNIST);
3. scale to fit 20x20 keeping the aspect ratio, anti-aliased;
4. paste into 28x28 so the centre of mass sits at the centre, as MNIST did.

Blank drawings raise a ``UserError`` (demo.errors: the key ``pictures.EMPTY``, ``str(e)`` the
English) with a message meant for the user, as does every input this module cannot read.

    from demo.digits.preprocess import to_mnist, reading_steps
    x = to_mnist("photo.jpg")                 # (28, 28) float32 in [0, 1], white digit on black
    r = reading_steps(pad_value)              # a Reading: the input and every step that made it
    r.steps()                                 # {label: uint8 array}, for views.reading_strip
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from demo.digits.marks import ink_box, ink_of, layout, picture_ink
from demo.digits.pad_ink import decode_ink
from demo.digits.pictures import empty_error, flatten, is_opaque, read_picture, resize
from demo.errors import Text

WORK_BOX = 80                # working resolution for stroke-width measurement (px, longest side)
MNIST_WIDTH = 12.0           # median stroke width of MNIST digits at WORK_BOX (measured: 8.6-16.7 p10-p90)


def _editor_ink(value: dict) -> np.ndarray:
    """Gradio Sketchpad value -> ink: strokes from the layers' alpha (theme-proof), else the
    composite or background image (an upload placed on the canvas)."""
    inks = [ink_of(read_picture(layer)) for layer in (value.get("layers") or []) if layer is not None]
    inks = [i for i in inks if i.shape == inks[0].shape] if inks else []
    if inks and max(float(i.max()) for i in inks) > 0.2:
        return np.maximum.reduce(inks)
    for key in ("composite", "background"):
        if value.get(key) is not None:
            return ink_of(read_picture(value[key]))
    raise empty_error()


def drawing_to_ink(image) -> np.ndarray:
    """Any accepted input -> ink (H, W) in [0, 1].  A picture without transparency is read as a
    photo of paper (``marks.picture_ink``): its ink comes back cropped around the digit, and a
    picture that is not one digit raises ``NotOneDigit`` (a ``UserError``)."""
    return _find_ink(image)[0]


def _find_ink(image, preview: bool = False) -> tuple[np.ndarray, np.ndarray | None, bool, Text | None]:
    """(ink, a small uint8 copy of the picture as handed over when ``preview``, whether it was
    read as a picture without transparency, a warning: why a clean picture may not be one digit)."""
    if isinstance(image, dict):
        # A "format" key marks the pad's ink value (Sketchpad values never have one): decoded
        # strictly, so an unknown format says so instead of reading as an empty canvas.
        ink = decode_ink(image) if "format" in image else _editor_ink(image)
        return ink, None, False, (check_single_digit(ink) if preview else None)
    a = read_picture(image)
    shown = _thumbnail(a) if preview else None
    if is_opaque(a):
        ink, lay = picture_ink(flatten(a))
        return ink, shown, True, lay.problem if lay is not None else None
    ink = a[:, :, -1]
    return ink, shown, False, (check_single_digit(ink) if preview else None)


def _thumbnail(a: np.ndarray, side: int = 112) -> np.ndarray:
    """A picture from ``read_picture`` -> uint8 grey or RGB, at most ``side`` px, flattened onto white."""
    a = flatten(a)
    f = side / max(a.shape[:2])
    if f < 1:
        a = resize(a, f)
    return np.clip(a * 255 + 0.5, 0, 255).astype(np.uint8)


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
    box = ink_box(ink)
    if box is None:
        raise empty_error()
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
    box = ink_box(arr)
    if box is None:
        raise empty_error()
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
        shown = 255 - _u8(ink if max(ink.shape) <= 112 else resize(ink, 112 / max(ink.shape)))
    return Reading(x=out, original=shown, ink=_u8(ink), cropped=np.asarray(canvas)[r0:r1, c0:c1],
                   box20=np.asarray(small), centred=_u8(out), photo=photo, warning=warning)
