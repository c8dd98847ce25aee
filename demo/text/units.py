"""Hidden units worth looking at: simple features of a text, their Pearson correlation with every
unit of the top layer's h and c, the best unit per feature (``discover_units``), and the units file
(weights/char_NAME_units.json) that ``training/find_units.py`` writes and the Text tab reads.
Pure numpy; no gradio, no HTML.

The features depend on the model's corpus (``corpus_of``: the weights JSON's data.corpus):
Tiny Shakespeare's (column, inside a speaker's name, vowel...: FEATURES) or the Tang poems'
(position in the poem line, line number, next is punctuation...: TANG_FEATURES).

    from demo.text.units import discover_units, load_units
    units = discover_units(model, text)    # [Unit(feature, description, state_name, unit, r)], strongest first
    found = load_units(path, model.meta.get("weights_sha256"))   # (units, source) or None
    feats = text_features(text, corpus_of(model))   # {feature: (T,) array}, feature_set(corpus) order

    python training/find_units.py          # writes the units files for the shipped models
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from demo.errors import Text
from demo.text.known_seed import fallback_seed
from demo.text.model import CharModel, TextStates
from demo.text.tang import COMMA, FIVE, JUE, LINE_MARKS, LU, MARK_END, POEM_END, SEVEN, STOP

VOWELS = set("aeiouAEIOU")
PUNCT = set(".,;:!?-'&$")
DISCOVERY_CHARS = 4_000         # generated characters to search when no units file exists

# Features that discover_units correlates with every unit, and the one line the app shows.
FEATURES = {
    "speaker": "inside a speaker's name (a line like 'ROMEO:')",
    "column": "position in the line (characters since the newline)",
    "newline_next": "end of line: the next character is a newline",
    "word_pos": "position inside the current word",
    "space": "just read a space (between words)",
    "punct": "just read punctuation",
    "vowel": "vowel (+1) versus consonant (-1)",
    "upper": "just read an uppercase letter",
    "sentence": "characters since the last . ! or ?",
}

# The Tang poems' features (the model reads marker, MARK_END, the poem's lines, each ended by a
# LINE_MARK, and POEM_END: demo.text.tang); see tang_features.
TANG_FEATURES = {
    "line_pos": "counts the position in the line (1 to 7; 0 on punctuation and markers)",
    "line_no": "the line number within the poem (1 to 8)",
    "punct_next": "end of a line: the next character is a full-width comma or full stop",
    "seven": "seven-character poem (+1) versus five (-1), from the form marker on",
    "eight": "eight-line poem, lüshi (+1), versus four-line, jueju (-1), from the form marker on",
    "even_line": "even line (2nd, 4th...: the rhyming ones, +1) versus odd (-1)",
}
CORPORA = {"shakespeare": FEATURES, "tang": TANG_FEATURES}


@dataclass(frozen=True)
class Unit:
    feature: str        # key of FEATURES
    description: str    # one line for the app
    state_name: str     # "h" or "c" (top layer); "state" in the units file
    unit: int           # index in that state vector
    r: float            # Pearson correlation with the feature over the text

    @property
    def label(self) -> str:
        return f"{self.state_name}[{self.unit}] · {self.description} (r = {self.r:+.2f})"

    @property
    def key(self) -> str:
        """"c:25": the value of the app's unit picker."""
        return f"{self.state_name}:{self.unit}"

    def to_json(self) -> dict:
        return {"feature": self.feature, "description": self.description, "state": self.state_name,
                "unit": self.unit, "r": self.r}

    @classmethod
    def from_json(cls, d: dict) -> "Unit":
        return cls(d["feature"], d["description"], d["state"], int(d["unit"]), float(d["r"]))


def corpus_of(model) -> str:
    """"tang" for a model trained on the Tang poems (its weights JSON's data.corpus), else
    "shakespeare" (the shipped models, and any without that field)."""
    corpus = ((getattr(model, "meta", None) or {}).get("data") or {}).get("corpus")
    return corpus if corpus in CORPORA else "shakespeare"


def feature_set(corpus: str = "shakespeare") -> dict[str, str]:
    """{feature: its one line} of a corpus, in the order of text_features' and the lookups' columns."""
    return CORPORA.get(corpus, FEATURES)


