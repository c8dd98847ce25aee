"""The Digits tab: handlers called directly on project-drawn digits, then the running app's
/classify endpoint through gradio_client, including bad uploads that must get a clear message
while the server keeps serving.

    .venv/bin/python -m pytest -q tests/test_app_digits.py

Uses the trained weights in weights/ (python training/train_digits.py --config lstm|gru|rnn).
"""
import os
import socket

import gradio as gr
import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from demo import render
from demo.app import build_app, launch
from demo.digits import analysis, views
from demo.digits.preprocess import EMPTY_MESSAGE
from demo.digits.sketches import example_digit
from demo.digits.preprocess import ink_value
from demo.digits.tab import DigitsTab, load_all_lookups, load_models
from demo.ui_common import friendly
from tests.conftest import same

DIGITS = range(10)
# gradio's own queue code warns about pandas deprecations on every event
pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")


def sketch(layer: np.ndarray) -> dict:
    """What the drawing pad hands a handler: its 56x56 ink (the layer's alpha, area-averaged)."""
    ink = Image.fromarray(layer[..., 3]).resize((56, 56), Image.Resampling.BOX)
    return ink_value(np.asarray(ink))


def built(models, problems=(), lookups=None) -> DigitsTab:
    """A tab whose components exist (inside a throwaway Blocks), so handlers can be called."""
    tab = DigitsTab(models, problems, lookups)
    with gr.Blocks():
        tab.layout()
    return tab


@pytest.fixture(scope="module")
def tab() -> DigitsTab:
    models, problems = load_models()
    lookups, missing = load_all_lookups(models)
    assert not problems and not missing, problems + missing
    return built(models, lookups=lookups)


# ---------------------------------------------------------------------------------------------
# Handlers, no server

@pytest.mark.parametrize("name", ["lstm", "gru", "rnn"])
def test_draw_reads_every_example_digit(tab, name):
    for d in DIGITS:
        out = tab.draw(sketch(example_digit(d)), name)
        a, final = out[tab.analysis], out[tab.final]
        assert max(final, key=final.get) == str(d), (name, d, final)
        assert a.name == name and a.x.shape == (28, 28) and a.cell == name


def test_each_handler_fills_exactly_its_output_group(tab):
    """The events list these groups as outputs: a handler returning other keys (or missing
    some) would fail silently in the browser."""
    a = tab.draw(sketch(example_digit(2)), "gru")[tab.analysis]
    groups = {
        "draw": (tab.draw(sketch(example_digit(2)), "gru"), tab.all_outputs),
        "blank": (tab.draw(None, "gru"), tab.all_outputs),
        "pick": (tab.pick(a, "lstm"), [*tab.all_outputs, tab.explain, tab.gate]),
        "pick, nothing drawn": (tab.pick(None, "lstm"), [*tab.all_outputs, tab.explain, tab.gate]),
        "picture": (tab.to_pad(None), [tab.pad, tab.picture_reading]),
        "step": (tab.step(a, 5), tab.step_outputs),
        "step, nothing drawn": (tab.step(None, 5), tab.step_outputs),
        "edit": (tab.edit(a, "1, 2", "r", 0.0, 3, "", 5), [tab.analysis, *tab.step_outputs]),
        "edit, nothing drawn": (tab.edit(None, "1", "none", 0.0, 3, "", 5), [tab.analysis, *tab.step_outputs]),
        "unit": (tab.unit_view(a, 7), tab.unit_outputs),
        "pen down": (tab.draw({**sketch(example_digit(2)), "drawing": True}, "gru", before=a), tab.all_outputs),
        "pen up": (tab.draw(sketch(example_digit(2)), "gru", before=a), tab.all_outputs),
    }
    for what, (out, group) in groups.items():
        assert set(out) == set(group) and len(group) == len(set(group)), what


