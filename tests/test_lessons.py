"""Lesson presets and the tour's data (demo/lessons.py, demo/lessons/*.json) and the tour
component's value (demo/ui_tour.py): the Shakespeare steps and lessons name their corpus, the
Tang poems' step ("the unit that counts") and lesson (?lesson=tang), the unit a lesson selects
from a units file, and what a page without the Tang model says instead.  The browser side is
tests/test_tour_browser.py."""
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
    assert {"full", "first", "gates", "why", "text", "tang", "remember", "remember_rnn"} <= set(presets)
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
    assert [s["tab"] for s in steps] == ["digits"] * 8 + ["text"] * 5 + ["train"]
    for s in steps:
        for lang in lessons.LANGS:
            n = len(re.findall(r"[。！？]|[.!?](?=\s|$)", s[lang]["body"]))
            assert 2 <= n <= 3, (s["id"], lang, n)
    # the lessons' tours: only their groups' steps
    assert [s["id"] for s in lessons.tour_steps("first")] == ["draw", "row10", "gates", "settle"]
    assert [s["id"] for s in lessons.tour_steps("text")] == ["generate", "column", "clamp", "lookback"]
    assert [s["id"] for s in lessons.tour_steps("tang")] == ["count", "clamp", "lookback"]
    assert [s["id"] for s in steps[8:13]] == ["generate", "column", "clamp", "lookback", "count"]
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
    ({"text": "#a"}, "equals, pattern, words, nonempty or changed"),
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
    with pytest.raises(ValueError, match="of its tab"):           # the Digits step cannot choose a corpus
        load(lambda d: d["steps"][0].update(link="tcorpus=tang"))


def test_tour_value_and_component():
    from demo.ui_tour import STEP_KEYS, _asset, _template_safe, tour, tour_value
    v = tour_value()
    assert v["format"] == "tour-v1" and v["lang"] is None and not v["start"]
    assert len(v["steps"]) == len(lessons.load_tour()["steps"])
    assert set(v["steps"][0]) == {"id", "group", "tab", "target", "done", "choose", "en", "zh-CN"}
    assert all(set(s) == set(STEP_KEYS) for s in v["steps"])
    by_id = {s["id"]: s for s in v["steps"]}
    assert by_id["draw"]["choose"] == [] and by_id["count"]["choose"] == [{"radio": "#text-corpus", "value": "tang"}]
    assert "words" not in json.dumps(v["steps"])                   # the page's JS gets patterns
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


# ---------------------------------------------------------------------------------------------
# The corpus: Shakespeare's steps and lessons say so; the Tang poems' step and lesson (issue #27)

def by_id() -> dict:
    return {s["id"]: s for s in lessons.load_tour()["steps"]}


def unit_label(feature: str, lang: str, corpus: str) -> str:
    """The unit picker's words for the best unit of ``feature`` (what the page shows)."""
    from demo.text import units, views
    return views.unit_label(units.Unit(feature, units.CORPORA[corpus][feature], "c", 7, -0.93), lang)


def test_the_shakespeare_steps_and_lessons_name_their_corpus():
    """A zh-CN page opens the Tang poems once that model is here: the steps and lessons written
    for Tiny Shakespeare choose it, and the column step waits for Shakespeare's column unit."""
    from demo import links
    steps = by_id()
    for step in ("generate", "column"):
        assert steps[step]["link"] == "tcorpus=shakespeare"
        assert lessons.page_step(steps[step])["choose"] == [{"radio": "#text-corpus", "value": "shakespeare"}]
    for name in ("text", "why"):
        link = links.decode_strict(lessons.preset(name).link)
        assert link.tabs["text"].corpus == "shakespeare" and link.given["text"] == {"corpus"}, name
    pattern = re.compile(lessons.page_step(steps["column"])["done"]["all"][1]["pattern"], re.I)
    for lang in lessons.LANGS:
        assert pattern.search(unit_label("column", lang, "shakespeare")), lang
        for other in ("newline_next", "word_pos", "speaker"):
            assert not pattern.search(unit_label(other, lang, "shakespeare")), (other, lang)
        for other in units_of("tang"):                    # a Tang unit does not finish it
            assert not pattern.search(unit_label(other, lang, "tang")), (other, lang)


def units_of(corpus: str) -> list[str]:
    from demo.text.units import CORPORA
    return list(CORPORA[corpus])


def test_the_counting_step_opens_the_tang_poems_and_waits_for_the_line_position_unit():
    steps = by_id()
    count = steps["count"]
    assert (count["tab"], count["group"], count["target"], count["link"]) == ("text", "steps", "#text-unit-pick",
                                                                               "tcorpus=tang")
    assert list(steps).index("count") == list(steps).index("lookback") + 1      # after the Text steps
    from demo import links
    assert links.decode_strict(count["link"]).tabs["text"].corpus == "tang"
    page = lessons.page_step(count)
    assert page["choose"] == [{"radio": "#text-corpus", "value": "tang"}]
    click, picked = page["done"]["all"]
    assert click == {"event": "click", "on": "#text-unit-pick"} and picked["value"] == "#text-unit-pick input"
    pattern = re.compile(picked["pattern"], re.I)
    for lang in lessons.LANGS:                      # by the feature's name: its words in either language
        assert pattern.search(unit_label("line_pos", lang, "tang")), lang
        for other in units_of("tang")[1:] + units_of("shakespeare"):
            corpus = "tang" if other in units_of("tang") else "shakespeare"
            assert not pattern.search(unit_label(other, lang, corpus)), (other, lang)
    # both languages say what it shows, what to do, and where the missing model's note is
    assert "唐诗" in count["en"]["title"] and "唐诗" in count["zh-CN"]["title"]
    for words in ("Generate", "Units worth looking at", "comma and full stop", "Clamp", "shorter or longer",
                  "how to train it"):
        assert words in count["en"]["body"], words
    for words in ("唐诗", "生成", "值得一看的单元", "逗号或句号", "钳制", "变短或变长", "如何训练它"):
        assert words in count["zh-CN"]["body"], words
    ui = lessons.load_tour()["ui"]                 # the tour's note when the page refuses the choice
    assert "model" in ui["en"]["unavailable"] and "模型" in ui["zh-CN"]["unavailable"]


