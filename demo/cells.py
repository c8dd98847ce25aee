"""Hand-written RNN, GRU and LSTM layers that step one input at a time and show every gate.

They read their weights from ``torch.nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` (same parameter names,
same gate order) and reproduce those modules to float32 precision, so training can use the fast
cuDNN/oneDNN kernels while tracing uses these transparent equations:

    RNN   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)            (or relu)
    GRU   r = s(W_ir x + b_ir + W_hr h + b_hr)                   s = sigmoid
          z = s(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
          h' = (1 - z) * n + z * h
    LSTM  i, f, o = s(W_i* x + b_i* + W_h* h + b_h*),  g = tanh(W_ig x + b_ig + W_hg h + b_hg)
          c' = f * c + i * g,  h' = o * tanh(c')

Nothing here knows about digits or text.  Shapes: x (B, F), h and c (B, H), sequences (B, T, F).

Interventions (``Edit``) act on the top layer while it runs: a gate forced to a value for every
unit, or single units of h, c or a gate forced to a value (0 = ablated), from a given step on.
The edited values flow on through the recurrence, so later steps see the consequences:

    edit = Edit.make("lstm", 128, gates={"f": 1.0}, units={("h", 3): 0.0}, from_step=10)
    top_h, state, trace = hand.run(xs, edit=edit)
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import torch
from torch import Tensor, nn

CELLS = ("rnn", "gru", "lstm")
GATES = {"rnn": (), "gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o")}
_CHUNKS = {"rnn": 1, "gru": 3, "lstm": 4}


def torch_module(cell: str, input_size: int, hidden: int, layers: int = 1, dropout: float = 0.0,
                 batch_first: bool = True) -> nn.RNNBase:
    """The fast PyTorch module used for training; its state_dict is what the hand cells read."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
    cls = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]
    return cls(input_size, hidden, num_layers=layers, dropout=dropout if layers > 1 else 0.0,
               batch_first=batch_first)


@dataclass(frozen=True)
class Edit:
    """Forced values on the top layer.  ``gates``: gate name -> value for every unit;
    ``units``: (name, unit) -> value, where name is "h", "c" (LSTM) or a gate; ``from_step``:
    the first step (1-based) it applies to.  Build with ``Edit.make``, which checks names and
    units against the cell and size (ValueError)."""
    gates: tuple[tuple[str, float], ...] = ()
    units: tuple[tuple[str, Tensor, Tensor], ...] = ()  # (name, unit indices (n,), values (n,))
    from_step: int = 1

    @classmethod
    def make(cls, cell: str, hidden: int, gates: dict | None = None, units: dict | None = None,
             from_step: int = 1) -> "Edit | None":
        """A checked Edit, or None when there is nothing to edit (the plain run)."""
        names = GATES[cell]
        gates, units = dict(gates or {}), dict(units or {})
        for name, value in gates.items():
            if name not in names:
                known = ", ".join(names) or "none (a plain RNN has no gates)"
                raise ValueError(f"unknown gate {name!r} for the {cell.upper()}; its gates: {known}")
            _check_value(value, f"gate {name}")
        grouped: dict[str, dict[int, float]] = {}
        for key, value in units.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ValueError(f"a unit is written (state, index), e.g. ('h', 3); got {key!r}")
            name, unit = key
            if name not in ("h", *names, *(("c",) if cell == "lstm" else ())):
                states = ", ".join(("h", "c") if cell == "lstm" else ("h",))
                raise ValueError(f"unknown state {name!r} for the {cell.upper()}; use {states}"
                                 + (f" or a gate ({', '.join(names)})" if names else ""))
            try:
                if isinstance(unit, bool):
                    raise TypeError
                unit = operator.index(unit)  # int or numpy integer
            except TypeError:
                raise ValueError(f"a unit number must be a whole number, got {unit!r}") from None
            if not 0 <= unit < hidden:
                raise ValueError(f"unit {unit} is out of range: the layer has units 0 to {hidden - 1}")
            grouped.setdefault(name, {})[unit] = _check_value(value, f"{name}[{unit}]")
        if isinstance(from_step, bool) or not isinstance(from_step, int) or from_step < 1:
            raise ValueError(f"an edit starts at step 1 or later, got {from_step!r}")
        if not gates and not grouped:
            return None
        return cls(tuple((n, float(v)) for n, v in gates.items()),
                   tuple((n, torch.tensor(sorted(d)), torch.tensor([d[u] for u in sorted(d)], dtype=torch.float32))
                         for n, d in grouped.items()),
                   from_step)

    def apply(self, name: str, v: Tensor) -> Tensor:
        """v (B, H) with this edit's forced values for ``name``, written in place: every caller
        hands over a tensor it has just computed (a gate, c or h of this step), and a copy per
        step would cost as much as the plain RNN's whole step."""
        for n, value in self.gates:
            if n == name:
                v.fill_(value)
        for n, idx, vals in self.units:
            if n == name:
                v[:, idx] = vals
        return v


