"""The project's drawn digits (``demo.digits.sketches``) rendered as phone photos of paper: the
held-out test set for reading photographs (``tests/test_photos.py``, ``training/eval_digits.py
--photos N``).  Every parameter is drawn from a wide range so that nothing is tuned to one look:

- paper from white to mid grey, slightly tinted; light falling off in a gradient, a vignette and
  sometimes a soft shadow; sensor noise, blur and JPEG at quality 45-95;
- ink: black or blue pen, grey pencil (faint, grainy), coloured ink, chalk or white pen on a
  dark board, black ink on dark grey paper;
- ruled or squared notebook lines (slightly tilted, sometimes a red margin), specks, and
  sometimes the desk beyond the paper's edge;
- phone-like sizes (up to 12 MP when asked) and EXIF orientation tags, with the pixels stored
  rotated the way a phone stores them.

    from demo.digits.photos import PHOTO_FORMS, random_photo
    img = random_photo(3, rng, "pencil")            # a PIL image opened from JPEG bytes
    python -m demo.digits.photos                    # contact sheet: /tmp/photos.png

Seeds: ``TEST_SEED`` is the held-out seed the tests and the evaluation use; nothing in the
preprocessing was tuned on it (tuning used ``TUNE_SEED``).
"""
from __future__ import annotations

import io
import math

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from demo.digits.sketches import as_form, render_strokes, templates

PHOTO_FORMS = ("pen", "pencil", "ruled", "coloured", "dark_grey", "light_on_dark", "exif_canvas")
TUNE_SEED, TEST_SEED = 11, 2024
ORIENTATION = 0x0112
# EXIF orientation -> how the phone stored the upright picture (the inverse of what a viewer does)
_STORE = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def _smooth_field(rng, shape, scale: float) -> np.ndarray:
    """A smooth random field in about [-1, 1] with features ``scale`` (fraction of the side) wide."""
    h, w = shape
    gh, gw = max(2, int(round(1 / scale)) + 1), max(2, int(round(w / h / scale)) + 1)
    small = Image.fromarray(rng.normal(0, 1, (gh, gw)).astype(np.float32), "F")
    return np.asarray(small.resize((w, h), Image.Resampling.BICUBIC), dtype=np.float32)


def _lighting(rng, shape) -> np.ndarray:
    """Multiplicative light: gradient x vignette x (sometimes) a soft shadow, about 0.45..1.1."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ys, xs = ys / max(h - 1, 1) - 0.5, xs / max(w - 1, 1) - 0.5
    a = rng.uniform(0, 2 * math.pi)
    light = 1 + rng.uniform(0, 0.5) * (math.cos(a) * xs + math.sin(a) * ys)
    light *= 1 - rng.uniform(0, 0.45) * (xs ** 2 + ys ** 2) * 2
    light *= 1 + 0.06 * _smooth_field(rng, shape, 0.3)
    if rng.random() < 0.45:  # a soft shadow (a hand, the phone) over part of the frame
        b = rng.uniform(0, 2 * math.pi)
        d = math.cos(b) * xs + math.sin(b) * ys - rng.uniform(-0.2, 0.45)
        soft = rng.uniform(0.03, 0.15)
        light *= 1 - rng.uniform(0.1, 0.45) / (1 + np.exp(-d / soft))
    return np.clip(light, 0.3, 1.2)


def _lines(rng, shape, spacing: float, squared: bool) -> np.ndarray:
    """Ruled (or squared) notebook lines as coverage (H, W) in [0, 1], slightly tilted."""
    h, w = shape
    ss = 2
    img = Image.new("L", (w * ss, h * ss), 0)
    d = ImageDraw.Draw(img)
    width = max(1, int(round(rng.uniform(0.6, 2.5) * ss * max(h, w) / 800)))
    tilt = math.tan(math.radians(rng.uniform(-2.5, 2.5)))
    off = rng.uniform(0, spacing)
    y = off
    while y < h * 1.1:
        d.line([(0, (y - 0.05 * h) * ss), (w * ss, (y - 0.05 * h + tilt * w) * ss)], fill=255, width=width)
        y += spacing
    if squared:
        x = rng.uniform(0, spacing)
        while x < w * 1.1:
            d.line([((x - 0.05 * w) * ss, 0), ((x - 0.05 * w - tilt * h) * ss, h * ss)], fill=255, width=width)
            x += spacing
    return np.asarray(img.resize((w, h), Image.Resampling.BOX), dtype=np.float32) / 255.0


def _specks(rng, shape, n: int) -> np.ndarray:
    h, w = shape
    img = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(img)
    for _ in range(n):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.5, 2.5) * max(h, w) / 800
        d.ellipse([x - r, y - r, x + r, y + r], fill=int(rng.integers(60, 220)))
    return np.asarray(img, dtype=np.float32) / 255.0


def _paper_edge(rng, shape) -> np.ndarray:
    """Where the desk shows beyond the paper (1) near one side of the frame; 0 on the paper."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    side = rng.integers(4)
    depth = rng.uniform(0.03, 0.15)
    tilt = rng.uniform(-0.08, 0.08)
    u, v = [(xs / w, ys / h), (1 - xs / w, ys / h), (ys / h, xs / w), (1 - ys / h, xs / w)][side]
    return np.clip((depth + tilt * (v - 0.5) - u) * max(h, w) / 1.5, 0, 1)


