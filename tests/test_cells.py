"""The hand-written cells agree with torch.nn.RNN/GRU/LSTM on random weights, inputs and shapes."""
import zlib

import pytest
import torch

from demo.cells import GATES, HandRNN, torch_module


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("layers,batch,feat,hidden,steps", [(1, 1, 28, 16, 28), (2, 5, 7, 11, 9), (3, 3, 4, 32, 13)])
def test_hand_cells_match_torch(cell, layers, batch, feat, hidden, steps):
    # A fixed seed per case (str hash() differs between processes).  Weights up to 2x torch's own
    # init range: large enough to saturate gates, small enough that the recurrence is not chaotic
    # (there, float32 rounding differences between two correct implementations grow every step).
    g = torch.Generator().manual_seed(zlib.crc32(f"{cell}-{layers}-{batch}".encode()))
    m = torch_module(cell, feat, hidden, layers)
    scale = 2 / hidden ** 0.5
    with torch.no_grad():
        for p in m.parameters():
            p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * scale)
    x = torch.randn(batch, steps, feat, generator=g) * 2
    h0 = torch.randn(layers, batch, hidden, generator=g)
    c0 = torch.randn(layers, batch, hidden, generator=g)
    with torch.no_grad():
        ref, ref_state = m(x, (h0, c0) if cell == "lstm" else h0)
    hand = HandRNN.from_torch(m)
    state = [(h0[k], c0[k]) if cell == "lstm" else h0[k] for k in range(layers)]
    out, new_state, trace = hand.run(x, state)
    assert torch.allclose(out, ref, atol=1e-5, rtol=0)
    ref_h = ref_state[0] if cell == "lstm" else ref_state
    for k in range(layers):
        h_k = new_state[k][0] if cell == "lstm" else new_state[k]
        assert torch.allclose(h_k, ref_h[k], atol=1e-5, rtol=0)
        assert torch.allclose(trace[k]["h"][:, -1], ref_h[k], atol=1e-5, rtol=0)
        if cell == "lstm":
            assert torch.allclose(new_state[k][1], ref_state[1][k], atol=1e-5, rtol=0)
    # every gate is recorded with shape (B, T, H) and lies in its activation's range
    for name in GATES[cell]:
        v = trace[0][name]
        assert v.shape == (batch, steps, hidden)
        lo = -1 if name in ("g", "n") else 0
        assert v.min() >= lo and v.max() <= 1


def test_relu_rnn_and_single_steps_match():
    m = torch.nn.RNN(6, 8, num_layers=2, nonlinearity="relu", batch_first=True)
    x = torch.randn(4, 5, 6)
    with torch.no_grad():
        ref, _ = m(x)
    hand = HandRNN.from_torch(m)
    state = None
    for t in range(5):  # stepping one input at a time gives the same as the whole sequence
        h, state, _ = hand.step(x[:, t], state)
        assert torch.allclose(h, ref[:, t], atol=1e-5)


def test_lstm_gate_equations_hold():
    m = torch_module("lstm", 3, 5)
    hand = HandRNN.from_torch(m)
    out, _, tr = hand.run(torch.randn(2, 6, 3))
    t = tr[0]
    c_prev = torch.cat([torch.zeros(2, 1, 5), t["c"][:, :-1]], 1)
    assert torch.allclose(t["c"], t["f"] * c_prev + t["i"] * t["g"], atol=1e-6)
    assert torch.allclose(t["h"], t["o"] * torch.tanh(t["c"]), atol=1e-6)


def test_unknown_cell_rejected():
    with pytest.raises(ValueError, match="unknown cell"):
        torch_module("transformer", 3, 4)
