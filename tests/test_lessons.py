"""Lesson presets and the tour's data (demo/lessons.py, demo/lessons/*.json) and the tour
component's value (demo/ui_tour.py); the browser side is tests/test_tour_browser.py."""
import json
import re

import pytest

from demo import lessons


@pytest.fixture(scope="module")
def app():
    """The whole app, built (not launched) without its worker processes."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNN_LENS_WRITER", "0")
        mp.setenv("RNN_LENS_DIGITS_WORKER", "0")
        from demo.app import build_app
        return build_app().rnn_lens


def elem_ids(app) -> dict:
    """{elem_id: block} of every component on the page."""
    return {b.elem_id: b for b in app.demo.blocks.values() if getattr(b, "elem_id", None)}


def tab_of(block) -> str | None:
    """The name of the tab a component sits in (None: above the tabs)."""
    while block is not None:
        if block.__class__.__name__ == "Tab":
            return block.id
        block = getattr(block, "parent", None)
    return None


def test_each_tabs_sections_are_its_lesson_groups(app):
    assert set(app.tabs) == set(lessons.TABS) == set(lessons.SECTIONS)
    for tab, ui in app.tabs.items():
        assert tuple(ui.sections) == lessons.SECTIONS[tab], tab     # the same groups, top to bottom
        for name, container in ui.sections.items():
            g = lessons.GROUPS[name]
            assert g.tab == tab and container.elem_id == g.elem_id == "sec-" + name.replace("_", "-")
            assert tab_of(container) == tab, (name, tab_of(container))
        for heading, groups in ui.headings.items():
            assert set(groups) <= set(ui.sections), (tab, groups)
    assert len({g.elem_id for g in lessons.GROUPS.values()}) == len(lessons.GROUPS)


def test_every_presets_link_decodes(app):
    from demo import links
    for name, p in lessons.load_presets().items():
        link = links.decode_strict(p.link)
        named = {tab for tab, fields in link.given.items() if fields and tab != "app"}
        assert named <= set(p.tabs), (name, named, p.tabs)     # it sets controls only on its tabs
    gates = links.decode_strict(lessons.preset("gates").link)
    assert gates.tabs["digits"].gate == "f" and gates.tabs["digits"].gate_value == 0.2
    assert gates.given["digits"] == {"digit", "gate", "gate_value", "from_row"}


def test_presets():
    presets = lessons.load_presets()
    assert {"full", "first", "gates", "why", "text", "remember", "remember_rnn"} <= set(presets)
    assert lessons.hidden_groups(None) == [] == lessons.hidden_groups("full")
    first = lessons.visibility("first")
    assert [g for g, shown in first.items() if shown] == ["pad", "prediction", "row_by_row"]
    assert lessons.tabs_shown("first") == ("digits",) and lessons.tabs_shown("text") == ("text",)
    assert "compare" in lessons.hidden_groups("first") and "pad" not in lessons.hidden_groups("first")
    assert all(lessons.GROUPS[g].tab == "text" for g, shown in lessons.visibility("text").items() if shown)
    assert lessons.visibility("gates")["why_whatif"] and not lessons.visibility("gates")["compare"]
    with pytest.raises(ValueError, match="unknown lesson 'x'"):
        lessons.visibility("x")


def test_the_tour_has_the_issues_steps():
    tour = lessons.load_tour()
    steps = tour["steps"]
    assert lessons.MIN_STEPS <= len(steps) <= lessons.MAX_STEPS
    assert [s["tab"] for s in steps] == ["digits"] * 8 + ["text"] * 4 + ["train"]
    for s in steps:
        for lang in lessons.LANGS:
            n = len(re.findall(r"[。！？]|[.!?](?=\s|$)", s[lang]["body"]))
            assert 2 <= n <= 3, (s["id"], lang, n)
    # the lessons' tours: only their groups' steps
    assert [s["id"] for s in lessons.tour_steps("first")] == ["draw", "row10", "gates", "settle"]
    assert [s["id"] for s in lessons.tour_steps("text")] == ["generate", "column", "clamp", "lookback"]
    assert [s["id"] for s in lessons.tour_steps("remember")] == ["train"] == [s["id"] for s in
                                                                            lessons.tour_steps("remember_rnn")]
    train = steps[-1]                       # the Train step points at the compare preset and Play
    assert train["target"] == "#train-run" and train["done"] == {"event": "click", "on": "#train-play"}
    from demo.i18n import t
    for lang in lessons.LANGS:
        assert t("train.compare.preset_fbias", lang) in train[lang]["body"], lang
        assert t("train.play", lang) in train[lang]["body"], lang
    assert len(lessons.tour_steps(None)) == len(steps)


def test_tour_targets_are_on_the_page(app):
    """Every id a step points at or waits on is a component of the built app, and each step's
    target is in the step's own tab."""
    ids = elem_ids(app)
    for s in lessons.load_tour()["steps"]:
        for i in re.findall(r"#([a-z][a-z0-9-]*)", s["target"] + json.dumps(s["done"])):
            assert i in ids, f"#{i} (step {s['id']!r}) is not on the page"
        target = re.match(r"#([a-z][a-z0-9-]*)", s["target"]).group(1)
        if not target.startswith("tab-"):
            assert tab_of(ids[target]) == s["tab"], (s["id"], target, tab_of(ids[target]))
    assert {"tab-digits", "tab-text", "tab-train", "train-compare-fbias", "train-play"} <= set(ids)
    run = ids["train-run"]                   # the Train step's target holds the compare preset and Play
    inside = set()
    for b in app.demo.blocks.values():
        parent = getattr(b, "parent", None)
        while parent is not None and parent is not run:
            parent = getattr(parent, "parent", None)
        if parent is run and getattr(b, "elem_id", None):
            inside.add(b.elem_id)
    assert {"train-compare-fbias", "train-compare-rnn", "train-compare-on", "train-play"} <= inside, inside


