"""How long the Digits tab takes per stroke, on this CPU, one thread: preprocessing the canvas,
tracing the chosen model (every gate, every step), the fast forward of the other two models for
the comparison, rendering every view and encoding them as PNG, next to a bare forward pass of
the same model.  Medians over --repeats runs on a project-drawn digit.

    python benchmarks/bench_digits.py                     # weights/ ; all loaded models
    python benchmarks/bench_digits.py --model lstm --repeats 200 --weights-dir /tmp/wd

Budget: "per stroke" (preprocess + trace + render + PNG) <= 20 ms median.
"""
import argparse
import os
import statistics
import sys
import time

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import numpy as np
from gradio.processing_utils import encode_pil_to_bytes

from demo import render
from demo.digits import analysis, views
from demo.digits import to_mnist
from demo.digits.sketches import example_digit
from demo.digits.tab import CANVAS, load_models

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


def encode_all(images: list[np.ndarray]) -> int:
    """PNG-encode the way the app's images are: gradio's own encoder for gr.Image(format="png")
    on the images demo/digits/tab.py hands it."""
    return sum(len(encode_pil_to_bytes(render.fast_png_image(img), "png")) for img in images)


def images_of(step: views.StepViews, drawing: views.DrawingViews | None = None) -> list[np.ndarray]:
    out = [step.rows, step.h, step.confidence] + [img for _, img in step.panels]
    if drawing is not None:
        out += [drawing.seen] + [img for _, img in drawing.compare]
    return out


def bench_model(models: dict, name: str, value: dict, repeats: int) -> dict[str, float]:
    model = models[name]
    x = to_mnist(value)
    state = analysis.analyse(models, name, value)
    others = {n: m for n, m in models.items() if n != name}

    def per_stroke():  # exactly what the handler does on a stroke, plus PNG encoding
        s = analysis.analyse(models, name, value)
        encode_all(images_of(views.step_views(s, 14), views.drawing_views(s)))

    def slider_move():
        encode_all(images_of(views.step_views(state, 14)))

    images = images_of(views.step_views(state, 14), views.drawing_views(state))
    return {
        "bare forward": median_ms(lambda: model.logits(x[None]), repeats),
        "preprocess": median_ms(lambda: to_mnist(value), repeats),
        "trace (hand cells)": median_ms(lambda: model.trace_mnist(x), repeats),
        "compare (others)": median_ms(lambda: [m.step_probs(x) for m in others.values()],
                                      repeats),
        "render views": median_ms(lambda: (views.step_views(state, 14), views.drawing_views(state)),
                                  repeats),
        "PNG encode": median_ms(lambda: encode_all(images), repeats),
        "per stroke (all)": median_ms(per_stroke, repeats),
        "slider move": median_ms(slider_move, repeats),
    }


def main() -> None:
    p = argparse.ArgumentParser(description="Time the Digits tab's work per stroke and per slider move.")
    p.add_argument("--weights-dir", help="folder with digits_*.safetensors (default: weights/)")
    p.add_argument("--model", action="append", help="model(s) to time (default: every loaded one)")
    p.add_argument("--repeats", type=int, default=100, help="timed runs per measurement")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (the app uses 1)")
    args = p.parse_args()
    configure_torch(args.threads)
    models, problems = load_models(args.weights_dir)
    for msg in problems:
        print(msg.replace("**", ""), file=sys.stderr)
    names = args.model or list(models)
    # The browser sends a CANVAS x CANVAS RGBA stroke layer, plus background and composite.
    layer = example_digit(7, size=CANVAS)
    value = {"background": np.zeros_like(layer), "layers": [layer], "composite": layer}
    rows = {n: bench_model(models, n, value, args.repeats) for n in names if n in models}
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


if __name__ == "__main__":
    main()
