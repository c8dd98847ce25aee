"""Recurrent digit classifiers that read a 28x28 image one row per time step.

    from demo.digits import load_digit_model, to_mnist
    model = load_digit_model("lstm")   # or "gru", "rnn", "bilstm", "peephole"
    probs = model.predict(image)       # {"0": p0, ..., "9": p9}
    trace = model.trace(image)         # every step: h_t, c_t, gates, class probs, as arrays

``to_mnist`` turns what users hand over (PIL images, numpy arrays, Gradio Sketchpad values, file
paths) into an MNIST-style input.  Training (``training/train_digits.py``) uses ``DigitRNN``;
tracing replays its weights through the hand-written cells of ``demo.cells``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from demo.cells import DIRECTIONS, GATES, Edit, HandRNN, torch_module
from demo.checkpoint import WEIGHTS_DIR, build_strict, load_state_strict, load_weights
from demo.digits.preprocess import to_mnist
from demo.errors import UserError

__all__ = ["CLASSES", "CONFIGS", "DigitRNN", "blank_rows", "DigitModel", "DigitTrace", "build_model", "load_digit_model",
           "model_args", "to_mnist"]

CLASSES = [str(d) for d in range(10)]
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of the training images, pixels in [0, 1]
DIGIT_ROWS = 28  # the rows of a drawing; a "remember" model reads blank ones after them


def blank_rows(x, delay: int):
    """x (..., 28, 28) in [0, 1], numpy or torch -> (..., 28 + delay, 28): ``delay`` blank rows below.
    DigitRNN.normalise turns them into zeros: the network reads nothing while it remembers."""
    if not delay:
        return x
    if isinstance(x, torch.Tensor):
        return torch.cat([x, x.new_zeros((*x.shape[:-2], delay, x.shape[-1]))], dim=-2)
    x = np.asarray(x, np.float32)
    return np.concatenate([x, np.zeros((*x.shape[:-2], delay, x.shape[-1]), np.float32)], axis=-2)

# Named configurations.  The shipped models are "lstm", "gru", "rnn", "bilstm" and "peephole"; "teaching" is the
# classic tutorial recipe (LSTM 64, head 64->32->ReLU->10, Adam lr 0.01, batch 64: 97-98%).
# ``drawn``: script-drawn digits (demo.sketches) added to the 55,000 training images;
# ``augment``: per-image random transforms (default True).
CONFIGS = {
    "lstm": dict(cell="lstm", hidden=128, layers=2, head_hidden=0, dropout=0.1,
                 lr=3e-3, batch_size=128, epochs=16, drawn=10000),
    "gru": dict(cell="gru", hidden=128, layers=2, head_hidden=0, dropout=0.1,
                lr=3e-3, batch_size=128, epochs=16, drawn=10000),
    "rnn": dict(cell="rnn", hidden=128, layers=2, head_hidden=0, dropout=0.0,
                lr=2e-3, batch_size=128, epochs=20, drawn=10000),
    # The seeds' other networks: an LSTM reading both ways (128 units per direction) and the
    # peephole LSTM, whose gates also see the cell.
    "bilstm": dict(cell="lstm", hidden=128, layers=2, head_hidden=0, dropout=0.1, bidirectional=True,
                   lr=3e-3, batch_size=128, epochs=16, drawn=10000),
    "peephole": dict(cell="peephole", hidden=128, layers=2, head_hidden=0, dropout=0.1,
                     lr=3e-3, batch_size=128, epochs=16, drawn=10000),
    "teaching": dict(cell="lstm", hidden=64, layers=1, head_hidden=32, dropout=0.0,
                     lr=0.01, batch_size=64, epochs=5),
    # Fastest to 99% on a CPU: one layer, plain images (measured: 99.03% test in 51 s, 1 thread).
    "quick": dict(cell="lstm", hidden=128, layers=1, head_hidden=0, dropout=0.0,
                  lr=4e-3, batch_size=128, epochs=8, drawn=0, augment=False),
}
MODEL_KEYS = ("cell", "hidden", "layers", "head_hidden", "dropout", "bidirectional")


class DigitRNN(nn.Module):
    """rows (B, 28, 28) in [0, 1] -> recurrent stack -> head on the last h -> logits (B, 10).

    A bidirectional stack's head reads [forward h after row 28, backward h after row 1] (B, 2H):
    each direction's state once it has read the whole digit."""

    def __init__(self, cell: str = "lstm", hidden: int = 128, layers: int = 1, head_hidden: int = 0,
                 dropout: float = 0.0, mean: float = MNIST_MEAN, std: float = MNIST_STD,
                 bidirectional: bool = False):
        super().__init__()
        self.cell, self.mean, self.std = cell, mean, std
        self.bidirectional, self.hidden = bidirectional, hidden
        self.rnn = torch_module(cell, 28, hidden, layers, dropout, bidirectional=bidirectional)
        features = hidden * (2 if bidirectional else 1)
        if cell == "rnn":  # orthogonal recurrence keeps a plain RNN's gradients alive over 28 steps
            for name, w in self.rnn.named_parameters():
                if name.startswith("weight_hh"):
                    nn.init.orthogonal_(w)
        if head_hidden:
            self.head = nn.Sequential(nn.Linear(features, head_hidden), nn.ReLU(), nn.Linear(head_hidden, 10))
        else:
            self.head = nn.Sequential(nn.Linear(features, 10))

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        """x (..., T, 28) in [0, 1] -> the standardised input the cells read, (..., T, 28).

        Rows after the 28th are a "remember the digit" task's blank rows (``blank_rows``): they
        become exactly 0, no input at all.  Standardised like ink they would be -0.42 in every
        pixel, a constant drive that a plain RNN can lock onto to carry the digit."""
        z = (x - self.mean) / self.std
        if z.shape[-2] > DIGIT_ROWS:
            z = torch.cat([z[..., :DIGIT_ROWS, :], torch.zeros_like(z[..., DIGIT_ROWS:, :])], dim=-2)
        return z

    def after_each_step(self, out: torch.Tensor) -> torch.Tensor:
        """The recurrent output (B, T, D*H) -> what the head reads after t steps (B, T, D*H).
        One way: h_t.  Both ways: [forward h after rows 1..t, backward h after rows T..T+1-t],
        each direction having read t rows; after T steps both have read the whole digit."""
        if not self.bidirectional:
            return out
        return torch.cat([out[..., :self.hidden], out[..., self.hidden:].flip(-2)], dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.normalise(x))  # (B, 28, D*H)
        return self.head(self.after_each_step(out)[:, -1])


