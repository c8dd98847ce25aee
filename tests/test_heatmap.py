"""The hoverable heatmap: ``demo.render.hover_value`` (the "heat-v1" value: the PNG, the grid, the
float16 values and the row ids; bad shapes raise ValueError), ``demo.render.heat_value`` (the
"heat-v2" value: the numbers and marks the page draws itself; its colour tables in heatmap.js are
render._lut's), and ``demo.ui_heatmap.hover_heatmap`` in a real browser (Playwright drives
Debian's chromium against a tiny gr.Blocks), for both formats: hovering a cell names it, clicking
one sends a select event whose ``index`` is ``[unit, step]``, a new value updates the picture
without rebuilding the component, and on a 390x844 phone the heatmap is no wider than the screen;
a "heat-v2" canvas holds the pixels render.py would have drawn.

    .venv/bin/python -m pytest -q tests/test_heatmap.py
    RNN_LENS_SCREENSHOTS=docs .venv/bin/python -m pytest -q tests/test_heatmap.py  # images

Without chromium (or playwright) the browser tests are skipped, except when CI is set, where
they fail.
"""
import base64
import io
import os
import re
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from demo import render, ui_heatmap
from demo.render import STRIP, decode_hover_values, heat_value, hover_value

pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")

CELL = (1, 4)  # the digits tab's units x steps cells


def known_values(rows=128, cols=28) -> np.ndarray:
    """Distinct, recognisable values: row r, column c -> (r - 64) / 64 + c / 1000, in about [-1, 1]."""
    r, c = np.mgrid[0:rows, 0:cols]
    return ((r - 64) / 64 + c / 1000).astype(np.float32)


def picture(values, cell=CELL, t=12):
    return render.with_legend(render.heatmap(values, "diverging", 1.0, cell, t=t), "diverging", 1.0, "h")


# ---------------------------------------------------------------------------------------------
# hover_value: pure

def test_value_round_trip_and_geometry():
    v = known_values()
    img = picture(v)
    out = hover_value(img, v, STRIP, CELL)
    assert out["format"] == "heat-v1"
    assert (out["width"], out["height"]) == (img.shape[1], img.shape[0]) == (150, STRIP + 128 + 26)
    assert (out["top"], out["left"], out["cell_h"], out["cell_w"], out["rows"], out["cols"]) == \
        (STRIP, 0, 1, 4, 128, 28)
    assert out["row_ids"] is None and out["first_col"] == 1   # the rows in their own order
    assert hover_value(picture(v), v, STRIP, CELL, row_ids=np.arange(128))["row_ids"] is None
    assert (out["row_label"], out["col_label"], out["what"]) == ("unit", "step", "h")
    back = decode_hover_values(out)
    assert back.shape == v.shape and back.dtype == np.float32
    np.testing.assert_allclose(back, v, atol=1e-3, rtol=1e-3)  # float16: ~3 significant digits
    raw = base64.b64decode(out["values"])  # row-major little-endian float16, by hand
    assert len(raw) == 128 * 28 * 2
    assert np.frombuffer(raw, "<f2")[5 * 28 + 7] == np.float16(v[5, 7])
    # The PNG is the picture, pixel for pixel.
    assert out["src"].startswith("data:image/png;base64,")
    png = Image.open(io.BytesIO(base64.b64decode(out["src"].split(",", 1)[1])))
    assert png.format == "PNG" and np.array_equal(np.asarray(png.convert("RGB")), img)


def test_value_is_compact_json():
    import json
    v = known_values()
    out = hover_value(picture(v), v, STRIP, CELL)
    text = json.dumps(out)
    assert json.loads(text) == out
    assert len(out["values"]) <= 4 * (128 * 28 * 2) // 3 + 4   # ~9.6 kB of base64 for 7 kB of float16
    assert len(text) - len(out["src"]) < 11_000                 # the numbers and geometry: ~10 kB


