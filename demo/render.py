"""Numpy -> RGB images for the app's views: heatmaps with our own colour maps, the 28x28 input
enlarged, and PNG encoding.  No matplotlib and no gradio: every function takes arrays and
returns a uint8 (H, W, 3) array (or PNG bytes / a PIL image), upscaled with nearest neighbour
so each cell stays a crisp block (the page enlarges them further with CSS
``image-rendering: pixelated``, also nearest neighbour).

    python -m demo.render   # preview: writes /tmp/render_preview.png
"""
from __future__ import annotations

import base64
import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Colour-map anchors (RGB).  Diverging: blue (-1) - white (0) - red (+1), ColorBrewer RdBu.
# Sequential: dark purple (0) -> yellow (1), sampled from viridis (perceptually even, and
# readable in both light and dark page themes).
DIVERGING = [(33, 102, 172), (103, 169, 207), (247, 247, 247), (239, 138, 98), (178, 24, 43)]
SEQUENTIAL = [(68, 1, 84), (65, 68, 135), (42, 120, 142), (34, 168, 132), (122, 209, 81), (253, 231, 37)]
ACCENT = np.array([255, 140, 0], np.uint8)      # marks the current step t
BACK_ACCENT = np.array([0, 170, 255], np.uint8)  # a second reading head: a network reading the rows backwards
SETTLED = np.array([0, 200, 120], np.uint8)     # marks the step where the answer settled
GUTTER = np.array([128, 128, 128], np.uint8)    # marker strips: mid-grey suits both themes
STRIP = 6                                       # px, height of the step-marker strip


LUT_SIZE = 257  # odd, so the diverging map's 0 lands exactly on its white centre


@lru_cache(maxsize=None)
def _lut(kind: str) -> np.ndarray:
    """Colour table (LUT_SIZE, 3) uint8, linear between the anchors."""
    anchors = np.asarray(DIVERGING if kind == "diverging" else SEQUENTIAL, np.float64)
    pos = np.linspace(0, LUT_SIZE - 1, len(anchors))
    ramp = np.arange(LUT_SIZE)
    lut = np.stack([np.interp(ramp, pos, anchors[:, k]) for k in range(3)], axis=1)
    lut = lut.round().astype(np.uint8)
    lut.setflags(write=False)
    return lut


def colorize(values: np.ndarray, kind: str = "diverging", lim: float = 1.0) -> np.ndarray:
    """values (...,) -> RGB (..., 3).  diverging maps [-lim, lim]; sequential maps [0, lim]."""
    v = np.nan_to_num(np.asarray(values, np.float32))
    if kind == "diverging":
        u = (v / lim + 1.0) * 0.5
    elif kind == "sequential":
        u = v / lim
    else:
        raise ValueError(f"unknown colour map {kind!r}")
    idx = np.clip(np.rint(u * (LUT_SIZE - 1)), 0, LUT_SIZE - 1).astype(np.intp)
    return _lut(kind)[idx]


def upscale(rgb: np.ndarray, sy: int, sx: int) -> np.ndarray:
    """Nearest-neighbour enlargement: every pixel becomes an sy x sx block."""
    return np.repeat(np.repeat(rgb, sy, axis=0), sx, axis=1)


def _dim(rgb: np.ndarray, amount: float = 0.6) -> np.ndarray:
    """Blend toward mid-grey: the steps the network has not read yet."""
    return (rgb * (1 - amount) + GUTTER * amount).astype(np.uint8)


def step_strip(steps: int, cell_w: int, t: int | None, settled: int | None = None,
               height: int = STRIP, accent=ACCENT) -> np.ndarray:
    """A thin bar above a heatmap: grey, with step t (1-based) in ``accent`` (orange), settled step in green."""
    bar = np.empty((height, steps * cell_w, 3), np.uint8)
    bar[:] = GUTTER
    if settled is not None:
        bar[height // 2:, (settled - 1) * cell_w:settled * cell_w] = SETTLED
    if t is not None:
        bar[:, (t - 1) * cell_w:t * cell_w] = accent
    return bar


def heatmap(values: np.ndarray, kind: str = "diverging", lim: float = 1.0,
            cell: tuple[int, int] = (2, 8), t: int | None = None, settled: int | None = None,
            dim_future: bool = True, accent=ACCENT) -> np.ndarray:
    """values (rows, steps), e.g. units x steps -> RGB image.  Step t (1-based) is marked in the
    strip on top (and framed in ``accent``, orange, when cells are wide enough), later steps are
    greyed out, and the settled step, if given, gets a green line.  cell = (px per row, px per step)."""
    rows, steps = values.shape
    ch, cw = cell
    img = upscale(colorize(values, kind, lim), ch, cw)
    if settled is not None:  # a green line where the answer stopped changing
        img[:, (settled - 1) * cw] = SETTLED
    if t is not None:
        if dim_future and t < steps:
            img[:, t * cw:] = _dim(img[:, t * cw:])
        if cw >= 6:  # narrower columns would be mostly frame: the strip and the dimming suffice
            img[:, (t - 1) * cw] = accent
            img[:, t * cw - 1] = accent
    return np.concatenate([step_strip(steps, cw, t, settled, accent=accent), img], axis=0)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=16)
