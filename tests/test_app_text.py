"""The Text tab: streaming /generate through a live server (gradio_client on localhost), Stop
reaching the text worker, bad inputs and their language, the tab built alone (its TabUI: every
control a link can set shown on the page, every event's outputs the handler's group), the pure
handlers, HTML escaping, the per-step trace and views, and unit discovery on held-out Shakespeare.

Uses weights/char_lstm (and char_rnn when present); RNN_LENS_TEXT_WEIGHTS points at another folder.

    .venv/bin/python -m pytest -q tests/test_app_text.py
"""
import inspect
import json
import math
import os
import time
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import Client

from conftest import serving
from demo.answers import SKIP, Update
from demo.checkpoint import WEIGHTS_DIR
from demo.errors import UserError
from demo.text import CharModel, CharRNN, analysis, corpus, handlers, load_char_model, steps, why
from demo.text import units as tu
from demo.text import views
from demo.text.controls import TABLE
from demo.text.events import build
from demo.text.lab import Lab
from demo.text.steps import Written
from demo.text.writer import shared_writer

WEIGHTS = Path(os.environ.get("RNN_LENS_TEXT_WEIGHTS") or WEIGHTS_DIR)
WEIGHTS_ARG = None if WEIGHTS == WEIGHTS_DIR else WEIGHTS
MARKUP = "<script>alert(1)</script> & <img src=x onerror=alert(2)>\n\"quoted\" 'it'"

pytestmark = pytest.mark.skipif(not (WEIGHTS / "char_lstm.safetensors").is_file(),
                                reason=f"no char_lstm weights in {WEIGHTS} (training/train_char_rnn.py)")


@pytest.fixture(scope="module")
def lstm() -> CharModel:
    return load_char_model("lstm", WEIGHTS)


@pytest.fixture(scope="module")
def client():
    with serving(WEIGHTS_ARG) as url:
        yield Client(url, verbose=False)


@pytest.fixture(scope="module")
def built():
    """The tab built alone in a Blocks that is never launched: (TabUI, Blocks)."""
    with gr.Blocks() as app:
        ui = build(WEIGHTS_ARG, gr.State("en"))
    return ui, app


def toy_model() -> CharModel:
    """A small random LSTM whose vocabulary can spell markup."""
    torch.manual_seed(0)
    vocab = sorted(set(MARKUP + "abcdefghijklmnopqrstuvwxyz ROMEO:"))
    return CharModel(CharRNN(len(vocab), "lstm", hidden=16, layers=1), vocab, {"name": "toy"})


def searching_lab(models: dict, tmp_path) -> Lab:
    """A Lab with no units file beside it: units are searched, quickly."""
    lab = Lab(models, weights_dir=tmp_path)
    lab.discovery_chars = 600
    return lab


# ---------------------------------------------------------------------------------------------
# Through the server

@pytest.mark.server
def test_stream_matches_generate(client, lstm):
    args = ("ROMEO:\n", 600, 0.8, 0, 7, "lstm")
    job = client.submit(*args, api_name="/generate")
    partial = list(job)
    final = job.result()
    assert len(partial) >= 2 and len(partial[0]) < len(final)  # the first character goes out at once
    assert all(final.startswith(p) for p in partial)
    assert final == lstm.generate("ROMEO:\n", 600, 0.8, None, 7)
    assert client.predict(*args, api_name="/generate") == final  # same settings + seed: same text
    assert client.predict("T", 50, 1.0, 5, 1, "lstm", api_name="/generate") == lstm.generate("T", 50, 1.0, 5, 1)
    assert len(client.predict("T", 20, 1.0, 0, None, "lstm", api_name="/generate")) == 20  # fresh randomness


@pytest.mark.server
def test_stop_cancels_the_text_in_the_worker(client):
    """A stream cancelled by its client (what Stop does) cancels its text in the worker process:
    the worker acknowledges it, and the next request is written."""
    writer = shared_writer(WEIGHTS_ARG, ("lstm", "rnn") if (WEIGHTS / "char_rnn.safetensors").is_file() else ("lstm",))
    acked = len(writer._acked)
    job = client.submit("ROMEO:\n", 5000, 0.8, 0, 0, "lstm", api_name="/generate")
    next(iter(job))  # streaming has started
    job.cancel()
    deadline = time.monotonic() + 60   # a bound on the wait, not a measurement
    while len(writer._acked) == acked and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(writer._acked) == acked + 1 and writer.late == 0
    assert client.predict("T", 30, 0.8, 0, 0, "lstm", api_name="/generate")


