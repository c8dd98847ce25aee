"""The drawing pad (demo/digits/pad.py) alone in a real browser: Playwright drives Debian's
chromium against a tiny gr.Blocks (the pad, a textbox, a button that sets the pad from Python).
It checks that values arrive while the pen moves (not only at the end), with the mouse on a
HiDPI desktop and with touch on a 390x844 phone screen; that Undo, Clear and the Eraser change
the ink; and that a picture set from Python shows in the pad, fires one change (no loop), and
takes strokes on top.

    .venv/bin/python -m pytest -q tests/test_pad_browser.py
    RNN_LENS_SCREENSHOTS=docs .venv/bin/python -m pytest -q tests/test_pad_browser.py  # pad images

Needs chromium (apt-get install chromium; RNN_LENS_CHROMIUM=/path overrides the search): without
it the module is skipped, except when CI is set, where it fails.  On a failure a screenshot goes
to RNN_LENS_ARTIFACTS (default: the test's tmp_path) and the message names it.
"""
import json
import math
import os
import re
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import screenshot_on_failure, skip_without_browser, wait_reachable

from demo.digits.pad_ink import decode_ink
from demo.digits.pictures import EMPTY_MESSAGE
from demo.digits.preprocess import to_mnist

TIMEOUT_MS = 30_000           # a slow, busy machine: generous waits
DESKTOP = {"width": 1000, "height": 900}
PHONE = {"width": 390, "height": 844}
CELLS = 56                    # the pad's value is 56x56 ink cells
pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")


skip_without_browser("pad browser tests")
from playwright.sync_api import expect  # noqa: E402  (after the skip: it may not be installed)


# ---------------------------------------------------------------------------------------------
# The app: only the pad, its reader and a button that sets it from Python

@pytest.fixture(scope="module")
def app():
    import gradio as gr
    from conftest import free_port

    from demo.digits.pad import drawing_pad, pad_value_from_image
    from demo.digits.sketches import example_digit

    calls = []  # (time.monotonic(), value, time.time(), "change" or "submit") for every event handled
    lock = threading.Lock()

    def reader(kind):
        def read(value):
            with lock:
                calls.append((time.monotonic(), value, time.time(), kind))
            try:
                return f"ink {float(to_mnist(value).sum()):.1f}"
            except ValueError as e:
                return str(e)
        return read

    with gr.Blocks() as demo:
        pad = drawing_pad()
        out = gr.Textbox(label="Read", elem_id="pad-out")
        load = gr.Button("Show a 3", elem_id="load-3")
        pad.change(reader("change"), pad, out, trigger_mode="always_last", show_progress="hidden")
        pad.submit(reader("submit"), pad, out, trigger_mode="always_last", show_progress="hidden")
        load.click(lambda: pad_value_from_image(example_digit(3)), None, pad)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True,
                            quiet=True)
    try:
        yield SimpleNamespace(url=url, calls=calls)
    finally:
        demo.close()


def open_pad(browser, app, **context):
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page.goto(app.url)
    expect(page.locator("#digit-pad .rl-pad[data-ready=true]")).to_be_attached()
    return page


@pytest.fixture
def page(browser, app):
    page = open_pad(browser, app, viewport=DESKTOP, device_scale_factor=2)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser, app):
    page = open_pad(browser, app, viewport=PHONE, device_scale_factor=3, has_touch=True, is_mobile=True)
    yield page
    page.context.close()


def pad_screenshot(page, name: str) -> None:
    folder = os.environ.get("RNN_LENS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.locator("#digit-pad").screenshot(path=Path(folder) / name)


# ---------------------------------------------------------------------------------------------
# Helpers

def canvas_box(page) -> dict:
    return page.locator("#digit-pad canvas").bounding_box()


def to_screen(page, pts):
    """Points in units of the pad's side from its centre (x right, y down) -> screen px."""
    b = canvas_box(page)
    cx, cy, side = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, b["width"]
    return [(cx + x * side, cy + y * side) for x, y in pts]


def along(pts, step_px, page):
    """The stroke through `pts`, every `step_px` screen px."""
    out = []
    screen = to_screen(page, pts)
    for (x0, y0), (x1, y1) in zip(screen, screen[1:]):
        n = max(1, round(math.dist((x0, y0), (x1, y1)) / step_px))
        out += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(n)]
    return out + [screen[-1]]


