"""Users who press Stop: each asks /generate for 5,000 characters and cancels as soon as the first
words arrive, again and again.  A stopped stream cancels its text in the worker process
(demo/text/writer.py), so once they stop the text worker should be idle: its CPU is read from
/proc/<pid>/stat every 50 ms from the last Stop on, next to its idle CPU measured before they began.

    python benchmarks/load_stoppers.py                       # starts app.py, 3 users x 5 Stops
    python benchmarks/load_stoppers.py --stoppers 3 --rounds 5 --repeat 3
    python benchmarks/load_test.py --users 6 --requests 2 --stoppers 3   # after the load test's crowd

The text worker is the app's child process at the lowest priority (demo.text.writer.NICE); with
--url (an app started elsewhere) there is no process to read, and only the Stops are counted.
"""
from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
WINDOW = 0.25        # s: the CPU share is read over windows this long
IDLE = 0.05          # a window under this share of a core counts as idle
AFTER = 3.0          # s sampled after the last Stop


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_ticks(pid: int) -> int:
    """User + system clock ticks a live process has used (proc(5): utime, stime)."""
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12])


def text_worker(app_pid: int) -> int | None:
    """The app's text worker: its child at niceness 19 (demo.text.writer.NICE); None if none."""
    from demo.text.writer import NICE
    own = int(_stat(os.getpid())[16])
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == app_pid and int(fields[16]) == min(19, own + NICE):
            return int(stat.parent.name)
    return None


def cpu_windows(pid: int, seconds: float, window: float = WINDOW) -> list[float]:
    """The share of a core `pid` used in each `window` of the next `seconds`."""
    shares, last, t_last = [], cpu_ticks(pid), time.perf_counter()
    end = t_last + seconds
    while time.perf_counter() < end:
        time.sleep(window)
        ticks, t = cpu_ticks(pid), time.perf_counter()
        shares.append((ticks - last) / TICK / (t - t_last))
        last, t_last = ticks, t
    return shares


class Stoppers:
    """`n` gradio_client users, each pressing Generate and Stop `rounds` times."""

    def __init__(self, url: str, n: int, rounds: int = 5, length: int = 5000):
        self.url, self.n, self.rounds, self.length = url, n, rounds, length
        self.stops, self.errors, self.first_words = 0, {}, []
        self._lock = threading.Lock()

    def _user(self, u: int) -> None:
        from gradio_client import Client
        from load_test import error_line  # a sibling script
        client = Client(self.url, verbose=False)
        for r in range(self.rounds):
            t0 = time.perf_counter()
            job = client.submit("ROMEO:\n", self.length, 0.8, 0, 100 * u + r, "lstm", api_name="/generate")
            try:
                next(iter(job))                    # the first words are on the page: Stop
                first = time.perf_counter() - t0
                job.cancel()
            except Exception as e:  # noqa: BLE001 - counted and reported: this is a load test
                msg = error_line(e)
                with self._lock:
                    self.errors[msg] = self.errors.get(msg, 0) + 1
                continue
            with self._lock:
                self.stops += 1
                self.first_words.append(first)

    def run(self, app_pid: int | None) -> dict:
        """Idle reference, the users' Stops, then the worker's CPU for AFTER s after the last."""
        from gradio_client import Client
        Client(self.url, verbose=False).predict("T", 5, 0.8, 0, 0, "lstm", api_name="/generate")  # worker ready
        worker = None
        deadline = time.monotonic() + 30
        while app_pid and worker is None and time.monotonic() < deadline:
            worker = text_worker(app_pid)
            time.sleep(0 if worker else 0.5)
        before = cpu_windows(worker, 1.0) if worker else []
        threads = [threading.Thread(target=self._user, args=(u,), daemon=True) for u in range(self.n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        after = cpu_windows(worker, AFTER) if worker else []
        return {"worker": worker, "before": before, "after": after}

    def report(self, measured: dict) -> str:
        from load_test import pct
        line = (f"stoppers ({self.n} users x {self.rounds}: Generate {self.length:,} characters, Stop at the "
                f"first words): {self.stops} stopped, first words p50 {pct(self.first_words, .5):.2f} s")
        line += "".join(f"\n  {n} x {m}" for m, n in self.errors.items())
        before, after = measured["before"], measured["after"]
        if not measured["worker"]:
            return line + "\n  text worker: not found (--url, or no writer process): CPU not read"
        busy = [k for k, share in enumerate(after) if share >= IDLE]
        idle_at = (busy[-1] + 1) * WINDOW if busy else 0.0
        shares = " ".join(f"{100 * s:.0f}" for s in after)
        return (line + f"\n  text worker CPU, % of a core per {WINDOW * 1000:.0f} ms after the last Stop: {shares}"
                f"\n  idle (< {100 * IDLE:.0f}% of a core) from {idle_at:.2f} s after the last Stop on; "
                f"mean {100 * sum(after) / max(len(after), 1):.1f}% over {AFTER:g} s; before the Stops (idle "
                f"reference): {100 * sum(before) / max(len(before), 1):.1f}%")


def start(url: str, n: int, app_pid: int | None, rounds: int = 5) -> str | None:
    """--stoppers N of benchmarks/load_test.py: N users who press Stop, and the report (None for 0)."""
    if n <= 0:
        return None
    s = Stoppers(url, n, rounds)
    return s.report(s.run(app_pid))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="a running app (default: start app.py on a free port)")
    p.add_argument("--stoppers", type=int, default=3, help="users who press Stop")
    p.add_argument("--rounds", type=int, default=5, help="Generate + Stop per user")
    p.add_argument("--repeat", type=int, default=1, help="runs on the same app")
    args = p.parse_args(argv)
    import load_test as lt  # a sibling script: its folder is on sys.path
    os.environ.update(lt.NO_TELEMETRY)
    proc, url = None, args.url
    if not url:
        port = lt.free_port()
        proc, url = lt.start_app(port), f"http://127.0.0.1:{port}/"
    try:
        for k in range(args.repeat):
            print(f"run {k + 1}: " + start(url, args.stoppers, proc.pid if proc else None, args.rounds), flush=True)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
