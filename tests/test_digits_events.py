"""The Digits tab wired (demo.digits.events.build, in a Blocks of its own, no server): its lanes,
the page's copy of the controls, each event's function as gradio holds it (values in, messages
out), and the TabUI the app uses: a link's controls applied, Copy link's controls read back, the
language switch's words.

    .venv/bin/python -m pytest -q tests/test_digits_events.py
"""
import os

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from demo.digits import drawing, handlers
from demo.digits.controls import CONTROLS, TABLE, from_copy
from demo.digits.events import PEN_UPS_AT_ONCE, build
from demo.digits.handlers import ALL_OUTPUTS, RELANGUAGE_OUTPUTS
from demo.digits.pad import pad_value_from_image
from demo.digits.pad_ink import ink_value
from demo.digits.page import EXAMPLES_DIR
from demo.digits.sketches import example_digit
from demo.errors import UserError
from tests.conftest import run_coroutine, same

pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")


def sketch(digit: int) -> dict:
    ink = Image.fromarray(example_digit(digit)[..., 3]).resize((56, 56), Image.Resampling.BOX)
    return ink_value(np.asarray(ink))


def built(weights_dir=None):
    """(Blocks, TabUI): the tab alone with a language switch before its relanguage event, as the
    app chains them; its events as gradio holds them (no worker process)."""
    saved = os.environ.get("RNN_LENS_DIGITS_WORKER")
    os.environ["RNN_LENS_DIGITS_WORKER"] = "0"
    try:
        with gr.Blocks() as demo:
            lang = gr.State("en")
            switch = gr.Radio(["en", "zh-CN"])
            ui = build(weights_dir, lang)
            ui.relanguage(switch.input(lambda choice: choice, switch, lang), lang)
    finally:
        os.environ.pop("RNN_LENS_DIGITS_WORKER")
        if saved is not None:
            os.environ["RNN_LENS_DIGITS_WORKER"] = saved
    return demo, ui


@pytest.fixture(scope="module")
def wired():
    return built()


@pytest.fixture(scope="module")
def ui(wired):
    return wired[1]


def fn(wired, name):
    """The function of the one event named ``name`` (its handler's name), friendly-wrapped."""
    (f,) = {f.fn for f in wired[0].fns.values() if f.name == name}
    return f


def test_pen_ups_and_the_views_after_them_share_a_session_ordered_lane(wired):
    """The pad's "submit" and the step, order and unit events run in one lane: several pages'
    pen-ups at once, one page's events in order (demo.ui_serving.session_ordered_lane); the live
    previews have their own, one wide."""
    from demo import ui_serving
    lanes, limits = {}, {}
    for f in wired[0].fns.values():
        lanes.setdefault(f.concurrency_id, []).append(f.name)
        limits[f.concurrency_id] = f.concurrency_limit
    assert sorted(lanes["pad-final"]) == ["pad_rest", "pad_up", "step", "step", "unit_view"]
    assert lanes["pad-live"] == ["pad_live"] and limits["pad-live"] == 1
    assert limits["pad-final"] == PEN_UPS_AT_ONCE > 1 and "pad-final" in ui_serving._SESSION_ORDERED


def test_the_pads_events_read_the_controls_from_the_pages_copy(wired):
    """The pad's events take 5 inputs: the controls come as one value that the page copies (a js
    function, no server call) whenever any of them changes; its first value is theirs."""
    demo, ui = wired
    t = ui.c["controls"]
    assert t.elem_id == "digit-controls"
    pad_events = [f for f in demo.fns.values() if f.name in ("pad_live", "pad_up", "pad_rest")]
    assert len(pad_events) == 3
    for f in pad_events:
        assert t in f.inputs and len(f.inputs) == 5, f.name
        assert not any(getattr(c, "elem_id", None) in ("digit-t", "digit-model", "digit-ablate", "digit-gate")
                       for c in f.inputs)
    (copy,) = [f for f in demo.fns.values() if f.outputs == [t]]
    assert copy.fn is None and copy.js and copy.inputs == ui.outputs(CONTROLS)
    assert {i for i, _ in copy.targets} == {c._id for c in copy.inputs}
    assert list(t.value) == list(CONTROLS) and t.value["t"] == 28 and t.value["model"] == "lstm"
    assert from_copy(t.value) == TABLE.default and TABLE.page(TABLE.default) == t.value


