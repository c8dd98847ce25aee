"""RNN Lens benchmark: one table of the speeds and memory that matter, with a reference workload
timed in the same run so the ratios mean something on a noisy machine.

    python benchmarks/benchmark.py                  # everything (about 4 minutes on 2 CPU cores)
    python benchmarks/benchmark.py --quick          # fewer repeats
    python benchmarks/benchmark.py --skip-training --skip-server --skip-browser

Rows: a fixed matmul workload (the reference); the Digits tab's work per stroke (preprocess,
trace with hand-written cells, render + PNG) against a bare forward of the same model; plain and
traced sampling of the char LSTM and its loss over the validation split; through app.py started
as a subprocess on localhost: first-character latency of /generate, streaming rate, /classify
latency and the app's peak memory; in headless chromium (bench_browser.py, the app served in
this process), pen-up to the final label and to the row-by-row views; training steps/s of both training scripts on this CPU
(difference of two runs of different lengths, so start-up and evaluation cancel out).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import torch
from gradio_client import Client, handle_file
from PIL import Image

import bench_app_text  # the other benchmarks/ scripts (the script's folder is on sys.path)
import bench_browser
import bench_digits
import bench_text
import load_test
from demo.digits.sketches import example_digit
from demo.digits.page import CANVAS

ROOT = Path(__file__).resolve().parent.parent

DATA_DIR = ROOT.parent / "shared" / "data"


def reference_ms(repeats: int) -> float:
    """Median ms of 100 (64x512 @ 512x512) float32 matmuls on one thread: the machine's pace."""
    a, b = torch.randn(64, 512), torch.randn(512, 512)
    return bench_digits.median_ms(lambda: [a @ b for _ in range(100)], repeats)[0]


def digit_rows(repeats: int, weights_dir) -> list[tuple]:
    tab, _ = bench_digits.make_tab(weights_dir)
    value = bench_digits.pad_value(7)
    rows = []
    for name in tab.models:
        r = {k: v[0] for k, v in bench_digits.bench_model(tab, name, value, repeats).items()}
        fwd = r["bare forward"]
        rows += [("digits", f"{name}: bare forward of one drawing", fwd, "ms", 1.0, ""),
                 ("digits", f"{name}: preprocess canvas -> 28x28", r["preprocess"], "ms", r["preprocess"] / fwd, ""),
                 ("digits", f"{name}: trace (hand cells, every gate)", r["trace (hand cells)"], "ms",
                  r["trace (hand cells)"] / fwd, ""),
                 ("digits", f"{name}: row influence, 3 cells", r["row influence (3 cells)"], "ms",
                  r["row influence (3 cells)"] / fwd, ""),
                 ("digits", f"{name}: edited run (20 units ablated)", r["edited run"], "ms", r["edited run"] / fwd, ""),
                 ("digits", f"{name}: render views + PNG", r["render views"] + r["PNG encode"], "ms",
                  (r["render views"] + r["PNG encode"]) / fwd, ""),
                 ("digits", f"{name}: whole update per stroke", r["per stroke (all)"], "ms",
                  r["per stroke (all)"] / fwd, "<= 20 ms"),
                 ("digits", f"{name}: slider move (render + PNG)", r["slider move"], "ms", r["slider move"] / fwd, "")]
    return rows


def text_rows(repeats: int, weights_dir) -> list[tuple]:
    rows = []
    for r in bench_text.bench(("lstm",), 1000, repeats, bench_text.DEFAULT_TEXT, weights_dir):
        if r["measure"] == "load weights" or r["unit"] == "x":  # the ratio column shows the trace cost
            continue
        rows.append(("text", f"lstm: {r['measure']}", r["median"], r["unit"], None, r["goal"]))
    plain = next(r for r in rows if r[1].startswith("lstm: sample"))
    rows = [(*r[:4], (plain[2] / r[2]) if r[3] == "chars/s" else None, r[5]) for r in rows]
    return rows


def server_rows(requests: int) -> list[tuple]:
    """app.py in a subprocess (its own process, as users run it): latency and peak memory."""
    port = load_test.free_port()
    proc = load_test.start_app(port)
    url = f"http://127.0.0.1:{port}/"
    try:
        client = Client(url, verbose=False)
        fn_index = next(d["id"] for d in client.config["dependencies"] if d.get("api_name") == "generate")
        opts = SimpleNamespace(seed="ROMEO:\n", temperature=0.8, model="lstm", length=3000)
        bench_app_text.first_char_http_ms(url, fn_index, opts, 0)  # warm-up
        firsts = [bench_app_text.first_char_http_ms(url, fn_index, opts, k) for k in range(requests)]
        rates = [bench_app_text.server_rate(client, opts)[0] for _ in range(2)]
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "seven.png"
            Image.fromarray(example_digit(7, size=CANVAS), "RGBA").save(path)
            sketch = {"background": None, "layers": [handle_file(str(path))], "composite": None}
            client.predict(sketch, "lstm", api_name="/classify")
            classify = []
            for _ in range(requests):
                t = time.perf_counter()
                client.predict(sketch, "lstm", api_name="/classify")
                classify.append(1000 * (time.perf_counter() - t))
        rss = load_test.peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    return [("server", "first character of /generate (HTTP, median)", statistics.median(firsts), "ms", None, "<= 100 ms"),
            ("server", "streaming through the server", statistics.median(rates), "chars/s", None, "keeps up"),
            ("server", "/classify round trip (gradio_client, median)", statistics.median(classify), "ms", None, ""),
            ("server", "app.py peak memory (VmHWM)", rss, "MiB", None, "")]


