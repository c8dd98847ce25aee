"""What the model reads, drawn by the page: the 28x28 input (optionally row t tinted orange with
a frame and the later rows dimmed) on a <canvas> inside ``gr.HTML``, from a "digit-v1" value of
``demo.render.digit_value``: the same pixels as ``render.digit_image``.

    rows = input_view(K("digits.rows.label"), elem_id="digit-rows")
    ...  # a handler returns render.digit_value(a.x, 4, t=t, alt="the input, row 12 highlighted")

Why a canvas and not an <img> of a PNG: the page applies an answer in one task and paints after
it; a canvas drawn in that task shows in the next frame, while an inline PNG is decoded, and
fires its load, a frame or more later (benchmarks/bench_browser.py: the row strip was the last
of the row-by-row views to show, ~20 ms after the heatmaps drawn beside it).  It also spares the
server a PNG per answer.  The value is validated on both sides: a bad one shows nothing.

The templates live beside this module: input_view.js (js_on_load), input_view.css (css_template).
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from demo.ui_common import html_asset, template_safe
from demo.ui_heatmap import VIEW_CLASS

HERE = Path(__file__).resolve().parent
_TEMPLATE = '<div class="rl-digit is-empty" data-height="{height}"><canvas role="img" aria-label=""></canvas></div>'


def input_view(label, elem_id: str | None = None, height: int = 280, **kwargs) -> gr.HTML:
    """The view as a ``gr.HTML`` with its label shown above it; ``height``: CSS px it is shown
    at (square, never wider than its column); other keyword arguments go to ``gr.HTML``."""
    if not 16 <= int(height) <= 2000:
        raise ValueError(f"height must be 16..2000 px, got {height}")
    kwargs.setdefault("value", None)
    kwargs.setdefault("elem_classes", [VIEW_CLASS])  # in a gr.Row: on a phone, under its neighbours
    return gr.HTML(
        label=label, html_template=template_safe(_TEMPLATE.format(height=int(height)), "html_template"),
        css_template=template_safe(html_asset(HERE / "input_view.css"), "input_view.css"),
        js_on_load=html_asset(HERE / "input_view.js"), apply_default_css=False,
        show_label=True, container=True, padding=True, elem_id=elem_id, **kwargs)