def test_the_pads_events_answer_as_the_handlers_with_the_pages_controls(wired):
    """pad_live / pad_up / pad_rest with a copy of the controls give the answers of the pure
    lanes called with those controls, on the page's components; an empty copy means defaults."""
    demo, ui = wired
    copy = {"model": "gru", "ablate": "3, 17", "gate": "none", "gate_value": 1.0, "from_row": 1, "blank_rows": "",
            "t": 9, "order": "index", "unit": 5}
    controls = TABLE.check({"model": "gru", "ablate": (3, 17), "t": 9, "unit": 5})
    assert from_copy(copy) == controls
    moving = {**sketch(4), "pad": "ctl1", "seq": 1, "drawing": True}
    up = {**sketch(4), "pad": "ctl1", "seq": 2}
    assert same(fn(wired, "pad_live")(moving, copy, None, None, "en"),
                ui.out(drawing.live(ui.lab, moving, controls)))
    first = fn(wired, "pad_up")(up, copy, None, None, "en")
    assert same(first, ui.out(drawing.first(ui.lab, up, controls)))
    a = first[ui.c["analysis"]]
    assert "Row 9 of 28" in first[ui.c["caption"]] and a.intervention.ablate == (3, 17)
    rest = fn(wired, "pad_rest")(a, up, None, copy, "en")
    assert same(rest, ui.out(drawing.rest(ui.lab, a, up, None, controls)))
    assert rest[ui.c["unit_caption"]].startswith("**Unit 5**")
    for empty in ({}, None):
        assert same(fn(wired, "pad_up")(up, empty, None, None, "en"), ui.out(drawing.first(ui.lab, up, TABLE.default)))
    with pytest.raises(gr.Error, match="Unit must be from 0 to 127"):   # the model's range: its handler's
        fn(wired, "pad_rest")(a, up, None, {**copy, "unit": 999}, "en")


CONTROL_CASES = [  # a bad copy of the controls -> the message's words
    ("lstm", "must be an object"), ([28], "must be an object"), ({"x": 1}, "unknown control 'x'"),
    ({"digit": "3"}, "unknown control 'digit'"), ({"t": "twelve"}, "Step t must be a whole number"),
    ({"t": float("nan")}, "Step t must be a whole number"), ({"unit": True}, "Unit must be a whole number"),
    ({"gate_value": float("inf")}, "The gate's value must be a number from 0 to 1"),
    ({"from_row": [1]}, "From row must be a whole number"), ({"model": 3}, "The model must be one of"),
    ({"ablate": "1," * 2100}, "Ablate units: that list is too long"), ({"ablate": 5}, "write numbers like"),
    ({"t": 99}, "Step t must be from 1 to 28"), ({"t": 2.5}, "whole number"), ({"unit": -1}, "Unit must be from 0"),
    ({"from_row": 0}, "From row must be from 1 to 28"), ({"gate_value": 1.5}, "The gate's value must be"),
    ({"ablate": "x"}, "Ablate units"), ({"gate": "zz"}, "The clamped gate must be one of"),
    ({"order": "nonsense"}, "The unit order must be one of index"),
]


@pytest.mark.parametrize("bad, words", CONTROL_CASES, ids=[repr(b)[:30] for b, _ in CONTROL_CASES])
def test_the_pads_events_refuse_a_bad_copy_of_the_controls(wired, bad, words):
    """The page's copy of the controls is input from outside, checked at the edge: a clear
    message (gr.Error), never a traceback or the generic apology."""
    up = {**sketch(7), "pad": "badctl", "seq": 1}
    with pytest.raises(UserError) as info:
        from_copy(bad)
    assert words.lower() in str(info.value).lower(), str(info.value)
    a = drawing.first(wired[1].lab, up, TABLE.default)["analysis"]
    for call in (lambda: fn(wired, "pad_up")(up, bad, None, None, "en"),
                 lambda: fn(wired, "pad_live")({**up, "drawing": True}, bad, None, None, "en"),
                 lambda: fn(wired, "pad_rest")(a, up, None, bad, "en")):
        with pytest.raises(gr.Error) as info:
            call()
        assert words.lower() in str(info.value).lower(), str(info.value)
        assert "went wrong" not in str(info.value).lower()


@pytest.mark.parametrize("args, words", [
    (("abc", "none", 1.0, 1, ""), "not a number"),
    (("1, 500", "none", 1.0, 1, ""), "out of range"),
    (("", "r", 1.0, 1, ""), "no gate"),                   # a GRU gate on the LSTM
    (("", "none", 1.0, 1, "0-3"), "out of range"),
    (("", "none", 1.0, 1, "29"), "out of range"),
    (("", "f", 1.0, 40, ""), "From row"),
])
def test_bad_intervention_controls_get_a_message(wired, args, words):
    a = drawing.drawing(wired[1].lab, sketch(7), TABLE.default)["analysis"]
    with pytest.raises(gr.Error, match=words):
        fn(wired, "edit")(a, *args, 28, "index", 0, "en")