def _check_value(value, what: str) -> float:
    try:
        if isinstance(value, (bool, str, bytes)):
            raise TypeError
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be set to a number, got {value!r}") from None
    if not math.isfinite(v) or abs(v) > 1e6:
        raise ValueError(f"{what} must be set to a finite number (|v| <= 1e6), got {value!r}")
    return v


@dataclass
class Layer:
    """One layer's weights, pre-transposed so a step is ``x @ w_ih + h @ w_hh``."""
    w_ih: Tensor  # (F, k*H)
    w_hh: Tensor  # (H, k*H)
    b_ih: Tensor  # (k*H,)
    b_hh: Tensor  # (k*H,)


class HandRNN:
    """A stack of hand-written layers equal to ``nn.RNN/GRU/LSTM`` (unidirectional, batch-first).

    ``state`` is a list with one entry per layer: ``h`` (B, H) for rnn/gru, ``(h, c)`` for lstm.
    """

    def __init__(self, cell: str, layers: list[Layer], nonlinearity: str = "tanh"):
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
        self.cell = cell
        self.layers = layers
        self.hidden = layers[0].w_hh.shape[0]
        self.act = torch.relu if nonlinearity == "relu" else torch.tanh

    @classmethod
    def from_state_dict(cls, cell: str, state: dict[str, Tensor], num_layers: int,
                        prefix: str = "", nonlinearity: str = "tanh") -> "HandRNN":
        layers = []
        for k in range(num_layers):
            get = lambda name: state[f"{prefix}{name}_l{k}"].detach().float()
            w_ih, w_hh = get("weight_ih"), get("weight_hh")
            has_bias = f"{prefix}bias_ih_l{k}" in state
            zeros = torch.zeros(w_ih.shape[0])
            layers.append(Layer(w_ih.t().contiguous(), w_hh.t().contiguous(),
                                get("bias_ih") if has_bias else zeros,
                                get("bias_hh") if has_bias else zeros))
        return cls(cell, layers, nonlinearity)

    @classmethod
    def from_torch(cls, module: nn.RNNBase) -> "HandRNN":
        if module.bidirectional or getattr(module, "proj_size", 0):
            raise ValueError("only unidirectional modules without projections are supported")
        cell = {nn.RNN: "rnn", nn.GRU: "gru", nn.LSTM: "lstm"}[type(module)]
        nonlin = getattr(module, "nonlinearity", "tanh")
        return cls.from_state_dict(cell, module.state_dict(), module.num_layers, nonlinearity=nonlin)

    def init_state(self, batch: int) -> list:
        zero = lambda: torch.zeros(batch, self.hidden)
        return [(zero(), zero()) if self.cell == "lstm" else zero() for _ in self.layers]

    def step_layer(self, k: int, xw: Tensor, state, record: bool = False, edit: Edit | None = None):
        """Advance layer k by one step.  ``xw`` is the input already projected: x @ w_ih + b_ih,
        (B, k*H).  Returns (h, new_state, gates) where gates maps name -> (B, H) when recording.
        ``edit`` forces values as they are computed (each gate, then c, then h)."""
        L = self.layers[k]
        gates = {}
        e = edit.apply if edit is not None else (lambda name, v: v)
        if self.cell == "lstm":
            h, c = state
            z = torch.addmm(xw + L.b_hh, h, L.w_hh)
            i, f, g, o = z.chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            if edit is not None:
                i, f, g, o = e("i", i), e("f", f), e("g", g), e("o", o)
            c = e("c", f * c + i * g)
            h = e("h", o * torch.tanh(c))
            if record:
                gates = {"i": i, "f": f, "g": g, "o": o, "c": c}
            return h, (h, c), gates
        if self.cell == "gru":
            hw = torch.addmm(L.b_hh, state, L.w_hh)
            xr, xz, xn = xw.chunk(3, dim=1)
            hr, hz, hn = hw.chunk(3, dim=1)
            r = e("r", torch.sigmoid(xr + hr))
            z = e("z", torch.sigmoid(xz + hz))
            n = e("n", torch.tanh(xn + r * hn))
            h = e("h", n + z * (state - n))  # == (1 - z) * n + z * h
            if record:
                gates = {"r": r, "z": z, "n": n}
            return h, h, gates
        h = e("h", self.act(torch.addmm(xw + L.b_hh, state, L.w_hh)))
        return h, h, gates

    def project(self, k: int, x: Tensor) -> Tensor:
        """Input projection of layer k for any leading shape: (..., F) -> (..., k*H)."""
        L = self.layers[k]
        return x @ L.w_ih + L.b_ih

    def step(self, x: Tensor, state: list | None = None, record: bool = False, projected: bool = False,
             edit: Edit | None = None):
        """One time step through every layer.  x (B, F) -> top h (B, H), new state, per-layer gates.
        projected=True: x is already layer 0's input projection (B, k*H), e.g. a looked-up row.
        ``edit`` acts on the top layer (the caller decides from which step on)."""
        state = state if state is not None else self.init_state(x.shape[0])
        new_state, trace = [], []
        inp = x
        top = len(self.layers) - 1
        for k in range(len(self.layers)):
            xw = inp if projected and k == 0 else self.project(k, inp)
            inp, s, gates = self.step_layer(k, xw, state[k], record, edit if k == top else None)
            new_state.append(s)
            trace.append({**gates, "h": inp} if record else {})
        return inp, new_state, trace

    @torch.no_grad()
    def run(self, xs: Tensor, state: list | None = None, record: bool = True, projected: bool = False,
            edit: Edit | None = None):
        """Run a whole sequence xs (B, T, F).  Returns outputs (B, T, H) of the top layer, the final
        state and, when recording, per layer a dict name -> (B, T, H) of every gate, c and h.
        projected=True: xs is already layer 0's input projection (B, T, k*H).  ``edit`` acts on
        the top layer from its ``from_step`` on."""
        B, T, _ = xs.shape
        state = state if state is not None else self.init_state(B)
        inp = xs
        traces = []
        new_state = []
        for k in range(len(self.layers)):
            # one matmul for all steps: (B, T, k*H)
            xw = inp if projected and k == 0 else self.project(k, inp)
            s = state[k]
            outs, rec = [], {}
            for t in range(T):
                active = edit if k == len(self.layers) - 1 and edit is not None and t + 1 >= edit.from_step else None
                h, s, gates = self.step_layer(k, xw[:, t], s, record, active)
                outs.append(h)
                for name, v in gates.items():
                    rec.setdefault(name, []).append(v)
            inp = torch.stack(outs, dim=1)
            new_state.append(s)
            if record:
                traces.append({**{n: torch.stack(v, 1) for n, v in rec.items()}, "h": inp})
        return inp, new_state, traces