@dataclass(frozen=True)
class DigitTrace:
    """One drawing read by the hand-written cells: every step of the top layer as arrays.

    ``h`` (28, H); ``c`` (28, H) for the LSTMs, else None; ``gates`` {name: (28, H)} (LSTMs i, f,
    g, o; GRU r, z, n); ``probs`` (28, 10) from the head applied to each h_t; ``image`` the
    (28, 28) input; ``layers`` every layer's {name: (28, H)}.  A "remember the digit" model reads
    T = 28 + delay rows (the drawing, then blank ones): each 28 above is then T.

    A bidirectional model (``directions`` 2) has 2H units, every array in step order: row t of
    ``h`` is what the head reads after t steps, units 0..H-1 the forward direction after rows
    1..t and units H..2H-1 the backward direction after rows 28..29-t (its step t reads row
    29 - t).  ``probs[t - 1]`` is the head on that: "confidence after t steps each way".  ``trace["h"]`` is the (28, H)
    array (likewise "c", "probs", "image" and the gate names); ``trace[t - 1]`` builds the
    record of step t on demand: ``row``, ``h``, ``c``, ``gates``, ``probs`` and ``prediction``.
    """
    cell: str
    image: np.ndarray
    h: np.ndarray
    c: np.ndarray | None
    gates: dict[str, np.ndarray]
    probs: np.ndarray
    layers: list[dict[str, np.ndarray]] = field(repr=False)
    directions: int = 1

    def __len__(self) -> int:
        return self.image.shape[0]

    def __getitem__(self, key):
        if isinstance(key, str):
            if key == "image":
                return self.image
            if key in ("h", "c", "probs"):
                return getattr(self, key)
            return self.gates[key]
        t = range(len(self))[key]  # IndexError beyond the steps; negative indices allowed
        p = self.probs[t]
        rec = {"t": t + 1, "row": self.image[t], "h": self.h[t],
               "gates": {g: v[t] for g, v in self.gates.items()},
               "probs": {c: float(p[i]) for i, c in enumerate(CLASSES)},
               "prediction": CLASSES[int(p.argmax())]}
        if self.c is not None:
            rec["c"] = self.c[t]
        return rec

    def __iter__(self):
        return (self[t] for t in range(len(self)))

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """h, c (LSTM), every gate and probs by name."""
        out = {"h": self.h, **self.gates, "probs": self.probs}
        if self.c is not None:
            out["c"] = self.c
        return out