def test_draw_then_step_outputs_all_views(tab):
    out = tab.draw(sketch(example_digit(7)), "lstm")
    side = 28 * views.DIGIT_SCALE
    seen = out[tab.seen]  # numbers the page draws (demo/digits/input_view.py): no PNG, no file
    assert (seen["width"] * seen["scale"], seen["height"] * seen["scale"], seen["t"]) == (side, side, None)
    assert not out[tab.hint]["visible"] and "reads **7**" in out[tab.summary]
    assert [out[c]["label"].split(":")[0] for c in tab.compare] == ["LSTM", "GRU", "RNN"]
    step = tab.step(out[tab.analysis], 12)
    assert step[tab.caption].startswith("**Row 12 of 28.**")
    assert step[tab.rows]["t"] == 12 and set(step[tab.probs]) == {str(d) for d in DIGITS}
    assert step[tab.rows]["scale"] * 28 == side and step[tab.rows]["ink"] == seen["ink"]
    # units x steps, the step strip on top and the colour legend underneath
    hmap = step[tab.hmap]  # a hover value: the picture and the numbers behind it
    assert hmap["height"] == 128 * views.UNIT_CELL[0] + render.STRIP + 26 and hmap["rows"] == 128
    np.testing.assert_allclose(render.decode_hover_values(hmap), out[tab.analysis].trace.h.T, atol=1e-3)
    assert [step[p]["caption"].split(":")[0] for p in tab.panels] == ["i", "f", "g", "o", "c"]
    refreshed = tab.step(out[tab.analysis], 12, refresh=True)  # the model changed: labels and visibility
    assert [refreshed[p]["label"].split(":")[0] for p in tab.panels] == ["i", "f", "g", "o", "c"]
    assert all(refreshed[p]["visible"] for p in tab.panels)
    assert step[tab.confidence]["rows"] == 10
    assert out[tab.influence].count("rl-inf-cell") == 3 and out[tab.unit_thumbs].mode == "RGB"
    assert 'class="now"' in step[tab.trajectory]


def test_blank_canvas_is_a_hint_not_an_error(tab):
    blank = np.zeros((420, 420, 4), np.uint8)
    for value in (None, sketch(blank), ink_value(np.zeros((56, 56), np.uint8))):
        out = tab.draw(value, "lstm")
        assert out[tab.analysis] is None and out[tab.final] is None
        assert out[tab.hint]["visible"] and EMPTY_MESSAGE in out[tab.hint]["value"]
        assert tab.step(out[tab.analysis], 28)[tab.caption] == ""


def test_slider_rerenders_without_running_a_model(tab, monkeypatch):
    a = tab.draw(sketch(example_digit(3)), "gru")[tab.analysis]

    def boom(*args, **kwargs):
        raise AssertionError("a model ran on a slider move")

    for m in tab.models.values():
        monkeypatch.setattr(m.hand, "run", boom)
        monkeypatch.setattr(m.net, "forward", boom)
    for t in (1, 14, 28):
        out = tab.step(a, t)
        assert f"Row {t} of 28" in out[tab.caption]
        assert [out[p]["caption"].split(":")[0] for p in tab.panels[:3]] == ["r", "z", "n"]
        assert all(out[p] == gr.skip() for p in tab.panels[3:])      # hidden since the GRU was drawn


def test_model_picker_retraces_and_explains(tab):
    a = tab.draw(sketch(example_digit(5)), "lstm")[tab.analysis]
    out = tab.pick(a, "rnn")
    explain = out[tab.explain]
    assert out[tab.analysis].cell == "rnn" and "RNN" in explain and "(B, 28, 28)" in explain
    np.testing.assert_array_equal(out[tab.analysis].x, a.x)  # the same drawing, not re-read
    step = out  # the picker refreshes the panels: a plain RNN has no gates
    assert all(not step[p]["visible"] for p in tab.panels)
    assert [c[1] for c in out[tab.gate]["choices"]] == ["none"]  # ... to clamp


def test_comparison_matches_each_models_own_trace(tab):
    """The fast torch module behind the comparison and the hand cells behind the trace agree."""
    a = tab.draw(sketch(example_digit(4)), "lstm")[tab.analysis]
    for name, probs in a.compare.items():
        np.testing.assert_allclose(probs, tab.models[name].trace_mnist(a.x).probs, atol=1e-5)


def test_while_the_pen_moves_the_slow_views_wait_for_pen_up(tab):
    value = sketch(example_digit(7))
    first = tab.draw(sketch(example_digit(1)), "gru")  # the drawing a stroke ago
    a = first[tab.analysis]
    assert list(a.influence) == ["lstm", "gru", "rnn"] and first[tab.unit_thumbs] is not None
    moving = tab.draw({**value, "drawing": True}, "gru", before=a)
    assert list(moving[tab.analysis].influence) == ["gru"]          # the chosen cell's only
    assert moving[tab.influence].count("rl-inf-wait") == 2           # the others shown faded
    np.testing.assert_array_equal(moving[tab.analysis].influence["gru"]["gradient"],
                                  tab.models["gru"].row_influence_mnist(moving[tab.analysis].x)["gradient"])
    assert moving[tab.unit_thumbs] == gr.skip()                      # unchanged: not sent again
    lifted = tab.draw(value, "gru", before=moving[tab.analysis])
    assert list(lifted[tab.analysis].influence) == ["lstm", "gru", "rnn"]
    # the pen lifted where the last value left it: the same ink, so the runs are reused
    assert lifted[tab.analysis].trace is moving[tab.analysis].trace
    # while the pen is down the unit's drill-down and the reading strip wait ...
    assert moving[tab.unit_caption] == gr.skip() and moving[tab.reading] == gr.skip()
    # ... and follow once it is up (the looked-up profile and thumbnails do not change)
    lifted = tab.draw(value, "gru", before=moving[tab.analysis], unit=5)
    assert lifted[tab.unit_caption].startswith("**Unit 5**") and "how the picture was read" in lifted[tab.reading]
    assert lifted[tab.unit_thumbs] == gr.skip() and lifted[tab.unit_profile] == gr.skip()


