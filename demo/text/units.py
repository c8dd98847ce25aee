"""Hidden units worth looking at: simple features of a text (column, inside a speaker's name,
vowel...), their Pearson correlation with every unit of the top layer's h and c, the best unit per
feature (``discover_units``), and the units file (weights/char_NAME_units.json) that
``training/find_units.py`` writes and the Text tab reads.  Pure numpy; no gradio, no HTML.

    from demo.text.units import discover_units, load_units
    units = discover_units(model, text)    # [Unit(feature, description, state_name, unit, r)], strongest first
    found = load_units(path, model.meta.get("weights_sha256"))   # (units, source) or None

    python training/find_units.py          # writes the units files for the shipped models
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from demo.errors import Text

from demo.text.model import CharModel, TextStates

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


def text_features(text: str) -> dict[str, np.ndarray]:
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


def correlate(features: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """Pearson r of every feature column (T, K) with every unit column (T, H) -> (K, H); a
    constant column correlates 0 with everything."""
    def z(x):
        x = np.asarray(x, np.float64)
        x = x - x.mean(0)
        sd = np.sqrt((x * x).mean(0))
        return np.divide(x, sd, out=np.zeros_like(x), where=sd > 1e-12)
    return z(features).T @ z(acts) / len(features)


def discover_units(model: CharModel, text: str, top: int = len(FEATURES), min_r: float = 0.2,
                   burn_in: int = 50, text_states: TextStates | None = None) -> list[Unit]:
    """Read `text` (or take `text_states`, model.states(text) already computed), correlate each
    feature with every unit of the top layer's h and c, and keep for each feature its best unit
    (not already taken), strongest |r| first, at most `top` of them.  The first `burn_in`
    characters are skipped (the state starts at zero there)."""
    st = text_states if text_states is not None else model.states(text)
    feats = text_features(text)
    F = np.stack([feats[k] for k in FEATURES], 1)[burn_in:]  # (T', K)
    r = {"h": correlate(F, st.h[burn_in:])}                   # (K, H) each
    if st.c is not None:
        r["c"] = correlate(F, st.c[burn_in:])
    found, taken = [], set()
    for k, name in enumerate(FEATURES):
        cands = sorted(((abs(r[s][k, u]), s, u) for s in r for u in np.argsort(-np.abs(r[s][k]))[:5]),
                       reverse=True)
        for score, s, u in cands:
            if (s, int(u)) not in taken and score >= min_r:
                taken.add((s, int(u)))
                found.append(Unit(name, FEATURES[name], s, int(u), round(float(r[s][k, u]), 4)))
                break
    return sorted(found, key=lambda u: -abs(u.r))[:top]


def discover_on_own_text(model: CharModel, chars: int = DISCOVERY_CHARS) -> tuple[list[Unit], Text]:
    """No units file: search `chars` characters the model writes itself (seed newline,
    temperature 0.8, rng_seed 0, so the result is the same every time).  Returns (units, source)."""
    text = model.generate("\n", chars, 0.8, rng_seed=0)
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
            return found, Text("text.units_table.source_val", n=f"{d['chars']:,}", total=f"{d['total']:,}")
        return found, d.get("source", Path(path).name)
    except (OSError, ValueError, KeyError, TypeError):
        return None
