"""Asking the digit network why: row influence (gradient and occlusion) and interventions
(ablated units, clamped gates, from a given row), checked against finite differences and
against what the equations say must happen.

    .venv/bin/python -m pytest -q tests/test_digits_why.py
"""
import numpy as np
import pytest
import torch

from demo.digits import load_digit_model, to_mnist
from demo.digits.controls import MODEL_NAMES
from demo.digits.sketches import example_digit

CELLS = list(MODEL_NAMES)
WITH_CELL_STATE = ["lstm", "bilstm", "peephole"]  # the LSTMs: gates i, f, g, o and a cell c


@pytest.fixture(scope="module")
def models():
    return {n: load_digit_model(n) for n in CELLS}


@pytest.fixture(scope="module")
def seven():
    return to_mnist(example_digit(7))


@pytest.mark.parametrize("name", CELLS)
def test_gradient_matches_finite_differences(models, seven, name):
    m = models[name]
    inf = m.row_influence_mnist(seven)
    assert inf["gradient"].shape == (28,) and inf["occlusion"].shape == (28,)
    x = torch.from_numpy(seven).double()
    net = m.net.double()
    try:
        k = int(net(x[None])[0].argmax())
        eps = 1e-4
        for t in (4, 12, 20):  # rows crossing the digit: a real, non-zero gradient
            g = np.zeros(28)
            for j in range(28):
                up, down = x.clone(), x.clone()
                up[t, j] += eps
                down[t, j] -= eps
                with torch.no_grad():
                    g[j] = (net(up[None])[0, k] - net(down[None])[0, k]).item() / (2 * eps)
            assert np.linalg.norm(g) > 1e-3
            np.testing.assert_allclose(inf["gradient"][t], np.linalg.norm(g), rtol=2e-3)
    finally:
        m.net.float()


@pytest.mark.parametrize("name", CELLS)
def test_occlusion_of_an_empty_row_is_zero(models, seven, name):
    occ = models[name].row_influence_mnist(seven)["occlusion"]
    empty = np.nonzero(seven.max(1) == 0)[0]
    assert empty.size > 0
    np.testing.assert_allclose(occ[empty], 0.0, atol=1e-6)
    assert np.abs(occ).max() > 1e-6  # and some row with ink matters (a little: p_k is ~1)


@pytest.mark.parametrize("name", CELLS)
def test_empty_edit_equals_plain_trace(models, seven, name):
    m = models[name]
    plain = m.trace_mnist(seven)
    for edited in (m.trace_mnist(seven, ablate=[]), m.trace_mnist(seven, clamp={}),
                   m.trace_mnist(seven, ablate=[], clamp={}, from_step=5)):
        assert set(edited.arrays) == set(plain.arrays)
        for key, v in plain.arrays.items():
            np.testing.assert_array_equal(edited.arrays[key], v)


@pytest.mark.parametrize("name", CELLS)
def test_ablating_every_unit_gives_the_heads_bias(models, seven, name):
    m = models[name]
    tr = m.trace_mnist(seven, ablate=list(range(m.hidden)))
    with torch.no_grad():
        zero = torch.softmax(m.net.head(torch.zeros(1, m.hidden)), -1)[0].numpy()
    assert np.allclose(tr.h, 0)
    np.testing.assert_allclose(tr.probs, np.tile(zero, (28, 1)), atol=1e-6)


@pytest.mark.parametrize("name", WITH_CELL_STATE)
def test_shut_input_and_forget_gates_leave_the_cell_empty(models, seven, name):
    tr = models[name].trace_mnist(seven, clamp={"f": 0.0, "i": 0.0})  # both directions of the BiLSTM
    assert np.all(tr.c == 0) and np.all(tr.gates["f"] == 0) and np.all(tr.gates["i"] == 0)
    assert np.all(tr.h == 0)  # h = o * tanh(c)


def test_edit_starts_at_from_step(models, seven):
    m = models["gru"]
    plain, edited = m.trace_mnist(seven), m.trace_mnist(seven, ablate=[3, 17], clamp={"z": 1.0}, from_step=10)
    np.testing.assert_array_equal(edited.h[:9], plain.h[:9])
    assert np.all(edited.h[9:, [3, 17]] == 0) and np.all(edited.gates["z"][9:] == 1.0)
    # z = 1 keeps the state: after row 10 it never changes again (but for the ablated units)
    np.testing.assert_allclose(edited.h[10:], np.broadcast_to(edited.h[9], edited.h[10:].shape), atol=1e-5)


@pytest.mark.parametrize("name", WITH_CELL_STATE)
def test_edited_probs_come_from_the_edited_h(models, seven, name):
    m = models[name]
    tr = m.trace_mnist(seven, ablate=list(range(0, m.hidden, 2)))  # the BiLSTM: units of both directions
    assert np.all(tr.h[:, ::2] == 0)
    with torch.no_grad():
        p = torch.softmax(m.net.head(torch.from_numpy(tr.h)), -1).numpy()
    np.testing.assert_allclose(tr.probs, p, atol=1e-6)


def test_trace_with_image_takes_the_same_edits(models):
    m = models["lstm"]
    img = example_digit(3)
    np.testing.assert_array_equal(m.trace(img, ablate=[5], from_step=3).h,
                                  m.trace_mnist(to_mnist(img), ablate=[5], from_step=3).h)


@pytest.mark.parametrize("kwargs, message", [
    (dict(clamp={"q": 1.0}), "unknown gate"),
    (dict(clamp={"r": 1.0}), "unknown gate"),            # a GRU gate on the LSTM
    (dict(clamp={"f": "shut"}), "number"),
    (dict(clamp={"f": float("nan")}), "finite"),
    (dict(ablate=[128]), "out of range"),
    (dict(ablate=[-1]), "out of range"),
    (dict(ablate=[1.5]), "whole number"),
    (dict(ablate=3), "list"),
    (dict(clamp=["f"]), "dict"),
    (dict(ablate=[1], from_step=0), "from_step"),
    (dict(ablate=[1], from_step=29), "from_step"),
])
def test_bad_edits_raise_value_error(models, seven, kwargs, message):
    with pytest.raises(ValueError, match=message):
        models["lstm"].trace_mnist(seven, **kwargs)


def test_plain_rnn_has_no_gates_to_clamp(models, seven):
    with pytest.raises(ValueError, match="no gates"):
        models["rnn"].trace_mnist(seven, clamp={"f": 1.0})