def test_row_ids_order_labels_and_offsets():
    rng = np.random.default_rng(0)
    v = np.tanh(rng.normal(size=(128, 28))).astype(np.float32)
    order = rng.permutation(128)
    shown = v[order]
    out = hover_value(picture(shown), shown, STRIP, CELL, row_ids=order)
    assert out["row_ids"] == [int(k) for k in order]
    back = decode_hover_values(out)
    k = int(np.flatnonzero(order == 37)[0])  # where unit 37 is displayed
    assert abs(back[k, 11] - v[37, 11]) < 2e-3
    # A classes x steps map: labels in a left gutter, "class" rows, probabilities.
    probs = rng.dirichlet(np.ones(10), size=28)
    img = render.confidence_map(probs, t=5, cell=(10, 6), font=9)
    out = hover_value(img, probs.T, STRIP, (10, 6), row_label="class", what="p", left=14, first_col=1)
    assert (out["left"], out["cell_h"], out["cell_w"], out["rows"], out["cols"]) == (14, 10, 6, 10, 28)
    assert out["row_label"] == "class" and out["what"] == "p"
    # numpy integer ids of any width, and extreme values clipped to float16's range, NaN kept.
    w = np.array([[1e6, -1e6], [np.nan, 0.5]])
    out = hover_value(np.zeros((2 + STRIP, 8, 3), np.uint8), w, STRIP, (1, 4), row_ids=np.array([7, 3], np.int16))
    assert out["row_ids"] == [7, 3]
    back = decode_hover_values(out)
    assert back[0, 0] == 65504 and back[0, 1] == -65504 and np.isnan(back[1, 0]) and back[1, 1] == 0.5


@pytest.mark.parametrize("img, values, kwargs, match", [
    (np.zeros((40, 40), np.uint8), np.zeros((4, 4)), {}, "img must be"),
    (np.zeros((40, 40, 3), np.float32), np.zeros((4, 4)), {}, "img must be"),
    (np.zeros((40, 40, 3), np.uint8), np.zeros(16), {}, "2-D"),
    (np.zeros((40, 40, 3), np.uint8), np.zeros((0, 4)), {}, "non-empty"),
    (np.zeros((40, 40, 3), np.uint8), np.array([["a", "b"]]), {}, "real"),
    (np.zeros((40, 40, 3), np.uint8), np.zeros((35, 4)), {}, "does not fit"),     # 6 + 35 > 40 rows
    (np.zeros((40, 40, 3), np.uint8), np.zeros((4, 11)), {}, "does not fit"),     # 11 * 4 > 40 px
    (np.zeros((40, 40, 3), np.uint8), np.zeros((4, 9)), {"left": 8}, "does not fit"),
    (np.zeros((40, 40, 3), np.uint8), np.zeros((4, 4)), {"cell": (0, 4)}, "positive"),
    (np.zeros((40, 40, 3), np.uint8), np.zeros((4, 4)), {"row_ids": np.arange(5)}, "row_ids"),
    (np.zeros((40, 40, 3), np.uint8), np.zeros((4, 4)), {"row_ids": np.ones(4) * 0.5}, "row_ids"),
])
def test_bad_shapes_raise(img, values, kwargs, match):
    kwargs = {"top": STRIP, "cell": (1, 4), **kwargs}
    with pytest.raises(ValueError, match=match):
        hover_value(img, values, **kwargs)


def test_component_builds_and_rejects_bad_labels():
    import gradio as gr

    from demo.ui_heatmap import hover_heatmap
    with gr.Blocks():
        h = hover_heatmap("h: units × steps <b>", elem_id="hm", height=420)
    assert "&lt;b&gt;" in h.html_template and "${" not in h.html_template and "value" not in h.html_template
    assert 'data-height="420"' in h.html_template
    assert "image-rendering: pixelated" in h.css_template
    assert "window.rnnLensHeatmap(element, props, trigger, watch)" in h.js_on_load and len(h.js_on_load) < 200
    HEAD = ui_heatmap.HEAD   # the script itself, once per page
    assert HEAD.startswith("<script>") and "trigger(\"select\"" in HEAD and "const LUTS" in HEAD
    with pytest.raises(ValueError, match="must not contain"):
        hover_heatmap("costs ${price}")
    with pytest.raises(ValueError, match="height"):
        hover_heatmap("h", height=2)


