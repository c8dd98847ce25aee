"""The Digits tab's views of the networks the seeds add (demo.digits.views, .directions,
.interventions, demo.render): a BiLSTM's maps per reading direction with the right units and
titles, the input view's two heads, the captions and notes that say what "step t" and "confidence
after step t" mean, the unit drill-down and the edits by direction, the peephole LSTM's maps, and
the over-data curves of five models.  Small random models: nothing here depends on trained weights.

    .venv/bin/python -m pytest -q tests/test_views_directions.py
"""
import json
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from demo import render
from demo.digits import analysis, directions, views
from demo.digits.analysis import TITLES
from demo.digits.controls import MODEL_NAMES
from demo.digits.interventions import Intervention, directions_note
from demo.digits.model import DigitModel, DigitRNN
from demo.i18n import strings

H = 16  # units per direction


def small_model(cell: str, bidirectional: bool = False, seed: int = 0) -> DigitModel:
    torch.manual_seed(seed)
    net = DigitRNN(cell=cell, hidden=H, layers=2, bidirectional=bidirectional)
    with torch.no_grad():   # larger weights than the init: states that vary from step to step
        for p in net.rnn.parameters():
            p.mul_(3.0)
    return DigitModel(net, {"name": "test"})


@pytest.fixture(scope="module")
def models() -> dict:
    return {"lstm": small_model("lstm"), "bilstm": small_model("lstm", True, 1), "peephole": small_model("peephole")}


def drawn(name: str, models: dict, iv: Intervention | None = None) -> analysis.DigitAnalysis:
    x = np.zeros((28, 28), np.float32)
    x[4:24, 12:16] = 1.0   # a stroke down the middle
    x[4:7, 6:22] = 1.0     # and a bar across the top: a 7-ish
    return analysis.analyse(models, name, x, iv)


def decoded(value: dict) -> np.ndarray:
    return render.decode_hover_values(value)


def test_a_bilstm_gets_each_directions_maps_with_its_units_and_titles(models):
    a = drawn("bilstm", models)
    tr = a.trace
    v = views.step_views(a, 5)
    # forward: units 0..H-1, columns its steps = rows 1..28; backward: units H..2H-1, step t = row 29 - t
    assert v.h["rows"] == v.back["rows"] == H and v.h["row_ids"] is None and v.back["row_ids"] == list(range(H, 2 * H))
    np.testing.assert_allclose(decoded(v.h), tr.h[:, :H].T, atol=2e-3)
    np.testing.assert_allclose(decoded(v.back), tr.h[:, H:].T, atol=2e-3)
    assert v.h["t"] == v.back["t"] == 5                       # the slider moves both heads
    assert v.h["col_names"][4] == "row 5" and v.back["col_names"][4] == "row 24" and v.back["col_names"][0] == "row 28"
    assert v.back["accent"] == render.BACK_ACCENT.tolist() and v.h["accent"] is None
    assert v.h["caption"] == "h: hidden state, units × steps · forward · reads rows 1→28"
    assert v.back["caption"] == "h: hidden state, units × steps · backward · reads rows 28→1"
    for panels, way in ((v.panels, "forward · reads rows 1→28"), (v.back_panels, "backward · reads rows 28→1")):
        assert [title.split(":")[0] for title, _ in panels] == ["i", "f", "g", "o", "c"]
        assert all(title.endswith(way) and value["rows"] == H for title, value in panels)
    np.testing.assert_allclose(decoded(v.back_panels[1][1]), tr.gates["f"][:, H:].T, atol=2e-3)
    assert v.headings == ("**forward · reads rows 1→28** · units 0–15: at step t it reads row t.",
                          "**backward · reads rows 28→1** · units 16–31: at step t it reads row 29 − t.")
    # the input view: both heads, with a legend saying which is which
    assert (v.rows["t"], v.rows["back"]) == (5, 24)
    assert v.rows["legend"] == ["forward head: row 5", "backward head: row 24"]
    assert v.caption.startswith("**Step 5 of 28: forward at row 5, backward at row 24.**")
    assert "forward state after rows 1…t ; backward state after rows 28…29 − t" in v.note
    assert v.confidence["col_names"][4] == "read: forward rows 1–5, backward rows 28–24"


def test_a_bilstm_keeps_the_unit_order_within_each_direction(models):
    a = drawn("bilstm", models)
    order = np.random.default_rng(0).permutation(2 * H)
    v = views.step_views(a, 12, order)
    assert v.h["row_ids"] == [int(u) for u in order if u < H]
    assert v.back["row_ids"] == [int(u) for u in order if u >= H]
    np.testing.assert_allclose(decoded(v.back)[0], a.trace.h[:, v.back["row_ids"][0]], atol=2e-3)