def text_features(text: str, corpus: str = "shakespeare") -> dict[str, np.ndarray]:
    """One (T,) float array per feature of ``corpus`` (feature_set order)."""
    return tang_features(text) if corpus == "tang" else shakespeare_features(text)


def shakespeare_features(text: str) -> dict[str, np.ndarray]:
    """One (T,) float array per feature: row t describes the text up to and including text[t]
    (newline_next alone looks one character ahead, which the model has to predict)."""
    T = len(text)
    f = {k: np.zeros(T) for k in FEATURES}
    col = word = since = 0
    pos, prev = 0, ""
    for line in text.split("\n"):  # speaker lines: after a blank line, short, 'Name Words:'
        name = line[:-1].replace(" ", "").replace("'", "")
        if not prev and line.endswith(":") and len(line) <= 40 and name.isalpha():
            f["speaker"][pos:pos + len(line)] = 1.0
        pos, prev = pos + len(line) + 1, line
    for t, ch in enumerate(text):
        col = 0 if ch == "\n" else col + 1
        word = word + 1 if ch.isalpha() else 0
        since = 0 if ch in ".!?" else since + 1
        f["column"][t] = min(col, 80)
        f["word_pos"][t] = min(word, 12)
        f["sentence"][t] = min(since, 200)
        f["newline_next"][t] = t + 1 < T and text[t + 1] == "\n"
        f["space"][t] = ch == " "
        f["punct"][t] = ch in PUNCT
        f["vowel"][t] = 1.0 if ch in VOWELS else (-1.0 if ch.isalpha() else 0.0)
        f["upper"][t] = ch.isupper()
    return f


def tang_features(text: str) -> dict[str, np.ndarray]:
    """The Tang features (TANG_FEATURES), one (T,) float array each; row t describes the text up
    to and including text[t], read poem by poem (a poem: an optional form marker, MARK_END, its
    lines each ended by one of LINE_MARKS, POEM_END "\n"; demo.text.tang).  Within a poem:

    - line_pos: characters of the current line read so far, text[t] included (1 at its first
      character ... 5 or 7 at its last; capped at 7); 0 on the punctuation that ends a line, on
      the marker and MARK_END, and on "\n": a unit that counts resets there.
    - line_no: lines begun so far in this poem (1 ... 8, capped at 8), the punctuation ending
      line k included (it is still k); 0 on the marker, MARK_END and "\n".
    - punct_next: 1 where the next character is COMMA or STOP (which the model has to predict).
    - seven / eight: +1 / -1 from the marker's first / second character to the poem's last
      (SEVEN vs FIVE, LU vs JUE); 0 on "\n" and in a poem without a marker.
    - even_line: +1 on even lines (with their punctuation), -1 on odd ones, 0 elsewhere.
    """
    T = len(text)
    f = {k: np.zeros(T) for k in TANG_FEATURES}
    start = 0
    for seg in text.split(POEM_END):                  # seg: one poem without its "\n"
        k = seg.find(MARK_END)
        body = k + 1 if 0 <= k <= 2 else 0            # the marker is at most two characters
        end = start + len(seg)                        # the poem's "\n" (or the text's end)
        if body:
            f["seven"][start:end] = {SEVEN: 1.0, FIVE: -1.0}.get(seg[0], 0.0)
            f["eight"][start + 1:end] = {LU: 1.0, JUE: -1.0}.get(seg[1:2], 0.0)
        pos = line = 0
        for t in range(start + body, end):
            if text[t] not in LINE_MARKS:
                line += pos == 0                      # a line begins
                pos += 1
                f["line_pos"][t] = min(pos, 7)
            else:
                pos = 0
            f["line_no"][t] = min(line, 8)
            f["even_line"][t] = 0.0 if line == 0 else (1.0 if line % 2 == 0 else -1.0)
        start = end + 1
    f["punct_next"][:-1] = [c in (COMMA, STOP) for c in text[1:]]
    return f