def _jpeg(img: Image.Image, rng, orientation: int = 1, quality=None) -> Image.Image:
    """Save as a phone would (pixels stored rotated, EXIF orientation tag) and open the JPEG."""
    if orientation in _STORE:
        img = img.transpose(_STORE[orientation])
    exif = Image.Exif()
    if orientation != 1:
        exif[ORIENTATION] = orientation
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=int(quality or rng.integers(45, 96)), exif=exif.tobytes())
    buf.seek(0)
    return Image.open(buf)


def photo_size(rng, megapixels: float | None = None) -> tuple[int, int]:
    """(W, H) of a phone photo: 4:3 or 3:4 (sometimes 16:9), ``megapixels`` or about 0.15-1.2 MP."""
    mp = megapixels or float(np.exp(rng.uniform(np.log(0.15), np.log(1.2))))
    aspect = 16 / 9 if rng.random() < 0.2 else 4 / 3
    long_side = math.sqrt(mp * 1e6 * aspect)
    w, h = int(round(long_side)), int(round(long_side / aspect))
    return (w, h) if rng.random() < 0.6 else (h, w)


def render_photo(digit: int, rng: np.random.Generator, form: str, size: tuple[int, int] | None = None,
                 orientation: int | None = None) -> Image.Image:
    """One digit photographed on paper in ``form`` (PHOTO_FORMS), ``size`` (W, H) of the final
    picture, as a PIL image opened from its JPEG (EXIF ``orientation`` 1, 3, 6 or 8; random if
    None)."""
    if form not in PHOTO_FORMS:
        raise ValueError(f"unknown photo form {form!r}")
    W, H = size or photo_size(rng)
    if orientation is None:
        orientation = int(rng.choice([1, 1, 1, 6, 8, 3])) if form != "exif_canvas" else int(rng.choice([6, 8, 3]))
    variants = templates()[digit]
    strokes = variants[rng.integers(len(variants))]
    if form == "exif_canvas":  # a clean canvas, saved by a phone: only the orientation is new
        s = 700 / max(W, H)
        w, h = max(120, int(W * s)), max(120, int(H * s))
        ink = render_strokes(strokes, rng, (w, h), height=rng.uniform(0.35, 0.85) * min(w, h))
        canvas = as_form(ink, ("dark_on_light", "light_on_dark", "rgb_photo")[rng.integers(3)], rng)
        return _jpeg(canvas.convert("RGB"), rng, orientation, quality=rng.integers(80, 96))

    # Render at a base resolution (<= 1000 px), then scale to the final size.
    s = min(1.0, 1000 / max(W, H))
    w, h = max(64, int(round(W * s))), max(64, int(round(H * s)))
    short = min(w, h)
    height = rng.uniform(0.2, 0.75) * short
    pen = {"pen": (0.03, 0.1), "pencil": (0.025, 0.07), "ruled": (0.03, 0.1), "coloured": (0.03, 0.11),
           "dark_grey": (0.035, 0.11), "light_on_dark": (0.04, 0.13)}[form]
    width_px = max(1.2, height * rng.uniform(*pen))
    spare_x, spare_y = (w - height * 0.8) / 2, (h - height) / 2
    centre = (w / 2 + rng.uniform(-0.6, 0.6) * max(spare_x - width_px, 0),
              h / 2 + rng.uniform(-0.6, 0.6) * max(spare_y - width_px, 0))
    ink = render_strokes(strokes, rng, (w, h), height=height, width_px=width_px, center=centre)
    return photograph(ink, rng, form, (W, H), orientation, height)


