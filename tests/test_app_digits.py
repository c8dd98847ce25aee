"""The Digits tab: its pure handlers (demo.digits.handlers, demo.digits.drawing) called directly on
project-drawn digits, answers compared by output name.  The wiring (demo.digits.events) is
tests/test_digits_events.py; /classify through a server, tests/test_digits_classify.py.

    .venv/bin/python -m pytest -q tests/test_app_digits.py

Uses the trained weights in weights/ (python training/train_digits.py --config lstm|gru|rnn|bilstm|peephole).
"""
import gradio as gr
import numpy as np
import pytest
from PIL import Image

from demo import render
from demo.answers import SKIP, Update
from demo.digits import analysis, drawing, handlers, views
from demo.digits.controls import MODEL_NAMES, TABLE
from demo.digits.drawing import live, pen_up_first, pen_up_rest
from demo.digits.handlers import (ALL_OUTPUTS, COMPARE, EDIT_OUTPUTS, FIRST_OUTPUTS, PANELS, PICK_OUTPUTS,
                                  RELANGUAGE_OUTPUTS, REST_OUTPUTS, STEP_OUTPUTS, UNIT_OUTPUTS, Lab, load_lab)
from demo.digits.pad_ink import ink_value
from demo.digits.pictures import EMPTY_MESSAGE
from demo.digits.sketches import example_digit
from demo.digits.worker import WorkerBusy
from demo.errors import UserError
from demo.ui_common import friendly
from tests.conftest import same

DIGITS = range(10)
# gradio's own queue code warns about pandas deprecations on every event
pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")


def sketch(layer: np.ndarray) -> dict:
    """What the drawing pad hands a handler: its 56x56 ink (the layer's alpha, area-averaged)."""
    ink = Image.fromarray(layer[..., 3]).resize((56, 56), Image.Resampling.BOX)
    return ink_value(np.asarray(ink))


def C(**values):
    """Controls, as the page's components would send them (every other field at its default)."""
    return TABLE.check(values)


@pytest.fixture(scope="module")
def lab() -> Lab:
    lab = load_lab()
    assert not lab.failures, lab.failures
    return lab


def draw(lab, value, model="lstm", before=None, picture=None, lang="en", complete=False, **controls):
    return drawing.drawing(lab, value, C(model=model, **controls), before, picture, lang, complete)


def label(out: dict) -> str:
    return max(out["final"], key=out["final"].get)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_draw_reads_every_example_digit(lab, name):
    for d in DIGITS:
        out = draw(lab, sketch(example_digit(d)), name)
        a = out["analysis"]
        assert label(out) == str(d), (name, d, out["final"])
        assert a.name == name and a.x.shape == (28, 28) and a.cell == lab.models[name].cell  # bilstm: an lstm


def test_each_handler_fills_exactly_its_output_group(lab):
    """The events list these groups as outputs: a handler returning other names (or missing
    some) would fail silently in the browser."""
    two = sketch(example_digit(2))
    a = draw(lab, two, "gru")["analysis"]
    up = {**two, "pad": "groups", "seq": 1}
    groups = {
        "draw": (draw(lab, two, "gru"), ALL_OUTPUTS),
        "blank": (draw(lab, None, "gru"), ALL_OUTPUTS),
        "pick": (handlers.pick(lab, a, C(model="lstm")), PICK_OUTPUTS),
        "pick, nothing drawn": (handlers.pick(lab, None, C(model="lstm")), PICK_OUTPUTS),
        "step": (handlers.step(lab, a, C(t=5)), STEP_OUTPUTS),
        "step, nothing drawn": (handlers.step(lab, None, C(t=5)), STEP_OUTPUTS),
        "edit": (handlers.edit(lab, a, C(ablate="1, 2", gate="r", gate_value=0.0, from_row=3, t=5)), EDIT_OUTPUTS),
        "edit, nothing drawn": (handlers.edit(lab, None, C(ablate="1", from_row=3, t=5)), EDIT_OUTPUTS),
        "unit": (handlers.unit_view(lab, a, C(unit=7)), UNIT_OUTPUTS),
        "pen down": (draw(lab, {**two, "drawing": True}, "gru", before=a), ALL_OUTPUTS),
        "pen up": (draw(lab, two, "gru", before=a), ALL_OUTPUTS),
        "pen-up, first part": (pen_up_first(lab, up, C(model="gru")), FIRST_OUTPUTS),
        "pen-up, the rest": (pen_up_rest(lab, a, up, None, C(model="gru")), REST_OUTPUTS),
        "relanguage": (handlers.relanguage(lab, a, C(model="gru"), two, None, "zh-CN"), RELANGUAGE_OUTPUTS),
        "top units": (handlers.top_units(lab, a, 3), ("ablate",)),
        "add a unit": (handlers.add_unit("1, 2", 7), ("ablate",)),
        "click": (handlers.click_unit(lab, a, [7, 3]), ("unit",)),
    }
    for what, (out, group) in groups.items():
        assert set(out) == set(group) and len(group) == len(set(group)), what
    assert set(FIRST_OUTPUTS) | set(REST_OUTPUTS) == set(ALL_OUTPUTS) and not set(FIRST_OUTPUTS) & set(REST_OUTPUTS)