@pytest.mark.parametrize("bad,message", [
    ({"exists": ""}, "CSS selector"),
    ({"text": "#a"}, "equals, pattern, nonempty or changed"),
    ({"value": "#a", "equals": "1", "colour": 1}, "unexpected"),
    ({"event": "hover", "on": "#a"}, "event condition"),
    ({"any": []}, "non-empty list"),
    ({"tab": "music"}, "tab must be"),
    ({"exists": "#a", "tab": "text"}, "exactly one"),
    ("#a", "an object"),
])
def test_bad_conditions(bad, message):
    with pytest.raises(ValueError, match=message):
        lessons.check_condition(bad, "test")


def test_bad_tour_files(tmp_path):
    good = json.loads((lessons.HERE / "tour.json").read_text(encoding="utf-8"))

    def load(mutate):
        data = json.loads(json.dumps(good))
        mutate(data)
        path = tmp_path / "tour.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        lessons.load_tour.cache_clear()
        try:
            return lessons.load_tour(path)
        finally:
            lessons.load_tour.cache_clear()

    with pytest.raises(ValueError, match="'zh-CN' text"):
        load(lambda d: d["steps"][0].pop("zh-CN"))
    with pytest.raises(ValueError, match="10 to 14"):
        load(lambda d: d["steps"].__delitem__(slice(3, None)))
    with pytest.raises(ValueError, match="unique id"):
        load(lambda d: d["steps"][1].update(id="draw"))
    with pytest.raises(ValueError, match="tab must be 'digits'"):
        load(lambda d: d["steps"][0].update(tab="text"))
    with pytest.raises(ValueError, match="ui.zh-CN"):
        load(lambda d: d["ui"]["zh-CN"].pop("next"))
    with pytest.raises(ValueError, match="two or three sentences"):
        load(lambda d: d["steps"][0]["en"].update(body="One. Two. Three. Four."))


def test_tour_value_and_component():
    from demo.ui_tour import _asset, _template_safe, tour, tour_value
    v = tour_value()
    assert v["format"] == "tour-v1" and v["lang"] is None and not v["start"]
    assert len(v["steps"]) == len(lessons.load_tour()["steps"])
    assert set(v["steps"][0]) == {"id", "group", "tab", "target", "done", "en", "zh-CN"}
    assert [s["id"] for s in tour_value("first", "zh-CN", True)["steps"]] == ["draw", "row10", "gates", "settle"]
    json.dumps(v)   # goes to the browser as JSON
    with pytest.raises(ValueError, match="lang"):
        tour_value(lang="fr")
    import gradio as gr
    with gr.Blocks():
        c = tour()
    assert c.elem_id == "rl-tour" and "Take the tour" in c.html_template
    _template_safe(c.html_template, "template")
    assert "tour_css" in c.props and ".rl-tour-layer" in c.props["tour_css"]
    assert "`" not in _asset("tour.js") and "${" not in _asset("tour.js")