def photograph(ink: np.ndarray, rng: np.random.Generator, form: str, size: tuple[int, int],
               orientation: int = 1, height: float | None = None) -> Image.Image:
    """Marks ``ink`` (h, w) in [0, 1] on paper, photographed in ``form``, scaled to ``size``
    (W, H): what ``render_photo`` does once the digit is drawn.  ``height``: the writing's
    height in ink px (spaces ruled lines)."""
    W, H = size
    h, w = ink.shape
    height = height or 0.4 * min(h, w)
    paper, colour, strength, ink = _paper_and_ink(ink, rng, form)
    paper_rgb = np.broadcast_to(np.asarray(paper, np.float32), (3,)) * (1 + 0.02 * _smooth_field(rng, (h, w), 0.1))[..., None]
    img = _notebook(paper_rgb.astype(np.float32), rng, form, height)
    if form not in ("light_on_dark",) and rng.random() < 0.25:
        edge = _paper_edge(rng, (h, w))[..., None]
        desk = rng.uniform(20, 140) * np.array([1.0, 0.85, 0.7])
        img = img * (1 - edge) + desk * edge
    a = (ink * strength)[..., None]
    img = img * (1 - a) + colour * a
    sp = _specks(rng, (h, w), int(rng.integers(0, 15)))[..., None]
    img = img * (1 - sp) + (np.full(3, 40.0) if form != "light_on_dark" else np.full(3, 200.0)) * sp
    img = img * _lighting(rng, (h, w))[..., None]
    img = img + rng.normal(0, rng.uniform(1.5, 9), (h, w, 1)) + rng.normal(0, 2, (h, w, 3))
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    blur = rng.uniform(0, 1.6)
    if blur > 0.3:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if (W, H) != (w, h):
        out = out.resize((W, H), Image.Resampling.BICUBIC)
    return _jpeg(out, rng, orientation)


def _paper_and_ink(ink: np.ndarray, rng: np.random.Generator, form: str):
    """(paper level, 0..255 scalar or RGB; ink colour (3,); ink strength 0..1; the ink (h, w),
    grainy for pencil) for ``form``: dark paper for dark_grey and light_on_dark, else white to
    mid grey under pencil, coloured ink or a black or blue pen."""
    h, w = ink.shape
    tint = rng.normal(0, 6, 3)
    if form == "dark_grey":
        return rng.uniform(55, 120) + tint, rng.uniform(0, 25, 3), rng.uniform(0.8, 1.0), ink
    if form == "light_on_dark":
        paper = rng.uniform(15, 95) + tint * 0.5
        return paper, rng.uniform(185, 255) + rng.normal(0, 8, 3), rng.uniform(0.6, 1.0), ink
    paper = rng.uniform(165, 250) + tint
    if form == "pencil":
        colour = np.full(3, rng.uniform(30, 90)) + rng.normal(0, 3, 3)
        strength = rng.uniform(0.3, 0.75)
        grain = np.clip(1 + 0.35 * rng.normal(0, 1, (h, w)), 0, 1.6)
        grain = cv2.GaussianBlur(grain.astype(np.float32), (0, 0), 0.6)
        ink = np.clip(ink * grain * (0.8 + 0.25 * _smooth_field(rng, (h, w), 0.25)), 0, 1)
    elif form == "coloured":
        hue = rng.uniform(0, 360)
        colour = np.array(_hsv_rgb(hue, rng.uniform(0.5, 1.0), rng.uniform(0.45, 0.95)))
        strength = rng.uniform(0.75, 1.0)
    else:  # black or blue ballpoint / felt pen
        colour = (np.array([20, 25, 30]) if rng.random() < 0.5 else np.array([25, 40, 150])) + rng.normal(0, 8, 3)
        strength = rng.uniform(0.75, 1.0)
    return paper, colour, strength, ink


