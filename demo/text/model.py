"""Character-level language models (RNN, GRU or LSTM) that generate text and show every step.

    from demo.text import load_char_model
    model = load_char_model("lstm")    # or "rnn": min-char-rnn's vanilla RNN (hidden 100, 1 layer)
    text = model.generate("ROMEO:", 300, temperature=0.8, rng_seed=0)   # 300 new characters
    poem = load_char_model("tang").poem(rng_seed=0)    # the Tang model: one whole poem (demo.text.poems)
    for step in model.stream("T", length=500, temperature=0.8, rng_seed=0):
        step.char, step.prob, step.topk          # one record per character (top-5 next characters)
    nats = model.loss(some_text)       # mean nats per character (batched, seconds for 100k chars)
    st = model.states(some_text)       # per-character h, c, gates and surprise -ln p, in one pass

Sampling (``generate``/``stream``) only samples; looking inside is ``states``, the one tracing
path: the app samples, then reads seed + text once with it.  Every argument is checked by
``demo.text.limits`` (ValueError with a message meant for the user).  UNKNOWN (demo.text.tang), the
sign a vocabulary keeps for every rare character, is read but never sampled.

Training (``training/train_char_rnn.py``) uses ``CharRNN`` and the fast PyTorch recurrent module,
and so does ``connectivity`` (autograd through it); generation and tracing replay the same
weights through the hand-written cells of ``demo.cells`` (sampling through
``demo.text.sampler``).  The first layer's input projection is precomputed per vocabulary entry
(a (V, k*H) table), so a generated character costs one table lookup and one small matmul per
layer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from demo.cells import Edit, HandRNN, torch_module
from demo.checkpoint import WEIGHTS_DIR, build_strict, load_state_strict, load_weights
from demo.errors import Text, UserError
from demo.text import connectivity, limits, poems
from demo.text.limits import MAX_LOSS, MAX_STATES
from demo.text.sampler import BatchStepper
from demo.text.tang import UNKNOWN

__all__ = ["CharRNN", "CharModel", "Sampling", "Step", "TextStates", "Vocab", "load_char_model", "mean_nll"]

MODEL_KEYS = ("cell", "hidden", "layers", "dropout", "embed")


class Vocab:
    """The characters a model knows, in index order (sorted unique characters of its corpus)."""

    def __init__(self, chars):
        self.chars = list(chars)
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        if len(self.stoi) != len(self.chars) or any(len(c) != 1 for c in self.chars):
            raise ValueError("a vocabulary is a list of distinct single characters")

    @classmethod
    def from_text(cls, text: str) -> "Vocab":
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, ch) -> bool:
        return ch in self.stoi

    def encode(self, text: str) -> list[int]:
        try:
            return [self.stoi[c] for c in text]
        except KeyError:
            bad = sorted({c for c in text if c not in self.stoi})
            shown = ", ".join(repr(c) for c in bad[:10])
            if len(bad) > 10:
                shown = Text("text.error.more_chars", chars=shown, n=len(bad) - 10)
            raise UserError("text.error.unknown_chars", chars=shown, n=len(self.chars),
                            vocab=repr("".join(self.chars))) from None

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


class CharRNN(nn.Module):
    """ids (B, T) -> one-hot (embed=0) or embedding (B, T, F) -> recurrent stack (B, T, H)
    -> dropout -> linear -> next-character logits (B, T, V)."""

    def __init__(self, vocab_size: int, cell: str = "lstm", hidden: int = 256, layers: int = 2,
                 dropout: float = 0.0, embed: int = 0):
        super().__init__()
        self.vocab_size, self.cell, self.hidden, self.num_layers = vocab_size, cell, hidden, layers
        self.embed = nn.Embedding(vocab_size, embed) if embed else None
        self.rnn = torch_module(cell, embed or vocab_size, hidden, layers, dropout)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)

    def inputs(self, ids: Tensor) -> Tensor:
        """(B, T) ids -> (B, T, F) input vectors."""
        if self.embed is None:
            return F.one_hot(ids, self.vocab_size).float()
        return self.drop(self.embed(ids))

    def forward(self, ids: Tensor, rnn_state=None):
        """rnn_state: torch's (num_layers, B, H) h, or (h, c) for the LSTM; None starts at zero."""
        out, rnn_state = self.rnn(self.inputs(ids), rnn_state)  # out (B, T, H)
        return self.head(self.drop(out)), rnn_state