@pytest.mark.parametrize("name", ["lstm", "peephole"])
def test_a_one_way_model_looks_as_before(models, name):
    a = drawn(name, models)
    v = views.step_views(a, 5)
    assert v.back is None and v.back_panels == [] and v.headings is None and v.note == ""
    assert v.h["caption"] == "h: hidden state, units × steps" and v.h["col_names"] is None and v.h["accent"] is None
    assert [title.split(":")[0] for title, _ in v.panels] == ["i", "f", "g", "o", "c"]   # the peephole's are the LSTM's
    assert (v.rows["t"], v.rows["back"], v.rows["legend"]) == (5, None, None)
    assert v.caption.startswith("**Row 5 of 28.**") and v.confidence["col_names"] is None
    assert views.PANELS["peephole"] == views.PANELS["lstm"]


def test_the_input_view_draws_both_heads():
    x = np.linspace(0, 1, 28 * 28, dtype=np.float32).reshape(28, 28)
    g8 = (x * 255).astype(np.uint8)
    img = render.digit_image(x, 4, t=5, back=24)
    assert (img[16] == render.ACCENT).all() and (img[19] == render.ACCENT).all()           # row 5 framed
    assert (img[92] == render.BACK_ACCENT).all() and (img[95] == render.BACK_ACCENT).all()  # row 24
    assert np.array_equal(img[:16:4, ::4, 0], g8[:4])                                     # rows 1-4 read
    assert np.array_equal(img[20:92:4, ::4, 0], (g8[5:23] * 0.25 + 20).astype(np.uint8))  # 6-23: by neither
    assert np.array_equal(img[96::4, ::4, 0], g8[24:])                                    # 25-28 read backwards
    late = render.digit_image(x, 4, t=20, back=9)                                       # past the middle:
    assert np.array_equal(late[40:76:4, ::4, 0], g8[10:19])                               # every row read
    assert np.array_equal(render.digit_image(x, 4, t=12), render.digit_image(x, 4, t=12, back=None))
    v = render.digit_value(x, 4, t=5, back=24, legend=["f", "b"])
    assert (v["t"], v["back"], v["legend"]) == (5, 24, ["f", "b"]) and json.loads(json.dumps(v)) == v
    for kwargs, words in [(dict(back=3), "needs the first"), (dict(t=5, back=29), "back must be"),
                          (dict(t=5, back=24, legend=["one"]), "one text per head"),
                          (dict(t=5, legend="ab"), "legend")]:
        with pytest.raises(ValueError, match=words):
            render.digit_value(x, 4, **kwargs)


def test_heat_values_take_an_accent_and_column_names():
    v = render.heat_value(np.zeros((3, 4)), "diverging", 1.0, (1, 4), t=2, accent=(0, 170, 255),
                          col_names=["row 4", "row 3", "row 2", "row 1"])
    assert v["accent"] == [0, 170, 255] and v["col_names"][0] == "row 4"
    strip = render.step_strip(4, 4, 2, accent=render.BACK_ACCENT)
    assert (strip[:, 4:8] == render.BACK_ACCENT).all() and (strip[:, :4] == render.GUTTER).all()
    for kwargs, words in [(dict(accent=(0, 300, 0)), "accent"), (dict(accent="blue"), "accent"),
                          (dict(col_names=["a"]), "col_names"), (dict(col_names="abcd"), "col_names")]:
        with pytest.raises(ValueError, match=words):
            render.heat_value(np.zeros((3, 4)), "diverging", 1.0, (1, 4), **kwargs)


def test_the_drawing_views_say_steps_for_a_model_reading_both_ways(models):
    d = views.drawing_views(drawn("bilstm", models))
    assert re.search(r"reading both ways, it made up its mind at step \d+ of 28", d.summary)
    captions = dict(zip(["lstm", "bilstm", "peephole"], (c for c, _ in d.compare)))
    assert "settled at step" in captions["bilstm"] and "settled at row" in captions["lstm"]
    assert captions["peephole"].startswith("Peephole LSTM: ")
    assert "made up its mind at row" in views.drawing_views(drawn("lstm", models)).summary


