"""Connectivity (demo.text.connectivity): autograd through the model's torch module, checked
against finite differences of the same function in float64, at any depth, with one-hot inputs
or an embedding, at the first and last positions; the model is left as it was.

    .venv/bin/python -m pytest -q tests/test_connectivity.py
"""

import numpy as np
import pytest
import torch

from conftest import finite_differences
from demo.text import CharModel, CharRNN, Vocab

CORPUS = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"


def make_model(cell="lstm", hidden=12, layers=2, embed=0, seed=0) -> CharModel:
    torch.manual_seed(seed)
    vocab = Vocab.from_text(CORPUS)
    net = CharRNN(len(vocab), cell, hidden=hidden, layers=layers, embed=embed)
    with torch.no_grad():   # larger weights than the default init: gradients that vary more
        for p in net.parameters():
            p.mul_(2.0)
    return CharModel(net, vocab, {"name": f"toy-{cell}"})


@pytest.mark.parametrize("layers,embed", [(1, 8), (3, 0)])
def test_any_depth_and_input_matches_finite_differences(layers, embed):
    m = make_model("lstm", layers=layers, embed=embed, seed=layers)
    text = CORPUS[:40]
    for position in (1, 2, 39):
        conn = m.connectivity(text, position)
        assert conn.shape == (position,) and np.all(conn >= 0)
        for j in sorted({0, position - 1}):
            assert conn[j] == pytest.approx(finite_differences(m, text, position, j), rel=2e-3, abs=1e-9)


def test_connectivity_leaves_the_model_as_it_was():
    """The weights are not touched and keep whether they need a gradient; a sample or a trace
    before changes nothing."""
    m = make_model("lstm", embed=8)
    flags = [p.requires_grad for p in m.net.parameters()]
    before = [p.detach().clone() for p in m.net.parameters()]
    text = CORPUS[:30]
    first = m.connectivity(text, 29)
    m.states(text)
    m.generate("All:", 20, 0.8, rng_seed=0)
    np.testing.assert_array_equal(m.connectivity(text, 29), first)
    assert [p.requires_grad for p in m.net.parameters()] == flags
    assert all(torch.equal(a, b) for a, b in zip(before, m.net.parameters()))
    assert all(p.grad is None for p in m.net.parameters())
