"""The Train tab in a real browser (Playwright + Debian's chromium, as tests/test_browser.py): press
Play on a small LSTM and the loss curve updates at least three times while the maps of the fixed
example fill in, then Pause stops it (the status says so); Download gives the weights' zip; the
language switch redraws the charts in 简体中文; Reset clears them.  On a 390x844 phone, in 简体中文 from a link: the tab's
words are Chinese, Play streams, and nothing is wider than the screen.  The teacher's link
(?lesson=remember) opens the tab alone at "Remember the digit", D = 50, ready to compare an LSTM
with forget bias 2 (run A) and one with torch's default (run B); Play draws both runs on the same
curves (each named in the legend) and a gradient chart each, Pause stops both, Reset clears
them; the compare preset button sets the same.  Settings that do not go together (a peephole
LSTM reading both ways) get a message in the page's language, and no run.  "Open in the lens"
after a few steps opens the Digits tab with the page's own model chosen; a digit drawn there is
labelled by that model (its answer on the very ink the pad sent, computed here), on a desktop
with the digits task and on a 390x844 phone with "Remember the digit" (the drawing, then blank
rows: the prediction's label counts them), the state's path said to be among the run's own
validation digits, and a second page does not get the first one's model.  (A text run:
tests/test_lens_text_browser.py.)

    .venv/bin/python -m pytest -q tests/test_train_browser.py
    RNN_LENS_SCREENSHOTS=docs .venv/bin/python -m pytest -q tests/test_train_browser.py  # docs/train*.png

The app's training pool is swapped, before its first Play, for two workers (the compare mode's
two runs side by side) on the shared data (tests/conftest.py's DATA_DIR) at normal priority; it
is closed at the end of the module.
"""
import os
import re

import pytest

from conftest import DATA_DIR, screenshot_on_failure, skip_without_browser

from demo import i18n

skip_without_browser("Train tab browser tests")
from playwright.sync_api import expect  # noqa: E402  (after the skip: it may not be installed)
from test_browser import PHONE, TIMEOUT_MS, VIEWPORT, draw, pad_requests, readme_screenshot  # noqa: E402

ZH = i18n.strings("zh-CN")
START_MS = 90_000          # the first Play starts the training process (torch, MNIST): generous
pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")

# The loss chart's steps seen so far (polled on every animation frame): true once `n` different
# steps of a run have been drawn.
CURVE_STEPS = """(n) => {
  const el = document.querySelector('#train-loss .rl-train-chart');
  const seen = (window.__trainSteps ||= []);
  if (el && el.dataset.step !== '-1' && !seen.includes(el.dataset.step)) seen.push(el.dataset.step);
  return seen.length >= n && seen;
}"""


def swapped_pool(workers: int):
    """The app's Trainer makes this pool at its first run: ``workers`` workers at normal priority
    on the shared data; the app's own pool is back once the generator ends."""
    from demo.train import events
    from demo.train.pool import TrainPool
    trainer = events.TRAINER
    old = trainer._make
    trainer.close()
    trainer._make = lambda: TrainPool(workers=workers, cap_s=60.0, data_dir=DATA_DIR, nice=0)
    yield trainer
    trainer.close()
    trainer._make = old


@pytest.fixture(scope="module", autouse=True)
def small_pool():
    """Two workers: the compare mode's two runs side by side."""
    if not (DATA_DIR / "MNIST" / "raw").is_dir():
        pytest.skip(f"no MNIST under {DATA_DIR}")
    yield from swapped_pool(2)


def open_train(browser, url: str, viewport=VIEWPORT, query: str = "?tab=train", **context):
    ctx = browser.new_context(viewport=viewport, **context)
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page.goto(url + query)
    expect(page.locator("#train-play")).to_be_visible()
    expect(page.locator("#lang-switch input:checked")).to_have_count(1)   # the load answer is in
    return page


@pytest.fixture
def page(browser, app_url):
    page = open_train(browser, app_url)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser, app_url):
    """A 390x844 phone that opened a link to the tab in 简体中文 with 16 hidden units."""
    page = open_train(browser, app_url, PHONE, "?tab=train&lang=zh-CN&hidden=16", device_scale_factor=3,
                      has_touch=True, is_mobile=True)
    yield page
    page.context.close()


def play_until_the_curve_moves(page, times: int = 3) -> list:
    """Press Play; returns the loss chart's steps once it has been drawn for ``times`` steps."""
    page.evaluate("() => { window.__trainSteps = []; }")
    page.locator("#train-play").click()
    return page.wait_for_function(CURVE_STEPS, arg=times, polling="raf", timeout=START_MS).json_value()


