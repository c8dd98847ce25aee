"""The clamp experiment on the Tang model's counting unit: does the unit that tracks the position in
the poem line (demo.text.units' "line_pos" feature) make the lines as long as they are?

1. Read the validation split (the held-out 5% of the poems, training.tang_data) and take the unit of
   the top layer (h or c) whose value correlates best, |Pearson r|, with the position in the line
   (or the unit given with --unit); its 5th and 95th percentile over the split are the clamp values
   (or --values): "early" is the one on the side of a line's start (p95 when r < 0), "late" the other.
2. Write --poems poems (rng seeds 0..N-1, temperature --temperature, the model's poem API:
   demo.text.poems, which draws the form marker and writes to the poem's end) in each condition:
   plain; the unit clamped early / late at every step (the marker's too); and the --group best
   counting units clamped together, each to its own early / late value (one unit alone may be
   made up for by the others that count).
3. Measure each condition: the share of the complete lines of each length, their mean, lines per
   poem, the share of poems the model ended, in a regular form (demo.text.tang.check_form) and in
   the form their marker names.

    python training/tang_units.py                     # weights/char_tang -> weights/char_tang_clamp.json
    python training/tang_units.py --weights-dir /tmp/dev --out /tmp/dev/char_tang_clamp.json --poems 50

The JSON records the command, the weights' SHA-256 and the validation text's.
"""
import argparse
import hashlib
import json
import time
from collections import Counter
from pathlib import Path

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import numpy as np

from demo.checkpoint import atomic_write
from demo.text import load_char_model
from demo.text.interventions import parse_units, poem_lines
from demo.text.matching import validation_activations
from demo.text.poems import poem_sampling, write_many
from demo.text.tang import FORMS, check_form
from demo.text.units import correlate, tang_features
from training.common import DEFAULT_DATA_DIR, ROOT, command_line

BURN_IN = 50        # first characters of the split left out (the state starts at zero there)
CANDIDATES = 5      # units listed by |r| with the line position


def counting_unit(text: str, acts: dict, unit: tuple[str, int] | None = None) -> dict:
    """acts {"h": (N, H), "c": ...} the top layer over ``text`` -> the unit that best tracks the
    position in the line (or ``unit``): its r, percentiles, its mean at each line position (0:
    punctuation, markers, newline), its value "early" in a line (the percentile on the side of
    position 1: p95 when r < 0) and "late" (the other), and the CANDIDATES best units alike."""
    pos = tang_features(text)["line_pos"][BURN_IN:]                             # (N',)
    r = {s: correlate(pos[:, None], np.asarray(a[BURN_IN:], np.float32))[0] for s, a in acts.items()}  # (H,)
    ranked = sorted(((abs(float(r[s][u])), s, int(u)) for s in r for u in range(len(r[s]))), reverse=True)

    def about(state, u, full=False) -> dict:
        v = np.asarray(acts[state][BURN_IN:, u], np.float32)
        p5, p95, rr = float(np.percentile(v, 5)), float(np.percentile(v, 95)), float(r[state][u])
        d = {"state": state, "unit": int(u), "key": f"{state}:{u}", "r": round(rr, 4), "p5": round(p5, 4),
             "p95": round(p95, 4), "early": round(p95 if rr < 0 else p5, 4), "late": round(p5 if rr < 0 else p95, 4)}
        if full:
            d.update({"min": round(float(v.min()), 4), "max": round(float(v.max()), 4),
                      "mean_by_position": {str(k): round(float(v[pos == k].mean()), 4)
                                           for k in range(8) if (pos == k).any()}})
        return d
    state, u = unit if unit is not None else ranked[0][1:]
    return {**about(state, u, True), "candidates": [about(s, i) for _, s, i in ranked[:CANDIDATES]]}


def write_poems(model, n: int, temperature: float, clamp: dict | None = None) -> list:
    """n poems (demo.text.poems.Poem), rng seeds 0..n-1, batched; the same seeds in every
    condition, so a clamp is the only difference."""
    return write_many(model, [poem_sampling(model, "", temperature, i, None, clamp or None) for i in range(n)])


def measure(poems) -> dict:
    """Line lengths (the complete lines: ended by punctuation) and forms of the poems."""
    lengths = [len(line) for p in poems for line in poem_lines(p.text)]
    forms = [check_form(p.text) for p in poems]
    count, n, L = Counter(lengths), max(len(poems), 1), max(len(lengths), 1)
    match = sum(f.ok and FORMS.get(p.marker) == (f.line_lengths[0], f.lines) for p, f in zip(poems, forms))
    return {"poems": len(poems), "ended": round(sum(p.ended for p in poems) / n, 4),
            "form_ok": round(sum(f.ok for f in forms) / n, 4), "form_matches_marker": round(match / n, 4),
            "lines": len(lengths), "lines_per_poem": round(len(lengths) / n, 3),
            "mean_line": round(float(np.mean(lengths)), 3) if lengths else None,
            "line_length_share": {str(k): round(count[k] / L, 4) for k in sorted(count)},
            "markers": {m: round(c / n, 4) for m, c in sorted(Counter(p.marker for p in poems).items())},
            "examples": [p.text for p in poems[:3]]}


