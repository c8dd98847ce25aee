"""How the Digits tab's drawing worker (demo/digits/worker.py) answers, on this machine: how long
it takes to start, a pen-up's first part through it against the same part computed in this
process, and how long a stuck worker holds a call before the caller gives up and draws itself
(against the timeout it was given), and how long the replacement takes to be ready (against the
first start, measured in the same run).

    python benchmarks/bench_digits_worker.py                 # weights/
    python benchmarks/bench_digits_worker.py --repeats 50 --timeout 2

The figures are printed, never asserted (tests/test_digits_worker.py checks what happens).
"""
import argparse
import statistics
import time

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import numpy as np
from PIL import Image

from demo.digits import drawing
from demo.digits.controls import TABLE
from demo.digits.handlers import load_lab, worker_lab
from demo.digits.pad_ink import ink_value
from demo.digits.sketches import example_digit
from demo.digits.worker import DrawWorker


def nothing() -> dict:
    """A Lab that costs nothing to make (the stuck worker's)."""
    return {}


def first(lab, *args):
    """A handler that never answers: the stuck worker imports this module to call it."""
    time.sleep(3600)


def ready(worker: DrawWorker, within: float = 300.0) -> float:
    """Seconds until ``worker`` is ready."""
    t0 = time.perf_counter()
    while not worker.ready and time.perf_counter() - t0 < within:
        time.sleep(0.01)
    return time.perf_counter() - t0


def median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def answers(repeats: int) -> None:
    lab = load_lab()
    seven = ink_value(np.asarray(Image.fromarray(example_digit(7)[..., 3]).resize((56, 56))))
    up = {**seven, "pad": "bench", "seq": 1}
    c = TABLE.check({"model": "lstm", "t": 14, "unit": 5})
    worker = DrawWorker(worker_lab, None)
    try:
        start = ready(worker)
        here = median_ms(lambda: drawing.first(lab, up, c), repeats)
        there = median_ms(lambda: worker.call("first", up, c), repeats)
        print(f"worker ready after {start:.1f} s")
        print(f"pen-up 1st part, median of {repeats}: {there:.1f} ms through the worker, {here:.1f} ms in this process")
    finally:
        worker.close()


def stuck(timeout: float) -> None:
    worker = DrawWorker(nothing, module=__name__ if __name__ != "__main__" else "bench_digits_worker",
                        timeout=timeout)
    try:
        start = ready(worker)
        t0 = time.perf_counter()
        out = worker.call("first", "anything")
        given_up = time.perf_counter() - t0
        again = ready(worker)
        print(f"stuck worker: the call gave up after {given_up:.2f} s (timeout {timeout:g} s, answer {out!r}); "
              f"the replacement was ready {again:.2f} s later (the first start took {start:.2f} s)")
    finally:
        worker.close()


def main() -> None:
    p = argparse.ArgumentParser(description="Time the Digits tab's drawing worker.")
    p.add_argument("--repeats", type=int, default=20, help="timed answers per measurement")
    p.add_argument("--timeout", type=float, default=1.0, help="the stuck worker's answer timeout (s)")
    args = p.parse_args()
    configure_torch(1)
    answers(args.repeats)
    stuck(args.timeout)


if __name__ == "__main__":
    main()
