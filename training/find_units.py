"""Find hidden units worth looking at: correlate every unit of a character model's top layer (h and,
for the LSTM, c) with simple text features on its corpus's validation split (Tiny Shakespeare's
last 10%; for a Tang model, data.corpus "tang" in its weights JSON, the held-out 5% of the Tang
poems with the Tang features of demo.text.units), and write weights/char_NAME_units.json for the
app's Text tab.  Then precompute what the app looks up (weights/char_NAME_lookups.npz + .json, see
demo/text/lookups.py): reading the whole split once, every unit's 10 top-activating 40-character
windows (with the characters, so the app needs no dataset) and its correlation with each feature;
the mean connectivity against distance over a sample of predictions; the split's line lengths
(poem lines for Tang); for Tang, the split itself.

    python training/find_units.py                          # lstm and rnn, ../shared/data (~2 min)
    python training/find_units.py --models tang            # the Tang model (~2 min)
    python training/find_units.py --models lstm --max-chars 20000 --weights-dir /tmp/wc
    python training/find_units.py --no-lookups             # the units files only

The JSONs record the weights' SHA-256 (and the lookups the validation text's SHA-256 and this
command): the app ignores or refuses them once the weights are retrained.
"""
import argparse
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import numpy as np
import torch

from demo.checkpoint import atomic_write
from demo.text import load_char_model
from demo.text.connectivity import distance_summary, mean_connectivity
from demo.text.interventions import line_lengths
from demo.text.lookups import BEFORE, TOP_K, WINDOW, id_dtype, lookup_paths, top_windows
from demo.text.matching import validation_activations
from demo.text.units import correlate, corpus_of, discover_units, feature_set, save_units, text_features
from training.common import DEFAULT_DATA_DIR, ROOT, command_line
from training.train_char_rnn import TRAIN_FRACTION

MAX_CHARS = 50_000  # demo.text's states() limit; ~10 s for the 2x384 LSTM on one thread


def validation_text(data_dir: Path) -> str:
    """The split training scored itself on: everything after the first TRAIN_FRACTION."""
    path = Path(data_dir) / "tinyshakespeare" / "input.txt"
    if not path.is_file():
        raise SystemExit(f"no Tiny Shakespeare at {path} (pass --data-dir)")
    text = path.read_text(encoding="utf-8")
    return text[int(len(text) * TRAIN_FRACTION):]