def _gutter(height: int, labels: tuple[str, ...], top: int, row_h: int, width: int,
            size: int) -> np.ndarray:
    """Grey strip (height, width, 3) with one centred white label per row; the same every time
    for a given map shape, so drawn once."""
    gutter = Image.new("RGB", (width, height), tuple(int(c) for c in GUTTER))
    draw = ImageDraw.Draw(gutter)
    font = _font(size)
    for k, text in enumerate(labels):
        y = top + k * row_h + row_h / 2
        draw.text((width / 2, y), text, fill=(255, 255, 255), font=font, anchor="mm")
    out = np.asarray(gutter)
    out.setflags(write=False)
    return out


def label_rows(img: np.ndarray, labels: list[str], top: int, row_h: int, width: int = 16,
               size: int = 11) -> np.ndarray:
    """Prepend a gutter with one text label per row (e.g. the classes 0-9 of a 10-row map)."""
    gutter = _gutter(img.shape[0], tuple(labels), top, row_h, width, size)
    return np.concatenate([gutter, img], axis=1)


def confidence_map(probs: np.ndarray, t: int | None = None, settled: int | None = None,
                   cell: tuple[int, int] = (14, 10), font: int = 11) -> np.ndarray:
    """probs (steps, 10) -> image of classes (rows 0-9) x steps, sequential colours, class labels."""
    img = heatmap(probs.T, "sequential", 1.0, cell, t=t, settled=settled, dim_future=t is not None)
    return label_rows(img, [str(k) for k in range(probs.shape[1])], STRIP, cell[0],
                      width=cell[0] + 4, size=font)


def _grey8(x: np.ndarray) -> np.ndarray:
    """The input in [0, 1] as bytes, 0-255 (truncated, as astype does)."""
    return (np.clip(np.asarray(x, np.float32), 0, 1) * 255).astype(np.uint8)


def digit_image(x: np.ndarray, scale: int = 10, t: int | None = None, back: int | None = None) -> np.ndarray:
    """The (28, 28) input in [0, 1], white on black, enlarged.  With t: rows before t as they are,
    row t (1-based) tinted orange with a frame, rows after t dimmed.  With ``back`` too (a second
    head reading upwards from the last row): row ``back`` tinted and framed in BACK_ACCENT, and
    only the rows neither head has read (after t and before ``back``) dimmed.  Computed from the
    input's bytes in float64, so that the page (demo/digits/input_view.js) draws the same pixels
    from a ``digit_value``."""
    g8 = _grey8(x)
    rgb = np.repeat(g8[..., None], 3, axis=2)
    heads = [(h, c) for h, c in ((t, ACCENT), (back, BACK_ACCENT)) if h is not None and t is not None]
    if t is not None:
        end = g8.shape[0] if back is None else max(t, back - 1)   # rows t+1..end (1-based) not read yet
        rgb[t:end] = (rgb[t:end] * 0.25 + 20).astype(np.uint8)
    for h, colour in heads:
        row = g8[h - 1][:, None] / 255.0  # (28, 1): ink of the row being read
        rgb[h - 1] = (row * colour + (1 - row) * colour * 0.35).astype(np.uint8)
    img = upscale(rgb, scale, scale)
    for h, colour in heads:
        img[(h - 1) * scale, :] = colour
        img[h * scale - 1, :] = colour
    return img


