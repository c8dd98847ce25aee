"""Select and match (LSTMVis's hypothesis loop): select a span of a text and a threshold; the units
of the top layer that are on (>= threshold) over the whole span and off (< threshold) just around
it are the hypothesis; then every passage of the validation split where all of those units are on
at once is a match.

    acts = validation_activations(model, val_text)        # {"h": (N, H) float16, "c": ...}, once
    sel = select_units(trace_acts, start, end, threshold)  # [Selected(unit, inside, around)]
    m = match(acts["c"], [u.unit for u in sel], threshold)  # Match: count, passages

The validation activations are the model reading the whole split (the hand cells, in pieces read
side by side, each warmed up on the 256 characters before it), kept as float16: for the shipped LSTM 111,540 x
384 x 2 states x 2 bytes = 171 MB, for the RNN 22 MB.  Pure: numpy and torch, no gradio.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from demo.errors import UserError
from demo.text import limits

CHUNK = 2_048                   # characters per piece read side by side
BURN_IN = 256                   # characters each piece reads first (discarded) to warm its state
SHOWN = 12                      # passages listed
CONTEXT = 20                    # characters shown each side of a passage


def validation_activations(model, text: str, chunk: int = CHUNK, burn_in: int = BURN_IN) -> dict[str, np.ndarray]:
    """The top layer's h (and c) after each character of ``text``: {"h": (N, H) float16, "c":
    (N, H) float16 for the LSTM}.  Read as ``N / chunk`` pieces side by side (one batched pass of
    ``chunk + burn_in`` steps instead of N sequential ones: ~50x faster), each piece starting
    ``burn_in`` characters early from the zero state so that its state has forgotten the
    missing start by the time its own characters come (the first piece is exact)."""
    ids = torch.tensor(model.encode(text))
    n = len(ids)
    names = ("h", "c") if model.cell == "lstm" else ("h",)
    out = {k: np.empty((n, model.hidden), np.float16) for k in names}
    starts = list(range(0, n, chunk))
    width = min(chunk, n) + burn_in
    rows = torch.zeros(len(starts), width, dtype=torch.long)  # (B, W) ids; short pieces end in zeros
    first = []
    for j, a in enumerate(starts):
        s0 = max(0, a - burn_in)
        piece = ids[s0:min(a + chunk, n)]
        rows[j, :len(piece)] = piece
        first.append(a - s0)
    # Step the pieces together, keeping only the top layer's h and c of the characters each
    # piece owns (recording every gate of every layer would take gigabytes).
    B = len(starts)
    pos0 = torch.tensor([max(0, a - burn_in) for a in starts])     # (B,) where each piece begins
    lo = torch.tensor(first)                                       # (B,) first owned offset
    hi = torch.tensor([f + min(chunk, n - a) for f, a in zip(first, starts)])
    hand = model.hand
    with torch.inference_mode():
        state = hand.init_state(B)
        xs = model._table[rows]                                    # (B, W, k*H) layer-0 projections
        for t in range(width):
            inp = xs[:, t]
            for k in range(len(hand.layers)):
                xw = inp if k == 0 else hand.project(k, inp)
                inp, state[k], _ = hand.step_layer(k, xw, state[k])
            own = (lo <= t) & (t < hi)                             # (B,) pieces that own step t
            if not own.any():
                continue
            where = (pos0 + t)[own].numpy()
            out["h"][where] = inp[own].numpy()
            if "c" in out:
                out["c"][where] = state[-1][1][own].numpy()
    return out


def read_validation(data_dir, meta: dict, lookups=None) -> str | None:
    """The validation split described by a lookups file's meta ({"validation": {"file",
    "start", "chars", "sha256"}}) read from data_dir, or None when the file is missing or is not
    that text (checksum).  A Tang model's split ({"validation": {"corpus": "tang"}}) is stored
    in its lookups (``lookups.validation_text()``, demo.text.lookups): pass ``lookups``."""
    v = meta.get("validation") or {}
    if v.get("corpus") == "tang":
        text = lookups.validation_text() if lookups is not None else None
    else:
        path = Path(data_dir) / "tinyshakespeare" / v.get("file", "input.txt")
        try:
            text = path.read_text(encoding="utf-8")[int(v.get("start", 0)):]
        except OSError:
            return None
    if text is None or hashlib.sha256(text.encode("utf-8")).hexdigest() != v.get("sha256"):
        return None
    return text


@dataclass(frozen=True)
class Selected:
    unit: int
    inside: float       # mean over the span
    minimum: float      # lowest over the span (>= threshold)
    around: float       # highest in the margins (< threshold); nan when the span has no margins


def select_units(acts: np.ndarray, start, end, threshold, margin: int = limits.MATCH_MARGIN,
                 most: int = limits.MAX_MATCH_UNITS) -> list[Selected]:
    """acts (n, H) one state over a text -> the units >= threshold at every character of
    [start, end) and < threshold at every one of the ``margin`` characters before and after
    (where the text has them), the clearest first (mean inside minus highest around)."""
    acts = np.asarray(acts, np.float32)
    start, end = limits.check_span(start, end, len(acts))
    threshold = limits.check_threshold(threshold)
    inside = acts[start:end]
    around = np.concatenate([acts[max(start - margin, 0):start], acts[end:end + margin]])
    on = inside.min(0) >= threshold
    if len(around):
        on &= around.max(0) < threshold
        top = around.max(0)
    else:
        top = np.full(acts.shape[1], np.nan, np.float32)
    units = np.nonzero(on)[0]
    score = inside.mean(0)[units] - np.nan_to_num(top[units], nan=threshold)
    order = units[np.argsort(-score, kind="stable")][:most]
    return [Selected(int(u), float(inside[:, u].mean()), float(inside[:, u].min()), float(top[u])) for u in order]


@dataclass(frozen=True)
class Match:
    units: tuple[int, ...]
    threshold: float
    count: int                          # passages (maximal runs) where every unit is on
    characters: int                     # characters where every unit is on
    passages: list[tuple[int, int]]     # [start, end) of the SHOWN runs closest in length to the span
    total: int                          # characters searched


def match(acts: np.ndarray, units, threshold, span_length: int = 1, shown: int = SHOWN) -> Match:
    """acts (N, H) one state over the validation split -> the maximal runs where every one of
    ``units`` is >= threshold, counted; the ``shown`` runs closest in length to span_length
    (then the longest) are listed."""
    threshold = limits.check_threshold(threshold)
    units = tuple(int(u) for u in units)
    if not units:
        raise UserError("text.error.no_units_match")
    on = np.ones(len(acts), bool)
    for u in units:  # column by column: no (N, k) copy
        on &= acts[:, u] >= threshold
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    lengths = ends - starts
    order = np.lexsort((-lengths, np.abs(lengths - span_length)))[:shown]
    return Match(units, threshold, len(starts), int(on.sum()),
                 [(int(starts[i]), int(ends[i])) for i in order], len(acts))