def browser_rows(repeats: int, weights_dir) -> list[tuple]:
    """Headless chromium draws 1, 4 and 7 on the pad (bench_browser.py); none without a browser."""
    try:
        import playwright  # noqa: F401  (requirements-dev.txt)
    except ImportError:
        print("browser rows skipped: playwright is not installed (pip install -r requirements-dev.txt)")
        return []
    if not bench_browser.find_chromium():
        print("browser rows skipped: no chromium on PATH (apt-get install chromium)")
        return []
    app, url = bench_browser.serve(weights_dir)
    try:
        return bench_browser.rows(bench_browser.measure(url, repeats=repeats, log=lambda *_: None))
    finally:
        app.close()


def timed_run(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def training_rows(data_dir: Path) -> list[tuple]:
    """Steps/s of each training script on CPU: (N2 - N1) steps / (time(N2) - time(N1))."""
    py = sys.executable
    rows = []
    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, "RNN_LENS_CHECKPOINTS": d, "OMP_NUM_THREADS": "1"}
        jobs = {
            "digits lstm 2x128, batch 128 (no drawn digits)": (
                [py, "training/train_digits.py", "--config", "lstm", "--drawn", "0", "--device", "cpu",
                 "--data-dir", str(data_dir), "--out", f"{d}/digits"], "--max-steps", 20, 120),
            "char lstm 2x384, batch 32 x 128 chars": (
                [py, "training/train_char_rnn.py", "--preset", "lstm", "--device", "cpu", "--time-budget", "0",
                 "--sample-every", "0", "--data-dir", str(data_dir), "--out", f"{d}/char"], "--max-steps", 10, 50),
        }
        for name, (cmd, flag, n1, n2) in jobs.items():
            t1 = timed_run(cmd + [flag, str(n1)], env)
            t2 = timed_run(cmd + [flag, str(n2)], env)
            rows.append(("training", name, (n2 - n1) / max(t2 - t1, 1e-9), "steps/s", None, ""))
    return rows


def fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, int):  # counts
        return f"{v:,}"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"


def print_table(rows: list[tuple], ref: float) -> None:
    cells = [("section", "measure", "value", "unit", "ratio", "goal")]
    for sec, measure, value, unit, ratio, goal in rows:
        cells.append((sec, measure, fmt(value), unit, "" if ratio is None else f"{ratio:.2f}", goal))
    widths = [max(len(c[i]) for c in cells) for i in range(6)]
    for k, c in enumerate(cells):
        print("| " + " | ".join(s.rjust(w) if i in (2, 4) else s.ljust(w) for i, (s, w) in enumerate(zip(c, widths)))
              + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print(f"\nratio: digits rows are multiples of the bare forward; text rows are plain sampling's "
          f"rate over the row's rate (the trace cost). Reference workload: {ref:.2f} ms.")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    p.add_argument("--skip-server", action="store_true", help="do not start app.py")
    p.add_argument("--skip-browser", action="store_true", help="do not draw in headless chromium")
    p.add_argument("--skip-training", action="store_true", help="do not run the training scripts")
    p.add_argument("--data-dir", type=Path, default=DATA_DIR, help="MNIST and tinyshakespeare (for training rows)")
    p.add_argument("--weights-dir", type=Path, help="weights folder (default: weights/)")
    args = p.parse_args()
    configure_torch(1)  # what the app and the training scripts use on CPU
    repeats = 20 if args.quick else 100
    ref = reference_ms(repeats)
    rows = [("reference", "100 matmuls 64x512 @ 512x512, 1 thread", ref, "ms", None, "")]
    rows += digit_rows(repeats, args.weights_dir)
    rows += text_rows(3 if args.quick else 5, args.weights_dir)
    if not args.skip_server:
        rows += server_rows(5 if args.quick else 15)
    if not args.skip_browser:
        rows += browser_rows(1 if args.quick else 3, args.weights_dir)
    if not args.skip_training:
        rows += training_rows(args.data_dir)
    print(f"RNN Lens benchmark: torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}\n")
    print_table(rows, ref)


if __name__ == "__main__":
    main()