@torch.no_grad()
def mean_nll(net: CharRNN, ids: Tensor, chunk: int = 2048, burn_in: int = 128, max_rows: int = 64) -> float:
    """Mean -ln p(x_t | x_<t) over t = 1..N-1 of ids (N,), computed in parallel.

    The N-1 targets are cut into chunks of ``chunk`` characters scored side by side as a batch;
    each chunk is read after up to ``burn_in`` characters of its true preceding text (whose
    predictions are not counted), so the figure matches one long pass to within ~1e-3 while
    running as a few large batched calls.  Training's validation loss is this same function.
    """
    ids = torch.as_tensor(ids, dtype=torch.long).flatten()
    n = ids.numel()
    if n < 2:
        raise UserError("text.error.score_short")
    was_training = net.training
    net.eval()
    device = next(net.parameters()).device
    rows = []  # (input start, first target, end): inputs ids[s:e-1] predict targets a..e-1
    for a in range(1, n, chunk):
        rows.append((max(0, a - 1 - burn_in), a, min(a + chunk, n)))
    total = 0.0
    for r0 in range(0, len(rows), max_rows):
        group = rows[r0:r0 + max_rows]
        width = max(e - 1 - s for s, a, e in group)
        x = torch.zeros(len(group), width, dtype=torch.long)
        y = torch.zeros(len(group), width, dtype=torch.long)
        keep = torch.zeros(len(group), width, dtype=torch.bool)
        for j, (s, a, e) in enumerate(group):
            x[j, :e - 1 - s] = ids[s:e - 1]
            y[j, :e - 1 - s] = ids[s + 1:e]
            keep[j, a - 1 - s:e - 1 - s] = True  # outputs at a-1..e-2 predict targets a..e-1
        logits, _ = net(x.to(device))  # (R, W, V)
        nll = F.cross_entropy(logits.float().transpose(1, 2), y.to(device), reduction="none")  # (R, W)
        total += nll[keep.to(device)].double().sum().item()
    net.train(was_training)
    return total / (n - 1)


@dataclass
class Step:
    """One generated character and the distribution it was drawn from.  The hidden state that
    chose it is row ``len(seed) - 1 + t`` of ``model.states(seed + text)``."""
    t: int                              # 0-based position in the generated text
    input: str                          # character fed in at this step
    char: str                           # character chosen
    prob: float                         # its probability under the model (temperature 1)
    p_sample: float                     # its probability under the sampling distribution
    topk: list[tuple[str, float]] = field(default_factory=list)  # most likely next chars (temperature 1)
    entropy: float | None = None        # of the model's next-char distribution, nats (with topk)

    def to_dict(self) -> dict:
        """Plain lists and floats, ready for JSON."""
        return {"t": self.t, "input": self.input, "char": self.char, "prob": self.prob,
                "p_sample": self.p_sample, "topk": [list(p) for p in self.topk], "entropy": self.entropy}


