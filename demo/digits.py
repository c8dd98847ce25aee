"""Recurrent digit classifiers that read a 28x28 image one row per time step.

    from demo.digits import load_digit_model, to_mnist
    model = load_digit_model("lstm")   # or "gru", "rnn"
    probs = model.predict(image)       # {"0": p0, ..., "9": p9}
    trace = model.trace(image)         # 28 step records: row fed, h_t, c_t, gates, class probs

``to_mnist`` turns what users hand over (PIL images, numpy arrays, Gradio Sketchpad values, file
paths) into an MNIST-style input.  Training (``training/train_digits.py``) uses ``DigitRNN``;
tracing replays its weights through the hand-written cells of ``demo.cells``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from demo.cells import GATES, HandRNN, torch_module
from demo.checkpoint import WEIGHTS_DIR, load_state_strict, load_weights
from demo.preprocess import to_mnist

__all__ = ["CONFIGS", "DigitRNN", "DigitModel", "DigitTrace", "load_digit_model", "to_mnist"]

CLASSES = [str(d) for d in range(10)]
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of the training images, pixels in [0, 1]

# Named configurations.  The shipped models are "lstm", "gru" and "rnn"; "teaching" is the
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
    "teaching": dict(cell="lstm", hidden=64, layers=1, head_hidden=32, dropout=0.0,
                     lr=0.01, batch_size=64, epochs=5),
    # Fastest to 99% on a CPU: one layer, plain images (measured: 99.03% test in 51 s, 1 thread).
    "quick": dict(cell="lstm", hidden=128, layers=1, head_hidden=0, dropout=0.0,
                  lr=4e-3, batch_size=128, epochs=8, drawn=0, augment=False),
}
MODEL_KEYS = ("cell", "hidden", "layers", "head_hidden", "dropout")


class DigitRNN(nn.Module):
    """rows (B, 28, 28) in [0, 1] -> recurrent stack -> head on the last h -> logits (B, 10)."""

    def __init__(self, cell: str = "lstm", hidden: int = 128, layers: int = 1, head_hidden: int = 0,
                 dropout: float = 0.0, mean: float = MNIST_MEAN, std: float = MNIST_STD):
        super().__init__()
        self.cell, self.mean, self.std = cell, mean, std
        self.rnn = torch_module(cell, 28, hidden, layers, dropout)
        if cell == "rnn":  # orthogonal recurrence keeps a plain RNN's gradients alive over 28 steps
            for name, w in self.rnn.named_parameters():
                if name.startswith("weight_hh"):
                    nn.init.orthogonal_(w)
        if head_hidden:
            self.head = nn.Sequential(nn.Linear(hidden, head_hidden), nn.ReLU(), nn.Linear(head_hidden, 10))
        else:
            self.head = nn.Sequential(nn.Linear(hidden, 10))

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.normalise(x))  # (B, 28, H)
        return self.head(out[:, -1])


class DigitTrace(list):
    """28 step records (dicts) with the whole run also available as stacked arrays.

    ``trace[t - 1]`` is step t: ``row`` (28,) fed at that step, ``h`` (H,), ``c`` (H,) for the
    LSTM, ``gates`` {name: (H,)} (LSTM i, f, g, o; GRU r, z, n), ``probs`` {"0": p, ...} from the
    head applied to h_t, and ``prediction``.  ``trace["h"]`` or ``trace.arrays["h"]`` is (28, H);
    ``trace["probs"]`` is (28, 10); ``trace["image"]`` the (28, 28) input.
    """

    def __init__(self, cell: str, image: np.ndarray, arrays: dict[str, np.ndarray],
                 layers: list[dict[str, np.ndarray]]):
        self.cell, self.image, self.arrays, self.layers = cell, image, arrays, layers
        gate_names = GATES[cell]
        steps = []
        for t in range(image.shape[0]):
            p = arrays["probs"][t]
            rec = {"t": t + 1, "row": image[t], "h": arrays["h"][t],
                   "gates": {g: arrays[g][t] for g in gate_names},
                   "probs": {c: float(p[i]) for i, c in enumerate(CLASSES)},
                   "prediction": CLASSES[int(p.argmax())]}
            if "c" in arrays:
                rec["c"] = arrays["c"][t]
            steps.append(rec)
        super().__init__(steps)

    def __getitem__(self, key):
        if isinstance(key, str):
            return self.image if key == "image" else self.arrays[key]
        return super().__getitem__(key)

    @property
    def probs(self) -> np.ndarray:
        return self.arrays["probs"]

    @property
    def h(self) -> np.ndarray:
        return self.arrays["h"]


class DigitModel:
    """A trained DigitRNN with its metadata, ready to classify and trace user drawings."""

    def __init__(self, net: DigitRNN, meta: dict):
        self.net = net.eval()
        self.meta = meta
        self.cell = net.cell
        self.name = meta.get("name", net.cell)
        self.hand = HandRNN.from_torch(net.rnn)

    @torch.no_grad()
    def logits(self, x: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Batched forward with the fast torch module: x (B, 28, 28) in [0, 1] -> (B, 10)."""
        return self.net(torch.as_tensor(x, dtype=torch.float32))

    def predict(self, image) -> dict[str, float]:
        x = to_mnist(image)
        p = torch.softmax(self.logits(x[None]), dim=-1)[0].numpy()
        return {c: float(p[i]) for i, c in enumerate(CLASSES)}

    def trace(self, image) -> DigitTrace:
        """Replay the drawing through the hand-written cells, keeping every step's state."""
        return self.trace_mnist(to_mnist(image))

    @torch.no_grad()
    def trace_mnist(self, x: np.ndarray) -> DigitTrace:
        """``trace`` of an input already made by ``to_mnist``: x (28, 28) in [0, 1]."""
        xs = self.net.normalise(torch.from_numpy(x))[None]  # (1, 28, 28)
        _, _, layers = self.hand.run(xs, record=True)       # per layer {name: (1, 28, H)}
        layers = [{k: v[0].numpy() for k, v in rec.items()} for rec in layers]
        top = layers[-1]
        probs = torch.softmax(self.net.head(torch.from_numpy(top["h"])), dim=-1).numpy()  # (28, 10)
        return DigitTrace(self.cell, x, {**top, "probs": probs}, layers)


def build_model(config: dict) -> DigitRNN:
    return DigitRNN(**{k: config[k] for k in MODEL_KEYS if k in config},
                    mean=config.get("mean", MNIST_MEAN), std=config.get("std", MNIST_STD))


def train_command(name: str) -> str:
    return f"python training/train_digits.py --config {name} --data-dir ../shared/data"


def load_digit_model(name: str = "lstm", weights_dir: str | Path | None = None) -> DigitModel:
    """Load ``weights/digits_{name}.safetensors`` + ``.json`` (strict: config must fit the file)."""
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"bad model name {name!r}")
    stem = Path(weights_dir or WEIGHTS_DIR) / f"digits_{name}"
    state, meta = load_weights(stem, train_command(name))
    net = build_model(meta["config"])
    load_state_strict(net, state, str(stem.with_suffix(".safetensors")))
    return DigitModel(net, {**meta, "name": name})
