"""The benchmarks still run (each in its quickest mode, in a process of its own): a refactor that
breaks one is caught here, not when someone next measures.  Their figures are printed for a person
to read and never asserted: speed is a benchmark's business, with a reference measured in the
same run (docs/PERFORMANCE.md keeps the log).

    .venv/bin/python -m pytest -q -m perf
"""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.perf

QUICK = [
    ("bench_digits.py", ["--repeats", "2", "--model", "rnn"]),
    ("bench_digits_worker.py", ["--repeats", "2"]),
    ("bench_text.py", ["--models", "rnn", "--length", "60", "--repeats", "1", "--no-match"]),
    ("load_test.py", ["--users", "5", "--requests", "2", "--gen-length", "20", "--trainers", "1", "--train-s", "2"]),
    ("load_stoppers.py", ["--stoppers", "1", "--rounds", "1"]),
]


@pytest.mark.parametrize("script,args", QUICK, ids=[s for s, _ in QUICK])
def test_benchmark_runs(script, args):
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=540)
    assert run.returncode == 0, f"{script} failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"
    print(run.stdout[-1500:])
    assert run.stdout.strip(), f"{script} printed nothing"


def test_bench_train_quick(tmp_path):
    """bench_train.py's four parts in its quick mode (about 40 s: a few seconds per run, the live
    path through a real TrainPool worker), and remember's picture drawn."""
    png = tmp_path / "remember.png"
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_train.py"), "--quick", "--plot", str(png)],
                         cwd=ROOT, capture_output=True, text=True, timeout=540)
    assert run.returncode == 0, f"bench_train.py failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"
    print(run.stdout[-3000:])
    for part in ("## Speed of learning", "## Overhead", "## Remember the digit", "## Text", "## Goals"):
        assert part in run.stdout, f"bench_train.py printed no {part!r}"
    assert png.stat().st_size > 1000