class Sampling:
    """One text being sampled: ``feed`` is the next character index to feed the model (None
    when the text is done); ``take(logits)`` takes the logits (V,) that came back, and returns
    the Step it chose (None while the seed is still being read).  Built by ``CharModel.sampling``
    with checked arguments; the same arguments give the same text, however the model is stepped."""

    def __init__(self, chars, seed_ids, length, temperature, top_k, rng_seed, n_top, edit, allowed=None):
        self.chars, self.length, self.temperature, self.top_k, self.n_top = chars, length, temperature, top_k, n_top
        self.edit = edit
        self.allowed = allowed   # (V,) bool: the characters that may be drawn; None: all of them
        self.rng = np.random.default_rng(rng_seed)
        self._seed = list(seed_ids)
        self.feed = self._seed.pop(0)
        self.prev = self.feed
        self.t = 0

    def take(self, logits) -> Step | None:
        if self._seed:                    # the seed is being read: feed its next character
            self.feed = self.prev = self._seed.pop(0)
            return None
        idx, p_sample, z, e, total = self.pick(logits)
        chars = self.chars
        step = Step(self.t, chars[self.prev], chars[idx], float(e[idx] / total), p_sample)
        if self.n_top:
            top = np.argsort(-z, kind="stable")[:self.n_top]   # most likely first, ties in index order
            step.topk = list(zip([chars[j] for j in top.tolist()], (e[top] / total).tolist()))
            step.entropy = math.log(total) - float(e @ z) / total  # -sum p ln p, ln p = z - ln total
        self.t += 1
        self.prev = idx
        self.feed = idx if self.t < self.length else None
        return step

    def pick(self, logits, allowed=None):
        """Draw the next character from logits (V,) among ``allowed`` ((V,) bool; None: this
        text's own ``self.allowed``), with the temperature, top-k and generator of this text.
        Returns (index, its probability under the sampling distribution, z = logits - max,
        e = exp(z), sum(e)): p = e / sum(e) is the model's distribution, every character's."""
        V, temperature, top_k = len(self.chars), self.temperature, self.top_k
        allowed = self.allowed if allowed is None else allowed
        z = np.asarray(logits).astype(np.float64)  # (V,)
        z -= z.max()
        e = np.exp(z)
        total = e.sum()  # p = e / total is the model's distribution (temperature 1)
        zs = z   # what is drawn from: the characters not allowed get -inf (probability 0)
        if allowed is not None:
            zs = np.where(allowed, z, -np.inf)
            zs -= zs.max()   # the best allowed at 0, so exp(zs / T) cannot underflow to all zeros
        if temperature == 0:
            return int(zs.argmax()), 1.0, z, e, total
        q = e if temperature == 1 and allowed is None else np.exp(zs / temperature)
        if top_k is not None and top_k < V:
            q = np.where(q < np.partition(q, V - top_k)[V - top_k], 0.0, q)  # ties at the k-th kept
        cdf = np.cumsum(q)
        idx = int(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right"))
        if idx >= V:   # the draw rounded up to the total: the last character that can be drawn
            idx = int(np.flatnonzero(q)[-1])
        return idx, float(q[idx] / cdf[-1]), z, e, total


@dataclass
class TextStates:
    """The model reading a given text.  Row t is the state after reading text[t]."""
    text: str
    h: np.ndarray                       # (T, H) top layer hidden states
    c: np.ndarray | None                # (T, H) top layer cell states (LSTM)
    layers: list[dict[str, np.ndarray]]  # per layer: h, c and gates, each (T, H)
    surprise: np.ndarray                # (T,) -ln p(text[t] | text[:t]) in nats; nan for t = 0
    probs: np.ndarray                   # (T, V) next-character distribution after text[t]

    @property
    def mean_surprise(self) -> float:
        return float(np.mean(self.surprise[1:])) if len(self.text) > 1 else float("nan")


class CharModel:
    """A trained CharRNN with its vocabulary: samples, traces and scores text on the CPU."""

    def __init__(self, net: CharRNN, vocab: Vocab | list[str], meta: dict | None = None):
        self.net = net.eval()
        self.vocab = vocab if isinstance(vocab, Vocab) else Vocab(vocab)  # .chars in index order
        if len(self.vocab) != net.vocab_size:
            raise ValueError(f"vocabulary has {len(self.vocab)} characters but the model {net.vocab_size}")
        self.meta = meta or {}
        self.name = self.meta.get("name", net.cell)
        self.cell, self.hidden, self.layers = net.cell, net.hidden, net.num_layers
        self._lookups = None
        with torch.no_grad():
            self.hand = HandRNN.from_torch(net.rnn)
            # Layer 0's input projection for every character: inputs(all ids) @ W_ih + b_ih, (V, k*H).
            self._table = self.hand.project(0, net.inputs(torch.arange(net.vocab_size)).float()).contiguous()
            self._w_out = net.head.weight.detach().t().contiguous()  # (H, V)
            self._b_out = net.head.bias.detach().clone()              # (V,)
        # UNKNOWN stands for every rare character: it is read, never written (None: all may be drawn)
        self._allowed = None
        if UNKNOWN in self.vocab and len(self.vocab) > 1:
            self._allowed = np.arange(len(self.vocab)) != self.vocab.stoi[UNKNOWN]

    # -- inputs -----------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return self.vocab.encode(text)

    def decode(self, ids) -> str:
        return self.vocab.decode(ids)

    # -- the core loop ----------------------------------------------------------------------
    def edit(self, clamp=None, ablate=None) -> Edit | None:
        """The top-layer edit of ``clamp`` {(state, unit): value} and ``ablate`` [(state, unit)]
        (forced to 0) at every step, checked (ValueError); None when there is nothing to edit."""
        clamp, ablate = limits.check_edits(clamp, ablate, self.hidden)
        for key in [*clamp, *ablate]:  # the message names what this model has
            limits.check_state(key[0], self.cell)
        return Edit.make(self.cell, self.hidden, units={**clamp, **{k: 0.0 for k in ablate}})

    def sampling(self, seed, length, temperature, top_k=None, rng_seed=None, n_top=0, clamp=None,
                 ablate=None) -> "Sampling":
        """One text to sample, its arguments checked (ValueError): whoever steps the model feeds
        ``.feed`` and hands the logits to ``.take`` (``_steps`` for one text, the writer's
        batches for many).  clamp/ablate edit the top layer at every step (the seed's too)."""
        edit = self.edit(clamp, ablate)
        seed_ids = self.encode(limits.check_seed(seed))
        length = limits.check_length(length)
        temperature = limits.check_temperature(temperature)
        V = len(self.vocab)
        top_k = limits.check_top_k(top_k, V)
        rng_seed = limits.check_rng_seed(rng_seed)
        n_top = limits.check_whole("n_top", n_top, 0, V, limits.N_TOP_HINT)
        return Sampling(self.vocab.chars, seed_ids, length, temperature, top_k, rng_seed, n_top, edit, self._allowed)

    def _steps(self, seed, length, temperature, top_k, rng_seed, n_top, clamp=None, ablate=None) -> Iterator[Step]:
        """The one sampling loop behind generate() and stream().  n_top > 0 adds the top-n next
        characters and the entropy to each Step; that only reads the distribution, so the same
        arguments give the same text with or without it."""
        s = self.sampling(seed, length, temperature, top_k, rng_seed, n_top, clamp, ablate)
        advance = self._sampler(s.edit)
        while s.feed is not None:
            step = s.take(advance(s.feed))
            if step is not None:
                yield step

    def _sampler(self, edit: Edit | None):
        """feed(idx) -> next-character logits (V,) float32, from the zero state: a BatchStepper
        of one slot, so the text is the one the writer's batches write (demo.text.sampler)."""
        stepper = BatchStepper(self, 1)
        slot = stepper.open(edit)
        return lambda idx: stepper.step([slot], [idx])[0]

    def stream(self, seed: str, length: int = 500, temperature: float = 1.0, top_k: int | None = None,
               rng_seed: int | None = None, n_top: int = 5, clamp: dict | None = None,
               ablate=None) -> Iterator[Step]:
        """Generate ``length`` characters after priming the state with ``seed``, one Step at a time.

        temperature 0 (to MAX_TEMPERATURE) picks the most likely character; top_k (None or 0: off)
        keeps only the k likeliest; the same rng_seed gives the same text (None: fresh
        randomness).  Each Step lists the n_top likeliest next characters (0: none, a little
        faster).  Arguments are checked before the first record: bad ones raise ValueError when
        stream() is called.  For the hidden states, read the text with ``states(seed + text)``
        (with the same clamp/ablate for the edited model's states).

        clamp {("c", 25): 2.0, ...} forces units of the top layer to values and ablate
        [("h", 7), ...] forces them to 0, at every step; {} and [] are the plain model.
        """
        steps = self._steps(seed, length, temperature, top_k, rng_seed, n_top, clamp, ablate)
        first = next(steps)  # runs the argument checks now rather than at the first next()
        return self._chain(first, steps)

    @staticmethod
    def _chain(first: Step, rest: Iterator[Step]) -> Iterator[Step]:
        yield first
        yield from rest

    def generate(self, seed: str, length: int = 500, temperature: float = 1.0, top_k: int | None = None,
                 rng_seed: int | None = None, clamp: dict | None = None, ablate=None) -> str:
        """The ``length`` characters that follow ``seed`` (the seed itself is not included).
        clamp/ablate: top-layer units forced to values / to 0 at every step (see ``stream``)."""
        return "".join(s.char for s in self._steps(seed, length, temperature, top_k, rng_seed, 0, clamp, ablate))

    def poem(self, seed: str = "", temperature: float = 0.8, rng_seed: int | None = 0, acrostic: str | None = None,
             clamp: dict | None = None, ablate=None) -> str:
        """One whole Tang poem (the Tang model only): its lines with their punctuation, no
        markers.  ``seed``: its first characters; ``acrostic``: 4 or 8 characters, each line's
        first; the same rng_seed gives the same poem.  UserError for what the model cannot
        write.  See demo.text.poems (the marker drawn, batches of poems)."""
        return poems.write(self, seed, temperature, rng_seed, acrostic, clamp, ablate).text

    # -- scoring and reading ----------------------------------------------------------------
    def loss(self, text: str) -> float:
        """Mean nats per character of ``text`` (each character predicted from those before it;
        the first is context only).  Batched: ~100k characters take a few seconds."""
        ids = self.encode(limits.check_text(text, MAX_LOSS, 2, limits.SCORE_WHY))
        return mean_nll(self.net, torch.tensor(ids))

    def states(self, text: str, clamp: dict | None = None, ablate=None) -> TextStates:
        """Read ``text`` once through the hand-written cells and keep every step: h, c and gates of
        every layer, the next-character distribution and the surprise of each character.
        clamp/ablate: the edited model's states (as ``generate`` takes them)."""
        edit = self.edit(clamp, ablate)
        ids = torch.tensor(self.encode(limits.check_text(text, MAX_STATES)))  # (T,)
        with torch.inference_mode():
            # layer-0 projections looked up: (1, T, k*H); per layer {name: (1, T, H)}
            top_h, _, recs = self.hand.run(self._table[ids][None], record=True, projected=True, edit=edit)
            layers = [{n: v[0].numpy() for n, v in rec.items()} for rec in recs]
            logp = torch.log_softmax(torch.addmm(self._b_out, top_h[0], self._w_out).double(), -1)  # (T, V)
        surprise = np.full(len(ids), np.nan)
        surprise[1:] = -logp[:-1].gather(1, ids[1:, None])[:, 0].numpy()
        top = layers[-1]
        return TextStates(text, top["h"], top.get("c"), layers, surprise, logp.exp().float().numpy())

    # -- asking why -------------------------------------------------------------------------
    def connectivity(self, text: str, position) -> np.ndarray:
        """(position,) array: |d log p(text[position]) / d x_j| for every earlier character j,
        the L2 norm over its input vector (embedding, or one-hot).  See demo.text.connectivity."""
        return connectivity.connectivity(self, text, position)

    def unit_activations(self, text: str, state: str = "h", unit: int = 0) -> np.ndarray:
        """(len(text),) the top layer's ``state`` ("h" or, for the LSTM, "c") unit ``unit``
        after reading each character of ``text`` (from the zero state)."""
        state = limits.check_state(state, self.cell)
        unit = limits.check_unit(unit, self.hidden)
        return getattr(self.states(text), state)[:, unit].copy()

    def top_contexts(self, state: str = "h", unit: int = 0, k: int = 10) -> list[tuple[int, int, np.ndarray]]:
        """The k windows [(start, end, values (end - start,)), ...] of the validation text where
        the unit is highest, highest first (from the precomputed lookups beside the weights:
        ``training/find_units.py``; WeightsError when they are missing or stale).  The first
        window holds the unit's maximum over the split; every value farther than the window
        length (40) from all k peaks is at most the k-th peak (demo.text.lookups.top_windows)."""
        state = limits.check_state(state, self.cell)
        unit = limits.check_unit(unit, self.hidden)
        return [(c.start, c.end, c.values) for c in self.lookups().contexts(state, unit, k)]

    def lookups(self):
        """The precomputed lookups (demo.text.lookups.TextLookups), loaded once."""
        if self._lookups is None:
            from demo.text.lookups import load_lookups
            self._lookups = load_lookups(self.meta.get("name", self.name), self.meta.get("weights_sha256"),
                                         self.meta.get("weights_dir"), self.vocab.chars)
        return self._lookups

    @property
    def val_loss(self) -> float | None:
        return self.meta.get("metrics", {}).get("val_loss")

    def __repr__(self) -> str:
        return (f"CharModel({self.name!r}: {self.cell} {self.layers}x{self.hidden}, "
                f"vocab {len(self.vocab)}, val loss {self.val_loss})")


def build_net(config: dict, vocab_size: int) -> CharRNN:
    return CharRNN(vocab_size, **{k: config[k] for k in MODEL_KEYS if k in config})


def train_command(name: str) -> str:
    return f"python training/train_char_rnn.py --preset {name}"


def load_char_model(name: str = "lstm", weights_dir: str | Path | None = None) -> CharModel:
    """Load ``weights/char_{name}.safetensors`` + ``.json`` (strict: the config must fit the file)."""
    if not isinstance(name, str) or not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"bad model name {name!r}")
    stem = Path(weights_dir or WEIGHTS_DIR) / f"char_{name}"
    state_dict, meta = load_weights(stem, train_command(name), kind="char")
    vocab = Vocab(meta["vocab"])
    net = build_strict(CharRNN, meta["config"], str(stem.with_suffix(".json")), train_command(name))
    load_state_strict(net, state_dict, str(stem.with_suffix(".safetensors")))
    return CharModel(net, vocab, {**meta, "name": name, "weights_dir": str(stem.parent)})