class DigitModel:
    """A trained DigitRNN with its metadata, ready to classify and trace user drawings.

    A "remember the digit" network (demo.train, its meta's "delay" D > 0) was trained on the
    digit followed by D blank rows (read as no input, ``blank_rows``): every method here gives it the drawing's 28 rows,
    then those D rows (``rows``), so it answers after 28 + D steps and its traces have that many."""

    def __init__(self, net: DigitRNN, meta: dict):
        self.net = net.eval()
        self.meta = meta
        self.cell = net.cell
        self.name = meta.get("name", net.cell)
        self.delay = int(meta.get("delay") or 0)
        self.hand = HandRNN.from_torch(net.rnn)
        self.directions = self.hand.directions

    @property
    def steps(self) -> int:
        """The rows it reads: the drawing's 28, then its ``delay`` blank ones."""
        return 28 + self.delay

    def rows(self, x):
        """x (..., 28, 28) in [0, 1] (numpy or torch) -> (..., 28 + delay, 28): blank rows below."""
        return blank_rows(x, self.delay)

    @torch.no_grad()
    def logits(self, x: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Batched forward with the fast torch module: x (B, 28, 28) in [0, 1] -> (B, 10)."""
        return self.net(self.rows(torch.as_tensor(x, dtype=torch.float32)))

    def predict(self, image) -> dict[str, float]:
        x = to_mnist(image)
        p = torch.softmax(self.logits(x[None]), dim=-1)[0].numpy()
        return {c: float(p[i]) for i, c in enumerate(CLASSES)}

    def trace(self, image, ablate=None, clamp=None, from_step: int = 1) -> DigitTrace:
        """Replay the drawing through the hand-written cells, keeping every step's state.

        Interventions on the top layer, from row ``from_step`` (1-based) on: ``ablate`` lists
        hidden units forced to 0; ``clamp`` maps a gate (LSTM i/f/g/o, GRU r/z/n) to the value
        it is forced to, every unit.  The edited values flow on through the recurrence, and
        the per-step probabilities come from the head applied to the edited h_t.
        """
        return self.trace_mnist(to_mnist(image), ablate, clamp, from_step)

    def edit(self, ablate=None, clamp=None, from_step: int = 1) -> Edit | None:
        """The checked Edit for ``trace``'s arguments (None: nothing to edit).  ValueError for
        an unknown gate, a unit out of range or a bad step."""
        if ablate is not None and not isinstance(ablate, (list, tuple, set, np.ndarray, range)):
            raise ValueError(f"ablate takes a list of unit numbers, got {ablate!r}")
        if clamp is not None and not isinstance(clamp, dict):
            raise ValueError(f"clamp takes a dict gate -> value, e.g. {{'f': 1.0}}, got {clamp!r}")
        if not isinstance(from_step, (int, np.integer)) or isinstance(from_step, bool) or not 1 <= from_step <= 28:
            raise UserError("digits.error.from_step", value=repr(from_step)[:40])
        units = list(ablate if ablate is not None else ())
        if self.directions == 1:
            return Edit.make(self.cell, self.hidden, gates=clamp, units={("h", u): 0.0 for u in units},
                             from_step=int(from_step))
        # both ways: units 0..H-1 are the forward direction's, H..2H-1 the backward one's; a
        # clamped gate acts on both, from each direction's own step from_step on
        H = self.hand.hidden
        bad = [u for u in units if not isinstance(u, (int, np.integer)) or isinstance(u, bool) or not 0 <= u < 2 * H]
        if bad:  # Edit.make names the problem
            Edit.make(self.cell, 2 * H, units={("h", bad[0]): 0.0})
        edits = [Edit.make(self.cell, H, gates=clamp, units={("h", int(u) - d * H): 0.0 for u in units
                                                              if d * H <= u < (d + 1) * H},
                           from_step=int(from_step), direction=DIRECTIONS[d]) for d in range(2)]
        return None if edits == [None, None] else edits

    @property
    def hidden(self) -> int:
        """The units the views show: H, or 2H for a bidirectional model (forward, then backward)."""
        return self.hand.hidden * self.directions

    @property
    def gate_names(self) -> tuple[str, ...]:
        return GATES[self.cell]

    @torch.no_grad()
    def trace_mnist(self, x: np.ndarray, ablate=None, clamp=None, from_step: int = 1) -> DigitTrace:
        """``trace`` of an input already made by ``to_mnist``: x (28, 28) in [0, 1]."""
        edit = self.edit(ablate, clamp, from_step)
        x = self.rows(x)                                    # (T, 28): T = 28 + delay
        xs = self.net.normalise(torch.from_numpy(x))[None]  # (1, T, 28)
        _, _, entries = self.hand.run(xs, record=True, edit=edit)  # per layer and direction {name: (1, 28, H)}
        entries = [{k: v[0].numpy() for k, v in rec.items()} for rec in entries]
        D = self.directions
        # per layer {name: (28, D*H)} in step order (the backward direction's rows reversed)
        layers = [entries[k] if D == 1 else
                  {n: np.concatenate([entries[2 * k][n], entries[2 * k + 1][n][::-1]], axis=1) for n in entries[2 * k]}
                  for k in range(len(entries) // D)]
        top = layers[-1]
        probs = torch.softmax(self.net.head(torch.from_numpy(top["h"])), dim=-1).numpy()  # (T, 10)
        return DigitTrace(self.cell, x, top["h"], top.get("c"), {g: top[g] for g in GATES[self.cell]},
                          probs, layers, D)

    def row_influence(self, image) -> dict[str, np.ndarray]:
        """Which rows decided the answer, for the predicted class k: two (28,) arrays.

        "gradient": |d z_k / d row_t|, the L2 norm over the row's 28 pixels (inputs in [0, 1],
        after to_mnist) of the gradient of the head's logit z_k after row 28 (the logit, not the
        softmax: a confident p_k ~ 1 has ~0 gradient everywhere).
        "occlusion": p_k(original) - p_k(row t blanked to 0).
        """
        return self.row_influence_mnist(to_mnist(image))

    def row_influence_mnist(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """``row_influence`` of an input already made by ``to_mnist``: x (28, 28) in [0, 1]."""
        return self.influence_and_step_probs(x)[0]

    def influence_and_step_probs(self, x: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """``row_influence_mnist(x)`` and ``step_probs(x)`` from the same forward pass (the
        gradient's pass yields every step's h anyway): what a stroke needs of each model."""
        xt = torch.from_numpy(np.asarray(x, np.float32)).clone().requires_grad_(True)  # (28, 28)
        with torch.enable_grad():
            out, _ = self.net.rnn(self.net.normalise(self.rows(xt))[None])  # (1, T, D*H), the fast module
            all_logits = self.net.head(self.net.after_each_step(out)[0])  # (T, 10): after each step
            logits = all_logits[-1]
            k = int(logits.argmax())
            (grad,) = torch.autograd.grad(logits[k], xt)  # (28, 28)
        step_probs = torch.softmax(all_logits.detach(), dim=-1).numpy()
        gradient = grad.norm(dim=1).numpy()             # (28,): L2 over each row's pixels
        # Blanking a row that is already blank changes nothing (exactly 0): run only rows with ink.
        inked = torch.nonzero(xt.detach().amax(dim=1) > 0)[:, 0]  # (R,)
        occlusion = np.zeros(28, np.float32)
        if len(inked):
            with torch.no_grad():
                blanked = xt.detach().repeat(len(inked), 1, 1)  # (R, 28, 28), row inked[j] zeroed in copy j
                blanked[torch.arange(len(inked)), inked] = 0.0
                p = torch.softmax(self.net(self.rows(blanked)), dim=-1)[:, k]  # (R,)
                p0 = torch.softmax(logits.detach(), dim=-1)[k]
            occlusion[inked.numpy()] = (p0 - p).numpy()
        return ({"gradient": gradient.astype(np.float32), "occlusion": occlusion.astype(np.float32)},
                step_probs)

    @torch.no_grad()
    def step_probs(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities after each row, (T, 10), with the fast torch module (no gates
        kept): what the comparison of the cells needs.  x (28, 28) from ``to_mnist``."""
        out, _ = self.net.rnn(self.net.normalise(torch.from_numpy(self.rows(x)))[None])  # (1, T, D*H)
        return torch.softmax(self.net.head(self.net.after_each_step(out)[0]), dim=-1).numpy()


