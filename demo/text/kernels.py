"""The character models' time loops, compiled with numba: the LSTM's forward and backward that
connectivity needs, and sampling's one-character step (LSTM and plain RNN).  Exact float32 (the
hand cells' numbers to ~1e-6), no autograd, and the compiled loops release the GIL, so a busy
server keeps its other core.

    w = CellWeights(model.hand, model._table)          # once per model (CharModel.cell_weights)
    fwd = lstm_forward(w, ids)                         # per layer (S (T, 4H) gates, C (T, H))
    dx = lstm_input_grads(w, fwd, dh_top)              # (T, F): connectivity's backward
    step = Stepper(w, w_out, b_out, edit)              # sampling: logits = step(idx), (V,)

Used by ``demo.text.connectivity`` (the gradient of one prediction) and ``CharModel``'s sampling
loop; a GRU goes through the hand cells instead.  The kernels compile once per machine (about 5 s;
``warm_up``, called when the Text tab is built) and are cached beside this file (0.2 s after).
"""
from __future__ import annotations

import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

# numba caches the compiled kernels beside this file; where that folder is read-only (an install
# in a system folder) they go to the temp folder, rather than numba refusing to cache and failing
# the import.  NUMBA_CACHE_DIR, if set, wins.
if not os.access(Path(__file__).resolve().parent, os.W_OK):
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "rnn-lens-numba"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from numba import njit  # noqa: E402

