"""Digits drawn by a script: pen strokes for 0-9 rendered with PIL at random sizes, places,
stroke widths, slants and canvas forms.  They make the app's examples and the tests' "drawn by
hand" inputs, so nothing the project shows or checks is an MNIST image.

    python -m demo.sketches   # preview: writes a contact sheet to /tmp/sketches.png
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

Stroke = list[tuple[float, float]]
FORMS = ("layer", "dark_on_light", "light_on_dark", "editor_light", "editor_dark", "rgb_photo")


def _arc(cx, cy, rx, ry, a0, a1, n=24) -> Stroke:
    """Points on an ellipse from angle a0 to a1 in degrees (0 = right, 90 = down: y grows down)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(a0, a1, n)]


def templates() -> dict[int, list[list[Stroke]]]:
    """Pen strokes in a unit box (x right, y down), several common ways to write each digit."""
    return {
        0: [[_arc(.5, .5, .32, .45, -90, 270, 40)], [_arc(.5, .5, .27, .46, -100, 265, 40)]],
        1: [[[(.5, .05), (.5, .95)]], [[(.3, .22), (.52, .05), (.52, .95)]],
            [[(.32, .2), (.52, .05), (.52, .95)], [(.33, .95), (.71, .95)]]],
        2: [[_arc(.5, .3, .3, .25, 190, 400) + [(.15, .95), (.88, .95)]],
            [_arc(.48, .28, .28, .23, 200, 380) + [(.12, .93), (.5, .87), (.9, .95)]]],
        3: [[_arc(.5, .28, .28, .22, 200, 450) + _arc(.5, .72, .3, .23, 270, 520)],
            [[(.2, .06), (.8, .06), (.45, .42)] + _arc(.5, .7, .3, .25, 260, 520)]],
        4: [[[(.55, .05), (.13, .65), (.87, .65)], [(.68, .3), (.68, .95)]],
            [[(.22, .05), (.2, .55), (.85, .55)], [(.7, .05), (.7, .95)]]],
        5: [[[(.8, .07), (.3, .07), (.26, .45)] + _arc(.5, .68, .3, .27, 225, 520)],
            [[(.3, .07), (.26, .45)] + _arc(.5, .68, .3, .27, 225, 520), [(.3, .07), (.82, .07)]]],
        6: [[[(.72, .05), (.45, .25), (.28, .5), (.22, .72)] + _arc(.5, .72, .28, .23, 180, 540)],
            [_arc(.75, .55, .5, .5, 250, 180, 12) + _arc(.5, .72, .25, .23, 180, 520)]],
        7: [[[(.12, .08), (.85, .08), (.4, .95)]], [[(.12, .08), (.85, .08), (.45, .95)], [(.33, .5), (.78, .5)]],
            [[(.15, .2), (.2, .08), (.85, .08), (.55, .5), (.45, .95)]]],
        8: [[_arc(.5, .27, .23, .22, 0, 360), _arc(.5, .72, .29, .24, 0, 360)],
            [_arc(.5, .27, .22, .21, 90, 450)[::-1] + _arc(.5, .72, .28, .24, 270, 630)]],
        9: [[_arc(.45, .3, .27, .23, 0, 360), [(.72, .3), (.7, .95)]],
            [_arc(.45, .3, .27, .23, 0, 360), [(.72, .3), (.68, .7), (.52, .95)]]],
    }