def model_args(config: dict, mean: float = MNIST_MEAN, std: float = MNIST_STD) -> dict:
    """Exactly DigitRNN's constructor arguments from a training config (a CONFIGS entry plus
    flags) and the normalisation the training images were given: what the weights JSON stores
    as its "config"."""
    args = {k: config[k] for k in MODEL_KEYS if k != "bidirectional"}
    return {**args, "bidirectional": bool(config.get("bidirectional", False)), "mean": float(mean), "std": float(std)}


def build_model(config: dict) -> DigitRNN:
    """A fresh DigitRNN for training: the config's model keys and MNIST's statistics."""
    return DigitRNN(**model_args(config))


def train_command(name: str) -> str:
    return f"python training/train_digits.py --config {name} --data-dir ../shared/data"


def load_digit_model(name: str = "lstm", weights_dir: str | Path | None = None) -> DigitModel:
    """Load ``weights/digits_{name}.safetensors`` + ``.json`` (strict: config must fit the file)."""
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"bad model name {name!r}")
    stem = Path(weights_dir or WEIGHTS_DIR) / f"digits_{name}"
    state, meta = load_weights(stem, train_command(name), kind="digits")
    # weights written before models could read both ways are one-way (their tensors say so too)
    config = {"bidirectional": False, **meta["config"]}
    net = build_strict(DigitRNN, config, str(stem.with_suffix(".json")), train_command(name))
    load_state_strict(net, state, str(stem.with_suffix(".safetensors")))
    return DigitModel(net, {**meta, "name": name})