def mouse_stroke(page, pts, pace=0.04, step_px=12) -> float:
    """Press, drag through `pts` (pad units) at `pace` s per move, release; returns the
    time.monotonic() just before the release."""
    path = along(pts, step_px, page)
    wait_reachable(page, *path[0], "#digit-pad canvas")
    page.mouse.move(*path[0])
    page.mouse.down()
    for x, y in path[1:]:
        page.mouse.move(x, y)
        time.sleep(pace)
    t_up = time.monotonic()
    page.mouse.up()
    return t_up


def touch_stroke(page, pts, pace=0.04, step_px=10) -> float:
    """The same with a finger: real touch input through the DevTools protocol (chromium turns
    it into pointer events of type "touch")."""
    cdp = page.context.new_cdp_session(page)
    path = along(pts, step_px, page)
    wait_reachable(page, *path[0], "#digit-pad canvas")
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [
        {"x": path[0][0], "y": path[0][1], "radiusX": 4, "radiusY": 4, "force": 1, "id": 1}]})
    for x, y in path[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
            {"x": x, "y": y, "radiusX": 4, "radiusY": 4, "force": 1, "id": 1}]})
        time.sleep(pace)
    t_up = time.monotonic()
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()
    return t_up


def js_value(page):
    return page.evaluate("() => document.querySelector('#digit-pad .rl-pad').rlPad.value()")


def settled(page, app, timeout=TIMEOUT_MS / 1000):
    """Wait until the server's latest value is the pad's current one; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        want = js_value(page)
        if app.calls and json.dumps(app.calls[-1][1], sort_keys=True) == json.dumps(want, sort_keys=True):
            return want
        assert time.monotonic() < deadline, "the pad's latest value never reached the server"
        time.sleep(0.05)


def wait_idle(page, quiet_ms: int = 400) -> None:
    """Wait until neither of the pad's lanes has an event queued or running for `quiet_ms` (both
    show their hidden status on the prediction): a live preview's answer can arrive after the
    label already shows the digit, and the final answer after that."""
    page.evaluate("() => { window.__idleSince = performance.now(); }")
    page.wait_for_function(
        """(q) => {
          const el = document.querySelector('#digit-prediction [data-testid="status-tracker"]');
          const busy = !!el && /processing|queue|pending/i.test(el.textContent || '');
          if (busy) window.__idleSince = performance.now();
          return performance.now() - window.__idleSince >= q;
        }""", arg=quiet_ms, polling=50)


def cell_ink(ink: np.ndarray, x: float, y: float, r: int = 1) -> float:
    """Max ink within r cells of (x, y) in pad units from the centre."""
    cx, cy = round((x + 0.5) * CELLS), round((y + 0.5) * CELLS)
    return float(ink[max(0, cy - r):cy + r + 1, max(0, cx - r):cx + r + 1].max())


def visible_alpha(page, x: float, y: float) -> int:
    """The on-screen canvas's alpha (ink) at (x, y) in pad units from the centre."""
    return page.evaluate("""([x, y]) => {
        const c = document.querySelector('#digit-pad canvas');
        const px = Math.round((x + 0.5) * c.width), py = Math.round((y + 0.5) * c.height);
        return c.getContext('2d').getImageData(px, py, 1, 1).data[3];
    }""", [x, y])


def out_box(page):
    return page.locator("#pad-out textarea")


DIAGONAL = [(-0.2, -0.3), (0.2, 0.3)]
LEFT_BAR = [(-0.25, -0.3), (-0.25, 0.3)]
BOTTOM_BAR = [(-0.1, 0.3), (0.3, 0.3)]


# ---------------------------------------------------------------------------------------------
# Tests

