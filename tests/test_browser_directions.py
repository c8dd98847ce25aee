"""The Digits tab's networks that read the digit both ways (the BiLSTM), end to end in a real
browser (Playwright + Debian's chromium, as tests/test_browser.py): picking the BiLSTM shows each
direction's maps under its heading, the step slider moves both reading heads (the input view's two
marked rows, the maps' step marks), the hover names the row a backward step read, the compare
row has every model, and a one-way model hides the backward maps again; on a 390x844 phone the
BiLSTM's views stack and fit the screen.

    .venv/bin/python -m pytest -q tests/test_browser_directions.py
    RNN_LENS_SCREENSHOTS=docs .venv/bin/python -m pytest -q tests/test_browser_directions.py  # README images
"""
import base64
import re

import numpy as np
import pytest

from conftest import screenshot_on_failure, skip_without_browser

from demo import render
from demo.digits.controls import MODEL_NAMES

skip_without_browser("browser tests")
from playwright.sync_api import expect  # noqa: E402  (after the skip: it may not be installed)
from test_browser import (PHONE, draw, drawn_input, page, phone, predicted, readme_screenshot,  # noqa: E402,F401
                          set_slider)
from test_pad_browser import wait_idle  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")
SLIDER = "Step t: rows read so far"
BACKWARD_MAPS = ["#digit-h-backward", *(f"#digit-panel-{k}-backward" for k in range(5))]   # h, i, f, g, o, c


def pick(page, name: str) -> None:
    """Choose a model with the picker, and wait for its answer."""
    page.locator(f"#digit-model input[value='{name}']").check()
    wait_idle(page)


def caption(page):
    return page.locator("#digit-caption")


def heat(page, selector: str) -> dict:
    """The value a heatmap shows (its rlHeat view), or None."""
    return page.evaluate("(sel) => { const r = document.querySelector(sel + ' .rl-heat');"
                         " return r && r.rlHeat ? r.rlHeat.value() : null; }", selector)


def expect_both_directions(page) -> None:
    """Each direction's maps under its heading, titled with its reading direction."""
    expect(page.locator("#digit-dir-forward")).to_contain_text("forward · reads rows 1→28")
    expect(page.locator("#digit-dir-backward")).to_contain_text("backward · reads rows 28→1")
    for sel in ("#digit-h", *(f"#digit-panel-{k}" for k in range(5))):
        expect(page.locator(f"{sel} canvas")).to_be_visible()
        expect(page.locator(f"{sel} .rl-heat-label")).to_contain_text("forward · reads rows 1→28")
    for sel in BACKWARD_MAPS:
        expect(page.locator(f"{sel} canvas")).to_be_visible()
        expect(page.locator(f"{sel} .rl-heat-label")).to_contain_text("backward · reads rows 28→1")
    # forward above backward, one group under the other
    assert page.locator("#digit-h").bounding_box()["y"] < page.locator("#digit-dir-backward").bounding_box()["y"] \
        < page.locator("#digit-h-backward").bounding_box()["y"]
    expect(page.locator("#digit-confidence-note")).to_contain_text("Reading both ways")


def expect_heads_at(page, t: int) -> None:
    """Step t: the caption, the input view's two heads (pixel for pixel render.digit_image's) with
    their legend, and the step marks of both directions' maps."""
    back = 29 - t
    expect(caption(page)).to_contain_text(f"Step {t} of 28: forward at row {t}, backward at row {back}.")
    page.wait_for_function("(t) => document.querySelector('#digit-rows .rl-digit').rlDigit.value().t === t", arg=t)
    value, got = drawn_input(page, "#digit-rows")
    assert (value["t"], value["back"]) == (t, back)
    g8 = np.frombuffer(base64.b64decode(value["ink"]), np.uint8).reshape(value["height"], value["width"])
    want = render.digit_image((g8 + 0.5) / 255, value["scale"], t=t, back=back)
    assert got.shape == want.shape and (got == want).all(), np.argwhere((got != want).any(axis=2))[:3]
    legend = page.locator("#digit-rows .rl-digit-legend")
    expect(legend).to_contain_text(f"forward head: row {t}")
    expect(legend).to_contain_text(f"backward head: row {back}")
    page.wait_for_function("(t) => { const r = document.querySelector('#digit-h-backward .rl-heat');"
                           " return r.rlHeat.value() && r.rlHeat.value().t === t; }", arg=t)
    forward, backward = heat(page, "#digit-h"), heat(page, "#digit-h-backward")
    assert forward["t"] == backward["t"] == t and backward["accent"] == render.BACK_ACCENT.tolist()
    assert forward["rows"] == backward["rows"] == 128 and backward["row_ids"][0] >= 128   # units 128..255


