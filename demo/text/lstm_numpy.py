"""The LSTM as plain float32 numpy loops: exact (the hand cells' numbers to ~1e-6), no autograd,
and numpy's matrix products release the GIL, so a busy server keeps its other core.

    w = LSTMWeights(model.hand, model._table)          # once per model (CharModel.lstm_weights)
    fwd = lstm_forward(w, ids)                         # per layer (S (T, 4H) gates, C (T, H))
    dx = lstm_input_grads(w, fwd, dh_top)              # (T, F): connectivity's backward
    step = LSTMStepper(w, w_out, b_out, edit)          # sampling: logits = step(idx), (V,)

Used by ``demo.text.connectivity`` (the gradient of one prediction) and ``CharModel``'s sampling
loop.  Pure numpy.
"""
from __future__ import annotations

import numpy as np

# One prediction's gradient is a chain of ~2 x T dependent matrix-vector products with each
# layer's recurrent matrix (4H x H: 2.4 MB for H = 384, a little more than one core's L2), so the
# time is memory traffic.  Two things cut it: the forward and the backward are plain loops over
# float32 numpy (no autograd graph, no weight gradients), and each product walks the four gate
# blocks forwards on one step and backwards on the next, so the blocks read last are still in
# the cache when the next step starts (~20% faster than reading them in one order).

class LSTMWeights:
    """A HandRNN LSTM's weights as numpy, laid out for the two loops (built once per model)."""

    def __init__(self, hand, table):
        H = hand.hidden
        self.H = H
        self.layers = []
        for k, L in enumerate(hand.layers):
            w_ih = L.w_ih.numpy()                    # (F, 4H); layer 0's F is the embedding size
            w_hh = L.w_hh.numpy()                    # (H, 4H)
            # tanh(z/2) gives a sigmoid as 0.5 tanh(z/2) + 0.5, so i, f and o are scaled by 1/2
            # and all four gates take a single tanh per step (g keeps its scale: g = tanh(z)).
            scale = np.full(4 * H, 0.5, np.float32)
            scale[2 * H:3 * H] = 1.0
            fwd = [np.ascontiguousarray(w_hh[:, j * H:(j + 1) * H] * scale[j * H]) for j in range(4)]  # (H, H) each
            bwd = [np.ascontiguousarray(w_hh[:, j * H:(j + 1) * H].T) for j in range(4)]                # (H, H) each
            b = (L.b_ih + L.b_hh).numpy()
            proj = (table.numpy() + L.b_hh.numpy()) if k == 0 else None   # (V, 4H): b_ih is in the table
            # for one step at a time (sampling): everything pre-scaled, the input matrix in gate
            # blocks too (layer 0 looks its input projection up: proj_scaled[idx])
            step = dict(proj=None if proj is None else proj * scale,
                        # layers above: [x, h] @ [[W_ih], [W_hh]] in one product (2H, 4H)
                        both=None if k == 0 else np.ascontiguousarray(np.vstack([w_ih, w_hh]) * scale),
                        b=b * scale)
            self.layers.append(dict(w_ih=w_ih, scale=scale, fwd=fwd, bwd=bwd, b=b, proj=proj, step=step))


def _snake(step: int) -> range:
    return range(4) if step % 2 == 0 else range(3, -1, -1)


def lstm_forward(w: LSTMWeights, ids: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Read ids (T,) from the zero state: per layer (S, C) with S (T, 4H) the gate activations
    i, f, g, o side by side and C (T, H) the cell state after each step."""
    H, T = w.H, len(ids)
    out = []
    inp = None                                       # (T, H) the layer below's h
    for k, L in enumerate(w.layers):
        xp = L["proj"][ids] if k == 0 else inp @ L["w_ih"] + L["b"]   # (T, 4H) input projections
        xp *= L["scale"]
        S = np.empty((T, 4 * H), np.float32)
        C = np.empty((T, H), np.float32)
        hs = np.empty((T, H), np.float32)
        h = np.zeros(H, np.float32)
        c = np.zeros(H, np.float32)
        z = np.empty(4 * H, np.float32)
        tc = np.empty(H, np.float32)
        for t in range(T):
            for j in _snake(t):
                np.matmul(h, L["fwd"][j], out=z[j * H:(j + 1) * H])
            z += xp[t]
            s = S[t]
            np.tanh(z, out=s)                        # g = tanh(z_g); i, f, o still as tanh(z/2)
            s[:2 * H] *= 0.5
            s[:2 * H] += 0.5
            s[3 * H:] *= 0.5
            s[3 * H:] += 0.5
            np.multiply(s[H:2 * H], c, out=C[t])     # c = f c + i g
            C[t] += s[:H] * s[2 * H:3 * H]
            c = C[t]
            np.tanh(c, out=tc)
            h = hs[t]
            np.multiply(s[3 * H:], tc, out=h)        # h = o tanh(c)
        out.append((S, C))
        inp = hs
    return out


def lstm_input_grads(w: LSTMWeights, fwd, dh_top: np.ndarray) -> np.ndarray:
    """Backward from dh_top (H,), the gradient at the last step's top h, through every layer
    and step: the gradient with respect to each step's input vector, (T, F)."""
    H = w.H
    T = len(fwd[0][1])
    up = np.zeros((T, H), np.float32)                # gradient arriving at each step's h from above
    up[-1] = dh_top
    for k in reversed(range(len(w.layers))):
        L = w.layers[k]
        S, C = fwd[k]
        i, f, g, o = S[:, :H], S[:, H:2 * H], S[:, 2 * H:3 * H], S[:, 3 * H:]
        tc = np.tanh(C)
        c_prev = np.vstack([np.zeros((1, H), np.float32), C[:-1]])
        a_o = tc * o * (1 - o)                       # d gate o / d h  (pre-activation)
        b_c = o * (1 - tc * tc)                      # d c / d h
        # d pre-activation of i, f, g per unit of dc: (T, 3H)
        a_c = np.concatenate([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g)], 1)
        dG = np.empty((T, 4 * H), np.float32)        # d log p / d pre-activations
        dh_next = np.zeros(H, np.float32)
        dc = np.zeros(H, np.float32)
        acc = np.empty(H, np.float32)
        for t in range(T - 1, -1, -1):
            dh = up[t] + dh_next
            dc *= f[t + 1] if t + 1 < T else 0.0
            dc += dh * b_c[t]
            row = dG[t]
            np.multiply(a_c[t].reshape(3, H), dc, out=row[:3 * H].reshape(3, H))
            np.multiply(dh, a_o[t], out=row[3 * H:])
            order = _snake(t)
            first = True
            for j in order:
                if first:
                    np.matmul(row[j * H:(j + 1) * H], L["bwd"][j], out=acc)
                    first = False
                else:
                    acc += row[j * H:(j + 1) * H] @ L["bwd"][j]
            dh_next = acc.copy()
        up = dG @ L["w_ih"].T                        # (T, F): to the layer below, or the inputs
    return up


