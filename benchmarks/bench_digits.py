"""How long the Digits tab takes per stroke, on this CPU, one thread: reading the pad's ink,
tracing the chosen model (every gate, every step), the fast forward of the other two models for
the comparison, row influence in all three cells, an edited run, rendering every view (the
"Why?" ones included) and encoding them as PNG, next to a bare forward pass of the same model.
Medians over --repeats runs on a project-drawn digit, sent as the pad sends it.

    python benchmarks/bench_digits.py                     # weights/ ; all loaded models
    python benchmarks/bench_digits.py --model lstm --repeats 200 --weights-dir /tmp/wd

Budget: "per stroke" (the pad's whole change handler + PNG) <= 20 ms median.
"""
import argparse
import os
import statistics
import sys
import time

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import numpy as np
from gradio.processing_utils import encode_pil_to_bytes
from PIL import Image

from demo import render
from demo.digits import analysis, to_mnist
from demo.digits.interventions import Intervention
from demo.digits.pad_ink import ink_value
from demo.digits.sketches import example_digit
from demo.digits import drawing, handlers
from demo.digits.controls import TABLE
from demo.digits.page import CANVAS

BUDGET_MS = 20.0


def median_ms(fn, repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU time (this process) of fn(), in ms.  On a busy machine the CPU
    time is what the work costs; the wall time also counts waiting for a core."""
    fn()  # warm-up: first calls allocate
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return 1000 * statistics.median(wall), 1000 * statistics.median(cpu)


def encode_all(images) -> int:
    """PNG-encode the way the app's images are: gradio's own encoder for gr.Image(format="png")
    on the PIL images the tab hands it (hover maps arrive already encoded, as data URLs)."""
    total = 0
    for img in images:
        if isinstance(img, Image.Image):
            total += len(encode_pil_to_bytes(img, "png"))
        elif isinstance(img, np.ndarray):
            total += len(encode_pil_to_bytes(render.fast_png_image(img), "png"))
    return total


def images_in(out: dict) -> list:
    """The pictures in a handler's {output name: value} answer (Updates unwrapped)."""
    from demo.answers import Update
    vals = [v.get("value") if isinstance(v, Update) else v for v in out.values()]
    return [v for v in vals if isinstance(v, (Image.Image, np.ndarray))]


def pad_value(digit: int = 7) -> dict:
    """What the pad sends: 56x56 ink of a drawn digit."""
    layer = example_digit(digit, size=CANVAS)
    return ink_value(np.asarray(Image.fromarray(layer[..., 3]).resize((56, 56), Image.Resampling.BOX)))


def bench_model(lab, name: str, value: dict, repeats: int) -> dict[str, float]:
    """Medians (wall, CPU) of each part of one stroke for model `name`, and of the whole update
    as the tab does it: every model, row influence in the three cells, an edited run (20 units
    ablated: the "What if" panel in use), every view and PNG.  ``lab``: demo.digits.handlers.Lab."""
    models = lab.models
    model = models[name]
    x = to_mnist(value)
    iv = Intervention(ablate=tuple(range(0, 40, 2)))
    a = analysis.analyse(models, name, value, iv, influence="all")
    c = TABLE.check(dict(model=name, ablate="0-38", t=14, order="influence", unit=5))
    moving = {**value, "drawing": True}
    # the previous update was of another drawing (a stroke ago), with the same model
    other = analysis.analyse(models, name, pad_value(1), iv, influence="all")
    last_move = analysis.analyse(models, name, moving, iv, influence="current")

    def per_stroke():  # exactly what the pad's change handler does on pen-up, plus PNG encoding
        encode_all(images_in(drawing.drawing(lab, value, c, before=other)))

    def per_move():  # ... and while the pen moves (every ~100 ms)
        encode_all(images_in(drawing.drawing(lab, moving, c, before=other)))

    def pen_up_same_ink():  # pen-up with the ink of the last move: the runs are reused
        encode_all(images_in(drawing.drawing(lab, value, c, before=last_move)))

    # The pen-up as the app answers it: its first part (the label and the row-by-row views, no
    # row influence), then the rest (every model's row influence, the why sections, the unit).
    first = drawing.first(lab, value, c, before=other)["analysis"]

    def pen_up_first():
        encode_all(images_in(drawing.first(lab, value, c, before=other)))

    def pen_up_rest():
        encode_all(images_in(drawing.rest(lab, first, value, None, c)))

    def slider_move():
        encode_all(images_in(handlers.step(lab, a, c)))

    return {
        "bare forward": median_ms(lambda: model.logits(x[None]), repeats),
        "preprocess": median_ms(lambda: to_mnist(value), repeats),
        "trace (hand cells)": median_ms(lambda: model.trace_mnist(x), repeats),
        "compare (others)": median_ms(lambda: [m.step_probs(x) for n, m in models.items() if n != name], repeats),
        "row influence (3 cells)": median_ms(lambda: [m.row_influence_mnist(x) for m in models.values()], repeats),
        "edited run": median_ms(lambda: model.trace_mnist(x, ablate=list(iv.ablate)), repeats),
        "render views": median_ms(lambda: (handlers.step(lab, a, c), handlers.show(a), handlers.unit_view(lab, a, c)),
                                  repeats),
        "PNG encode": median_ms(lambda: encode_all(images_in({**handlers.step(lab, a, c), **handlers.show(a),
                                                              **handlers.unit_view(lab, a, c)})), repeats),
        "per pen move": median_ms(per_move, repeats),
        "per stroke (all)": median_ms(per_stroke, repeats),
        "pen-up, same ink": median_ms(pen_up_same_ink, repeats),
        "pen-up 1st part": median_ms(pen_up_first, repeats),
        "pen-up 2nd part": median_ms(pen_up_rest, repeats),
        "slider move": median_ms(slider_move, repeats),
    }


def make_tab(weights_dir=None):
    """The Digits tab's handlers' Lab (its models and lookups, no page), and the messages about
    what could not load."""
    lab = handlers.load_lab(weights_dir)
    return lab, [f"{key}: {error}" for key, _, error, _ in lab.failures]


PHOTO_BUDGET_MS = 30.0


def bench_photos(repeats: int) -> dict[str, tuple[float, float]]:
    """to_mnist on a 1 MP and a 12 MP phone photo (JPEG file with EXIF orientation 6), and the
    reading steps + strip of the pad's 56x56 ink."""
    import tempfile
    from pathlib import Path

    from demo.digits import views
    from demo.digits.photos import render_photo
    rng = np.random.default_rng(3)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, size in (("photo 1 MP", (1152, 864)), ("photo 12 MP", (4032, 3024))):
            img = render_photo(4, rng, "pen", size, orientation=6)
            img.fp.seek(0)
            path = Path(tmp) / f"{size[0]}.jpg"
            path.write_bytes(img.fp.read())
            out[name] = median_ms(lambda: to_mnist(path), repeats)
    layer = example_digit(7, size=CANVAS)[..., 3]
    ink = ink_value(np.asarray(Image.fromarray(layer).resize((56, 56), Image.Resampling.BOX)))
    out["pad ink"] = median_ms(lambda: to_mnist(ink), repeats)
    out["pad ink + steps + strip"] = median_ms(lambda: views.reading_strip(to_mnist(ink, steps=True)), repeats)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description="Time the Digits tab's work per stroke and per slider move.")
    p.add_argument("--weights-dir", help="folder with digits_*.safetensors (default: weights/)")
    p.add_argument("--model", action="append", help="model(s) to time (default: every loaded one)")
    p.add_argument("--repeats", type=int, default=100, help="timed runs per measurement")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (the app uses 1)")
    args = p.parse_args()
    configure_torch(args.threads)
    lab, problems = make_tab(args.weights_dir)
    for msg in problems:
        print(msg.replace("**", ""), file=sys.stderr)
    names = args.model or list(lab.models)
    value = pad_value(7)  # what the pad sends while the pen moves: 56x56 ink
    rows = {n: bench_model(lab, n, value, args.repeats) for n in names if n in lab.models}
    steps = list(next(iter(rows.values())))
    print(f"median ms over {args.repeats} runs (wall / CPU), torch threads={args.threads}, "
          f"canvas {CANVAS}x{CANVAS}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'':20}" + "".join(f"{analysis.title(n):>16}" for n in rows))
    for step in steps:
        print(f"{step:20}" + "".join(f"{rows[n][step][0]:8.2f} /{rows[n][step][1]:6.2f}" for n in rows))
    for k, clock in enumerate(("wall", "CPU")):
        worst = max(r["per stroke (all)"][k] for r in rows.values())
        verdict = "within" if worst <= BUDGET_MS else "OVER"
        print(f"per stroke, worst model, {clock} time: {worst:.1f} ms "
              f"({verdict} the {BUDGET_MS:.0f} ms budget)")
    photos = bench_photos(max(10, args.repeats // 5))
    print("to_mnist, median ms (wall / CPU):")
    for step, (wall, cpu) in photos.items():
        print(f"{step:26}{wall:8.2f} /{cpu:6.2f}")
    one, twelve = photos["photo 1 MP"][1], photos["photo 12 MP"][1]
    print(f"photos, CPU time: 1 MP {one:.1f} ms ({'within' if one <= PHOTO_BUDGET_MS else 'OVER'} the "
          f"{PHOTO_BUDGET_MS:.0f} ms budget), 12 MP {twelve:.1f} ms "
          f"({'within' if twelve <= 2 * PHOTO_BUDGET_MS else 'OVER'} {2 * PHOTO_BUDGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