def test_draw_then_step_outputs_all_views(lab):
    out = draw(lab, sketch(example_digit(7)), "lstm")
    a = out["analysis"]
    side = 28 * views.DIGIT_SCALE
    seen = out["seen"]  # numbers the page draws (demo/digits/input_view.py): no PNG, no file
    assert (seen["width"] * seen["scale"], seen["height"] * seen["scale"], seen["t"]) == (side, side, None)
    assert out["hint"] == Update(visible=False) and "reads **7**" in out["summary"]
    assert [out[c]["label"].split(":")[0] for c in COMPARE[:-1]] == ["LSTM", "GRU", "RNN", "BiLSTM", "Peephole LSTM"]
    assert out[COMPARE[-1]] == Update(value=None, visible=False)   # the slot of a model opened in the lens
    step = handlers.step(lab, a, C(t=12))
    assert step["caption"].startswith("**Row 12 of 28.**")
    assert step["rows"]["t"] == 12 and set(step["probs"]) == {str(d) for d in DIGITS}
    assert step["rows"]["scale"] * 28 == side and step["rows"]["ink"] == seen["ink"]
    # units x steps, the step strip on top and the colour legend underneath
    hmap = step["hmap"]  # a hover value: the picture and the numbers behind it
    assert hmap["height"] == 128 * views.UNIT_CELL[0] + render.STRIP + 26 and hmap["rows"] == 128
    np.testing.assert_allclose(render.decode_hover_values(hmap), a.trace.h.T, atol=1e-3)
    assert [step[p]["caption"].split(":")[0] for p in PANELS] == ["i", "f", "g", "o", "c"]
    refreshed = handlers.step(lab, a, C(t=12), refresh=True)  # the model changed: labels and visibility
    assert [refreshed[p]["label"].split(":")[0] for p in PANELS] == ["i", "f", "g", "o", "c"]
    assert all(isinstance(refreshed[p], Update) and refreshed[p]["visible"] for p in PANELS)
    assert step["confidence"]["rows"] == 10
    assert out["influence"].count("rl-inf-cell") == len(MODEL_NAMES) and out["unit_thumbs"].mode == "RGB"
    assert 'class="now"' in step["trajectory"]


def test_blank_canvas_is_a_hint_not_an_error(lab):
    blank = np.zeros((420, 420, 4), np.uint8)
    for value in (None, sketch(blank), ink_value(np.zeros((56, 56), np.uint8))):
        out = draw(lab, value, "lstm")
        assert out["analysis"] is None and out["final"] is None
        assert out["hint"]["visible"] and EMPTY_MESSAGE in out["hint"]["value"]
        assert handlers.step(lab, out["analysis"], C())["caption"] == ""


def test_slider_rerenders_without_running_a_model(lab, monkeypatch):
    a = draw(lab, sketch(example_digit(3)), "gru")["analysis"]

    def boom(*args, **kwargs):
        raise AssertionError("a model ran on a slider move")

    for m in lab.models.values():
        monkeypatch.setattr(m.hand, "run", boom)
        monkeypatch.setattr(m.net, "forward", boom)
    for t in (1, 14, 28):
        out = handlers.step(lab, a, C(t=t))
        assert f"Row {t} of 28" in out["caption"]
        assert [out[p]["caption"].split(":")[0] for p in PANELS[:3]] == ["r", "z", "n"]
        assert all(out[p] is SKIP for p in PANELS[3:])      # hidden since the GRU was drawn


