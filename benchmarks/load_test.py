"""Load test: N concurrent gradio_client users against the app on localhost.

    python benchmarks/load_test.py                          # 100 users x 10 requests, mixed
    python benchmarks/load_test.py --users 20 --requests 5  # lighter
    python benchmarks/load_test.py --url http://127.0.0.1:7860/   # an app you started yourself

Without --url it starts ``app.py`` in a subprocess on a free port (so the load generator does not
share the server's GIL), then every user alternates /classify (a drawn digit as a sketch layer)
and /generate (200 characters).  Bounded in count (users x requests) and in time (--deadline):
after the deadline no new request starts.  Prints successes, "busy" answers (the queue is full:
the user is told to try again), other errors, and p50/p95 latency per endpoint.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int) -> subprocess.Popen:
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                time.sleep(1.0)  # the socket opens a moment before the routes are ready
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("the app exited during start-up")
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the app did not start within 120 s")


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sketch_png(folder: Path) -> Path:
    from PIL import Image

    from demo.digits.sketches import example_digit
    path = folder / "seven.png"
    Image.fromarray(example_digit(7), "RGBA").save(path)
    return path


def run_load(url: str, users: int, requests: int, deadline_s: float, gen_length: int = 200) -> dict:
    from gradio_client import Client, handle_file
    from gradio_client.utils import QueueError

    tmp = Path(tempfile.mkdtemp())
    png = sketch_png(tmp)
    lock = threading.Lock()
    stats = {"classify": [], "generate": [], "ok": 0, "busy": 0, "errors": 0, "wrong": 0, "messages": {}}
    stop_at = time.time() + deadline_s

    def record(kind, latency=None, error=None):
        with lock:
            if error is None:
                stats["ok"] += 1
                stats[kind].append(latency)
            elif error == "busy":
                stats["busy"] += 1
            else:
                stats["errors"] += 1
                stats["messages"][error] = stats["messages"].get(error, 0) + 1

    def user(u: int):
        try:
            client = Client(url, verbose=False)
        except Exception as e:  # noqa: BLE001 - any failure to connect counts as an error
            for _ in range(requests):
                record("connect", error=f"connect: {type(e).__name__}")
            return
        for r in range(requests):
            if time.time() > stop_at:
                return
            kind = "classify" if (u + r) % 2 == 0 else "generate"
            t = time.perf_counter()
            try:
                if kind == "classify":
                    sketch = {"background": None, "layers": [handle_file(str(png))], "composite": None}
                    out = client.predict(sketch, "lstm", api_name="/classify")
                    if out.get("label") != "7":
                        with lock:
                            stats["wrong"] += 1
                else:
                    job = client.submit("ROMEO:", gen_length, 0.8, 0, u * 100 + r, "lstm", api_name="/generate")
                    job.result(timeout=120)
                record(kind, time.perf_counter() - t)
            except QueueError:
                record(kind, error="busy")
            except Exception as e:  # noqa: BLE001 - reported, never raised: this is a load test
                msg = str(e).splitlines()[0][:80] if str(e) else type(e).__name__
                record(kind, error="busy" if "queue is full" in msg.lower() else msg)

    t0 = time.time()
    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(user, range(users)))
    stats["wall_s"] = time.time() - t0
    return stats


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="a running app (default: start one on a free port)")
    p.add_argument("--users", type=int, default=100, help="concurrent users")
    p.add_argument("--requests", type=int, default=10, help="requests per user")
    p.add_argument("--deadline", type=float, default=300, help="seconds after which no request starts")
    p.add_argument("--gen-length", type=int, default=200, help="characters per /generate request")
    args = p.parse_args(argv)
    proc = None
    url = args.url
    if not url:
        port = free_port()
        proc = start_app(port)
        url = f"http://127.0.0.1:{port}/"
    try:
        s = run_load(url, args.users, args.requests, args.deadline, args.gen_length)
        rss = peak_rss_mb(proc.pid) if proc else float("nan")
        alive = proc is None or proc.poll() is None
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    total = args.users * args.requests
    print(f"\n{args.users} users x {args.requests} requests = {total} in {s['wall_s']:.1f} s")
    print(f"{'':<12}{'ok':>6}{'p50 s':>9}{'p95 s':>9}")
    for kind in ("classify", "generate"):
        lat = s[kind]
        print(f"{kind:<12}{len(lat):>6}{pct(lat, 0.5):>9.2f}{pct(lat, 0.95):>9.2f}")
    print(f"successes {s['ok']}, busy (queue full, told to retry) {s['busy']}, other errors {s['errors']}, "
          f"wrong labels {s['wrong']}, not started (deadline) {total - s['ok'] - s['busy'] - s['errors']}")
    for msg, n in sorted(s["messages"].items(), key=lambda kv: -kv[1]):
        print(f"  {n} x {msg}")
    print(f"server still serving: {alive}; peak server memory {rss:.0f} MiB")
    return s


if __name__ == "__main__":
    main()