BAD = [  # (seed, length, temperature, top_k, message)
    ("", 10, 0.8, 0, "Type a seed"),
    ("ROMEO<script>", 10, 0.8, 0, r"does not know: '<', '>'"),
    ("T", 0, 0.8, 0, "Length must be from 1 to 5,000"),
    ("T", 100_000, 0.8, 0, "Length must be from 1 to 5,000"),
    ("T", 2.5, 0.8, 0, "Length must be a whole number"),
    ("T", 10, -1, 0, "Temperature must be a number from 0 to 10"),
    ("T", 10, "nan", 0, "Temperature must be a number from 0 to 10"),  # JSON has no NaN: sent as text
    ("T", 10, 1e6, 0, "Temperature must be a number from 0 to 10"),
    ("T", 10, 0.8, -1, "Top-k must be from 0 to 65"),
    ("T", 10, 0.8, 1000, r"Top-k must be from 0 to 65 \(0 = off"),
]


@pytest.mark.server
@pytest.mark.parametrize("seed, length, temperature, top_k, message", BAD)
def test_bad_inputs_then_good(client, seed, length, temperature, top_k, message):
    with pytest.raises(Exception, match=message) as err:
        client.predict(seed, length, temperature, top_k, 0, "lstm", api_name="/generate")
    assert "Traceback" not in str(err.value) and "<script" not in str(err.value)
    assert len(client.predict("T", 5, 0.8, 0, 0, "lstm", api_name="/generate")) == 5