def test_model_picker_retraces_and_explains(lab):
    a = draw(lab, sketch(example_digit(5)), "lstm")["analysis"]
    out = handlers.pick(lab, a, C(model="rnn"))
    explain = out["explain"]
    assert out["analysis"].cell == "rnn" and "RNN" in explain and "(B, 28, 28)" in explain
    np.testing.assert_array_equal(out["analysis"].x, a.x)  # the same drawing, not re-read
    assert all(not out[p]["visible"] for p in PANELS)    # the picker refreshes: a plain RNN has no gates
    assert [c[1] for c in out["gate"]["choices"]] == ["none"]  # ... to clamp
    clamped = handlers.edit(lab, a, C(gate="f", gate_value=0.0))["analysis"]
    assert handlers.pick(lab, clamped, C(model="lstm"))["gate"]["value"] == "f"     # the clamp stays
    assert handlers.pick(lab, clamped, C(model="gru"))["gate"]["value"] == "none"   # the GRU has no f


def test_comparison_matches_each_models_own_trace(lab):
    """The fast torch module behind the comparison and the hand cells behind the trace agree."""
    a = draw(lab, sketch(example_digit(4)), "lstm")["analysis"]
    for name, probs in a.compare.items():
        np.testing.assert_allclose(probs, lab.models[name].trace_mnist(a.x).probs, atol=1e-5)


def test_while_the_pen_moves_the_slow_views_wait_for_pen_up(lab):
    value = sketch(example_digit(7))
    first = draw(lab, sketch(example_digit(1)), "gru")  # the drawing a stroke ago
    a = first["analysis"]
    assert list(a.influence) == list(MODEL_NAMES) and first["unit_thumbs"] is not None
    moving = draw(lab, {**value, "drawing": True}, "gru", before=a)
    assert list(moving["analysis"].influence) == ["gru"]          # the chosen cell's only
    assert moving["influence"].count("rl-inf-wait") == len(MODEL_NAMES) - 1   # the others shown faded
    np.testing.assert_array_equal(moving["analysis"].influence["gru"]["gradient"],
                                  lab.models["gru"].row_influence_mnist(moving["analysis"].x)["gradient"])
    assert moving["unit_thumbs"] is SKIP                           # unchanged: not sent again
    lifted = draw(lab, value, "gru", before=moving["analysis"])
    assert list(lifted["analysis"].influence) == list(MODEL_NAMES)
    # the pen lifted where the last value left it: the same ink, so the runs are reused
    assert lifted["analysis"].trace is moving["analysis"].trace
    # while the pen is down the unit's drill-down and the reading strip wait ...
    assert moving["unit_caption"] is SKIP and moving["reading"] is SKIP
    # ... and follow once it is up (the looked-up profile and thumbnails do not change)
    lifted = draw(lab, value, "gru", before=moving["analysis"], unit=5)
    assert lifted["unit_caption"].startswith("**Unit 5**") and "how the picture was read" in lifted["reading"]
    assert lifted["unit_thumbs"] is SKIP and lifted["unit_profile"] is SKIP


def test_the_pads_two_lanes(lab):
    """"change" (live) leaves pen-ups to "submit", analyses values set from Python, and drops a
    live answer that a later pen-up overtook; "submit" answers in two parts."""
    pad = {"pad": "page1"}
    moving = {**sketch(example_digit(7)), **pad, "seq": 4, "drawing": True}
    up = {**sketch(example_digit(7)), **pad, "seq": 5}
    assert all(v is SKIP for v in live(lab, up, C()).values())               # the submit lane's
    shown = live(lab, moving, C())                                           # not overtaken yet
    assert label(shown) == "7"
    final = pen_up_first(lab, up, C(unit=3), before=shown["analysis"])
    rest = pen_up_rest(lab, final["analysis"], up, None, C(unit=3))
    assert label(final) == "7" and rest["unit_caption"].startswith("**Unit 3**")
    late = live(lab, moving, C(), before=shown["analysis"])                  # seq 4 < 5: too late
    assert set(late) == set(ALL_OUTPUTS) and all(v is SKIP for v in late.values())
    assert label(live(lab, {**moving, "pad": "page2"}, C())) == "7"          # another page
    from_python = live(lab, sketch(example_digit(3)), C())                   # an example, a link
    assert label(from_python) == "3" and from_python["unit_caption"] is not SKIP