# ---------------------------------------------------------------------------------------------
# heat_value: pure (the page draws it)

def test_heat_value_round_trip_and_geometry():
    import json
    v = known_values()
    order = np.roll(np.arange(128), 5)
    out = heat_value(v, "diverging", 1.0, CELL, t=12, row_ids=order)
    assert out["format"] == "heat-v2" and "src" not in out
    # The same grid as the PNG of hover_value(picture(v), ...): the page maps the pointer alike.
    old = hover_value(picture(v), v, STRIP, CELL, row_ids=order)
    for key in ("width", "height", "top", "left", "cell_h", "cell_w", "rows", "cols", "values", "row_ids",
                "first_col", "row_label", "col_label", "what"):
        assert out[key] == old[key], key
    assert (out["width"], out["height"]) == (150, STRIP + 128 + 26)
    assert (out["cmap"], out["lim"], out["t"], out["settled"], out["dim_future"]) == ("diverging", 1.0, 12, None, True)
    assert out["strip"] == STRIP and out["row_names"] is None
    assert out["legend"] == {"top": STRIP + 128, "height": 26, "ramp": 8, "lo": "\u22121", "mid": "h", "hi": "+1"}
    back = decode_hover_values(out)
    assert back.shape == v.shape and back.dtype == np.float32
    np.testing.assert_allclose(back, v, atol=1e-3, rtol=1e-3)
    assert np.frombuffer(base64.b64decode(out["values"]), "<f2")[5 * 28 + 7] == np.float16(v[5, 7])
    text = json.dumps(out)
    assert json.loads(text) == out and len(text) < 11_000  # the numbers are nearly all of it
    # Extreme values clipped to float16's range, NaN kept; numpy scalars become plain JSON numbers.
    w = np.array([[1e6, -1e6], [np.nan, 0.5]])
    out = heat_value(w, "sequential", np.float64(2.0), np.array([1, 4]), t=np.int64(2), settled=1,
                     row_ids=np.array([7, 3], np.int16), legend=False)
    json.dumps(out)
    assert out["row_ids"] == [7, 3] and out["t"] == 2 and out["lim"] == 2.0 and out["legend"] is None
    back = decode_hover_values(out)
    assert back[0, 0] == 65504 and back[0, 1] == -65504 and np.isnan(back[1, 0]) and back[1, 1] == 0.5


@pytest.mark.parametrize("shape, kind, lim, cell, kwargs", [
    ((128, 28), "diverging", 1.0, (1, 4), {"t": 12}),                      # the digits tab's units maps
    ((128, 28), "sequential", 0.5, (1, 4), {"t": 28, "what": "z"}),
    ((10, 28), "sequential", 1.0, (10, 6), {"t": 5, "settled": 9}),
    ((64, 40), "diverging", 2.5, (2, 5), {}),                              # wider than the legend's 150 px
])
def test_heat_value_geometry_is_the_png_one(shape, kind, lim, cell, kwargs):
    v = np.zeros(shape, np.float32)
    img = render.with_legend(render.heatmap(v, kind, lim, cell, t=kwargs.get("t"), settled=kwargs.get("settled")),
                             kind, lim, kwargs.get("what", "h"))
    out = heat_value(v, kind, lim, cell, **kwargs)
    assert (out["height"], out["width"]) == img.shape[:2]
    assert out["legend"]["top"] == img.shape[0] - render.LEGEND_H