def validation_start(data_dir: Path) -> tuple[int, str]:
    full = (Path(data_dir) / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    return int(len(full) * TRAIN_FRACTION), full


@dataclass
class Split:
    """A corpus's validation split: its text, where it starts in the file, and how the lookups
    and units files describe it."""
    corpus: str
    text: str
    start: int
    validation: dict    # the lookups' "validation" meta (without chars and sha256)
    source: str         # the units file's words ("... {n} of its {total} characters")


def shakespeare_split(data_dir: Path) -> Split:
    text = validation_text(data_dir)
    return Split("shakespeare", text, validation_start(data_dir)[0],
                 {"file": "input.txt", "start": validation_start(data_dir)[0],
                  "split": f"last {1 - TRAIN_FRACTION:.0%} of Tiny Shakespeare"},
                 f"the validation split of Tiny Shakespeare (last {1 - TRAIN_FRACTION:.0%}; {{n}} of its {{total}} characters)")


def tang_split(data_dir: Path) -> Split:
    """The held-out poems as the model reads them (training.tang_data: marker, "：", poem, newline)."""
    from training.tang_data import VAL_SHARE, load_split   # OpenCC: only for a Tang model
    split = load_split(data_dir)
    text = split.text(split.val)
    return Split("tang", text, 0,
                 {"corpus": "tang", "file": split.meta["file"], "data_sha256": split.meta["sha256"], "start": 0,
                  "poems": len(split.val), "split": split.meta["split"],
                  "format": split.meta["format"]},
                 f"the held-out {VAL_SHARE:.0%} of the Tang poems ({len(split.val):,} poems; {{n}} of its {{total}} characters)")


def load_splits(data_dir: Path) -> dict:
    """{corpus: a function giving its Split, read once}."""
    cache = {}

    def get(corpus):
        if corpus not in cache:
            cache[corpus] = (tang_split if corpus == "tang" else shakespeare_split)(data_dir)
        return cache[corpus]
    return get


def length_summary(lengths) -> dict:
    x = np.asarray(lengths, float)
    return {"mean": float(x.mean()), **{f"p{q}": float(np.percentile(x, q)) for q in (10, 25, 50, 75, 90)}}


def make_lookups(model, split: Split, positions: int, max_distance: int, burn_in: int, argv=None,
                 acts: dict | None = None) -> tuple[dict, dict]:
    """The arrays and the meta of weights/char_NAME_lookups.* (see demo.text.lookups).  ``acts``:
    validation_activations(model, split.text) when already computed."""
    val, N = split.text, len(split.text)
    t0, given = time.perf_counter(), acts is not None
    acts = acts if given else validation_activations(model, val)   # {state: (N, H) float16}
    t_read = None if given else round(time.perf_counter() - t0, 1)   # None: read for the units (main)
    states = list(acts)
    ids = np.array(model.encode(val), id_dtype(len(model.vocab)))  # uint16 for the Tang vocabulary
    starts, peaks, values = windows(acts, model.hidden)
    features = feature_set(split.corpus)
    feats = text_features(val, split.corpus)
    F = np.stack([feats[k] for k in features], 1)[50:]
    feature_r = np.stack([correlate(F, acts[n][50:].astype(np.float32)).T for n in states]).astype(np.float32)
    t1 = time.perf_counter()
    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(np.arange(max_distance + burn_in, N), size=positions, replace=False))
    curve = mean_connectivity(model, val, sample, max_distance, burn_in)
    t_conn = time.perf_counter() - t1
    arrays = {"ctx_start": starts, "ctx_peak": peaks, "ctx_values": values.astype(np.float16),
              "ctx_chars": ids[starts[..., None] + np.arange(WINDOW)], "feature_r": feature_r,
              "unit_min": np.stack([acts[n].min(0) for n in states]).astype(np.float32),
              "unit_max": np.stack([acts[n].max(0) for n in states]).astype(np.float32),
              **{f"conn_{k}": np.asarray(curve[k], np.float64 if k != "distance" else np.int32)
                 for k in ("distance", "mean", "median", "q10", "q90", "share")}}
    if split.corpus == "tang":   # the app has no Tang data: select-and-match reads the split from here
        arrays["val_ids"] = ids
    lines = {**length_summary(line_lengths(val, split.corpus)),
             **({"of": "poem lines (the characters between punctuation)"} if split.corpus == "tang" else {})}
    meta = {"kind": "char_lookups", "model": model.name, "weights_sha256": model.meta.get("weights_sha256"),
            "corpus": split.corpus, "states": states, "features": list(features), "top_k": TOP_K,
            "window": WINDOW, "before": BEFORE,
            "validation": {**split.validation, "chars": N, "sha256": hashlib.sha256(val.encode("utf-8")).hexdigest()},
            "connectivity": {"positions": int(curve["positions"]), "max_distance": max_distance,
                             "burn_in": burn_in, "sampled": "uniformly at random (seed 0) from the split",
                             "measure": "L2 norm over x_j of d log p(text[p] | text[:p]) / d x_j",
                             **distance_summary(curve["distance"], curve["mean"])},
            "line_lengths": lines,
            "timing_s": {"read_split": t_read, "connectivity": round(t_conn, 1)},
            "command": command_line(__file__, argv)}
    return arrays, meta


def windows(acts: dict, H: int):
    """Every unit's top windows (demo.text.lookups.top_windows): starts, peaks (S, H, K) int32 and
    the unit's values over each window (S, H, K, W) float16."""
    S = len(acts)
    starts = np.zeros((S, H, TOP_K), np.int32)
    peaks = np.zeros((S, H, TOP_K), np.int32)
    for s, name in enumerate(acts):
        for u in range(H):
            starts[s, u], peaks[s, u] = top_windows(acts[name][:, u])
    cols = starts[..., None] + np.arange(WINDOW)                  # (S, H, K, W)
    unit_ix = np.arange(H)[:, None, None]
    values = np.stack([acts[n][cols[s], unit_ix] for s, n in enumerate(acts)])  # (S, H, K, W) float16
    return starts, peaks, values


