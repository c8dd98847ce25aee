"""Hand-written RNN, GRU, LSTM and peephole-LSTM layers that step one input at a time and show
every gate, one way or both ways (bidirectional).

They read their weights from ``torch.nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` (same parameter names,
same gate order, ``_reverse`` for the backward direction) or from ``PeepholeLSTM`` below, and
reproduce those modules to float32 precision, so training can use the fast kernels while tracing
uses these transparent equations:

    RNN   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)            (or relu)
    GRU   r = s(W_ir x + b_ir + W_hr h + b_hr)                   s = sigmoid
          z = s(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
          h' = (1 - z) * n + z * h
    LSTM  i, f, o = s(W_i* x + b_i* + W_h* h + b_h*),  g = tanh(W_ig x + b_ig + W_hg h + b_hg)
          c' = f * c + i * g,  h' = o * tanh(c')
    peephole LSTM (Gers & Schmidhuber 2000): the gates also see the cell, through diagonal
          weights p_i, p_f, p_o (H,):  i = s(... + p_i * c),  f = s(... + p_f * c),
          c' = f * c + i * g,  o = s(... + p_o * c'),  h' = o * tanh(c')

Bidirectional: each layer has a forward direction reading steps 1..T and a backward direction
with its own weights reading T..1; the layer's output at step t is [h_fwd(t), h_bwd(t)] (B, 2H),
the next layer's input.  States follow torch's layout: h0 / h_n (layers * directions, B, H),
entry k * directions + d for layer k, direction d (0 forward, 1 backward).

Nothing here knows about digits or text.  Shapes: x (B, F), h and c (B, H), sequences (B, T, F).

Interventions (``Edit``) act on the top layer while it runs: a gate forced to a value for every
unit, or single units of h, c or a gate forced to a value (0 = ablated), from a given step on
(counted in the direction's own reading order), in one direction or both.  The edited values
flow on through the recurrence, so later steps see the consequences:

    edit = Edit.make("lstm", 128, gates={"f": 1.0}, units={("h", 3): 0.0}, from_step=10)
    out, h_n, trace = hand.run(xs, edit=edit)
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import torch
from torch import Tensor, nn

CELLS = ("rnn", "gru", "lstm", "peephole")
GATES = {"rnn": (), "gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o"), "peephole": ("i", "f", "g", "o")}
DIRECTIONS = ("forward", "backward")
HAS_CELL_STATE = ("lstm", "peephole")  # cells whose state is (h, c)


def torch_module(cell: str, input_size: int, hidden: int, layers: int = 1, dropout: float = 0.0,
                 batch_first: bool = True, bidirectional: bool = False) -> nn.Module:
    """The fast PyTorch module used for training; its state_dict is what the hand cells read.
    rnn/gru/lstm: torch's own; peephole: ``PeepholeLSTM`` (one direction only)."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
    dropout = dropout if layers > 1 else 0.0
    if cell == "peephole":
        if bidirectional:
            raise ValueError("the peephole LSTM here reads one way; use the lstm cell for both ways")
        return PeepholeLSTM(input_size, hidden, layers, dropout, batch_first)
    cls = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]
    return cls(input_size, hidden, num_layers=layers, dropout=dropout, batch_first=batch_first,
               bidirectional=bidirectional)


