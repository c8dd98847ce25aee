"""The hoverable heatmap: ``demo.render.hover_value`` (the "heat-v1" value: the PNG, the grid, the
float16 values and the row ids; bad shapes raise ValueError), and ``demo.ui_heatmap.hover_heatmap``
in a real browser (Playwright drives Debian's chromium against a tiny gr.Blocks): hovering a cell
names it, clicking one sends a select event whose ``index`` is ``[unit, step]``, a new value
updates the picture without rebuilding the component, and on a 390x844 phone the heatmap is no
wider than the screen.

    .venv/bin/python -m pytest -q tests/test_heatmap.py
    RNN_LENS_SCREENSHOTS=docs .venv/bin/python -m pytest -q tests/test_heatmap.py  # images

Without chromium (or playwright) the browser tests are skipped, except when CI is set, where
they fail.
"""
import base64
import io
import os
import re
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from demo import render
from demo.render import STRIP, decode_hover_values, hover_value

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
    assert out["row_ids"] == list(range(128)) and out["first_col"] == 1
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
    assert "trigger(\"select\"" in h.js_on_load
    with pytest.raises(ValueError, match="must not contain"):
        hover_heatmap("costs ${price}")
    with pytest.raises(ValueError, match="height"):
        hover_heatmap("h", height=2)


# ---------------------------------------------------------------------------------------------
# The component in a browser

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    sync_playwright = None

IN_CI = bool(os.environ.get("CI"))
TIMEOUT_MS = 30_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1000, "height": 900}


def find_chromium():
    override = os.environ.get("RNN_LENS_CHROMIUM")
    if override:
        return shutil.which(override)
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM = find_chromium() if sync_playwright else None
MISSING = ("playwright is not installed: .venv/bin/pip install -r requirements-dev.txt" if sync_playwright is None
           else "no chromium: apt-get install chromium")
needs_browser = pytest.mark.skipif(CHROMIUM is None and not IN_CI, reason=f"browser tests skipped: {MISSING}")

ORDER = np.roll(np.arange(128), 5)
STREAMED = 10  # rows shown in a custom order: row k is unit (k - 5) % 128


@pytest.fixture(scope="module")
def app():
    import gradio as gr
    from conftest import free_port

    from demo.ui_heatmap import hover_heatmap

    v = known_values()
    shown = v[ORDER]
    first = hover_value(picture(shown), shown, STRIP, CELL, row_ids=ORDER)
    later = hover_value(picture(-shown, t=20), -shown, STRIP, CELL, row_ids=ORDER)
    picks = []

    def streamed():
        """Ten values in quick succession, as while someone draws: cell (0, 0) holds k / 10."""
        for k in range(1, STREAMED + 1):
            w = shown.copy()
            w[0, 0] = k / 10
            yield hover_value(picture(w, t=k), w, STRIP, CELL, row_ids=ORDER)
            time.sleep(0.05)

    def pick(evt: gr.SelectData):
        picks.append((evt.index, evt.value))
        unit, step = evt.index
        return f"unit {unit} step {step} value {evt.value:+.3f}"

    with gr.Blocks() as demo:
        with gr.Row():
            hmap = hover_heatmap("h: units × steps", elem_id="hm", value=first)
            with gr.Column():
                out = gr.Textbox(label="Picked", elem_id="picked")
                flip = gr.Button("Flip", elem_id="flip")
                clear = gr.Button("Clear", elem_id="clear")
                stream = gr.Button("Stream", elem_id="stream")
        hmap.select(pick, None, out)
        flip.click(lambda: gr.update(value=later, label="h after the flip"), None, hmap)
        stream.click(streamed, None, hmap, show_progress="hidden")
        clear.click(lambda: None, None, hmap)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield SimpleNamespace(url=url, picks=picks, values=v, first=first)
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail(MISSING, pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, app, **context):
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page.goto(app.url)
    expect(page.locator("#hm .rl-heat[data-ready=true]")).to_be_attached()
    page.wait_for_function("() => { const i = document.querySelector('#hm img.rl-heat-img');"
                           " return i && i.complete && i.naturalWidth > 0; }")
    return page


def cell_centre(page, row: int, col: int):
    """Screen px of the centre of grid cell (row, col) (0-based, as displayed)."""
    b = page.locator("#hm .rl-heat-frame").bounding_box()
    ch, cw = CELL
    sx, sy = b["width"] / 150, b["height"] / (STRIP + 128 + 26)
    return b["x"] + (col + 0.5) * cw * sx, b["y"] + (STRIP + (row + 0.5) * ch) * sy


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
        assert page.locator("#hm img").evaluate("i => getComputedStyle(i).imageRendering") == "pixelated"
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
        screenshot(page, "heatmap_hover.png")

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
        page.evaluate("() => { document.querySelector('#hm img').dataset.mark = 'same'; }")
        old_src = page.locator("#hm img").get_attribute("src")
        page.locator("#flip").click()
        page.wait_for_function("() => document.querySelector('#hm .rl-heat').rlHeat.updates() >= 2")
        assert page.locator("#hm img").get_attribute("data-mark") == "same"  # the same <img> element
        assert page.locator("#hm img").get_attribute("src") != old_src
        page.mouse.move(*cell_centre(page, row, col))
        expect(tip).to_have_text(f"unit 37 · step 12 · h = {'+' if -want >= 0 else chr(0x2212)}{abs(want):.3f}")
        assert root.evaluate("e => e.rlHeat.at(42, 11)") == pytest.approx(-want, abs=2e-3)
        expect(page.locator("#hm .rl-heat-label")).to_have_text("h after the flip")  # gr.update(label=...)

        # Values streamed in quick succession: each one reaches the page, the last one stays.
        n0 = root.evaluate("e => e.rlHeat.updates()")
        page.locator("#stream").click()
        page.wait_for_function("() => Math.abs(document.querySelector('#hm .rl-heat').rlHeat.at(0, 0) - 1) < 1e-3")
        n = root.evaluate("e => e.rlHeat.updates()") - n0
        print(f"\nstreamed: {n} of {STREAMED} values shown")
        assert n >= STREAMED // 2
        time.sleep(0.5)
        assert root.evaluate("e => e.rlHeat.at(0, 0)") == pytest.approx(1.0, abs=1e-3)
        assert page.locator("#hm img").get_attribute("data-mark") == "same"

        page.locator("#clear").click()  # None: nothing shown
        expect(root).to_have_class(re.compile(r"\bis-empty\b"))
        expect(frame).to_be_hidden()
    finally:
        page.context.close()


@needs_browser
def test_fits_a_phone_and_a_tap_selects(browser, app):
    page = open_page(browser, app, viewport=PHONE, device_scale_factor=3, has_touch=True, is_mobile=True)
    try:
        for sel in ("#hm", "#hm .rl-heat", "#hm .rl-heat-frame", "#hm img"):
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
        screenshot(page, "heatmap_phone.png")
    finally:
        page.context.close()