def click_backward_unit(page, row: int, step: int) -> None:
    """The tooltip of the backward h map names the row its step read (step s: row 29 - s); a click
    opens that unit (numbered 128 + row: units 0..127 are the forward direction's)."""
    img = page.locator("#digit-h-backward canvas")
    img.scroll_into_view_if_needed()
    box = img.bounding_box()
    scale = box["width"] / float(img.evaluate("c => c.width"))
    x, y = box["x"] + (4 * (step - 1) + 2) * scale, box["y"] + (6 + row + 0.5) * scale   # UNIT_CELL (1, 4)
    page.mouse.move(x, y)
    expect(page.locator("#digit-h-backward .rl-heat-tip")).to_have_text(
        re.compile(rf"^unit {128 + row} · step {step} · row {29 - step} · h = [+−]\d"))
    page.mouse.click(x, y)
    expect(page.locator("#digit-unit input")).to_have_value(str(128 + row))
    expect(page.get_by_text(f"is backward unit {row} (it reads rows 28→1)")).to_be_visible()


@screenshot_on_failure
def test_the_bilstm_shows_both_reading_directions(page, tmp_path):
    draw(page, 7)
    expect(predicted(page)).to_have_text("7")
    for sel in BACKWARD_MAPS:                               # a one-way model: no backward maps
        expect(page.locator(sel)).to_be_hidden()
    pick(page, "bilstm")
    expect_both_directions(page)
    expect_heads_at(page, 28)
    set_slider(page, SLIDER, 9)                             # the slider moves both heads
    expect_heads_at(page, 9)
    click_backward_unit(page, 10, 5)
    compare = page.locator("#digit-compare .rl-heat:not(.is-empty) canvas")
    expect(compare).to_have_count(len(MODEL_NAMES))        # every model on this drawing
    for name in MODEL_NAMES:
        expect(page.locator(f"#digit-compare-{name} canvas")).to_be_visible()
    expect(page.locator("#row-influence .rl-inf-cell")).to_have_count(len(MODEL_NAMES))
    page.evaluate("window.scrollTo(0, 0)")
    readme_screenshot(page, "digits_bilstm.png", below=page.locator("#sec-row-by-row"),
                      cut_above=page.get_by_role("heading", name="Why?"))
    pick(page, "lstm")                                      # one way again: as before
    expect(caption(page)).to_contain_text("Row 9 of 28.")
    for sel in (*BACKWARD_MAPS, "#digit-dir-forward", "#digit-dir-backward", "#digit-confidence-note"):
        expect(page.locator(sel)).to_be_hidden()
    assert drawn_input(page, "#digit-rows")[0]["back"] is None


@screenshot_on_failure
def test_phone_bilstm_views_stack_and_fit(phone, tmp_path):
    page = phone
    pick(page, "bilstm")
    page.evaluate("window.scrollTo(0, 0)")                  # the pad on the screen, for the finger
    draw(page, 7, touch=True)
    expect_both_directions(page)
    set_slider(page, SLIDER, 9)
    expect(caption(page)).to_contain_text("Step 9 of 28: forward at row 9, backward at row 20.")
    wide = page.evaluate("""(w) => [...document.querySelectorAll('img, canvas, .block')]
        .filter(e => e.getBoundingClientRect().width > w + 1 && e.offsetParent !== null)
        .map(e => e.className || e.tagName)""", PHONE["width"])
    assert not wide, wide
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    # one under the other, in reading order, none squeezed: both directions' maps, then every model
    views = ["#digit-rows canvas", "#digit-confidence canvas", "#digit-h canvas", "#digit-panel-4 canvas",
             "#digit-h-backward canvas", "#digit-panel-4-backward canvas",
             *(f"#digit-compare-{n} canvas" for n in MODEL_NAMES)]
    boxes = [page.locator(v).bounding_box() for v in views]
    narrow = {v: b["width"] for v, b in zip(views, boxes) if b["width"] < 0.6 * PHONE["width"]}
    assert not narrow, narrow
    assert all(a["y"] + a["height"] <= b["y"] + 1 for a, b in zip(boxes, boxes[1:])), boxes
    page.locator("#sec-row-by-row").scroll_into_view_if_needed()
    readme_screenshot(page, "digits_bilstm_phone.png", below=page.locator("#sec-row-by-row"),
                      width=PHONE["width"], max_height=2400)
    # the language switch: every map keeps its direction, in Chinese (the words follow the views)
    page.locator("#lang-switch").get_by_text("简体中文").click()
    expect(caption(page)).to_contain_text("第 9 步，共 28 步：正向在第 9 行，反向在第 20 行。")
    forward, backward = "正向 · 读取第 1→28 行", "反向 · 读取第 28→1 行"
    for sel, way in (("#digit-h", forward), ("#digit-panel-1", forward), ("#digit-h-backward", backward),
                     ("#digit-panel-1-backward", backward)):
        expect(page.locator(f"{sel} .rl-heat-label")).to_contain_text(way)
    expect(page.locator("#digit-rows .rl-digit-legend")).to_contain_text("反向读取头：第 20 行")
