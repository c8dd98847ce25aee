"""The hand-written cells agree with torch.nn.RNN/GRU/LSTM and PeepholeLSTM on random weights,
inputs, states, depths and directions, with states in torch's layout; the peephole LSTM's
equations, gradients, dropout and time-first input; edits, empty or by direction."""
import re
import zlib

import pytest
import torch
from torch import nn
from torch.func import functional_call

from demo.cells import GATES, Edit, HandRNN, PeepholeLSTM, torch_module

KINDS = [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")]
SHAPES = [(1, 1, 28, 16, 28), (2, 5, 7, 11, 9), (3, 3, 4, 32, 13)]  # layers, batch, feat, hidden, steps
EDITED = {"rnn": None, "gru": "z", "lstm": "f", "peephole": "o"}  # the gate the edit tests clamp


def seeded(*key) -> torch.Generator:
    """A fixed generator per case (str hash() differs between processes)."""
    return torch.Generator().manual_seed(zlib.crc32("-".join(map(str, key)).encode()))


def make(cell, feat, hidden, layers, g, bidirectional=False, nonlinearity="tanh", scale=2.0):
    """A batch-first module in eval mode (dropout 0.3 between layers, off in eval), weights uniform
    in +-scale/sqrt(H): large enough to saturate gates, small enough that the recurrence is not
    chaotic (there, float32 rounding differences between two correct implementations grow)."""
    if cell == "rnn":
        m = nn.RNN(feat, hidden, layers, nonlinearity=nonlinearity, batch_first=True,
                   dropout=0.3 if layers > 1 else 0.0, bidirectional=bidirectional)
    else:
        m = torch_module(cell, feat, hidden, layers, 0.3, bidirectional=bidirectional)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * scale / hidden ** 0.5)
    return m.eval()


def initial(cell, entries, batch, hidden, g):
    """A random initial state in torch's layout: h0 (entries, B, H), or (h0, c0) for the LSTMs."""
    h0 = torch.randn(entries, batch, hidden, generator=g)
    return (h0, torch.randn(entries, batch, hidden, generator=g)) if cell in ("lstm", "peephole") else h0


def first(state):
    """h_n of a state: h_n itself, or h_n of (h_n, c_n)."""
    return state[0] if isinstance(state, tuple) else state


def check_against_torch(m, cell, x, hx, D):
    """HandRNN.from_torch(m).run(x, hx) equals m(x, hx): out, h_n (and c_n) within 1e-5, and
    each trace entry's last state (the backward direction's at row 0) is its h_n (c_n)."""
    B, T, _ = x.shape
    H, entries = m.hidden_size, m.num_layers * D
    with torch.no_grad():
        ref, ref_state = m(x, hx)
    out, state, trace = HandRNN.from_torch(m).run(x, hx)
    assert out.shape == (B, T, D * H) and len(trace) == entries
    assert torch.allclose(out, ref, atol=1e-5, rtol=0)
    names = ("h", "c") if isinstance(state, tuple) else ("h",)
    states = state if isinstance(state, tuple) else (state,)
    refs = ref_state if isinstance(ref_state, tuple) else (ref_state,)
    for name, s, r in zip(names, states, refs):
        assert s.shape == (entries, B, H)
        assert torch.allclose(s, r, atol=1e-5, rtol=0)
        for j in range(entries):
            last = 0 if j % D == 1 else -1
            assert torch.allclose(trace[j][name][:, last], s[j], atol=1e-5, rtol=0)
    for j in range(entries):  # every gate recorded (B, T, H), in its activation's range
        for gate in GATES[cell]:
            v = trace[j][gate]
            assert v.shape == (B, T, H)
            assert v.min() >= (-1 if gate in ("g", "n") else 0) and v.max() <= 1


