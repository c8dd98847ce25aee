"""The guided tour, the links, the lessons and the two languages in a real browser, on the real
app (both tabs, the shipped models), served by tests/conftest.py's ``app_url``.

It walks the whole tour by doing what each step asks (draw on the pad, move the slider to 10,
hover a gate map, Play, pick the RNN, hover the row influence, type a unit, ablate it, generate
text, pick the line-position unit, clamp it, click a character, pass the Tang poems' step, press
the Train tab's compare preset and Play), checking that the highlight
sits on each step's target and that the tour moves on by itself; Next, Back and Leave; a link
with state reopens its view; a link's bad field is named and the rest of it opens; a lesson
hides its panels; a zh-CN browser (and the switch) gets Chinese; Copy link writes the view into
the address bar and the link reopens it.  The Tang poems' step on two apps of its own: with a tiny
Tang model (``?lesson=tang``: the corpus, the acrostic, the step on the unit picker) and without
one (the tour's choice of corpus is refused: the tour and the page say how to make the model).

    CI=true .venv/bin/python -m pytest -q tests/test_tour_browser.py
    RNN_LENS_SCREENSHOTS=docs .venv/bin/python -m pytest -q tests/test_tour_browser.py   # README images

Needs chromium (apt-get install chromium; RNN_LENS_CHROMIUM=/path overrides the search; Chinese
screenshots need a CJK font: apt-get install fonts-noto-cjk): without it the module is skipped,
except when CI is set, where it fails.
"""
import os
import re
from pathlib import Path

import pytest

from conftest import DATA_DIR, screenshot_on_failure, skip_without_browser

from demo import i18n, lessons

TIMEOUT_MS = 60_000
DESKTOP = {"width": 1280, "height": 900}
pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")
STEPS = [s["id"] for s in lessons.load_tour()["steps"]]
ONE = [(0.0, -0.32), (0.0, 0.32)]            # a vertical bar: the networks read a 1
PREDICTION = "#digit-prediction [data-testid='label-output-value']"
ZH = i18n.strings("zh-CN")


skip_without_browser("tour browser tests")
from playwright.sync_api import expect  # noqa: E402  (after the skip: it may not be installed)

from test_pad_browser import mouse_stroke, wait_idle  # noqa: E402  (after the skip: it needs the same browser)


def open_page(browser, url, locale="en-US", query=""):
    ctx = browser.new_context(viewport=DESKTOP, locale=locale)
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page.goto(url + query)
    expect(page.locator(".rl-tour[data-ready=true]")).to_be_attached()
    expect(page.locator("#digit-pad .rl-pad[data-ready=true]")).to_be_attached()
    # the load handler has run once the switch shows the page's language
    expect(page.locator("#lang-switch input:checked")).to_have_count(1)
    return page


@pytest.fixture(scope="module", autouse=True)
def small_pool():
    """The tour's last step presses the Train tab's Play: the app's Trainer makes this pool then
    (one worker, the shared data; closed at the end of the module)."""
    from demo.train import events
    from demo.train.pool import TrainPool
    trainer = events.TRAINER
    old = trainer._make
    trainer.close()
    trainer._make = lambda: TrainPool(workers=1, cap_s=30.0, data_dir=DATA_DIR, nice=0)
    yield trainer
    trainer.close()
    trainer._make = old


@pytest.fixture
def page(browser, app_url):
    page = open_page(browser, app_url)
    yield page
    page.context.close()


@pytest.fixture
def page_zh(browser, app_url):
    page = open_page(browser, app_url, locale="zh-CN")
    yield page
    page.context.close()