@screenshot_on_failure
def test_play_streams_the_curves_and_maps_then_pause(page, tmp_path):
    hidden = page.locator("#train-hidden input")
    hidden.fill("32")
    hidden.press("Tab")
    seen = play_until_the_curve_moves(page, 3)
    assert len(seen) >= 3 and [int(s) for s in seen] == sorted(int(s) for s in seen), seen
    expect(page.locator("#train-status")).to_contain_text("Training:")
    expect(page.locator("#train-status")).to_contain_text("at most 60 s")      # the cap is said
    expect(page.locator("#train-map-0 canvas")).to_be_visible()               # h of the fixed example
    expect(page.locator("#train-map-5 canvas")).to_be_visible()               # o: the LSTM's six maps
    expect(page.locator("#train-input canvas")).to_be_visible()
    assert page.locator("#train-grads polyline").count() >= 2                 # the gradient, by record
    expect(page.locator("#train-loss")).to_contain_text("training loss")       # the legend
    page.locator("#train-pause").click()
    expect(page.locator("#train-status")).to_contain_text("Paused", timeout=15_000)
    stopped = page.locator("#train-loss .rl-train-chart").get_attribute("data-step")
    page.wait_for_timeout(1500)
    assert page.locator("#train-loss .rl-train-chart").get_attribute("data-step") == stopped
    expect(page.locator("#train-confusion canvas")).to_be_visible()            # drawn at the pause
    readme_screenshot(page, "train.png", below=page.locator("#sec-train-setup"),
                      cut_above=page.locator("#sec-train-download"))
    page.locator("#train-download").click()                                   # the weights, zipped
    expect(page.locator("#train-weights-file")).to_contain_text("rnn-lens_digits_lstm_step")
    page.locator("#lang-switch").get_by_text("简体中文").click()
    expect(page.locator("#train-loss")).to_contain_text(ZH["train.curve.train_loss"])
    expect(page.locator("#train-status")).to_contain_text("已暂停")
    page.locator("#train-reset").click()
    expect(page.locator("#train-loss .rl-train-chart")).to_have_attribute("data-records", "0")
    expect(page.locator("#train-map-0")).to_be_hidden()


@screenshot_on_failure
def test_phone_in_chinese_plays_and_fits_the_screen(phone, tmp_path):
    page = phone
    expect(page.get_by_role("tab", name=ZH["app.tab.train"])).to_be_visible()
    expect(page.locator("#train-play")).to_have_text(ZH["train.play"])
    expect(page.locator("#train-status")).to_contain_text("每次训练最多")
    play_until_the_curve_moves(page, 3)
    expect(page.locator("#train-status")).to_contain_text("训练中")
    expect(page.locator("#train-loss")).to_contain_text(ZH["train.curve.val_loss"])
    page.locator("#train-pause").click()
    expect(page.locator("#train-status")).to_contain_text("已暂停", timeout=15_000)
    wide = page.evaluate("""(w) => [...document.querySelectorAll('#tab-train svg, #tab-train canvas, #tab-train .block')]
        .filter(e => e.getBoundingClientRect().width > w + 1 && e.offsetParent !== null)
        .map(e => e.id || e.className.baseVal || e.className)""", PHONE["width"])
    assert not wide, wide
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    loss, acc = (page.locator(f"#train-{n}").bounding_box() for n in ("loss", "acc"))
    assert loss["y"] + loss["height"] <= acc["y"] + 1 and loss["width"] >= 0.8 * PHONE["width"]   # stacked
    page.locator("#train-buttons").scroll_into_view_if_needed()
    readme_screenshot(page, "train_phone.png", below=page.locator("#train-buttons"), width=PHONE["width"],
                      max_height=2400)


@screenshot_on_failure
def test_the_teachers_link_opens_remember_the_digit_ready_to_compare(browser, app_url, tmp_path):
    page = open_train(browser, app_url, query="?lesson=remember")
    try:
        expect(page.locator("#tab-train-button")).to_have_attribute("aria-selected", "true")
        expect(page.locator("#tab-digits-button")).to_be_hidden()
        expect(page.locator("#train-task input[value=remember]")).to_be_checked()
        expect(page.get_by_label("number input for Blank rows D")).to_have_value("50")
        expect(page.locator("#train-fbias input")).to_have_value(re.compile(r"^2"))
        expect(page.locator("#train-lr input")).to_have_value("0.005")             # remember's own default
        expect(page.locator("#train-compare-on input")).to_be_checked()            # ready to compare
        expect(page.locator("#train-cell-b input")).to_have_value("LSTM")
        expect(page.locator("#train-fbias-b input")).to_have_value("torch default")
        expect(page.locator("#link-notice")).to_contain_text("Remember the digit")
        expect(page.locator("#sec-train-download")).to_be_hidden()
        page.locator("#train-compare-on input").uncheck()                          # compare off: B's controls go
        expect(page.locator("#train-cell-b")).to_be_hidden()
        page.locator("#train-task input[value=digits]").check()
        page.locator("#train-compare-rnn").click()                                 # the other preset: all set again
        expect(page.locator("#train-task input[value=remember]")).to_be_checked()
        expect(page.locator("#train-compare-on input")).to_be_checked()
        expect(page.locator("#train-cell-b input")).to_have_value("RNN (tanh)")
        expect(page.locator("#train-fbias-b")).to_be_hidden()                      # an RNN has no forget gate
    finally:
        page.context.close()


