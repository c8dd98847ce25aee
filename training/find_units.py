"""Find hidden units worth looking at: correlate every unit of a character model's top layer (h and,
for the LSTM, c) with simple text features on Tiny Shakespeare's validation split (its last 10%),
and write weights/char_NAME_units.json for the app's Text tab.

    python training/find_units.py                          # lstm and rnn, ../shared/data
    python training/find_units.py --models lstm --max-chars 20000 --weights-dir /tmp/wc

The JSON records the weights' SHA-256: the app ignores it once the weights are retrained.
"""
import argparse
import time
from pathlib import Path

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

from demo.text import load_char_model
from demo.text.units import discover_units, save_units
from training.common import DEFAULT_DATA_DIR, ROOT
from training.train_char_rnn import TRAIN_FRACTION

MAX_CHARS = 50_000  # demo.text's states() limit; ~10 s for the 2x384 LSTM on one thread


def validation_text(data_dir: Path) -> str:
    """The split training scored itself on: everything after the first TRAIN_FRACTION."""
    path = Path(data_dir) / "tinyshakespeare" / "input.txt"
    if not path.is_file():
        raise SystemExit(f"no Tiny Shakespeare at {path} (pass --data-dir)")
    text = path.read_text(encoding="utf-8")
    return text[int(len(text) * TRAIN_FRACTION):]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder holding tinyshakespeare/")
    p.add_argument("--weights-dir", type=Path, default=ROOT / "weights", help="where char_NAME.* live")
    p.add_argument("--models", nargs="+", default=["lstm", "rnn"], help="model names (char_NAME)")
    p.add_argument("--max-chars", type=int, default=MAX_CHARS, help="validation characters to read")
    p.add_argument("--top", type=int, default=9, help="units to keep per model")
    args = p.parse_args(argv)
    configure_torch()

    full = validation_text(args.data_dir)
    text = full[:args.max_chars]
    for name in args.models:
        model = load_char_model(name, args.weights_dir)
        t0 = time.perf_counter()
        units = discover_units(model, text, top=args.top)
        out = args.weights_dir / f"char_{name}_units.json"
        source = (f"the validation split of Tiny Shakespeare (last {1 - TRAIN_FRACTION:.0%}; "
                  f"{len(text):,} of its {len(full):,} characters)")
        save_units(out, units, {"model": name, "weights_sha256": model.meta.get("weights_sha256"),
                                "source": source, "chars": len(text)})
        print(f"{name}: {len(units)} units in {time.perf_counter() - t0:.1f}s -> {out}")
        for u in units:
            print(f"  {u.label}")


if __name__ == "__main__":
    main()