def test_the_tang_lesson_opens_an_acrostic_and_its_counting_unit():
    from demo import links
    p = lessons.preset("tang")
    assert p.tabs == ("text",) and p.unit == ("tang", "line_pos") and "count" in p.tour
    link = links.decode_strict(p.link)
    assert (link.tabs["text"].corpus, link.tabs["text"].acrostic) == ("tang", "春夏秋冬")
    assert link.given["text"] == {"corpus", "acrostic"}
    assert "唐诗" in p.title["en"] and "唐诗" in p.title["zh-CN"] and "春夏秋冬" in p.about["zh-CN"]


@pytest.fixture(scope="module")
def tang_folder(tmp_path_factory):
    """A weights folder with a tiny Tang model (tests/test_text_tang_tab.py's) and no units file."""
    from test_text_tang_tab import save_tang
    folder = tmp_path_factory.mktemp("tang_weights")
    save_tang(folder)
    return folder


def test_the_lesson_selects_the_unit_its_units_file_names(tang_folder, tmp_path):
    """preset_link: the lesson's link and the unit that the units file of these weights names for
    line_pos; nothing more without a units file, with one made for other weights, or without
    that feature (the page then selects the model's strongest unit)."""
    import shutil

    from demo import links
    from demo.text.units import Unit, save_units, units_path
    assert lessons.preset_link("tang", tang_folder) == lessons.preset("tang").link     # no units file
    assert lessons.preset_link("tang", tmp_path / "nothing") == lessons.preset("tang").link
    assert lessons.preset_link("text", tang_folder) == "tcorpus=shakespeare"     # no unit to look up
    sha = json.loads((tang_folder / "char_tang.json").read_text())["weights_sha256"]
    found = [Unit("seven", "", "h", 3, 0.8), Unit("line_pos", "", "c", 11, -0.9), Unit("line_no", "", "h", 5, 0.7)]
    folder = tmp_path / "w"
    shutil.copytree(tang_folder, folder)
    save_units(units_path(folder, "tang"), found, {"model": "tang", "weights_sha256": sha})
    q = lessons.preset_link("tang", folder)
    assert q == lessons.preset("tang").link + "&state=c&tunit=11"
    link = links.decode_strict(q)
    assert (link.tabs["text"].which, link.tabs["text"].unit) == ("c", 11)
    assert {"corpus", "acrostic", "which", "unit"} == link.given["text"]
    assert lessons.unit_query("tang", "line_no", folder) == "state=h&tunit=5"
    assert lessons.unit_query("tang", "even_line", folder) == ""                # not in the file
    save_units(units_path(folder, "tang"), found, {"model": "tang", "weights_sha256": "0" * 64})
    assert lessons.unit_query("tang", "line_pos", folder) == ""                 # made for other weights


def test_without_the_tang_model_the_step_and_the_lesson_say_how_to_make_it():
    """The page answers the step's choice (the corpus radio) and the lesson's link: the radio
    goes back to Shakespeare with a note naming the training command, and the link's corpus is
    named in the page's notice with the same command, in both languages."""
    from demo import links
    from demo.errors import UserError
    from demo.text import corpus
    from demo.text.lab import Lab
    from test_text_tang_tab import shakespeare_model
    lab = Lab({"lstm": shakespeare_model()}, missing=("tang",))
    command = "python training/train_char_rnn.py --preset tang"
    for lang in lessons.LANGS:
        out = corpus.switch_corpus(lab, lessons.page_step(by_id()["count"])["choose"][0]["value"], lang)
        assert out["corpus"] == "shakespeare" and command in out["corpus_note"], lang
    link = links.decode_strict(lessons.preset("tang").link)
    with pytest.raises(UserError) as e:
        corpus.resolve(lab, link.tabs["text"], link.given["text"], "zh-CN")
    assert command in str(e.value) and command in e.value.text("zh-CN") and "唐诗" in e.value.text("zh-CN")


@pytest.mark.parametrize("link,message", [
    ("tmodel=rnn", "sets only tcorpus"),
    ("tcorpus=latin", "must be one of shakespeare, tang"),
    ("tcorpus=tang&tcorpus=tang", "twice"),
    ("", "a link's query"),
])
def test_bad_step_links(link, message):
    with pytest.raises(ValueError, match=message):
        lessons.check_step_link(link, "text", "test")
    with pytest.raises(ValueError, match="of its tab"):
        lessons.check_step_link("tcorpus=tang", "digits", "test")


def test_words_conditions():
    c = {"value": "#a input", "words": "text.feature.line_pos"}
    lessons.check_condition(c, "test")
    pattern = lessons.words_pattern("text.feature.line_pos")
    assert re.search(pattern, "h[3] · counts the position in the line (1 to 7; 0 on punctuation and markers)")
    assert re.search(pattern, "数着句中位置（1 到 7；标点和体裁标记处为 0）")
    assert not re.search(pattern, "counts the position in the line")          # the whole of its words
    with pytest.raises(ValueError, match="no text 'text.feature.nope'"):
        lessons.check_condition({"value": "#a", "words": "text.feature.nope"}, "test")
    with pytest.raises(ValueError, match="not both"):
        lessons.check_condition({"value": "#a", "words": "text.go", "pattern": "x"}, "test")
