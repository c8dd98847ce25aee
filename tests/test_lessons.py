"""Lesson presets and the tour's data (demo/lessons.py, demo/lessons/*.json) and the tour
component's value (demo/ui_tour.py); the browser side is tests/test_tour_browser.py."""
import json
import re
from pathlib import Path

import pytest

from demo import lessons

ROOT = Path(__file__).resolve().parent.parent


def test_groups_name_the_tabs_components():
    sources = {tab: (ROOT / f"demo/{tab}/tab.py").read_text(encoding="utf-8") for tab in lessons.TABS}
    for name, g in lessons.GROUPS.items():
        assert g.elem_id == "sec-" + name.replace("_", "-")
        assert set(g.title) == set(lessons.LANGS)
        for part in g.parts:
            assert f"self.{part} = " in sources[g.tab] or f"self.{part} += " in sources[g.tab], (name, part)
    assert len({g.elem_id for g in lessons.GROUPS.values()}) == len(lessons.GROUPS)


def test_presets():
    presets = lessons.load_presets()
    assert {"full", "first", "gates", "why", "text"} <= set(presets)
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
    assert [s["tab"] for s in steps] == ["digits"] * 8 + ["text"] * 4
    for s in steps:
        for lang in lessons.LANGS:
            n = len(re.findall(r"[。！？]|[.!?](?=\s|$)", s[lang]["body"]))
            assert 2 <= n <= 3, (s["id"], lang, n)
    # the lessons' tours: only their groups' steps
    assert [s["id"] for s in lessons.tour_steps("first")] == ["draw", "row10", "gates", "settle"]
    assert [s["id"] for s in lessons.tour_steps("text")] == ["generate", "column", "clamp", "lookback"]
    assert len(lessons.tour_steps(None)) == len(steps)


def test_tour_targets_are_ids_the_lead_knows():
    """The ids the tour needs: those already in the tabs, and those listed for the lead to add."""
    to_add = {"digit-t", "digit-play", "digit-model", "digit-compare", "digit-curves", "digit-examples",
              "text-generate", "text-generated", "text-unit-pick", "digit-ablate-unit", "tab-digits", "tab-text"}
    sources = (ROOT / "demo/digits/tab.py").read_text(encoding="utf-8") + \
        (ROOT / "demo/text/tab.py").read_text(encoding="utf-8")
    ids = set()
    for s in lessons.load_tour()["steps"]:
        ids |= set(re.findall(r"#([a-z][a-z0-9-]*)", s["target"] + json.dumps(s["done"])))
    for i in sorted(ids):
        base = re.sub(r"-\{k\}$", "", i)
        known = f'elem_id="{i}"' in sources or i.startswith("digit-panel-") or i in to_add
        assert known, f"#{base}: neither in the tabs nor in the list for the lead"


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