def test_the_pads_two_lanes(tab):
    """"change" (live) leaves pen-ups to "submit" (final), analyses values set from Python, and
    drops a live answer that a later pen-up overtook; "submit" answers with every view."""
    pad = {"pad": "page1"}
    live = {**sketch(example_digit(7)), **pad, "seq": 4, "drawing": True}
    up = {**sketch(example_digit(7)), **pad, "seq": 5}
    assert all(v == gr.skip() for v in tab.draw_live(up, "lstm").values())   # the final lane's
    shown = tab.draw_live(live, "lstm")                                        # not overtaken yet
    label = lambda out: max(out[tab.final], key=out[tab.final].get)  # noqa: E731
    assert label(shown) == "7"
    final = tab.draw_final(up, "lstm", before=shown[tab.analysis], unit=3)
    rest = tab.draw_rest(final[tab.analysis], up, None, 28, "index", 3)
    assert label(final) == "7" and rest[tab.unit_caption].startswith("**Unit 3**")
    late = tab.draw_live(live, "lstm", before=shown[tab.analysis])          # seq 4 < 5: too late
    assert all(v == gr.skip() for v in late.values())
    assert label(tab.draw_live({**live, "pad": "page2"}, "lstm")) == "7"  # another page
    from_python = tab.draw_live(sketch(example_digit(3)), "lstm")           # an example, a link
    assert label(from_python) == "3" and from_python[tab.unit_caption] != gr.skip()


@pytest.mark.parametrize("name, digit, t, unit", [("gru", 7, 9, 3), ("lstm", 2, 28, 0)])
def test_the_pen_ups_two_parts_are_the_whole_answer(tab, name, digit, t, unit):
    """The pen-up's first part (the prediction, the row-by-row views) and its second (the rest,
    with every model's row influence) hold together what one complete answer holds."""
    up = {**sketch(example_digit(digit)), "pad": "page9", "seq": 2}
    whole = tab.draw(up, name, t=t, unit=unit, complete=True)
    first = tab.draw_final(up, name, t=t, unit=unit)
    rest = tab.draw_rest(first[tab.analysis], up, None, t, "index", unit)
    ids = lambda out: set(map(id, out))  # noqa: E731
    assert ids(first) == ids(tab.first_outputs) and ids(rest) == ids(tab.rest_outputs)
    assert not ids(first) & ids(rest) and ids(first) | ids(rest) == ids(whole) == ids(tab.all_outputs)
    assert first[tab.analysis].influence == {}                  # the costly part waits for the second
    assert set(whole[tab.analysis].influence) == set(tab.models)
    for c, v in rest.items():
        assert same(v, whole[c]), c
    for c, v in first.items():
        if c is not tab.analysis:
            assert same(v, whole[c]), c
    blank = tab.draw_rest(None, {**up, "data": ink_value(np.zeros((56, 56), np.uint8))["data"]})
    assert ids(blank) == ids(tab.rest_outputs) and blank[tab.influence] == "" and blank[tab.unit_caption] == ""


@pytest.fixture(scope="module")
def wired(tab) -> gr.Blocks:
    """The tab laid out and wired in a Blocks of its own: its events as gradio holds them."""
    with gr.Blocks() as demo:
        t = DigitsTab(tab.models, lookups=tab.lookups)
        t.layout()
        t.wire(demo)
    return demo


