"""How a picture was read (a ``demo.digits.preprocess.Reading``), for the Digits tab: each step's
picture as HTML with its name in the page's language, or one compact strip.  Pure (no gradio).

    from demo.digits.reading_views import reading_html, reading_strip
    reading_html(to_mnist(image, steps=True), "en")   # the strip under the pad
"""
from __future__ import annotations

import numpy as np

from demo import render
from demo.errors import message
from demo.i18n import t as tr_

READING_PANEL = 64      # px per step panel in the reading strip
READING_GAP = 4


def _fit_panel(img: np.ndarray, side: int, smooth: bool) -> np.ndarray:
    """uint8 grey or RGB -> (side, side, 3): scaled to fit (nearest-neighbour when enlarging
    small steps, so their pixels show), centred on the gutter colour."""
    import cv2
    rgb = img if img.ndim == 3 else np.repeat(img[..., None], 3, axis=2)
    h, w = rgb.shape[:2]
    f = side / max(h, w, 1)
    size = (max(1, min(side, round(w * f))), max(1, min(side, round(h * f))))
    if size != (w, h):
        interp = cv2.INTER_AREA if f < 1 else (cv2.INTER_LINEAR if smooth else cv2.INTER_NEAREST)
        rgb = cv2.resize(rgb, size, interpolation=interp)
    out = np.empty((side, side, 3), np.uint8)
    out[:] = render.GUTTER
    top, left = (side - size[1]) // 2, (side - size[0]) // 2
    out[top:top + size[1], left:left + size[0]] = rgb
    return out


def reading_html(reading, lang: str = "en", panel: int = READING_PANEL) -> str:
    """How a picture was read (a ``preprocess.Reading``) as HTML: each step's picture in a
    ``panel`` px square, its name under it in ``lang`` (as text: the images' font is Latin-only),
    and a visible warning when the ink may not be one digit.  "" for None."""
    import html as html_lib
    if reading is None:
        return ""
    figures = []
    for k, (name, _label) in enumerate(reading.STEPS):
        word = html_lib.escape(tr_(f"digits.reading.step.{name}", lang))
        url = render.png_data_url(_fit_panel(getattr(reading, name), panel, smooth=k == 0))
        figures.append(f'<figure style="margin:0;text-align:center;font-size:11px">'
                       f'<img src="{url}" alt="{word}" style="width:{panel}px;height:{panel}px;'
                       f'image-rendering:pixelated;display:block">'
                       f'<figcaption>{word}</figcaption></figure>')
    alt = html_lib.escape(tr_("digits.reading.alt", lang), quote=True)
    out = (f'<div class="rl-reading" role="group" aria-label="{alt}" style="display:flex;flex-wrap:wrap;'
           f'gap:{READING_GAP}px;justify-content:center">{"".join(figures)}</div>')
    if reading.warning:
        warning = html_lib.escape(message(reading.warning, lang))
        out += f'<p class="rl-warning">{tr_("digits.reading.warning", lang, warning=warning)}</p>'
    return out


def reading_strip(reading, panel: int = READING_PANEL) -> np.ndarray:
    """One compact strip (H, W, 3) uint8 of how a picture was read: picture -> ink found ->
    cropped -> 20×20 -> centred 28×28, each scaled into a ``panel`` px square with its label
    underneath.  ``reading`` is a ``preprocess.Reading`` (``to_mnist(image, steps=True)``);
    about 0.2 ms."""
    tiles = []
    for k, (label, img) in enumerate(reading.steps().items()):
        tile = _fit_panel(img, panel, smooth=k == 0)
        tiles.append(np.concatenate([tile, render.text_strip(panel, label, height=14, size=10,
                                                             align="centre")], axis=0))
    gap = np.empty((tiles[0].shape[0], READING_GAP, 3), np.uint8)
    gap[:] = render.GUTTER
    parts = [tiles[0]]
    for t in tiles[1:]:
        parts += [gap, t]
    return np.concatenate(parts, axis=1)