def test_heat_value_row_names_like_confidence_map():
    probs = np.random.default_rng(1).dirichlet(np.ones(10), size=28)
    names = [str(k) for k in range(10)]
    out = heat_value(probs.T, "sequential", 1.0, (10, 6), t=5, settled=9, row_label="class", what="p",
                     row_names=names, legend=False)
    img = render.confidence_map(probs, t=5, settled=9, cell=(10, 6), font=9)
    assert (out["height"], out["width"]) == img.shape[:2]
    assert (out["left"], out["font"], out["row_names"]) == (14, 9, names)  # views.py: left = CONF_CELL[0] + 4
    out = heat_value(probs.T, "sequential", 1.0, (10, 6), row_names=names)   # the legend under it all
    assert (out["width"], out["height"]) == (14 + 28 * 6, STRIP + 100 + 26) and out["legend"]["lo"] == "0"
    out = heat_value(probs.T[:3], "sequential", 1.0, (12, 6), row_names=["zero", "one", "two"])
    assert out["left"] >= 4 * 6 and out["left"] + 28 * 6 <= out["width"]  # longer names: a wider gutter


@pytest.mark.parametrize("values, kwargs, match", [
    (np.zeros(16), {}, "2-D"),
    (np.zeros((0, 4)), {}, "non-empty"),
    (np.array([["a", "b"]]), {}, "real"),
    (np.zeros((4, 4), complex), {}, "real"),
    (np.zeros((4, 4)), {"kind": "rainbow"}, "colour map"),
    (np.zeros((4, 4)), {"lim": 0}, "lim"),
    (np.zeros((4, 4)), {"lim": -1.0}, "lim"),
    (np.zeros((4, 4)), {"lim": float("nan")}, "lim"),
    (np.zeros((4, 4)), {"lim": "big"}, "lim"),
    (np.zeros((4, 4)), {"cell": (0, 4)}, "positive"),
    (np.zeros((4, 4)), {"cell": (1,)}, "cell"),
    (np.zeros((4, 4)), {"t": 0}, "t must be"),
    (np.zeros((4, 4)), {"t": 5}, "t must be"),
    (np.zeros((4, 4)), {"t": 1.5}, "t must be"),
    (np.zeros((4, 4)), {"t": True}, "t must be"),
    (np.zeros((4, 4)), {"settled": 9}, "settled must be"),
    (np.zeros((4, 4)), {"row_ids": np.arange(5)}, "row_ids"),
    (np.zeros((4, 4)), {"row_ids": np.ones(4) * 0.5}, "row_ids"),
    (np.zeros((4, 4)), {"row_names": ["a", "b"]}, "row_names"),
    (np.zeros((4, 4)), {"row_names": "abcd"}, "row_names"),
])
def test_heat_value_bad_inputs_raise(values, kwargs, match):
    kwargs = {"kind": "diverging", "lim": 1.0, "cell": (1, 4), **kwargs}
    with pytest.raises(ValueError, match=match):
        heat_value(values, **kwargs)


def test_js_colour_tables_are_render_luts():
    """heatmap.js draws "heat-v2" values with its own copy of render._lut: the copy must not drift
    (after changing the colour maps: python -m demo.ui_heatmap rewrites it)."""
    from demo import ui_heatmap
    js = (ui_heatmap.HERE / "heatmap.js").read_text(encoding="utf-8")
    block = js[js.index(ui_heatmap.LUT_BEGIN):js.index(ui_heatmap.LUT_END)]
    for kind in ("diverging", "sequential"):
        m = re.search(rf"\b{kind}: new Uint8Array\(\[([^\]]*)\]\)", block)
        assert m, kind
        table = np.array([int(x) for x in m.group(1).replace(",", " ").split()]).reshape(-1, 3)
        np.testing.assert_array_equal(table, render._lut(kind), err_msg=kind)
        assert table.shape == (render.LUT_SIZE, 3)
    assert ui_heatmap.lut_js() in js
    assert "LUT_LAST = 256" in js and render.LUT_SIZE == 257


# ---------------------------------------------------------------------------------------------
# The component in a browser

try:
    from playwright.sync_api import expect
except ImportError:  # the browser tests below are skipped then (needs_browser)
    expect = None
from conftest import MISSING, NO_BROWSER, wait_reachable

TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1000, "height": 900}
needs_browser = pytest.mark.skipif(NO_BROWSER, reason=f"browser tests skipped: {MISSING}")

