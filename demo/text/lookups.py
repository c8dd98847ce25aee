"""Precomputed facts about each shipped character model, looked up by the app (never computed on a
click), all from its corpus's validation split (Tiny Shakespeare's last 10%; the held-out 5% of the
Tang poems for a Tang model):

- per unit of the top layer's h (and c, for the LSTM): its 10 top-activating windows of 40
  characters (start offset, peak, the unit's values, and the characters themselves, so the app
  needs no dataset), and its Pearson r with each text feature of ``demo.text.units`` (the
  corpus's features: meta["features"] names the columns);
- connectivity over data: mean |d log p / d x| against distance, over a sample of predictions;
- line lengths of the split (for the interventions' "lines end where they usually do"): for the
  Tang poems, of the poem lines (characters between punctuation), not of the text's lines;
- for a Tang model, the split itself as vocabulary ids (``val_ids``, 86k characters; the app has
  no Tang data and select-and-match needs the text).

Vocabulary ids are uint8 for a vocabulary of at most 256 characters, uint16 above (the Tang
model's 4,002); the reader takes either.

They live beside the weights as ``weights/char_NAME_lookups.npz`` + ``.json`` and are made by

    python training/find_units.py

The JSON records the weights' SHA-256, the validation text's SHA-256 and the command; lookups
made for other weights are refused with the command that remakes them (``WeightsError``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from demo.checkpoint import WEIGHTS_DIR, load_lookup_pair
from demo.errors import UserError

MAKE_COMMAND = "python training/find_units.py"
TOP_K = 10           # windows kept per unit
WINDOW = 40          # characters per window
BEFORE = 30          # of which before the peak (a unit's value depends on what it has read)
ARRAYS = ("ctx_start", "ctx_peak", "ctx_values", "ctx_chars", "feature_r", "unit_min", "unit_max",
          "conn_distance", "conn_mean", "conn_median", "conn_q10", "conn_q90", "conn_share")


@dataclass(frozen=True)
class Context:
    """One top-activating window of the validation text: characters [start, end)."""
    start: int
    end: int
    peak: int               # offset in the validation text of the unit's highest value here
    values: np.ndarray      # (end - start,) float32 the unit after each character
    text: str               # the characters themselves


@dataclass(frozen=True)
class TextLookups:
    states: tuple[str, ...]     # ("h", "c") or ("h",): the first axis of the arrays below
    ctx_start: np.ndarray       # (S, H, K) int32 window starts in the validation text
    ctx_peak: np.ndarray        # (S, H, K) int32 peak offsets
    ctx_values: np.ndarray      # (S, H, K, W) float16 the unit over each window
    ctx_chars: np.ndarray       # (S, H, K, W) uint8 (or uint16) vocabulary ids of the window's characters
    feature_r: np.ndarray       # (S, H, F) float32 Pearson r with each feature (meta["features"] order)
    unit_min: np.ndarray        # (S, H) float32 each unit's lowest value over the split
    unit_max: np.ndarray        # (S, H) float32 ... and its highest
    conn_distance: np.ndarray   # (D,) 1..D
    conn_mean: np.ndarray       # (D,) mean |d log p / d x_j| at distance d over sampled predictions
    conn_median: np.ndarray
    conn_q10: np.ndarray
    conn_q90: np.ndarray
    conn_share: np.ndarray      # (D,) mean fraction of a prediction's connectivity at distance d
    vocab: tuple[str, ...]
    meta: dict
    val_ids: np.ndarray | None = None   # (N,) the validation split's ids (Tang only), else None

    def index(self, state: str) -> int:
        if state not in self.states:
            raise UserError("text.error.no_lookups_state", state=repr(state)[:40], states=", ".join(self.states))
        return self.states.index(state)

    def contexts(self, state: str, unit: int, k: int = TOP_K) -> list[Context]:
        """The unit's top k windows, highest peak first."""
        s = self.index(state)
        H, K = self.ctx_start.shape[1:]
        if not 0 <= int(unit) < H:
            raise UserError("text.error.unit_range", max=H - 1, value=unit)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= K:
            raise UserError("text.error.k_range", max=K, value=repr(k)[:40])
        out = []
        for j in range(int(k)):
            start, chars = int(self.ctx_start[s, unit, j]), self.ctx_chars[s, unit, j]
            out.append(Context(start, start + len(chars), int(self.ctx_peak[s, unit, j]),
                               self.ctx_values[s, unit, j].astype(np.float32),
                               "".join(self.vocab[i] for i in chars)))
        return out

    def correlations(self, state: str, unit: int) -> np.ndarray:
        """(F,) the unit's Pearson r with each feature over the validation split."""
        return self.feature_r[self.index(state), int(unit)]

    @property
    def line_lengths(self) -> dict:
        """{"mean", "p10", "p25", "p50", "p75", "p90"} of the validation split's non-empty lines."""
        return self.meta.get("line_lengths", {})

    def validation_text(self) -> str | None:
        """The validation split stored in the lookups (a Tang model's), or None."""
        return None if self.val_ids is None else "".join(self.vocab[int(i)] for i in self.val_ids)


def lookup_paths(name: str, weights_dir=None) -> tuple[Path, Path]:
    stem = Path(weights_dir or WEIGHTS_DIR) / f"char_{name}_lookups"
    return stem.with_suffix(".npz"), stem.with_suffix(".json")


def load_lookups(name: str, weights_sha256: str | None, weights_dir=None, vocab=None) -> TextLookups:
    """The lookups of char model ``name``; WeightsError (naming the file and the command) when
    they are missing, damaged or were made for other weights."""
    stem = lookup_paths(name, weights_dir)[0].with_suffix("")
    arrays, meta = load_lookup_pair(stem, weights_sha256, ARRAYS, MAKE_COMMAND, f"char_{name}")
    vocab = tuple(vocab if vocab is not None else meta.get("vocab", ()))
    return TextLookups(tuple(meta["states"]), **{a: arrays[a] for a in ARRAYS}, vocab=vocab, meta=meta,
                       val_ids=arrays.get("val_ids"))


def id_dtype(vocab_size: int):
    """The smallest unsigned type that holds every id of a vocabulary: uint8 up to 256, else uint16."""
    return np.uint8 if vocab_size <= 256 else np.uint16


def top_windows(acts: np.ndarray, k: int = TOP_K, window: int = WINDOW, before: int = BEFORE):
    """acts (N,) one unit over the validation text -> (starts (k,), peaks (k,)): greedily the
    highest value not yet suppressed, its window [peak - before, peak - before + window) clipped
    to the text, then everything within ``window`` characters of the peak is suppressed.  So the
    first peak is the unit's maximum over the text, the windows do not overlap (away from the
    text's ends), and every value farther than ``window`` from all k peaks is at most the k-th."""
    a = np.asarray(acts, np.float64).copy()
    n = len(a)
    starts, peaks = [], []
    for _ in range(k):
        p = int(np.argmax(a))
        starts.append(min(max(p - before, 0), max(n - window, 0)))
        peaks.append(p)
        a[max(p - window + 1, 0):p + window] = -np.inf
    return np.array(starts, np.int32), np.array(peaks, np.int32)
