"""Asking the text network why (issue #12): connectivity against finite differences, edits while
generating (empty edits are the plain model, a clamp holds in the trace), top contexts against a
recomputation on the validation text, select and match, sampling reshaped, the Text tab's new
handlers filling exactly their output groups, and bad inputs getting clear messages.

    .venv/bin/python -m pytest -q tests/test_text_why.py
"""
import json
import re
import shutil

import numpy as np
import pytest
import torch

from conftest import DATA_DIR, finite_differences
from demo.checkpoint import WEIGHTS_DIR, WeightsError
from demo.text import CharModel, CharRNN, Vocab, analysis, load_char_model
from demo.text import interventions, matching
from demo.text.connectivity import distance_summary, mean_connectivity
from demo.text.lookups import WINDOW, load_lookups, top_windows
from demo.answers import SKIP
from demo.errors import UserError
from demo.text import handlers, steps, why
from demo.text.lab import Lab
from demo.text.steps import Written

CORPUS = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"
SHIPPED = (WEIGHTS_DIR / "char_lstm_lookups.npz").is_file() and (WEIGHTS_DIR / "char_rnn_lookups.npz").is_file()
needs_shipped = pytest.mark.skipif(not SHIPPED, reason="no shipped lookups (python training/find_units.py)")
VAL_FILE = DATA_DIR / "tinyshakespeare" / "input.txt"
needs_data = pytest.mark.skipif(not VAL_FILE.is_file(), reason=f"no Tiny Shakespeare at {VAL_FILE}")


def make_model(cell="lstm", hidden=16, layers=2, embed=0, seed=0) -> CharModel:
    torch.manual_seed(seed)
    vocab = Vocab.from_text(CORPUS)
    net = CharRNN(len(vocab), cell, hidden=hidden, layers=layers, embed=embed)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(2.0)
    return CharModel(net, vocab, {"name": f"toy-{cell}"})


def validation() -> str:
    text = VAL_FILE.read_text(encoding="utf-8")
    return text[int(len(text) * 0.9):]


# -- connectivity ------------------------------------------------------------------------------

@pytest.mark.parametrize("cell,embed", [("lstm", 8), ("rnn", 0), ("gru", 0)])
def test_connectivity_matches_finite_differences(cell, embed):
    m = make_model(cell, embed=embed)
    text, position = CORPUS[:25], 20
    conn = m.connectivity(text, position)
    assert conn.shape == (position,) and np.all(conn >= 0)
    for j in (0, 7, position - 3, position - 1):
        g = finite_differences(m, text, position, j)
        assert g == pytest.approx(conn[j], rel=2e-3, abs=1e-9), (cell, j)


def test_mean_connectivity_is_the_mean_of_single_ones():
    """The batched curve over data equals single connectivity calls on the same windows."""
    m = make_model("lstm", embed=8)
    text = CORPUS * 4
    positions = [130, 150, 190]
    curve = mean_connectivity(m, text, positions, max_distance=40, burn_in=20, batch=2)
    # a single call reads from the window's start with the burn-in as its beginning
    singles = [m.connectivity(text[p - 60:p + 1], 60)[::-1][:40] for p in positions]
    assert np.allclose(curve["mean"], np.mean(singles, 0), rtol=1e-4, atol=1e-9)
    assert curve["positions"] == 3 and curve["distance"][0] == 1
    s = distance_summary(curve["distance"], curve["mean"])
    assert 1 <= s["half"] <= s["ninety"] <= 40


# -- edits while generating --------------------------------------------------------------------

def test_empty_edits_reproduce_plain_generation():
    m = make_model("lstm")
    plain = m.generate("All:\n", 120, 0.9, rng_seed=4)
    assert m.generate("All:\n", 120, 0.9, rng_seed=4, clamp={}) == plain
    assert m.generate("All:\n", 120, 0.9, rng_seed=4, ablate=[]) == plain
    assert m.generate("All:\n", 120, 0.9, rng_seed=4, clamp={}, ablate=[]) == plain
    assert "".join(s.char for s in m.stream("All:\n", 120, 0.9, rng_seed=4, clamp={}, ablate=[])) == plain


