"""Users who upload 40 MP PNGs to /classify while the load test's crowd draws: what one large
upload costs everyone else.  The pictures are transparent drawings (RGBA, a 7 on a clear canvas):
the kind whose decoding was the largest (every pixel to float before any reduction).

    python benchmarks/load_test.py --users 6 --requests 4 --drawers 1 --uploaders 2   # with them
    python benchmarks/load_test.py --users 6 --requests 4 --drawers 1                 # without
    python benchmarks/load_uploads.py --users 6 --requests 4 --uploaders 2 --rounds 2 # both, alternating,
                                                                                      # on one server

Each uploader makes one gradio_client Client and sends the picture again and again (upload, then
/classify) from the moment the load test starts its crowd until the crowd is done.  The last form
starts the app once and runs the same crowd without and with the uploaders, alternating, and
prints the drawing users' latencies side by side.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = (7300, 5470)   # 39.9 MP, under the app's 40 MP limit (demo/digits/pictures.py MAX_PIXELS)


def big_png(size: tuple[int, int] = SIZE) -> Path:
    """A transparent drawing of a 7 filling half of a `size` canvas, as RGBA PNG (made once, kept
    in the temp folder: ~1 MB, it compresses well)."""
    path = Path(tempfile.gettempdir()) / f"rnn_lens_upload_{size[0]}x{size[1]}.png"
    if path.exists():
        return path
    import numpy as np
    from PIL import Image

    from demo.digits.sketches import example_digit
    w, h = size
    side = h // 2
    ink = Image.fromarray(example_digit(7)[..., 3]).resize((side, side), Image.Resampling.BILINEAR)
    alpha = np.zeros((h, w), np.uint8)
    top, left = (h - side) // 2, (w - side) // 2
    alpha[top:top + side, left:left + side] = np.asarray(ink)
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., 3] = alpha
    partial = path.with_suffix(".part")
    Image.fromarray(rgba, "RGBA").save(partial, format="PNG")
    partial.replace(path)
    return path


class Uploaders:
    """`n` users sending ``big_png()`` to /classify in a loop until ``stop()``."""

    def __init__(self, url: str, n: int):
        self.url, self.png = url, big_png()
        self.latency, self.errors, self.wrong = [], {}, 0
        self._stop, self._lock = threading.Event(), threading.Lock()
        self._threads = [threading.Thread(target=self._user, daemon=True) for _ in range(n)]
        for t in self._threads:
            t.start()

    def _user(self) -> None:
        from gradio_client import Client, handle_file
        from load_test import error_line  # a sibling script
        client = Client(self.url, verbose=False, ssl_verify=False)
        while not self._stop.is_set():
            t = time.perf_counter()
            try:
                out = client.predict(handle_file(str(self.png)), "lstm", api_name="/classify")
            except Exception as e:  # noqa: BLE001 - counted and reported: this is a load test
                msg = error_line(e)
                with self._lock:
                    self.errors[msg] = self.errors.get(msg, 0) + 1
                continue
            with self._lock:
                self.latency.append(time.perf_counter() - t)
                self.wrong += out.get("label") != "7"

    def stop(self) -> "Uploaders":
        self._stop.set()
        for t in self._threads:
            t.join(timeout=300)
        return self

    def report(self) -> str:
        from load_test import pct
        lat = self.latency
        line = (f"uploaders ({len(self._threads)}, {SIZE[0]}x{SIZE[1]} RGBA PNG, "
                f"{self.png.stat().st_size / 1e6:.1f} MB): {len(lat)} classified, p50 {pct(lat, .5):.2f} / "
                f"p95 {pct(lat, .95):.2f} s, wrong labels {self.wrong}")
        return line + "".join(f"\n  {n} x {m}" for m, n in self.errors.items())


def start(url: str, n: int) -> Uploaders | None:
    """--uploaders N of benchmarks/load_test.py: N uploaders from now on (None for 0)."""
    return Uploaders(url, n) if n > 0 else None


def compare(users: int, requests: int, uploaders: int, rounds: int, drawers: float) -> None:
    """One app, the same crowd without and with `uploaders`, `rounds` times alternating."""
    import load_test as lt  # a sibling script: its folder is on sys.path
    os.environ.update(lt.NO_TELEMETRY)
    big_png()
    port = lt.free_port()
    proc, url = lt.start_app(port), f"http://127.0.0.1:{port}/"
    rows = []
    try:
        for r in range(rounds):
            for n in (0, uploaders):
                up = start(url, n)
                try:
                    s = lt.run_load(url, users, requests, 600, drawers=drawers)
                finally:
                    up = up.stop() if up else None
                rows.append((r, n, s, up))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"\n{users} users ({rows[0][2]['drawers']} drawing) x {requests} actions, without and with "
          f"{uploaders} uploaders of a {SIZE[0]}x{SIZE[1]} PNG; drawing latencies in s (p50 / p95)")
    for r, n, s, up in rows:
        lat, every, upd = s["draw"], s["draw_all"], s["update"]
        print(f"round {r + 1}, {n} uploaders: final label {lt.pct(lat, .5):.2f} / {lt.pct(lat, .95):.2f}, "
              f"every view {lt.pct(every, .5):.2f} / {lt.pct(every, .95):.2f}, update {lt.pct(upd, .5):.2f} / "
              f"{lt.pct(upd, .95):.2f} ({len(lat)} drawings, {s['errors']} errors, {s['busy']} busy)")
        if up:
            print("  " + up.report())


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=6)
    p.add_argument("--requests", type=int, default=4, help="actions per user (a drawing counts as one)")
    p.add_argument("--drawers", type=float, default=1.0, help="share of the users who draw (0..1)")
    p.add_argument("--uploaders", type=int, default=2)
    p.add_argument("--rounds", type=int, default=2, help="without/with pairs, alternating")
    args = p.parse_args(argv)
    compare(args.users, args.requests, args.uploaders, args.rounds, args.drawers)


if __name__ == "__main__":
    main()
