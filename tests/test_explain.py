"""The Digits tab's Explain panel (demo/digits/explain.py): every model the tab offers gives its
equations and the tensor shapes of the loaded network, with num_directions, in English and in
Chinese.  Small random DigitModels, so nothing depends on the shipped weights."""
import re

import pytest
import torch

from demo.digits import explain
from demo.digits.explain import explain_markdown
from demo.digits.model import DigitModel, DigitRNN
from demo.i18n import t

LANGS = ("en", "zh-CN")
# the tab's models: name -> DigitRNN arguments (the shipped sizes: 2 layers of 128 units)
KINDS = {"lstm": dict(cell="lstm"), "gru": dict(cell="gru"), "rnn": dict(cell="rnn"),
         "bilstm": dict(cell="lstm", bidirectional=True), "peephole": dict(cell="peephole")}
GATES = {"lstm": 4, "gru": 3, "rnn": 1, "peephole": 4}
CJK = re.compile(r"[\u4e00-\u9fff]")


def make(cell="lstm", hidden=128, layers=2, acc=0.9912, **kw) -> DigitModel:
    torch.manual_seed(0)
    net = DigitRNN(cell=cell, hidden=hidden, layers=layers, **kw)
    meta = {"config": {"cell": cell, "hidden": hidden, "layers": layers, **kw}}
    return DigitModel(net, {**meta, "metrics": {"test_acc": acc}} if acc is not None else meta)


@pytest.fixture(scope="module")
def models():
    return {name: make(**args) for name, args in KINDS.items()}


def row(text: str, tensor: str) -> list[str]:
    """The cells of the shapes table's row whose first cell starts with ``tensor``."""
    for line in text.splitlines():
        if line.startswith("| " + tensor):
            return [c.strip() for c in line.strip("|").split("|")]
    raise AssertionError(f"no row {tensor!r} in\n{text}")


def torch_shapes(net) -> dict[str, str]:
    """What the network really gives for one drawing: output, h_n (and c_n), logits."""
    with torch.no_grad():
        out, state = net.rnn(torch.zeros(1, 28, 28))
        h_n = state[0] if isinstance(state, tuple) else state
        logits = net(torch.zeros(1, 28, 28))
    return {"`output`": str(tuple(out.shape)), "`h_n`": str(tuple(h_n.shape)), "`net(x)`": str(tuple(logits.shape))}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", KINDS)
def test_every_model_gives_its_equations_and_the_shapes_torch_gives(models, name, lang):
    m = models[name]
    text = explain_markdown(m, lang)
    D, k = 2 if name == "bilstm" else 1, GATES[m.cell]
    assert text.count("$$") >= 2 and r"\tanh(" in text                     # the equations, as KaTeX
    assert "(B, 28, 28)" in text and row(text, "`x`")[3] == "(1, 28, 28)"
    for tensor, shape in torch_shapes(m.net).items():                      # the real tensors' shapes
        assert row(text, tensor)[3] == shape, (tensor, shape)
    assert row(text, "`h0`")[3] == str((2 * D, 1, 128)) and row(text, "`h_n`")[3] == str((2 * D, 1, 128))
    assert row(text, "`output`")[3] == str((1, 28, D * 128))
    assert row(text, "`h0`")[2] == row(text, "`h_n`")[2] == "(num_layers × num_directions, B, H)"
    assert row(text, "`weight_ih_l0`")[3] == f"({k * 128}, 28)"
    assert row(text, "`weight_ih_l1`")[2:] == [f"({k}H, num_directions × H)" if k > 1 else "(H, num_directions × H)",
                                                f"({k * 128}, {D * 128})"]
    assert row(text, "`weight_hh_l0`")[3] == f"({k * 128}, 128)"
    assert row(text, "`net.head`")[2:] == ["Linear(num_directions × H, 10)", f"Linear({D * 128}, 10)"]
    assert f"`num_directions` = {D}" in text and f"`num_layers` = 2" in text
    assert "99.12%" in text                                                # the accuracy from meta
    lstm_like = m.cell in ("lstm", "peephole")
    assert ("`h_n`, `c_n`" in text) == lstm_like and ("`h0`, `c0`" in text) == lstm_like
    assert ("_reverse" in text) == (D == 2) and (r"\overleftarrow" in text) == (D == 2)
    assert ("weight_peep" in text) == (name == "peephole")


def test_a_bidirectional_lstm_reads_both_ways_and_says_what_the_head_reads(models):
    text = explain_markdown(models["bilstm"])
    assert text.startswith("### Bidirectional LSTM (BiLSTM): 2 layers of 128 units in each direction")
    forward, backward, both = [b for b in re.findall(r"\$\$(.*?)\$\$", text, re.S) if "aligned" in b]
    # the forward direction: rows 1 -> 28 from h_{t-1}; the backward one: its own weights, from h_{t+1}
    assert r"\overrightarrow{W}_{hi} \overrightarrow{h}_{t-1}" in forward and r"\overleftarrow" not in forward
    assert r"\overleftarrow{W}_{hi} \overleftarrow{h}_{t+1}" in backward and "t-1" not in backward
    assert r"\overleftarrow{c}_t &= \overleftarrow{f}_t \odot \overleftarrow{c}_{t+1}" in backward
    assert r"\overrightarrow" not in backward and r"\text" not in backward
    assert r"y_t &= [\overrightarrow{h}_t ; \overleftarrow{h}_t]" in both
    assert r"\mathrm{head}([\overrightarrow{h}_{28} ; \overleftarrow{h}_1])" in both
    assert r"\mathrm{head}([\overrightarrow{h}_t ; \overleftarrow{h}_{29-t}])" in both
    assert "rows 1 → 28" in text and "rows 28 → 1" in text
    assert "`h_n[2]` is the top forward state after row 28, `h_n[3]` the top backward state after row 1" in text
    assert "`output[:, -1, :128]` and `output[:, 0, 128:]`" in text
    assert "units 0–127 are the forward direction after row t, units 128–255 the backward" in text
    assert row(text, "`weight_ih_l0_reverse`")[2:] == [t("digits.explain.table.same", "en")] * 2