def test_edits_change_generation_and_stream_takes_them():
    m = make_model("lstm")
    clamp, ablate = {("c", 3): 4.0, ("h", 1): -0.9}, [("h", 5), ("c", 0)]
    plain = m.generate("All:\n", 150, 0.9, rng_seed=4)
    edited = m.generate("All:\n", 150, 0.9, rng_seed=4, clamp=clamp, ablate=ablate)
    assert edited != plain
    assert "".join(s.char for s in m.stream("All:\n", 150, 0.9, rng_seed=4, clamp=clamp, ablate=ablate)) == edited


def test_clamping_a_unit_holds_its_value_in_the_trace():
    m = make_model("lstm")
    clamp, ablate = {("c", 3): 2.0}, [("h", 7)]
    text = m.generate("All:\n", 80, 0.9, rng_seed=1, clamp=clamp, ablate=ablate)
    st = m.states("All:\n" + text, clamp=clamp, ablate=ablate)
    assert np.all(st.c[:, 3] == 2.0) and np.all(st.h[:, 7] == 0.0)
    assert not np.all(m.states("All:\n" + text).c[:, 3] == 2.0)
    # the edited states are what chose the edited text: greedy decoding agrees step by step
    greedy = m.generate("All:\n", 40, 0, clamp=clamp, ablate=ablate)
    probs = m.states("All:\n" + greedy, clamp=clamp, ablate=ablate).probs
    chosen = [m.vocab.chars[int(i)] for i in probs[len("All:\n") - 1:-1].argmax(1)]
    assert "".join(chosen) == greedy


def test_rnn_edits_and_unit_activations():
    m = make_model("rnn", layers=1)
    text = m.generate("F", 50, 1.0, rng_seed=0, ablate=[("h", 2)])
    assert np.all(m.states("F" + text, ablate=[("h", 2)]).h[:, 2] == 0)
    acts = m.unit_activations(CORPUS, "h", 5)
    assert acts.shape == (len(CORPUS),) and np.allclose(acts, m.states(CORPUS).h[:, 5])
    with pytest.raises(ValueError, match="only the LSTM has c"):
        m.unit_activations(CORPUS, "c", 5)


# -- bad inputs --------------------------------------------------------------------------------

@pytest.mark.parametrize("call,words", [
    (lambda m: m.connectivity(CORPUS, 0), "Position must be from 1"),
    (lambda m: m.connectivity(CORPUS, len(CORPUS)), "Position must be from 1"),
    (lambda m: m.connectivity(CORPUS, "x"), "Position must be a whole number"),
    (lambda m: m.connectivity(CORPUS, 2.5), "Position must be a whole number"),
    (lambda m: m.connectivity("F", 0), "at least 2 characters"),
    (lambda m: m.unit_activations(CORPUS, "q", 1), "State must be"),
    (lambda m: m.unit_activations(CORPUS, "c", 16), "Unit must be from 0 to 15"),
    (lambda m: m.unit_activations(CORPUS, "h", -1), "Unit must be from 0 to 15"),
    (lambda m: m.generate("F", 10, clamp={("q", 1): 1.0}), "State must be"),
    (lambda m: m.generate("F", 10, clamp={("c", 99): 1.0}), "out of range"),
    (lambda m: m.generate("F", 10, clamp={("c", 1): float("nan")}), "finite number"),
    (lambda m: m.generate("F", 10, clamp={("c", 1): "big"}), "set to a number"),
    (lambda m: m.generate("F", 10, ablate=[("h", 1.5)]), "whole number"),
    (lambda m: m.generate("F", 10, ablate="h7"), "ablate must be a list"),
    (lambda m: m.generate("F", 10, clamp=[("c", 1)]), "clamp must be a dict"),
    (lambda m: m.generate("F", 10, clamp={("c", 1): 1.0}, ablate=[("c", 1)]), "both clamped and ablated"),
    (lambda m: m.stream("F", 10, ablate=[("z", 1)]), "State must be"),
    (lambda m: matching.select_units(np.zeros((10, 4)), 5, 5, 0.1), "at least one character"),
    (lambda m: matching.select_units(np.zeros((10, 4)), 0, 11, 0.1), "Span end must be from 1 to 10"),
    (lambda m: matching.select_units(np.zeros((10, 4)), -1, 3, 0.1), "Span start must be from 0"),
    (lambda m: matching.select_units(np.zeros((10, 4)), 0, 3, float("nan")), "Threshold must be a finite"),
    (lambda m: matching.select_units(np.zeros((10, 4)), 0, 3, "high"), "Threshold must be a finite"),
    (lambda m: matching.match(np.zeros((10, 4)), [], 0.1), "No units to match"),
    (lambda m: analysis.reshape(np.ones(5) / 5, -1, 0), "Temperature must be"),
    (lambda m: analysis.reshape(np.ones(5) / 5, 1, 6), "Top-k must be"),
    (lambda m: interventions.parse_units("h7, x"), "Cannot read the unit 'x'"),
    (lambda m: interventions.parse_clamp("c25"), "each with a value"),
    (lambda m: interventions.parse_clamp("c25 = lots"), "needs a number"),
])
def test_bad_inputs_get_clear_messages(call, words):
    with pytest.raises(ValueError, match=words):
        call(make_model("lstm"))