def render_strokes(strokes: list[Stroke], rng: np.random.Generator, canvas=(280, 280), height=None,
                   width_px=None, center=None) -> np.ndarray:
    """Rasterise strokes with a random slant/shear/jitter: ink (H, W) float32 in [0, 1]."""
    W, H = canvas
    rot = math.radians(rng.uniform(-12, 12))
    shear = rng.uniform(-0.2, 0.2)
    sx, sy = rng.uniform(0.75, 1.1), rng.uniform(0.9, 1.1)
    height = height or rng.uniform(0.35, 0.85) * min(W, H)
    width_px = width_px or max(1.0, height * rng.uniform(0.06, 0.16))
    cos, sin = math.cos(rot), math.sin(rot)
    pts = []
    for stroke in strokes:
        p = np.asarray(stroke, dtype=np.float64) - 0.5
        p = p + rng.normal(0, 0.012, size=p.shape)
        x, y = p[:, 0] * sx + shear * p[:, 1], p[:, 1] * sy
        pts.append(np.stack([cos * x - sin * y, sin * x + cos * y], 1) * height)
    allp = np.concatenate(pts)
    lo, hi = allp.min(0), allp.max(0)
    if center is None:  # anywhere on the canvas where the digit fits
        margin = width_px
        cx = rng.uniform(margin - lo[0], max(margin - lo[0], W - margin - hi[0]))
        cy = rng.uniform(margin - lo[1], max(margin - lo[1], H - margin - hi[1]))
    else:
        cx, cy = center[0] - (lo[0] + hi[0]) / 2, center[1] - (lo[1] + hi[1]) / 2
    ss = 2  # supersample for anti-aliased edges, like a browser canvas
    img = Image.new("L", (W * ss, H * ss), 0)
    d = ImageDraw.Draw(img)
    lw = max(1, int(round(width_px * ss)))
    for p in pts:
        q = [((x + cx) * ss, (y + cy) * ss) for x, y in p]
        d.line(q, fill=255, width=lw, joint="curve")
        for x, y in (q[0], q[-1]):  # round caps
            d.ellipse([x - lw / 2, y - lw / 2, x + lw / 2, y + lw / 2], fill=255)
    img = img.resize((W, H), Image.Resampling.BOX)
    return np.asarray(img, dtype=np.float32) / 255.0


def as_form(ink: np.ndarray, form: str, rng: np.random.Generator):
    """Package an ink map the way a user might hand it over."""
    a8 = (ink * 255).round().astype(np.uint8)
    H, W = ink.shape
    if form == "layer":  # sketch layer: coloured strokes on a transparent background
        rgba = np.zeros((H, W, 4), np.uint8)
        rgba[..., :3] = rng.integers(0, 60, size=3)
        rgba[..., 3] = a8
        return rgba
    if form == "dark_on_light":
        return Image.fromarray(255 - a8, "L")
    if form == "light_on_dark":
        return Image.fromarray(a8, "L")
    if form in ("editor_light", "editor_dark"):
        bg_level, pen = (255, (0, 0, 0)) if form == "editor_light" else (39, (235, 235, 235))
        layer = np.zeros((H, W, 4), np.uint8)
        layer[..., :3] = pen
        layer[..., 3] = a8
        bg = np.full((H, W, 4), (bg_level, bg_level, bg_level, 255), np.uint8)
        comp = bg.copy()
        al = ink[..., None]
        comp[..., :3] = (bg[..., :3] * (1 - al) + np.array(pen) * al).round().astype(np.uint8)
        return {"background": bg, "layers": [layer], "composite": comp}
    if form == "rgb_photo":  # blue ink on slightly uneven off-white paper
        paper = 235 + rng.normal(0, 3, size=(H, W, 1))
        ink3 = np.array([30, 40, 150], np.float64)
        rgb = paper * (1 - ink[..., None]) + ink3 * ink[..., None]
        return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    raise ValueError(f"unknown form {form!r}")


def random_drawing(digit: int, rng: np.random.Generator, form: str | None = None):
    """A digit drawn at a random size and place on a random canvas, in a random (or given) form."""
    variants = templates()[digit]
    strokes = variants[rng.integers(len(variants))]
    W, H = int(rng.integers(120, 700)), int(rng.integers(120, 700))
    frac = rng.uniform(0.25, 0.9)
    if rng.random() < 0.25:
        width = rng.uniform(1.0, 3.0)  # a thin pen
    else:
        width = None
    ink = render_strokes(strokes, rng, (W, H), height=frac * min(W, H), width_px=width)
    return as_form(ink, form or FORMS[rng.integers(len(FORMS))], rng)


def example_digit(digit: int, size: int = 280, seed: int = 0) -> np.ndarray:
    """A clean, centred drawing of ``digit`` as a transparent sketch layer (H, W, 4) uint8."""
    rng = np.random.default_rng(1000 + 17 * digit + seed)
    ink = render_strokes(templates()[digit][0], rng, (size, size), height=0.7 * size,
                         width_px=0.09 * size, center=(size / 2, size / 2))
    return as_form(ink, "layer", rng)


if __name__ == "__main__":
    from demo.digits.preprocess import to_mnist
    rng = np.random.default_rng(0)
    tiles = [to_mnist(random_drawing(d, rng)) for _ in range(8) for d in range(10)]
    sheet = np.vstack([np.hstack(tiles[r * 10:(r + 1) * 10]) for r in range(8)])
    Image.fromarray((sheet * 255).astype(np.uint8)).resize((560, 448)).save("/tmp/sketches.png")
    print("wrote /tmp/sketches.png")