def test_pen_ups_and_the_views_after_them_share_a_session_ordered_lane(wired):
    """The pad's "submit" and the step, order and unit events run in one lane: several pages'
    pen-ups at once, one page's events in order (demo.ui_serving.session_ordered_lane); the live
    previews have their own."""
    from demo import ui_serving
    from demo.digits.tab import PEN_UPS_AT_ONCE
    lanes, limits = {}, {}
    for fn in wired.fns.values():
        lanes.setdefault(fn.concurrency_id, []).append(fn.name)
        limits[fn.concurrency_id] = fn.concurrency_limit
    assert sorted(lanes["pad-final"]) == ["pad_rest", "pad_up", "step", "step", "unit_view"]
    assert lanes["pad-live"] == ["pad_live"] and limits["pad-live"] == 1
    assert limits["pad-final"] == PEN_UPS_AT_ONCE > 1 and "pad-final" in ui_serving._SESSION_ORDERED


def test_the_pads_events_read_the_controls_from_the_pages_copy(wired):
    """The pad's events take 5 inputs: the controls come as one value that the page copies
    (a js function, no server call) whenever any of them changes; its first value is theirs."""
    from demo.digits.tab import CONTROLS
    (t,) = [b for b in wired.blocks.values() if getattr(b, "elem_id", None) == "digit-controls"]
    by_id = {b._id: b for b in wired.blocks.values()}
    pad_events = [fn for fn in wired.fns.values() if fn.name in ("pad_live", "pad_up", "pad_rest")]
    assert len(pad_events) == 3
    for fn in pad_events:
        assert t in fn.inputs and len(fn.inputs) == 5, fn.name
        assert not any(getattr(c, "elem_id", None) in ("digit-t", "digit-model", "digit-ablate", "digit-gate")
                       for c in fn.inputs)
    (copy,) = [fn for fn in wired.fns.values() if fn.outputs == [t]]
    assert copy.fn is None and copy.js and [c for c in copy.inputs] == [by_id[c._id] for c in copy.inputs]
    assert len(copy.inputs) == len(CONTROLS) and {i for i, _ in copy.targets} == {c._id for c in copy.inputs}
    assert set(t.value) == set(CONTROLS) and t.value["t"] == 28 and t.value["model"] == "lstm"


def test_the_pads_handlers_with_the_pages_controls_answer_as_the_plain_handlers(tab):
    """pad_live / pad_up / pad_rest with a copy of the controls give the answers of draw_live /
    draw_final / draw_rest called with those controls; an empty copy means the defaults."""
    from tests.conftest import same
    c = {"model": "gru", "ablate": "3, 17", "gate": "none", "gate_value": 1.0, "from_row": 1, "blank_rows": "",
         "t": 9, "order": "index", "unit": 5}
    live = {**sketch(example_digit(4)), "pad": "ctl1", "seq": 1, "drawing": True}
    up = {**sketch(example_digit(4)), "pad": "ctl1", "seq": 2}
    assert same(tab.pad_live(live, c), tab.draw_live(live, "gru", "3, 17", "none", 1.0, 1, "", 9, "index", 5))
    first = tab.pad_up(up, c)
    assert same(first, tab.draw_final(up, "gru", "3, 17", "none", 1.0, 1, "", 9, "index", 5))
    assert "Row 9 of 28" in first[tab.caption], first[tab.caption]
    assert first[tab.analysis].intervention.ablate == (3, 17)
    assert same(tab.pad_rest(first[tab.analysis], up, None, c), tab.draw_rest(first[tab.analysis], up, None, 9, "index", 5))
    assert same(tab.pad_up(up, {}), tab.draw_final(up, "lstm")) and same(tab.pad_up(up, None), tab.draw_final(up, "lstm"))
    with pytest.raises(ValueError, match="Unit must be from 0 to 127"):  # the model's range: its handler's
        tab.pad_rest(first[tab.analysis], up, None, {**c, "unit": 999})


def test_the_pen_ups_first_part_does_not_wait_behind_a_busy_worker(tab, monkeypatch):
    """The worker answers one call at a time: while it computes a live preview, the pen-up's
    first part is computed in the server (the same answer) when nothing else runs there; under
    load, and for every other call, the worker takes it."""
    from tests.conftest import same
    from demo.digits import tab as tab_module
    calls = []

    class Worker:  # records the calls; None: "compute it here"
        busy = True

        def call(self, method, *args, **kwargs):
            calls.append(method)
            return None

    up = {**sketch(example_digit(7)), "pad": "busy1", "seq": 1}
    plain = tab.draw_final(up, "gru")
    monkeypatch.setattr(tab, "worker", Worker())
    assert same(tab.draw_final(up, "gru"), plain) and calls == []            # not behind the preview
    tab.draw_live({**up, "seq": 2, "drawing": True}, "gru")
    tab.draw_rest(plain[tab.analysis], up)
    assert calls == ["draw", "rest"]                                          # the others wait their turn
    monkeypatch.setattr(tab_module, "running", lambda: 5)                     # a loaded server
    tab.draw_final({**up, "seq": 3}, "gru")
    Worker.busy = False
    monkeypatch.setattr(tab_module, "running", lambda: 1)
    tab.draw_final({**up, "seq": 4}, "gru")
    assert calls == ["draw", "rest", "draw", "draw"]