# Both runs drawn on the loss chart, n records each at least (the chart's polylines name their run).
TWO_RUNS = """(n) => {
  const el = document.querySelector('#train-loss .rl-train-chart');
  const runs = el ? [...el.querySelectorAll('polyline[data-run]')].map(p => p.dataset.run) : [];
  return runs.includes('a') && runs.includes('b') && Number(el.dataset.records) >= n && el.dataset.records;
}"""
# run A's validation accuracy in the status (its first score), in %
A_ACCURACY = """() => { const m = document.querySelector('#train-status').innerText.match(/accuracy ([0-9.]+)%/);
  return m ? Number(m[1]) : -1; }"""


@screenshot_on_failure
def test_the_compare_link_plays_two_runs_on_the_same_curves(browser, app_url, tmp_path):
    shots = bool(os.environ.get("RNN_LENS_SCREENSHOTS"))        # the README's picture: the lesson's own size
    page = open_train(browser, app_url, query="?lesson=remember" + ("" if shots else "&hidden=16"))
    try:
        expect(page.locator("#train-compare-on input")).to_be_checked()
        page.locator("#train-play").click()
        page.wait_for_function(TWO_RUNS, arg=6, polling="raf", timeout=START_MS)
        loss = page.locator("#train-loss")
        expect(loss).to_contain_text("Run A · LSTM, forget bias 2 — training loss")
        expect(loss).to_contain_text("Run B · LSTM, torch default forget bias — validation loss")
        expect(page.locator("#train-acc")).to_contain_text("Run B · LSTM, torch default forget bias")
        expect(page.locator("#train-grads")).to_contain_text("Run A · LSTM, forget bias 2")
        expect(page.locator("#train-grads-b")).to_contain_text("Run B · LSTM, torch default forget bias")
        assert page.locator("#train-grads-b polyline[data-run=b]").count() >= 2
        status = page.locator("#train-status")
        expect(status).to_contain_text("Run A")
        expect(status).to_contain_text("Run B")
        expect(status).not_to_contain_text("waits in line")                       # two places: side by side
        if shots:                                                                  # until A has learnt
            try:
                page.wait_for_function(f"() => ({A_ACCURACY})() >= 85", polling=500, timeout=55_000)
            except Exception:
                pass
        page.locator("#train-pause").click()
        expect(status).to_contain_text(re.compile(r"Paused[\s\S]*Paused"), timeout=15_000)    # both
        stopped = page.locator("#train-loss .rl-train-chart").get_attribute("data-records")
        page.wait_for_timeout(1500)
        assert page.locator("#train-loss .rl-train-chart").get_attribute("data-records") == stopped
        readme_screenshot(page, "train_compare.png", below=page.locator("#train-run"),
                          cut_above=page.locator("#sec-train-inside"))
        page.locator("#train-reset").click()
        expect(page.locator("#train-loss .rl-train-chart")).to_have_attribute("data-records", "0")
        expect(page.locator("#train-grads-b")).to_be_hidden()
    finally:
        page.context.close()


@screenshot_on_failure
def test_settings_that_do_not_go_together_get_a_message_not_a_run(browser, app_url, tmp_path):
    page = open_train(browser, app_url, query="?tab=train&cell=peephole&bidi=1&lang=zh-CN")
    try:
        page.locator("#train-play").click()
        expect(page.locator(".toast-body").first).to_contain_text("窥孔 LSTM 在这里不能双向读取")
        expect(page.locator(".toast-body").first).not_to_contain_text("Traceback")
        expect(page.locator("#train-loss .rl-train-chart")).to_have_attribute("data-records", "0")
    finally:
        page.context.close()


# -- Open in the lens --------------------------------------------------------------------------------

