"""The Text tab's Tang poems (issue #27) in a real browser: a page in 简体中文 opens the Text tab on
唐诗, says in Chinese what is wrong with a short acrostic, writes an acrostic poem whose lines
start with its characters, shows one coloured span per
character and recolours them by another unit; on a 390×844 phone the poem's views (wide
characters) stay within the screen and stack.  The app is the shared one (``app_url``), with
the shipped Tang model, so the screenshots show what a visitor sees.

    .venv/bin/python -m pytest -q tests/test_text_tang_browser.py
    RNN_LENS_SCREENSHOTS=/tmp/shots .venv/bin/python -m pytest -q tests/test_text_tang_browser.py

Needs chromium, as tests/test_browser.py (skipped without it, except in CI).
"""
import re

import pytest

from conftest import screenshot_on_failure, skip_without_browser

from demo.text.tang import MARK_END, split_lines

skip_without_browser("the Tang poems' browser tests")
from playwright.sync_api import expect  # noqa: E402  (after the skip: it may not be installed)
from test_browser import PHONE, TIMEOUT_MS, VIEWPORT, readme_screenshot  # noqa: E402  (tests/ is on sys.path)
from test_text_tang_tab import ACROSTIC  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")


def open_text(browser, url: str, viewport: dict, **kwargs):
    """A fresh page on the Text tab in Chinese, ready when the Tang poems are chosen."""
    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(viewport=viewport, **kwargs)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url + "?tab=text&lang=zh-CN")
    expect(page.locator("#text-corpus input[value='tang']")).to_be_checked()   # Chinese: the Tang poems
    return page


@pytest.fixture
def page(browser, app_url):
    page = open_text(browser, app_url, VIEWPORT)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser, app_url):
    page = open_text(browser, app_url, PHONE, device_scale_factor=3, has_touch=True, is_mobile=True)
    yield page
    page.context.close()


def write_poem(page, acrostic: str = "") -> str:
    """Generate (with an acrostic) and wait for the step views: the poem written."""
    if acrostic:
        page.locator("#text-acrostic textarea").fill(acrostic)
    page.locator("#text-generate").click()
    out = page.locator("#text-generated textarea")
    expect(out).to_have_value(re.compile(MARK_END))
    text = out.input_value()
    expect(page.locator("#text-units [data-t]")).to_have_count(len(text))
    return text


@screenshot_on_failure
def test_a_chinese_page_writes_an_acrostic_poem_and_colours_it_by_a_unit(page, tmp_path):
    expect(page.get_by_label("长度", exact=True)).to_be_hidden()           # a poem ends itself
    page.locator("#text-acrostic textarea").fill(ACROSTIC[:2])             # too short: said in Chinese
    page.locator("#text-generate").click()
    expect(page.locator(".toast-body").first).to_contain_text("藏头诗的藏头字是 4 个")
    text = write_poem(page, ACROSTIC)
    lines, _ = split_lines(text.split(MARK_END, 1)[1])
    assert [line[0] for line in lines] == list(ACROSTIC), text
    spans = page.locator("#text-units [data-t]")
    expect(spans.nth(3)).to_have_text(ACROSTIC[0])                      # marker, "：", then the first head
    unit = page.get_by_label("单元", exact=True)
    unit.fill("5")
    unit.press("Enter")
    expect(spans.first).to_have_attribute("title", re.compile(r"\[5\]"))   # recoloured by unit 5
    expect(page.locator("#text-hmap img.rl-heat-img")).to_have_js_property("complete", True)
    spans.nth(5).click()                                                 # a click picks that step
    expect(page.locator("#text-step-view")).to_contain_text("6")
    page.locator("#text-corpus").scroll_into_view_if_needed()
    readme_screenshot(page, "text_tang.png", below=page.locator("#text-corpus"), max_height=1500)


@screenshot_on_failure
def test_a_poem_on_a_phone_stays_within_the_screen(phone, tmp_path):
    page = phone
    write_poem(page, ACROSTIC + "山水月花")   # eight lines
    for pair in (("#text-corpus", "#text-acrostic"), ("#text-step-view", "#text-hmap")):   # they stack
        a, b = (page.locator(v).first.bounding_box() for v in pair)
        assert min(a["width"], b["width"]) >= 0.6 * PHONE["width"], (pair, a, b)
        assert a["y"] + a["height"] <= b["y"] + 1, (pair, a, b)       # one under the other
    wide = page.evaluate("""(w) => [...document.querySelectorAll('#tab-text img, #tab-text canvas, #tab-text .block')]
        .filter(e => e.getBoundingClientRect().width > w + 1 && e.offsetParent !== null)
        .map(e => e.id || e.className)""", PHONE["width"])
    assert not wide, wide
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    box = page.locator("#text-units").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, box
    readme_screenshot(page, "text_tang_phone.png", below=page.locator("#text-corpus"), width=PHONE["width"],
                      max_height=2400)