ORDER = np.roll(np.arange(128), 5)
STREAMED = 10  # rows shown in a custom order: row k is unit (k - 5) % 128
FORMATS = ["heat-v1", "heat-v2"]
PIC = {"heat-v1": "#hm img.rl-heat-img", "heat-v2": "#hm canvas.rl-heat-canvas"}  # what shows the picture

# Two more "heat-v2" maps, to check the page draws what render.py would: a classes x steps
# confidence map (row names, wide cells framed at t, the settled step) and a units map with
# another range (values beyond it clipped) and the settled line among the dimmed steps.
PROBS = np.random.default_rng(3).dirichlet(np.ones(10) * 0.5, size=28).T.astype(np.float32)  # (10, 28)
EXTRA = {
    "hc": dict(values=PROBS, kind="sequential", lim=1.0, cell=(10, 6), t=5, settled=9, row_label="class",
               what="p", row_names=[str(k) for k in range(10)]),
    "hl": dict(values=known_values(32, 20), kind="diverging", lim=0.5, cell=(2, 8), t=3, settled=7, what="z",
               legend=True),
}


def extra_value(name):
    kw = dict(EXTRA[name])
    return heat_value(kw.pop("values"), kw.pop("kind"), kw.pop("lim"), kw.pop("cell"), **kw)


def reference_picture(value) -> np.ndarray:
    """What render.py draws for a "heat-v2" value (from its float16 numbers, as the page has them)."""
    vals = decode_hover_values(value)
    kind, lim, cell = value["cmap"], value["lim"], (value["cell_h"], value["cell_w"])
    img = render.heatmap(vals, kind, lim, cell, t=value["t"], settled=value["settled"], dim_future=value["dim_future"])
    if value["row_names"]:
        img = render.label_rows(img, value["row_names"], value["top"], value["cell_h"], width=value["left"],
                                size=value["font"])
    if value["legend"]:
        img = render.with_legend(img, kind, lim, value["what"])
    return img


@pytest.fixture(scope="module", params=FORMATS)
def app(request):
    import gradio as gr
    from conftest import free_port

    from demo.ui_heatmap import hover_heatmap

    fmt = request.param

    def make(w, t):
        if fmt == "heat-v1":
            return hover_value(picture(w, t=t), w, STRIP, CELL, row_ids=ORDER)
        return heat_value(w, "diverging", 1.0, CELL, t=t, row_ids=ORDER)

    v = known_values()
    shown = v[ORDER]
    first = make(shown, 12)
    later = make(-shown, 20)
    picks = []

    def streamed():
        """Ten values in quick succession, as while someone draws: cell (0, 0) holds k / 10."""
        for k in range(1, STREAMED + 1):
            w = shown.copy()
            w[0, 0] = k / 10
            yield make(w, k)
            time.sleep(0.05)

    def pick(evt: gr.SelectData):
        picks.append((evt.index, evt.value))
        unit, step = evt.index
        return f"unit {unit} step {step} value {evt.value:+.3f}"

    def pick_class(evt: gr.SelectData):
        picks.append((evt.index, evt.value))
        return f"class {evt.index[0]} step {evt.index[1]} value {evt.value:+.3f}"

    with gr.Blocks() as demo:
        with gr.Row():
            hmap = hover_heatmap("h: units × steps", elem_id="hm", value=first)
            with gr.Column():
                out = gr.Textbox(label="Picked", elem_id="picked")
                flip = gr.Button("Flip", elem_id="flip")
                clear = gr.Button("Clear", elem_id="clear")
                stream = gr.Button("Stream", elem_id="stream")
        extra = {name: hover_heatmap(name, elem_id=name, value=extra_value(name)) for name in EXTRA}
        hmap.select(pick, None, out)
        extra["hc"].select(pick_class, None, out)
        flip.click(lambda: gr.update(value=later, label="h after the flip"), None, hmap)
        stream.click(streamed, None, hmap, show_progress="hidden")
        clear.click(lambda: None, None, hmap)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True,
                            head=ui_heatmap.HEAD)
    try:
        yield SimpleNamespace(url=url, picks=picks, values=v, first=first, fmt=fmt, pic=PIC[fmt])
    finally:
        demo.close()


