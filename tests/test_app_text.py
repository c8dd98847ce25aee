"""The Text tab: streaming /generate through a live server (gradio_client on localhost), bad inputs,
every handler filling exactly its event's outputs, HTML escaping, the per-step trace and views,
and unit discovery on held-out Shakespeare.

Uses weights/char_lstm (and char_rnn when present); RNN_LENS_TEXT_WEIGHTS points at another folder.

    .venv/bin/python -m pytest -q tests/test_app_text.py
"""
import inspect
import json
import math
import os
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import Client

from conftest import serving
from demo.checkpoint import WEIGHTS_DIR
from demo.text import CharModel, CharRNN, analysis, load_char_model
from demo.text import units as tu
from demo.text import views
from demo.text.tab import TextTab, Written
from demo.ui_common import friendly_stream

WEIGHTS = Path(os.environ.get("RNN_LENS_TEXT_WEIGHTS") or WEIGHTS_DIR)
MARKUP = "<script>alert(1)</script> & <img src=x onerror=alert(2)>\n\"quoted\" 'it'"

pytestmark = pytest.mark.skipif(not (WEIGHTS / "char_lstm.safetensors").is_file(),
                                reason=f"no char_lstm weights in {WEIGHTS} (training/train_char_rnn.py)")


@pytest.fixture(scope="module")
def lstm() -> CharModel:
    return load_char_model("lstm", WEIGHTS)


@pytest.fixture(scope="module")
def client():
    with serving(None if WEIGHTS == WEIGHTS_DIR else WEIGHTS) as url:
        yield Client(url, verbose=False)


def toy_model() -> CharModel:
    """A small random LSTM whose vocabulary can spell markup."""
    torch.manual_seed(0)
    vocab = sorted(set(MARKUP + "abcdefghijklmnopqrstuvwxyz ROMEO:"))
    return CharModel(CharRNN(len(vocab), "lstm", hidden=16, layers=1), vocab, {"name": "toy"})


def laid_out(models: dict, weights_dir) -> tuple[TextTab, gr.Blocks]:
    """A TextTab with its components and events, in a Blocks that is never launched."""
    tab = TextTab(models, weights_dir=weights_dir)
    tab.discovery_chars = 600  # no units file in weights_dir: search, quickly
    with gr.Blocks() as app:
        tab.layout()
        tab.wire(app)
    return tab, app


@pytest.fixture(scope="module")
def wired(lstm, tmp_path_factory):
    return laid_out({"lstm": lstm}, tmp_path_factory.mktemp("no_units"))


@pytest.fixture(scope="module")
def tab(wired) -> TextTab:
    return wired[0]


# ---------------------------------------------------------------------------------------------
# Through the server

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


def test_cancel_then_generate(client):
    job = client.submit("ROMEO:\n", 5000, 0.8, 0, 0, "lstm", api_name="/generate")
    next(iter(job))  # streaming has started
    job.cancel()
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


@pytest.mark.parametrize("seed, length, temperature, top_k, message", BAD)
def test_bad_inputs_then_good(client, seed, length, temperature, top_k, message):
    with pytest.raises(Exception, match=message) as err:
        client.predict(seed, length, temperature, top_k, 0, "lstm", api_name="/generate")
    assert "Traceback" not in str(err.value) and "<script" not in str(err.value)
    assert len(client.predict("T", 5, 0.8, 0, 0, "lstm", api_name="/generate")) == 5


def test_handler_errors_are_gradio_errors(tab):
    """NaN cannot travel through JSON: call the wrapped handler as gradio does."""
    gen = friendly_stream(tab.generate)
    with pytest.raises(gr.Error, match="Temperature must be"):
        next(gen("T", 10, float("nan"), 0, 0, "lstm"))
    with pytest.raises(gr.Error, match="no character model 'gru'"):
        next(gen("T", 10, 0.8, 0, 0, "gru"))