CONTROL_CASES = [  # a bad copy of the controls -> the message's words
    ("lstm", "must be an object"), ([28], "must be an object"), ({"x": 1}, "unknown field 'x'"),
    ({"t": "12"}, "t must be a number"), ({"t": float("nan")}, "t must be a number"),
    ({"unit": True}, "unit must be a number"), ({"gate_value": float("inf")}, "gate_value must be a number"),
    ({"from_row": [1]}, "from_row must be a number"), ({"model": 3}, "model must be text"),
    ({"ablate": "1," * 600}, "ablate must be text of at most"), ({"t": 99}, "t must be a whole number from 1 to 28"),
    ({"t": 2.5}, "whole number"), ({"unit": -1}, "unit must be a whole number from 0"),
    ({"from_row": 0}, "from_row must be a whole number from 1 to 28"), ({"gate_value": 1.5}, "gate_value must be from 0"), ({"ablate": "x"}, "Ablate units"),
    ({"gate": "zz"}, "no gate 'zz'"), ({"order": "nonsense"}, "order must be one of index"),
]


@pytest.mark.parametrize("bad, words", CONTROL_CASES, ids=[repr(b)[:30] for b, _ in CONTROL_CASES])
def test_the_pads_events_refuse_a_bad_copy_of_the_controls(tab, bad, words):
    """The page's copy of the controls is input from outside, checked at the edge: a clear
    message (gr.Error), never a traceback or the generic apology."""
    up = {**sketch(example_digit(7)), "pad": "badctl", "seq": 1}
    calls = [lambda: friendly(tab.pad_up)(up, bad), lambda: friendly(tab.pad_live)({**up, "drawing": True}, bad)]
    if not isinstance(bad, dict) or set(bad) & {"x", "t", "unit", "order"}:
        a = tab.pad_up(up, {})[tab.analysis]
        calls.append(lambda: friendly(tab.pad_rest)(a, up, None, bad))
    for call in calls:
        with pytest.raises(gr.Error) as info:
            call()
        assert words.lower() in str(info.value).lower(), str(info.value)
        assert "went wrong" not in str(info.value).lower()


def test_classify_runs_in_the_event_loop_with_the_same_answers(tab, wired):
    """/classify's handler is a coroutine (gradio runs it in the event loop, not a thread:
    ui_common.in_event_loop) that answers as the plain handler does, messages included."""
    import inspect

    from demo.ui_common import in_event_loop
    from tests.conftest import run_coroutine
    (fn,) = [f for f in wired.fns.values() if f.api_name == "classify"]
    assert inspect.iscoroutinefunction(fn.fn)
    ink = {**sketch(example_digit(4))}
    plain, at_once = friendly(tab.classify), in_event_loop(friendly(tab.classify))
    assert run_coroutine(at_once(ink, "gru")) == plain(ink, "gru")
    assert run_coroutine(at_once(ink, "gru"))["label"] == "4"
    with pytest.raises(gr.Error, match="Send images as files"):
        run_coroutine(at_once({"path": "/etc/passwd"}, "lstm"))


@pytest.mark.parametrize("bad, words", [({"pad": 7}, "pad must be"), ({"seq": -1}, "seq must be"),
                                        ({"seq": True}, "seq must be"), ({"pad": "a b"}, "pad must be")])
def test_the_pads_lanes_refuse_bad_numbering(tab, bad, words):
    value = {**sketch(example_digit(7)), "pad": "p", "seq": 1, **bad}
    for lane in (tab.draw_live, tab.draw_final):
        with pytest.raises(gr.Error, match=words):
            friendly(lane)(value, "lstm")
        with pytest.raises(gr.Error, match=words):
            friendly(lane)({**value, "drawing": True}, "lstm")


