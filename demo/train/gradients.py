"""The gradient reaching each time step: |dL/dh_t| of the top layer's hidden state.

The fast torch modules hide h_t inside their kernels, so this unrolls the network through the
hand-written cells of ``demo.cells`` (which work under autograd) and adds a zero ``delta_t`` to the
top layer's h_t at every step, where h_t leaves the cell: the sum feeds both the next step (the
recurrence) and the layers above (the head).  dL/d(delta_t) is then exactly dL/dh_t, the total
derivative through every path.

    loss, g = step_gradients(net, "digits", x, y)    # g (T, B, D*H): d(loss_b)/dh_t per example
    grads = grad_by_step(g)                          # [mean over b of ||g[t, b]||_2 for each t]

The loss differentiated is each example's own loss (digits: cross-entropy of its label after the
last row; text: its mean cross-entropy over the window), so the figure does not shrink with the
batch size.  A bidirectional network's row t holds [forward h after rows 1..t, backward h after
rows T..t] (2H units), and its norm is taken over both.  The weights are copied detached in the
network's own dtype (float64 for the finite-difference test); only the deltas need gradients.
"""
from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from demo.cells import HAS_CELL_STATE, HandRNN


def hand_copy(module: nn.Module) -> HandRNN:
    """The hand-written cells equal to ``module``, in the module's dtype (HandRNN is float32)."""
    hand = HandRNN.from_torch(module)
    dtype = next(module.parameters()).dtype
    if dtype != torch.float32:
        cast = lambda t: None if t is None else t.to(dtype)
        hand.layers = [replace(L, w_ih=cast(L.w_ih), w_hh=cast(L.w_hh), b_ih=cast(L.b_ih), b_hh=cast(L.b_hh),
                               peep=cast(L.peep)) for L in hand.layers]
    return hand


def unrolled(hand: HandRNN, xs: Tensor, deltas: Tensor | None = None) -> Tensor:
    """xs (B, T, F) through every layer and direction, step by step, with ``deltas`` (T, B, D*H)
    added to the top layer's h_t as it leaves the cell.  Returns the top output (B, T, D*H), the
    fast module's ``out`` (the backward direction at its own positions)."""
    B, T, _ = xs.shape
    D, H = hand.directions, hand.hidden
    inp = xs
    for k in range(hand.num_layers):
        top = k == hand.num_layers - 1
        outs = []
        for d in range(D):
            j = k * D + d
            xw = hand.project(j, inp)  # (B, T, k*H)
            zero = xs.new_zeros(B, H)
            state = (zero, zero) if hand.cell in HAS_CELL_STATE else zero
            seq = [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                h, state, _ = hand.step_layer(j, xw[:, t], state)
                if top and deltas is not None:
                    h = h + deltas[t, :, d * H:(d + 1) * H]
                    state = (h, state[1]) if hand.cell in HAS_CELL_STATE else h
                seq[t] = h
            outs.append(torch.stack(seq, dim=1))
        inp = torch.cat(outs, dim=-1) if D > 1 else outs[0]
    return inp


def example_losses(net: nn.Module, task: str, out: Tensor, y: Tensor) -> Tensor:
    """Each example's loss (B,) from the top recurrent output ``out`` (B, T, D*H), as training
    computes it: digits read the head after the last row, text predicts every next character."""
    if task == "text":
        logits = net.head(out)  # (B, T, V)
        return F.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(dim=1)
    logits = net.head(net.after_each_step(out)[:, -1])  # (B, 10)
    return F.cross_entropy(logits, y, reduction="none")


def inputs(net: nn.Module, task: str, x: Tensor) -> Tensor:
    """What the recurrent stack reads: normalised rows (digits), or character vectors (text)."""
    xs = net.inputs(x) if task == "text" else net.normalise(x)
    return xs.to(next(net.rnn.parameters()).dtype)  # one-hot inputs are float32 whatever the net's dtype


def step_gradients(net: nn.Module, task: str, x: Tensor, y: Tensor, deltas: Tensor | None = None):
    """(mean loss, g): g (T, B, D*H) is d(loss_b)/dh_t of the top layer for each example b.
    ``deltas`` (optional, (T, B, D*H)) shifts h_t (the finite-difference test's handle)."""
    hand = hand_copy(net.rnn)
    with torch.enable_grad():
        xs = inputs(net, task, x).detach()
        B, T = xs.shape[:2]
        if deltas is None:
            deltas = xs.new_zeros(T, B, hand.directions * hand.hidden)
        deltas = deltas.detach().requires_grad_(True)
        losses = example_losses(net, task, unrolled(hand, xs, deltas), y)
        (g,) = torch.autograd.grad(losses.sum(), deltas)
    return float(losses.detach().mean()), g


def loss_with_deltas(net: nn.Module, task: str, x: Tensor, y: Tensor, deltas: Tensor) -> Tensor:
    """The summed example losses with ``deltas`` added to h_t (no gradients): finite differences."""
    with torch.no_grad():
        return example_losses(net, task, unrolled(hand_copy(net.rnn), inputs(net, task, x), deltas), y).sum()


def grad_by_step(g: Tensor) -> list[float]:
    """(T, B, D*H) -> [mean over the batch of the L2 norm over units, for each step t]."""
    return g.detach().norm(dim=2).mean(dim=1).tolist()