def test_form_values_generate_as_the_library(tab, lstm):
    """What the form sends (floats, top-k 0 = off, an empty random seed) goes to the model as is."""
    out = list(tab.generate("ROMEO:\n", 120.0, 0.8, 0.0, 4.0, "lstm"))[-1]
    assert out[tab.generated] == lstm.generate("ROMEO:\n", 120, 0.8, None, 4)
    assert out[tab.written] == Written("lstm", "ROMEO:\n")
    assert len(list(tab.generate("T", 30, 1.0, 0, None, "lstm"))[-1][tab.generated]) == 30


# ---------------------------------------------------------------------------------------------
# Handlers (called directly): each fills exactly the outputs of the events it is wired to

def wired_outputs(app: gr.Blocks) -> dict[str, set]:
    """Handler name -> the output components of its events (one set, whichever event)."""
    found: dict[str, set] = {}
    for fn in app.fns.values():
        if fn.fn is None or fn.api_name == "score":  # a js-only event; the API returns data
            continue
        name = inspect.unwrap(fn.fn).__name__
        outputs = {id(c) for c in fn.outputs}
        assert found.setdefault(name, outputs) == outputs, f"{name} is wired to different outputs"
    return found


def test_each_handler_fills_exactly_its_output_group(wired, lstm):
    tab, app = wired
    groups = wired_outputs(app)
    assert set(groups) == {"generate", "analyse", "new_rng_seed", "step", "click", "recolour", "pick",
                           "switch", "score", "compare", "click_unit", "drill", "sampling", "connect",
                           "connect_pasted", "select_match", "side_by_side", "worked_example"}, sorted(groups)
    assert groups["generate"] == {id(c) for c in tab.generate_outputs}
    assert groups["analyse"] == groups["switch"] == {id(c) for c in tab.analysis_outputs}
    text = lstm.generate("ROMEO:\n", 60, 0.8, rng_seed=0)
    written = Written("lstm", "ROMEO:\n")
    trace = analysis.trace_text(lstm, "ROMEO:\n", text)
    calls = {
        "generate": [*tab.generate("T", 20, 0.8, 0, 0, "lstm")],
        "analyse": [tab.analyse(written, text, "h", 0, 5, None), tab.analyse(written, text, "c", 3, 5, "c:3"),
                    tab.analyse(None, "", "h", 0, 1, None)],
        "new_rng_seed": [tab.new_rng_seed()],
        "step": [tab.step(trace, 7, "c", 2), tab.step(None, 7, "c", 2)],
        "click": [tab.click(gr.SelectData(tab.coloured, {"index": 9, "value": "a"})),
                  tab.click(gr.SelectData(tab.coloured, {"index": [3, 9], "value": "abcdefg"}))],
        "recolour": [tab.recolour(trace, "h", 4, 2), tab.recolour(None, "h", 4, 2)],
        "pick": [tab.pick("c:5", trace, 3), tab.pick(None, trace, 3)],
        "switch": [tab.switch("lstm")],
        "score": [tab.score("ROMEO: hello", "lstm")],
        "compare": [tab.compare("T", 30, 0, 1, "lstm")],
    }
    for name, outs in calls.items():
        for out in outs:
            assert {id(c) for c in out} == groups[name], name


def test_markup_is_escaped(tmp_path):
    m = toy_model()
    tab, _ = laid_out({"toy": m}, tmp_path)
    trace = analysis.trace_text(m, MARKUP, m.generate(MARKUP, 80, 1.0, rng_seed=0) + MARKUP)
    out = tab.score(MARKUP * 2, "toy")
    summary, coloured = out[tab.summary], out[tab.surprise_view]
    for html in (views.unit_html(trace, "c", 3), coloured, summary, views.step_html(trace, 90)):
        assert "<script" not in html and "<img" not in html  # as text: &lt;script&gt;
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in views.unit_html(trace, "h", 0)  # the seed, as text
    assert ">&lt;</span>" in coloured and ">&quot;</span>" in coloured  # one span per character
    assert "<br>" in coloured and "\n" not in coloured  # newlines as <br>