def test_interventions_rerun_and_name_the_difference(tab):
    a = tab.draw(sketch(example_digit(7)), "lstm")[tab.analysis]
    top = tab.top_units(a, 5)
    assert len(top.split(", ")) == 5
    out = tab.edit(a, top, "none", 1.0, 1, "", 28)
    edited = out[tab.analysis]
    assert edited.intervention.ablate == tuple(sorted(int(u) for u in top.split(", ")))
    assert out[tab.difference].startswith("Ablating 5 units") and "the **7**" in out[tab.difference]
    np.testing.assert_array_equal(edited.trace.h, a.trace.h)       # the original run is kept
    assert np.all(edited.edited.h[:, list(edited.intervention.ablate)] == 0)
    shut = tab.edit(a, "", "f", 0.0, 10, "", 28)
    assert "forget gate f to 0 from row 10" in shut[tab.difference]
    assert np.all(shut[tab.analysis].edited.gates["f"][9:] == 0)
    blank = tab.edit(a, "", "none", 1.0, 1, "1-28", 28)
    assert blank[tab.difference].startswith("Blanking rows 1-28")
    plain = tab.edit(a, "", "none", 1.0, 1, "", 28)                # the empty edit: no edited run
    assert plain[tab.analysis].edited is None and plain[tab.edited_final] is None
    # the edit stays on while drawing: the next stroke re-runs it
    again = tab.draw(sketch(example_digit(7)), "lstm", "3", "none", 1.0, 1, "")
    assert again[tab.analysis].edited is not None and "unit (3)" in again[tab.difference]


@pytest.mark.parametrize("args, words", [
    (("abc", "none", 1.0, 1, ""), "not a number"),
    (("1, 500", "none", 1.0, 1, ""), "out of range"),
    (("", "r", 1.0, 1, ""), "no gate"),                   # a GRU gate on the LSTM
    (("", "none", 1.0, 1, "0-3"), "out of range"),
    (("", "none", 1.0, 1, "29"), "out of range"),
    (("", "f", 1.0, 40, ""), "from row"),
])
def test_bad_intervention_controls_get_a_message(tab, args, words):
    a = tab.draw(sketch(example_digit(7)), "lstm")[tab.analysis]
    with pytest.raises(gr.Error, match=words):
        friendly(tab.edit)(a, *args)


def test_clicking_a_map_row_opens_that_unit_in_the_shown_order(tab):
    a = tab.draw(sketch(example_digit(2)), "gru")[tab.analysis]
    perm = tab.unit_order(a, "influence")
    assert sorted(perm.tolist()) == list(range(128)) and perm[0] == int(np.argmax(a.contributions))
    shown = tab.step(a, 12, "influence")[tab.hmap]
    assert shown["row_ids"] == perm.tolist()  # the map says which unit each displayed row is
    np.testing.assert_allclose(render.decode_hover_values(shown)[0], a.trace.h[:, perm[0]], atol=1e-3)
    for unit in (0, 5, 127):
        evt = gr.SelectData(None, {"index": [unit, 12], "value": 0.5})
        assert tab.click_unit(a, evt)[tab.unit] == unit
    for bad in ([500, 3], None, "x", [None, 1]):
        evt = gr.SelectData(None, {"index": bad, "value": None})
        assert tab.click_unit(a, evt)[tab.unit] is not None  # gr.skip(): nothing happens
    out = tab.unit_view(a, int(perm[0]))
    assert out[tab.unit_caption].startswith(f"**Unit {perm[0]}**") and "rank 1 of 128" in out[tab.unit_caption]
    assert list(out[tab.unit_profile]["class"]) == [str(d) for d in DIGITS]
    assert out[tab.unit_rows]["color"] == "state" and set(out[tab.unit_rows]["value"]["state"]) == {"h", "r", "z", "n"}
    with pytest.raises(gr.Error, match="from 0 to 127"):
        friendly(tab.unit_view)(a, 128)


def test_an_uploaded_photo_shows_how_it_was_read(tab, tmp_path):
    from demo.digits.photos import not_one_digit, render_photo
    rng = np.random.default_rng(5)
    path = tmp_path / "three.jpg"
    photo = render_photo(3, rng, "pencil", size=(800, 600))  # a phone JPEG: EXIF orientation kept
    photo.save(path, quality=88, exif=photo.getexif())
    loaded = tab.to_pad(str(path))
    value, (data, reading) = loaded[tab.pad], loaded[tab.picture_reading]
    strip = tab.reading_html(reading)
    assert value["format"] == "ink-v1" and data == value["data"] and "how the picture was read" in strip
    out = tab.draw(value, "lstm", picture=loaded[tab.picture_reading])
    assert max(out[tab.final], key=out[tab.final].get) == "3"
    assert out[tab.reading] == strip            # the photo's own steps, not the pad's ink
    stroked = tab.draw({**value, "data": ink_value(np.full((56, 56), 9, np.uint8))["data"]}, "lstm",
                       picture=loaded[tab.picture_reading])
    assert stroked[tab.reading] != strip        # strokes added on top: the pad's reading
    faces = tmp_path / "two.jpg"
    not_one_digit("two_digits", np.random.default_rng(1)).save(faces, quality=90)
    with pytest.raises(gr.Error, match="digit"):
        friendly(tab.to_pad)(str(faces))