@pytest.mark.parametrize("name, digit, t, unit", [("gru", 7, 9, 3), ("lstm", 2, 28, 0)])
def test_the_pen_ups_two_parts_are_the_whole_answer(lab, name, digit, t, unit):
    """The pen-up's first part (the prediction, the row-by-row views) and its second (the rest,
    with every model's row influence) hold together what one complete answer holds."""
    up = {**sketch(example_digit(digit)), "pad": "page9", "seq": 2}
    c = C(model=name, t=t, unit=unit)
    whole = drawing.drawing(lab, up, c, complete=True)
    first = pen_up_first(lab, up, c)
    rest = pen_up_rest(lab, first["analysis"], up, None, c)
    assert set(first) == set(FIRST_OUTPUTS) and set(rest) == set(REST_OUTPUTS) and set(whole) == set(ALL_OUTPUTS)
    assert first["analysis"].influence == {}                  # the costly part waits for the second
    assert set(whole["analysis"].influence) == set(lab.models)
    for k, v in rest.items():
        assert same(v, whole[k]), k
    for k, v in first.items():
        if k != "analysis":
            assert same(v, whole[k]), k
    blank = pen_up_rest(lab, None, {**up, "data": ink_value(np.zeros((56, 56), np.uint8))["data"]})
    assert set(blank) == set(REST_OUTPUTS) and blank["influence"] == "" and blank["unit_caption"] == ""


def test_the_pen_ups_first_part_does_not_wait_behind_a_busy_worker(lab):
    """The worker answers one call at a time: while it computes a live preview, the pen-up's
    first part is computed in the server (the same answer) when nothing else runs there; under
    load, and for every other call, the worker takes it.  An over-full worker: a preview waits
    for the pen-up, a pen-up says "busy, try again"."""
    calls = []

    class Worker:  # records the calls; None: "compute it here"
        busy, full = True, False

        def call(self, name, *args):
            calls.append(name)
            if self.full:
                raise WorkerBusy()
            return None

    up = {**sketch(example_digit(7)), "pad": "busy1", "seq": 1}
    plain = pen_up_first(lab, up, C(model="gru"))
    routed = Lab(lab.models, lab.lookups, worker=Worker(), running=lambda: 1)
    assert same(pen_up_first(routed, up, C(model="gru")), plain) and calls == []   # not behind the preview
    live(routed, {**up, "seq": 2, "drawing": True}, C(model="gru"))
    pen_up_rest(routed, plain["analysis"], up)
    assert calls == ["drawing", "rest"]                                          # the others wait their turn
    routed.running = lambda: 5                                                   # a loaded server
    pen_up_first(routed, {**up, "seq": 3}, C(model="gru"))
    Worker.busy = False
    routed.running = lambda: 1
    pen_up_first(routed, {**up, "seq": 4}, C(model="gru"))
    assert calls == ["drawing", "rest", "first", "first"]
    Worker.full = True
    assert all(v is SKIP for v in live(routed, {**up, "seq": 5, "drawing": True}, C()).values())
    with pytest.raises(UserError, match="busy"):
        pen_up_first(routed, {**up, "seq": 6}, C())


@pytest.mark.parametrize("bad, words", [({"pad": 7}, "pad must be"), ({"seq": -1}, "seq must be"),
                                        ({"seq": True}, "seq must be"), ({"pad": "a b"}, "pad must be")])
def test_the_pads_lanes_refuse_bad_numbering(lab, bad, words):
    value = {**sketch(example_digit(7)), "pad": "p", "seq": 1, **bad}
    for lane in (live, pen_up_first):
        for v in (value, {**value, "drawing": True}):
            with pytest.raises(UserError, match=words):
                lane(lab, v, C())