class PeepholeLSTM(nn.Module):
    """A stacked peephole LSTM with nn.LSTM's interface: ``out, (h_n, c_n) = m(x, (h0, c0))``,
    x (B, T, F) batch-first, out (B, T, H), h_n and c_n (layers, B, H).  Parameters are named like
    nn.LSTM's (gate order i, f, g, o) plus ``weight_peep_l{k}`` (3, H): the diagonal peephole
    weights of i, f (they see c_{t-1}) and o (it sees c_t).  Torch has no fused kernel for it, so
    each layer projects all inputs in one matmul and loops over the steps."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0,
                 batch_first: bool = True):
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.dropout, self.batch_first = dropout, batch_first
        self.bidirectional, self.proj_size = False, 0
        H = hidden_size
        for k in range(num_layers):
            F = input_size if k == 0 else H
            self.register_parameter(f"weight_ih_l{k}", nn.Parameter(torch.empty(4 * H, F)))
            self.register_parameter(f"weight_hh_l{k}", nn.Parameter(torch.empty(4 * H, H)))
            self.register_parameter(f"bias_ih_l{k}", nn.Parameter(torch.empty(4 * H)))
            self.register_parameter(f"bias_hh_l{k}", nn.Parameter(torch.empty(4 * H)))
            self.register_parameter(f"weight_peep_l{k}", nn.Parameter(torch.empty(3, H)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.hidden_size)  # nn.LSTM's init, peepholes included
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        if not self.batch_first:
            x = x.transpose(0, 1)
        B, T, _ = x.shape
        L, H = self.num_layers, self.hidden_size
        if hx is None:
            zeros = x.new_zeros(L, B, H)
            hx = (zeros, zeros)
        inp, hs, cs = x, [], []
        for k in range(L):
            w_hh = getattr(self, f"weight_hh_l{k}").t()  # (H, 4H)
            p_i, p_f, p_o = getattr(self, f"weight_peep_l{k}")  # (H,) each
            bias = getattr(self, f"bias_ih_l{k}") + getattr(self, f"bias_hh_l{k}")
            xw = nn.functional.linear(inp, getattr(self, f"weight_ih_l{k}"), bias)  # (B, T, 4H)
            h, c = hx[0][k], hx[1][k]
            outs = []
            for t in range(T):
                zi, zf, zg, zo = torch.addmm(xw[:, t], h, w_hh).chunk(4, dim=1)
                i, f = torch.sigmoid(zi + p_i * c), torch.sigmoid(zf + p_f * c)
                c = f * c + i * torch.tanh(zg)
                h = torch.sigmoid(zo + p_o * c) * torch.tanh(c)
                outs.append(h)
            inp = torch.stack(outs, dim=1)  # (B, T, H)
            if self.dropout and self.training and k < L - 1:
                inp = nn.functional.dropout(inp, self.dropout, training=True)
            hs.append(h)
            cs.append(c)
        out = inp if self.batch_first else inp.transpose(0, 1)
        return out, (torch.stack(hs), torch.stack(cs))


@dataclass(frozen=True)
class Edit:
    """Forced values on the top layer.  ``gates``: gate name -> value for every unit;
    ``units``: (name, unit) -> value, where name is "h", "c" (LSTMs) or a gate; ``from_step``:
    the first step (1-based, in the direction's own reading order) it applies to; ``direction``:
    "forward", "backward" or "both" (a one-way network has only the forward one).  Build with
    ``Edit.make``, which checks names and units against the cell and size (ValueError)."""
    gates: tuple[tuple[str, float], ...] = ()
    units: tuple[tuple[str, Tensor, Tensor], ...] = ()  # (name, unit indices (n,), values (n,))
    from_step: int = 1
    direction: str = "both"

    @classmethod
    def make(cls, cell: str, hidden: int, gates: dict | None = None, units: dict | None = None,
             from_step: int = 1, direction: str = "both") -> "Edit | None":
        """A checked Edit, or None when there is nothing to edit (the plain run)."""
        gates, units = dict(gates or {}), dict(units or {})
        for name, value in gates.items():
            _check_gate(cell, name)
            _check_value(value, f"gate {name}")
        grouped: dict[str, dict[int, float]] = {}
        for key, value in units.items():
            name, unit = _check_unit(cell, hidden, key)
            grouped.setdefault(name, {})[unit] = _check_value(value, f"{name}[{unit}]")
        if isinstance(from_step, bool) or not isinstance(from_step, int) or from_step < 1:
            raise ValueError(f"an edit starts at step 1 or later, got {from_step!r}")
        if direction not in (*DIRECTIONS, "both"):
            raise ValueError(f"an edit acts on the forward, backward or both directions, got {direction!r}")
        if not gates and not grouped:
            return None
        return cls(tuple((n, float(v)) for n, v in gates.items()),
                   tuple((n, torch.tensor(sorted(d)), torch.tensor([d[u] for u in sorted(d)], dtype=torch.float32))
                         for n, d in grouped.items()),
                   from_step, direction)

    def acts_on(self, d: int) -> bool:
        """Whether this edit acts on direction d (0 forward, 1 backward)."""
        return self.direction in ("both", DIRECTIONS[d])

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


def _check_gate(cell: str, name) -> None:
    names = GATES[cell]
    if name not in names:
        known = ", ".join(names) or "none (a plain RNN has no gates)"
        raise ValueError(f"unknown gate {name!r} for the {cell.upper()}; its gates: {known}")


def _check_unit(cell: str, hidden: int, key) -> tuple[str, int]:
    if not (isinstance(key, tuple) and len(key) == 2):
        raise ValueError(f"a unit is written (state, index), e.g. ('h', 3); got {key!r}")
    name, unit = key
    names, states = GATES[cell], ("h", "c") if cell in HAS_CELL_STATE else ("h",)
    if name not in (*states, *names):
        raise ValueError(f"unknown state {name!r} for the {cell.upper()}; use {', '.join(states)}"
                         + (f" or a gate ({', '.join(names)})" if names else ""))
    try:
        if isinstance(unit, bool):
            raise TypeError
        unit = operator.index(unit)  # int or numpy integer
    except TypeError:
        raise ValueError(f"a unit number must be a whole number, got {unit!r}") from None
    if not 0 <= unit < hidden:
        raise ValueError(f"unit {unit} is out of range: the layer has units 0 to {hidden - 1}")
    return name, unit


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
    """One layer's (one direction's) weights, pre-transposed so a step is ``x @ w_ih + h @ w_hh``."""
    w_ih: Tensor  # (F, k*H)
    w_hh: Tensor  # (H, k*H)
    b_ih: Tensor  # (k*H,)
    b_hh: Tensor  # (k*H,)
    peep: Tensor | None = None  # (3, H): peephole weights of i, f, o (peephole LSTM only)


class HandRNN:
    """A stack of hand-written layers equal to ``nn.RNN/GRU/LSTM`` (batch-first, one way or both)
    or ``PeepholeLSTM``.

    ``layers`` lists every (layer, direction) in torch's order: entry k * directions + d.
    ``step`` carries a list with one state per layer (one-way networks only): ``h`` (B, H) for
    rnn/gru, ``(h, c)`` for the LSTMs.  ``run`` takes and gives states in torch's layout.
    """

    def __init__(self, cell: str, layers: list[Layer], nonlinearity: str = "tanh", directions: int = 1):
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
        if directions not in (1, 2) or len(layers) % directions:
            raise ValueError("a network reads one way (directions=1) or both ways (directions=2)")
        self.cell = cell
        self.layers = layers
        self.directions = directions
        self.num_layers = len(layers) // directions
        self.hidden = layers[0].w_hh.shape[0]
        self.act = torch.relu if nonlinearity == "relu" else torch.tanh

    @classmethod
    def from_state_dict(cls, cell: str, state: dict[str, Tensor], num_layers: int, prefix: str = "",
                        nonlinearity: str = "tanh", directions: int = 1) -> "HandRNN":
        layers = []
        for k in range(num_layers):
            for suffix in ("", "_reverse")[:directions]:
                get = lambda name: state[f"{prefix}{name}_l{k}{suffix}"].detach().float()
                w_ih, w_hh = get("weight_ih"), get("weight_hh")
                has_bias = f"{prefix}bias_ih_l{k}{suffix}" in state
                zeros = torch.zeros(w_ih.shape[0])
                peep = get("weight_peep") if cell == "peephole" else None
                layers.append(Layer(w_ih.t().contiguous(), w_hh.t().contiguous(),
                                    get("bias_ih") if has_bias else zeros,
                                    get("bias_hh") if has_bias else zeros, peep))
        return cls(cell, layers, nonlinearity, directions)

    @classmethod
    def from_torch(cls, module: nn.Module) -> "HandRNN":
        if getattr(module, "proj_size", 0):
            raise ValueError("LSTMs with projections (proj_size) are not supported")
        if not getattr(module, "batch_first", True):
            raise ValueError("the hand cells read batch-first modules")
        cell = {nn.RNN: "rnn", nn.GRU: "gru", nn.LSTM: "lstm", PeepholeLSTM: "peephole"}[type(module)]
        nonlin = getattr(module, "nonlinearity", "tanh")
        return cls.from_state_dict(cell, module.state_dict(), module.num_layers, nonlinearity=nonlin,
                                   directions=2 if module.bidirectional else 1)

    def init_state(self, batch: int) -> list:
        zero = lambda: torch.zeros(batch, self.hidden)
        return [(zero(), zero()) if self.cell in HAS_CELL_STATE else zero() for _ in self.layers]

    def step_layer(self, k: int, xw: Tensor, state, record: bool = False, edit: Edit | None = None):
        """Advance entry k of ``layers`` by one step.  ``xw`` is the input already projected:
        x @ w_ih + b_ih, (B, k*H).  Returns (h, new_state, gates) where gates maps name -> (B, H)
        when recording.  ``edit`` forces values as they are computed (each gate, then c, then h)."""
        L = self.layers[k]
        gates = {}
        e = edit.apply if edit is not None else (lambda name, v: v)
        if self.cell in HAS_CELL_STATE:
            h, c = state
            z = torch.addmm(xw + L.b_hh, h, L.w_hh)
            i, f, g, o = z.chunk(4, dim=1)
            if L.peep is not None:  # i and f peek at c_{t-1}
                i, f = i + L.peep[0] * c, f + L.peep[1] * c
            i, f, g = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g)
            if edit is not None:
                i, f, g = e("i", i), e("f", f), e("g", g)
            c = e("c", f * c + i * g)
            o = e("o", torch.sigmoid(o + L.peep[2] * c if L.peep is not None else o))  # o peeks at c_t
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
        """Input projection of entry k of ``layers`` for any leading shape: (..., F) -> (..., k*H)."""
        L = self.layers[k]
        return x @ L.w_ih + L.b_ih

    def step(self, x: Tensor, state: list | None = None, record: bool = False, projected: bool = False,
             edit: Edit | None = None):
        """One time step through every layer.  x (B, F) -> top h (B, H), new state, per-layer gates.
        projected=True: x is already layer 0's input projection (B, k*H), e.g. a looked-up row.
        ``edit`` acts on the top layer (the caller decides from which step on).  One-way networks
        only: a backward direction starts from the last step, so it needs ``run``."""
        if self.directions != 1:
            raise ValueError("a bidirectional network reads the whole sequence: use run()")
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

    def torch_state(self, state: list):
        """Per-entry states (a list, as ``step`` and ``run`` carry them) in torch's layout:
        h_n (layers * directions, B, H), or (h_n, c_n) for the LSTMs."""
        if self.cell in HAS_CELL_STATE:
            return torch.stack([s[0] for s in state]), torch.stack([s[1] for s in state])
        return torch.stack(state)

    def from_torch_state(self, hx) -> list:
        """The inverse of ``torch_state``: h0 or (h0, c0) (layers * directions, B, H) -> a list."""
        if self.cell in HAS_CELL_STATE:
            return [(hx[0][j], hx[1][j]) for j in range(len(self.layers))]
        return [hx[j] for j in range(len(self.layers))]

    @torch.no_grad()
    def run(self, xs: Tensor, hx=None, record: bool = True, projected: bool = False,
            edit: Edit | None = None):
        """Run a whole sequence xs (B, T, F), like the torch module: ``out, h_n, trace``.

        out (B, T, directions * H): the top layer's [forward h, backward h] at each step.
        h_n (and hx, the initial state): torch's layout, h (layers * directions, B, H), or (h, c).
        trace (when recording): per entry of ``layers`` (layer k direction d at k * directions + d)
        a dict name -> (B, T, H) of every gate, c and h, at the step's own position (the backward
        direction's [:, t] is its state after reading steps T..t).
        projected=True: xs is already layer 0's input projection (B, T, k*H), one-way only.
        ``edit`` acts on the top layer, in its direction(s), from its ``from_step`` on: an Edit,
        or a list of Edits with at most one per direction (e.g. other units in each)."""
        B, T, _ = xs.shape
        D = self.directions
        if projected and D != 1:
            raise ValueError("projected inputs are for one-way networks")
        per_direction = self._edits(edit)
        state = self.from_torch_state(hx) if hx is not None else self.init_state(B)
        inp, traces, new_state = xs, [], []
        for k in range(self.num_layers):
            outs = []
            for d in range(D):
                j = k * D + d
                xw = inp if projected and k == 0 else self.project(j, inp)  # all steps: (B, T, k*H)
                top_edit = per_direction[d] if k == self.num_layers - 1 else None
                out, s, rec = self._direction(j, xw, state[j], d == 1, record, top_edit)
                outs.append(out)
                new_state.append(s)
                if record:
                    traces.append({**rec, "h": out})
            inp = torch.cat(outs, dim=-1) if D > 1 else outs[0]
        return inp, self.torch_state(new_state), traces

    def _edits(self, edit) -> list:
        """``run``'s edit argument -> the Edit (or None) of each direction."""
        edits = [] if edit is None else [edit] if isinstance(edit, Edit) else [e for e in edit if e is not None]
        if self.directions == 1 and any(e.direction == "backward" for e in edits):
            raise ValueError("a one-way network has no backward direction to edit")
        per_direction = []
        for d in range(self.directions):
            acting = [e for e in edits if e.acts_on(d)]
            if len(acting) > 1:
                raise ValueError(f"{len(acting)} edits act on the {DIRECTIONS[d]} direction; give one per direction")
            per_direction.append(acting[0] if acting else None)
        return per_direction

    def _direction(self, j: int, xw: Tensor, s, backward: bool, record: bool, edit: Edit | None):
        """One direction of one layer over all steps: out (B, T, H), final state, {gate: (B, T, H)}."""
        T = xw.shape[1]
        order = range(T - 1, -1, -1) if backward else range(T)
        outs, rec = [None] * T, {}
        for n, t in enumerate(order):
            active = edit if edit is not None and n + 1 >= edit.from_step else None
            h, s, gates = self.step_layer(j, xw[:, t], s, record, active)
            outs[t] = h
            for name, v in gates.items():
                rec.setdefault(name, [None] * T)[t] = v
        return torch.stack(outs, dim=1), s, {n: torch.stack(v, 1) for n, v in rec.items()}
