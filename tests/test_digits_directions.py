"""DigitRNN / DigitModel reading both ways (bidirectional LSTM) and with peepholes: the hand trace,
the fast module's step probabilities and the answer agree; a bidirectional trace is in step order;
edits split units by direction; the dev weights of "bilstm" and "peephole" load."""
import numpy as np
import pytest
import torch
from torch import nn

from demo.cells import PeepholeLSTM
from demo.digits import DigitModel, DigitRNN, load_digit_model
from tests.conftest import same

H = 16  # units per direction


def small_model(cell: str, bidirectional: bool, seed: int = 0) -> DigitModel:
    """A random two-layer model (dropout 0.1, so eval mode matters), no weights file needed."""
    torch.manual_seed(seed)
    net = DigitRNN(cell=cell, hidden=H, layers=2, dropout=0.1, bidirectional=bidirectional)
    with torch.no_grad():  # larger weights than the init: gates and units that vary more
        for p in net.rnn.parameters():
            p.mul_(3.0)
    return DigitModel(net, {"name": "test"})


def drawing(seed: int = 0) -> np.ndarray:
    """(28, 28) float32 in [0, 1]: ink in rows 4..23, blank rows above and below."""
    x = np.zeros((28, 28), np.float32)
    x[4:24, 6:22] = np.random.default_rng(seed).random((20, 16), dtype=np.float32)
    return x


def raw_trace(m: DigitModel, x: np.ndarray) -> list[dict]:
    """HandRNN.run's own trace: per (layer, direction) {name: (28, H)} at row positions."""
    _, _, entries = m.hand.run(m.net.normalise(torch.from_numpy(x))[None])
    return [{k: v[0].numpy() for k, v in e.items()} for e in entries]


MODELS = [("lstm", True), ("peephole", False), ("lstm", False)]


@pytest.mark.parametrize("cell,bidirectional", MODELS)
def test_trace_probs_equal_the_fast_module(cell, bidirectional):
    m = small_model(cell, bidirectional)
    D = 2 if bidirectional else 1
    assert m.directions == D and m.hidden == D * H and not m.net.training
    x = drawing()
    tr = m.trace_mnist(x)
    assert tr.directions == D and tr.h.shape == (28, D * H) and tr.probs.shape == (28, 10)
    assert tr.c.shape == (28, D * H) and all(v.shape == (28, D * H) for v in tr.gates.values())
    assert len(tr.layers) == 2 and all(v.shape == (28, D * H) for layer in tr.layers for v in layer.values())
    step = m.step_probs(x)
    _, step2 = m.influence_and_step_probs(x)
    np.testing.assert_allclose(tr.probs, step, atol=1e-5, rtol=0)
    np.testing.assert_allclose(step2, step, atol=1e-5, rtol=0)
    with torch.no_grad():
        answer = torch.softmax(m.net(torch.from_numpy(x)[None]), dim=-1)[0].numpy()
    np.testing.assert_allclose(tr.probs[-1], answer, atol=1e-5, rtol=0)
    np.testing.assert_allclose(step[-1], answer, atol=1e-6, rtol=0)
    assert not np.allclose(tr.probs[0], tr.probs[-1], atol=1e-3)  # the steps do differ


def test_bilstm_trace_is_in_step_order():
    """h[t, :H] is the forward h after row t, h[t, H:] the backward h after reading rows 27..27-t
    (it sits at row 27-t): HandRNN.run's raw trace with the backward block's rows reversed."""
    m = small_model("lstm", True, seed=1)
    x = drawing(1)
    tr, raw = m.trace_mnist(x), raw_trace(m, x)
    assert len(raw) == 4  # (layer 0, forward), (layer 0, backward), (layer 1, forward), (layer 1, backward)
    for t in (0, 5, 27):
        np.testing.assert_array_equal(tr.h[t, :H], raw[2]["h"][t])
        np.testing.assert_array_equal(tr.h[t, H:], raw[3]["h"][27 - t])
    for name in ("h", "c", "i", "f", "g", "o"):
        for k in (0, 1):
            layer = tr.layers[k][name]
            np.testing.assert_array_equal(layer[:, :H], raw[2 * k][name])
            np.testing.assert_array_equal(layer[:, H:], raw[2 * k + 1][name][::-1])
        np.testing.assert_array_equal(tr[name], tr.layers[1][name])
    with torch.no_grad():  # the fast module, read as the head reads it
        out, (h_n, _) = m.net.rnn(m.net.normalise(torch.from_numpy(x))[None])
        after = m.net.after_each_step(out)[0].numpy()
    np.testing.assert_allclose(tr.h, after, atol=1e-5, rtol=0)
    # after 28 steps: the top layer's final states, forward then backward (h_n entries 2 and 3)
    np.testing.assert_allclose(tr.h[-1], torch.cat([h_n[2, 0], h_n[3, 0]]).numpy(), atol=1e-5, rtol=0)