def open_page(browser, app, **context):
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page.goto(app.url)
    expect(page.locator("#hm .rl-heat[data-ready=true]")).to_be_attached()
    if app.fmt == "heat-v1":
        page.wait_for_function("() => { const i = document.querySelector('#hm img.rl-heat-img');"
                               " return i && i.complete && i.naturalWidth > 0; }")
    else:
        page.wait_for_function("() => document.querySelector('#hm .rl-heat').rlHeat.draws() >= 1")
    expect(page.locator(app.pic)).to_be_visible()
    other = PIC["heat-v2" if app.fmt == "heat-v1" else "heat-v1"]
    expect(page.locator(other)).to_be_hidden()
    b = page.locator("#hm .rl-heat-frame").bounding_box()  # the hover tests point at it by px
    wait_reachable(page, b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, "#hm .rl-heat-frame")
    return page


def picture_of(page, app) -> str:
    """What the picture shows now: the <img>'s src, or the canvas's pixels as a PNG data URL."""
    if app.fmt == "heat-v1":
        return page.locator(app.pic).get_attribute("src")
    return page.locator(app.pic).evaluate("c => c.toDataURL()")


def canvas_pixels(page, elem_id) -> np.ndarray:
    """The backing store of a heatmap's canvas, read back: (H, W, 4) uint8."""
    got = page.locator(f"#{elem_id} canvas.rl-heat-canvas").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);"
        " let s = ''; for (let i = 0; i < d.data.length; i++) s += String.fromCharCode(d.data[i]);"
        " return [c.width, c.height, btoa(s)]; }")
    w, h, b64 = got
    return np.frombuffer(base64.b64decode(b64), np.uint8).reshape(h, w, 4)


def cell_centre(page, row: int, col: int, elem_id="hm", value=None):
    """Screen px of the centre of grid cell (row, col) (0-based, as displayed)."""
    b = page.locator(f"#{elem_id} .rl-heat-frame").bounding_box()
    if value is None:
        ch, cw, top, left, width, height = *CELL, STRIP, 0, 150, STRIP + 128 + 26
    else:
        ch, cw, top, left = value["cell_h"], value["cell_w"], value["top"], value["left"]
        width, height = value["width"], value["height"]
    sx, sy = b["width"] / width, b["height"] / height
    return b["x"] + (left + (col + 0.5) * cw) * sx, b["y"] + (top + (row + 0.5) * ch) * sy


