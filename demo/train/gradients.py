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

A plain RNN or an LSTM (torch's nn.RNN / nn.LSTM) takes a faster road to the same numbers
(``fused_gradients``: ~2x faster than unrolling at 28 steps, ~3x at 78): its h_t reaches the next
step only through W_hh h_t, so a zero input u_t read through W_hh (the top layer run again as a
torch module whose W_ih is [W_ih | W_hh]) is a delta on h_{t-1} as the recurrence sees it, and the
fused kernel's own backward gives dL/du_t = W_hh^T dL/dz_t.  With the head's path (dL/dout_t),
dL/dh_t = dL/dout_t + dL/du_{t+1} (a backward direction: u_{t-1}).  A GRU's h_t also enters
through z * h_t and r * (W_hn h_t), and the peephole LSTM has no fused kernel: both unroll.
"""
from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from demo.cells import HAS_CELL_STATE, HandRNN

FUSED = (nn.RNN, nn.LSTM)   # h_t reaches step t + 1 only through W_hh h_t (not a GRU's z * h_t)


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
    ``deltas`` (optional, (T, B, D*H)) shifts h_t (the finite-difference test's handle).  A plain
    RNN or an LSTM without deltas takes ``fused_gradients``; the rest unroll the hand cells."""
    if deltas is None and type(net.rnn) in FUSED:
        return fused_gradients(net, task, x, y)
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


def fused_gradients(net: nn.Module, task: str, x: Tensor, y: Tensor):
    """``step_gradients`` for nn.RNN / nn.LSTM through torch's fused kernel (see the module's
    docstring), the weights read detached."""
    weights = {k: v.detach() for k, v in net.rnn.named_parameters()}
    with torch.enable_grad():
        xs = inputs(net, task, x).detach()
        out, u = _fused_out(net.rnn, xs, weights)
        losses = example_losses(net, task, out, y)
        g_out, g_u = torch.autograd.grad(losses.sum(), [out, u])
    return float(losses.detach().mean()), _dl_dh(g_out, g_u, net.rnn.hidden_size)


def tracked_loss(net: nn.Module, task: str, x: Tensor, y: Tensor):
    """A training step's loss (the batch's mean, as the task's loss: the same value and the same
    gradients for every weight) that also measures the gradient reaching each time step, for
    nn.RNN / nn.LSTM (FUSED): (loss, read).  After ``loss.backward()``, read() gives g (T, B, D*H),
    each example's d(loss_b)/dh_t as step_gradients would on these weights and this batch (B x
    the mean's gradient: each example's loss depends on its own h only)."""
    with torch.enable_grad():
        out, u = _fused_out(net.rnn, inputs(net, task, x), dict(net.rnn.named_parameters()))
        out.retain_grad()
        loss = example_losses(net, task, out, y).mean()
    B = out.shape[0]
    return loss, lambda: _dl_dh(out.grad * B, u.grad * B, net.rnn.hidden_size)


def _fused_out(rnn: nn.Module, xs: Tensor, weights: dict) -> tuple[Tensor, Tensor]:
    """The top layer's output (B, T, D*H) of ``rnn`` with ``weights`` ({name: tensor}, live or
    detached) on xs (B, T, F), and u (B, T, D*H), the zero input it also reads: the layers below
    run as they are; the top one reads [below, u] with W_ih [W_ih | W_hh] (direction d's W_hh in
    block d, zeros in the other), so dL/du_t = W_hh^T dL/dz_t, the recurrence's share of dL/dh_{t-1}."""
    L, D, H = rnn.num_layers, 2 if rnn.bidirectional else 1, rnn.hidden_size
    below = xs
    if L > 1:
        lower = _shell(rnn, L - 1, xs.shape[-1])
        below = functional_call(lower, {k: weights[k] for k, _ in lower.named_parameters()}, (xs,))[0]
    top = _shell(rnn, 1, below.shape[-1] + D * H)
    own = {}
    for name, _ in top.named_parameters():                 # weight_ih_l0, bias_hh_l0_reverse, ...
        reverse = name.endswith("_reverse")
        old = weights[name.replace("_l0", f"_l{L - 1}")]
        if name.startswith("weight_ih"):
            w_hh = weights[f"weight_hh_l{L - 1}{'_reverse' if reverse else ''}"]          # (k*H, H)
            blocks = [w_hh if d == int(reverse) else torch.zeros_like(w_hh) for d in range(D)]
            old = torch.cat([old, *blocks], dim=1)                                      # (k*H, F + D*H)
        own[name] = old
    u = below.new_zeros(*below.shape[:2], D * H).requires_grad_(True)
    out, _ = functional_call(top, own, (torch.cat([below, u], dim=-1),))
    return out, u


def _shell(rnn: nn.Module, layers: int, size: int) -> nn.Module:
    """A module like ``rnn`` with ``layers`` layers reading ``size`` features, on the meta device
    (no weights made, nothing drawn from torch's generator): functional_call gives its weights."""
    kw = {"nonlinearity": rnn.nonlinearity} if isinstance(rnn, nn.RNN) else {}
    return type(rnn)(size, rnn.hidden_size, num_layers=layers, batch_first=True, bidirectional=rnn.bidirectional,
                     bias=rnn.bias, dtype=next(rnn.parameters()).dtype, device="meta", **kw)


def _dl_dh(g_out: Tensor, g_u: Tensor, H: int) -> Tensor:
    """dL/dh_t (T, B, D*H) from the head's path g_out and the recurrence's g_u (B, T, D*H)."""
    g = g_out.clone()
    g[:, :-1, :H] += g_u[:, 1:, :H]              # forward: h_t is read by step t + 1
    if g.shape[-1] > H:
        g[:, 1:, H:] += g_u[:, :-1, H:]          # backward: h_t is read by step t - 1
    return g.transpose(0, 1)


def loss_with_deltas(net: nn.Module, task: str, x: Tensor, y: Tensor, deltas: Tensor) -> Tensor:
    """The summed example losses with ``deltas`` added to h_t (no gradients): finite differences."""
    with torch.no_grad():
        return example_losses(net, task, unrolled(hand_copy(net.rnn), inputs(net, task, x), deltas), y).sum()


def grad_by_step(g: Tensor) -> list[float]:
    """(T, B, D*H) -> [mean over the batch of the L2 norm over units, for each step t]."""
    return g.detach().norm(dim=2).mean(dim=1).tolist()