class LSTMStepper:
    """Sampling's loop body: feed one character, get the next-character logits (V,) float32.
    The state starts at zero; ``edit`` (a ``demo.cells.Edit``, or None) forces values of the top
    layer at every step, as the hand cells do: each gate as it is computed, then c, then h."""

    def __init__(self, w: LSTMWeights, w_out: np.ndarray, b_out: np.ndarray, edit=None):
        H = w.H
        self.w, self.H = w, H
        self.w_out = np.ascontiguousarray(w_out, np.float32)   # (H, V)
        self.b_out = np.asarray(b_out, np.float32)              # (V,)
        self.h = [np.zeros(H, np.float32) for _ in w.layers]
        self.c = [np.zeros(H, np.float32) for _ in w.layers]
        self.z = np.empty(4 * H, np.float32)    # the gates' pre-activations, then the gates
        self.zh = np.empty(4 * H, np.float32)   # layer 0: the recurrent part of z
        self.xh = [np.empty(2 * H, np.float32) for _ in w.layers]  # layers above: [x, h]
        self.part = np.empty(H, np.float32)
        self.tc = np.empty(H, np.float32)
        self.t = 0
        self.edits = {}   # name -> [(unit indices or None for all, values)]
        if edit is not None:
            for name, value in edit.gates:
                self.edits.setdefault(name, []).append((slice(None), np.float32(value)))
            for name, idx, vals in edit.units:
                self.edits.setdefault(name, []).append((idx.numpy(), vals.numpy()))

    def _edit(self, name: str, v: np.ndarray) -> None:
        for idx, vals in self.edits.get(name, ()):
            v[idx] = vals

    def __call__(self, idx: int) -> np.ndarray:
        H, z, zh = self.H, self.z, self.zh
        order = _snake(self.t)
        self.t += 1
        inp = None
        top = len(self.w.layers) - 1
        for k, L in enumerate(self.w.layers):
            st, h, c = L["step"], self.h[k], self.c[k]
            if k == 0:
                # the recurrent matrix's gate blocks, read in the reverse order of the step before
                # (see above); the input part is looked up
                for j in order:
                    np.matmul(h, L["fwd"][j], out=zh[j * H:(j + 1) * H])
                np.add(st["proj"][idx], zh, out=z)
            else:
                # [x, h] @ [[W_ih], [W_hh]]: one product (4.7 MB for H = 384: no cache to reuse)
                xh = self.xh[k]
                xh[:H] = inp
                xh[H:] = h
                np.matmul(xh, st["both"], out=z)
                z += st["b"]
            np.tanh(z, out=z)                        # g = tanh(z_g); i, f, o as tanh(z/2)
            z[:2 * H] *= 0.5
            z[:2 * H] += 0.5
            z[3 * H:] *= 0.5
            z[3 * H:] += 0.5
            i, f, g, o = z[:H], z[H:2 * H], z[2 * H:3 * H], z[3 * H:]
            edit = k == top and self.edits
            if edit:
                for name, v in (("i", i), ("f", f), ("g", g), ("o", o)):
                    self._edit(name, v)
            c *= f                                   # c = f c + i g
            np.multiply(i, g, out=self.part)
            c += self.part
            if edit:
                self._edit("c", c)
            np.tanh(c, out=self.tc)
            np.multiply(o, self.tc, out=h)           # h = o tanh(c)
            if edit:
                self._edit("h", h)
            inp = h
        return inp @ self.w_out + self.b_out