def test_interventions_rerun_and_name_the_difference(lab):
    a = draw(lab, sketch(example_digit(7)), "lstm")["analysis"]
    top = handlers.top_units(lab, a, 5)["ablate"]
    assert len(top.split(", ")) == 5
    out = handlers.edit(lab, a, C(ablate=top))
    edited = out["analysis"]
    assert edited.intervention.ablate == tuple(sorted(int(u) for u in top.split(", ")))
    assert out["difference"].startswith("Ablating 5 units") and "the **7**" in out["difference"]
    np.testing.assert_array_equal(edited.trace.h, a.trace.h)       # the original run is kept
    assert np.all(edited.edited.h[:, list(edited.intervention.ablate)] == 0)
    shut = handlers.edit(lab, a, C(gate="f", gate_value=0.0, from_row=10))
    assert "forget gate f to 0 from row 10" in shut["difference"]
    assert np.all(shut["analysis"].edited.gates["f"][9:] == 0)
    blank = handlers.edit(lab, a, C(blank_rows="1-28"))
    assert blank["difference"].startswith("Blanking rows 1-28")
    plain = handlers.edit(lab, a, C())                              # the empty edit: no edited run
    assert plain["analysis"].edited is None and plain["edited_final"] is None
    # the edit stays on while drawing: the next stroke re-runs it
    again = draw(lab, sketch(example_digit(7)), "lstm", ablate="3")
    assert again["analysis"].edited is not None and "unit (3)" in again["difference"]
    assert handlers.add_unit("3, 17", 5.0) == {"ablate": "3, 17, 5"} and handlers.add_unit("3", 3)["ablate"] == "3"
    with pytest.raises(UserError, match="Draw a digit first"):
        handlers.top_units(lab, None, 5)


@pytest.mark.parametrize("controls, words", [
    (dict(ablate="1, 500"), "out of range"),         # the LSTM has 128 units
    (dict(gate="r"), "no gate"),                     # a GRU gate on the LSTM
])
def test_edits_the_model_cannot_take_get_a_message(lab, controls, words):
    """The table checks the controls' own ranges (tests/test_digits_events.py); the handler what
    the drawing's model allows."""
    a = draw(lab, sketch(example_digit(7)), "lstm")["analysis"]
    with pytest.raises(UserError, match=words):
        handlers.edit(lab, a, C(**controls))


def test_clicking_a_map_row_opens_that_unit_in_the_shown_order(lab):
    a = draw(lab, sketch(example_digit(2)), "gru")["analysis"]
    perm = handlers.unit_order(lab, a, "influence")
    assert sorted(perm.tolist()) == list(range(128)) and perm[0] == int(np.argmax(a.contributions))
    shown = handlers.step(lab, a, C(t=12, order="influence"))["hmap"]
    assert shown["row_ids"] == perm.tolist()  # the map says which unit each displayed row is
    np.testing.assert_allclose(render.decode_hover_values(shown)[0], a.trace.h[:, perm[0]], atol=1e-3)
    for unit in (0, 5, 127):
        assert handlers.click_unit(lab, a, [unit, 12]) == {"unit": unit}
    for bad in ([500, 3], None, "x", [None, 1], [1, 2, 3]):
        assert handlers.click_unit(lab, a, bad) == {"unit": SKIP}          # nothing happens
    assert handlers.click_unit(lab, None, [5, 12]) == {"unit": SKIP}
    out = handlers.unit_view(lab, a, C(unit=int(perm[0])))
    assert out["unit_caption"].startswith(f"**Unit {perm[0]}**") and "rank 1 of 128" in out["unit_caption"]
    assert list(out["unit_profile"]["class"]) == [str(d) for d in DIGITS]
    assert out["unit_rows"]["color"] == "state" and set(out["unit_rows"]["value"]["state"]) == {"h", "r", "z", "n"}
    with pytest.raises(UserError, match="from 0 to 127"):
        handlers.unit_view(lab, a, C(unit=128))


