"""End to end in a real browser: Playwright drives Debian's chromium against the app served
in-process.  It draws 1, 4 and 7 on the drawing pad with the mouse and checks that the pad sends
its ink while the pen moves and that the prediction is right; moves the row-by-row step slider;
hovers and clicks a unit of the h map and ablates units ("Why?"); draws with touch on a 390x844
phone screen (the pad first, the prediction under it, nothing wider than the screen); streams text
on the Text tab and presses Stop, then checks the "See each step" views of a short generation.
The BiLSTM's two reading directions are tests/test_browser_directions.py.

    .venv/bin/python -m pytest -q tests/test_browser.py
    RNN_LENS_SCREENSHOTS=docs .venv/bin/python -m pytest -q tests/test_browser.py  # README images

Needs chromium (apt-get install chromium; RNN_LENS_CHROMIUM=/path overrides the search).  Without
it the module is skipped, except when CI is set, where it fails.  On a failure a full-page
screenshot goes to RNN_LENS_ARTIFACTS (default: the test's tmp_path) and the message names it.
"""
import base64
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import screenshot_on_failure, skip_without_browser

from demo import render
from demo.digits.controls import MODEL_NAMES
from demo.digits.pictures import EMPTY_MESSAGE
from demo.text.writer import Writer, WriterUnavailable
from demo.text import CharModel

skip_without_browser("browser tests")
from playwright.sync_api import expect  # noqa: E402  (after the skip: it may not be installed)
from test_pad_browser import mouse_stroke, touch_stroke, wait_idle  # noqa: E402  (tests/ is on sys.path)

ROOT = Path(__file__).resolve().parent.parent

TIMEOUT_MS = 30_000           # this machine is slow and busy: every wait is generous
VIEWPORT = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
LONG, SHORT = 5_000, 200      # characters: the longest the app allows (time to press Stop), a quick one
PACE = 0.001                  # s per sampled character in the Stop test: LONG takes 5 s or more
MAX_PNG = 600_000             # bytes per README screenshot
# gradio's own queue code warns about pandas deprecations on every event
pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")


# ---------------------------------------------------------------------------------------------
# Fixtures: one app and one browser for the module, a fresh page per test

@pytest.fixture
def page(browser, app_url):
    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_url)
    expect(page.locator("#digit-pad canvas")).to_be_visible()  # ready when the pad is there
    expect(page.locator("#digit-pad .rl-pad[data-ready=true]")).to_be_attached()  # and its JS runs
    yield page
    context.close()


