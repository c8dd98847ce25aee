"""Find hidden units worth looking at: correlate every unit of a character model's top layer (h and,
for the LSTM, c) with simple text features on Tiny Shakespeare's validation split (its last 10%),
and write weights/char_NAME_units.json for the app's Text tab.  Then precompute what the app looks
up (weights/char_NAME_lookups.npz + .json, see demo/text/lookups.py): reading the whole split once,
every unit's 10 top-activating 40-character windows (with the characters, so the app needs no
dataset) and its correlation with each feature; the mean connectivity against distance over a
sample of predictions; the split's line lengths.

    python training/find_units.py                          # lstm and rnn, ../shared/data (~2 min)
    python training/find_units.py --models lstm --max-chars 20000 --weights-dir /tmp/wc
    python training/find_units.py --no-lookups             # the units files only

The JSONs record the weights' SHA-256 (and the lookups the validation text's SHA-256 and this
command): the app ignores or refuses them once the weights are retrained.
"""
import argparse
import hashlib
import json
import time
from pathlib import Path

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import numpy as np

from demo.checkpoint import atomic_write
from demo.text import load_char_model
from demo.text.connectivity import distance_summary, mean_connectivity
from demo.text.lookups import BEFORE, TOP_K, WINDOW, lookup_paths, top_windows
from demo.text.matching import validation_activations
from demo.text.units import FEATURES, correlate, discover_units, save_units, text_features
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


def make_lookups(model, val: str, start: int, positions: int, max_distance: int, burn_in: int,
                 argv=None) -> tuple[dict, dict]:
    """The arrays and the meta of weights/char_NAME_lookups.* (see demo.text.lookups)."""
    t0 = time.perf_counter()
    acts = validation_activations(model, val)                    # {state: (N, H) float16}
    t_read = time.perf_counter() - t0
    states = list(acts)
    ids = np.array(model.encode(val), np.uint8)
    S, H, N = len(states), model.hidden, len(val)
    starts = np.zeros((S, H, TOP_K), np.int32)
    peaks = np.zeros((S, H, TOP_K), np.int32)
    for s, name in enumerate(states):
        for u in range(H):
            starts[s, u], peaks[s, u] = top_windows(acts[name][:, u])
    cols = starts[..., None] + np.arange(WINDOW)                  # (S, H, K, W)
    unit_ix = np.arange(H)[:, None, None]
    values = np.stack([acts[n][cols[s], unit_ix] for s, n in enumerate(states)])  # (S, H, K, W) float16
    feats = text_features(val)
    F = np.stack([feats[k] for k in FEATURES], 1)[50:]
    feature_r = np.stack([correlate(F, acts[n][50:].astype(np.float32)).T for n in states]).astype(np.float32)
    t1 = time.perf_counter()
    rng = np.random.default_rng(0)
    lo = max_distance + burn_in
    sample = np.sort(rng.choice(np.arange(lo, N), size=positions, replace=False))
    curve = mean_connectivity(model, val, sample, max_distance, burn_in)
    t_conn = time.perf_counter() - t1
    lines = np.array([len(x) for x in val.split("\n") if x], float)
    arrays = {"ctx_start": starts, "ctx_peak": peaks, "ctx_values": values.astype(np.float16),
              "ctx_chars": ids[cols], "feature_r": feature_r,
              "unit_min": np.stack([acts[n].min(0) for n in states]).astype(np.float32),
              "unit_max": np.stack([acts[n].max(0) for n in states]).astype(np.float32),
              **{f"conn_{k}": np.asarray(curve[k], np.float64 if k != "distance" else np.int32)
                 for k in ("distance", "mean", "median", "q10", "q90", "share")}}
    summary = distance_summary(curve["distance"], curve["mean"])
    meta = {"kind": "char_lookups", "model": model.name, "weights_sha256": model.meta.get("weights_sha256"),
            "states": states, "features": list(FEATURES), "top_k": TOP_K, "window": WINDOW, "before": BEFORE,
            "validation": {"file": "input.txt", "start": start, "chars": N,
                           "sha256": hashlib.sha256(val.encode("utf-8")).hexdigest(),
                           "split": f"last {1 - TRAIN_FRACTION:.0%} of Tiny Shakespeare"},
            "connectivity": {"positions": int(curve["positions"]), "max_distance": max_distance,
                             "burn_in": burn_in, "sampled": "uniformly at random (seed 0) from the split",
                             "measure": "L2 norm over x_j of d log p(text[p] | text[:p]) / d x_j",
                             **summary},
            "line_lengths": {"mean": float(lines.mean()), "p10": float(np.percentile(lines, 10)),
                             "p25": float(np.percentile(lines, 25)), "p50": float(np.percentile(lines, 50)),
                             "p75": float(np.percentile(lines, 75)), "p90": float(np.percentile(lines, 90))},
            "timing_s": {"read_split": round(t_read, 1), "connectivity": round(t_conn, 1)},
            "command": command_line(__file__, argv)}
    return arrays, meta


def save_lookups(name: str, weights_dir: Path, arrays: dict, meta: dict) -> Path:
    npz, js = lookup_paths(name, weights_dir)
    atomic_write(npz, lambda tmp: np.savez_compressed(open(tmp, "wb"), **arrays))
    meta = {**meta, "npz_sha256": hashlib.sha256(npz.read_bytes()).hexdigest()}
    atomic_write(js, lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=1) + "\n"))
    return npz


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder holding tinyshakespeare/")
    p.add_argument("--weights-dir", type=Path, default=ROOT / "weights", help="where char_NAME.* live")
    p.add_argument("--models", nargs="+", default=["lstm", "rnn"], help="model names (char_NAME)")
    p.add_argument("--max-chars", type=int, default=MAX_CHARS, help="validation characters to read")
    p.add_argument("--top", type=int, default=9, help="units to keep per model")
    p.add_argument("--no-lookups", action="store_true", help="write the units files only")
    p.add_argument("--positions", type=int, default=256, help="predictions sampled for the connectivity curve")
    p.add_argument("--max-distance", type=int, default=400, help="characters back measured in that curve")
    p.add_argument("--burn-in", type=int, default=200, help="characters read before each curve window")
    args = p.parse_args(argv)
    configure_torch()

    full = validation_text(args.data_dir)
    start, _ = validation_start(args.data_dir)
    text = full[:args.max_chars]
    for name in args.models:
        model = load_char_model(name, args.weights_dir)
        t0 = time.perf_counter()
        units = discover_units(model, text, top=args.top)
        out = args.weights_dir / f"char_{name}_units.json"
        source = (f"the validation split of Tiny Shakespeare (last {1 - TRAIN_FRACTION:.0%}; "
                  f"{len(text):,} of its {len(full):,} characters)")
        save_units(out, units, {"model": name, "weights_sha256": model.meta.get("weights_sha256"),
                                "source": source, "chars": len(text), "total": len(full)})
        print(f"{name}: {len(units)} units in {time.perf_counter() - t0:.1f}s -> {out}")
        for u in units:
            print(f"  {u.label}")
        if args.no_lookups:
            continue
        arrays, meta = make_lookups(model, full, start, args.positions, args.max_distance, args.burn_in, argv)
        npz = save_lookups(name, args.weights_dir, arrays, meta)
        c = meta["connectivity"]
        print(f"  lookups {npz.stat().st_size / 1e6:.2f} MB -> {npz} ({meta['timing_s']}); connectivity: half "
              f"within {c['half']} chars, 90% within {c['ninety']}, mean below 1/100 of its peak from "
              f"{c['below_1e-2']}, below 1/10,000 from {c['below_1e-4']}")


if __name__ == "__main__":
    main()