def screenshot(page, name: str, full_page: bool = False) -> None:
    folder = os.environ.get("RNN_LENS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        settle(page)
        page.screenshot(path=Path(folder) / name, full_page=full_page)


def settle(page, still_ms: int = 300, limit_ms: int = 3000) -> None:
    """Wait until the page's scroll and the tour's spotlight have not moved for ``still_ms`` (the
    tour scrolls its target into view 120 ms after a step starts): a screenshot taken during
    that scroll shows the spotlight beside its target."""
    page.evaluate("""async ([still, limit]) => {
        const t0 = performance.now();
        let last = null, since = t0;
        while (performance.now() - t0 < limit) {
            await new Promise((r) => requestAnimationFrame(r));
            const spot = document.querySelector('.rl-tour-spot');
            const r = spot && !spot.hidden ? spot.getBoundingClientRect() : null;
            const now = JSON.stringify([window.scrollX, window.scrollY, r && [r.top, r.left, r.width, r.height]]);
            if (now !== last) { last = now; since = performance.now(); }
            else if (performance.now() - since >= still) return;
        }
    }""", [still_ms, limit_ms])


# ---------------------------------------------------------------------------------------------
# Helpers

def tour_state(page) -> dict:
    return page.evaluate("""() => {
        const t = document.querySelector('.rl-tour').rlTour;
        const layer = document.querySelector('.rl-tour-layer');
        return {step: t.step(), id: t.id(), lang: t.lang(), count: t.count(), hidden: layer.hidden,
                title: document.querySelector('.rl-tour-title').textContent,
                count_text: document.querySelector('.rl-tour-count').textContent};
    }""")


def wait_step(page, step_id: str | None) -> None:
    """Until the tour is on step `step_id` (None: not running)."""
    page.wait_for_function("(id) => document.querySelector('.rl-tour').rlTour.id() === id", arg=step_id)


def assert_highlighted(page, selector: str) -> None:
    """The highlight box sits over the target (6 px around it), and the target is on screen."""
    page.wait_for_function("""(sel) => {
        const t = document.querySelector(sel), s = document.querySelector('.rl-tour-spot');
        if (!t || s.hidden) return false;
        const a = t.getBoundingClientRect(), b = s.getBoundingClientRect();
        const near = (x, y) => Math.abs(x - y) <= 8;
        return near(a.left - 6, b.left) && near(a.top - 6, b.top) && near(a.width + 12, b.width)
            && near(a.height + 12, b.height) && a.bottom > 0 && a.top < window.innerHeight;
    }""", arg=selector)


def slider_number(page):
    return page.locator("#digit-t input[type='number']")


# ---------------------------------------------------------------------------------------------
# The tour

def test_tour_targets_are_on_the_real_page(page):
    """Every element the tour highlights or watches is on the served page, with its step's tab
    open (that each is inside its step's tab: tests/test_lessons.py)."""
    import json
    assert STEPS == ["draw", "row10", "gates", "settle", "compare", "rows", "unit", "edit", "generate", "column",
                     "clamp", "lookback", "count", "train"]
    by_tab = {}
    for s in lessons.load_tour()["steps"]:
        ids = set(re.findall(r"#([a-z][a-z0-9-]*)", s["target"] + json.dumps(s["done"])))
        by_tab.setdefault(s["tab"], set()).update((s["id"], i) for i in ids)
    for tab in ("digits", "text", "train"):         # the tour opens each step's tab first
        page.click(f"#tab-{tab}-button")
        expect(page.locator(f"#tab-{tab}-button")).to_have_attribute("aria-selected", "true")
        for step, i in sorted(by_tab[tab]):
            expect(page.locator(f"#{i}").first, f"step {step}: #{i}").to_be_attached()


@screenshot_on_failure
def test_walk_the_whole_tour_by_doing_each_step(page, tmp_path):
    steps = {s["id"]: s for s in lessons.load_tour()["steps"]}
    page.click(".rl-tour-start")
    s = tour_state(page)
    assert (s["id"], s["lang"], s["count"], s["hidden"]) == ("draw", "en", 14, False)
    assert s["count_text"] == "Step 1 of 14" and s["title"] == steps["draw"]["en"]["title"]
    assert_highlighted(page, "#digit-pad")
    screenshot(page, "tour_en.png")

    mouse_stroke(page, ONE)                                      # 1: draw -> a prediction
    expect(page.locator(PREDICTION)).to_have_text("1")
    wait_idle(page)  # the pen-up's answer (with the step it was sent with) is in before the slider moves
    wait_step(page, "row10")
    assert_highlighted(page, "#digit-t")

    slider_number(page).fill("10")                               # 2: the slider to 10
    slider_number(page).press("Enter")
    expect(page.locator("#digit-caption")).to_contain_text("Row 10 of 28")
    wait_step(page, "gates")
    assert_highlighted(page, "#digit-panel-1")

    page.hover("#digit-panel-1")                                 # 3: hover the forget gate's map
    wait_step(page, "settle")
    assert_highlighted(page, "#digit-confidence")

    page.click("#digit-play")                                    # 4: Play
    wait_step(page, "compare")
    assert_highlighted(page, "#digit-compare")
    expect(slider_number(page)).to_have_value("28", timeout=TIMEOUT_MS)   # played to the end

    page.locator("#digit-model label", has_text="RNN").click()   # 5: the RNN
    wait_step(page, "rows")
    assert_highlighted(page, "#row-influence")
    expect(page.locator("#digit-caption")).to_contain_text("The RNN")

    page.hover("#row-influence")                                 # 6: the influence per row
    wait_step(page, "unit")
    assert_highlighted(page, "#digit-h")

    unit = page.locator("#digit-unit input")                     # 7: open a unit by its number
    unit.fill("5")
    unit.press("Enter")
    wait_step(page, "edit")
    assert_highlighted(page, "#digit-ablate")

    page.click("#digit-ablate-unit")                             # 8: ablate it
    expect(page.locator("#digit-ablate textarea, #digit-ablate input").first).to_have_value("5")
    expect(page.locator("#digit-difference")).to_contain_text("Ablating unit (5)")
    wait_step(page, "generate")                                  # the tour opens the Text tab
    expect(page.locator("#tab-text-button")).to_have_attribute("aria-selected", "true")
    assert_highlighted(page, "#text-generate")

    page.click("#text-generate")                                 # 9: generate
    wait_step(page, "column")
    assert_highlighted(page, "#text-unit-pick")

    page.locator("#text-unit-pick input").click()                # 10: the line-position unit
    page.get_by_role("option", name="position in the line", exact=False).first.click()
    wait_step(page, "clamp")
    assert_highlighted(page, "#text-edit-example")

    page.click("#text-edit-example")                             # 11: clamp it
    expect(page.locator("#text-clamp textarea, #text-clamp input").first).not_to_have_value("")
    wait_step(page, "lookback")
    assert_highlighted(page, "#text-conn")

    page.locator("#text-units [data-t='3']").click()            # 12: how far back
    wait_step(page, "count")
    expect(page.locator("#text-conn")).to_contain_text("distance")
    # 13: the Tang poems (this app's weights may or may not hold that model: the tests of the
    # step itself are below, on apps of their own); Next
    page.click(".rl-tour-card button[data-act='next']")
    wait_step(page, "train")                                     # the tour opens the Train tab
    expect(page.locator("#tab-train-button")).to_have_attribute("aria-selected", "true")
    assert_highlighted(page, "#train-run")
    assert tour_state(page)["count_text"] == "Step 14 of 14"
    assert page.locator(".rl-tour-card button[data-act='next']").text_content() == "Finish"

    page.click("#train-compare-fbias")                           # 14: the compare preset, then Play -> the end
    expect(page.locator("#train-compare-on input")).to_be_checked()
    expect(page.locator("#train-task input[value=remember]")).to_be_checked()
    assert tour_state(page)["id"] == "train"                     # the preset alone does not finish it
    page.click("#train-play")
    wait_step(page, None)
    expect(page.locator("#train-status")).to_contain_text("Run B")   # both runs on their way
    page.click("#train-reset")
    expect(page.locator("#train-loss .rl-train-chart")).to_have_attribute("data-records", "0")
    expect(page.locator(".rl-tour-layer")).to_be_hidden()
    expect(page.locator(".rl-tour")).to_have_attribute("data-finished", "true")
    expect(page.locator(".rl-tour-status")).to_contain_text("Tour finished")
    expect(page.locator(".toast-body")).to_have_count(0)        # no error on the way


@screenshot_on_failure
def test_next_back_and_leave(page, tmp_path):
    page.click(".rl-tour-start")
    wait_step(page, "draw")
    back = page.locator(".rl-tour-card button[data-act='back']")
    assert back.is_disabled()
    page.click(".rl-tour-card button[data-act='next']")
    wait_step(page, "row10")
    assert_highlighted(page, "#digit-t")
    back.click()
    wait_step(page, "draw")
    for _ in range(8):                                           # Next to the first Text step
        page.click(".rl-tour-card button[data-act='next']")
    wait_step(page, "generate")
    expect(page.locator("#tab-text-button")).to_have_attribute("aria-selected", "true")
    page.click(".rl-tour-card button[data-act='leave']")
    wait_step(page, None)
    expect(page.locator(".rl-tour-layer")).to_be_hidden()
    assert page.locator("[data-rl-tour-target]").count() == 0
    page.click(".rl-tour-start")                                 # again; Escape leaves
    wait_step(page, "draw")
    expect(page.locator("#tab-digits-button")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    wait_step(page, None)


# ---------------------------------------------------------------------------------------------
# Links and lessons

@screenshot_on_failure
def test_a_link_reopens_its_view(browser, app_url, tmp_path):
    page = open_page(browser, app_url, query="?model=gru&t=10&unit=5&ablate=3&digit=7")
    try:
        expect(page.locator("#digit-model input[value='gru']")).to_be_checked()
        expect(slider_number(page)).to_have_value("10")
        expect(page.locator("#digit-unit input")).to_have_value("5")
        expect(page.locator("#digit-caption")).to_contain_text("Row 10 of 28.** The GRU".replace("**", ""))
        expect(page.locator(PREDICTION)).to_have_text("7")       # the example 7, read by the GRU
        expect(page.locator("#digit-difference")).to_contain_text("Ablating unit (3)")
        expect(page.locator("#link-notice")).to_be_empty()
        # a new drawing is read with the link's controls (the pad's events read the page's
        # copy of them, which the link set with them)
        page.locator('#digit-pad button[data-act="clear"]').click()
        wait_idle(page)
        mouse_stroke(page, ONE)
        wait_idle(page)
        expect(page.locator(PREDICTION)).to_have_text("1")
        expect(page.locator("#digit-caption")).to_contain_text("Row 10 of 28. The GRU")
        expect(page.locator("#digit-difference")).to_contain_text("Ablating unit (3)")
    finally:
        page.context.close()


@screenshot_on_failure
def test_a_drawing_is_read_with_the_controls_as_the_page_shows_them(page, tmp_path):
    """The model, the step, the unit and an edit typed (not yet sent) before drawing: the pen-up's
    answer uses them all (the pad's events read the page's copy of the controls)."""
    page.locator("#digit-model label", has_text="RNN").click()
    slider_number(page).fill("12")
    slider_number(page).press("Enter")
    page.locator("#digit-unit input").fill("5")
    page.locator("#digit-ablate textarea, #digit-ablate input").first.fill("3")
    wait_idle(page)
    page.locator("#digit-pad canvas").scroll_into_view_if_needed()
    mouse_stroke(page, ONE)
    wait_idle(page)
    expect(page.locator(PREDICTION)).not_to_be_empty()
    expect(page.locator("#digit-controls")).to_be_hidden()
    expect(page.locator("#digit-caption")).to_contain_text("Row 12 of 28. The RNN")
    expect(page.locator("#digit-difference")).to_contain_text("Ablating unit (3)")
    expect(page.locator("#sec-why-unit")).to_contain_text("Unit 5")


@screenshot_on_failure
def test_copy_link_writes_the_view_into_the_address_bar(page, browser, tmp_path):
    mouse_stroke(page, ONE)
    wait_idle(page)  # as above: a live answer can show the label before the pen-up's answer lands
    expect(page.locator(PREDICTION)).not_to_be_empty()
    answer = page.locator(PREDICTION).text_content()
    slider_number(page).fill("12")
    slider_number(page).press("Enter")
    expect(page.locator("#digit-caption")).to_contain_text("Row 12 of 28")
    page.click("#copy-link")
    page.wait_for_function("() => location.search.includes('t=12')")
    url = page.evaluate("() => location.href")
    assert "ink=" in url, url                                    # the drawing itself
    other = open_page(browser, url.split("?")[0], query="?" + url.split("?", 1)[1])
    try:
        expect(other.locator("#digit-caption")).to_contain_text("Row 12 of 28")
        expect(other.locator(PREDICTION)).to_have_text(answer)
    finally:
        other.context.close()


@screenshot_on_failure
def test_a_bad_field_of_a_link_is_named_and_the_rest_opens(browser, app_url, tmp_path):
    """Malformed links are the codec's tests (tests/test_links.py): here one bad field (a step
    beyond the 28 rows) is named in the notice, the link's other fields are applied, the step
    keeps its default, and the page works on (a drawing is read with the link's model)."""
    page = open_page(browser, app_url, query="?t=99&model=gru&unit=5")
    try:
        notice = page.locator("#link-notice")
        expect(notice).to_contain_text("could not be opened")
        expect(notice).to_contain_text("Link parameter t: Step t must be from 1 to 28")
        expect(page.locator("#digit-model input[value='gru']")).to_be_checked()
        expect(page.locator("#digit-unit input")).to_have_value("5")
        expect(slider_number(page)).to_have_value("28")
        expect(page.locator(".toast-body")).to_have_count(0)
        mouse_stroke(page, ONE)
        wait_idle(page)
        expect(page.locator(PREDICTION)).to_have_text("1")
        expect(page.locator("#digit-caption")).to_contain_text("Row 28 of 28. The GRU")
        expect(page.locator(".toast-body")).to_have_count(0)
    finally:
        page.context.close()


@screenshot_on_failure
def test_the_first_lesson_hides_the_later_panels(browser, app_url, tmp_path):
    page = open_page(browser, app_url, query="?lesson=first&digit=3&t=14")
    try:
        for shown in ("#sec-pad", "#sec-prediction", "#sec-row-by-row"):
            expect(page.locator(shown)).to_be_visible()
        for hidden in ("#sec-compare", "#sec-why-rows", "#sec-why-unit", "#sec-why-whatif", "#sec-explain"):
            expect(page.locator(hidden)).to_be_hidden()
        expect(page.locator("#tab-text-button")).to_be_hidden()
        expect(page.locator("#link-notice")).to_contain_text("First lesson")
        expect(page.locator(PREDICTION)).to_have_text("3")
        page.click(".rl-tour-start")                             # the lesson's tour: its four steps
        assert tour_state(page)["count"] == 4
        page.keyboard.press("Escape")
        screenshot(page, "lesson_first.png")
    finally:
        page.context.close()


# ---------------------------------------------------------------------------------------------
# Languages

@screenshot_on_failure
def test_zh_cn_browser_gets_chinese(page_zh, tmp_path):
    page = page_zh
    expect(page.locator(".rl-tour-start")).to_have_text(lessons.load_tour()["ui"]["zh-CN"]["start"])
    expect(page.locator("#tab-digits-button")).to_have_text(ZH["app.tab.digits"])
    expect(page.locator("#digit-prediction")).to_contain_text(ZH["digits.final.label"])
    expect(page.locator("#digit-t")).to_contain_text(ZH["digits.t.label"])
    expect(page.locator("#digit-h")).to_contain_text(ZH["digits.hmap.label"])   # relabelled by Python
    expect(page.locator("#lang-switch input[value='zh-CN']")).to_be_checked()
    mouse_stroke(page, ONE)
    expect(page.locator("#digit-caption")).to_contain_text("第 28 行，共 28 行")  # a caption written in Python
    page.click(".rl-tour-start")
    s = tour_state(page)
    assert s["lang"] == "zh-CN" and s["count_text"] == "第 1 步，共 14 步"
    expect(page.locator(".rl-tour-card button[data-act='next']")).to_have_text("下一步")
    screenshot(page, "tour_zh.png")


@screenshot_on_failure
def test_the_switch_changes_the_language(page, tmp_path):
    mouse_stroke(page, ONE)
    wait_idle(page)
    expect(page.locator("#digit-caption")).to_contain_text("Row 28 of 28")
    page.locator("#lang-switch label", has_text="简体中文").click()
    expect(page.locator("#digit-t")).to_contain_text(ZH["digits.t.label"])
    expect(page.locator("#digit-caption")).to_contain_text("第 28 行，共 28 行")
    expect(page.locator(".rl-tour-start")).to_have_text("开始导览")
    expect(page.locator("#tab-text-button")).to_have_text(ZH["app.tab.text"])
    box = page.locator("#digit-ablate textarea, #digit-ablate input").first   # an error message, in Chinese
    box.fill("abc")
    box.press("Enter")
    expect(page.locator(".toast-body").first).to_contain_text("消融单元")
    page.locator("#lang-switch label", has_text="English").click()
    expect(page.locator("#digit-t")).to_contain_text("Step t: rows read so far")


# ---------------------------------------------------------------------------------------------
# The Tang poems' step ("the unit that counts") and lesson: on the shared app (the shipped Tang
# model), and on an app without a Tang model

@pytest.fixture(scope="module")
def no_tang_app(tmp_path_factory):
    """The shipped models without a Tang model (whatever weights/ holds)."""
    from conftest import serving
    from test_text_tang_tab import tang_weights
    with serving(tang_weights(tmp_path_factory.mktemp("without_tang"), with_tang=False)) as url:
        yield url


def open_lesson(browser, url, query):
    ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page.goto(url + query)
    expect(page.locator(".rl-tour[data-ready=true]")).to_be_attached()
    expect(page.locator("#lang-switch input:checked")).to_have_count(1)
    return page


@screenshot_on_failure
def test_the_tang_lesson_opens_the_poems_and_its_tour_the_counting_step(browser, app_url, tmp_path):
    """?lesson=tang opens 唐诗 with the acrostic 春夏秋冬; its tour's first step chooses 唐诗 again
    after the learner left it, and points at the unit picker, on the shipped Tang model's units."""
    page = open_lesson(browser, app_url, "?lesson=tang&lang=zh-CN")
    tang = page.locator("#text-corpus input[value='tang']")
    try:
        expect(page.locator("#tab-text-button")).to_have_attribute("aria-selected", "true")
        expect(page.locator("#tab-digits-button")).to_be_hidden()
        expect(tang).to_be_checked()
        expect(page.locator("#text-acrostic textarea")).to_have_value("春夏秋冬")
        expect(page.locator("#link-notice")).to_contain_text(lessons.preset("tang").title["zh-CN"])
        page.click("#text-generate")                             # an acrostic poem: 春... 夏... 秋... 冬...
        expect(page.locator("#text-generated textarea")).to_have_value(re.compile("春.*夏.*秋.*冬", re.S))
        page.locator("#text-corpus label", has_text=ZH["text.corpus.shakespeare"]).click()   # the learner leaves
        expect(page.locator("#text-corpus input[value='shakespeare']")).to_be_checked()
        expect(page.locator("#text-acrostic")).to_be_hidden()
        page.click(".rl-tour-start")
        wait_step(page, "count")
        count = next(x for x in lessons.load_tour()["steps"] if x["id"] == "count")
        s = tour_state(page)
        assert (s["count"], s["title"], s["lang"]) == (3, count["zh-CN"]["title"], "zh-CN")
        expect(tang).to_be_checked()                             # the step chose 唐诗: its model and box
        expect(page.locator("#text-acrostic")).to_be_visible()
        expect(page.locator("#text-unit-pick input")).not_to_have_value("")   # the Tang model's units
        assert_highlighted(page, "#text-unit-pick")
        screenshot(page, "tour_count_zh.png")                   # the shipped model's counting unit
        page.wait_for_timeout(1000)                              # the page kept it: not refused
        expect(tang).to_be_checked()
        assert page.evaluate("document.querySelector('.rl-tour').rlTour.refused()") == []
        expect(page.locator(".toast-body")).to_have_count(0)
    finally:
        page.context.close()


@screenshot_on_failure
def test_without_the_tang_model_the_counting_step_says_how_to_make_it(browser, no_tang_app, tmp_path):
    """The lesson's link names the missing model and its command; the tour's step chooses 唐诗,
    the page puts the radio back with its note, and the tour says so over the radio."""
    command = "python training/train_char_rnn.py --preset tang"
    page = open_lesson(browser, no_tang_app, "?lesson=tang&lang=zh-CN")
    try:
        expect(page.locator("#link-notice")).to_contain_text(command)
        expect(page.locator("#text-corpus input[value='shakespeare']")).to_be_checked()
        page.click(".rl-tour-start")
        wait_step(page, "count")
        page.wait_for_function("() => document.querySelector('.rl-tour').rlTour.refused().length === 1")
        expect(page.locator(".rl-tour-note")).to_have_text(lessons.load_tour()["ui"]["zh-CN"]["unavailable"])
        expect(page.locator("#text-corpus-note")).to_contain_text(command)
        expect(page.locator("#text-corpus input[value='shakespeare']")).to_be_checked()
        assert_highlighted(page, "#text-corpus")
        page.click(".rl-tour-card button[data-act='next']")      # Next goes on
        wait_step(page, "clamp")
        expect(page.locator(".rl-tour-note")).to_have_text("")
    finally:
        page.context.close()
