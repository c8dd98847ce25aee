"""The Text tab: streaming /generate through a live server (gradio_client on localhost), bad inputs,
HTML escaping, the per-step trace and views, and unit discovery on held-out Shakespeare.

Uses weights/char_lstm (and char_rnn when present); RNN_LENS_TEXT_WEIGHTS points at another folder.
"""
import math
import os
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import Client

import demo.text.tab as ui_text
from demo.text import views as tv
from demo.checkpoint import WEIGHTS_DIR
from demo.text import CharModel, CharRNN, load_char_model
from conftest import serving

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


def test_handler_errors_are_gradio_errors(lstm):
    """NaN cannot travel through JSON: call the wrapped handler as gradio does."""
    gen = ui_text.friendly_stream(ui_text.TextHandlers({"lstm": lstm}).generate)
    with pytest.raises(gr.Error, match="Temperature must be"):
        next(gen("T", 10, float("nan"), 0, 0, "lstm"))
    with pytest.raises(gr.Error, match="no character model 'gru'"):
        next(gen("T", 10, 0.8, 0, 0, "gru"))


# ---------------------------------------------------------------------------------------------
# Views (handlers called directly)

def test_markup_is_escaped():
    m = toy_model()
    h = ui_text.TextHandlers({"toy": m})
    trace = tv.trace_text(m, MARKUP, m.generate(MARKUP, 80, 1.0, rng_seed=0) + MARKUP)
    summary, coloured = h.score(MARKUP * 2, "toy")
    for html in (tv.unit_html(trace, "c", 3), coloured, summary, tv.step_html(trace, 90)):
        assert "<script" not in html and "<img" not in html  # as text: &lt;script&gt;
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tv.unit_html(trace, "h", 0)  # the seed, as text
    assert ">&lt;</span>" in coloured and ">&quot;</span>" in coloured  # one span per character
    assert "<br>" in coloured and "\n" not in coloured  # newlines as <br>


def test_trace_matches_stream(lstm):
    """Row t of the trace is the state that chose character t, as stream() reports it."""
    steps = list(lstm.stream("ROMEO:\n", 40, 0.8, rng_seed=3, n_top=3))
    text = "".join(s.char for s in steps)
    trace = tv.trace_text(lstm, "ROMEO:\n", text)
    assert trace["h"].shape == (40, lstm.hidden) and trace["probs"].shape == (40, len(lstm.vocab))
    for t in (0, 17, 39):
        np.testing.assert_allclose(trace["h"][t], steps[t].h, atol=1e-4)
        np.testing.assert_allclose(trace["c"][t], steps[t].c, atol=1e-4)
        assert tv.topk_rows(trace["probs"][t], trace["vocab"], 3)[0][0] == steps[t].topk[0][0]
        assert math.isclose(math.exp(-trace["surprise"][t]), steps[t].prob, rel_tol=1e-3)
    img = tv.heatmap_image(trace, "c", 17, unit=5)
    assert img.dtype == np.uint8 and img.shape[1] == 6 + 40 * tv.CELL_W
    assert "Step <b>18</b> of 40" in tv.step_html(trace, 18)


def test_step_and_units_handlers(lstm, monkeypatch, tmp_path):
    monkeypatch.setattr(ui_text, "DISCOVERY_CHARS", 600)  # no units file in tmp_path: search, quickly
    h = ui_text.TextHandlers({"lstm": lstm}, tmp_path)
    text = lstm.generate("ROMEO:\n", 120, 0.8, rng_seed=0)
    out = h.analyse({"model": "lstm", "seed": "ROMEO:\n"}, text, "h", 0, 500, None)
    trace, coloured, slider, step = out[:4]
    assert coloured.count("data-t=") == 120 and slider.maximum == 120 and "Step <b>120</b>" in step
    units, source = h.units("lstm")
    assert units and "wrote itself" in source and h.units("lstm")[0] is units  # found once
    assert f'{units[0].state}[{units[0].unit}]' in coloured  # the first unit found is shown
    html, img = h.recolour(trace, "c", 5, 3)
    assert "c[5]" in html and img.ndim == 3
    with pytest.raises(ValueError, match=f"unit must be from 0 to {lstm.hidden - 1}"):
        h.recolour(trace, "h", lstm.hidden, 1)
    hot = h.compare("T", 40, 0, 2, "lstm")
    assert hot == [lstm.generate("T", 40, T, None, 2) for T in ui_text.TEMPERATURES]


def test_check_request():
    ok = tv.check_request("T", 10.0, 0, "", None, 65)
    assert ok == dict(seed="T", length=10, temperature=0.0, top_k=None, rng_seed=None)
    assert tv.check_request("T", 1, 10, 65, 5, 65)["top_k"] == 65
    with pytest.raises(ValueError, match="Random seed must be a whole number"):
        tv.check_request("T", 1, 1, 0, -0.5, 65)


# ---------------------------------------------------------------------------------------------
# Units worth looking at

def test_correlate_is_pearson():
    rng = np.random.default_rng(0)
    f, a = rng.normal(size=(200, 3)), rng.normal(size=(200, 4))
    a[:, 0] = 2 * f[:, 1] + 0.1 * a[:, 0]
    r = tv.correlate(f, a)
    np.testing.assert_allclose(r, np.corrcoef(f.T, a.T)[:3, 3:], atol=1e-10)
    assert tv.correlate(np.ones((10, 1)), a[:10]).tolist() == [[0.0] * 4]  # constant feature: 0


def test_discovery_on_validation_text(lstm, data_dir):
    """Held-out Shakespeare: some unit tracks a simple feature with |r| >= 0.5."""
    text = (data_dir / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    val = text[int(len(text) * 0.9):][:6000]
    units = tv.discover_units(lstm, val)
    assert units and abs(units[0].r) >= 0.5, units
    u = units[0]  # check the reported r independently
    feature = tv.text_features(val)[u.feature][50:]
    acts = getattr(lstm.states(val), u.state)[50:, u.unit]
    assert math.isclose(np.corrcoef(feature, acts)[0, 1], u.r, abs_tol=1e-3)


def test_units_file_round_trip(tmp_path):
    units = [tv.Unit("column", tv.FEATURES["column"], "c", 7, -0.8)]
    tv.save_units(tmp_path / "u.json", units, {"weights_sha256": "abc", "source": "test text"})
    assert tv.load_units(tmp_path / "u.json", "abc") == (units, "test text")
    assert tv.load_units(tmp_path / "u.json", "other weights") is None
    assert tv.load_units(tmp_path / "missing.json") is None
