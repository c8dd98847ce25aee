"""A link through the whole app, for every field of every table (demo/links.py, demo/app.py): the
load handler puts the field's example into the page, the page shows it, and "Copy link" makes the
same link again from what the page shows.  Also: the load answer sets only what a link names, a
bad link's notice is escaped and in the page's language, and a lesson's controls are applied."""
from types import SimpleNamespace

import pytest
from starlette.datastructures import Headers, QueryParams

from demo import links
from demo.answers import value_of

pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")
FIELDS = [(name, f) for name, table in links.TABLES.items() for f in table.fields.values()]


@pytest.fixture(scope="module")
def app():
    from demo.app import build_app
    with pytest.MonkeyPatch.context() as mp:   # no worker processes: this module reads the handlers' answers
        mp.setenv("RNN_LENS_WRITER", "0")
        mp.setenv("RNN_LENS_DIGITS_WORKER", "0")
        return build_app().rnn_lens


def request(query: str, lang: str = "en"):
    return SimpleNamespace(query_params=QueryParams(query), headers=Headers({"accept-language": lang}),
                           session_hash="test-links")


def shown(out: dict, component):
    """What the page shows in ``component`` after an answer (None: the answer leaves it)."""
    if component not in out:
        return None
    v = out[component]
    if isinstance(v, dict) and v.get("__type__") == "update":
        return v.get("value")
    return value_of(v)


def page_values(app, out: dict) -> list:
    """Copy link's inputs as the page holds them after the load answer ``out``."""
    def now(c):
        v = out.get(c)
        if v is None or (isinstance(v, dict) and v.get("__type__") == "update" and "value" not in v):
            return c.value                  # the answer leaves its value (or sets only its words)
        return shown(out, c)
    values = [now(app.tab), now(app.lang), now(app.chosen), now(app.lesson)]
    for ui in app.tabs.values():
        values += [now(c) for c in ui.copy_inputs]
    return values


@pytest.mark.parametrize("table,field", FIELDS, ids=[f"{t}.{f.name}" for t, f in FIELDS])
def test_every_field_reaches_the_page_and_comes_back(app, table, field):
    query = f"{field.key}={field.example}"
    out = app.on_load(request(query))
    assert shown(out, app.notice) in ("", None) or "⚠" not in shown(out, app.notice), shown(out, app.notice)
    expected = links.decode_strict(query)
    value = getattr(expected.app if table == "app" else expected.tabs[table], field.name)
    if table == "app":
        component = {"tab": app.tab, "lang": app.lang, "lesson": app.lesson}[field.name]
    elif field.component is not None:
        component = app.tabs[table].c[field.name]
        value = field.shown(value)
    else:                                   # the drawing: the pad shows it
        component = app.tabs[table].c["pad"]
    got = shown(out, component)
    if component is app.tabs.get("digits", SimpleNamespace(c={})).c.get("pad"):
        assert isinstance(got, dict) and got.get("data"), "the drawing is not in the pad"
    else:
        assert got == value, (field.name, got, value)
    # Copy link: the page's values give the same link back
    values = page_values(app, out)
    again = links.decode_strict(app.copy_link(*values))
    back = getattr(again.app if table == "app" else again.tabs[table], field.name)
    original = getattr(expected.app if table == "app" else expected.tabs[table], field.name)
    if field.name == "ink":                  # quantised to 16 levels: the same drawing, not the same bytes
        assert back is not None
    elif field.name == "lang":               # a language chosen by the link is kept
        assert back == original
    else:
        assert back == original, (field.name, back, original)


def test_the_load_answer_sets_only_what_the_link_names(app):
    out = app.on_load(request(""))
    for ui in app.tabs.values():
        for f in ui.table.components:
            assert ui.c[f.name] not in out, f"a plain load resets {ui.name}.{f.name}"
    assert app.tabs_row not in out                 # a tab the user opened before the answer stays open
    out = app.on_load(request("t=5"))
    assert shown(out, app.tabs["digits"].c["t"]) == 5
    assert app.tabs["digits"].c["model"] not in out


def test_a_bad_link_is_named_escaped_and_in_the_pages_language(app):
    out = app.on_load(request("tab=%3Cscript%3E&t=5", "zh-CN"))
    notice = shown(out, app.notice)
    assert "&lt;script&gt;" in notice and "<script>" not in notice
    assert "链接" in notice and shown(out, app.tabs["digits"].c["t"]) == 5      # the rest is applied


def test_a_unit_beyond_the_model_is_refused_by_the_tab(app):
    out = app.on_load(request("unit=4000"))
    assert "⚠" in shown(out, app.notice) and "4000" not in str(shown(out, app.tabs["digits"].c["unit"]))


def test_a_lesson_hides_panels_and_sets_its_controls(app):
    out = app.on_load(request("lesson=gates"))
    d = app.tabs["digits"]
    assert shown(out, d.c["gate"]) == "f" and shown(out, d.c["gate_value"]) == 0.2
    hidden = [g for g, c in app.sections().items() if c in out and out[c].get("visible") is False]
    assert "compare" in hidden and "pad" not in hidden