def test_an_uploaded_photo_shows_how_it_was_read(lab, tmp_path):
    from demo.digits.events import to_pad
    from demo.digits.photos import not_one_digit, render_photo
    rng = np.random.default_rng(5)
    path = tmp_path / "three.jpg"
    photo = render_photo(3, rng, "pencil", size=(800, 600))  # a phone JPEG: EXIF orientation kept
    photo.save(path, quality=88, exif=photo.getexif())
    loaded = to_pad(str(path))
    value, (data, reading) = loaded["pad"], loaded["picture_reading"]
    strip = views.reading_html(reading)
    assert value["format"] == "ink-v1" and data == value["data"] and "how the picture was read" in strip
    out = draw(lab, value, "lstm", picture=loaded["picture_reading"])
    assert label(out) == "3"
    assert out["reading"] == strip            # the photo's own steps, not the pad's ink
    stroked = draw(lab, {**value, "data": ink_value(np.full((56, 56), 9, np.uint8))["data"]}, "lstm",
                   picture=loaded["picture_reading"])
    assert stroked["reading"] != strip        # strokes added on top: the pad's reading
    assert to_pad(None) == {"pad": SKIP, "picture_reading": SKIP}
    faces = tmp_path / "two.jpg"
    not_one_digit("two_digits", np.random.default_rng(1)).save(faces, quality=90)
    with pytest.raises(ValueError, match="digit"):
        to_pad(str(faces))


def test_the_views_follow_the_language(lab):
    """A zh-CN page: the reading strip, the pictures' alt texts, the plots' colour columns, the
    gate names and the equations are in Chinese; English stays as it was."""
    value = sketch(example_digit(3))
    out = draw(lab, value, "lstm", lang="zh-CN")
    assert "图片是如何被读取的" in out["reading"] and "how the picture was read" not in out["reading"]
    assert out["seen"]["alt"] == "模型看到的图像" and out["rows"]["alt"] == "输入图像，第 28 行高亮"
    assert out["unit_rows"]["color"] == "状态" and "状态" in out["unit_rows"]["value"]
    en = draw(lab, value, "lstm")
    assert en["seen"]["alt"] == "what the model sees" and en["rows"]["alt"] == "the input, row 28 highlighted"
    again = handlers.relanguage(lab, en["analysis"], C(), value, None, "zh-CN")   # the switch: no model run
    assert "图片是如何被读取的" in again["reading"] and again["unit_rows"]["color"] == "状态"
    assert again["panels.0"]["label"] == "i：输入门" and again["gate"]["choices"][1] == ("输入门 i", "i")
    assert "层，每层 128 个单元" in again["explain"]
    back = handlers.relanguage(lab, en["analysis"], C(), value, None, "en")
    assert "how the picture was read" in back["reading"] and back["unit_rows"]["color"] == "state"
    nothing = handlers.relanguage(lab, None, C(), None, None, "zh-CN")
    assert nothing["hint"].startswith("✏️ 画板是空的") and nothing["explain"] == again["explain"]


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

    with pytest.raises(gr.Error, match="Draw a digit first"):
        friendly(fails)(UserError("digits.error.draw_first"))
    for error in (ZeroDivisionError("division by zero"), ValueError("a bug: not a message for the user")):
        with pytest.raises(gr.Error, match="Something went wrong") as info:
            friendly(fails)(error)
        assert "division" not in str(info.value) and "a bug" not in str(info.value)


def test_missing_weights_leave_a_blank_pad_that_says_why(tmp_path):
    empty = load_lab(tmp_path)
    assert not empty.models and len(empty.failures) == len(MODEL_NAMES)
    key, _, error, fields = empty.failures[0]
    assert key == "app.error.unavailable" and fields == {"title": "LSTM"}
    assert "digits_lstm.safetensors" in str(error) and "train_digits.py --config lstm" in str(error)
    out = draw(empty, sketch(example_digit(1)), "lstm")
    assert out["hint"]["visible"] and "No digit model" in out["hint"]["value"]
    assert set(handlers.pick(empty, None, C())) == set(PICK_OUTPUTS)


# ---------------------------------------------------------------------------------------------
# The networks that read both ways (the BiLSTM) and the peephole LSTM, through the handlers