@screenshot_on_failure
def test_mouse_stroke_sends_ink_while_drawing(page, app, tmp_path):
    # HiDPI: the canvas's backing store is in device pixels, and it is a square.
    size = page.evaluate("() => { const c = document.querySelector('#digit-pad canvas');"
                         " return [c.width, c.height, c.clientWidth]; }")
    assert size[0] == size[1] == round(size[2] * 2), size
    assert page.locator("#digit-pad .rl-pad").evaluate("e => e.classList.contains('is-empty')")

    n0, t0 = len(app.calls), time.monotonic()
    t_up = mouse_stroke(page, DIAGONAL)
    value = settled(page, app)
    # the pen-up value goes to both lanes; its "change" may land after the "submit" settled it
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not any(c[1] == value and c[3] == "change" for c in app.calls[n0:]) and time.monotonic() < deadline:
        time.sleep(0.05)
    t_final, _, wall, _ = next(c for c in app.calls[n0:] if c[1] == value)   # the first to arrive
    sent = page.evaluate("() => document.querySelector('#digit-pad .rl-pad').rlPad.sentAt()") / 1000
    during = [t for t, *_ in app.calls[n0:] if t < t_up]
    stroke_s = t_up - t0
    print(f"\nmouse: {len(during)} values during a {stroke_s:.2f} s stroke, "
          f"{len(app.calls) - n0} in all; first after {during[0] - t0 if during else float('nan'):.3f} s; "
          f"final value at the server {t_final - t_up:.3f} s after the pen lifted, "
          f"{wall - sent:.3f} s after the pad sent it")
    assert len(during) >= 2, f"only {len(during)} value(s) arrived while the pen moved ({stroke_s:.2f} s)"
    changes = [c for c in app.calls[n0:] if c[3] == "change"]
    assert len(changes) <= stroke_s / 0.1 + 3  # throttled to about one per 100 ms
    # while the pen is down: "change" only, marked drawing; the pen-up value: "change" and
    # "submit" (the final lane); every value numbered in order, from one pad
    assert all(c[1].get("drawing") is True for c in app.calls[n0:] if c[1] != value)
    # (its "change" may still be on its way when the "submit" has answered)
    assert [c[3] for c in app.calls[n0:] if c[1] == value] in (["submit"], ["change", "submit"],
                                                                 ["submit", "change"])
    seqs = [c[1]["seq"] for c in changes]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[-1] == value["seq"]
    assert len({c[1]["pad"] for c in app.calls[n0:]}) == 1
    assert set(value) == {"format", "width", "height", "data", "pad", "seq"}
    ink = decode_ink(value)
    for x, y in DIAGONAL + [(0.0, 0.0)]:  # both ends and the middle of the line are inked
        assert cell_ink(ink, x, y) > 0.5, (x, y)
    assert cell_ink(ink, 0.3, -0.3, 3) == 0.0  # the far corner is paper
    assert to_mnist(value).sum() > 10
    expect(out_box(page)).to_have_value(re.compile(r"^ink \d"))
    assert page.locator("#digit-pad .rl-pad").get_attribute("data-pointer") == "mouse"
    assert not page.locator("#digit-pad .rl-pad").evaluate("e => e.classList.contains('is-empty')")
    assert visible_alpha(page, 0.0, 0.0) > 200  # drawn on screen too
    pad_screenshot(page, "pad_desktop.png")


@screenshot_on_failure
def test_touch_stroke_on_a_phone(phone, app, tmp_path):
    page = phone
    box = canvas_box(page)
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # fits the screen
    assert box["width"] > 250 and abs(box["width"] - box["height"]) < 1.5
    assert page.locator("#digit-pad canvas").evaluate("c => getComputedStyle(c).touchAction") == "none"
    size = page.evaluate("() => { const c = document.querySelector('#digit-pad canvas');"
                         " return [c.width, c.clientWidth]; }")
    assert size[0] == round(size[1] * 3), size  # devicePixelRatio 3

    n0, t0 = len(app.calls), time.monotonic()
    scroll = page.evaluate("() => [window.scrollX, window.scrollY]")
    t_up = touch_stroke(page, [(-0.25, 0.2), (0.0, -0.3), (0.25, 0.2)])  # an upside-down V
    value = settled(page, app)
    during = [t for t, *_ in app.calls[n0:] if t < t_up]
    print(f"\ntouch: {len(during)} values during a {t_up - t0:.2f} s stroke, {len(app.calls) - n0} in all")
    assert page.locator("#digit-pad .rl-pad").get_attribute("data-pointer") == "touch"
    assert len(during) >= 2
    assert page.evaluate("() => [window.scrollX, window.scrollY]") == scroll  # the finger drew, not scrolled
    ink = decode_ink(value)
    for x, y in [(-0.25, 0.2), (0.0, -0.3), (0.25, 0.2)]:
        assert cell_ink(ink, x, y) > 0.5, (x, y)
    assert cell_ink(ink, 0.0, 0.3, 3) == 0.0
    expect(out_box(page)).to_have_value(re.compile(r"^ink \d"))
    pad_screenshot(page, "pad_phone.png")


