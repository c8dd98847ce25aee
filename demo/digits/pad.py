"""A drawing pad of our own on ``gr.HTML``: a 2-D canvas with pointer events (mouse, touch and
pen), round strokes as thick as MNIST's relative to the box, brush size, Undo, Clear and an
Eraser.  Gradio's Sketchpad renders with WebGL, which is slow in a software-rendered browser; this
pad only uses a plain canvas.

    pad = drawing_pad()                    # a gr.HTML
    pad.change(live, pad, out, trigger_mode="always_last", show_progress="hidden")   # every value
    pad.submit(final, pad, out, trigger_mode="always_last", show_progress="hidden")  # pen-ups

``fn`` receives the pad's value: None before the first stroke, else an ``"ink-v1"`` dict (format in
``demo/digits/pad_ink.py``; ``to_mnist(value)`` reads it, and raises the empty-canvas
``ValueError`` after Clear).  While the pen moves the pad sends a value at most every
``throttle_ms`` (100 ms), marked ``drawing``, and once more when it lifts, after each Undo and
Clear; those last ones also go out as "submit" right away (the Digits tab answers them in their
own queue).  Each value the pad sends carries its ``pad`` id and ``seq`` number.

To show a picture in the pad (an example, an upload), return ``pad_value_from_image(image)`` as
the pad's new value: the pad draws it and further strokes go on top.  Gradio dispatches the pad's
``change`` once for a value set from Python (the pad itself sends nothing back), so an event that
sets the pad does not loop, as long as ``pad.change`` does not output to the pad itself.

The pad's words (the hint, the buttons, their aria-labels) are its ``words`` prop, a dict from
``pad_words(lang)``: the template starts with English, pad.js writes the prop's words in, and
``gr.update(words=pad_words("zh-CN"))`` from Python changes the language without touching the
drawing (the template itself never changes, so gradio never re-renders it over the canvas).

The templates live beside this module: pad.js (js_on_load), pad.css (css_template).
"""
from __future__ import annotations

import html
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from demo import i18n
from demo.digits.pad_ink import INK_FORMAT, decode_ink, ink_data_url, ink_value
from demo.digits.preprocess import drawing_to_ink
from demo.ui_common import html_asset, template_safe

HERE = Path(__file__).resolve().parent
INK_SIZE = 56            # side of the ink the pad sends (cells); 56 keeps a value at ~4 kB
SHOW_SIZE = 280          # side of the background picture pad_value_from_image makes (px)
HINT = i18n.t("digits.pad.hint")
# The pad's words: pad_words() key -> demo/i18n key
WORDS = {k: f"digits.pad.{k}" for k in ("label", "hint", "empty", "tools", "undo", "undo_aria", "clear",
                                        "clear_aria", "eraser", "brush", "brush_aria")}


def pad_words(lang: str = "en") -> dict[str, str]:
    """The pad's words in ``lang`` (its ``words`` prop: ``gr.update(words=pad_words(lang))``)."""
    return {k: i18n.t(key, lang) for k, key in WORDS.items()}

_TEMPLATE = """\
<div class="rl-pad is-empty" data-ink="{ink}" data-size="{size}" data-throttle="{throttle}" \
style="--rl-pad-size: {size}px">
  <p class="rl-pad-legend">{hint}</p>
  <div class="rl-pad-box">
    <canvas class="rl-pad-canvas" role="img" aria-label="{label}"></canvas>
    <div class="rl-pad-empty" aria-hidden="true">{empty}</div>
  </div>
  <div class="rl-pad-tools" role="toolbar" aria-label="{tools}">
    <button type="button" class="rl-pad-btn" data-act="undo" aria-label="{undo_aria}">{undo}</button>
    <button type="button" class="rl-pad-btn" data-act="clear" aria-label="{clear_aria}">{clear}</button>
    <button type="button" class="rl-pad-btn" data-act="eraser" aria-pressed="false" \
aria-label="{eraser}">{eraser}</button>
    <label class="rl-pad-size"><span class="rl-pad-brush-label">{brush_word}</span>
      <input class="rl-pad-brush" type="range" min="{bmin}" max="{bmax}" step="1" value="{brush}" \
aria-label="{brush_aria}">
      <span class="rl-pad-brush-value">{brush}</span>
    </label>
  </div>
</div>"""


def drawing_pad(elem_id: str = "digit-pad", label: str | None = None,
                size: int = 420, brush: int | None = None, hint: str | None = None,
                throttle_ms: int = 100, value: dict | None = None, lang: str = "en", **kwargs) -> gr.HTML:
    """The pad as a ``gr.HTML`` (its events: ``.change``).  ``size``: the box's largest side in
    CSS px (it shrinks to fit narrow screens); ``brush``: the default pen diameter in px at that
    size, size/28 like the old Sketchpad's (15 px at 420); ``value``: an initial value
    (``pad_value_from_image``); ``lang``: the language of its words (``label`` and ``hint``, when
    given, replace two of them); other keyword arguments go to ``gr.HTML``."""
    size = int(size)
    if not 64 <= size <= 2000:
        raise ValueError(f"size must be 64..2000 px, got {size}")
    brush = int(round(brush if brush is not None else size / 28))
    bmin, bmax = max(2, round(size / 70)), max(brush, round(size / 10))
    words = pad_words(lang)
    words.update({k: v for k, v in (("label", label), ("hint", hint)) if v is not None})
    esc = lambda s: template_safe(html.escape(str(s), quote=True), "label and hint")  # noqa: E731
    shown = {("brush_word" if k == "brush" else k): esc(v) for k, v in words.items()}
    template = template_safe(_TEMPLATE.format(
        ink=INK_SIZE, size=size, throttle=max(10, int(throttle_ms)), brush=brush, bmin=bmin, bmax=bmax,
        **shown), "html_template")
    return gr.HTML(
        value=value, label=words["label"], html_template=template, words=words,
        css_template=template_safe(html_asset(HERE / "pad.css"), "pad.css"), js_on_load=html_asset(HERE / "pad.js"),
        apply_default_css=False, show_label=False, container=False, padding=False,
        elem_id=elem_id, **kwargs)


def pad_value_from_image(image) -> dict | None:
    """A picture (PIL image, numpy array, file path, Sketchpad or ink value) -> the pad value that
    shows it: its ink, letterboxed to a square, as ``data`` (INK_SIZE cells, what the model reads)
    and as a SHOW_SIZE px ``background`` PNG (what the pad draws).  None gives None (an empty pad).
    Unreadable pictures raise ``ValueError`` as ``to_mnist`` does."""
    if image is None:
        return None
    if isinstance(image, dict) and image.get("format") == INK_FORMAT and "background" not in image:
        decode_ink(image)  # validate; an ink value without a picture shows as it is
        return dict(image)
    ink = drawing_to_ink(image)
    h, w = ink.shape
    side = max(h, w)
    square = np.zeros((side, side), np.float32)
    top, left = (side - h) // 2, (side - w) // 2
    square[top:top + h, left:left + w] = ink
    img = Image.fromarray((square * 255).round().astype(np.uint8))
    cells = img.resize((INK_SIZE, INK_SIZE), Image.Resampling.BOX if side >= INK_SIZE else Image.Resampling.BILINEAR)
    show = img if side <= SHOW_SIZE else img.resize((SHOW_SIZE, SHOW_SIZE), Image.Resampling.BOX)
    return ink_value(np.asarray(cells), background=ink_data_url(np.asarray(show)))