def _notebook(img: np.ndarray, rng: np.random.Generator, form: str, height: float) -> np.ndarray:
    """Paper (h, w, 3) with ruled or squared lines drawn on, and sometimes a red margin: always
    for the ruled form, for 15% of pen, pencil and coloured ones."""
    if not (form == "ruled" or (form in ("pen", "pencil", "coloured") and rng.random() < 0.15)):
        return img
    h, w = img.shape[:2]
    spacing = height * rng.uniform(0.45, 1.1)
    lines = _lines(rng, (h, w), spacing, squared=rng.random() < 0.35)
    line_rgb = np.array([120, 160, 220]) if rng.random() < 0.6 else np.full(3, 120.0)
    op = rng.uniform(0.3, 0.8)
    img = img * (1 - op * lines[..., None]) + line_rgb * op * lines[..., None]
    if rng.random() < 0.4:  # red margin line
        x0 = rng.uniform(0.05, 0.2) * w
        margin = np.zeros((h, w), np.float32)
        margin[:, int(x0):int(x0) + max(1, w // 400)] = 1
        img = img * (1 - 0.6 * margin[..., None]) + np.array([220, 80, 80]) * 0.6 * margin[..., None]
    return img


NOT_ONE_DIGIT = ("two_digits", "three_digits", "text", "scene")


def not_one_digit(kind: str, rng: np.random.Generator, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A photo that is not of one digit (NOT_ONE_DIGIT): two or three digits side by side, a
    page of text, or a scene (a cartoon face on a patterned wall)."""
    W, H = size
    s = min(1.0, 1000 / max(W, H))
    w, h = int(W * s), int(H * s)
    if kind in ("two_digits", "three_digits"):
        n = 2 if kind == "two_digits" else 3
        height = rng.uniform(0.3, 0.5) * h
        step = height * rng.uniform(0.75, 1.0)
        x0 = w / 2 - step * (n - 1) / 2
        ink = np.zeros((h, w), np.float32)
        width_px = height * rng.uniform(0.05, 0.1)
        for k in range(n):
            d = int(rng.integers(10))
            strokes = templates()[d][0]
            ink = np.maximum(ink, render_strokes(strokes, rng, (w, h), height=height, width_px=width_px,
                                                 center=(x0 + k * step, h / 2)))
        return photograph(ink, rng, "pen", (W, H), 1, height)
    if kind == "text":
        from PIL import ImageFont
        img = Image.new("L", (w, h), 0)
        d = ImageDraw.Draw(img)
        size_px = int(h * rng.uniform(0.035, 0.07))
        font = ImageFont.load_default(size=size_px)
        words = "the quick brown fox jumps over a lazy dog 1984 and then runs away".split()
        y = rng.uniform(0.03, 0.1) * h
        while y < h * 0.92:
            line = " ".join(rng.choice(words, 12))
            d.text((0.06 * w, y), line, fill=255, font=font)
            y += size_px * rng.uniform(1.4, 1.9)
        return photograph(np.asarray(img, np.float32) / 255, rng, "pen", (W, H), 1, size_px)
    if kind == "scene":
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        wall = 120 + 60 * _smooth_field(rng, (h, w), 0.15)[..., None] * np.array([1.0, 0.8, 0.6])
        stripes = 30 * (np.sin(xx / (w * rng.uniform(0.02, 0.05))) > 0)[..., None]
        img = np.clip(wall + stripes, 0, 255)
        cx, cy, rx, ry = w / 2, h / 2, 0.22 * w, 0.35 * h
        face = (((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2) < 1
        img[face] = np.array([224, 172, 140]) * (0.8 + 0.2 * (1 - (xx[face] - cx) / rx))[:, None] / 1.1
        hair = face & (yy < cy - 0.45 * ry) | ((((xx - cx) / (rx * 1.1)) ** 2 + ((yy - cy + 0.2 * ry) / ry) ** 2 < 1)
                                              & (yy < cy - 0.5 * ry))
        img[hair] = (60, 40, 25)
        pil = Image.fromarray(img.astype(np.uint8), "RGB")
        dr = ImageDraw.Draw(pil)
        for ex in (-0.4, 0.4):  # eyes, brows
            ex = cx + ex * rx
            dr.ellipse([ex - 0.12 * rx, cy - 0.25 * ry, ex + 0.12 * rx, cy - 0.12 * ry], fill=(250, 250, 250))
            dr.ellipse([ex - 0.05 * rx, cy - 0.23 * ry, ex + 0.05 * rx, cy - 0.14 * ry], fill=(40, 30, 20))
            dr.line([ex - 0.15 * rx, cy - 0.33 * ry, ex + 0.15 * rx, cy - 0.35 * ry], fill=(60, 40, 25), width=int(0.04 * rx) + 1)
        dr.line([cx, cy - 0.1 * ry, cx - 0.06 * rx, cy + 0.15 * ry, cx + 0.04 * rx, cy + 0.17 * ry], fill=(150, 100, 80), width=3)
        dr.arc([cx - 0.35 * rx, cy + 0.1 * ry, cx + 0.35 * rx, cy + 0.45 * ry], 20, 160, fill=(150, 50, 50), width=int(0.05 * rx) + 1)
        arr = np.asarray(pil, np.float32) * _lighting(rng, (h, w))[..., None] + rng.normal(0, 4, (h, w, 1))
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB").filter(ImageFilter.GaussianBlur(0.8))
        return _jpeg(out.resize((W, H), Image.Resampling.BICUBIC) if (W, H) != (w, h) else out, rng, 1)
    raise ValueError(f"unknown kind {kind!r}")


def _hsv_rgb(h: float, s: float, v: float) -> tuple[float, float, float]:
    import colorsys
    r, g, b = colorsys.hsv_to_rgb(h / 360, s, v)
    return 255 * r, 255 * g, 255 * b


def random_photo(digit: int, rng: np.random.Generator, form: str | None = None,
                 megapixels: float | None = None) -> Image.Image:
    """A photo of ``digit`` in a random (or given) form at a phone-like size."""
    form = form or PHOTO_FORMS[rng.integers(len(PHOTO_FORMS))]
    return render_photo(digit, rng, form, photo_size(rng, megapixels))


def photo_set(n_per_form: int, seed: int = TEST_SEED, forms=PHOTO_FORMS, megapixels: float | None = None):
    """Deterministic (photo, digit, form) triples: n_per_form of each form, digits 0-9 in turn."""
    rng = np.random.default_rng(seed)
    for form in forms:
        for i in range(n_per_form):
            yield random_photo(i % 10, rng, form, megapixels), i % 10, form


if __name__ == "__main__":
    rng = np.random.default_rng(TUNE_SEED)
    tiles = []
    for form in PHOTO_FORMS:
        for d in range(8):
            img = random_photo(d, rng, form)
            img = ImageOps.exif_transpose(img)
            img.thumbnail((160, 160))
            tile = Image.new("RGB", (160, 160), "white")
            tile.paste(img, ((160 - img.width) // 2, (160 - img.height) // 2))
            tiles.append(tile)
    sheet = Image.new("RGB", (160 * 8, 160 * len(PHOTO_FORMS)))
    for i, t in enumerate(tiles):
        sheet.paste(t, (160 * (i % 8), 160 * (i // 8)))
    sheet.save("/tmp/photos.png")
    print("wrote /tmp/photos.png")