def digit_value(x: np.ndarray, scale: int = 10, t: int | None = None, alt: str = "", back: int | None = None,
                legend: list[str] | None = None) -> dict:
    """``digit_image(x, scale, t, back)`` as numbers for the page to draw (the "digit-v1" value of
    ``demo.digits.input_view``): {"format", "width", "height" (of the input, in cells),
    "scale", "t" (1-based or None), "back" (the second head's row, or None), "ink" (base64 of
    the input's bytes, row by row), "alt", "legend" (None, or one text per head, t's first: the
    page writes each beside its head's colour)}.  Raises ValueError on a bad shape, scale or step."""
    g8 = _grey8(x)
    if g8.ndim != 2 or not g8.size:
        raise ValueError(f"the input must be a 2-D array, got shape {g8.shape}")
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or not 1 <= scale <= 32:
        raise ValueError(f"scale must be a whole number from 1 to 32, got {scale!r}")
    if back is not None and t is None:
        raise ValueError("a second head (back) needs the first (t)")
    if legend is not None and (isinstance(legend, str) or len(legend) != 1 + (back is not None)):
        raise ValueError(f"legend must be one text per head, got {legend!r:.80}")
    return {"format": "digit-v1", "width": int(g8.shape[1]), "height": int(g8.shape[0]), "scale": int(scale),
            "t": _step(t, "t", g8.shape[0]), "back": _step(back, "back", g8.shape[0]),
            "ink": base64.b64encode(g8.tobytes()).decode("ascii"), "alt": str(alt),
            "legend": None if legend is None else [str(x) for x in legend]}


# Ten distinguishable class colours (Tableau 10), for clouds of points coloured by digit.
CLASS_COLOURS = np.array([(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                          (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)],
                         np.uint8)


@lru_cache(maxsize=4096)
def text_strip(width: int, text: str, height: int = 14, size: int = 10, align: str = "left") -> np.ndarray:
    """A grey strip (height, width, 3) with one line of white text: titles and legends.  Cached
    (drawing text is slow, and the same labels recur on every stroke); the result is read-only."""
    strip = Image.new("RGB", (width, height), tuple(int(c) for c in GUTTER))
    x = {"left": 2, "centre": width / 2}[align]
    ImageDraw.Draw(strip).text((x, height / 2), text, fill=(255, 255, 255), font=_font(size),
                               anchor="lm" if align == "left" else "mm")
    out = np.asarray(strip)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=256)
def colour_legend(kind: str, lim: float, width: int, what: str = "", height: int = 26) -> np.ndarray:
    """A colour bar with its scale, to sit under a heatmap: the ramp (8 px), then the labels
    (-lim, 0, +lim for diverging; 0 and lim for sequential) and what the colour means."""
    lo = -lim if kind == "diverging" else 0.0
    ramp = colorize(np.linspace(lo, lim, width)[None, :], kind, lim)
    ramp = np.repeat(ramp, 8, axis=0)
    img = Image.new("RGB", (width, height - 8), tuple(int(c) for c in GUTTER))
    draw = ImageDraw.Draw(img)
    font = _font(9)
    y = (height - 8) / 2
    draw.text((1, y), f"{lo:+.2g}" if kind == "diverging" else "0", fill=(255, 255, 255), font=font, anchor="lm")
    draw.text((width - 1, y), f"{lim:+.2g}" if kind == "diverging" else f"{lim:.2g}", fill=(255, 255, 255),
              font=font, anchor="rm")
    if what:
        draw.text((width / 2, y), what, fill=(255, 255, 255), font=font, anchor="mm")
    elif kind == "diverging":
        draw.text((width / 2, y), "0", fill=(255, 255, 255), font=font, anchor="mm")
    out = np.concatenate([ramp, np.asarray(img)], axis=0)
    out.setflags(write=False)
    return out


def with_legend(img: np.ndarray, kind: str, lim: float, what: str = "") -> np.ndarray:
    """img with its colour legend underneath (at least 150 px wide, padded with grey)."""
    width = max(img.shape[1], 150)
    if img.shape[1] < width:
        pad = np.empty((img.shape[0], width - img.shape[1], 3), np.uint8)
        pad[:] = GUTTER
        img = np.concatenate([img, pad], axis=1)
    return np.concatenate([img, colour_legend(kind, lim, width, what)], axis=0)


def scatter(points: np.ndarray, colours: np.ndarray, size: int, bounds: tuple[float, float, float, float],
            radius: int = 1, background=(24, 24, 24)) -> np.ndarray:
    """points (N, 2) drawn as small squares of colours (N, 3) on a size x size image;
    bounds = (x0, x1, y0, y1) in data units (y up)."""
    img = np.empty((size, size, 3), np.uint8)
    img[:] = background
    px = to_pixels(points, size, bounds)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            x = np.clip(px[:, 0] + dx, 0, size - 1)
            y = np.clip(px[:, 1] + dy, 0, size - 1)
            img[y, x] = colours
    return img