def screenshot(page, name):
    folder = os.environ.get("RNN_LENS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / name, full_page=True)


@needs_browser
def test_hover_names_the_cell_and_click_selects_it(browser, app):
    page = open_page(browser, app, viewport=DESKTOP)
    try:
        frame = page.locator("#hm .rl-heat-frame")
        box = frame.bounding_box()
        assert 150 < box["width"] <= 450 + 0.5  # scaled up, at most 3x
        pic = page.locator(app.pic)
        assert pic.evaluate("i => getComputedStyle(i).imageRendering") == "pixelated"
        pb = pic.bounding_box()
        assert abs(pb["width"] - box["width"]) < 1 and abs(pb["height"] - box["height"]) < 1.5  # fills the frame
        expect(page.locator("#hm .rl-heat-label")).to_have_text("h: units × steps")

        row, col = 42, 11                    # displayed row 42 is unit 37; column 11 is step 12
        unit, step = int(ORDER[row]), col + 1
        assert unit == 37
        want = app.values[unit, col]
        page.mouse.move(*cell_centre(page, row, col))
        tip = page.locator("#hm .rl-heat-tip")
        expect(tip).to_be_visible()
        sign = "+" if want >= 0 else "\u2212"
        expect(tip).to_have_text(f"unit 37 · step 12 · h = {sign}{abs(want):.3f}")
        band = page.locator("#hm .rl-heat-row")
        expect(band).to_be_visible()
        bb = band.bounding_box()
        y = cell_centre(page, row, col)[1]
        assert bb["y"] - 1 <= y <= bb["y"] + bb["height"] + 1 and bb["width"] > 0.9 * box["width"] * 112 / 150
        screenshot(page, f"heatmap_hover_{app.fmt}.png")

        page.mouse.click(*cell_centre(page, row, col))
        expect(page.locator("#picked textarea")).to_have_value(re.compile(r"^unit 37 step 12 value "))
        index, value = app.picks[-1]
        assert list(index) == [37, 12] and abs(value - want) < 2e-3

        page.mouse.move(box["x"] + 2, box["y"] + 1)  # the step strip: not a cell
        expect(tip).to_be_hidden()
        page.mouse.move(box["x"] + box["width"] + 40, box["y"] + 40)
        expect(band).to_be_hidden()

        # A new value from Python swaps the picture and numbers without rebuilding the component.
        root = page.locator("#hm .rl-heat")
        pic.evaluate("e => { e.dataset.mark = 'same'; }")
        old_pic = picture_of(page, app)
        page.locator("#flip").click()
        page.wait_for_function("() => document.querySelector('#hm .rl-heat').rlHeat.updates() >= 2")
        assert pic.get_attribute("data-mark") == "same"  # the same <img> / <canvas> element
        assert picture_of(page, app) != old_pic
        page.mouse.move(*cell_centre(page, row, col))
        expect(tip).to_have_text(f"unit 37 · step 12 · h = {'+' if -want >= 0 else chr(0x2212)}{abs(want):.3f}")
        assert root.evaluate("e => e.rlHeat.at(42, 11)") == pytest.approx(-want, abs=2e-3)
        expect(page.locator("#hm .rl-heat-label")).to_have_text("h after the flip")  # gr.update(label=...)

        # Values streamed in quick succession: each one reaches the page, the last one stays.
        n0 = root.evaluate("e => e.rlHeat.updates()")
        page.locator("#stream").click()
        page.wait_for_function("() => Math.abs(document.querySelector('#hm .rl-heat').rlHeat.at(0, 0) - 1) < 1e-3")
        n = root.evaluate("e => e.rlHeat.updates()") - n0
        print(f"\nstreamed ({app.fmt}): {n} of {STREAMED} values shown")
        assert n >= STREAMED // 2
        time.sleep(0.5)
        assert root.evaluate("e => e.rlHeat.at(0, 0)") == pytest.approx(1.0, abs=1e-3)
        assert pic.get_attribute("data-mark") == "same"
        if app.fmt == "heat-v2":  # the last streamed value drawn: cell (0, 0) = 1.0 is dark red
            px = canvas_pixels(page, "hm")[STRIP, 0, :3]
            assert list(px) == list(render.colorize(np.float32(1.0), "diverging", 1.0))

        page.locator("#clear").click()  # None: nothing shown
        expect(root).to_have_class(re.compile(r"\bis-empty\b"))
        expect(frame).to_be_hidden()
    finally:
        page.context.close()


@needs_browser
def test_fits_a_phone_and_a_tap_selects(browser, app):
    page = open_page(browser, app, viewport=PHONE, device_scale_factor=3, has_touch=True, is_mobile=True)
    try:
        for sel in ("#hm", "#hm .rl-heat", "#hm .rl-heat-frame", app.pic, "#hc .rl-heat-frame", "#hl .rl-heat-frame"):
            b = page.locator(sel).bounding_box()
            assert b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"] + 0.5, (sel, b)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        row, col = 100, 27
        x, y = cell_centre(page, row, col)
        page.touchscreen.tap(x, y)
        unit = int(ORDER[row])
        tip = page.locator("#hm .rl-heat-tip")
        expect(tip).to_contain_text(f"unit {unit} · step 28 · h = ")
        tb = tip.bounding_box()
        assert tb["x"] >= 0 and tb["x"] + tb["width"] <= PHONE["width"] + 0.5  # the tooltip stays on screen
        expect(page.locator("#picked textarea")).to_have_value(re.compile(rf"^unit {unit} step 28 value "))
        screenshot(page, f"heatmap_phone_{app.fmt}.png")
    finally:
        page.context.close()


@needs_browser
@pytest.mark.parametrize("app", ["heat-v2"], indirect=True)
def test_canvas_draws_what_render_draws(browser, app):
    """A "heat-v2" value, drawn by the page: every pixel of the cells, the step strip, the dimmed
    steps, the settled line and the legend's ramp is the one render.py would put in the PNG (the
    text is the browser's own font, so the gutter and the legend's labels are only checked to be
    there); hover and click name the class and step."""
    assert app.fmt == "heat-v2"
    page = open_page(browser, app, viewport=DESKTOP)
    try:
        values = {"hm": app.first, **{name: extra_value(name) for name in EXTRA}}
        for name, value in values.items():
            got = canvas_pixels(page, name)
            want = reference_picture(value)
            assert got.shape[:2] == want.shape[:2] == (value["height"], value["width"]), name
            assert (got[..., 3] == 255).all(), name
            rgb = got[..., :3]
            left, lg = value["left"], value["legend"]
            text_top = lg["top"] + lg["ramp"] if lg else value["height"]
            drawn = rgb[:text_top, left:]  # all but the gutter's names and the legend's labels
            bad = np.argwhere((drawn != want[:text_top, left:]).any(axis=2))
            assert bad.size == 0, f"{name}: {len(bad)} pixels differ, first at (y, x - left) {bad[:3].tolist()}"
            # Spelled out: a cell before t is render.colorize of its (float16) number...
            vals = decode_hover_values(value)
            ch, cw, top, t = value["cell_h"], value["cell_w"], value["top"], value["t"]
            r, c = value["rows"] // 3, t - 2
            colour = render.colorize(vals[r, c], value["cmap"], value["lim"])
            assert np.array_equal(rgb[top + r * ch, left + c * cw + 1], colour), name
            # ... the strip is orange at step t (and grey elsewhere); a later cell is dimmed toward grey.
            assert np.array_equal(rgb[0, left + (t - 1) * cw], render.ACCENT), name
            assert np.array_equal(rgb[0, left + (t + 1) * cw], render.GUTTER), name
            later = render.colorize(vals[r, t + 1], value["cmap"], value["lim"])[None]
            assert np.array_equal(rgb[top + r * ch, left + (t + 1) * cw + 1], render._dim(later)[0]), name
            if value["settled"]:
                assert np.array_equal(rgb[STRIP - 1, left + (value["settled"] - 1) * cw], render.SETTLED), name
            if value["row_names"]:  # white names on the grey gutter
                assert (rgb[top:top + value["rows"] * ch, :left].min(axis=2) > 200).any(), name
            if lg:
                assert (rgb[text_top:, :].min(axis=2) > 200).any(), name
        screenshot(page, "heatmap_canvas.png")

        # Hover and click on the confidence map: rows are classes, the names sit in the gutter.
        value = values["hc"]
        page.locator("#hc").scroll_into_view_if_needed()
        row, col = 3, 4
        want = float(decode_hover_values(value)[row, col])
        page.mouse.move(*cell_centre(page, row, col, "hc", value))
        expect(page.locator("#hc .rl-heat-tip")).to_have_text(f"class 3 · step 5 · p = +{want:.3f}")
        gutter = cell_centre(page, row, -1, "hc", value)  # the name "3": not a cell
        page.mouse.move(gutter[0], gutter[1])
        expect(page.locator("#hc .rl-heat-tip")).to_be_hidden()
        page.mouse.click(*cell_centre(page, row, col, "hc", value))
        expect(page.locator("#picked textarea")).to_have_value(re.compile(r"^class 3 step 5 value "))
        index, got = app.picks[-1]
        assert list(index) == [3, 5] and abs(got - want) < 1e-6
    finally:
        page.context.close()