def test_the_tabs_own_words_follow_the_language(tab, tmp_path):
    """A zh-CN page: the reading strip, the pictures' alt texts, the plots' colour columns, the
    over-data curves and what could not load are in Chinese; English stays as it was."""
    import re
    cjk = re.compile(r"[\u4e00-\u9fff]")
    value = sketch(example_digit(3))
    out = tab.draw(value, "lstm", lang="zh-CN")
    assert "图片是如何被读取的" in out[tab.reading] and "how the picture was read" not in out[tab.reading]
    assert out[tab.seen]["alt"] == "模型看到的图像" and out[tab.rows]["alt"] == "输入图像，第 28 行高亮"
    assert out[tab.unit_rows]["color"] == "状态" and "状态" in out[tab.unit_rows]["value"]
    en = tab.draw(value, "lstm")
    assert en[tab.seen]["alt"] == "what the model sees" and en[tab.rows]["alt"] == "the input, row 28 highlighted"
    words = tab.static_words("zh-CN")
    assert words[tab.curves] == gr.update(color="模型") and "模型" in tab.curves.value["columns"]
    assert cjk.search(words[tab.curves_text]) and "Mean gradient" not in words[tab.curves_text]
    assert tab.static_words()[tab.curves]["color"] == "cell"
    # the maps shown before a first drawing are named by the switch too
    panel_keys = dict((id(c), k) for c, k in tab.words.items)
    assert panel_keys[id(tab.panels[0])] == {"label": "digits.panel.i"}
    assert tab.words.update(panel_keys[id(tab.panels[1])], "zh-CN") == {"label": "f：遗忘门"}
    assert tab.words.update(panel_keys[id(tab.reading)], "zh-CN")["label"].startswith("图片是如何被读取的")
    models, problems = load_models(tmp_path)
    empty = built(models, problems)
    shown = empty.static_words("zh-CN")[empty.problems_md]
    assert "**LSTM 不可用**" in shown and "缺少权重文件" in shown and "unavailable" not in shown
    assert "LSTM unavailable" in empty.static_words()[empty.problems_md]


def test_settle_step():
    probs = np.full((28, 10), 0.05)
    probs[:, 1] = 0.5
    probs[10:, 7] = 0.9
    probs[15, 7] = 0.0  # one wobble: the answer is final only from step 17
    assert analysis.settle_step(probs) == 17
    assert analysis.settle_step(np.eye(10)[[3] * 28]) == 1


def test_heatmap_colours_and_nearest_neighbour():
    values = np.array([[-1.0, 0.0, 1.0]])
    img = render.heatmap(values, "diverging", cell=(4, 5))
    body = img[render.STRIP:]
    assert body.shape == (4, 15, 3)
    assert (body[:, 5:10] == render.DIVERGING[2]).all()           # 0 -> white, every pixel
    assert (body[:, 0] == render.DIVERGING[0]).all() and (body[:, -1] == render.DIVERGING[-1]).all()
    assert render.to_png(img)[:8] == b"\x89PNG\r\n\x1a\n"


def test_friendly_errors():
    def fails(error):
        raise error

    with pytest.raises(gr.Error, match="bad drawing"):
        friendly(fails)(ValueError("bad drawing"))
    with pytest.raises(gr.Error, match="Something went wrong") as info:
        friendly(fails)(ZeroDivisionError("division by zero"))
    assert "division" not in str(info.value)


def test_missing_weights_still_builds(tmp_path):
    models, problems = load_models(tmp_path)
    assert not models and len(problems) == 3
    assert "digits_lstm.safetensors" in problems[0] and "train_digits.py --config lstm" in problems[0]
    shown = [b.value for b in build_app(tmp_path).blocks.values() if isinstance(b, gr.Markdown)]
    assert any("LSTM unavailable" in v and "train_digits.py --config lstm" in v for v in shown), shown
    empty = built(models, problems)
    out = empty.draw(sketch(example_digit(1)), "lstm")
    assert out[empty.hint]["visible"] and "No digit model" in out[empty.hint]["value"]


# ---------------------------------------------------------------------------------------------
# The running app, through gradio_client