# Why compiled loops: one prediction's gradient is a chain of ~2 x T dependent matrix-vector
# products with each layer's recurrent matrix (4H x H: 2.4 MB for H = 384, a little more than
# one core's 2 MB L2), so the time is memory traffic, plus, in numpy, ~15 calls per step whose
# overhead cost as much as the product.  Here a step is one call with nothing in between:
# - each product reads the matrix eight rows at a time, forwards on one step and backwards on
#   the next, so the rows read last are still in the cache when the next step starts (28 us per
#   product against OpenBLAS's 45, or 36 with the matrix in four blocks);
# - tanh and the sigmoid are vectorised polynomials (below), not one libm call per element;
# - "reassoc" lets the compiler vectorise the sums (float32 rounding in a different order).
# Gradients that fade over hundreds of steps reach float32's denormals, which make every product
# ~10x slower: the loops run with denormals flushed to zero (values under 1.2e-38).
_FAST = {"reassoc", "contract"}
_JIT = dict(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
_INLINE = dict(inline="always", fastmath=_FAST, error_model="numpy")
_f32 = np.float32


@njit(**_INLINE)
def _tanh64(x):
    """tanh(x) in float64 for a float32 x, to float32's last bit: tanh = u / (u + 2) with
    u = exp(2|x|) - 1, from a degree-7 Taylor series of exp at 2|x|/512 squared up nine times
    ((1 + u)^2 - 1 = u (2 + u) keeps small values exact).  Branch-free, so it vectorises."""
    a = abs(np.float64(x))
    a = (a if a < 20.0 else 20.0) * (2.0 / 512.0)
    u = a * (1.0 + a * (0.5 + a * (1.0 / 6 + a * (1.0 / 24 + a * (1.0 / 120 + a * (1.0 / 720 + a * (1.0 / 5040)))))))
    for _ in range(9):
        u = u * (2.0 + u)
    return math.copysign(u / (u + 2.0), np.float64(x))


@njit(**_INLINE)
def _tanh(x):
    return _f32(_tanh64(x))


@njit(**_INLINE)
def _sigmoid(x):
    return _f32(0.5 + 0.5 * _tanh64(_f32(0.5) * x))


@njit(**_JIT)
def tanh(x, out):
    """out = tanh(x) elementwise (1-D float32): the kernels' tanh, for tests."""
    for i in range(x.size):
        out[i] = _tanh(x[i])


@njit(**_INLINE)
def _rows_dot_slots(M, X, slots, OUT, reverse):
    """OUT[b] = M @ X[b] for each b in ``slots``: a batch of independent rows (sampling's
    requests; connectivity's loops are a batch of one).  Eight rows of M (R, K) are read at a
    time and used by every slot while they are in L1, so the matrix is read once per call,
    however many slots; each slot's sums are done in the same order whatever the batch, so a
    text does not depend on what else is written."""
    R, K = M.shape
    nb = R // 8
    for blk in range(nb):
        r = (nb - 1 - blk) * 8 if reverse else blk * 8
        for n in range(slots.size):
            b = slots[n]
            a0 = _f32(0.0)
            a1 = _f32(0.0)
            a2 = _f32(0.0)
            a3 = _f32(0.0)
            a4 = _f32(0.0)
            a5 = _f32(0.0)
            a6 = _f32(0.0)
            a7 = _f32(0.0)
            for k in range(K):
                xk = X[b, k]
                a0 += M[r, k] * xk
                a1 += M[r + 1, k] * xk
                a2 += M[r + 2, k] * xk
                a3 += M[r + 3, k] * xk
                a4 += M[r + 4, k] * xk
                a5 += M[r + 5, k] * xk
                a6 += M[r + 6, k] * xk
                a7 += M[r + 7, k] * xk
            OUT[b, r] = a0
            OUT[b, r + 1] = a1
            OUT[b, r + 2] = a2
            OUT[b, r + 3] = a3
            OUT[b, r + 4] = a4
            OUT[b, r + 5] = a5
            OUT[b, r + 6] = a6
            OUT[b, r + 7] = a7
    for r in range(nb * 8, R):
        for n in range(slots.size):
            b = slots[n]
            a = _f32(0.0)
            for k in range(K):
                a += M[r, k] * X[b, k]
            OUT[b, r] = a


@njit(**_INLINE)
def _gates(z, H):
    """Pre-activations z (4H,) of i, f, g, o -> the gates, in place."""
    for j in range(2 * H):
        z[j] = _sigmoid(z[j])
    for j in range(2 * H, 3 * H):
        z[j] = _tanh(z[j])
    for j in range(3 * H, 4 * H):
        z[j] = _sigmoid(z[j])


@njit(**_JIT)
def _forward_layer(xp, WT, S, C, Hs):
    """One layer over T steps from the zero state.  xp (T, 4H): the input projections with both
    biases; WT (4H, H): W_hh transposed.  Fills S (T, 4H) with the gates i, f, g, o, C (T, H)
    with c and Hs (T, H) with h after each step."""
    T, G = xp.shape
    H = G // 4
    one = np.zeros(1, np.int64)              # the products as a batch of one row
    h1 = np.zeros((1, H), np.float32)
    h = h1[0]
    c = np.zeros(H, np.float32)
    for t in range(T):
        s = S[t]
        _rows_dot_slots(WT, h1, one, S[t:t + 1], t % 2 == 1)
        for j in range(G):
            s[j] += xp[t, j]
        _gates(s, H)
        for k in range(H):
            v = s[H + k] * c[k] + s[k] * s[2 * H + k]      # c = f c + i g
            c[k] = v
            C[t, k] = v
        for k in range(H):
            v = s[3 * H + k] * _tanh(c[k])                 # h = o tanh(c)
            h[k] = v
            Hs[t, k] = v


@njit(**_JIT)
def _backward_layer(S, C, TC, up, W, dG):
    """One layer's backward over T steps.  S, C: its forward; TC = tanh(C); up (T, H): the
    gradient arriving at each step's h from above (or from the loss); W (H, 4H): W_hh.  Fills
    dG (T, 4H) with the gradient at the pre-activations of i, f, g, o."""
    T, G = S.shape
    H = G // 4
    one = np.zeros(1, np.int64)              # the products as a batch of one row
    dh1 = np.zeros((1, H), np.float32)
    dh_next = dh1[0]                        # from step t + 1's gates through W_hh
    dc = np.zeros(H, np.float32)
    zero = np.zeros(H, np.float32)
    for t in range(T - 1, -1, -1):
        f_next = S[t + 1, H:2 * H] if t + 1 < T else zero
        c_prev = C[t - 1] if t > 0 else zero
        s = S[t]
        d = dG[t]
        for k in range(H):
            dh = up[t, k] + dh_next[k]
            i, f, g, o, tc = s[k], s[H + k], s[2 * H + k], s[3 * H + k], TC[t, k]
            v = dc[k] * f_next[k] + dh * o * (_f32(1.0) - tc * tc)
            dc[k] = v
            d[k] = v * g * i * (_f32(1.0) - i)
            d[H + k] = v * c_prev[k] * f * (_f32(1.0) - f)
            d[2 * H + k] = v * i * (_f32(1.0) - g * g)
            d[3 * H + k] = dh * tc * o * (_f32(1.0) - o)
        _rows_dot_slots(W, dG[t:t + 1], one, dh1, t % 2 == 1)


@njit(**_INLINE)
def _cell(z, c, h, mask, val, kind):
    """Pre-activations z -> the new state in place.  kind 0: LSTM, z (4H,) of i, f, g, o becomes
    the gates, then c and h; 1: RNN with tanh, 2: with relu, z (H,) -> h (c unused).  mask/val
    (6, H): forced values for i, f, g, o, c, h (a row of False leaves that one alone)."""
    H = h.size
    if kind == 0:
        _gates(z, H)
        for q in range(4):
            for k in range(H):
                if mask[q, k]:
                    z[q * H + k] = val[q, k]
        for k in range(H):
            v = z[H + k] * c[k] + z[k] * z[2 * H + k]
            c[k] = val[4, k] if mask[4, k] else v
        for k in range(H):
            v = z[3 * H + k] * _tanh(c[k])
            h[k] = val[5, k] if mask[5, k] else v
    else:
        for k in range(H):
            v = z[k]
            v = (v if v > 0 else _f32(0.0)) if kind == 2 else _tanh(v)
            h[k] = val[5, k] if mask[5, k] else v


@njit(**_JIT)
def _step_first(P, idx, slots, WT, Hs, Cs, Z, reverse, M, V, kind):
    """Layer 0's step for each slot b (slots[n] reads character idx[n]): P (V, kH) the input
    projection per character with both biases; Hs, Cs (N, H) the slots' state, updated; Z (N, kH)
    scratch; M, V (N, 6, H) the slots' forced values."""
    _rows_dot_slots(WT, Hs, slots, Z, reverse)
    for n in range(slots.size):
        b = slots[n]
        z = Z[b]
        x = P[idx[n]]
        for j in range(z.size):
            z[j] += x[j]
        _cell(z, Cs[b], Hs[b], M[b], V[b], kind)


@njit(**_JIT)
def _step_above(X, slots, WihT, bias, WT, Hs, Cs, Z, Zh, M, V, kind):
    """A layer above the first: X (N, F) the layer below's new h; WihT (kH, F), bias (kH,) both
    biases; the rest as in _step_first."""
    _rows_dot_slots(WihT, X, slots, Z, False)
    _rows_dot_slots(WT, Hs, slots, Zh, False)
    for n in range(slots.size):
        b = slots[n]
        z = Z[b]
        zh = Zh[b]
        for j in range(z.size):
            z[j] += zh[j] + bias[j]
        _cell(z, Cs[b], Hs[b], M[b], V[b], kind)


@njit(**_JIT)
def _head(WoutT, bout, Hs, slots, L, out):
    """out[n] = the logits of slot slots[n]: WoutT (V, H) @ h + bout; L (N, V) scratch."""
    _rows_dot_slots(WoutT, Hs, slots, L, False)
    for n in range(slots.size):
        b = slots[n]
        for j in range(bout.size):
            out[n, j] = L[b, j] + bout[j]


def warm_up() -> None:
    """Compile (or load from the cache) every kernel on tiny inputs, so a first click or sample
    does not wait for the compiler (about 5 s once per machine, 0.2 s from the cache)."""
    H, T = 8, 3
    f = lambda *shape: np.full(shape, 0.1, np.float32)
    S, C, hs = f(T, 4 * H), f(T, H), f(T, H)
    _forward_layer(f(T, 4 * H), f(4 * H, H), S, C, hs)
    _backward_layer(S, C, f(T, H), f(T, H), f(H, 4 * H), f(T, 4 * H))
    slots, idx = np.zeros(1, np.int64), np.zeros(1, np.int64)
    mask, val = np.zeros((1, 6, H), np.bool_), f(1, 6, H)
    for kind, k in ((0, 4), (1, 1)):
        _step_first(f(4, k * H), idx, slots, f(k * H, H), f(1, H), f(1, H), f(1, k * H), False, mask, val, kind)
        _step_above(f(1, H), slots, f(k * H, H), f(k * H), f(k * H, H), f(1, H), f(1, H), f(1, k * H),
                    f(1, k * H), mask, val, kind)
    _head(f(5, H), f(5), f(1, H), slots, f(1, 5), f(1, 5))
    tanh(f(4), f(4))


@contextmanager
def _no_denormals():
    """Flush float32 denormals to zero in this thread while the loops run (see above)."""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


KINDS = {("lstm", "tanh"): 0, ("rnn", "tanh"): 1, ("rnn", "relu"): 2}


class CellWeights:
    """A HandRNN LSTM's or RNN's weights as contiguous float32 numpy, laid out for the loops
    (built once per model).  ``table`` (V, kH): layer 0's input projection per character."""

    def __init__(self, hand, table):
        self.H = hand.hidden
        self.cell = hand.cell
        self.kind = KINDS[(hand.cell, "relu" if hand.act is torch.relu else "tanh")]
        self.layers = []
        for k, L in enumerate(hand.layers):
            w_ih = np.ascontiguousarray(L.w_ih.numpy(), np.float32)          # (F, kH), k = 4 (LSTM) or 1
            w_hh = np.ascontiguousarray(L.w_hh.numpy(), np.float32)          # (H, kH)
            b = (L.b_ih + L.b_hh).numpy().astype(np.float32)                  # (kH,)
            self.layers.append(dict(
                w_ih=w_ih, b=b,
                w_hh=w_hh,                                                    # the backward: d h = W_hh . d gates
                w_hhT=np.ascontiguousarray(w_hh.T),                           # (kH, H) the forward
                w_ihT=np.ascontiguousarray(w_ih.T) if k else None,            # (kH, F) sampling's layers above
                # layer 0 looks its input projection up: (V, kH) with b_ih already in the table
                proj=np.ascontiguousarray(table.numpy() + L.b_hh.numpy(), np.float32) if k == 0 else None))


def lstm_forward(w: CellWeights, ids: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Read ids (T,) from the zero state: per layer (S, C) with S (T, 4H) the gate activations
    i, f, g, o side by side and C (T, H) the cell state after each step."""
    H, T = w.H, len(ids)
    out = []
    inp = None                                       # (T, H) the layer below's h
    with _no_denormals():
        for k, L in enumerate(w.layers):
            xp = L["proj"][ids] if k == 0 else inp @ L["w_ih"] + L["b"]   # (T, 4H) input projections
            S = np.empty((T, 4 * H), np.float32)
            C = np.empty((T, H), np.float32)
            hs = np.empty((T, H), np.float32)
            _forward_layer(np.ascontiguousarray(xp, np.float32), L["w_hhT"], S, C, hs)
            out.append((S, C))
            inp = hs
    return out


def lstm_input_grads(w: CellWeights, fwd, dh_top: np.ndarray) -> np.ndarray:
    """Backward from dh_top (H,), the gradient at the last step's top h, through every layer
    and step: the gradient with respect to each step's input vector, (T, F)."""
    H = w.H
    T = len(fwd[0][1])
    up = np.zeros((T, H), np.float32)                # gradient arriving at each step's h from above
    up[-1] = dh_top
    with _no_denormals():
        for k in reversed(range(len(w.layers))):
            L = w.layers[k]
            S, C = (np.ascontiguousarray(a, np.float32) for a in fwd[k])
            dG = np.empty((T, 4 * H), np.float32)
            _backward_layer(S, C, np.tanh(C), up, L["w_hh"], dG)
            up = np.ascontiguousarray(dG @ L["w_ih"].T)   # (T, F): to the layer below, or the inputs
    return up


_ORDER = {"i": 0, "f": 1, "g": 2, "o": 3, "c": 4, "h": 5}


def edit_masks(edit, H: int) -> tuple[np.ndarray, np.ndarray]:
    """A ``demo.cells.Edit`` (or None) as dense forced values (6, H) for i, f, g, o, c, h: a
    mask and the values, the same result as assigning the edits in order."""
    mask, val = np.zeros((6, H), np.bool_), np.zeros((6, H), np.float32)
    if edit is not None:
        for name, value in edit.gates:
            mask[_ORDER[name]] = True
            val[_ORDER[name]] = value
        for name, idx, vals in edit.units:
            mask[_ORDER[name], idx.numpy()] = True
            val[_ORDER[name], idx.numpy()] = vals.numpy()
    return mask, val


class BatchStepper:
    """Sampling's loop body for up to ``slots`` texts at once (one state per slot): each call
    feeds one character to each given slot and returns their next-character logits (n, V).  The
    weights are read once per call for all of them, and a slot's numbers are the same whatever
    else runs beside it.  A slot opened with an ``edit`` has values of the top layer forced at
    every step, as the hand cells do: each gate as it is computed, then c, then h.

        bs = BatchStepper(w, w_out, b_out, slots=64)
        a = bs.open()                         # a free slot at the zero state (or edit=...)
        logits = bs.step([a, b], [i_a, i_b])  # (2, V) float32
        bs.close(a)
    """

    def __init__(self, w: CellWeights, w_out: np.ndarray, b_out: np.ndarray, slots: int = 1):
        H, N = w.H, int(slots)
        k = 4 if w.cell == "lstm" else 1
        self.w, self.H, self.slots = w, H, N
        self.w_outT = np.ascontiguousarray(np.asarray(w_out, np.float32).T)   # (V, H)
        self.b_out = np.ascontiguousarray(b_out, np.float32)                   # (V,)
        self.h = [np.zeros((N, H), np.float32) for _ in w.layers]
        self.c = [np.zeros((N, H), np.float32) for _ in w.layers]
        self.z = np.empty((N, k * H), np.float32)     # the pre-activations, then the gates
        self.zh = np.empty((N, k * H), np.float32)    # layers above: the recurrent part of z
        self.mask = np.zeros((N, 6, H), np.bool_)     # the top layer's forced values, per slot
        self.val = np.zeros((N, 6, H), np.float32)
        self.no_edit = np.zeros((N, 6, H), np.bool_)  # the layers below
        self.logits = np.empty((N, self.b_out.size), np.float32)   # scratch for _head
        self.free = list(range(N - 1, -1, -1))
        self.t = 0

    def open(self, edit=None) -> int:
        """A free slot, its state at zero; ValueError when every slot is taken."""
        if not self.free:
            raise ValueError(f"all {self.slots} sampling slots are in use")
        b = self.free.pop()
        for a in (*self.h, *self.c):
            a[b] = 0.0
        self.mask[b], self.val[b] = edit_masks(edit, self.H)
        return b

    def close(self, b: int) -> None:
        self.free.append(b)

    def step(self, slots, ids) -> np.ndarray:
        slots = np.asarray(slots, np.int64)
        ids = np.asarray(ids, np.int64)
        reverse = self.t % 2 == 1   # the cache order only (see above): not the numbers
        self.t += 1
        top = len(self.w.layers) - 1
        kind = self.w.kind
        out = np.empty((slots.size, self.b_out.size), np.float32)
        with _no_denormals():
            for k, L in enumerate(self.w.layers):
                mask = self.mask if k == top else self.no_edit
                if k == 0:
                    _step_first(L["proj"], ids, slots, L["w_hhT"], self.h[0], self.c[0], self.z, reverse,
                                mask, self.val, kind)
                else:
                    _step_above(self.h[k - 1], slots, L["w_ihT"], L["b"], L["w_hhT"], self.h[k], self.c[k],
                                self.z, self.zh, mask, self.val, kind)
            _head(self.w_outT, self.b_out, self.h[top], slots, self.logits, out)
        return out


class Stepper:
    """One text's sampling loop body: feed one character, get the next-character logits (V,)
    float32; a BatchStepper with one slot, so the text is the one a batch would write."""

    def __init__(self, w: CellWeights, w_out: np.ndarray, b_out: np.ndarray, edit=None):
        self.batch = BatchStepper(w, w_out, b_out, 1)
        self.slot = self.batch.open(edit)

    @property
    def h(self) -> list[np.ndarray]:
        return [a[self.slot] for a in self.batch.h]

    @property
    def c(self) -> list[np.ndarray]:
        return [a[self.slot] for a in self.batch.c]

    def __call__(self, idx: int) -> np.ndarray:
        return self.batch.step([self.slot], [idx])[0]