@pytest.mark.server
def test_api_messages_follow_the_clients_language(client):
    """/generate and /score take no language input: a client sending Accept-Language: zh-CN
    reads their messages in Chinese, one sending none in English."""
    zh = Client(client.src, verbose=False, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    with pytest.raises(Exception, match="温度必须是 0 到 10 之间的数"):
        zh.predict("T", 10, -1, 0, 0, "lstm", api_name="/generate")
    with pytest.raises(Exception, match="长度必须在 1 到 5,000 之间"):
        zh.predict("T", 0, 0.8, 0, 0, "lstm", api_name="/generate")
    with pytest.raises(Exception, match="至少需要 2 个字符") as err:
        zh.predict("a", "lstm", api_name="/score")
    assert "Traceback" not in str(err.value)
    with pytest.raises(Exception, match="Temperature must be a number from 0 to 10"):
        client.predict("T", 10, -1, 0, 0, "lstm", api_name="/generate")


# ---------------------------------------------------------------------------------------------
# The tab built alone: its TabUI and its events

def event_fn(app: gr.Blocks, name: str):
    """The one event whose handler is named ``name``."""
    found = [fn for fn in app.fns.values() if fn.fn is not None and inspect.unwrap(fn.fn).__name__ == name]
    assert len(found) >= 1, name
    return found[0]


@pytest.mark.server   # the tab built alone starts its text worker
def test_handler_errors_are_gradio_errors(built):
    """NaN cannot travel through JSON: call the wrapped /generate handler as gradio does."""
    ui, app = built
    fn = next(fn for fn in app.fns.values() if fn.api_name == "generate")
    with pytest.raises(gr.Error, match="Temperature must be"):
        next(fn.fn("T", 10, float("nan"), 0, 0, "lstm"))
    with pytest.raises(gr.Error, match="no character model 'gru'"):
        next(fn.fn("T", 10, 0.8, 0, 0, "gru"))
    assert [c for c in fn.inputs] == [ui.c[n] for n in ("seed", "length", "temperature", "top_k", "rng_seed", "model",
                                                        "acrostic")]


GROUPS = {  # handler name -> the output group it fills (names of ui.c)
    "generate": handlers.GENERATE, "analyse": steps.ANALYSIS, "switch": steps.ANALYSIS, "new_rng_seed": handlers.RNG,
    "step": steps.STEP, "click": steps.CLICK, "recolour": steps.COLOUR, "pick": steps.PICK,
    "click_unit": steps.CLICK_UNIT, "score": handlers.SCORE, "compare": handlers.COLUMNS, "drill": why.DRILL,
    "sampling": why.SAMPLING, "connect": why.CONNECT, "connect_pasted": why.CONNECT, "select_match": why.MATCH,
    "side_by_side": why.EDIT, "worked_example": why.EXAMPLE, "switch_corpus": corpus.SWITCH,
    "write_opened": handlers.GENERATE,   # "Open in the lens": the page's own model writes at once
}


@pytest.mark.server   # the tab built alone starts its text worker
def test_every_event_writes_its_handlers_group(built):
    ui, app = built
    wired: dict[str, set] = {}
    for fn in app.fns.values():
        if fn.fn is None or fn.api_name == "score":  # a js-only event; the API returns data
            continue
        name = inspect.unwrap(fn.fn).__name__
        outputs = {id(c) for c in fn.outputs}
        assert wired.setdefault(name, outputs) == outputs, f"{name} is wired to different outputs"
    assert set(wired) == set(GROUPS), sorted(wired)
    for name, group in GROUPS.items():
        assert wired[name] == {id(ui.c[n]) for n in group}, name


def test_each_handler_fills_exactly_its_output_group(lstm, tmp_path):
    lab = searching_lab({"lstm": lstm}, tmp_path)
    text = lstm.generate("ROMEO:\n", 60, 0.8, rng_seed=0)
    written = Written("lstm", "ROMEO:\n")
    trace = analysis.trace_text(lstm, "ROMEO:\n", text)
    calls = {
        "generate": [*handlers.generate(lab, None, "T", 20, 0.8, 0, 0, "lstm")],
        "analyse": [steps.analyse(lab, written, text, "h", 0, 5, None),
                    steps.analyse(lab, written, text, "c", 3, 5, "c:3"), steps.analyse(lab, None, "", "h", 0, 1, None)],
        "new_rng_seed": [handlers.new_rng_seed()],
        "step": [steps.step(trace, 7, "c", 2), steps.step(None, 7, "c", 2)],
        "click": [steps.click(9), steps.click([3, 9])],
        "recolour": [steps.recolour(lab, trace, "h", 4, 2), steps.recolour(lab, None, "h", 4, 2)],
        "pick": [steps.pick(lab, "c:5", trace, 3), steps.pick(lab, None, trace, 3)],
        "click_unit": [steps.click_unit(lab, trace, "h", 3, [4, 3]), steps.click_unit(lab, trace, "h", 3, "x")],
        "switch": [steps.switch(lab, "lstm")],
        "score": [handlers.score(lab, "ROMEO: hello", "lstm")],
        "compare": [handlers.compare(lab, "T", 30, 0, 1, "lstm")],
    }
    for name, outs in calls.items():
        for out in outs:
            assert set(out) == set(GROUPS[name]), name
    assert steps.click(9) == {"t": 9, "span_start": SKIP, "span_end": SKIP}
    assert steps.click([3, 9]) == {"t": SKIP, "span_start": 3, "span_end": 9}
    assert set(steps.click_unit(lab, trace, "h", 3, "x").values()) == {SKIP}
    assert steps.pick(lab, "c:5", trace, 3)["which"] == "c" and steps.pick(lab, "c:5", trace, 3)["unit"] == 5


# ---------------------------------------------------------------------------------------------
# Links: every field of the table reaches the page

LINK = {"tcorpus": "shakespeare", "tmodel": "rnn", "seed": "KING:\n", "acrostic": "AB", "len": "80", "temp": "1.2",
        "topk": "5", "rng": "9", "state": "h", "tunit": "7", "tt": "12", "clamp": "h3 = 1", "tablate": "h5"}


@pytest.mark.server   # the tab built alone starts its text worker
def test_every_field_of_a_link_is_shown_on_the_page(built):
    ui, _ = built
    if "rnn" not in ui.models:
        pytest.skip("no char_rnn weights")
    assert set(LINK) == set(TABLE.by_key)                     # every field of the table, none at its default
    controls = TABLE.decode(LINK)
    assert TABLE.decode(dict(TABLE.encode(controls))) == controls
    assert [f.name for f in TABLE.fields.values() if getattr(controls, f.name) == f.default] == ["which"]  # the RNN: h
    out = ui.apply(controls, frozenset(TABLE.fields), "en")
    assert set(out) <= set(ui.apply_outputs)
    shown = {name: out[ui.c[name]] for name in ui.controls}
    assert shown["t"]["value"] == 12 and shown["t"]["maximum"] >= 12   # tt= moves the step slider
    value = lambda v: v.get("value") if isinstance(v, dict) else v    # noqa: E731 - a corpus named: its view under
    assert {k: value(v) for k, v in shown.items() if k not in ("t", "which")} == {
        "corpus": "shakespeare", "model": "rnn", "seed": "KING:\n", "acrostic": "AB", "length": 80, "temperature": 1.2,
        "top_k": 5, "rng_seed": 9, "unit": 7, "clamp": "h3 = 1", "ablate": "h5"}
    assert shown["which"]["choices"] == ["h"] and shown["which"]["value"] == "h"   # the RNN has no c
    assert ui.controls_from(*[shown[n]["value"] if isinstance(shown[n], dict) else shown[n] for n in ui.controls]) \
        == controls                                            # Copy link reads back what the link set
    assert ui.apply(TABLE.decode({"state": "c"}), {"which"}, "en")[ui.c["which"]] == "c"   # the LSTM's cell state
    only = ui.apply(TABLE.decode({"tt": "3"}), {"t"}, "en")
    assert ui.c["seed"] not in only and ui.c["model"] not in only   # what a link does not name is left alone


@pytest.mark.server   # the tab built alone starts its text worker
def test_a_link_this_app_cannot_show_is_refused(built):
    ui, _ = built
    m = ui.models["lstm"]
    with pytest.raises(UserError, match=f"Link parameter tunit: Unit must be from 0 to {m.hidden - 1}"):
        ui.apply(TABLE.decode({"tunit": str(m.hidden)}), {"unit"}, "en")
    with pytest.raises(UserError, match="only the LSTM has a cell state c") as err:
        TABLE.decode({"tmodel": "rnn", "clamp": "c3 = 1"})
    assert "链接参数 clamp" in err.value.text("zh-CN")


@pytest.mark.server   # the tab built alone starts its text worker
def test_no_field_shows_an_error_before_input(built):
    """The page shows an empty Number as 0: a Number whose minimum is above its value is drawn
    with the error border before anyone typed."""
    ui, _ = built
    for name, c in ui.c.items():
        if isinstance(c, gr.Number) and c.minimum is not None:
            assert (c.value or 0) >= c.minimum, name
        if isinstance(c, gr.Number) and c.maximum is not None:
            assert (c.value or 0) <= c.maximum, name


# ---------------------------------------------------------------------------------------------
# Handlers (called directly)

@pytest.mark.server   # the tab built alone starts its text worker
def test_form_values_generate_as_the_library(lstm, built):
    """What the form sends (floats, top-k 0 = off, an empty random seed) goes to the model as is,
    written here or by the worker."""
    ui, _ = built
    for writer in (None, ui.writer):
        out = list(handlers.generate(ui.lab, writer, "ROMEO:\n", 120.0, 0.8, 0.0, 4.0, "lstm"))[-1]
        assert out["generated"] == lstm.generate("ROMEO:\n", 120, 0.8, None, 4)
        assert out["written"] == Written("lstm", "ROMEO:\n")
        assert len(list(handlers.generate(ui.lab, writer, "T", 30, 1.0, 0, None, "lstm"))[-1]["generated"]) == 30


def test_markup_is_escaped(tmp_path):
    m = toy_model()
    lab = Lab({"toy": m}, weights_dir=tmp_path)
    trace = analysis.trace_text(m, MARKUP, m.generate(MARKUP, 80, 1.0, rng_seed=0) + MARKUP)
    out = handlers.score(lab, MARKUP * 2, "toy")
    summary, coloured = out["summary"], out["surprise_view"]
    for html in (views.unit_html(trace, "c", 3), coloured, summary, views.step_html(trace, 90)):
        assert "<script" not in html and "<img" not in html  # as text: &lt;script&gt;
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in views.unit_html(trace, "h", 0)  # the seed, as text
    assert ">&lt;</span>" in coloured and ">&quot;</span>" in coloured  # one span per character
    assert "<br>" in coloured and "\n" not in coloured  # newlines as <br>


def test_trace_matches_stream_and_torch(lstm):
    """Row t of the trace is the state that chose character t: the torch module's state after
    the character before it, and the distribution stream() drew character t from."""
    steps_ = list(lstm.stream("ROMEO:\n", 40, 0.8, rng_seed=3, n_top=3))
    text = "".join(s.char for s in steps_)
    trace = analysis.trace_text(lstm, "ROMEO:\n", text)
    assert trace.h.shape == trace.c.shape == (40, lstm.hidden) and trace.probs.shape == (40, len(lstm.vocab))
    with torch.no_grad():
        out, _ = lstm.net.rnn(lstm.net.inputs(torch.tensor([lstm.encode("ROMEO:\n" + text)])))  # (1, 47, H)
    np.testing.assert_allclose(trace.h, out[0, 6:46].numpy(), atol=1e-4)
    for t in (0, 17, 39):
        shown = views.topk_rows(trace.probs[t], trace.vocab, 3)
        assert [c for c, _ in shown] == [c for c, _ in steps_[t].topk]
        np.testing.assert_allclose([q for _, q in shown], [q for _, q in steps_[t].topk], atol=1e-5)
        assert math.isclose(math.exp(-trace.surprise[t]), steps_[t].prob, rel_tol=1e-3)
    with pytest.raises(Exception):  # frozen: it lives in a gr.State shared by the handlers
        trace.text = "x"
    img = views.heatmap_image(trace, "c", 17, unit=5)
    assert img.dtype == np.uint8 and img.shape[1] == 6 + 40 * views.CELL_W
    assert "Step <b>18</b> of 40" in views.step_html(trace, 18)
    with pytest.raises(UserError, match="no 'c' state"):
        gru = CharModel(CharRNN(len(lstm.vocab), "gru", hidden=8, layers=1), lstm.vocab)
        analysis.trace_text(gru, "T", "he").unit_values("c", 0)


def test_step_and_units_handlers(lstm, tmp_path):
    lab = searching_lab({"lstm": lstm}, tmp_path)
    text = lstm.generate("ROMEO:\n", 120, 0.8, rng_seed=0)
    out = steps.analyse(lab, Written("lstm", "ROMEO:\n"), text, "h", 0, 500, None)
    trace, coloured = out["trace_state"], out["coloured"]
    assert coloured.count("data-t=") == 120 and out["t"] == Update(minimum=1, maximum=120, value=120)
    assert "Step <b>120</b>" in out["step_view"]
    found, source = lab.units("lstm")
    assert found and "wrote itself" in str(source) and lab.units("lstm")[0] is found  # found once
    first = found[0]
    assert f"{first.state_name}[{first.unit}]" in coloured  # the first unit found is shown
    assert out["unit_pick"]["value"] == first.key and out["which"]["value"] == first.state_name
    out = steps.recolour(lab, trace, "c", 5, 3)
    assert "c[5]" in out["coloured"] and out["hmap"]["format"] == "heat-v1" and out["hmap"]["what"] == "c"
    with pytest.raises(UserError, match=f"Unit must be from 0 to {lstm.hidden - 1}"):
        steps.recolour(lab, trace, "h", lstm.hidden, 1)
    out = handlers.compare(lab, "T", 40, 0, 2, "lstm")
    assert [out[c] for c in handlers.COLUMNS] == [lstm.generate("T", 40, T, None, 2) for T in analysis.TEMPERATURES]


def test_score_answer(lstm):
    lab = Lab({"lstm": lstm})
    text = "ROMEO: What light through yonder window breaks?"
    answer = handlers.score_api(lab, text, "lstm")
    st = lstm.states(text)
    assert answer["chars"] == len(text) and len(answer["surprise"]) == len(text) - 1
    assert answer["nats_per_char"] == pytest.approx(st.mean_surprise, abs=1e-9)
    assert answer["bits_per_char"] == pytest.approx(st.mean_surprise / math.log(2))
    with pytest.raises(UserError, match="paste at most 10,000"):
        handlers.score_api(lab, "a" * 10_001, "lstm")


# ---------------------------------------------------------------------------------------------
# Units worth looking at

def test_correlate_is_pearson():
    rng = np.random.default_rng(0)
    f, a = rng.normal(size=(200, 3)), rng.normal(size=(200, 4))
    a[:, 0] = 2 * f[:, 1] + 0.1 * a[:, 0]
    r = tu.correlate(f, a)
    np.testing.assert_allclose(r, np.corrcoef(f.T, a.T)[:3, 3:], atol=1e-10)
    assert tu.correlate(np.ones((10, 1)), a[:10]).tolist() == [[0.0] * 4]  # constant feature: 0


def test_discovery_on_validation_text(lstm, data_dir):
    """Held-out Shakespeare: some unit tracks a simple feature with |r| >= 0.5."""
    text = (data_dir / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    val = text[int(len(text) * 0.9):][:6000]
    found = tu.discover_units(lstm, val)
    assert found and abs(found[0].r) >= 0.5, found
    u = found[0]  # check the reported r independently
    feature = tu.text_features(val)[u.feature][50:]
    acts = getattr(lstm.states(val), u.state_name)[50:, u.unit]
    assert math.isclose(np.corrcoef(feature, acts)[0, 1], u.r, abs_tol=1e-3)


def test_units_file_round_trip(tmp_path):
    found = [tu.Unit("column", tu.FEATURES["column"], "c", 7, -0.8)]
    tu.save_units(tmp_path / "u.json", found, {"weights_sha256": "abc", "source": "test text"})
    assert json.loads((tmp_path / "u.json").read_text())["units"][0]["state"] == "c"  # the file format
    assert tu.load_units(tmp_path / "u.json", "abc") == (found, "test text")
    assert tu.load_units(tmp_path / "u.json", "other weights") is None
    assert tu.load_units(tmp_path / "missing.json") is None