def readme_screenshot(page, name: str, cut_above=None, below=None, width=VIEWPORT["width"],
                      max_height: int | None = None) -> None:
    """With RNN_LENS_SCREENSHOTS=folder, save a full-page PNG there for the README (from the
    locator `below`, down to just above `cut_above`, at most `max_height` px), at most MAX_PNG
    bytes: a palette first, which keeps the UI text sharp, then smaller if still too big."""
    folder = os.environ.get("RNN_LENS_SCREENSHOTS")
    if not folder:
        return
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    scroll = page.evaluate("window.scrollY")  # bounding boxes are in viewport coordinates
    y0 = below.bounding_box()["y"] + scroll - 8 if below is not None else 0
    y1 = cut_above.bounding_box()["y"] + scroll - 8 if cut_above is not None else page.evaluate(
        "document.documentElement.scrollHeight")
    if max_height:
        y1 = min(y1, y0 + max_height)
    page.screenshot(path=path, full_page=True, clip={"x": 0, "y": y0, "width": width, "height": y1 - y0})
    img = Image.open(path).convert("RGB")
    while path.stat().st_size > MAX_PNG:
        img.quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        img = img.resize((img.width * 9 // 10, img.height * 9 // 10), Image.Resampling.LANCZOS)


# ---------------------------------------------------------------------------------------------
# Digits tab helpers

def block(page, label: str):
    """The component whose block label reads `label` (gradio's labelled output boxes)."""
    return page.locator(".block").filter(has=page.get_by_test_id("block-label").filter(has_text=label))


# Strokes in units of the pad's side, from its centre (x right, y down): thick, centred,
# MNIST-like digits.  Each inner list is one press-drag-release.
DIGIT_STROKES = {
    1: [[(0.02, -0.33), (-0.02, 0.33)]],
    4: [[(-0.06, -0.33), (-0.24, 0.08), (0.22, 0.08)], [(0.1, -0.3), (0.1, 0.35)]],
    7: [[(-0.24, -0.3), (0.24, -0.3), (-0.04, 0.35)]],  # top bar, then the diagonal
}


def pad_requests(page) -> list:
    """Start recording the pad's requests (queue joins whose first input is an ink value);
    returns the list they are appended to, as (time, ink value)."""
    seen = []

    def on_request(request):
        if "/queue/join" in request.url:
            data = (json.loads(request.post_data or "{}").get("data") or [None])
            if isinstance(data[0], dict) and data[0].get("format") == "ink-v1":
                seen.append((time.monotonic(), data[0]))
    page.on("request", on_request)
    return seen


def draw(page, digit: int, touch: bool = False, settle: bool = True) -> float:
    """Draw `digit` with the mouse (or a finger) on the pad; returns the time the pen last lifted.
    ``settle``: then wait until the pad's events have all answered (``wait_idle``)."""
    t_up = 0.0
    for stroke in DIGIT_STROKES[digit]:
        t_up = (touch_stroke if touch else mouse_stroke)(page, stroke)
    if settle:
        wait_idle(page)
    return t_up


def drawn_input(page, selector):
    """An input view's value ("digit-v1") and its canvas's pixels, (H, W, 3) uint8."""
    value, size, flat = page.evaluate("""(sel) => {
        const root = document.querySelector(sel + ' .rl-digit'), c = root.querySelector('canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return [root.rlDigit.value(), [c.height, c.width], Array.from(d)];
    }""", selector)
    return value, np.array(flat, np.uint8).reshape(size[0], size[1], 4)[..., :3]


def predicted(page):
    return block(page, "Prediction after all 28 rows").get_by_test_id("label-output-value")


def clear_pad(page) -> None:
    page.locator('#digit-pad button[data-act="clear"]').click()
    # The cleared pad is analysed too: wait for its hint, so the next answer is the next digit's.
    expect(predicted(page)).to_have_count(0)
    expect(page.locator("#hint")).to_contain_text(EMPTY_MESSAGE)


def expect_loaded(img) -> None:
    """An <img> has loaded (gradio's images load lazily: scroll to it first)."""
    img.scroll_into_view_if_needed()
    expect(img).to_have_js_property("complete", True)


def step_caption(page):
    return page.locator("strong").filter(has_text=re.compile(r"^Row \d+ of 28\.$"))


def set_slider(page, label: str, value: int) -> None:
    """Type into a gr.Slider's number box, as a user would, and commit with Enter."""
    box = page.get_by_label(f"number input for {label}")
    box.fill(str(value))
    box.press("Enter")
    expect(page.get_by_label(f"range slider for {label}")).to_have_value(str(value))


# ---------------------------------------------------------------------------------------------
# Digits tab

@screenshot_on_failure
def test_drawn_digits_are_read_live(page, tmp_path):
    sent = pad_requests(page)
    for i, digit in enumerate((1, 4, 7)):
        if i:
            clear_pad(page)
        n0, t0 = len(sent), time.monotonic()
        t_up = draw(page, digit)
        expect(predicted(page)).to_have_text(str(digit))
        expect(page.locator("#hint")).to_be_hidden()
        during = [t for t, _ in sent[n0:] if t0 < t < t_up]
        # live: the pad sent its ink several times while the pen moved, not only at the end
        assert len(during) >= 3, (digit, len(during), len(sent) - n0)


@screenshot_on_failure
def test_step_slider_moves_the_views(page, tmp_path):
    draw(page, 7)
    expect(predicted(page)).to_have_text("7")
    caption = step_caption(page)
    expect(caption).to_have_text("Row 28 of 28.")
    assert drawn_input(page, "#digit-rows")[0]["t"] == 28

    set_slider(page, "Step t: rows read so far", 18)
    expect(caption).to_have_text("Row 18 of 28.")
    page.wait_for_function("() => document.querySelector('#digit-rows .rl-digit').rlDigit.value().t === 18")
    # the canvas holds render.digit_image's pixels: row 18 tinted and framed, the rows after it dimmed
    value, got = drawn_input(page, "#digit-rows")
    g8 = np.frombuffer(base64.b64decode(value["ink"]), np.uint8).reshape(value["height"], value["width"])
    want = render.digit_image((g8 + 0.5) / 255, value["scale"], t=18)
    assert got.shape == want.shape and (got == want).all(), np.argwhere((got != want).any(axis=2))[:3]
    seen, plain = drawn_input(page, "#digit-seen")   # what the model sees: the same input, no row marked
    assert seen["t"] is None and seen["ink"] == value["ink"]
    assert (plain == render.digit_image((g8 + 0.5) / 255, seen["scale"])).all()
    expect(block(page, "Class probabilities after row t").get_by_test_id("label-output-value")
           ).not_to_be_empty()
    # The keyboard on the range input works too: one row back.
    page.get_by_label("range slider for Step t: rows read so far").press("ArrowLeft")
    expect(caption).to_have_text("Row 17 of 28.")
    set_slider(page, "Step t: rows read so far", 18)
    expect(caption).to_have_text("Row 18 of 28.")
    for img in page.locator(".heat img").all():  # every view finished loading before the picture
        expect_loaded(img)
    page.evaluate("window.scrollTo(0, 0)")
    readme_screenshot(page, "digits.png", cut_above=page.get_by_role("heading", name="Why?"))


@screenshot_on_failure
def test_why_hover_click_a_unit_and_ablate_it(page, tmp_path):
    draw(page, 7)
    expect(predicted(page)).to_have_text("7")
    # Hover a cell of the h map: the tooltip names the unit, the step and the value.
    img = page.locator("#digit-h canvas")  # the browser draws the map from its numbers
    expect(img).to_be_visible()
    img.scroll_into_view_if_needed()
    box = img.bounding_box()
    scale = box["width"] / float(img.evaluate("c => c.width"))
    unit_row, step = 40, 20
    x = box["x"] + (4 * (step - 1) + 2) * scale            # UNIT_CELL: 1 px per unit, 4 px per step
    y = box["y"] + (6 + unit_row + 0.5) * scale            # below the 6 px step strip
    assert scale >= 2, scale                               # shown large enough to point at a unit
    page.mouse.move(x, y)
    tip = page.locator("#digit-h .rl-heat-tip")
    expect(tip).to_have_text(re.compile(rf"^unit {unit_row} · step {step} · h = [+−]\d"))
    # Click it: the unit's drill-down opens.
    page.mouse.click(x, y)
    expect(page.locator("#digit-unit input")).to_have_value(str(unit_row))
    expect(page.get_by_text(re.compile(rf"^Unit {unit_row}$"))).to_be_visible()
    expect_loaded(block(page, "Test digits that drive it highest").locator("img"))
    # Ablate the 20 units that support this answer most: the edited run shows beside the original.
    page.get_by_label("k", exact=True).fill("20")
    page.get_by_role("button", name="Ablate the top k for this digit").click()
    expect(page.locator("#digit-difference")).to_contain_text(re.compile(r"Ablating 20 units"))
    expect(block(page, "Edited run: prediction after row 28").get_by_test_id("label-output-value")
           ).not_to_be_empty()
    strips = page.locator("#row-influence .rl-inf-cell")
    expect(strips).to_have_count(len(MODEL_NAMES))       # every model, bars per row
    expect(strips.first.locator(".rl-inf-g")).to_have_count(28)
    expect(page.locator("#digit-trajectory circle.now")).to_have_count(1)
    page.get_by_role("heading", name="Why?").scroll_into_view_if_needed()
    readme_screenshot(page, "digits_why.png", below=page.get_by_role("heading", name="Why?"))


def plot_lines(page, elem_id: str):
    """The drawn lines of a gr.LinePlot (vega's SVG: one path per series in g.mark-line)."""
    return page.locator(f"#{elem_id} g.mark-line path")


@screenshot_on_failure
def test_the_language_switch_keeps_the_plots_drawn_and_names_their_columns(page, tmp_path):
    """After a drawing, the switch to 简体中文: the reading strip's steps, the plots' colour
    columns (legend titles) and axis titles are in Chinese, and every plot still draws its lines."""
    draw(page, 7)
    expect(predicted(page)).to_have_text("7")
    page.locator("#digit-unit-rows").scroll_into_view_if_needed()
    expect(plot_lines(page, "digit-unit-rows").first).to_be_attached()
    lines = {p: plot_lines(page, p).count() for p in ("digit-curves", "digit-unit-rows")}
    assert lines["digit-curves"] >= len(MODEL_NAMES) and lines["digit-unit-rows"] >= 5, lines   # the models; h, c, 4 gates
    expect(page.locator("#digit-reading")).to_contain_text("ink found")
    page.locator("#lang-switch").get_by_text("简体中文").click()
    expect(page.locator("#digit-reading")).to_contain_text("找到的笔迹")
    expect(page.locator("#digit-reading")).not_to_contain_text("ink found")
    for elem_id, legend, axis in (("digit-curves", "模型", "输入行"), ("digit-unit-rows", "状态", "取值")):
        svg = page.locator(f"#{elem_id} svg").first
        svg.scroll_into_view_if_needed()
        expect(svg).to_contain_text(legend)
        expect(svg).to_contain_text(axis)
        expect(plot_lines(page, elem_id)).to_have_count(lines[elem_id])   # still drawn, every series
        expect(svg).not_to_contain_text("state" if elem_id == "digit-unit-rows" else "cell")


@screenshot_on_failure
def test_examples_and_uploads_load_into_the_pad(page, tmp_path):
    # An example: it shows in the pad (as its picture) and is read.
    page.locator("button").filter(has=page.locator("img[src*='digit_4']")).first.click()
    expect(predicted(page)).to_have_text("4")
    expect(page.locator("#digit-pad .rl-pad")).not_to_have_class(re.compile(r"\bis-empty\b"))
    # An upload through the picture box: the same.
    seven = ROOT / "examples" / "digit_7.png"
    page.locator("#digit-picture input[type=file]").set_input_files(str(seven))
    expect(predicted(page)).to_have_text("7")
    # Strokes go on top of a loaded picture, and Clear empties the pad.
    clear_pad(page)


@pytest.fixture
def phone(browser, app_url):
    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(viewport=PHONE, device_scale_factor=3, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_url)
    expect(page.locator("#digit-pad canvas")).to_be_visible()
    expect(page.locator("#digit-pad .rl-pad[data-ready=true]")).to_be_attached()
    yield page
    context.close()


@screenshot_on_failure
def test_phone_pad_first_touch_drawing_and_no_wide_views(phone, tmp_path):
    page = phone
    pad = page.locator("#digit-pad canvas").bounding_box()
    assert pad["x"] >= 0 and pad["x"] + pad["width"] <= PHONE["width"], pad
    assert pad["y"] < PHONE["height"] / 2, pad  # the first thing on the page, under the tabs
    for other in page.locator(".block").all():  # nothing of the tab's own above it
        b = other.bounding_box()
        is_pad = other.get_attribute("id") == "digit-pad" or other.locator("#digit-pad").count()
        if b and b["height"] > 0 and other.is_visible() and not is_pad:
            assert b["y"] >= pad["y"] - 1 or b["y"] + b["height"] <= pad["y"] + 1, b
    draw(page, 7, touch=True)
    expect(predicted(page)).to_have_text("7")
    label = predicted(page).bounding_box()
    assert pad["y"] + pad["height"] < label["y"] < pad["y"] + pad["height"] + 260, (pad, label)
    # the pad, the answer and its confidence on the first screen, with the language switch and the
    # tour above them (stacked as on a desktop, they pushed the answer below the fold)
    top = page.locator("#digit-prediction meter").first.bounding_box()
    assert page.evaluate("window.scrollY") == 0 and top["y"] + top["height"] <= PHONE["height"], top
    assert page.locator("#lang-switch").bounding_box()["height"] < 60
    # every view fits the screen: no sideways scrolling, no element wider than the viewport
    wide = page.evaluate("""(w) => [...document.querySelectorAll('img, canvas, .block')]
        .filter(e => e.getBoundingClientRect().width > w + 1 && e.offsetParent !== null)
        .map(e => e.className || e.tagName)""", PHONE["width"])
    assert not wide, wide
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    # ... and none squeezed by its neighbours in a row: they stack, in reading order
    views = ["#digit-rows canvas", "#digit-probs", "#digit-confidence canvas", "#digit-h canvas",
             "#digit-panel-0 canvas", "#digit-compare-lstm canvas", "#digit-curves"]
    boxes = [page.locator(v).first.bounding_box() for v in views]
    narrow = {v: b["width"] for v, b in zip(views, boxes) if b["width"] < 0.6 * PHONE["width"]}
    assert not narrow, narrow
    assert all(a["y"] + a["height"] <= b["y"] + 1 for a, b in zip(boxes, boxes[1:])), boxes
    # the reading strip's label (two lines here) is above its pictures, not over them
    strip = page.locator("#digit-reading img").first
    strip.scroll_into_view_if_needed()
    label_box = page.locator("#digit-reading [data-testid='block-label']").bounding_box()
    assert label_box["y"] + label_box["height"] <= strip.bounding_box()["y"] + 1, (label_box, strip.bounding_box())
    readme_screenshot(page, "digits_phone.png", width=PHONE["width"], max_height=1800)


@screenshot_on_failure
def test_phone_text_tab_views_stack_and_no_field_is_red(phone, app_url, tmp_path):
    """The Text tab on a phone: no field drawn as an error before anyone typed (select and
    match's empty span), and the views that share a row on a desktop (the step caption and the
    heatmap; a unit's top contexts and its feature table) stack in reading order, each nearly as
    wide as the screen, none over another."""
    page = phone
    # as a new user tried it, in 简体中文, on Tiny Shakespeare (a Chinese page's default corpus is
    # 唐诗 once that model is here: tests/test_text_tang_browser.py)
    page.goto(app_url + "?tab=text&tcorpus=shakespeare&len=300&lang=zh-CN")
    page.locator("#text-generate").wait_for()
    for field in ("#text-span-start input", "#text-span-end input"):
        assert not page.locator(field).evaluate("e => e.matches(':out-of-range, :invalid, .validation-error')")
    page.locator("#text-generate").click()
    expect(page.locator("#text-unit-contexts table")).to_be_attached()
    for pair in (("#text-step-view", "#text-hmap"), ("#text-unit-contexts", "#text-unit-features")):
        a, b = (page.locator(v).first.bounding_box() for v in pair)
        assert min(a["width"], b["width"]) >= 0.6 * PHONE["width"], (pair, a, b)
        assert a["y"] + a["height"] <= b["y"] + 1, (pair, a, b)   # one under the other, in reading order
    wide = page.evaluate("""(w) => [...document.querySelectorAll('#tab-text img, #tab-text canvas, #tab-text .block')]
        .filter(e => e.getBoundingClientRect().width > w + 1 && e.offsetParent !== null)
        .map(e => e.id || e.className)""", PHONE["width"])
    assert not wide, wide
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.locator("#text-step-view").scroll_into_view_if_needed()
    readme_screenshot(page, "text_phone.png", below=page.locator("#text-generated"), width=PHONE["width"],
                      max_height=2400)


# Installed in the page: pen-down and pen-up times on the pad's canvas (capture phase, before
# the pad's own listeners) and every change of the final label's answer or confidences (the
# exact <meter> values, not the hidden status text), all stamped with performance.now().  One
# observer on the whole document: gradio may replace the label's DOM.
LABEL_CHANGES = r"""() => {
  const L = window.__labels = {down: [], up: [], changes: []};
  const canvas = document.querySelector('#digit-pad canvas');
  canvas.addEventListener('pointerdown', () => L.down.push(performance.now()), true);
  canvas.addEventListener('pointerup', () => L.up.push(performance.now()), true);
  const state = () => [...document.querySelectorAll(
      '#digit-prediction [data-testid="label-output-value"], #digit-prediction meter')]
    .map(e => e.tagName === 'METER' ? e.getAttribute('aria-label') + '=' + e.getAttribute('value') : e.textContent)
    .join(' ');
  let last = state();
  new MutationObserver(() => {
    const s = state();
    if (s !== last) { last = s; L.changes.push([performance.now(), s]); }
  }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


@screenshot_on_failure
def test_prediction_updates_during_one_long_stroke(page, tmp_path):
    page.evaluate(LABEL_CHANGES)
    for i, digit in enumerate((1, 4, 7)):
        if i:
            clear_pad(page)
        page.evaluate("() => { const L = window.__labels; L.down = []; L.up = []; L.changes = []; }")
        for stroke in DIGIT_STROKES[digit]:
            mouse_stroke(page, stroke, pace=0.05, step_px=12)  # slow strokes: 1 s or more each
        expect(predicted(page)).to_have_text(str(digit))  # the right digit once the pen has lifted
        rec = page.evaluate("window.__labels")
        assert len(rec["down"]) == len(rec["up"]) == len(DIGIT_STROKES[digit]), rec
        # new confidences that arrived while one stroke was still being drawn (the longest count)
        during = [sum(down < t < up for t, _ in rec["changes"]) for down, up in zip(rec["down"], rec["up"])]
        strokes_s = [round((up - down) / 1000, 2) for down, up in zip(rec["down"], rec["up"])]
        after = [round(t - rec["up"][-1]) for t, _ in rec["changes"] if t > rec["up"][-1]]
        print(f"\n{digit}: prediction updates during each stroke {during} (strokes {strokes_s} s); "
              f"after the pen lifted at +{after} ms")
        assert max(during) >= 2, (digit, during, strokes_s)
        # the label's final state shows the digit, and nothing changed it after it settled
        assert rec["changes"] and rec["changes"][-1][1].split(" ")[0] == str(digit), rec["changes"][-1:]


# ---------------------------------------------------------------------------------------------
# Text tab

def open_text_tab(page):
    """Click the Text tab; returns the generated-text box.  One click: the page's load answer
    selects a tab only when the link names one, so it cannot switch back to Digits after it."""
    out = page.locator("label").filter(has_text="Generated text").locator("textarea")
    page.get_by_role("tab", name="Text").click()
    expect(out).to_be_visible()
    return out


def generate(page, length: int) -> None:
    page.get_by_label("Length", exact=True).fill(str(length))
    page.get_by_role("button", name="Generate", exact=True).click()


@pytest.fixture
def paced_sampling(monkeypatch):
    """The app runs in this process: slow its sampling to at most 1/PACE characters per second.
    Idle, this machine samples ~5,000 chars/s, so the whole text could reach the browser in one
    or two updates, leaving nothing to see stream and nothing to stop; the streaming, the Stop
    button and the cancel are still the app's own."""
    stream = CharModel.stream

    def paced(self, *args, **kwargs):
        steps = stream(self, *args, **kwargs)  # called now: stream() checks its arguments first

        def slowly():
            for step in steps:
                time.sleep(PACE)
                yield step
        return slowly()
    monkeypatch.setattr(CharModel, "stream", paced)

    # The app writes text in a worker process (demo/text/writer.py), which this pacing cannot
    # reach: the worker "is unavailable", and the tab writes in this process, as it then does.
    def unavailable(self, *args, **kwargs):
        raise WriterUnavailable("paced for the test")
        yield  # a generator, like Writer.stream
    monkeypatch.setattr(Writer, "stream", unavailable)


# Polled in the page on every animation frame: the text lengths seen so far, once there are two
# different non-empty ones (it is streaming).
STREAMING = """(box) => {
  const seen = (box._lensSeen ||= []);
  const n = box.value.length;
  if (n > 0 && !seen.includes(n)) seen.push(n);
  return seen.length >= 2 && seen;
}"""
# The text length once it has not changed for 1 s.
STABLE_LENGTH = """(box) => {
  const now = performance.now(), s = (box._lensStable ||= {n: -1, since: now});
  if (box.value.length !== s.n) { s.n = box.value.length; s.since = now; return false; }
  return now - s.since >= 1000 && s.n;
}"""


@screenshot_on_failure
def test_generation_streams_and_stop_halts_it(page, tmp_path, paced_sampling):
    out = open_text_tab(page)
    generate(page, LONG)
    seen = page.wait_for_function(STREAMING, arg=out.element_handle(), polling="raf").json_value()
    page.get_by_role("button", name="■ Stop", exact=True).click()
    assert seen[0] < seen[1] < LONG, seen
    final = page.wait_for_function(STABLE_LENGTH, arg=out.element_handle(), polling=100).json_value()
    assert seen[-1] <= final < LONG, (seen, final)
    # Stop also shows the steps of what was written before it.
    expect(page.locator("#text-units [data-t]")).to_have_count(final)


@screenshot_on_failure
def test_short_generation_shows_each_step(page, tmp_path):
    out = open_text_tab(page)
    generate(page, SHORT)
    expect(out).to_have_value(re.compile(rf"^[\s\S]{{{SHORT}}}$"))  # exactly SHORT characters
    # "See each step": one coloured span per generated character, and the step view.
    units = page.locator("#text-units [data-t]")
    expect(units).to_have_count(SHORT)
    expect(page.get_by_text(re.compile(rf"^Step \d+ of {SHORT}: after"))).to_be_visible()
    set_slider(page, "Step: click a character or drag", 120)
    expect(page.get_by_text(re.compile(rf"^Step 120 of {SHORT}: after"))).to_be_visible()
    # A click on a character selects its step.
    units.nth(39).click()
    expect(page.get_by_label("number input for Step: click a character or drag")).to_have_value("40")
    expect(page.get_by_text(re.compile(rf"^Step 40 of {SHORT}: after"))).to_be_visible()
    expect(units.nth(39)).to_have_css("outline-style", "solid")  # the chosen character is outlined
    expect(page.locator("#text-hmap img.rl-heat-img")).to_have_js_property("complete", True)
    # The sections below "See each step" start out empty: the picture stops there.
    readme_screenshot(page, "text.png", cut_above=page.get_by_text("Units worth looking at: how they"))


# ---------------------------------------------------------------------------------------------
# Text tab: asking why (issue #12)

@screenshot_on_failure
def test_text_click_a_character_tints_its_connectivity(page, tmp_path):
    """Click a generated character: the earlier ones are tinted by their gradient connectivity
    (hover titles name the distance), with a legend, and the connectivity plot is drawn."""
    open_text_tab(page)
    generate(page, SHORT)
    units = page.locator("#text-units [data-t]")
    expect(units).to_have_count(SHORT)
    units.nth(149).click()
    conn = page.locator("#text-conn")
    target = conn.locator("[data-pos]")
    expect(target).to_have_count(1)
    expect(target).to_have_text(units.nth(149).inner_text())
    tinted = conn.locator("#conn-text span[title*='distance']")
    expect(tinted.first).to_be_attached()
    assert tinted.count() >= 150  # every earlier character (the seed's too)
    # the character just before is strongly connected: tinted, not white
    last = tinted.last
    expect(last).to_have_attribute("title", re.compile(r"distance 1 · "))
    assert last.evaluate("e => getComputedStyle(e).backgroundColor") != "rgb(247, 247, 247)"
    expect(conn.locator(".rl-legend")).to_be_visible()
    expect(page.locator("#text-conn-plot canvas, #text-conn-plot svg").first).to_be_visible()
    readme_screenshot(page, "text_why.png", below=page.get_by_text("How far back it looks").first,
                      max_height=900)


@screenshot_on_failure
def test_text_plots_still_draw_after_the_language_switch(page, tmp_path):
    """The connectivity plot (its series and their column renamed) and the unit's plot (its
    axis titles) are drawn again in Chinese, every line there."""
    open_text_tab(page)
    generate(page, SHORT)
    page.locator("#text-units [data-t]").nth(149).click()
    expect(plot_lines(page, "text-conn-plot").first).to_be_attached()
    expect(plot_lines(page, "text-unit-plot").first).to_be_attached()
    lines = plot_lines(page, "text-conn-plot").count()
    assert lines >= 2, lines
    page.locator("#lang-switch").get_by_text("简体中文").click()
    expect(page.locator("#text-conn")).to_contain_text("之前")
    conn = page.locator("#text-conn-plot svg").first
    expect(conn).to_contain_text("向前的距离")
    expect(plot_lines(page, "text-conn-plot")).to_have_count(lines)
    unit = page.locator("#text-unit-plot svg").first
    expect(unit).to_contain_text("取值")
    expect(plot_lines(page, "text-unit-plot")).to_have_count(1)


@screenshot_on_failure
def test_text_intervention_side_by_side(page, tmp_path):
    """One click sets up the worked example (clamp the line-position unit) and generates the
    unedited and the edited text side by side, with the measured difference."""
    open_text_tab(page)
    page.locator("#text-edit-example").click()
    clamp = page.locator("#text-clamp textarea")
    expect(clamp).to_have_value(re.compile(r"^[hc]\d+ = -?\d"))
    plain, edited = page.locator("#text-plain textarea"), page.locator("#text-edited textarea")
    expect(edited).not_to_have_value("")
    expect(plain).not_to_have_value("")
    assert plain.input_value() != edited.input_value()
    summary = page.locator("#text-edit-summary")
    expect(summary).to_contain_text("mean line length")
    expect(summary).to_contain_text("clamped to")
    readme_screenshot(page, "text_intervention.png", below=page.locator("#text-clamp"), max_height=600)