def test_parse_edits():
    assert interventions.parse_clamp("c25 = 2, h[7]=-0.5, c:3=1e-1") == {("c", 25): 2.0, ("h", 7): -0.5, ("c", 3): 0.1}
    assert interventions.parse_units(" h7, c[204] ,, ") == [("h", 7), ("c", 204)]
    assert interventions.parse_clamp("") == {} and interventions.parse_units(None) == []
    s = interventions.line_stats("ab\n\nabcd\nxyz", (3, 10))
    assert (s.lines, s.mean_line, s.usual) == (2, 3.0, 0.5)  # "xyz" is unfinished


# -- top contexts, select and match ------------------------------------------------------------

def test_top_windows_property():
    rng = np.random.default_rng(0)
    a = rng.normal(size=3000)
    starts, peaks = top_windows(a, 10)
    assert a[peaks[0]] == a.max()
    assert np.all(np.diff(a[peaks]) <= 0)
    far = np.ones(len(a), bool)
    for p in peaks:
        far[max(p - WINDOW + 1, 0):p + WINDOW] = False
    assert a[far].max() <= a[peaks[-1]]
    assert np.all((starts <= peaks) & (peaks < starts + WINDOW))


@needs_shipped
def test_top_contexts_api_and_stale_lookups(tmp_path):
    m = load_char_model("lstm")
    ctx = m.top_contexts(state="c", unit=25, k=10)
    assert len(ctx) == 10 and all(e - s == WINDOW and len(v) == WINDOW for s, e, v in ctx)
    peaks = [float(v.max()) for _, _, v in ctx]
    assert peaks == sorted(peaks, reverse=True)
    with pytest.raises(ValueError, match="k must be a whole number from 1 to 10"):
        m.top_contexts("c", 25, 11)
    with pytest.raises(ValueError, match="Unit must be from 0 to 383"):
        m.top_contexts("c", 384)
    with pytest.raises(ValueError, match="State must be"):
        load_char_model("rnn").top_contexts("c", 1)
    for f in ("char_lstm.safetensors", "char_lstm.json", "char_lstm_lookups.npz", "char_lstm_lookups.json"):
        shutil.copy(WEIGHTS_DIR / f, tmp_path / f)
    meta = json.loads((tmp_path / "char_lstm_lookups.json").read_text())
    (tmp_path / "char_lstm_lookups.json").write_text(json.dumps({**meta, "weights_sha256": "0" * 64}))
    with pytest.raises(WeightsError, match="(?s)other weights.*find_units.py"):
        load_char_model("lstm", tmp_path).top_contexts("c", 25)
    (tmp_path / "char_lstm_lookups.npz").unlink()
    with pytest.raises(WeightsError, match="missing"):
        load_lookups("lstm", None, tmp_path)