@screenshot_on_failure
def test_undo_clear_and_eraser(page, app, tmp_path):
    root = page.locator("#digit-pad .rl-pad")
    strokes = lambda: root.evaluate("e => e.rlPad.strokes()")  # noqa: E731
    mouse_stroke(page, LEFT_BAR, pace=0.01)
    mouse_stroke(page, BOTTOM_BAR, pace=0.01)
    ink = decode_ink(settled(page, app))
    assert strokes() == 2
    assert cell_ink(ink, -0.25, 0.0) > 0.5 and cell_ink(ink, 0.2, 0.3) > 0.5

    page.get_by_role("button", name="Undo last stroke").click()
    ink = decode_ink(settled(page, app))
    assert strokes() == 1
    assert cell_ink(ink, -0.25, 0.0) > 0.5  # the first stroke stays
    assert cell_ink(ink, 0.2, 0.3, 2) == 0.0  # the second is gone

    eraser = page.get_by_role("button", name="Eraser")
    eraser.click()
    expect(eraser).to_have_attribute("aria-pressed", "true")
    mouse_stroke(page, [(-0.4, 0.0), (-0.1, 0.0)], pace=0.01)  # across the middle of the bar
    ink = decode_ink(settled(page, app))
    assert cell_ink(ink, -0.25, 0.0, 0) < 0.1  # erased there
    assert cell_ink(ink, -0.25, -0.25) > 0.5 and cell_ink(ink, -0.25, 0.25) > 0.5  # the rest stays
    eraser.click()
    expect(eraser).to_have_attribute("aria-pressed", "false")

    page.get_by_role("button", name="Clear the pad").click()
    value = settled(page, app)
    assert strokes() == 0
    assert not decode_ink(value).any()  # Clear sends all zeros, which reads as an empty canvas
    with pytest.raises(ValueError, match=re.escape(EMPTY_MESSAGE)):
        to_mnist(value)
    expect(out_box(page)).to_have_value(EMPTY_MESSAGE)
    expect(root).to_have_class(re.compile(r"\bis-empty\b"))


@screenshot_on_failure
def test_picture_set_from_python_shows_and_takes_strokes(page, app, tmp_path):
    n0 = len(app.calls)
    sends = page.evaluate("() => document.querySelector('#digit-pad .rl-pad').rlPad.sends()")
    page.locator("#load-3").click()
    expect(out_box(page)).to_have_value(re.compile(r"^ink \d"))
    value = app.calls[-1][1]
    assert "background" in value and value["background"].startswith("data:image/png;base64,")
    # no echo: the pad sends nothing back for a value set from Python (its own count of sends)
    assert page.evaluate("() => document.querySelector('#digit-pad .rl-pad').rlPad.sends()") == sends
    assert len(app.calls) == n0 + 1, [sorted(c[1]) for c in app.calls[n0:]]
    # The 3 is on screen (its middle bar's left end is about at the centre-left of the pad).
    expect(page.locator("#digit-pad .rl-pad")).not_to_have_class(re.compile(r"\bis-empty\b"))
    shown = decode_ink({k: v for k, v in value.items() if k != "background"})
    ys, xs = np.nonzero(shown > 0.8)
    k = len(ys) // 2
    x, y = xs[k] / CELLS - 0.5 + 0.5 / CELLS, ys[k] / CELLS - 0.5 + 0.5 / CELLS
    page.wait_for_function("([x, y]) => { const c = document.querySelector('#digit-pad canvas');"
                           " const d = c.getContext('2d').getImageData(Math.round((x + 0.5) * c.width),"
                           " Math.round((y + 0.5) * c.height), 1, 1).data; return d[3] > 128; }", arg=[x, y])

    # A stroke on top: the next value holds the picture's ink and the stroke's.
    mouse_stroke(page, LEFT_BAR, pace=0.01)
    after = settled(page, app)
    assert "background" not in after  # the pad sends everything on it as one ink
    ink = decode_ink(after)
    assert cell_ink(ink, -0.25, 0.0) > 0.5
    before = decode_ink(value)
    picture_only = (before > 0.5) & (np.abs(np.arange(CELLS) / CELLS - 0.25)[None, :] > 0.1)
    assert picture_only.sum() > 50 and (ink[picture_only] > 0.4).mean() > 0.95
    pad_screenshot(page, "pad_picture.png")
