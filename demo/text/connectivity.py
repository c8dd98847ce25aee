"""How far back a character model looks: the gradient "connectivity" of one prediction to every
character before it (Distill's "Visualizing memorization in RNNs"), by autograd through the
model's own torch module (``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN``, the one training uses): one
forward with the graph and one backward, ~2.3x a plain forward (benchmarks/bench_text.py).

    conn = connectivity(model, text, position)   # (position,) |d log p(text[position]) / d x_j|
    curve = mean_connectivity(model, val_text, positions, max_distance=400)   # over data

x_j is the input vector of character j: its embedding for a model with one (the shipped LSTM),
its one-hot vector otherwise (the gradient with respect to the one-hot input, all V entries);
each value is the L2 norm of the gradient over that vector.  Pure: torch and numpy, no gradio.
``CharModel.connectivity`` calls ``connectivity``; ``training/find_units.py`` the curve.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from demo.text import limits


def log_prob_from_inputs(net, x: Tensor, target: Tensor, state=None) -> Tensor:
    """log p(target_b | x_b) after reading input vectors x (B, T, F): (B,).  ``state`` is the
    recurrent state before x (torch's (layers, B, H) h, or (h, c)); None starts at zero."""
    out, _ = net.rnn(x, state)                       # (B, T, H)
    logits = net.head(out[:, -1])                    # (B, V): the prediction after the last input
    return torch.log_softmax(logits, -1).gather(1, target[:, None])[:, 0]


def connectivity(model, text: str, position) -> np.ndarray:
    """(position,) float64: for every character j < position, the L2 norm over x_j of
    d log p(text[position] | text[:position]) / d x_j, from one forward and one backward pass
    over text[:position] starting at the zero state (autograd through the model's torch module)."""
    text = limits.check_text(text, limits.MAX_CONNECTIVITY + 1, 2, limits.LOOK_BACK_WHY)
    position = limits.check_position(position, len(text))
    ids = torch.tensor([model.encode(text[:position + 1])])     # (1, position + 1)
    net = model.net
    with torch.no_grad():
        x = net.inputs(ids[:, :position]).float()                # (1, position, F)
    x.requires_grad_(True)
    with torch.enable_grad():   # the gradient of x only: the weights get none
        logp = log_prob_from_inputs(net, x, ids[:, position])
        (g,) = torch.autograd.grad(logp.sum(), x)
    return g[0].double().norm(dim=1).numpy()


def mean_connectivity(model, text: str, positions, max_distance: int = 400, burn_in: int = 200,
                      batch: int = 32) -> dict:
    """Connectivity against distance d = 1..max_distance, over many predictions of ``text``.

    For each p in ``positions`` (each >= max_distance + burn_in): the state is warmed up on the
    ``burn_in`` characters before the window (no gradient), then the window's max_distance
    characters are read with gradients and log p(text[p]) differentiated.  Within the window the
    gradients are exact; characters further back than max_distance are not measured.  Batched:
    the predictions are independent, so one backward pass of their sum gives each its own.

    Returns {"distance" (D,), "mean" (D,), "median" (D,), "q10", "q90" (D,), "share" (D,): mean
    fraction of each prediction's total connectivity (within the window) at distance d,
    "positions": how many predictions}."""
    net = model.net
    ids = torch.tensor(model.encode(text))
    positions = [int(p) for p in positions]
    if not positions or min(positions) < max_distance + burn_in or max(positions) >= len(ids):
        raise ValueError("positions must lie in [max_distance + burn_in, len(text))")
    rows = []
    for b0 in range(0, len(positions), batch):
        ps = torch.tensor(positions[b0:b0 + batch])
        span = torch.arange(-(max_distance + burn_in), 0)
        window = ids[ps[:, None] + span[None]]                     # (B, burn_in + D)
        with torch.no_grad():
            _, state = net.rnn(net.inputs(window[:, :burn_in]).float())
            x = net.inputs(window[:, burn_in:]).float()            # (B, D, F)
        x.requires_grad_(True)
        with torch.enable_grad():   # the gradient of x only: the weights get none
            logp = log_prob_from_inputs(net, x, ids[ps], state)
            (g,) = torch.autograd.grad(logp.sum(), x)
        rows.append(g.double().norm(dim=2).flip(1).numpy())         # (B, D): column d-1 is distance d
    conn = np.concatenate(rows)                                      # (P, D)
    share = conn / np.maximum(conn.sum(1, keepdims=True), 1e-300)
    q10, med, q90 = np.quantile(conn, [0.1, 0.5, 0.9], axis=0)
    return {"distance": np.arange(1, max_distance + 1), "mean": conn.mean(0), "median": med,
            "q10": q10, "q90": q90, "share": share.mean(0), "positions": len(positions)}


def distance_summary(distance: np.ndarray, mean: np.ndarray) -> dict:
    """Numbers that say how far back a curve reaches: the distance holding half and 90% of the
    total (cumulative from d = 1), and the distance where the mean first falls below 1/100 and
    1/10,000 of its largest value."""
    total = np.cumsum(mean) / max(float(mean.sum()), 1e-300)
    peak = float(mean.max()) if mean.size else 0.0

    def first_below(frac):
        hit = np.nonzero(mean < peak * frac)[0]
        return int(distance[hit[0]]) if hit.size else None
    return {"half": int(distance[np.searchsorted(total, 0.5)]), "ninety": int(distance[np.searchsorted(total, 0.9)]),
            "below_1e-2": first_below(1e-2), "below_1e-4": first_below(1e-4)}