def conditions_of(found: dict, values=None, group: int = 0) -> dict:
    """{condition: clamp {(state, unit): value} or None}: plain; the unit early / late in the line
    (``values``: (early, late) instead of its percentiles); with group > 1 the ``group`` best
    candidates clamped together, each to its own early / late value."""
    key = (found["state"], found["unit"])
    early, late = values if values is not None else (found["early"], found["late"])
    out = {"plain": None, "early": {key: float(early)}, "late": {key: float(late)}}
    if group > 1:
        top = found["candidates"][:group]
        for side in ("early", "late"):
            out[f"{side}_{group}"] = {(c["state"], c["unit"]): float(c[side]) for c in top}
    return out


def experiment(model, text: str, n: int, temperature: float, unit=None, values=None, group: int = 0,
               acts=None) -> dict:
    """The whole experiment on ``model`` (a Tang CharModel) with validation ``text``: the counting
    unit, then each condition of ``conditions_of`` written and measured."""
    acts = acts if acts is not None else validation_activations(model, text)
    found = counting_unit(text, acts, unit)
    conditions = {}
    for name, clamp in conditions_of(found, values, group).items():
        t0 = time.perf_counter()
        conditions[name] = {"clamp": None if clamp is None else {f"{s}:{u}": v for (s, u), v in clamp.items()},
                            **measure(write_poems(model, n, temperature, clamp)),
                            "seconds": round(time.perf_counter() - t0, 1)}
    return {"unit": found, "temperature": temperature, "rng_seeds": f"0..{n - 1}", "conditions": conditions}


def table(result: dict) -> str:
    """The conditions side by side, one row each, for the terminal."""
    u = result["unit"]
    rows = [f"unit {u['key']}: r = {u['r']:+.3f} with the position in the line; p5 {u['p5']:+.3f}, "
            f"p95 {u['p95']:+.3f}; mean by position " + " ".join(f"{k}:{v:+.2f}" for k, v in u["mean_by_position"].items()),
            "best units: " + ", ".join(f"{c['key']} ({c['r']:+.2f})" for c in u["candidates"]),
            f"{'condition':<10}{'clamp':<26}{'ended':>6}{'form':>6}{'marker':>7}{'mean':>6}{'lines':>6}  line lengths"]
    for name, c in result["conditions"].items():
        shares = sorted(c["line_length_share"].items(), key=lambda kv: -kv[1])[:5]
        clamp = "-" if c["clamp"] is None else ",".join(f"{k}={v:+.2f}" for k, v in c["clamp"].items())
        mean = "-" if c["mean_line"] is None else f"{c['mean_line']:.2f}"
        rows.append(f"{name:<10}{clamp[:25]:<26}{c['ended']:>6.0%}{c['form_ok']:>6.0%}{c['form_matches_marker']:>7.0%}"
                    f"{mean:>6}{c['lines_per_poem']:>6.2f}  " + " ".join(f"{k}:{v:.0%}" for k, v in shares))
    return "\n".join(rows)


def parse_unit(text: str | None):
    """"c:25" / "c25" / "c[25]" -> ("c", 25); None -> None (the best counting unit)."""
    return None if not text else parse_units(text.replace(":", ""))[0]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder holding tang/quantangshi.jsonl.gz")
    p.add_argument("--weights-dir", type=Path, default=ROOT / "weights", help="where char_NAME.* live")
    p.add_argument("--name", default="tang", help="the Tang model's name (char_NAME)")
    p.add_argument("--poems", type=int, default=200, help="poems written in each condition (rng seeds 0..N-1)")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature")
    p.add_argument("--unit", default=None, help="the unit to clamp, e.g. c:25 (default: the best counting unit)")
    p.add_argument("--values", type=float, nargs=2, default=None, metavar=("EARLY", "LATE"),
                   help="the unit's clamp values (default: its 5th / 95th percentile over validation, "
                        "the one on the side of a line's start first)")
    p.add_argument("--group", type=int, default=3,
                   help="also clamp this many best counting units together (0 or 1: the one unit only)")
    p.add_argument("--out", type=Path, default=None, help="the JSON written (default: WEIGHTS_DIR/char_NAME_clamp.json)")
    args = p.parse_args(argv)
    configure_torch()
    from training.find_units import tang_split   # the split as find_units reads it
    t0 = time.perf_counter()
    model = load_char_model(args.name, args.weights_dir)
    split = tang_split(args.data_dir)
    result = experiment(model, split.text, args.poems, args.temperature, parse_unit(args.unit), args.values,
                        args.group)
    out = args.out or args.weights_dir / f"char_{args.name}_clamp.json"
    doc = {"kind": "char_tang_clamp", "model": args.name, "weights_sha256": model.meta.get("weights_sha256"),
           "validation": {**split.validation, "chars": len(split.text),
                          "sha256": hashlib.sha256(split.text.encode("utf-8")).hexdigest()},
           **result, "seconds": round(time.perf_counter() - t0, 1), "command": command_line(__file__, argv)}
    atomic_write(out, lambda tmp: Path(tmp).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n"))
    print(table(result))
    print(f"-> {out} ({doc['seconds']} s)")


if __name__ == "__main__":
    main()
