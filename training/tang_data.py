"""The Tang poems (全唐诗) as the Tang char model reads them: simplified, regular, split by poem.

    python training/tang_data.py --data-dir ../shared/data     # print the figures of the split

- Source: ``DATA/tang/quantangshi.jsonl.gz`` (57,607 poems, traditional characters, MIT licence).
- OpenCC ``t2s`` converts each poem to simplified characters.
- Kept: the regular poems, ``demo.text.tang.check_form`` (every line 5 or 7 characters, all
  alike; "，" and "。" alternating; 4 or 8 lines).
- Split by poem: a poem is held out for validation when the sha256 of its author, title and text
  falls in the first 5% (``VAL_SHARE``), so the split does not depend on file order.
- Vocabulary: the ``VOCAB_CHARS`` commonest characters of the training poems, the markers of
  ``demo.text.tang`` and UNKNOWN, which stands for every other character.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from demo.text.poems import MAX_POEM
from demo.text.tang import FORMS, MARK_END, POEM_END, UNKNOWN, check_form, poem_line

FILE = Path("tang") / "quantangshi.jsonl.gz"
SHA256 = "8716bd44128e874c536d0236ac6f1488f5b44e8fcc221706908413b9a3d0108e"
VAL_SHARE = 0.05
VOCAB_CHARS = 4000


@dataclass
class TangSplit:
    train: list[str]                 # poems, bare text ("床前明月光，...。")
    val: list[str]
    vocab: list[str]                 # sorted characters, markers and UNKNOWN included
    meta: dict = field(default_factory=dict)

    def text(self, poems: list[str]) -> str:
        """Poems as the model reads them, each rare character as UNKNOWN."""
        known = set(self.vocab)
        return "".join("".join(c if c in known else UNKNOWN for c in poem_line(p)) for p in poems)


def held_out(poem: dict, body: str) -> bool:
    key = "\x1f".join((poem.get("author", ""), poem.get("title", ""), body)).encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / 2 ** 64 < VAL_SHARE


def load_split(data_dir: Path, vocab_chars: int = VOCAB_CHARS, limit: int | None = None,
               path: Path | None = None) -> TangSplit:
    """Read, convert, keep the regular poems and split them.  ``limit``: the first N poems of the
    file only (tests); ``path``: another file in the same format (tests)."""
    import opencc   # the data preparation's converter; the app does not need it

    path = Path(path or Path(data_dir) / FILE)
    if not path.is_file():
        raise SystemExit(f"no Tang poems at {path}: give --data-dir (the folder holding {FILE})")
    raw = path.read_bytes()
    t2s = opencc.OpenCC("t2s")
    train, val, read = [], [], 0
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if limit is not None and read >= limit:
            break
        read += 1
        poem = json.loads(line)
        body = t2s.convert("".join(poem.get("paragraphs", [])).replace(" ", ""))
        if check_form(body).ok:
            (val if held_out(poem, body) else train).append(body)
    counts = Counter("".join(train))
    kept = {c for c, _ in counts.most_common(vocab_chars)}
    vocab = sorted(kept | set("".join(FORMS)) | {MARK_END, POEM_END, UNKNOWN})
    covered = sum(counts[c] for c in kept) / max(1, sum(counts.values()))
    meta = {"file": str(FILE), "sha256": hashlib.sha256(raw).hexdigest(), "poems_read": read,
            "regular_poems": len(train) + len(val), "train_poems": len(train), "val_poems": len(val),
            "distinct_chars": len(counts), "vocab_size": len(vocab), "train_coverage": round(covered, 5),
            "conversion": f"OpenCC {getattr(opencc, '__version__', '?')} t2s",
            "split": f"by poem: sha256(author, title, text) in the first {VAL_SHARE:.0%} -> validation",
            "format": "marker (五绝/五律/七绝/七律) + '：' + poem + '\\n'; rare characters -> '□'"}
    return TangSplit(train, val, vocab, meta)


class Bigram:
    """The baseline: p(b | a) = lam * c(a, b) / c(a) + (1 - lam) * p(b), p(b) add-one smoothed,
    counted on the training text; ``lam`` is the best of a grid on the text it is scored on, so
    the baseline gets every advantage."""

    def __init__(self, ids: np.ndarray, V: int):
        self.V = V
        pairs = ids[:-1].astype(np.int64) * V + ids[1:]
        self.counts = np.bincount(pairs, minlength=V * V).reshape(V, V).astype(np.float64)
        uni = np.bincount(ids, minlength=V).astype(np.float64) + 1.0
        self.unigram = uni / uni.sum()
        self.rows = self.counts.sum(1)
        self.lam = 0.9

    def probs(self, a: np.ndarray, lam: float | None = None) -> np.ndarray:
        """(N, V) next-character probabilities after characters a (N,)."""
        lam = self.lam if lam is None else lam
        rows = np.maximum(self.rows[a], 1.0)[:, None]
        seen = (self.rows[a] > 0)[:, None]
        return np.where(seen, lam * self.counts[a] / rows + (1 - lam) * self.unigram, self.unigram)

    def nll(self, ids: np.ndarray, lam: float | None = None) -> float:
        """Mean -ln p(x_t | x_{t-1}) over t = 1..N-1, in nats."""
        lam = self.lam if lam is None else lam
        a, b = ids[:-1], ids[1:]
        rows = np.maximum(self.rows[a], 1.0)
        p = np.where(self.rows[a] > 0, lam * self.counts[a, b] / rows + (1 - lam) * self.unigram[b],
                     self.unigram[b])
        return float(-np.log(p).mean())

    def sample(self, vocab: list[str], rng: np.random.Generator, temperature: float = 0.8,
               max_chars: int = MAX_POEM + 3) -> str:
        """One poem as the baseline writes it: from the state after POEM_END, character by
        character (p ** (1 / temperature), renormalised) until POEM_END or ``max_chars``; the bare
        poem, without what comes up to the first MARK_END (the marker).  As for the model's poems
        (demo.text.poems), UNKNOWN is never drawn, nor MARK_END once the marker is written."""
        stoi = {c: i for i, c in enumerate(vocab)}
        end, colon = stoi[POEM_END], stoi[MARK_END]
        never = [stoi[UNKNOWN]] if UNKNOWN in stoi else []
        prev, out = end, []
        for _ in range(max_chars):
            q = self.probs(np.array([prev]))[0] ** (1.0 / temperature)   # (V,)
            q[never] = 0.0
            cdf = np.cumsum(q)
            prev = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(q) - 1)
            if prev == end:
                break
            if prev == colon:
                never.append(colon)
            out.append(vocab[prev])
        text = "".join(out)
        return text.split(MARK_END, 1)[1] if MARK_END in text else text

    def fit_lambda(self, ids: np.ndarray) -> float:
        grid = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98]
        self.lam = min(grid, key=lambda lam: self.nll(ids, lam))
        return self.lam


def main(argv=None):
    p = argparse.ArgumentParser(description="Print the figures of the Tang split and its bigram baseline.")
    p.add_argument("--data-dir", type=Path, required=True, help="folder holding tang/quantangshi.jsonl.gz")
    args = p.parse_args(argv)
    split = load_split(args.data_dir)
    stoi = {c: i for i, c in enumerate(split.vocab)}
    train = np.array([stoi[c] for c in split.text(split.train)])
    val = np.array([stoi[c] for c in split.text(split.val)])
    bigram = Bigram(train, len(split.vocab))
    lam = bigram.fit_lambda(val)
    print(json.dumps(split.meta, ensure_ascii=False, indent=1))
    print(f"train {len(train):,} chars, val {len(val):,}; bigram (lambda {lam}) val "
          f"{bigram.nll(val):.4f} nats/char ({bigram.nll(val) / math.log(2):.4f} bits)")


if __name__ == "__main__":
    main()