@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Project-drawn good inputs and a zoo of bad ones, written once."""
    d = tmp_path_factory.mktemp("uploads")
    seven = example_digit(7)                        # (280, 280, 4) transparent stroke layer
    ink = seven[..., 3]                             # strokes as brightness
    paper = Image.fromarray(255 - ink, "L")         # dark digit on white paper
    paths = {"layer7": d / "layer7.png", "paper7": d / "paper7.png"}
    Image.fromarray(seven, "RGBA").save(paths["layer7"])
    paper.save(paths["paper7"])
    Image.fromarray(np.zeros((420, 420, 4), np.uint8), "RGBA").save(d / "blank.png")
    Image.new("L", (8000, 8000), 255).save(d / "huge.png", compress_level=1)
    Image.new("L", (1, 1), 0).save(d / "tiny.png")
    paper.convert("P").save(d / "mode_P.png")
    Image.fromarray(np.dstack([np.zeros_like(ink), ink]), "LA").save(d / "mode_LA.png")
    Image.fromarray(ink.astype(np.uint16) * 257).save(d / "mode_I16.png")  # I;16, white on black
    paper.convert("CMYK").save(d / "mode_CMYK.jpg")
    frames = [paper.convert("P"), Image.fromarray(255 - example_digit(1)[..., 3], "L").convert("P")]
    frames[0].save(d / "animated.gif", save_all=True, append_images=frames[1:], duration=200, loop=0)
    (d / "text.png").write_text("this is not an image\n")
    (d / "big.png").write_bytes(os.urandom(11_000_000))
    return d


@pytest.fixture(scope="module")
def client():
    demo = build_app()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    saved = dict(os.environ)
    os.environ["GRADIO_SERVER_PORT"] = str(port)  # the Space-style way to pick the port
    try:
        _, url, _ = launch(demo, prevent_thread_lock=True, quiet=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert f":{port}" in url
    yield Client(url, verbose=False)
    demo.close()


def classify(client, value, model=None):
    return client.predict(value, model, api_name="/classify")


def test_classify_pad_value(client):
    out = classify(client, sketch(example_digit(4)), "gru")
    assert (out["label"], out["model"]) == ("4", "gru")


def test_classify_sketch_value(client, files):
    value = {"background": None, "layers": [handle_file(str(files / "layer7.png"))], "composite": None}
    out = classify(client, value)
    assert out["label"] == "7" and out["model"] == "lstm"
    assert abs(sum(c["confidence"] for c in out["confidences"]) - 1) < 1e-4


@pytest.mark.parametrize("model", ["lstm", "gru", "rnn"])
def test_classify_plain_upload(client, files, model):
    out = classify(client, handle_file(str(files / "paper7.png")), model)
    assert (out["label"], out["model"]) == ("7", model)


# Valid images in odd forms are read (animations: the first frame); the rest get a message.
ODD_BUT_VALID = {"mode_P.png": "7", "mode_LA.png": "7", "mode_I16.png": "7", "mode_CMYK.jpg": "7",
                 "animated.gif": "7"}
BAD = {"huge.png": "too large", "tiny.png": "empty", "blank.png": "empty", "text.png": "not an image",
       "big.png": "maximum file size", "not-a-model": "Unknown or unavailable model"}


@pytest.mark.parametrize("name", sorted(ODD_BUT_VALID))
def test_odd_image_modes(client, files, name):
    assert classify(client, handle_file(str(files / name)))["label"] == ODD_BUT_VALID[name]


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_gets_a_message_and_server_keeps_serving(client, files, name):
    if name == "not-a-model":
        call = lambda: classify(client, handle_file(str(files / "paper7.png")), "transformer")
    elif name == "blank.png":  # a cleared canvas, as a Sketchpad value
        call = lambda: classify(client, {"background": None, "layers": [handle_file(str(files / name))],
                                         "composite": None})
    else:
        call = lambda: classify(client, handle_file(str(files / name)))
    with pytest.raises(Exception) as info:
        call()
    message = str(info.value)
    assert BAD[name].lower() in message.lower(), message
    assert "Traceback" not in message and "Something went wrong" not in message
    assert classify(client, handle_file(str(files / "paper7.png")))["label"] == "7"


def test_server_caps_upload_size(client, files):
    """gradio_client refuses big files itself; a raw upload must be refused by the server."""
    r = httpx.post(client.src.rstrip("/") + "/gradio_api/upload",
                   files={"files": ("big.png", (files / "big.png").read_bytes(), "image/png")})
    assert r.status_code == 413, r.text
    assert classify(client, handle_file(str(files / "paper7.png")))["label"] == "7"


def test_raw_strings_are_not_read_as_server_paths(client):
    with pytest.raises(Exception, match="Expected an image file"):
        classify(client, "/etc/passwd")