@pytest.mark.parametrize("cell,nonlinearity", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers,batch,feat,hidden,steps", SHAPES)
def test_hand_cells_match_torch(cell, nonlinearity, bidirectional, layers, batch, feat, hidden, steps):
    g = seeded(cell, nonlinearity, bidirectional, layers)
    # relu does not saturate: smaller weights keep its values (and float32 rounding) small
    m = make(cell, feat, hidden, layers, g, bidirectional, nonlinearity, 1.0 if nonlinearity == "relu" else 2.0)
    D = 2 if bidirectional else 1
    x = torch.randn(batch, steps, feat, generator=g) * 2
    check_against_torch(m, cell, x, initial(cell, layers * D, batch, hidden, g), D)
    check_against_torch(m, cell, x, None, D)  # no initial state: zeros, as torch


@pytest.mark.parametrize("layers,batch,feat,hidden,steps", SHAPES)
def test_hand_peephole_matches_module(layers, batch, feat, hidden, steps):
    g = seeded("peephole", layers)
    m = make("peephole", feat, hidden, layers, g)
    x = torch.randn(batch, steps, feat, generator=g) * 2
    check_against_torch(m, "peephole", x, initial("peephole", layers, batch, hidden, g), 1)
    assert HandRNN.from_torch(m).layers[-1].peep.shape == (3, hidden)


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
    assert isinstance(state, list) and len(state) == 2  # step keeps one state per layer


def test_step_is_one_way_only():
    hand = HandRNN.from_torch(make("lstm", 3, 4, 1, seeded("step"), bidirectional=True))
    with pytest.raises(ValueError, match="run"):
        hand.step(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="one-way"):
        hand.run(torch.zeros(1, 2, 16), projected=True)


def first_layers(m: nn.Module, cell: str, n: int) -> nn.Module:
    """A module of the first n layers of m, holding m's weights (strict load)."""
    sub = make(cell, m.input_size, m.hidden_size, n, seeded("sub"), m.bidirectional)
    keep = {k: v for k, v in m.state_dict().items() if int(re.search(r"_l(\d+)", k).group(1)) < n}
    sub.load_state_dict(keep, strict=True)
    return sub


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_bidirectional_layout_as_seed_003(cell):
    """h0 / h_n are (num_layers * num_directions, B, H), entry k * D + d; the top layer's forward
    ends at the last step, its backward at step 1 (row 0); trace entries in the same order with
    [:, t] at row t."""
    L, D, B, T, F, H = 3, 2, 4, 6, 5, 7
    g = seeded("layout", cell)
    m = make(cell, F, H, L, g, bidirectional=True)
    x = torch.randn(B, T, F, generator=g)
    hand = HandRNN.from_torch(m)
    assert (hand.directions, hand.num_layers, len(hand.layers)) == (D, L, L * D)
    out, state, trace = hand.run(x)
    with torch.no_grad():
        ref, ref_state = m(x)
    h_n, ref_h = first(state), first(ref_state)
    assert h_n.shape == ref_h.shape == (L * D, B, H)
    k = L - 1
    assert torch.equal(h_n[k * D + 0], out[:, -1, :H])  # forward's last step
    assert torch.equal(h_n[k * D + 1], out[:, 0, H:])  # backward ends at step 1
    view = ref_h.view(L, D, B, H)  # torch's own reading of its layout
    assert torch.equal(view[k, 0], ref[:, -1, :H]) and torch.equal(view[k, 1], ref[:, 0, H:])
    for layer in range(L):
        sub_out, _ = first_layers(m, cell, layer + 1)(x)  # (B, T, 2H): layer's output at row t
        for d in range(D):
            assert torch.allclose(view[layer, d], h_n[layer * D + d], atol=1e-5, rtol=0)
            assert torch.allclose(trace[layer * D + d]["h"], sub_out[..., d * H:(d + 1) * H].detach(), atol=1e-5)
    # a change in row 0 reaches every forward position, and the backward direction only at row 0
    x2 = x.clone()
    x2[:, 0] += 1.0
    _, _, trace2 = hand.run(x2)
    fwd, bwd = trace2[0]["h"] - trace[0]["h"], trace2[1]["h"] - trace[1]["h"]
    assert (fwd.abs().amax(dim=(0, 2)) > 0).all()
    assert bwd[:, 0].abs().max() > 0 and torch.equal(trace2[1]["h"][:, 1:], trace[1]["h"][:, 1:])


def test_peephole_only_reads_one_way():
    with pytest.raises(ValueError, match="one way"):
        torch_module("peephole", 3, 4, bidirectional=True)
    with pytest.raises(ValueError, match="unknown cell"):
        torch_module("transformer", 3, 4)


def test_peephole_equations_hold_on_trace():
    """i and f see c_{t-1}, o sees c_t (weights from the module), c = f c_prev + i g, h = o tanh(c)."""
    B, T, F, H, L = 2, 6, 3, 5, 2
    g = seeded("peep-eq")
    m = make("peephole", F, H, L, g, scale=3.0)
    x = torch.randn(B, T, F, generator=g)
    h0, c0 = initial("peephole", L, B, H, g)
    _, _, trace = HandRNN.from_torch(m).run(x, (h0, c0))
    inp = x
    for k, tr in enumerate(trace):
        p = {n: getattr(m, f"{n}_l{k}").detach() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_peep")}
        h_prev = torch.cat([h0[k][:, None], tr["h"][:, :-1]], 1)  # (B, T, H)
        c_prev = torch.cat([c0[k][:, None], tr["c"][:, :-1]], 1)
        z = inp @ p["weight_ih"].T + p["bias_ih"] + h_prev @ p["weight_hh"].T + p["bias_hh"]  # (B, T, 4H)
        zi, zf, zg, zo = z.chunk(4, dim=-1)
        p_i, p_f, p_o = p["weight_peep"]
        close = lambda a, b: torch.allclose(a, b, atol=1e-6, rtol=0)
        assert close(tr["i"], torch.sigmoid(zi + p_i * c_prev))
        assert close(tr["f"], torch.sigmoid(zf + p_f * c_prev))
        assert close(tr["g"], torch.tanh(zg))
        assert close(tr["o"], torch.sigmoid(zo + p_o * tr["c"]))
        assert close(tr["c"], tr["f"] * c_prev + tr["i"] * tr["g"])
        assert close(tr["h"], tr["o"] * torch.tanh(tr["c"]))
        assert not close(tr["o"], torch.sigmoid(zo))  # the peepholes do matter here
        inp = tr["h"]


def test_peephole_without_peepholes_is_nn_lstm():
    B, T, F, H, L = 3, 7, 4, 6, 2
    g = seeded("peep-zero")
    peep = make("peephole", F, H, L, g)
    x = torch.randn(B, T, F, generator=g)
    hx = initial("peephole", L, B, H, g)
    lstm = nn.LSTM(F, H, L, batch_first=True).eval()
    state = {k: v for k, v in peep.state_dict().items() if not k.startswith("weight_peep")}
    assert set(state) == set(lstm.state_dict())
    lstm.load_state_dict(state, strict=True)
    with torch.no_grad():
        with_peep, _ = peep(x, hx)
        for k in range(L):
            getattr(peep, f"weight_peep_l{k}").zero_()
        out, (h, c) = peep(x, hx)
        ref, (ref_h, ref_c) = lstm(x, hx)
    assert not torch.allclose(with_peep, ref, atol=1e-3)
    for a, b in ((out, ref), (h, ref_h), (c, ref_c)):
        assert torch.allclose(a, b, atol=1e-5, rtol=0)
    hand_out, (hand_h, _), _ = HandRNN.from_torch(peep).run(x, hx)
    assert torch.allclose(hand_out, ref, atol=1e-5, rtol=0) and torch.allclose(hand_h, ref_h, atol=1e-5, rtol=0)


def peephole_loss(m, x, hx, params=None):
    """A scalar that depends on every output: fixed random weights on out, h_n and c_n."""
    g = seeded("loss")
    out, (h, c) = m(x, hx) if params is None else functional_call(m, params, (x, hx))
    w = [torch.randn(t.shape, generator=g, dtype=torch.float64) for t in (out, h, c)]
    return (out * w[0]).sum() + (h * w[1]).sum() + (c * w[2]).sum()


def test_peephole_gradients_match_finite_differences():
    B, T, F, H, L = 2, 5, 3, 4, 2
    g = seeded("peep-grad")
    m = make("peephole", F, H, L, g, scale=3.0).double()
    x = torch.randn(B, T, F, generator=g, dtype=torch.float64)
    h0, c0 = (s.double() for s in initial("peephole", L, B, H, g))
    names = [n for n, _ in m.named_parameters()]
    assert {n for n in names if "peep" in n} == {"weight_peep_l0", "weight_peep_l1"}

    def f(x, h0, c0, *ps):
        return functional_call(m, dict(zip(names, ps)), (x, (h0, c0)))[0].square().sum()

    params = [p.detach().clone().requires_grad_(True) for p in m.parameters()]
    inputs = [t.clone().requires_grad_(True) for t in (x, h0, c0)]
    assert torch.autograd.gradcheck(f, (*inputs, *params), eps=1e-6, atol=1e-6, rtol=1e-5)
    # explicit central differences of another scalar, on entries of every kind, peepholes first
    loss = peephole_loss(m, inputs[0], (inputs[1], inputs[2]), dict(zip(names, params)))
    grads = dict(zip(names + ["x"], torch.autograd.grad(loss, params + [inputs[0]])))
    tensors = {**dict(zip(names, params)), "x": inputs[0]}
    picks = {"weight_peep_l0": [(0, 0), (1, 2), (2, 3)], "weight_peep_l1": [(0, 1), (1, 0), (2, 2)],
             "weight_ih_l0": [(5, 1)], "weight_hh_l1": [(9, 3)], "bias_ih_l0": [(2,)], "bias_hh_l1": [(14,)],
             "x": [(0, 0, 0), (1, 4, 2)]}
    eps = 1e-6
    for name, entries in picks.items():
        for idx in entries:
            t = tensors[name].detach()
            values = []
            for sign in (1, -1):
                moved = {n: v.detach().clone() for n, v in tensors.items()}
                moved[name][idx] += sign * eps
                values.append(float(peephole_loss(m, moved.pop("x"), (h0, c0), moved)))
            fd = (values[0] - values[1]) / (2 * eps)
            assert float(grads[name][idx]) == pytest.approx(fd, rel=1e-5, abs=1e-8), (name, idx, float(t[idx]))


def test_peephole_dropout_between_layers_only_in_train_mode():
    B, T, F, H = 3, 6, 4, 8
    g = seeded("peep-drop")
    x = torch.randn(B, T, F, generator=g)
    m = PeepholeLSTM(F, H, num_layers=2, dropout=0.5)
    with torch.no_grad():
        m.eval()
        a, b = m(x)[0], m(x)[0]
        m.train()
        torch.manual_seed(1)
        t1 = m(x)[0]
        torch.manual_seed(1)
        t1_again = m(x)[0]
        t2 = m(x)[0]
    assert torch.equal(a, b)  # eval: no dropout, the same every time
    assert not torch.allclose(t1, a, atol=1e-3) and not torch.allclose(t1, t2, atol=1e-3)
    assert torch.equal(t1, t1_again)
    assert (t1 != 0).all()  # the top layer's output itself is not dropped
    one = PeepholeLSTM(F, H, num_layers=1, dropout=0.5)
    with torch.no_grad():
        assert torch.equal(one.train()(x)[0], one.eval()(x)[0])  # one layer: nothing between layers


def test_peephole_time_first():
    B, T, F, H, L = 3, 5, 4, 6, 2
    g = seeded("peep-tf")
    bf = make("peephole", F, H, L, g)
    tf = PeepholeLSTM(F, H, L, batch_first=False)
    tf.load_state_dict(bf.state_dict(), strict=True)
    x = torch.randn(B, T, F, generator=g)
    hx = initial("peephole", L, B, H, g)
    with torch.no_grad():
        out, (h, c) = bf(x, hx)
        out_tf, (h_tf, c_tf) = tf(x.transpose(0, 1), hx)
    assert out_tf.shape == (T, B, H)
    assert torch.equal(out_tf, out.transpose(0, 1)) and torch.equal(h_tf, h) and torch.equal(c_tf, c)
    with pytest.raises(ValueError, match="batch-first"):
        HandRNN.from_torch(tf)


CASES = [(c, False) for c in ("rnn", "gru", "lstm", "peephole")] + [(c, True) for c in ("rnn", "gru", "lstm")]


def edit_setup(cell, bidirectional, T=7):
    g = seeded("edit", cell, bidirectional)
    m = make(cell, 3, 5, 2, g, bidirectional)
    return HandRNN.from_torch(m), torch.randn(2, T, 3, generator=g) * 2


def traces_equal(a, b) -> bool:
    return len(a) == len(b) and all(x.keys() == y.keys() and all(torch.equal(x[n], y[n]) for n in x)
                                    for x, y in zip(a, b))


@pytest.mark.parametrize("cell,bidirectional", CASES)
def test_empty_edit_is_the_plain_trace(cell, bidirectional):
    hand, x = edit_setup(cell, bidirectional)
    assert Edit.make(cell, 5) is None and Edit.make(cell, 5, gates={}, units={}, direction="forward") is None
    out, state, plain = hand.run(x)
    gates = {EDITED[cell]: 0.5} if EDITED[cell] else {}
    late = Edit.make(cell, 5, gates=gates, units={("h", 1): 0.0}, from_step=x.shape[1] + 1)
    assert late is not None
    for edit in (None, [], [None], late, [late]):
        out2, state2, trace = hand.run(x, edit=edit)
        assert torch.equal(out2, out) and torch.equal(first(state2), first(state)) and traces_equal(trace, plain)


def clamped(tr, cell, positions, value=0.25):
    """Whether the edited values hold exactly at these row positions of one trace entry."""
    ok = bool((tr["h"][:, positions, 1] == 0).all())
    return ok and (EDITED[cell] is None or bool((tr[EDITED[cell]][:, positions] == value).all()))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("direction", ["forward", "backward", "both"])
def test_edit_acts_on_its_direction(cell, direction):
    """From step s in the direction's reading order: the forward's rows s-1.., the backward's
    rows 0..T-s; the other direction of the top layer and the layers below stay exactly the same."""
    T, s = 7, 3
    hand, x = edit_setup(cell, True, T)
    _, _, plain = hand.run(x)
    gates = {EDITED[cell]: 0.25} if EDITED[cell] else {}
    edit = Edit.make(cell, 5, gates=gates, units={("h", 1): 0.0}, from_step=s, direction=direction)
    _, _, trace = hand.run(x, edit=edit)
    assert traces_equal(trace[:2], plain[:2])  # the first layer
    rows = {0: list(range(s - 1, T)), 1: list(range(0, T - s + 1))}  # edited rows of each direction
    for d in (0, 1):
        tr, ref = trace[2 + d], plain[2 + d]
        if direction in ("both", ("forward", "backward")[d]):
            untouched = sorted(set(range(T)) - set(rows[d]))
            assert clamped(tr, cell, rows[d]) and not clamped(ref, cell, rows[d])
            assert all(torch.equal(tr[n][:, untouched], ref[n][:, untouched]) for n in tr)
            assert not torch.equal(tr["h"][..., [0, 2, 3, 4]], ref["h"][..., [0, 2, 3, 4]])  # flows on
        else:
            assert all(torch.equal(tr[n], ref[n]) for n in tr)


def test_one_edit_per_direction():
    hand, x = edit_setup("lstm", True)
    fwd = Edit.make("lstm", 5, units={("h", 1): 0.0}, direction="forward")
    bwd = Edit.make("lstm", 5, units={("h", 2): 0.0}, direction="backward")
    both = Edit.make("lstm", 5, gates={"f": 1.0})
    _, _, trace = hand.run(x, edit=[fwd, bwd])
    assert (trace[2]["h"][..., 1] == 0).all() and (trace[3]["h"][..., 2] == 0).all()
    assert (trace[2]["h"][..., 2] != 0).all() and (trace[3]["h"][..., 1] != 0).all()
    for edits, which in (([fwd, both], "forward"), ([both, bwd], "backward"), ([both, both], "forward"),
                         ([fwd, fwd], "forward")):
        with pytest.raises(ValueError, match=f"2 edits act on the {which}"):
            hand.run(x, edit=edits)
    one_way, x1 = edit_setup("lstm", False)
    one_way.run(x1, edit=fwd)
    with pytest.raises(ValueError, match="no backward"):
        one_way.run(x1, edit=bwd)


@pytest.mark.parametrize("key,match", [(("h", 5), "out of range"), (("h", -1), "out of range"),
                                       (("c", 99), "out of range"), (("h", 1.5), "whole number"),
                                       (("x", 0), "unknown state"), ("h", "written")])
def test_edit_unit_checked(key, match):
    with pytest.raises(ValueError, match=match):
        Edit.make("lstm", 5, units={key: 0.0})


def test_edit_arguments_checked():
    with pytest.raises(ValueError, match="forward, backward or both"):
        Edit.make("lstm", 5, gates={"f": 1.0}, direction="sideways")
    with pytest.raises(ValueError, match="step 1 or later"):
        Edit.make("lstm", 5, gates={"f": 1.0}, from_step=0)
    with pytest.raises(ValueError, match="unknown gate"):
        Edit.make("rnn", 5, gates={"f": 1.0})
    with pytest.raises(ValueError, match="finite"):
        Edit.make("gru", 5, gates={"z": float("nan")})


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm", "peephole"])
def test_edit_on_a_one_way_net(cell):
    """"both" and "forward" are the same edit on a one-way net: from step s on, rows s-1.."""
    T, s = 7, 4
    hand, x = edit_setup(cell, False, T)
    _, _, plain = hand.run(x)
    gates = {EDITED[cell]: 0.25} if EDITED[cell] else {}
    traces = [hand.run(x, edit=Edit.make(cell, 5, gates=gates, units={("h", 1): 0.0}, from_step=s,
                                         direction=direction))[2] for direction in ("both", "forward")]
    assert traces_equal(traces[0], traces[1]) and traces_equal(traces[0][:1], plain[:1])
    top, ref = traces[0][1], plain[1]
    assert clamped(top, cell, list(range(s - 1, T))) and not clamped(ref, cell, list(range(s - 1, T)))
    assert all(torch.equal(top[n][:, :s - 1], ref[n][:, :s - 1]) for n in top)