def to_pixels(points: np.ndarray, size: int, bounds) -> np.ndarray:
    """Data (N, 2) -> integer pixel (N, 2) of a size x size image (y flipped: up is up)."""
    x0, x1, y0, y1 = bounds
    u = (np.asarray(points)[:, 0] - x0) / max(x1 - x0, 1e-9)
    v = (np.asarray(points)[:, 1] - y0) / max(y1 - y0, 1e-9)
    return np.stack([np.clip(u * (size - 1), 0, size - 1), np.clip((1 - v) * (size - 1), 0, size - 1)],
                    1).round().astype(np.intp)


def fast_png_image(rgb: np.ndarray) -> Image.Image:
    """RGB array -> PIL image that PNG encoders (gradio's included) write with zlib level 1:
    about 4x faster than the default level on these noisy heatmaps, for files ~2% larger.
    Pillow lets an image's own ``encoderinfo`` override the options given to ``save``; a Pillow
    that stops doing so just falls back to the default level (slower, same pixels)."""
    img = Image.fromarray(rgb)
    img.encoderinfo = {"compress_level": 1}
    return img


def png_data_url(rgb: np.ndarray) -> str:
    """RGB array -> "data:image/png;base64,..." (zlib level 1): a picture inline in HTML."""
    return "data:image/png;base64," + base64.b64encode(to_png(rgb, compress_level=1)).decode("ascii")


def to_png(rgb: np.ndarray, compress_level: int = 6) -> bytes:
    """RGB uint8 array -> PNG bytes (lossless: heatmap cells keep their exact colours)."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()



# ---------------------------------------------------------------------------------------------
# Hoverable heatmaps: an image plus what the page needs to name the cell under the pointer

HOVER_FORMAT = "heat-v1"
HALF_MAX = float(np.finfo(np.float16).max)  # 65504: larger magnitudes are clipped, not inf


def hover_value(img: np.ndarray, values: np.ndarray, top: int, cell: tuple[int, int],
                row_label: str = "unit", col_label: str = "step", row_ids: np.ndarray | None = None,
                what: str = "h", left: int = 0, first_col: int = 1, missing: str = "n/a") -> dict:
    """A heatmap image and its grid -> the JSON-able value of ``demo.ui_heatmap.hover_heatmap``.

    ``img`` (H, W, 3|4) uint8 is what is shown (e.g. ``with_legend(heatmap(values, ...))``);
    ``values`` (rows, cols) the numbers behind it, one per cell of ``cell`` = (px per row,
    px per column), drawn from pixel (left, top) on (``heatmap`` puts a STRIP px step strip on
    top, ``label_rows`` a gutter on the left).  ``row_ids``: the real number of each displayed
    row (rows may be shown sorted), default 0..rows-1 (sent as None); columns are numbered from
    ``first_col`` (1: steps are 1-based, like the step slider).  Raises ValueError on shapes that
    do not fit.

    The value (format "heat-v1"): ``src`` a PNG data URL (zlib level 1), ``width``/``height``
    the image size in px, ``top``/``left``/``cell_h``/``cell_w``/``rows``/``cols`` the grid,
    ``values`` base64 of float16 little-endian, row-major (rows x cols; NaN stays NaN),
    ``row_ids`` a list of ints (None: the rows in their own order, 0..rows-1, the usual case:
    the page then neither parses nor copies 128 numbers per map), ``first_col``, and the labels
    ``row_label``, ``col_label``, ``what`` (the tooltip reads "unit 37 · step 12 · h = +0.523")
    and ``missing`` (shown for a NaN value): the caller passes them in the page's language (this
    module has no words)."""
    img = np.asarray(img)
    if img.ndim != 3 or img.shape[2] not in (3, 4) or img.dtype != np.uint8:
        raise ValueError(f"img must be uint8 (H, W, 3 or 4), got {img.dtype} {img.shape}")
    v = _grid_values(values)
    rows, cols = v.shape
    ch, cw = _cell(cell)
    top, left = int(top), int(left)
    if top < 0 or left < 0:
        raise ValueError(f"cell must be positive and top/left >= 0, got cell={cell}, top={top}, left={left}")
    height, width = img.shape[:2]
    if top + rows * ch > height or left + cols * cw > width:
        raise ValueError(f"a {rows}x{cols} grid of {ch}x{cw} px cells from ({left}, {top}) does not fit "
                         f"a {width}x{height} image")
    return {
        "format": HOVER_FORMAT,
        "src": png_data_url(img),
        "width": int(width), "height": int(height),
        "top": top, "left": left, "cell_h": ch, "cell_w": cw, "rows": int(rows), "cols": int(cols),
        "values": _half_b64(v), "row_ids": _row_ids(row_ids, rows), "first_col": int(first_col),
        "row_label": str(row_label), "col_label": str(col_label), "what": str(what), "missing": str(missing),
    }


def _grid_values(values) -> np.ndarray:
    v = np.asarray(values)
    if v.ndim != 2 or v.size == 0 or not np.issubdtype(v.dtype, np.number) or np.iscomplexobj(v):
        raise ValueError(f"values must be a non-empty real 2-D array (rows, cols), got {v.dtype} {v.shape}")
    return v


def _cell(cell) -> tuple[int, int]:
    try:
        ch, cw = (int(c) for c in cell)
    except (TypeError, ValueError):
        raise ValueError(f"cell must be two positive ints (px per row, px per column), got {cell!r}") from None
    if ch < 1 or cw < 1:
        raise ValueError(f"cell must be positive, got cell={cell}")
    return ch, cw


def _row_ids(row_ids, rows: int) -> list[int] | None:
    """The value's ``row_ids``: None for the rows in their own order."""
    if row_ids is None:
        return None
    r = np.asarray(row_ids)
    if r.shape != (rows,) or not np.issubdtype(r.dtype, np.integer):
        raise ValueError(f"row_ids must be {rows} integers (one per row), got {r.dtype} {r.shape}")
    return None if np.array_equal(r, np.arange(rows)) else r.tolist()