def test_bilstm_edit_splits_units_by_direction():
    m = small_model("lstm", True, seed=2)
    x = drawing(2)
    edits = m.edit(ablate=[1, H + 2], from_step=5)
    assert [e.direction for e in edits] == ["forward", "backward"]
    assert [(n, idx.tolist(), v.tolist()) for n, idx, v in edits[0].units] == [("h", [1], [0.0])]
    assert [(n, idx.tolist(), v.tolist()) for n, idx, v in edits[1].units] == [("h", [2], [0.0])]
    assert edits[0].from_step == edits[1].from_step == 5
    plain = m.trace_mnist(x)
    tr = m.trace_mnist(x, ablate=[1, H + 2], from_step=5)
    assert (tr.h[4:, 1] == 0).all() and (tr.h[4:, H + 2] == 0).all()
    assert (plain.h[4:, 1] != 0).all() and (plain.h[4:, H + 2] != 0).all()
    np.testing.assert_array_equal(tr.h[:4], plain.h[:4])  # before step 5, each way: untouched
    assert not np.array_equal(tr.h[4:, [0, H]], plain.h[4:, [0, H]])  # the edit flows on
    assert not np.array_equal(tr.probs[-1], plain.probs[-1])
    # in the raw trace: the backward direction's step 5 on is rows 23 down to 0
    raw = raw_trace(m, x)
    _, _, edited = m.hand.run(m.net.normalise(torch.from_numpy(x))[None], edit=edits)
    assert (edited[3]["h"][0, :24, 2] == 0).all() and (edited[3]["h"][0, 24:, 2].numpy() == raw[3]["h"][24:, 2]).all()
    for bad in ([2 * H], [-1], [1.5], [True]):
        with pytest.raises(ValueError):
            m.edit(ablate=bad)
    assert len(m.edit(ablate=[H - 1, H])) == 2  # the last forward and the first backward unit


def test_bilstm_clamped_gate_acts_both_ways():
    m = small_model("lstm", True, seed=3)
    x = drawing(3)
    plain = m.trace_mnist(x)
    tr = m.trace_mnist(x, clamp={"f": 1.0}, from_step=3)
    assert (tr.gates["f"][2:] == 1.0).all()
    np.testing.assert_array_equal(tr.gates["f"][:2], plain.gates["f"][:2])
    assert not np.array_equal(tr.c[2:, :H], plain.c[2:, :H]) and not np.array_equal(tr.c[2:, H:], plain.c[2:, H:])


@pytest.mark.parametrize("cell,bidirectional", MODELS)
def test_empty_edit_is_the_plain_trace(cell, bidirectional):
    m = small_model(cell, bidirectional)
    x = drawing(4)
    assert m.edit(ablate=[], clamp={}) is None and m.edit() is None
    plain = m.trace_mnist(x)
    assert same(m.trace_mnist(x, ablate=[], clamp={}), plain)
    assert same(m.trace_mnist(x, ablate=[], clamp={}, from_step=9), plain)


def test_peephole_model_reads_one_way():
    m = small_model("peephole", False, seed=5)
    assert isinstance(m.net.rnn, PeepholeLSTM) and m.hand.layers[0].peep is not None
    x = drawing(5)
    tr, raw = m.trace_mnist(x), raw_trace(m, x)
    assert len(raw) == 2
    for name in ("h", "c", "i", "f", "g", "o"):
        np.testing.assert_array_equal(tr[name], raw[1][name])
        np.testing.assert_array_equal(tr.layers[0][name], raw[0][name])
    edited = m.trace_mnist(x, ablate=[3], from_step=2)
    assert (edited.h[1:, 3] == 0).all() and np.array_equal(edited.h[:1], tr.h[:1])
    with pytest.raises(ValueError, match="out of range"):
        m.edit(ablate=[H])


@pytest.mark.parametrize("name,directions,module", [("bilstm", 2, nn.LSTM), ("peephole", 1, PeepholeLSTM)])
def test_dev_weights_load(name, directions, module):
    """Whatever their accuracy: the right module, both ways or one, and a trace that agrees."""
    m = load_digit_model(name)
    assert m.name == name and m.directions == directions and isinstance(m.net.rnn, module)
    assert m.net.rnn.bidirectional == (directions == 2)
    hidden = m.net.rnn.hidden_size
    assert m.hidden == directions * hidden and m.net.head[-1].in_features == directions * hidden
    x = drawing(6)
    tr = m.trace_mnist(x)
    assert tr.directions == directions and tr.h.shape == (28, directions * hidden)
    np.testing.assert_allclose(tr.probs, m.step_probs(x), atol=1e-5, rtol=0)
