"""A text read by a character model, computed once: the trace of a generated text (the state that
chose each character and the distribution it was drawn from), the surprise of a pasted text, and
the temperature comparison.  Pure (numpy and torch, no gradio, no HTML); ``demo.text.views``
renders from the frozen results without running a model again.  Inputs are checked by
``demo.text.limits``.

    from demo.text.analysis import score_text, trace_text
    tr = trace_text(model, "ROMEO:\\n", text)      # TextTrace: h, c (n, H), probs (n, V), surprise (n,)
    tr.unit_values("c", 25)                        # (n,) one unit of the LSTM cell state
    score_text(model, "But soft!").answer()        # the /score answer

    python -m demo.text.analysis --weights-dir /tmp/wc   # preview every view: /tmp/text_views_preview.html
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from demo.checks import shown
from demo.errors import UserError
from demo.text import limits
from demo.text.model import CharModel

STATE_NAMES = ("h", "c")        # the top layer's hidden state, and the LSTM's cell state
TEMPERATURES = (0.3, 0.8, 1.5)  # the comparison's columns
COMPARE_LENGTH = 1_000          # characters per column in the temperature comparison


@dataclass(frozen=True)
class TextTrace:
    """A generated text read once by the model that wrote it.  Row t (0-based) is the state that
    chose text[t]: the state after reading the character before it.  It lives in a gr.State, so
    the step slider and the unit picker never rerun the model."""
    model: str                      # name of the model that wrote and read it
    seed: str                       # the priming text (not part of `text`)
    text: str                       # the n generated characters
    vocab: tuple[str, ...]          # the model's characters, index order (V,)
    h: np.ndarray                   # (n, H) float32 top layer hidden state
    c: np.ndarray | None            # (n, H) float32 top layer cell state (LSTM), else None
    probs: np.ndarray               # (n, V) float32 next-character distribution, temperature 1
    surprise: np.ndarray            # (n,) float32 -ln p of each generated character, nats

    def __len__(self) -> int:
        return len(self.text)

    def has(self, state_name: str) -> bool:
        return state_name in STATE_NAMES and getattr(self, state_name) is not None

    def acts(self, state_name: str) -> np.ndarray:
        """(n, H) activations of h or c; a UserError names what is available."""
        if not self.has(state_name):
            raise UserError("text.error.no_state", state=shown(state_name))
        return getattr(self, state_name)

    def unit_values(self, state_name: str, unit) -> np.ndarray:
        """(n,) activation of one unit of h or c."""
        acts = self.acts(state_name)
        unit = int(unit)
        if not 0 <= unit < acts.shape[1]:
            raise UserError("text.error.unit_range", max=acts.shape[1] - 1, value=unit)
        return acts[:, unit]


def trace_text(model: CharModel, seed: str, text: str) -> TextTrace:
    """Read seed + text once with ``model.states`` (the one tracing path) and keep, for each
    generated character, the state that chose it and the distribution it was drawn from."""
    if not text:
        raise UserError("text.error.nothing_yet")
    st = model.states(limits.check_seed(seed) + text)  # rows: one per character of seed + text
    rows = slice(len(seed) - 1, len(seed) - 1 + len(text))  # state after the previous character
    return TextTrace(model.name, seed, text, tuple(model.vocab.chars),
                     h=st.h[rows].astype(np.float32),
                     c=None if st.c is None else st.c[rows].astype(np.float32),
                     probs=st.probs[rows].astype(np.float32),
                     surprise=st.surprise[len(seed):].astype(np.float32))  # of each generated character


@dataclass(frozen=True)
class TextScore:
    """How surprising a text is to a model: -ln p of each character given the ones before."""
    model: str
    text: str
    surprise: np.ndarray            # (n,) nats; NaN for the first character (context only)

    @property
    def nats_per_char(self) -> float:
        return float(np.mean(self.surprise[1:]))

    def answer(self) -> dict:
        """The /score answer: {"model", "chars", "nats_per_char", "bits_per_char", "surprise":
        [-ln p per character after the first, 4 decimals]}."""
        nats = self.nats_per_char
        return {"model": self.model, "chars": len(self.text), "nats_per_char": nats,
                "bits_per_char": nats / math.log(2), "surprise": [round(float(v), 4) for v in self.surprise[1:]]}


def score_text(model: CharModel, text) -> TextScore:
    """2 to MAX_SCORE characters -> their surprise (unknown characters: ValueError naming them)."""
    text = limits.check_score_text(text)
    return TextScore(model.name, text, model.states(text).surprise)


def compare_temperatures(model: CharModel, seed, length, top_k, rng_seed,
                         temperatures=TEMPERATURES, max_length: int = COMPARE_LENGTH) -> list[str]:
    """The same seed and random seed at each temperature (at most max_length characters each)."""
    limits.check_seed(seed)  # the seed's message first, as generate() gives it
    length = min(limits.check_length(length), max_length)
    return [model.generate(seed, length, T, top_k, rng_seed) for T in temperatures]


def reshape(probs: np.ndarray, temperature, top_k) -> np.ndarray:
    """What sampling draws from: the model's distribution (V,) at temperature 1 raised to
    1/temperature and renormalised (0: all mass on the likeliest), then, with top_k (0 or None:
    off), only the k likeliest kept (ties at the k-th kept, as CharModel's sampler does)."""
    p = np.asarray(probs, np.float64)
    V = len(p)
    temperature = limits.check_temperature(temperature)
    top_k = limits.check_top_k(top_k, V)
    if temperature == 0:
        q = (p == p.max()).astype(np.float64)
        q[np.nonzero(q)[0][1:]] = 0.0  # the first likeliest, like argmax
    else:
        logp = np.log(np.maximum(p, 1e-300)) / temperature
        q = np.exp(logp - logp.max())
    if top_k is not None and top_k < V:
        q = np.where(q < np.partition(q, V - top_k)[V - top_k], 0.0, q)
    return q / q.sum()