@needs_shipped
@needs_data
def test_top_contexts_are_the_highest_in_the_validation_split():
    """Recompute the RNN's activations over the whole split: for every unit the first window
    holds its maximum, and nothing far from the 10 peaks is higher than the 10th; the stored
    characters are the split's.  The LSTM is checked on windows within its first 12,000
    characters (recomputed from the zero state, as the lookups were)."""
    val = validation()
    rnn = load_char_model("rnn")
    acts = matching.validation_activations(rnn, val)["h"].astype(np.float32)
    lk = rnn.lookups()
    for u in range(rnn.hidden):
        ctx = rnn.top_contexts("h", u, 10)
        assert max(float(v.max()) for _, _, v in ctx) == pytest.approx(float(acts[:, u].max()), abs=1e-3)
        far = np.ones(len(val), bool)
        for c in lk.contexts("h", u):
            far[max(c.peak - WINDOW + 1, 0):c.peak + WINDOW] = False
            assert c.text == val[c.start:c.end]
            assert np.allclose(c.values, acts[c.start:c.end, u], atol=2e-3)
        assert acts[far, u].max() <= float(ctx[-1][2].max()) + 2e-3
    lstm = load_char_model("lstm")
    st = lstm.states(val[:12_000])
    checked = 0
    for u in (25, 204, 130, 7):
        for s, e, v in lstm.top_contexts("c", u, 10):
            if e <= 12_000:
                assert np.allclose(v, st.c[s:e, u], atol=2e-2 * max(1.0, float(np.abs(v).max())))
                checked += 1
    assert checked >= 1


def test_select_units_and_match():
    acts = np.zeros((30, 4), np.float32)
    acts[10:14, 1] = 1.0           # on exactly over the span, off around it
    acts[:, 2] = 1.0               # on everywhere: not off around the span
    acts[11:13, 3] = 1.0           # not on over the whole span
    sel = matching.select_units(acts, 10, 14, 0.5)
    assert [s.unit for s in sel] == [1] and sel[0].inside == 1.0 and sel[0].around == 0.0
    val = np.zeros((100, 4), np.float16)
    val[[5, 6, 7, 40, 70, 71], 1] = 1.0
    m = matching.match(val, [1], 0.5, span_length=2)
    assert (m.count, m.characters, m.total) == (3, 6, 100)
    assert m.passages[0] == (70, 72)  # closest in length to the span first


def test_reshape_matches_the_sampler():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    assert np.allclose(analysis.reshape(p, 1.0, 0), p)
    assert np.allclose(analysis.reshape(p, 0, 0), [1, 0, 0, 0])
    q = analysis.reshape(p, 2.0, 2)
    assert q[2] == q[3] == 0 and q[0] / q[1] == pytest.approx(np.sqrt(0.5 / 0.3))
    hot = analysis.reshape(p, 0.5, 0)
    assert hot[0] > p[0] and hot[3] < p[3]


# -- the tab's handlers ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lab():
    if not SHIPPED:
        pytest.skip("no shipped lookups")
    return Lab({n: load_char_model(n) for n in ("lstm", "rnn")})