def test_the_bilstm_shows_both_directions_and_a_one_way_model_hides_them(lab):
    from demo.digits.handlers import BACK_PANELS, BOTH_WAYS
    a = draw(lab, sketch(example_digit(7)), "lstm")["analysis"]
    out = handlers.pick(lab, a, C(model="bilstm", t=9))
    H = lab.models["bilstm"].hidden // 2
    assert out["analysis"].trace.directions == 2 and out["caption"].startswith(
        "**Step 9 of 28: forward at row 9, backward at row 20.**")
    assert all(isinstance(out[n], Update) and out[n]["visible"] for n in BOTH_WAYS)   # the picker refreshes
    assert out["dir_forward"]["value"].startswith("**forward · reads rows 1→28**")
    assert out["dir_backward"]["value"].startswith("**backward · reads rows 28→1**")
    back = out["hmap_back"]["value"]
    assert out["hmap"]["rows"] == back["rows"] == H and back["row_ids"] == list(range(H, 2 * H)) and back["t"] == 9
    assert [out[p]["label"].split(":")[0] for p in BACK_PANELS] == ["i", "f", "g", "o", "c"]
    assert (out["rows"]["t"], out["rows"]["back"]) == (9, 20) and "Reading both ways" in out["confidence_note"]["value"]
    step = handlers.step(lab, out["analysis"], C(model="bilstm", t=3))        # the slider: plain values
    assert step["hmap_back"]["t"] == step["hmap"]["t"] == 3 and step["rows"]["back"] == 26
    assert all(step[n] is SKIP for n in ("dir_forward", "dir_backward", "confidence_note"))
    assert [out[c]["label"].split(":")[0] for c in COMPARE[:-1]] == [analysis.TITLES[n] for n in MODEL_NAMES]
    # back to one way: the backward maps hide, a unit and ablated units the LSTM lacks are brought in range
    edited = handlers.edit(lab, out["analysis"], C(model="bilstm", ablate=f"3, {H + 2}"))["analysis"]
    lstm = handlers.pick(lab, edited, C(model="lstm", t=9, unit=H + 5))
    assert all(lstm[n] == Update(value=None, visible=False) for n in BOTH_WAYS)
    assert lstm["unit"] == 0 and lstm["unit_caption"].startswith("**Unit 0**") and lstm["ablate"] == "3"
    assert lstm["caption"].startswith("**Row 9 of 28.**") and lstm["rows"]["back"] is None
    assert handlers.pick(lab, a, C(model="gru", unit=5))["unit"] is SKIP


def test_the_bilstm_drill_down_edits_and_clicks_go_by_direction(lab):
    a = draw(lab, sketch(example_digit(3)), "bilstm", unit=130)["analysis"]
    H = lab.models["bilstm"].hidden // 2
    unit = handlers.unit_view(lab, a, C(unit=H + 2))["unit_caption"]
    assert unit.startswith(f"**Unit {H + 2}** of the BiLSTM's top layer is backward unit 2")
    assert handlers.click_unit(lab, a, [2 * H - 1, 4]) == {"unit": 2 * H - 1}
    assert handlers.click_unit(lab, a, [2 * H, 4]) == {"unit": SKIP}
    out = handlers.edit(lab, a, C(ablate=f"1, {H + 1}", gate="f", gate_value=1.0, from_row=5))
    text = out["difference"]
    assert "**Directions** (the BiLSTM reads both ways)" in text and "backward direction: its units 1 (numbered" in text
    assert "forward rows 5→28, backward rows 24→1" in text
    assert out["analysis"].edited is not None and np.all(out["analysis"].edited.h[4:, [1, H + 1]] == 0)
    with pytest.raises(UserError, match="out of range"):
        handlers.edit(lab, a, C(ablate=str(2 * H)))
    zh = handlers.relanguage(lab, out["analysis"], C(model="bilstm", t=5), None, None, "zh-CN")
    assert zh["caption"].startswith("**第 5 步，共 28 步：正向在第 5 行，反向在第 24 行。**")
    assert zh["dir_backward"]["value"].startswith("**反向") and "方向" in zh["difference"]


def test_the_peephole_lstm_shows_the_lstms_maps(lab):
    out = draw(lab, sketch(example_digit(4)), "peephole")
    assert out["analysis"].cell == "peephole" and out["caption"].startswith("**Row 28 of 28.**")
    assert [out[p]["label"].split(":")[0] for p in PANELS] == ["i", "f", "g", "o", "c"]
    assert out["hmap_back"] == Update(value=None, visible=False) and out["rows"]["back"] is None
    gates = handlers.pick(lab, out["analysis"], C(model="peephole"))["gate"]["choices"]
    assert [g for _, g in gates] == ["none", "i", "f", "g", "o"]