def correlate(features: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """Pearson r of every feature column (T, K) with every unit column (T, H) -> (K, H); a
    constant column correlates 0 with everything."""
    def z(x):
        x = np.asarray(x, np.float64)
        x = x - x.mean(0)
        sd = np.sqrt((x * x).mean(0))
        return np.divide(x, sd, out=np.zeros_like(x), where=sd > 1e-12)
    return z(features).T @ z(acts) / len(features)


def rank_units(F: np.ndarray, acts: dict[str, np.ndarray], features: dict[str, str], top: int,
               min_r: float = 0.2) -> list[Unit]:
    """F (T, K) the feature columns (``features`` order), acts {"h": (T, H), "c": ...} the units
    over the same characters -> for each feature, in ``features`` order, its best unit not taken by
    an earlier feature, if |r| >= min_r; strongest |r| first, at most ``top``."""
    r = {s: correlate(F, a) for s, a in acts.items() if a is not None}   # (K, H) each
    found, taken = [], set()
    for k, name in enumerate(features):
        cands = sorted(((abs(r[s][k, u]), s, u) for s in r for u in np.argsort(-np.abs(r[s][k]))[:5]),
                       reverse=True)
        for score, s, u in cands:
            if (s, int(u)) not in taken and score >= min_r:
                taken.add((s, int(u)))
                found.append(Unit(name, features[name], s, int(u), round(float(r[s][k, u]), 4)))
                break
    return sorted(found, key=lambda u: -abs(u.r))[:top]


def discover_units(model: CharModel, text: str, top: int | None = None, min_r: float = 0.2,
                   burn_in: int = 50, text_states: TextStates | None = None) -> list[Unit]:
    """Read `text` (or take `text_states`: anything with .h and .c (T, H), e.g. model.states(text)
    already computed), correlate each feature of the model's corpus with every unit of the top
    layer's h and c, and keep for each feature its best unit (``rank_units``), at most `top`
    (None: one per feature).  The first `burn_in` characters are skipped (the state starts at
    zero there)."""
    st = text_states if text_states is not None else model.states(text)
    corpus = corpus_of(model)
    features = feature_set(corpus)
    feats = text_features(text, corpus)
    F = np.stack([feats[k] for k in features], 1)[burn_in:]  # (T', K)
    acts = {"h": np.asarray(st.h[burn_in:], np.float32),
            "c": None if st.c is None else np.asarray(st.c[burn_in:], np.float32)}
    return rank_units(F, acts, features, len(features) if top is None else top, min_r)


def discover_on_own_text(model: CharModel, chars: int = DISCOVERY_CHARS) -> tuple[list[Unit], Text]:
    """No units file: search `chars` characters the model writes itself (seed newline, or a
    character it knows when it never saw one: a model trained on one line of someone's text;
    temperature 0.8, rng_seed 0, so the result is the same every time).  Returns (units, source)."""
    text = model.generate(fallback_seed(model), chars, 0.8, rng_seed=0)
    return discover_units(model, text), Text("text.units_table.source_own", n=f"{chars:,}",
                                             file=f"char_{model.name}_units.json")


def units_path(weights_dir: Path, name: str) -> Path:
    return Path(weights_dir) / f"char_{name}_units.json"


def save_units(path: Path, units: list[Unit], meta: dict) -> None:
    Path(path).write_text(json.dumps({**meta, "units": [u.to_json() for u in units]}, indent=1) + "\n")


def load_units(path: Path, weights_sha256: str | None = None) -> tuple[list[Unit], Text | str] | None:
    """(units, where they were found: a Text in the reader's language) from a units file, or None when it is missing or was made
    for other weights (a retrained model invalidates it)."""
    try:
        d = json.loads(Path(path).read_text())
        if weights_sha256 and d.get("weights_sha256") not in (None, weights_sha256):
            return None
        found = [Unit.from_json(u) for u in d["units"]]
        if "chars" in d and "total" in d:   # searched on the validation split (training/find_units.py)
            key = "text.units_table.source_val_tang" if d.get("corpus") == "tang" else "text.units_table.source_val"
            return found, Text(key, n=f"{d['chars']:,}", total=f"{d['total']:,}")
        return found, d.get("source", Path(path).name)
    except (OSError, ValueError, KeyError, TypeError):
        return None