def test_the_views_events_take_the_components_values(wired):
    demo, ui = wired
    a = drawing.drawing(ui.lab, sketch(2), TABLE.check({"model": "gru"}))["analysis"]
    out = fn(wired, "step")(a, 12, "influence", "en")
    assert out[ui.c["caption"]].startswith("**Row 12 of 28.**") and out[ui.c["panels.3"]] == gr.skip()
    assert fn(wired, "unit_view")(a, 7.0, "en")[ui.c["unit_caption"]].startswith("**Unit 7**")
    picked = fn(wired, "pick")(a, "lstm", 12, "index", None, "en")   # an emptied unit box: unit 0
    assert picked[ui.c["analysis"]].cell == "lstm" and picked[ui.c["unit_caption"]].startswith("**Unit 0**")
    click = fn(wired, "click_unit")
    assert click(a, gr.SelectData(None, {"index": [5, 12], "value": 0.5})) == {ui.c["unit"]: 5}
    assert click(a, gr.SelectData(None, {"index": [500, 3], "value": None})) == {ui.c["unit"]: gr.skip()}
    assert fn(wired, "add_unit")("3", 5) == {ui.c["ablate"]: "3, 5"}
    assert len(fn(wired, "top_units")(a, 4, "en")[ui.c["ablate"]].split(", ")) == 4
    assert fn(wired, "reset")() == {ui.c["ablate"]: "", ui.c["gate"]: "none", ui.c["from_row"]: 1,
                                    ui.c["blank_rows"]: ""}


def test_classify_runs_in_the_event_loop(wired):
    """/classify's handler is a coroutine (gradio runs it in the event loop, not a thread:
    ui_common.in_event_loop): the pad's ink is read at once, messages are friendly."""
    import inspect
    (api,) = [f for f in wired[0].fns.values() if f.api_name == "classify"]
    assert inspect.iscoroutinefunction(api.fn)
    assert run_coroutine(api.fn(sketch(4), "gru"))["label"] == "4"
    with pytest.raises(gr.Error, match="Send images as files"):
        run_coroutine(api.fn({"path": "/etc/passwd"}, "lstm"))


def test_a_link_puts_only_what_it_names_into_the_page(ui):
    """apply: the fields a link names (and the views its drawing opens), nothing else, so that the
    load answer never undoes what a user did before it arrived; what this app cannot show is
    refused with a message."""
    c = ui.c
    link = TABLE.decode({"model": "gru", "t": "10", "unit": "5", "ablate": "3", "digit": "7"})
    out = ui.apply(link, {"model", "t", "unit", "ablate", "digit"}, "en")
    assert out[c["model"]] == "gru" and out[c["t"]] == 10 and out[c["unit"]] == 5 and out[c["ablate"]] == "3"
    assert out[c["caption"]].startswith("**Row 10 of 28.** The GRU") and "Ablating unit (3)" in out[c["difference"]]
    assert out[c["pad"]]["data"] == pad_value_from_image(EXAMPLES_DIR / "digit_7.png")["data"]
    assert out[c["controls"]] == TABLE.page(link)
    assert [v for _, v in out[c["gate"]]["choices"]] == ["none", "r", "z", "n"]
    assert c["order"] not in out and c["from_row"] not in out     # not named: left as the user set them
    assert set(out) <= set(ui.apply_outputs)
    only_t = ui.apply(TABLE.decode({"t": "3"}), {"t"}, "en")
    assert only_t == {c["t"]: 3, c["controls"]: TABLE.page(TABLE.check({"t": 3}))}
    assert ui.apply(TABLE.default, set(), "en") == {}
    assert "层" in ui.apply(TABLE.default, set(), "zh-CN")[c["explain"]]    # the equations in the page's language
    for query, words in (({"unit": "500"}, "Unit must be from 0 to 127"),
                         ({"model": "gru", "gate": "f"}, "no gate 'f'"), ({"ablate": "1-200"}, "out of range")):
        with pytest.raises(UserError, match=words):
            ui.apply(TABLE.decode(query), set(TABLE.by_key[k].name for k in query), "en")