def _half_b64(v: np.ndarray) -> str:
    """Row-major little-endian float16, base64: magnitudes past 65504 clipped, NaN stays NaN."""
    half = np.clip(v.astype(np.float32), -HALF_MAX, HALF_MAX).astype("<f2")
    return base64.b64encode(half.tobytes()).decode("ascii")


HEAT_FORMAT = "heat-v2"
LEGEND_H, LEGEND_RAMP, LEGEND_MIN_W = 26, 8, 150  # the colour legend: as colour_legend / with_legend


def _step(x, name: str, cols: int) -> int | None:
    if x is None:
        return None
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)) or not 1 <= x <= cols:
        raise ValueError(f"{name} must be a step 1..{cols} or None, got {x!r}")
    return int(x)


def _positive(lim) -> float:
    try:
        lim = float(lim)
    except (TypeError, ValueError):
        raise ValueError(f"lim must be a positive number, got {lim!r}") from None
    if not np.isfinite(lim) or lim <= 0:
        raise ValueError(f"lim must be a positive number, got {lim!r}")
    return lim


def _legend_spec(kind: str, lim: float, what, top: int) -> dict:
    """The colour bar under a heat value: where it goes and its three texts."""
    lo = -lim if kind == "diverging" else 0.0
    minus = lambda s: s.replace("-", "\u2212")  # noqa: E731
    return {"top": top, "height": LEGEND_H, "ramp": LEGEND_RAMP,
            "lo": minus(f"{lo:+.2g}") if kind == "diverging" else "0",
            "hi": f"{lim:+.2g}" if kind == "diverging" else f"{lim:.2g}",
            "mid": str(what) if what else ("0" if kind == "diverging" else "")}