def save_lookups(name: str, weights_dir: Path, arrays: dict, meta: dict) -> Path:
    npz, js = lookup_paths(name, weights_dir)
    atomic_write(npz, lambda tmp: np.savez_compressed(open(tmp, "wb"), **arrays))
    meta = {**meta, "npz_sha256": hashlib.sha256(npz.read_bytes()).hexdigest()}
    atomic_write(js, lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=1) + "\n"))
    return npz


def find(model, split: Split, args) -> tuple[list, dict | None, int]:
    """The model's units on its split, the activations when they were read for it (Tang), and
    the number of characters searched.  Tiny
    Shakespeare: model.states over the first --max-chars (50,000 unless given: states()' limit);
    Tang: the whole split (or --max-chars) read in batched pieces, since states() would keep the
    (T, 4002) next-character distribution."""
    if split.corpus == "tang":
        acts = validation_activations(model, split.text)
        n = min(args.max_chars or len(split.text), len(split.text))
        st = SimpleNamespace(h=acts["h"][:n].astype(np.float32),
                             c=acts["c"][:n].astype(np.float32) if "c" in acts else None)
        return discover_units(model, split.text[:n], top=args.top, text_states=st), acts, n
    text = split.text[:args.max_chars or MAX_CHARS]
    return discover_units(model, text, top=args.top), None, len(text)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                   help="folder holding tinyshakespeare/ (and tang/ for a Tang model)")
    p.add_argument("--weights-dir", type=Path, default=ROOT / "weights", help="where char_NAME.* live")
    p.add_argument("--models", nargs="+", default=["lstm", "rnn"], help="model names (char_NAME), e.g. tang")
    p.add_argument("--max-chars", type=int, default=None,
                   help=f"validation characters searched for units (default: {MAX_CHARS:,}; Tang: all)")
    p.add_argument("--top", type=int, default=9, help="units to keep per model")
    p.add_argument("--no-lookups", action="store_true", help="write the units files only")
    p.add_argument("--positions", type=int, default=256, help="predictions sampled for the connectivity curve")
    p.add_argument("--max-distance", type=int, default=400, help="characters back measured in that curve")
    p.add_argument("--burn-in", type=int, default=200, help="characters read before each curve window")
    args = p.parse_args(argv)
    configure_torch()
    # Gradients that fade over hundreds of steps reach subnormal floats, which the CPU computes ~10x
    # slower (a 2x384 LSTM's connectivity: 280 s instead of 30 s); flushed to 0 they change nothing
    # the curve shows (1e-38 of its peak).
    torch.set_flush_denormal(True)
    splits = load_splits(args.data_dir)
    for name in args.models:
        model = load_char_model(name, args.weights_dir)
        split = splits(corpus_of(model))
        t0 = time.perf_counter()
        units, acts, n = find(model, split, args)
        out = args.weights_dir / f"char_{name}_units.json"
        save_units(out, units, {"model": name, "weights_sha256": model.meta.get("weights_sha256"),
                                "corpus": split.corpus, "source": split.source.format(n=f"{n:,}", total=f"{len(split.text):,}"),
                                "chars": n, "total": len(split.text), "command": command_line(__file__, argv)})
        print(f"{name}: {len(units)} units in {time.perf_counter() - t0:.1f}s -> {out}")
        for u in units:
            print(f"  {u.label}")
        if args.no_lookups:
            continue
        t_units = round(time.perf_counter() - t0, 1)
        arrays, meta = make_lookups(model, split, args.positions, args.max_distance, args.burn_in, argv, acts)
        meta["timing_s"]["units"] = t_units
        npz = save_lookups(name, args.weights_dir, arrays, meta)
        c = meta["connectivity"]
        print(f"  lookups {npz.stat().st_size / 1e6:.2f} MB -> {npz} ({meta['timing_s']}); connectivity: half "
              f"within {c['half']} chars, 90% within {c['ninety']}, mean below 1/100 of its peak from "
              f"{c['below_1e-2']}, below 1/10,000 from {c['below_1e-4']}")


if __name__ == "__main__":
    main()
