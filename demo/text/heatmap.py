"""The Text tab's units × steps heatmap: the top layer's h or c over up to WINDOW steps around the
one looked at, the characters written under their columns, the unit looked at ticked on the left.
Rendering only (numpy and PIL; no model, no gradio), from a ``demo.text.analysis.TextTrace``.

Wide characters (Chinese: the Tang poems) get wider columns (WIDE_CELL_W) and a CJK font when
this machine has one (CJK_FONTS); without one, their columns carry no character (the default
font has no CJK glyphs: it would draw empty boxes).

    from demo.text.heatmap import heatmap_value
    heatmap_value(trace, "c", 12, unit=25, lang="zh-CN")   # the value of demo.ui_heatmap.hover_heatmap
"""
from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from demo import render
from demo.i18n import t as tr_

if TYPE_CHECKING:  # for the annotations only: rendering needs no model code
    from demo.text.analysis import TextTrace

WINDOW = 64                     # steps shown in the heatmap around the selected one
CELL_W = 10                     # px per step (wide enough for a Latin character label)
WIDE_CELL_W = 14                # px per step when the window holds a wide (CJK) character
# fonts with CJK glyphs, tried in order (Debian's fonts-noto-cjk, fonts-wqy-zenhei, fonts-droid-fallback)
CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
             "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
             "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")


def colour_limit(values: np.ndarray, state_name: str) -> float:
    """h lies in (-1, 1); c is unbounded, so its colours span its own range (99th percentile)."""
    if state_name == "h":
        return 1.0
    return max(float(np.percentile(np.abs(values), 99)) if values.size else 1.0, 1e-3)


def heat_words(lang: str = "en") -> dict:
    """The hover words of a units × steps heatmap in ``lang`` (render.hover_value's labels)."""
    return {"row_label": tr_("app.heat.unit", lang), "col_label": tr_("app.heat.step", lang),
            "missing": tr_("app.heat.missing", lang)}


def is_wide(ch: str) -> bool:
    """A character drawn about twice as wide as a Latin one (East Asian Wide or Fullwidth)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def cell_width(chars: str) -> int:
    """px per step column for these characters: WIDE_CELL_W when one of them is wide."""
    return WIDE_CELL_W if any(is_wide(ch) for ch in chars) else CELL_W


@functools.lru_cache(maxsize=None)
def _fonts(size: int):
    """(the Latin font, the CJK font or None when this machine has none) at ``size`` px."""
    cjk = next((p for p in CJK_FONTS if Path(p).is_file()), None)
    return ImageFont.load_default(size=size), ImageFont.truetype(cjk, size) if cjk else None


def _char_strip(chars: str, cell_w: int, height: int = 14) -> np.ndarray:
    """One character under each step column (space as ·, newline as »: the default font is
    Latin-1 only; a wide character in the CJK font, when there is one)."""
    strip = Image.new("RGB", (len(chars) * cell_w, height), tuple(int(c) for c in render.GUTTER))
    draw = ImageDraw.Draw(strip)
    latin, cjk = _fonts(11 if cell_w == CELL_W else 12)
    for i, ch in enumerate(chars):
        shown = {" ": "·", "\n": "»"}.get(ch, ch)
        font = cjk if is_wide(ch) else latin
        if font is not None:
            draw.text((i * cell_w + cell_w / 2, height / 2), shown, fill=(255, 255, 255), font=font, anchor="mm")
    return np.asarray(strip)


def _window(n: int, t: int, window: int = WINDOW) -> tuple[int, int]:
    t = min(max(int(t), 1), n)
    a = min(max(t - 1 - window // 2, 0), max(n - window, 0))
    return a, min(n, a + window)


def heatmap_value(trace: TextTrace, state_name: str, t: int, unit: int | None = None,
                  window: int = WINDOW, lang: str = "en") -> dict:
    """The heatmap of ``heatmap_image`` with its colour legend, as a hoverable value for
    ``demo.ui_heatmap.hover_heatmap`` ("unit 37 · step 12 · c = +0.523"; a click picks the unit)."""
    state_name = state_name if trace.has(state_name) else "h"
    acts = trace.acts(state_name)
    n, H = acts.shape
    a, b = _window(n, t, window)
    row_h = max(1, min(4, 384 // H))
    lim = colour_limit(acts[a:b], state_name)
    img = render.with_legend(heatmap_image(trace, state_name, t, unit, window), "diverging", lim, state_name)
    return render.hover_value(img, acts[a:b].T, render.STRIP, (row_h, cell_width(trace.text[a:b])), what=state_name,
                              left=6, first_col=a + 1, **heat_words(lang))


def heatmap_image(trace: TextTrace, state_name: str, t: int, unit: int | None = None,
                  window: int = WINDOW) -> np.ndarray:
    """RGB image (rows, 6 + columns * cell_width, 3) of `state_name` (h or c; h when the model has
    no c) as units (rows) × steps (columns) for up to `window` steps around step t (1-based,
    framed in orange), the generated characters underneath and the selected unit marked by an
    orange tick on the left."""
    state_name = state_name if trace.has(state_name) else "h"
    acts = trace.acts(state_name)  # (n, H)
    n, H = acts.shape
    t = min(max(int(t), 1), n)
    a, b = _window(n, t, window)
    row_h = max(1, min(4, 384 // H))
    cell_w = cell_width(trace.text[a:b])
    lim = colour_limit(acts[a:b], state_name)
    img = render.heatmap(acts[a:b].T, "diverging", lim, (row_h, cell_w), t=t - a, dim_future=False)
    gutter = np.empty((img.shape[0], 6, 3), np.uint8)
    gutter[:] = render.GUTTER
    if unit is not None and 0 <= unit < H:
        y = render.STRIP + unit * row_h
        gutter[max(0, y - 2):y + row_h + 2] = render.ACCENT
    img = np.concatenate([gutter, img], axis=1)
    strip = _char_strip(trace.text[a:b], cell_w, 14 if cell_w == CELL_W else 16)
    strip = np.concatenate([np.full((strip.shape[0], 6, 3), render.GUTTER, np.uint8), strip], axis=1)
    return np.concatenate([img, strip], axis=0)