def test_why_handlers_fill_exactly_their_groups(lab):
    m = lab.models["rnn"]
    seed = "ROMEO:\n"
    text = m.generate(seed, 150, 0.8, rng_seed=0)
    written = Written("rnn", seed)
    trace = analysis.trace_text(m, seed, text)
    out = why.connect(lab, written, text, 100)
    assert set(out) == set(why.CONNECT)
    assert "conn-text" in out["conn_view"] and "10^−4" in out["conn_view"]  # the tint and its legend
    assert set(out["conn_plot"]["value"]["series"]) >= {"LSTM · this text", "Vanilla RNN · this text",
                                                        "LSTM · validation mean", "Vanilla RNN · validation mean"}
    assert why.connect(lab, None, "", 1) == {"conn_view": "", "conn_plot": SKIP, "conn_shown": None}
    out = why.connect_pasted(lab, "ROMEO: hello there", "lstm", 8)
    assert set(out) == set(why.CONNECT) and 'data-pos="7"' in out["conn_view"]
    assert 'data-pos="8"' in why.connect_pasted(lab, "ROMEO: hello there", "lstm", [3, 9])["conn_view"]  # a drag: its last
    out = why.drill(lab, trace, "h", 93)
    assert set(out) == set(why.DRILL) and out["unit_contexts"].count("<tr>") == 10
    assert "r over validation" in out["unit_features"] and out["unit_plot"]["label"].startswith("h[93] along")
    assert why.drill(lab, None, "h", 0) == {"unit_plot": None, "unit_contexts": "", "unit_features": ""}
    out = why.sampling(trace, 5, 0.5, 3)
    assert set(out) == set(why.SAMPLING) and "3 of 65 characters can be drawn" in out["sampling_view"]
    out = why.worked_example(lab, "lstm")
    assert set(out) == set(why.EXAMPLE) and out["clamp"].startswith("c25 = ") and out["ablate"] == ""
    out = why.side_by_side(lab, seed, 200, 0.8, 0, 0, "rnn", "h7 = 1", "h3")
    assert set(out) == set(why.EDIT) and out["plain_text"] == m.generate(seed, 200, 0.8, None, 0)
    assert out["edited_text"] == m.generate(seed, 200, 0.8, None, 0, clamp={("h", 7): 1.0}, ablate=[("h", 3)])
    assert "mean line length" in out["edit_summary"]
    out = why.select_match(lab, trace, "h", 1, 6, 0.3)
    assert set(out) == set(why.MATCH) and out["match_shown"][3] == trace.text[:6]   # steps 1..6, end included
    out = steps.click_unit(lab, trace, "h", 3, [42, 3])
    assert out["unit"] == 42 and "h[42]" in out["coloured"]


def test_why_handlers_refuse_bad_inputs(lab):
    m = lab.models["rnn"]
    trace = analysis.trace_text(m, "T", m.generate("T", 50, 0.8, rng_seed=0))
    for args, words in [((trace, "h", 5, 3, 0.3), "at least one character"),
                        ((trace, "h", -1, 3, 0.3), "Span start must be from 1 to 50"),
                        ((trace, "h", 1, 51, 0.3), "Span end must be from 1 to 50"),
                        ((trace, "h", 1, 3, "nan"), "Threshold must be a finite"),
                        ((trace, "h", None, 3, 0.3), "Choose a span"),
                        ((trace, "h", 0, 0, 0.3), "Choose a span"),   # the page's empty fields
                        ((None, "h", 1, 3, 0.3), "Generate some text first")]:
        with pytest.raises(UserError, match=words):
            why.select_match(lab, *args)
    with pytest.raises(UserError, match="Unit must be from 0 to 99"):
        why.drill(lab, trace, "h", 100)
    with pytest.raises(UserError, match="out of range"):
        why.side_by_side(lab, "T", 50, 0.8, 0, 0, "rnn", "h100 = 1", "")
    with pytest.raises(UserError, match="Nothing to edit"):
        why.side_by_side(lab, "T", 50, 0.8, 0, 0, "rnn", "", "")
    with pytest.raises(UserError, match="State must be"):
        why.side_by_side(lab, "T", 50, 0.8, 0, 0, "rnn", "c1 = 1", "")
    with pytest.raises(UserError, match="Position must be from 1"):
        why.connect_pasted(lab, "ROMEO", "lstm", 1)


