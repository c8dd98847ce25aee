"""A heatmap people can hover and click, on ``gr.HTML`` (a UI part both tabs can share, beside
``demo.ui_common``).  Hovering a cell names it ("unit 37 · step 12 · h = +0.523") and outlines
its row; clicking a cell sends a ``select`` event whose ``gr.SelectData.index`` is
``[row_id, step]`` (the real unit number, even when rows are shown sorted) and ``.value`` the
cell's value (float16 precision; None for NaN).

    hmap = hover_heatmap("h: units × steps")
    ...  # a handler returns render.heat_value(values, "diverging", 1.0, cell, t=t, row_ids=order)
    hmap.select(on_pick, None, unit_box)   # def on_pick(evt: gr.SelectData): unit, step = evt.index

The value is a dict (None shows nothing), either "heat-v2" from ``demo.render.heat_value``: the
numbers, the colour map and the marks, drawn by the page on a <canvas> (no PNG to encode on the
server: what the live Digits tab wants, ~10 values a second), or "heat-v1" from
``demo.render.hover_value``: a PNG made on the server plus the numbers.  The picture is shown
pixel-exact (CSS ``image-rendering: pixelated``), as wide as its container allows, at most 3x
its own width and never wider than the screen.  The template does not mention the value, so a
new value only swaps the picture and the numbers.

The templates live beside this module: heatmap.js, heatmap.css (css_template).  heatmap.js is in
the page once, in its <head> (``HEAD``: ``demo.app.launch`` puts it there; a page of your own
passes ``head=HEAD`` to ``launch``), and each heatmap's js_on_load only calls it: 19 copies of it
in the page's config were half of the config's 600 kB, and gradio's ``gr.HTML.__getattr__``
searches js_on_load with a regular expression at each unknown attribute it is asked for (8% of
the server's time under load, benchmarks/load_test.py --profile).
"""
from __future__ import annotations

import html
from pathlib import Path

import gradio as gr

from demo.ui_common import html_asset, template_safe

HERE = Path(__file__).resolve().parent
MAX_SCALE = 3  # the image is shown at most this many times its own width
# The class of every view drawn on a canvas (the heatmaps, demo.digits.input_view): at least
# VIEW_MIN_WIDTH px wide in a gr.Row, so that a row of them wraps, one under the other, on a phone.
# Squeezed three abreast at 390 px, a map was ~50 px wide and its label one letter a line; gr.HTML
# does not pass its min_width to the page, so the rule is in the page's <head> (HEAD).
VIEW_CLASS = "rl-view"
VIEW_MIN_WIDTH = 240

_TEMPLATE = """\
<div class="rl-heat is-empty" data-max-scale="{scale}" data-height="{height}">
  <p class="rl-heat-label">{label}</p>
  <div class="rl-heat-frame">
    <img class="rl-heat-img" alt="{label}" draggable="false">
    <canvas class="rl-heat-canvas" role="img" aria-label="{label}" hidden></canvas>
    <div class="rl-heat-row" hidden></div>
    <div class="rl-heat-tip" role="status" aria-live="polite" hidden></div>
  </div>
</div>"""


def _head() -> str:
    js = html_asset(HERE / "heatmap.js")
    if "</script" in js.lower():
        raise ValueError("heatmap.js must not contain </script>")
    return ("<script>\n// demo/heatmap.js, once per page: every heatmap's js_on_load calls it\n"
            "window.rnnLensHeatmap = function (element, props, trigger, watch) {\n" + js + "\n};\n</script>\n"
            f"<style>.{VIEW_CLASS} {{ min-width: min({VIEW_MIN_WIDTH}px, 100%) !important; }}</style>")


HEAD = _head()
CSS = template_safe(html_asset(HERE / "heatmap.css"), "heatmap.css")   # each heatmap's css_template
# runs when the component mounts; the <head> script is normally there already (it is added
# before the components), else it is waited for
ON_LOAD = ("(function run() { if (window.rnnLensHeatmap) window.rnnLensHeatmap(element, props, trigger, watch);"
           " else setTimeout(run, 20); })();")


def hover_heatmap(label: str, elem_id: str | None = None, height: int | None = None, visible=True,
                  **kwargs) -> gr.HTML:
    """The heatmap as a ``gr.HTML`` (events: ``.change``, ``.select``).  ``label`` is shown above
    the image; ``height``: the most CSS px it may be tall (None: no limit, only the width and
    the 3x limit); ``value`` (in kwargs): an initial ``heat_value`` / ``hover_value`` dict; other keyword
    arguments go to ``gr.HTML``."""
    if height is not None and not 16 <= int(height) <= 5000:
        raise ValueError(f"height must be 16..5000 px or None, got {height}")
    template = template_safe(_TEMPLATE.format(
        scale=MAX_SCALE, height=int(height or 0),
        label=template_safe(html.escape(str(label), quote=True), "label")), "html_template")
    kwargs.setdefault("value", None)
    kwargs.setdefault("elem_classes", [VIEW_CLASS])
    return gr.HTML(
        label=label, html_template=template,
        css_template=CSS,
        js_on_load=ON_LOAD,
        apply_default_css=False, show_label=False, container=False, padding=False,
        elem_id=elem_id, visible=visible, **kwargs)


# ---------------------------------------------------------------------------------------------
# The colour tables in heatmap.js: the same bytes as demo.render._lut, so the page draws "heat-v2"
# values in exactly the colours of render.colorize (tests/test_heatmap.py checks they agree).

LUT_BEGIN = "// BEGIN LUTS: generated from demo.render._lut by python -m demo.ui_heatmap; do not edit"
LUT_END = "// END LUTS"


def lut_js() -> str:
    """The block of heatmap.js between LUT_BEGIN and LUT_END (both lines included)."""
    from demo import render
    lines = [LUT_BEGIN, "const LUTS = {"]
    for kind in ("diverging", "sequential"):
        flat = [int(c) for c in render._lut(kind).reshape(-1)]
        lines.append(f"  {kind}: new Uint8Array([")
        per = 21  # numbers per line: 7 colours
        lines += ["    " + ", ".join(str(c) for c in flat[k:k + per]) + "," for k in range(0, len(flat), per)]
        lines.append("  ]),")
    lines += ["};", LUT_END]
    return "\n".join(lines)


def write_luts(path: Path = HERE / "heatmap.js") -> bool:
    """Rewrite the LUT block of heatmap.js from demo.render; True when it changed."""
    text = path.read_text(encoding="utf-8")
    a, b = text.index(LUT_BEGIN), text.index(LUT_END) + len(LUT_END)
    new = text[:a] + lut_js() + text[b:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    print("heatmap.js:", "LUTs rewritten" if write_luts() else "LUTs up to date")