def heat_value(values: np.ndarray, kind: str, lim: float, cell: tuple[int, int], t: int | None = None,
               settled: int | None = None, dim_future: bool = True, row_ids: np.ndarray | None = None,
               row_label: str = "unit", col_label: str = "step", what: str = "h",
               row_names: list[str] | None = None, legend: bool = True, first_col: int = 1,
               missing: str = "n/a", accent=None, col_names=None) -> dict:
    """A heatmap as numbers, for the page to draw (the "heat-v2" value of
    ``demo.ui_heatmap.hover_heatmap``): no PNG, so it costs the server microseconds.  The browser
    draws the same picture as ``with_legend(heatmap(values, kind, lim, cell, t, settled,
    dim_future), kind, lim, what)`` (``label_rows`` first when ``row_names`` is given), with the
    colours of ``colorize`` (the page holds the same 257-entry tables), except the text.

    ``values`` (rows, cols), e.g. units x steps; ``kind`` "diverging" ([-lim, lim]) or
    "sequential" ([0, lim]); ``cell`` = (px per row, px per column); ``t`` (1-based) the step
    marked orange in the strip on top, later steps dimmed when ``dim_future``; ``settled`` the
    step with the green line; ``row_names`` one short label per row (the classes of a
    confidence map) in a grey gutter on the left; ``legend`` the colour bar underneath.
    ``row_ids``, ``first_col``, ``row_label``, ``col_label``, ``what``, ``missing``: as ``hover_value``.
    ``accent``: the colour (r, g, b) of step t's marks (None: ACCENT, orange); ``col_names``:
    one more word per column for the tooltip (e.g. the input row a backward step reads), or None.
    Raises ValueError on bad input.

    The value: the geometry and tooltip keys of "heat-v1" (``width``/``height`` the natural
    size in px, ``top``/``left``/``cell_h``/``cell_w``/``rows``/``cols``, ``values``,
    ``row_ids``, ``first_col``, ``row_label``, ``col_label``, ``what``) without ``src``, plus
    ``cmap``, ``lim``, ``t``, ``settled``, ``dim_future``, ``strip`` (px), ``row_names``
    (list or None), ``font`` (px, of the row names), ``legend`` (None, or ``top``, ``height``,
    ``ramp`` (px) and the texts ``lo``, ``mid``, ``hi``), ``accent`` ([r, g, b] or None) and
    ``col_names`` (list or None)."""
    v = _grid_values(values)
    rows, cols = v.shape
    if kind not in ("diverging", "sequential"):
        raise ValueError(f"unknown colour map {kind!r}")
    lim = _positive(lim)
    ch, cw = _cell(cell)
    t, settled = _step(t, "t", cols), _step(settled, "settled", cols)
    names, font, left = None, 0, 0
    if row_names is not None:
        if isinstance(row_names, str) or len(row_names) != rows:
            raise ValueError(f"row_names must be {rows} strings (one per row), got {row_names!r:.80}")
        names = [str(n) for n in row_names]
        font = min(11, max(6, ch - 1))
        left = max(ch + 4, int(np.ceil(0.6 * font * max(len(n) for n in names))) + 4)
    if col_names is not None and (isinstance(col_names, str) or len(col_names) != cols):
        raise ValueError(f"col_names must be {cols} strings (one per column), got {col_names!r:.80}")
    width = left + cols * cw
    height = STRIP + rows * ch
    spec = _legend_spec(kind, lim, what, height) if legend else None
    if legend:
        width = max(width, LEGEND_MIN_W)
        height += LEGEND_H
    return {
        "format": HEAT_FORMAT, "width": width, "height": height,
        "top": STRIP, "left": left, "cell_h": ch, "cell_w": cw, "rows": rows, "cols": cols,
        "values": _half_b64(v), "row_ids": _row_ids(row_ids, rows), "first_col": int(first_col),
        "row_label": str(row_label), "col_label": str(col_label), "what": str(what), "missing": str(missing),
        "cmap": kind, "lim": lim, "t": t, "settled": settled, "dim_future": bool(dim_future),
        "strip": STRIP, "row_names": names, "font": font, "legend": spec, "accent": _colour(accent),
        "col_names": None if col_names is None else [str(n) for n in col_names],
    }


def _colour(c) -> list[int] | None:
    if c is None:
        return None
    rgb = np.asarray(c)
    if rgb.shape != (3,) or not np.issubdtype(rgb.dtype, np.integer) or rgb.min() < 0 or rgb.max() > 255:
        raise ValueError(f"accent must be 3 whole numbers 0..255 (r, g, b), got {c!r}")
    return [int(v) for v in rgb]


def decode_hover_values(value: dict) -> np.ndarray:
    """The (rows, cols) float32 values of a ``hover_value`` or ``heat_value`` dict (tests, debugging)."""
    raw = base64.b64decode(value["values"])
    return np.frombuffer(raw, "<f2").astype(np.float32).reshape(value["rows"], value["cols"])


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    h = np.tanh(rng.normal(size=(128, 28)))
    p = rng.dirichlet(np.ones(10) * 0.3, size=28)
    x = np.zeros((28, 28), np.float32)
    x[6:22, 12:16] = 1.0
    parts = [heatmap(h, t=12), confidence_map(p, t=12, settled=9), digit_image(x, t=12)]
    height = max(a.shape[0] for a in parts)
    sheet = np.concatenate([np.pad(a, ((0, height - a.shape[0]), (0, 8), (0, 0))) for a in parts], 1)
    Image.fromarray(sheet).save("/tmp/render_preview.png")
    print("wrote /tmp/render_preview.png")