def open_in_the_lens(page) -> str:
    """Step (10 training steps, then paused), "Open in the lens": the Digits tab opens with the
    page's own model chosen.  Returns its name (the picker's value)."""
    page.locator("#train-step").click()
    expect(page.locator("#train-status")).to_contain_text(re.compile("Paused|已暂停"), timeout=START_MS)
    expect(page.locator("#train-open")).to_be_enabled()
    page.locator("#train-open").click()
    expect(page.locator("#tab-digits-button")).to_have_attribute("aria-selected", "true")
    chosen = page.locator("#digit-model input:checked")
    expect(chosen).to_have_attribute("value", re.compile(r"^yours-"))
    expect(page.locator("#digit-pad .rl-pad[data-ready=true]")).to_be_attached()
    return chosen.get_attribute("value")


def labelled_by_own_model(page, name: str, touch: bool = False) -> dict:
    """Draw a 7: the label is the page's own model's answer on the ink the pad sent.  Returns the
    model's probabilities."""
    from demo.lens_models import LENS
    sent = pad_requests(page)
    page.locator("#digit-pad canvas").scroll_into_view_if_needed()   # the Train tab was scrolled down
    draw(page, 7, touch=touch)
    (own,) = [m for m in list(LENS._open.values()) if m.name == name]
    probs = own.model.predict(sent[-1][1])                 # the last value: the pen-up's
    best, second = sorted(probs, key=probs.get, reverse=True)[:2]
    # the page traces with the hand-written cells, torch here: a near tie may fall either way
    label = best if probs[best] - probs[second] > 1e-4 else f"[{best}{second}]"
    expect(page.locator("#digit-prediction [data-testid=label-output-value]")).to_have_text(re.compile(f"^{label}$"))
    expect(page.locator("#digit-summary")).to_contain_text(re.compile(f"The {re.escape(own.title)} reads {label} "))
    return probs


@screenshot_on_failure
def test_open_in_the_lens_then_a_drawn_digit_is_labelled_by_the_users_model(page, browser, app_url, tmp_path):
    hidden = page.locator("#train-hidden input")
    hidden.fill("16")
    hidden.press("Tab")
    name = open_in_the_lens(page)
    expect(page.locator("#digit-model")).to_contain_text("Yours: LSTM 1×16")
    labelled_by_own_model(page, name)
    expect(page.locator("#digit-compare-yours")).to_contain_text("LSTM 1×16:")          # in the comparison too
    page.locator("#sec-why-trajectory").scroll_into_view_if_needed()
    expect(page.locator(f"#digit-trajectory .rl-cloud-{name}")).to_be_attached()        # its state's path
    expect(page.locator("#sec-why-trajectory")).to_contain_text("validation digits of your run")   # among its
    expect(page.locator("#sec-why-trajectory")).not_to_contain_text("MNIST test digits")            # run's digits
    readme_screenshot(page, "train_lens.png", below=page.locator("#digit-model"), max_height=1400)
    readme_screenshot(page, "train_lens_why.png", below=page.locator("#sec-compare"),
                      cut_above=page.locator("#sec-explain"), max_height=3200)
    page.locator("#tab-train-button").click()
    expect(page.locator("#train-lens-note")).to_contain_text("Opened in the Digits tab")
    page.locator("#sec-train-download").scroll_into_view_if_needed()
    readme_screenshot(page, "train_lens_button.png", below=page.locator("#sec-train-download"), max_height=500)
    other = browser.new_context(viewport=VIEWPORT).new_page()                          # another page
    try:
        other.goto(app_url)
        expect(other.locator("#digit-model input[value=lstm]")).to_be_attached()
        expect(other.locator("#digit-model")).not_to_contain_text("Yours")
    finally:
        other.context.close()


@screenshot_on_failure
def test_on_a_phone_a_remember_model_opens_in_the_lens_and_labels_the_drawing(browser, app_url, tmp_path):
    page = open_train(browser, app_url, PHONE, "?tab=train&task=remember&delay=5&hidden=16", device_scale_factor=3,
                      has_touch=True, is_mobile=True)
    try:
        name = open_in_the_lens(page)
        expect(page.locator("#digit-model")).to_contain_text("LSTM 1×16 · D=5")
        labelled_by_own_model(page, name, touch=True)
        expect(page.locator("#digit-summary")).to_contain_text("then 5 blank rows")
        expect(page.locator("#digit-prediction")).to_contain_text("Prediction after all 33 steps")   # 28 + 5
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        readme_screenshot(page, "train_lens_phone.png", below=page.locator("#digit-pad"), width=PHONE["width"],
                          max_height=1800)
    finally:
        page.context.close()
