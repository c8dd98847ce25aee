"""Measure the Tang model's poems: the share of the right form and of rhyme, against the training
poems themselves and the bigram baseline, and write it to weights/char_tang_eval.json.

    python training/eval_tang.py                                  # weights/char_tang, 200 poems a group
    python training/eval_tang.py --weights-dir /tmp/dev --poems 50 --out /tmp/dev/char_tang_eval.json

Groups, each of --poems poems:
- model T=0.5 / 0.8 / 1.0: ``CharModel.poem`` from rng seeds 0..N-1 (demo.text.poems, stepped 64
  at a time; each poem is the one ``poem(rng_seed=i)`` writes alone);
- acrostic T=0.8: 4-character acrostics, each character drawn (seeded) from the 200 commonest
  characters of the training poems;
- training poems: N poems drawn at random (seeded) from the training split (~100% by its filter);
- bigram T=0.8: the baseline of training/tang_data.py (fitted on the training text, its lambda on
  validation) writing from the state after a poem's end, its marker stripped.
Form: ``demo.text.tang.check_form``; rhyme: ``demo.text.tang.rhymes`` (of every poem, and of the
well-formed ones); ``marker_kept``: well-formed in the form of the marker the model drew.  For the
poems of the wrong form, the distribution of their line counts and line lengths.  The corpus's own
rhyme share is over every training poem.
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import numpy as np

from demo.checkpoint import WEIGHTS_DIR, atomic_write
from demo.text import load_char_model
from demo.text.poems import poem_sampling, write_many
from demo.text.tang import FORMS, LINE_MARKS, NOT_IN_POEMS, check_form, rhymes, split_lines
from training.common import DEFAULT_DATA_DIR, command_line
from training.tang_data import Bigram, load_split

TEMPERATURES = (0.5, 0.8, 1.0)
ACROSTIC_POOL = 200      # acrostic characters come from the training poems' commonest characters
EXAMPLES = 3             # poems of each group kept in the JSON


def measure(poems: list[str], markers: list[str] | None = None, seconds: float = 0.0) -> dict:
    """The figures of one group of bare poems (markers: the form each was drawn with, if any)."""
    forms = [check_form(p) for p in poems]
    ok = [f.ok for f in forms]
    rhyme = [rhymes(p) for p in poems]
    bad = [f for f in forms if not f.ok]
    n, n_ok = len(poems), sum(ok)
    out = {"poems": n, "form_ok": round(n_ok / max(1, n), 4),
           "rhymes": round(sum(rhyme) / max(1, n), 4),
           "rhymes_of_form_ok": round(sum(r for r, o in zip(rhyme, ok) if o) / max(1, n_ok), 4),
           "mean_chars": round(float(np.mean([len(p) for p in poems])) if poems else 0.0, 1),
           "failures": {"poems": len(bad),
                        "line_counts": dict(sorted(Counter(f.lines for f in bad).items())),
                        "line_lengths": dict(sorted(Counter(n for f in bad for n in f.line_lengths).items()))},
           "seconds": round(seconds, 2), "examples": poems[:EXAMPLES]}
    if markers is not None:
        kept = [f.ok and FORMS[m] == (f.line_lengths[0], f.lines) for f, m in zip(forms, markers)]
        out["marker_kept"] = round(sum(kept) / max(1, n), 4)
    return out


def model_group(model, n: int, temperature: float, acrostics: list[str] | None = None) -> dict:
    t = time.perf_counter()
    jobs = [poem_sampling(model, temperature=temperature, rng_seed=i, acrostic=acrostics[i] if acrostics else None)
            for i in range(n)]
    written = write_many(model, jobs)
    group = measure([p.text for p in written], [p.marker for p in written], time.perf_counter() - t)
    group["ended"] = round(sum(p.ended for p in written) / max(1, n), 4)
    if acrostics:
        heads = [[line[:1] for line in split_lines(p.text)[0]] for p in written]
        group["acrostic_kept"] = round(sum(h == list(a) for h, a in zip(heads, acrostics)) / max(1, n), 4)
    return group


def draw_acrostics(train: list[str], vocab, n: int, seed: int) -> list[str]:
    """n acrostics of 4 characters, drawn (seeded) from the commonest characters of the training
    poems that the model can write."""
    counts = Counter("".join(train))
    pool = [c for c, _ in counts.most_common() if c in vocab and c not in NOT_IN_POEMS + LINE_MARKS][:ACROSTIC_POOL]
    rng = np.random.default_rng(seed)
    return ["".join(pool[i] for i in rng.choice(len(pool), 4, replace=False)) for _ in range(n)]


def baseline_groups(split, n: int, seed: int) -> dict:
    """The training poems and the bigram's, and the corpus's own rhyme share."""
    rng = np.random.default_rng(seed)
    t = time.perf_counter()
    drawn = [split.train[i] for i in rng.choice(len(split.train), min(n, len(split.train)), replace=False)]
    groups = {"training poems": measure(drawn, seconds=time.perf_counter() - t)}
    t = time.perf_counter()
    stoi = {c: i for i, c in enumerate(split.vocab)}
    train_ids = np.array([stoi[c] for c in split.text(split.train)])
    bigram = Bigram(train_ids, len(split.vocab))
    bigram.fit_lambda(np.array([stoi[c] for c in split.text(split.val)]))
    rng = np.random.default_rng(seed)
    written = [bigram.sample(split.vocab, rng, 0.8) for _ in range(n)]
    groups["bigram T=0.8"] = measure(written, seconds=time.perf_counter() - t)
    groups["bigram T=0.8"]["lambda"] = bigram.lam
    return groups


def table(groups: dict, corpus_rhyme: float) -> str:
    rows = [f"{'group':<16} {'poems':>5} {'form ok':>8} {'rhymes':>7} {'rhymes|ok':>9} {'chars':>6} {'seconds':>8}"]
    for name, g in groups.items():
        rows.append(f"{name:<16} {g['poems']:>5} {g['form_ok']:>8.1%} {g['rhymes']:>7.1%} "
                    f"{g['rhymes_of_form_ok']:>9.1%} {g['mean_chars']:>6} {g['seconds']:>8.2f}")
    rows.append(f"corpus rhyme (every training poem): {corpus_rhyme:.1%}")
    for name, g in groups.items():
        f = g["failures"]
        if f["poems"]:
            rows.append(f"{name} failures ({f['poems']}): line counts {f['line_counts']}, "
                        f"line lengths {f['line_lengths']}")
    return "\n".join(rows)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights-dir", type=Path, default=WEIGHTS_DIR, help="folder holding char_tang.safetensors + .json")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder holding tang/quantangshi.jsonl.gz")
    p.add_argument("--poems", type=int, default=200, help="poems in each group")
    p.add_argument("--seed", type=int, default=0, help="seed of the training poems, the bigram's and the acrostics drawn")
    p.add_argument("--out", type=Path, default=WEIGHTS_DIR / "char_tang_eval.json", help="the JSON written")
    p.add_argument("--threads", type=int, default=1, help="CPU threads")
    args = p.parse_args(argv)
    configure_torch(args.threads)
    start = time.perf_counter()
    model = load_char_model("tang", weights_dir=args.weights_dir)
    split = load_split(args.data_dir)
    if split.vocab != model.vocab.chars:
        raise SystemExit("the model's vocabulary is not this split's: was it trained on this data?")
    groups = {f"model T={t}": model_group(model, args.poems, t) for t in TEMPERATURES}
    acrostics = draw_acrostics(split.train, model.vocab, args.poems, args.seed)
    groups["acrostic T=0.8"] = model_group(model, args.poems, 0.8, acrostics)
    groups.update(baseline_groups(split, args.poems, args.seed))
    corpus_rhyme = round(sum(map(rhymes, split.train)) / len(split.train), 4)
    print(table(groups, corpus_rhyme))
    report = {"command": command_line(__file__, argv), "weights_sha256": model.meta.get("weights_sha256"),
              "weights_dir": str(args.weights_dir), "val_loss": model.val_loss,
              "measures": {"form": "demo.text.tang.check_form", "rhyme": "demo.text.tang.rhymes"},
              "groups": groups, "corpus_rhyme": corpus_rhyme, "corpus_poems": len(split.train),
              "wall_s": round(time.perf_counter() - start, 1)}
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n",
                                                            encoding="utf-8"))
    print(f"wrote {args.out} ({report['wall_s']} s)")


if __name__ == "__main__":
    main()