def test_every_field_goes_through_a_link_into_the_page_and_back(ui):
    """Each field's example: decoded from a link, put into the page (apply), read back by Copy
    link (controls_from, from what the components then show) and encoded again, unchanged."""
    for f in TABLE.fields.values():
        link = TABLE.decode({f.key: f.example})
        out = ui.apply(link, {f.name}, "en")
        shown = TABLE.page(TABLE.default)
        for k in CONTROLS:
            v = out.get(ui.c[k], shown[k])
            shown[k] = v.get("value", shown[k]) if isinstance(v, dict) and v.get("__type__") == "update" else v
        back = ui.controls_from(out.get(ui.c["pad"]), *[shown[k] for k in CONTROLS])
        assert TABLE.encode(back) == [(f.key, f.example)], (f.name, TABLE.encode(back))


def test_copy_link_reads_the_drawing_as_an_example_or_as_ink(ui):
    values = [TABLE.page(TABLE.default)[k] for k in CONTROLS]
    seven = pad_value_from_image(EXAMPLES_DIR / "digit_7.png")
    assert ui.controls_from(seven, *values).digit == "7"
    drawn = {**sketch(3), "pad": "p1", "seq": 4}
    back = ui.controls_from(drawn, *values)
    assert back.digit is None and back.ink["format"] == "ink-v1" and "seq" not in back.ink
    cleared = ink_value(np.zeros((56, 56), np.uint8))
    assert ui.controls_from(cleared, *values) == TABLE.default == ui.controls_from(None, *values)
    with pytest.raises(UserError, match="Step t"):
        ui.controls_from(None, *values[:1], 99, *values[2:])


def test_the_tabs_own_words_follow_the_language(wired, tmp_path):
    """After the switch (and on a Chinese page's load): the curves, what could not load and the
    pad's words in Chinese; the views are written again by the tab's relanguage event."""
    import re
    demo, ui = wired
    cjk = re.compile(r"[\u4e00-\u9fff]")
    words = ui.static_words("zh-CN")
    assert words[ui.c["curves"]] == gr.update(color="模型") and "模型" in ui.c["curves"].value["columns"]
    assert cjk.search(words[ui.c["curves_text"]]) and "Mean gradient" not in words[ui.c["curves_text"]]
    assert words[ui.c["pad"]]["words"]["undo"] == "撤销" and ui.static_words()[ui.c["curves"]]["color"] == "cell"
    panel_keys = dict((id(c), k) for c, k in ui.words.items)   # the maps shown before a drawing are named too
    assert panel_keys[id(ui.c["panels.0"])] == {"label": "digits.panel.i"}
    assert ui.words.update(panel_keys[id(ui.c["panels.1"])], "zh-CN") == {"label": "f：遗忘门"}
    assert ui.words.update(panel_keys[id(ui.c["reading"])], "zh-CN")["label"].startswith("图片是如何被读取的")
    (again,) = [x for x in demo.fns.values() if x.name == "views_in_language"]
    # and the picker: the words of a model the page opened in the lens (demo/lens_models.py)
    assert again.inputs[-1] is ui.lang and {id(c) for c in again.outputs} == {id(ui.c[n]) for n in
                                                                              (*RELANGUAGE_OUTPUTS, "model")}
    (switched,) = [x for x in demo.fns.values() if x.outputs == [ui.lang]]
    assert again.trigger_after == switched._id    # chained after the switch: the language is set by then
    value = pad_value_from_image(EXAMPLES_DIR / "digit_7.png")
    a = drawing.drawing(ui.lab, value, TABLE.default)["analysis"]
    out = again.fn(a, "lstm", 28, "index", 0, value, None, "zh-CN")
    assert "图片是如何被读取的" in out[ui.c["reading"]] and "原图" in out[ui.c["reading"]]
    assert out[ui.c["unit_rows"]]["color"] == "状态" and out[ui.c["panels.0"]]["label"] == "i：输入门"
    assert set(out) <= set(ui.outputs(RELANGUAGE_OUTPUTS)) and set(ui.outputs(ALL_OUTPUTS)) <= set(out)
    _, empty = built(tmp_path)
    shown = empty.static_words("zh-CN")[empty.c["problems"]]
    assert "**LSTM 不可用**" in shown and "缺少权重文件" in shown and "unavailable" not in shown
    assert "LSTM unavailable" in empty.c["problems"].value and empty.apply(TABLE.default, {"t"}, "en") == {}
    assert handlers.load_lab(tmp_path).models == {} and empty.models == {}