def test_trace_matches_stream_and_torch(lstm):
    """Row t of the trace is the state that chose character t: the torch module's state after
    the character before it, and the distribution stream() drew character t from."""
    steps = list(lstm.stream("ROMEO:\n", 40, 0.8, rng_seed=3, n_top=3))
    text = "".join(s.char for s in steps)
    trace = analysis.trace_text(lstm, "ROMEO:\n", text)
    assert trace.h.shape == trace.c.shape == (40, lstm.hidden) and trace.probs.shape == (40, len(lstm.vocab))
    with torch.no_grad():
        out, _ = lstm.net.rnn(lstm.net.inputs(torch.tensor([lstm.encode("ROMEO:\n" + text)])))  # (1, 47, H)
    np.testing.assert_allclose(trace.h, out[0, 6:46].numpy(), atol=1e-4)
    for t in (0, 17, 39):
        shown = views.topk_rows(trace.probs[t], trace.vocab, 3)
        assert [c for c, _ in shown] == [c for c, _ in steps[t].topk]
        np.testing.assert_allclose([q for _, q in shown], [q for _, q in steps[t].topk], atol=1e-5)
        assert math.isclose(math.exp(-trace.surprise[t]), steps[t].prob, rel_tol=1e-3)
    with pytest.raises(Exception):  # frozen: it lives in a gr.State shared by the handlers
        trace.text = "x"
    img = views.heatmap_image(trace, "c", 17, unit=5)
    assert img.dtype == np.uint8 and img.shape[1] == 6 + 40 * views.CELL_W
    assert "Step <b>18</b> of 40" in views.step_html(trace, 18)
    with pytest.raises(ValueError, match="no 'c' state"):
        gru = CharModel(CharRNN(len(lstm.vocab), "gru", hidden=8, layers=1), lstm.vocab)
        analysis.trace_text(gru, "T", "he").unit_values("c", 0)


def test_step_and_units_handlers(lstm, tmp_path):
    tab, _ = laid_out({"lstm": lstm}, tmp_path)
    text = lstm.generate("ROMEO:\n", 120, 0.8, rng_seed=0)
    out = tab.analyse(Written("lstm", "ROMEO:\n"), text, "h", 0, 500, None)
    trace, coloured = out[tab.trace_state], out[tab.coloured]
    assert coloured.count("data-t=") == 120 and out[tab.t].maximum == 120
    assert "Step <b>120</b>" in out[tab.step_view]
    found, source = tab.units("lstm")
    assert found and "wrote itself" in source and tab.units("lstm")[0] is found  # found once
    first = found[0]
    assert f"{first.state_name}[{first.unit}]" in coloured  # the first unit found is shown
    assert out[tab.unit_pick].value == first.key and out[tab.which].value == first.state_name
    out = tab.recolour(trace, "c", 5, 3)
    assert "c[5]" in out[tab.coloured] and out[tab.hmap]["format"] == "heat-v1" and out[tab.hmap]["what"] == "c"
    with pytest.raises(ValueError, match=f"unit must be from 0 to {lstm.hidden - 1}"):
        tab.recolour(trace, "h", lstm.hidden, 1)
    out = tab.compare("T", 40, 0, 2, "lstm")
    assert [out[c] for c in tab.columns] == [lstm.generate("T", 40, T, None, 2) for T in analysis.TEMPERATURES]


def test_score_answer(tab, lstm):
    text = "ROMEO: What light through yonder window breaks?"
    answer = tab.score_api(text, "lstm")
    st = lstm.states(text)
    assert answer["chars"] == len(text) and len(answer["surprise"]) == len(text) - 1
    assert answer["nats_per_char"] == pytest.approx(st.mean_surprise, abs=1e-9)
    assert answer["bits_per_char"] == pytest.approx(st.mean_surprise / math.log(2))
    with pytest.raises(ValueError, match="paste at most 10,000"):
        tab.score_api("a" * 10_001, "lstm")


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