@needs_data
def test_select_and_match_finds_passages(lab):
    """A span of JULIET's name selects a unit that is on over it (at 0.2) and off around it, and
    the validation split has passages where it is too (how fast: benchmarks/bench_app_text.py)."""
    m = lab.models["rnn"]
    text = "I will not speak.\n\nJULIET:\nO Romeo, Romeo! wherefore art thou Romeo?\n"
    trace = analysis.trace_text(m, "ROMEO:\n", text)
    start = text.index("JULIET") + 1
    out = why.select_match(lab, trace, "h", start, start + 5, 0.2)
    selected, _, _, span, found, passages, _ = out["match_shown"]
    assert span == "JULIET" and selected and all(s.inside >= 0.2 for s in selected)
    assert found.count >= 1 and passages and all(len(p) == 3 for p in passages)
    assert re.search(r"<b>[\d,]+</b> passages of the validation split", out["match_view"])
    none = why.select_match(lab, trace, "h", start, start + 5, 0.5)   # nothing that strongly on there
    assert none["match_shown"][0] == [] and none["match_shown"][4] is None


def test_the_switch_writes_every_view_again_in_the_other_language(lab):
    """What the handlers showed in English, kept in their gr.States, comes back in Chinese from
    relanguage (no model run for the connectivity, the match, the edit or the score)."""
    import re
    cjk = re.compile(r"[\u4e00-\u9fff]")
    m = lab.models["rnn"]
    seed = "ROMEO:\n"
    text = m.generate(seed, 120, 0.8, rng_seed=0)
    trace = analysis.trace_text(m, seed, text)
    conn = why.connect(lab, Written("rnn", seed), text, 60)
    match = why.select_match(lab, trace, "h", 1, 6, 0.3)
    edit = why.side_by_side(lab, seed, 120, 0.8, 0, 0, "rnn", "h7 = 1", "")
    score = handlers.score(lab, "ROMEO: hello there", "rnn")
    assert not cjk.search(conn["conn_view"] + edit["edit_summary"] + score["summary"])
    out = handlers.relanguage(lab, "rnn", trace, 60, "h", 7, 0.8, 0, conn["conn_shown"], match["match_shown"],
                              edit["edit_shown"], score["score_shown"], lang="zh-CN")
    assert set(out) == set(handlers.RELANGUAGE_VIEWS)
    words = handlers.static_words(lab, "zh-CN")   # sent by the app's switch itself
    for name in ("coloured", "step_view", "conn_view", "match_view", "edit_summary", "summary", "surprise_view",
                 "unit_contexts", "unit_features", "sampling_view", "units_table"):
        assert cjk.search(out[name]), name
    for name in ("conn_legend", "temperature_md", "match_help", "conn_words"):
        assert cjk.search(words[name]), name
    assert "步" in out["step_view"] and "钳制为" in out["edit_summary"] and "奈特/字符" in out["summary"]
    assert out["hmap"]["col_label"] == "步" and out["hmap"]["row_label"] == "单元"
    assert out["conn_plot"] is None   # emptied, then drawn again by replot (new series names)
    plot = handlers.replot(lab, conn["conn_shown"], lang="zh-CN")["conn_plot"]
    assert plot["color"] == "曲线"   # the series column is named in Chinese: the tooltip shows its name
    assert set(plot["value"]["曲线"]) >= {"LSTM · 这段文本", "普通 RNN · 这段文本", "普通 RNN · 验证集平均"}
    assert set(plot["color_map"]) >= set(plot["value"]["曲线"])
    assert out["unit_plot"]["label"] == "h[7] 在生成文本上的取值（选出每个字符的那个状态）"
    assert words["column.0"]["label"].startswith("温度 ") and cjk.search(words["length"]["info"])
    assert "普通 RNN" in str(out["model"]["choices"])   # the models of the shown one's corpus, named in Chinese
    assert handlers.replot(lab, None, lang="zh-CN") == {"conn_plot": SKIP}
    # nothing kept yet: only the fixed words, the rest left as it is
    empty = handlers.relanguage(lab, "rnn", None, 1, "h", 0, 0.8, 0, None, None, None, None, lang="zh-CN")
    assert empty["coloured"] is SKIP and empty["conn_view"] is SKIP
    assert cjk.search(empty["units_table"]) and empty["unit_pick"]["choices"]
