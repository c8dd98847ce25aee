""""Open in the lens" for a text run, in a real browser (Playwright + Debian's chromium, as
tests/test_train_browser.py): a tiny LSTM trained for a few steps on pasted Chinese text (lines of
a Tang poem, repeated) opens in the Text tab, chosen in its model dropdown.  It never saw the
characters of the default seed "ROMEO:", so the seed becomes the start of its text and a note
says so (never an error), and the tab writes with it at once: the generated text holds only
characters of its vocabulary, and the step views show it.  The language switch writes that note
and the one under the Train tab's button again in 简体中文.  On a 390×844 phone, in 简体中文 from a
link, the same, within the screen.

    .venv/bin/python -m pytest -q tests/test_lens_text_browser.py
    RNN_LENS_SCREENSHOTS=/tmp/shots .venv/bin/python -m pytest -q tests/test_lens_text_browser.py

The app's training pool is swapped, before its first Play, for one worker at normal priority (no
data needed: the text is pasted); it is closed at the end of the module.
"""
import re

import pytest

from conftest import screenshot_on_failure, skip_without_browser

from demo import i18n

skip_without_browser("Open in the lens (Text tab) browser tests")
from playwright.sync_api import expect  # noqa: E402  (after the skip: it may not be installed)
from test_browser import PHONE, readme_screenshot  # noqa: E402
from test_train_browser import open_train, swapped_pool  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")]
ZH = i18n.strings("zh-CN")
START_MS = 90_000          # the first Step starts the training process (torch): generous
POEM = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n" * 12
VOCAB = set(POEM)
SEED = "床前明月光，疑是地上霜。"   # its first line: what the seed becomes
QUERY = "?tab=train&task=text&corpus=mine&hidden=16&bptt=16&batch=8"


@pytest.fixture(scope="module", autouse=True)
def small_pool():
    """One worker (no data needed: the text is pasted)."""
    yield from swapped_pool(1)


@pytest.fixture
def page(browser, app_url):
    page = open_train(browser, app_url, query=QUERY)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser, app_url):
    """A 390x844 phone that opened a link to the tab in 简体中文."""
    page = open_train(browser, app_url, PHONE, QUERY + "&lang=zh-CN", device_scale_factor=3, has_touch=True,
                      is_mobile=True)
    yield page
    page.context.close()


def model_box(page, label: str):
    """The Text tab's model dropdown (its input shows the chosen model's words)."""
    return page.locator("#tab-text").get_by_label(label, exact=True)


def train_and_open(page, model_label: str) -> str:
    """Paste the poem, Step (10 training steps, then paused), "Open in the lens": the Text tab
    opens with the page's own model chosen and writes with it.  Returns the text it wrote."""
    page.locator("#train-pasted textarea").fill(POEM)
    page.locator("#train-step").click()
    expect(page.locator("#train-status")).to_contain_text(re.compile("Paused|已暂停"), timeout=START_MS)
    expect(page.locator("#train-open")).to_be_enabled()
    page.locator("#train-open").click()
    expect(page.locator("#tab-text-button")).to_have_attribute("aria-selected", "true")
    expect(model_box(page, model_label)).to_have_value(re.compile(r"LSTM 1×16"))
    expect(page.locator("#text-seed-row textarea").first).to_have_value(SEED)   # a seed it knows
    out = page.locator("#text-generated textarea")
    expect(out).to_have_value(re.compile(r"^[\s\S]{500}$"), timeout=START_MS)     # written at once: 500
    expect(page.locator("#text-units [data-t]")).to_have_count(500)               # traced: a span each
    text = out.input_value()
    assert set(text) <= VOCAB, sorted(set(text) - VOCAB)                          # its characters only
    return text


@screenshot_on_failure
def test_a_text_run_opens_in_the_text_tab_with_a_seed_it_knows_and_writes_at_once(page, tmp_path):
    train_and_open(page, "Model")
    expect(model_box(page, "Model")).to_have_value(re.compile(r"^Yours: LSTM 1×16"))
    note = page.locator("#text-corpus-note")
    expect(note).to_contain_text(f"the seed is now {SEED}, the start of that text")
    expect(page.locator(".toast-body")).to_have_count(0)                           # no error on Open
    page.locator("#text-corpus").scroll_into_view_if_needed()
    readme_screenshot(page, "train_lens_text.png", below=page.locator("#text-corpus"), max_height=1600)
    page.locator("#lang-switch").get_by_text("简体中文").click()                    # both notes in Chinese
    expect(note).to_contain_text(f"种子文本已换成 {SEED}")
    expect(model_box(page, "模型")).to_have_value(re.compile(r"^你的模型：LSTM 1×16"))
    page.locator("#tab-train-button").click()
    expect(page.locator("#train-lens-note")).to_contain_text("已在“文本”标签页中打开为")
    page.locator("#lang-switch").get_by_text("English").click()
    expect(page.locator("#train-lens-note")).to_contain_text("Opened in the Text tab as")


@screenshot_on_failure
def test_on_a_phone_in_chinese_a_text_run_opens_in_the_lens_within_the_screen(phone, tmp_path):
    page = phone
    train_and_open(page, "模型")
    expect(model_box(page, "模型")).to_have_value(re.compile(r"^你的模型：LSTM 1×16"))
    expect(page.locator("#text-corpus-note")).to_contain_text(f"种子文本已换成 {SEED}")
    expect(page.locator(".toast-body")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    box = page.locator("#text-units").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, box
    page.locator("#text-corpus").scroll_into_view_if_needed()
    readme_screenshot(page, "train_lens_text_phone.png", below=page.locator("#text-corpus"), width=PHONE["width"],
                      max_height=2400)