def test_the_confidence_after_each_step_is_what_the_text_says(models):
    """[forward h after rows 1..t ; backward h after rows 28..29-t], as DigitRNN.after_each_step
    computes it, and at t = 28 what the head reads: h_n's top forward and backward states."""
    net = models["bilstm"].net
    with torch.no_grad():
        out, (h_n, _) = net.rnn(torch.rand(1, 28, 28))         # (1, 28, 256), (4, 1, 128)
        read = net.after_each_step(out)[0]                      # (28, 256)
    for t_ in (1, 9, 28):
        torch.testing.assert_close(read[t_ - 1], torch.cat([out[0, t_ - 1, :128], out[0, 29 - t_ - 1, 128:]]))
    torch.testing.assert_close(read[-1], torch.cat([h_n[2, 0], h_n[3, 0]]))
    torch.testing.assert_close(read[-1], torch.cat([out[0, -1, :128], out[0, 0, 128:]]))


def test_the_peephole_lstm_shows_its_extra_terms(models):
    m = models["peephole"]
    text = explain_markdown(m)
    lines = {line.split("&=")[0].strip(): line for line in text.splitlines() if "&=" in line}
    assert r"p_i \odot c_{t-1}" in lines["i_t"] and r"p_f \odot c_{t-1}" in lines["f_t"]
    assert r"p_o \odot c_t}" in lines["o_t"]                      # o sees the new c_t ...
    order = list(lines)
    assert order.index("c_t") < order.index("o_t")                # ... so it comes after c_t
    assert r"p_" not in lines["g_t"] + lines["c_t"] + lines["h_t"]
    assert row(text, "`weight_peep_l0`")[2:] == ["(3, H)", "(3, 128)"]
    assert tuple(m.net.rnn.weight_peep_l1.shape) == (3, 128)
    for p in ("$p_i$", "$p_f$", "$p_o$"):
        assert p in text
    assert "also looks at the old cell" in text and "Gers & Schmidhuber" in text
    assert text.startswith("### Peephole LSTM: 2 layers of 128 units")
    zh = explain_markdown(m, "zh-CN")
    assert "窥视孔" in zh and r"\text{输出门：查看新的细胞状态}" in zh and "(3, 128)" in zh


@pytest.mark.parametrize("name", KINDS)
def test_chinese_leaves_no_english_words_in_the_equations(models, name):
    zh = explain_markdown(models[name], "zh-CN")
    words = re.findall(r"\\text\{([^{}]*)\}", zh)
    assert all(CJK.search(w) for w in words) and (bool(words) or name == "rnn"), words   # the RNN: no words
    assert (t("digits.explain.rnn.note", "zh-CN") in zh) == (name == "rnn")
    assert zh.count("$") == explain_markdown(models[name], "en").count("$")
    assert "| 张量 | 含义 | 形状 | 本模型（B = 1） |" in zh


def test_every_word_of_the_equations_is_keyed():
    """The English of every key in TERMS stands in its block, so the translation finds it."""
    for block, keys in explain.TERMS.items():
        for key in keys:
            assert r"\text{" + t(key, "en") + "}" in explain.EQUATIONS[block], key
    words = {w for text in explain.EQUATIONS.values() for w in re.findall(r"\\text\{([^{}]*)\}", text)}
    keyed = {t(k, "en") for keys in explain.TERMS.values() for k in keys}
    assert words == keyed, words ^ keyed


def test_other_sizes_layers_and_heads():
    m = make("gru", hidden=16, layers=3, acc=None, bidirectional=True, head_hidden=8)
    text = explain_markdown(m)
    assert row(text, "`h_n`")[3] == "(6, 1, 16)" and row(text, "`output`")[3] == "(1, 28, 32)"
    assert row(text, "`weight_ih_l1`, `weight_ih_l2` |")[3] == "(48, 32)"
    assert row(text, "`weight_hh_l0` … `weight_hh_l2` |")[3] == "(48, 16)"
    assert row(text, "`net.head`")[2:] == ["Linear(num_directions × H, 8) → ReLU → Linear(8, 10)",
                                            "Linear(32, 8) → ReLU → Linear(8, 10)"]
    assert "`h_n[4]` is the top forward state" in text and "Bidirectional GRU (BiGRU)" in text
    assert "MNIST test images" not in text                         # no accuracy in meta: none shown
    one = explain_markdown(make("lstm", hidden=64, layers=1))
    assert "`weight_ih_l1`" not in one and row(one, "`h_n`")[3] == "(1, 1, 64)"
    assert "1 layer of 64 units" in one and "`h_n[0]`" not in one