def test_a_units_drill_down_names_its_direction(models):
    a = drawn("bilstm", models)
    back = views.unit_views(a, H + 2)
    assert back.caption.startswith(f"**Unit {H + 2}** of the BiLSTM's top layer is backward unit 2 "
                                   "(it reads rows 28→1)")
    h = back.over_rows[back.over_rows["state"] == "h"]
    assert list(h["row"]) == list(range(28, 0, -1))          # each step at the row it read
    np.testing.assert_allclose(h["value"], a.trace.h[:, H + 2])
    fwd = views.unit_views(a, 3)
    assert "is forward unit 3 (it reads rows 1→28)" in fwd.caption
    assert list(fwd.over_rows[fwd.over_rows["state"] == "h"]["row"]) == list(range(1, 29))
    with pytest.raises(ValueError, match="from 0 to 31"):
        views.unit_views(a, 2 * H)
    assert "forward unit" not in views.unit_views(drawn("lstm", models), 3).caption


def test_an_edit_says_which_direction_it_acts_on(models):
    iv = Intervention(ablate=(3, H + 1, H + 2), clamp=(("f", 0.0),), from_step=10, blank_rows=(2,))
    note = directions_note(iv, H, "BiLSTM")
    assert note.startswith("**Directions** (the BiLSTM reads both ways):\n")
    assert "- ablating acts on the forward direction: its units 3\n" in note
    assert f"- ablating acts on the backward direction: its units 1-2 (numbered {H + 1}-{H + 2} in the list)" in note
    assert "- clamping the forget gate f acts on both directions" in note
    assert "- from row 10 means each direction's own step 10: forward rows 10→28, backward rows 19→1" in note
    assert note.endswith("- blanked rows are blank for both directions")
    a = drawn("bilstm", models, iv)
    _, confidence, text = views.edited_views(a, 5)
    assert text.endswith(note) and confidence["col_names"] is not None
    assert "Directions" not in views.edited_views(drawn("lstm", models, Intervention(ablate=(3,))), 5)[2]
    assert "from row" not in directions_note(Intervention(clamp=(("i", 1.0),)), H, "BiLSTM")


def fake_lookups(hidden: int, seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    comps = rng.normal(size=(2, hidden)).astype(np.float32)
    return SimpleNamespace(cloud=rng.normal(size=(50, 2)), cloud_labels=rng.integers(0, 10, 50),
                           pca_variance=np.array([0.4, 0.2]), project=lambda h: np.asarray(h) @ comps.T,
                           influence_gradient=np.linspace(1, 2, 28), meta={"data": {"influence_digits": 1000}})


def test_the_trajectory_of_a_bilstm_is_by_step(models):
    a = drawn("bilstm", models)
    html = views.trajectory_html(a, fake_lookups(2 * H), 5)
    assert "<title>after step 5: forward at row 5, backward at row 24</title>" in html
    assert f"of the {2 * H}-unit states [forward h ; backward h] the head reads" in html
    assert "<title>after row 5</title>" in views.trajectory_html(drawn("lstm", models), fake_lookups(H), 5)


def test_the_over_data_curves_show_every_model_and_name_its_colour():
    lookups = {n: fake_lookups(H, k) for k, n in enumerate(MODEL_NAMES)}
    frame = views.influence_curves(lookups)
    assert sorted(set(frame["cell"])) == sorted(TITLES[n] for n in MODEL_NAMES) and len(frame) == 28 * len(MODEL_NAMES)
    summary = views.influence_summary(lookups)
    assert all(f"**{TITLES[n]}**" in summary for n in MODEL_NAMES)
    from demo.digits.page import CELL_COLOURS   # the plot's colour map: one colour per model, named in the label
    label = strings("en")["digits.curves.label"]
    assert set(CELL_COLOURS) == {TITLES[n] for n in MODEL_NAMES}
    for colour, title in (("blue", "LSTM"), ("orange", "GRU"), ("red", "RNN"), ("green", "BiLSTM"),
                          ("purple", "Peephole LSTM")):
        assert f"{colour} {title}" in label


def test_the_bilstm_views_speak_chinese(models):
    a = drawn("bilstm", models, Intervention(ablate=(3, H + 1), from_step=4))
    v = views.step_views(a, 5, lang="zh-CN")
    words = [v.caption, v.note, *v.headings, v.h["caption"], v.back["caption"], *v.rows["legend"], v.rows["alt"],
             *v.back["col_names"][:2], views.unit_views(a, H + 1, lang="zh-CN").caption,
             views.edited_views(a, 5, "zh-CN")[2],
             views.trajectory_html(a, fake_lookups(2 * H), 5, lang="zh-CN")]
    assert all(re.search(r"[\u4e00-\u9fff]", w) for w in words), words
    assert not any(re.search(r"\b(forward|backward|step|row)\b", w) for w in words), words
    assert directions.back_row(1) == 28 and directions.unit_direction(H, H) == ("backward", 0)
