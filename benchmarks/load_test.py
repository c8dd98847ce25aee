"""Load test: N concurrent users against the app on localhost: users who draw on the Digits tab's
pad, mixed with gradio_client users of /classify and /generate.

    python benchmarks/load_test.py                          # 100 users x 10 actions, mixed
    python benchmarks/load_test.py --users 10 --requests 3  # a smoke test
    python benchmarks/load_test.py --drawers 0              # only classify/generate users, as before
    python benchmarks/load_test.py --server-timing --profile /tmp/load.txt   # where the time goes
    python benchmarks/load_test.py --url http://127.0.0.1:7860/   # an app you started yourself
    python benchmarks/load_test.py --uploaders 2            # and 2 users uploading 40 MP PNGs to /classify
    python benchmarks/load_test.py --stoppers 3             # then 3 users who press Stop (benchmarks/load_stoppers.py)
    python benchmarks/load_test.py --trainers 3             # 3 of the 100 users train on the Train tab meanwhile

Without --url it starts ``app.py`` in a subprocess on a free port (so the load generator does not
share the server's GIL).  A share of the users (--drawers, default a third: users 0, 3, 6, ...)
draw: each action is one 2-second stroke of a digit during which the user sends the pad's latest
value (an "ink-v1" dict, the digit drawn up to that moment) whenever its previous request has
answered, at most 10 a second (what the page's ``trigger_mode="always_last"`` does), then the
finished drawing, and waits for its label, then for the answer's second part (every view below
the first screen, which the page asks for once the label has come).  They call the pad's own change event as the browser
does: raw HTTP, POST gradio_api/queue/join with its fn_index, then the gradio_api/queue/data event
stream (the event is private: gradio_client does not list it).  The other users alternate
/classify (a drawn digit as a sketch layer) and /generate (200 characters) through gradio_client.

Arrival: every user first connects (a drawing user fetches the config as its page does; an API
user makes its gradio_client Client, which fetches the config and the API info and opens a
heartbeat stream), timed as "connect"; when all 100 are connected, all start acting at the same
moment: 100 concurrent users.  --overlap instead lets each user act as soon as it has connected
itself, while the rest are still connecting (the crowd this test ran before).  That second crowd
also measures the load generator: a gradio_client Client costs ~26 ms of the client's own CPU to
make (parsing the config, one Endpoint per event), which a real user spends on its own machine,
while here 66 of them take the server's two cores in the same second.  --ramp S spreads the
arrivals (connect, then act) evenly over S seconds.

Bounded in count (users x actions) and in time (--deadline): after the deadline no new action
starts.  Prints successes, "busy" answers (the queue is full: the user is told to try again),
other errors, wrong labels, and p50/p95 latency per kind: a drawing's final label is timed from
the pen lifting (the end of the stroke) to the label's arrival ("every view": to the second
part's); the updates during the stroke from their own request.  --server-timing starts the app
with GRADIO_PROFILING=1 and prints, per event, gradio's own breakdown (queue wait, preprocess,
our handler, postprocess) next to the round trip the client saw; --profile FILE samples the
server with py-spy (pip install py-spy) and prints where its CPU time went.  --max-size and --concurrency override demo/ui_common.py's
QUEUE and HEAVY in the started app, to size them.

--trainers N: N of the users train instead (the crowd is the others): from the moment the crowd
acts until it is done, each presses the Train tab's Play on the default run (digits, LSTM 1x64)
as its page does (raw HTTP, the events are private), reads the streamed updates for --train-s
seconds of training, then presses Pause and Reset (the run stops, its worker takes the next in
line), and again.  Their figures come in lines of their own: Play to the first update, Play to
the first "Training" update (the wait in the line, the pool's worker starting for the first),
updates a second while training, Pause to the stream's end, and errors.  The runs' worker
processes are the app's children: their CPU is in "its workers".
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT.parent / "shared" / "data"   # MNIST/raw for --trainers (as benchmarks/bench_train.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, max_size: int | None = None, concurrency: int | None = None,
              profiling: bool = False, data_dir: Path | None = None) -> subprocess.Popen:
    """app.py in its own process; with `max_size` / `concurrency`, through this script's --serve
    (the same app with QUEUE and HEAVY overridden); `profiling`: GRADIO_PROFILING=1; `data_dir`:
    where its training reads MNIST (RNN_LENS_DATA)."""
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    if data_dir is not None:
        env["RNN_LENS_DATA"] = str(data_dir)
    if profiling:
        env["GRADIO_PROFILING"] = "1"
    if max_size is None and concurrency is None:
        cmd = [sys.executable, str(ROOT / "app.py"), "--port", str(port)]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve", str(port)]
        cmd += ["--max-size", str(max_size)] if max_size is not None else []
        cmd += ["--concurrency", str(concurrency)] if concurrency is not None else []
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def serve(port: int, max_size: str, concurrency: str) -> None:
    """--serve: app.py's app with the queue's size and the concurrency limits overridden
    ("keep": demo/ui_common.py's value; "none": unbounded queue)."""
    from demo.runtime import configure_torch
    configure_torch()
    from demo import ui_common
    if max_size != "keep":
        ui_common.QUEUE["max_size"] = None if max_size == "none" else int(max_size)
    if concurrency != "keep":
        ui_common.QUEUE["default_concurrency_limit"] = int(concurrency)
        ui_common.HEAVY["concurrency_limit"] = int(concurrency)
    from demo.app import build_app, launch
    launch(build_app(), port=port)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by a process's live children (the app's text and digits workers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


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


# ---------------------------------------------------------------------------------------------
# Drawing users: the pad's values and its change event over raw HTTP

INK = 56                 # cells per side of the pad's value (demo/digits/pad.py INK_SIZE)
STROKE_S = 2.0           # seconds of drawing per action
MIN_GAP_S = 0.1          # at most 10 values a second
FRAMES = 40              # progressively drawn values per digit (the latest one at each moment)


def _partial(strokes, f: float) -> list:
    """The first fraction `f` (by length) of a digit's pen strokes."""
    import numpy as np
    pts = [np.asarray(st, float) for st in strokes]
    lens = [np.hypot(*np.diff(p, axis=0).T) for p in pts]
    d, out = f * sum(float(n.sum()) for n in lens), []
    for p, n in zip(pts, lens):
        if d <= 0:
            break
        cum = np.concatenate([[0.0], np.cumsum(n)])
        if d >= cum[-1]:
            out.append(p)
            d -= cum[-1]
            continue
        k = int(np.searchsorted(cum, d)) - 1
        out.append(np.vstack([p[:k + 1], p[k] + (p[k + 1] - p[k]) * (d - cum[k]) / max(n[k], 1e-9)]))
        d = 0
    return out


def stroke_values(digit: int, frames: int = FRAMES) -> list[dict]:
    """The pad's values while `digit` is drawn (demo.digits.sketches' first way of writing it,
    centred, 70% of the pad, a pen 1/28 of the pad wide like the pad's default brush): `frames`
    ink-v1 dicts, the last one the finished digit."""
    import numpy as np
    from PIL import Image, ImageDraw

    from demo.digits.pad_ink import ink_value
    from demo.digits.sketches import templates
    strokes, ss = templates()[digit][0], 4
    side, w = INK * ss, INK * ss / 28
    values = []
    for k in range(1, frames + 1):
        img = Image.new("L", (side, side), 0)
        d = ImageDraw.Draw(img)
        for p in _partial(strokes, k / frames):
            q = [((0.15 + 0.7 * x) * side, (0.15 + 0.7 * y) * side) for x, y in p]
            if len(q) > 1:
                d.line(q, fill=255, width=int(round(w)), joint="curve")
            for x, y in (q[0], q[-1]):
                d.ellipse([x - w / 2, y - w / 2, x + w / 2, y + w / 2], fill=255)
        values.append(ink_value(np.asarray(img.resize((INK, INK), Image.Resampling.BOX))))
    return values


def sse_lines(response):
    """The lines of an event stream, as bytes.  httpx's iter_lines joins a long line's chunks
    again at every chunk (quadratic): a Digits answer is ~90 kB on one line, and the load
    generator, on the server's machine, spent a third of its time there."""
    buf = bytearray()
    for chunk in response.iter_bytes():
        start = len(buf)
        buf += chunk
        cut = 0
        while (nl := buf.find(b"\n", max(cut, start - 1 if start else 0))) != -1:
            yield bytes(buf[cut:nl]).rstrip(b"\r")
            cut = nl + 1
            start = cut
        del buf[:cut]
    if buf:
        yield bytes(buf)


# The app is served over plain HTTP on this machine: no certificates to check.  With checking on,
# httpx loads the system's CA bundle for every client it makes, and gradio_client makes one per
# request: 40% of this load generator's CPU (py-spy), taken from the server it shares the cores with.
NO_TLS = False
# gradio_client sends a telemetry request (to huggingface.co, through huggingface_hub) from a
# thread of every Client it makes, unless these say not to (its analytics_enabled=False alone
# does not: it falls back to the variable).  Offline, that was 16% of this load generator's
# Python (py-spy), in the seconds when 66 clients connect: a real user's client does that on
# its own machine.
NO_TELEMETRY = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_TELEMETRY": "1"}


class Busy(Exception):
    """The queue refused the event ("Queue is full")."""


class PadEvent:
    """One of the Digits pad's events as the page calls it ("change": the live lane, every
    value; "submit": the final lane, pen-ups): its fn_index, the trigger (the pad), the other
    inputs at their initial values, and where the final label is in the outputs."""

    def __init__(self, url: str, event: str = "change", follows: "PadEvent | None" = None):
        """``follows``: instead, the event the page sends when that one has answered (the
        pen-up's second part, after "submit"); its answer has no label (None)."""
        import httpx
        config = httpx.get(url + "config", timeout=30).json()
        comps = {c["id"]: c for c in config["components"]}
        by_elem = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
        self.pad, final = by_elem["digit-pad"], by_elem["digit-prediction"]
        dep = next(d for d in config["dependencies"]
                   if (d.get("trigger_after") == follows.fn_index if follows else
                       any(t[0] == self.pad and t[1] == event for t in d["targets"])))
        self.url, self.fn_index = url, dep["id"]
        self.inputs = [comps[i].get("props", {}).get("value") for i in dep["inputs"]]
        self.pad_at = dep["inputs"].index(self.pad)
        self.final_at = dep["outputs"].index(final) if final in dep["outputs"] else None

    def call(self, http, session: str, value: dict, timeout: float = 120) -> tuple[dict, dict]:
        """Join the queue with `value` as the pad's, read the event stream until this event
        completes: (the final label's value, timings: join/start/done in perf_counter s and the
        event id).  Raises Busy when the queue is full, RuntimeError for an error answer."""
        data = list(self.inputs)
        data[self.pad_at] = value
        t = {"sent": time.perf_counter()}
        r = http.post(self.url + "gradio_api/queue/join", timeout=timeout,
                      json={"data": data, "fn_index": self.fn_index, "session_hash": session,
                            "event_data": None, "trigger_id": self.pad})
        if r.status_code == 503:
            raise Busy(r.text[:80])
        r.raise_for_status()
        event_id = r.json()["event_id"]
        t["joined"], t["event_id"] = time.perf_counter(), event_id
        with http.stream("GET", self.url + "gradio_api/queue/data", params={"session_hash": session},
                         timeout=timeout) as events:
            for line in sse_lines(events):
                if not line.startswith(b"data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("event_id") not in (None, event_id):
                    continue
                if msg.get("msg") == "process_starts":
                    t["started"] = time.perf_counter()
                elif msg.get("msg") == "process_completed":
                    t["done"] = time.perf_counter()
                    if not msg.get("success"):
                        err = (msg.get("output") or {}).get("error") or "error"
                        raise RuntimeError(str(err).splitlines()[0][:80])
                    return (msg["output"]["data"][self.final_at] if self.final_at is not None else None), t
                elif msg.get("msg") == "unexpected_error":
                    raise RuntimeError(str(msg.get("message"))[:80])
        raise RuntimeError("event stream ended before the answer")


def draw_action(live: PadEvent, final: PadEvent, rest: PadEvent, http, http_final, session: str,
                final_session: str, values: list[dict], pad_id: str, seq: list[int],
                stroke_s: float = STROKE_S) -> dict:
    """One drawing, as the page sends it: during `stroke_s` seconds the latest value goes to the
    live lane ("change") whenever the previous one has answered (at most one per MIN_GAP_S),
    marked ``"drawing": true``; at pen-up the finished value goes at once to the final lane
    ("submit"), while the live lane gets it too (after the update still on its way, as
    ``always_last`` does; the server skips it there); once the label has come, the answer's
    second part (``rest``: every view below the first screen).  Every value carries the pad's id and its
    next ``seq``.  The final lane runs in a second session (``final_session``): one session has
    one event stream, which two requests in flight cannot share here; the server then cannot
    reuse the live lane's last analysis for the final value, a little more work than a page
    causes.  Returns the final label, the latencies from pen-up (to the label, to every view)
    and each request's timings."""
    def numbered(v, **extra):
        seq[0] += 1
        return {**v, **extra, "pad": pad_id, "seq": seq[0]}

    t0 = time.perf_counter()
    up = t0 + stroke_s
    calls, errors = [], []
    done_value = numbered(values[-1])

    def live_lane():
        last = -1e9
        try:
            while (now := time.perf_counter()) < up:
                if now - last < MIN_GAP_S:
                    time.sleep(min(MIN_GAP_S - (now - last), up - now))
                    continue
                last = now
                frame = min(len(values) - 2, int((now - t0) / stroke_s * (len(values) - 1)))
                calls.append(live.call(http, session, numbered(values[frame], drawing=True))[1])
            live.call(http, session, done_value)  # the pen-up's "change": skipped by the server
        except Exception as e:  # noqa: BLE001 - reported by the caller
            errors.append(e)

    lane = threading.Thread(target=live_lane)
    lane.start()
    time.sleep(max(0.0, up - time.perf_counter()))
    label, t = final.call(http_final, final_session, done_value)
    t["final"] = True
    _, t_rest = rest.call(http_final, final_session, done_value)  # then the answer's second part
    t_rest["final"] = True
    lane.join()
    if errors:
        raise errors[0]
    calls += [t, t_rest]
    return {"label": (label or {}).get("label"), "latency": t["done"] - up, "all_latency": t_rest["done"] - up,
            "calls": calls, "during": len(calls) - 2}


# ---------------------------------------------------------------------------------------------
# Training users: the Train tab's Play, Pause and Reset over raw HTTP

TRAIN_S = 20.0           # seconds of training a training user watches before it presses Pause
# The run's place, read from the start of its status line (demo/i18n en.json train.status.*,
# train.end.*): the English words the page shows.
TRAIN_STATES = (("**Waiting", "waiting"), ("**Training:", "running"), ("**Paused", "paused"),
                ("**Stopped at the", "cap"), ("**Stopped**", "stopped"), ("**Done**", "done"))
TRAIN_FAILED = ("**The run stopped", "diverged")   # train.end.error / died / diverged


def train_state(status: str) -> str:
    """The run's state from the Train tab's status line (Markdown, English): "waiting",
    "running", "paused", "cap", "stopped", "done", "failed" or "other"."""
    status = status or ""
    if any(m in status for m in TRAIN_FAILED):
        return "failed"
    return next((state for prefix, state in TRAIN_STATES if status.startswith(prefix)), "other")


class TrainPage:
    """The Train tab's buttons as the page calls them: Play (streamed: one answer per update of
    the run), Pause and Reset, each by its fn_index with the other inputs at their initial
    values: the default run, digits with an LSTM 1x64 (the events are private: gradio_client
    does not list them).  The session is the run's owner, so one training user keeps one."""

    def __init__(self, url: str):
        import httpx
        config = httpx.get(url + "config", timeout=30).json()
        comps = {c["id"]: c for c in config["components"]}
        by_elem = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
        self.url, self.events = url, {}
        for name in ("play", "pause", "reset"):
            button = by_elem[f"train-{name}"]
            dep = next(d for d in config["dependencies"]
                       if any(t[0] == button and t[1] == "click" for t in d["targets"]))
            self.events[name] = (dep["id"], button, [comps[i].get("props", {}).get("value") for i in dep["inputs"]])
            if name == "play":
                self.status_at = dep["outputs"].index(by_elem["train-status"])

    def join(self, http, session: str, name: str) -> str:
        """Press a button: join the queue; its event id (Busy when the queue is full)."""
        fn_index, button, data = self.events[name]
        r = http.post(self.url + "gradio_api/queue/join", timeout=60,
                      json={"data": data, "fn_index": fn_index, "session_hash": session,
                            "event_data": None, "trigger_id": button})
        if r.status_code == 503:
            raise Busy(r.text[:80])
        r.raise_for_status()
        return r.json()["event_id"]

    def messages(self, http, session: str, timeout: float = 120):
        """The session's event stream, as parsed messages, until gradio closes it (every event
        of the session has completed)."""
        with http.stream("GET", self.url + "gradio_api/queue/data", params={"session_hash": session},
                         timeout=timeout) as events:
            for line in sse_lines(events):
                if line.startswith(b"data:"):
                    msg = json.loads(line[5:])
                    if msg.get("msg") == "close_stream":
                        return
                    yield msg


def _failure(msg: dict) -> str | None:
    """An event's failure as one line, or None (a successful or unfinished event)."""
    if msg.get("msg") == "unexpected_error":
        return str(msg.get("message"))[:80] or "unexpected error"
    if msg.get("msg") == "process_completed" and not msg.get("success"):
        return str((msg.get("output") or {}).get("error") or "error").splitlines()[0][:80]
    return None


def train_run(page: TrainPage, http, session: str, train_s: float, crowd_done: threading.Event) -> dict:
    """One training user's run, as a person at the Train tab does it: Play (the default run);
    the streamed updates are read, each one's status line telling where the run is; after
    `train_s` s of updates that say "Training" (or when the crowd has finished) Pause, the
    stream read to its end (the page lingers a moment on "Paused"), then Reset, which stops the
    run and frees its worker for the next in line.  A run still waiting in line when the crowd
    finishes is Reset there (its wait then only a lower bound).  Returns its timings (perf_counter
    s): "first" (Play to the first update), "wait" (Play to the first "Training" update: the line
    and, for the pool's first run, its worker starting), "updates" and "training_s" (those
    received while training, and over how long), "stop" (Pause to the stream's end), the last
    "step" and validation "acc", "place" (in line, as the first update showed it: 0 had a worker
    at once) and "error" (None, or why it failed)."""
    out = {"error": None, "updates": 0, "first": None, "wait": None, "training_s": 0.0, "stop": None,
           "step": None, "acc": None, "cut": False, "place": None}
    t0 = time.perf_counter()
    try:
        play = page.join(http, session, "play")
    except Busy:
        out["error"] = "busy (queue full)"
        return out
    status, state, training_at, stop_at, stopping = "", None, None, None, None
    pending = {play}
    for msg in page.messages(http, session):
        now, event = time.perf_counter(), msg.get("event_id")
        if (failed := _failure(msg)) is not None:
            out["error"] = out["error"] or failed
        if msg.get("msg") == "process_completed":
            pending.discard(event)
            if event == play:
                out["stop"] = now - stop_at if stop_at is not None else None
            if not pending:
                break
            continue
        if event != play or msg.get("msg") != "process_generating":
            continue
        value = msg["output"]["data"][page.status_at]
        if isinstance(value, list):           # a diff of the previous update's value
            from gradio_client.utils import apply_diff
            value = apply_diff(status, value)
        status = value if isinstance(value, str) else status
        state = train_state(status)
        if out["first"] is None:
            out["first"] = now - t0
            out["place"] = int(m[1]) if (m := re.search(r"number (\d+) in line", status)) else 0
        if state == "failed":
            out["error"] = out["error"] or "run failed: " + status.replace("**", "").splitlines()[0][:70]
        if state == "running" and stopping is None:
            if training_at is None:
                training_at, out["wait"] = now, now - t0
            out["updates"] += 1
            out["training_s"] = now - training_at
            if (m := re.search(r"step ([\d,]+)", status)) is not None:
                out["step"] = int(m[1].replace(",", ""))
            if (m := re.search(r"accuracy ([\d.]+)%", status)) is not None:
                out["acc"] = float(m[1])
        if stopping is None and (crowd_done.is_set() or (training_at is not None and now - training_at >= train_s)):
            # trained long enough (or the crowd is done): Pause; still in line: Reset
            stopping = "pause" if state == "running" else "reset"
            out["cut"] = state == "waiting" or (state == "running" and now - training_at < train_s)
            if state == "waiting":
                out["waited"] = now - t0
            stop_at = now
            pending.add(page.join(http, session, stopping))
    else:
        if pending:
            out["error"] = out["error"] or "event stream ended before the answer"
    if stopping == "pause" or (stopping is None and out["error"] is None):
        reset = page.join(http, session, "reset")   # the worker goes to the next in line
        for msg in page.messages(http, session):
            if (failed := _failure(msg)) is not None:
                out["error"] = out["error"] or "reset: " + failed
            if msg.get("msg") == "process_completed" and msg.get("event_id") == reset:
                break
    return out


def training_user(page: TrainPage, train_s: float, go: threading.Event, crowd_done: threading.Event) -> list[dict]:
    """A training user: one page (one session) that trains run after run while the crowd acts:
    each run the default one, watched for `train_s` s of training (train_run).  Starts when the
    crowd starts acting (`go`); no new run once the crowd is done, nor after a failed one."""
    import httpx
    session, runs = uuid.uuid4().hex[:11], []
    with httpx.Client(verify=NO_TLS) as http:
        go.wait()
        while not crowd_done.is_set():
            try:
                runs.append(train_run(page, http, session, train_s, crowd_done))
            except Exception as e:  # noqa: BLE001 - reported, never raised: this is a load test
                runs.append({"error": error_line(e), "updates": 0, "first": None, "wait": None,
                             "training_s": 0.0, "stop": None, "step": None, "acc": None, "cut": False})
            if runs[-1]["error"]:
                break   # a person reads the message rather than pressing Play again at once
    return runs


def train_report(runs: list[dict], trainers: int, train_s: float) -> str:
    """The training users' lines of the summary: the wait in line, updates per second, errors."""
    def figs(xs):
        return (f"p50 {pct(xs, .5):.2f} / p95 {pct(xs, .95):.2f} / max {max(xs):.2f} s" if xs else "none")
    waits = [r["wait"] for r in runs if r["wait"] is not None]
    firsts = [r["first"] for r in runs if r["first"] is not None]
    cut = [r["waited"] for r in runs if r.get("waited") is not None]
    rates = [(r["updates"] - 1) / r["training_s"] for r in runs if r["training_s"] >= 1 and r["updates"] > 1]
    stops = [r["stop"] for r in runs if r["stop"] is not None]
    errors = Counter(r["error"] for r in runs if r["error"])
    trained = [r for r in runs if r["wait"] is not None]

    def each_run(rs):
        rs = [r for r in rs if r["wait"] is not None or r.get("waited") is not None]
        if len(rs) > 12:
            return f"{len(rs)} runs"
        return ", ".join(f"{r['wait']:.1f} ({r['place']})" if r["wait"] is not None else
                         f">{r['waited']:.1f} ({r['place']}, cut)" for r in rs) or "-"

    def listing(xs, fmt):
        xs = [x for x in xs if x is not None]
        if len(xs) <= 8:
            return ", ".join(format(x, fmt) for x in xs) or "-"
        return f"p50 {format(pct(xs, .5), fmt)}, min {format(min(xs), fmt)}, max {format(max(xs), fmt)}"
    lines = [f"training users ({trainers}, not in the crowd's figures above), each run the default "
             f"(digits, LSTM 1x64) watched for {train_s:g} s of training, then Pause and Reset: {len(runs)} runs, "
             f"{len(trained)} trained, {len(cut)} still in line when the crowd finished",
             f"  Play -> first update (its place in line shown)  {figs(firsts)}",
             f"  Play -> training (the wait in line)            {figs(waits)}"
             + (f"; cut while in line after {', '.join(f'{w:.1f}' for w in sorted(cut))} s" if cut else ""),
             "  each run, Play -> training in s (its place in line when it pressed Play; the pool's first run "
             "also waits for its worker to start): " + each_run(runs),
             f"  updates received while training: {listing(rates, '.1f')} a second "
             f"(over {listing([r['training_s'] for r in trained], '.1f')} s)",
             f"  last status: step {listing([r['step'] for r in trained], 'd')}; validation accuracy "
             f"{listing([r['acc'] for r in trained], '.1f')} %",
             f"  Pause (Reset while in line) -> stream ended  {figs(stops)}",
             f"  errors {sum(errors.values())}" + "".join(f"\n    {n} x {m}" for m, n in errors.most_common())]
    return "\n".join(lines)


def is_drawer(u: int, users: int, share: float) -> bool:
    """Spread `share` of the users evenly among them as drawing users (a third: 0, 3, 6, ...)."""
    eps = 1e-9
    return math.floor((u + 1) * share - eps) > math.floor(u * share - eps)


def connect_crowd(url: str, n: int, raw: bool, hold_s: float = 20.0) -> None:
    """--connect-crowd (run in a process of its own): prints "ready" once imported, then `n`
    clients connect when a line arrives on stdin and keep their heartbeat open for `hold_s`,
    doing nothing else; prints their connect times.  `raw`: plain HTTP for the same three
    requests a gradio_client Client makes (config, API info, heartbeat stream), without the
    Client's own work on the answers."""
    import httpx
    from gradio_client import Client
    times, keep, go = [], [], threading.Event()

    def one():
        go.wait()
        t = time.perf_counter()
        if not raw:
            keep.append(Client(url, verbose=False, ssl_verify=NO_TLS))
            times.append(time.perf_counter() - t)
            time.sleep(hold_s)
            return
        with httpx.Client(verify=NO_TLS, timeout=120) as http:
            http.get(url + "config").raise_for_status()
            http.get(url + "gradio_api/info").raise_for_status()
            with http.stream("GET", url + f"gradio_api/heartbeat/{uuid.uuid4()}") as beat:
                times.append(time.perf_counter() - t)
                for _ in beat.iter_bytes():
                    if time.perf_counter() - t > hold_s:
                        break

    threads = [threading.Thread(target=one) for _ in range(n)]
    for th in threads:
        th.start()
    print("ready", flush=True)
    sys.stdin.readline()
    go.set()
    for th in threads:
        th.join()
    print(f"{len(times)} more clients ({'plain HTTP' if raw else 'gradio_client'}) connecting as the crowd "
          f"started: connect p50 {pct(times, .5):.2f} / p95 {pct(times, .95):.2f} s", flush=True)


def run_load(url: str, users: int, requests: int, deadline_s: float, gen_length: int = 200,
             drawers: float = 1 / 3, stroke_s: float = STROKE_S, ramp_s: float = 0.0,
             overlap: bool = False, connecting: int = 0, connecting_raw: bool = False, trainers: int = 0,
             train_s: float = TRAIN_S) -> dict:
    """The crowd.  Each user first connects (a drawing user loads the page's config, an API user
    makes its gradio_client Client: config, API info, heartbeat), timed as "connect"; then,
    arriving all at once (ramp_s 0, overlap False), every user waits until all are connected
    and all start their actions at the same moment.  With `overlap` (or a ramp) each user acts
    as soon as it is connected itself, while the others are still connecting.  `connecting`:
    that many more clients connect, from a process of their own, at the moment the crowd starts
    acting (--connecting: to tell the server's cost of a connect from the client's).
    `trainers`: that many of the `users` train instead (training_user, from the moment the crowd
    acts until it is done); the crowd is the other users, and the figures are the crowd's, the
    training users' runs apart in "train"."""
    import httpx
    from gradio_client import Client, handle_file
    from gradio_client.utils import QueueError

    tmp = Path(tempfile.mkdtemp())
    png = sketch_png(tmp)
    lock = threading.Lock()
    stats = {"classify": [], "generate": [], "draw": [], "draw_all": [], "update": [], "connect": [], "later": {},
             "ok": 0,
             "busy": 0, "errors": 0,
             "wrong": 0, "messages": {}, "during": [], "calls": [], "drawings": 0, "started": 0}
    trainers = max(0, min(trainers, users))
    users -= trainers  # the crowd: the users who do not train
    roles = [is_drawer(u, users, drawers) for u in range(users)]
    train_page = TrainPage(url) if trainers else None
    go, crowd_done = threading.Event(), threading.Event()  # the training users' start and end
    pad = PadEvent(url, "change") if any(roles) else None
    pad_final = PadEvent(url, "submit") if any(roles) else None
    pad_rest = PadEvent(url, follows=pad_final) if any(roles) else None
    values = {d: stroke_values(d) for d in range(10)} if any(roles) else {}
    stop_at = time.time() + deadline_s
    crowd = None  # the --connecting process: started and imported now, its clients go at the gate
    if connecting:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--connect-crowd", url, str(connecting),
               "raw" if connecting_raw else "client"]
        crowd = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if crowd.stdout.readline().strip() != "ready":
            raise SystemExit("the --connecting process did not start")

    def more_clients():
        go.set()
        if crowd is not None:
            crowd.stdin.write("go\n")
            crowd.stdin.flush()

    # all connected before anyone acts: with a ramp, users arrive one by one instead
    gate = threading.Barrier(users, action=more_clients) if users and not overlap and not ramp_s else None
    if gate is None:  # no moment when all are connected: they come with the crowd's first arrivals
        more_clients()

    def connected(t: float, ok: bool = True):
        """A user is connected (`ok`) or failed to: its connect time, then the wait for the others."""
        if ok:
            with lock:
                stats["connect"].append(time.perf_counter() - t)
        if gate is not None:
            try:
                gate.wait(timeout=120)
            except threading.BrokenBarrierError:  # someone never got there: go on regardless
                pass

    def record(kind, latency=None, error=None, first=False):
        with lock:
            if error is None:
                stats["ok"] += 1
                stats[kind].append(latency)
                if not first:  # the steady state: every action but each user's first
                    stats["later"].setdefault(kind, []).append(latency)
            elif error == "busy":
                stats["busy"] += 1
            else:
                stats["errors"] += 1
                key = error if error.startswith("connect") else f"{kind}: {error}"
                stats["messages"][key] = stats["messages"].get(key, 0) + 1

    def drawing_user(u: int):
        session = uuid.uuid4().hex[:11]  # one page: one session for all its events (+ the final lane's)
        final_session, pad_id, seq = uuid.uuid4().hex[:11], uuid.uuid4().hex[:12], [0]
        with httpx.Client(verify=NO_TLS) as http, httpx.Client(verify=NO_TLS) as http_final:
            t, ok = time.perf_counter(), True
            try:
                http.get(url + "config", timeout=120).raise_for_status()  # the page loading its app
            except Exception as e:  # noqa: BLE001 - counted, and the user goes on drawing
                record("connect", error=f"connect: {type(e).__name__}")
                ok = False
            connected(t, ok)
            for r in range(requests):
                if time.time() > stop_at:
                    return
                digit = (u + r) % 10
                with lock:
                    stats["started"] += 1
                try:
                    d = draw_action(pad, pad_final, pad_rest, http, http_final, session, final_session,
                                    values[digit], pad_id, seq, stroke_s)
                except Busy:
                    record("draw", error="busy")
                    continue
                except Exception as e:  # noqa: BLE001 - reported, never raised: this is a load test
                    record("draw", error=error_line(e))
                    continue
                record("draw", d["latency"], first=r == 0)
                record("draw_all", d["all_latency"], first=r == 0)
                with lock:
                    stats["drawings"] += 1
                    stats["during"].append(d["during"])
                    stats["update"] += [c["done"] - c["sent"] for c in d["calls"] if not c.get("final")]
                    stats["ok"] += d["during"]  # every update answered too
                    stats["calls"] += d["calls"]
                    if d["label"] != str(digit):
                        stats["wrong"] += 1

    def user(u: int):
        if roles[u]:
            return drawing_user(u)
        t = time.perf_counter()
        try:
            client = Client(url, verbose=False, ssl_verify=NO_TLS)  # no telemetry: NO_TELEMETRY, set in main
        except Exception as e:  # noqa: BLE001 - any failure to connect counts as an error
            for _ in range(requests):
                record("connect", error=f"connect: {type(e).__name__}")
            return connected(t, ok=False)
        connected(t)
        for r in range(requests):
            if time.time() > stop_at:
                return
            kind = "classify" if (u + r) % 2 == 0 else "generate"
            with lock:
                stats["started"] += 1
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
                record(kind, time.perf_counter() - t, first=r < 2)  # each kind's first
            except QueueError:
                record(kind, error="busy")
            except Exception as e:  # noqa: BLE001 - reported, never raised: this is a load test
                msg = str(e).splitlines()[0][:80] if str(e) else type(e).__name__
                record(kind, error="busy" if "queue is full" in msg.lower() else msg)

    t0 = time.time()

    def arrive(u: int):
        # --ramp: user u arrives at u/users of the ramp (0: all at once, as a stress test)
        time.sleep(ramp_s * u / max(users, 1))
        return user(u)

    with ThreadPoolExecutor(max_workers=max(trainers, 1)) as train_pool:
        training = [train_pool.submit(training_user, train_page, train_s, go, crowd_done) for _ in range(trainers)]
        if users:
            with ThreadPoolExecutor(max_workers=users) as pool:
                list(pool.map(arrive, range(users)))
        stats["wall_s"] = time.time() - t0
        crowd_done.set()
        go.set()
        stats["train"] = [run for t in training for run in t.result()]
    stats["connecting"] = crowd.communicate(timeout=300)[0].strip() if crowd is not None else ""
    stats["drawers"] = sum(roles)
    stats["trainers"] = trainers
    return stats


def error_line(e: Exception) -> str:
    """An error as one short line for the report: its message's first line, else its type."""
    return (str(e).splitlines() or [type(e).__name__])[0][:80] or type(e).__name__


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def server_traces(url: str) -> list[dict]:
    """gradio's per-event timings (the app runs with GRADIO_PROFILING=1)."""
    import httpx
    r = httpx.get(url + "gradio_api/profiling/traces", timeout=60)
    r.raise_for_status()
    return r.json()


def print_server_timing(traces: list[dict], calls: list[dict]) -> None:
    """Per event name: gradio's queue wait, preprocess, our function, postprocess and total (ms);
    for the pad's event also the round trip the drawing users saw and what is left of it outside
    process_api (serialising and sending the answer, the event loop, the client)."""
    by_fn = defaultdict(list)
    for t in traces:
        name = t.get("fn_name") or "?"
        by_fn[name if len(name) < 40 else name[:37] + "..."].append(t)
    phases = ("queue_wait_ms", "preprocess_ms", "fn_call_ms", "postprocess_ms", "total_ms")
    print("\nserver time per event (GRADIO_PROFILING traces), ms: p50 / p95")
    print(f"{'event':<28}{'n':>6}" + "".join(f"{p[:-3]:>17}" for p in phases))
    for name, ts in sorted(by_fn.items(), key=lambda kv: -len(kv[1])):
        cells = "".join(f"{pct([t[p] for t in ts], .5):>8.1f} /{pct([t[p] for t in ts], .95):>7.1f}" for p in phases)
        print(f"{name:<28}{len(ts):>6}{cells}")
    by_id = {t["event_id"]: t for t in traces}
    rows = [(c, by_id[c["event_id"]]) for c in calls if c.get("event_id") in by_id and "done" in c]
    if rows:
        rt = [1000 * (c["done"] - c["sent"]) for c, _ in rows]
        rest = [1000 * (c["done"] - c["sent"]) - t["queue_wait_ms"] - t["total_ms"] for c, t in rows]
        busy = sum(t["total_ms"] for _, t in rows)
        fn = sum(t["fn_call_ms"] for _, t in rows)
        print(f"pad event, as the drawing users saw it: round trip p50 {pct(rt, .5):.0f} / p95 {pct(rt, .95):.0f} ms; "
              f"outside queue wait + process_api (send, event loop, client) p50 {pct(rest, .5):.0f} / "
              f"p95 {pct(rest, .95):.0f} ms; our handler is {100 * fn / max(busy, 1e-9):.0f}% of process_api")


IDLE = ("Condition.wait", "EpollSelector.select", "Blocks.block_thread", "sleep (", "_wait_for_tstate_lock",
        "Event.wait", "Thread.join")  # waiting, not working: py-spy's idle detection misses some


def _part(stack: str) -> str:
    """Which part of the server a sample (a py-spy stack, root first) belongs to."""
    if "(demo/" in stack:
        return "our handlers (demo/, with the torch, PIL, numpy they call)"
    if "postprocess_data (gradio/blocks.py" in stack:
        return "gradio postprocess (outputs -> cache files, JSON-able values)"
    if "preprocess_data (gradio/blocks.py" in stack:
        return "gradio preprocess (inputs)"
    if any(m in stack for m in ("json", "orjson")):
        return "serialising messages (json)"
    if "gradio/" in stack:
        return "gradio queue, routes, SSE, file serving (the rest)"
    if any(m in stack for m in ("uvicorn/", "starlette/", "h11/", "httptools", "anyio/", "asyncio/")):
        return "HTTP server and event loop (uvicorn, starlette, asyncio)"
    return "other"


# The handlers a sample is counted to, by a frame of theirs (py-spy: "function (file:line)", root
# first; a method may come as "Class.function"): a drawing analysed in this process (the pad's
# lanes; with the drawing worker on, that work is in the worker, not sampled), /classify (its
# coroutine, and the picture read by to_mnist in a thread that anyio started, no demo/ frame
# above it) and /generate (the text written here when the writer process is off).
HANDLERS = {("demo/digits/drawing.py", "drawing"): "digits drawing",
            ("demo/digits/drawing.py", "first"): "digits drawing",
            ("demo/digits/api.py", "classify"): "/classify",
            ("demo/text/handlers.py", "generate"): "/generate"}


def _handler(stack: str) -> str | None:
    """Which of HANDLERS a sample (a py-spy stack, root first) is in, if any."""
    frames = stack.split(";")
    for k, frame in enumerate(frames):
        fn, _, where = frame.partition(" (")
        file, fn = where.rpartition(":")[0], fn.rsplit(".", 1)[-1]
        if (file, fn) in HANDLERS:
            return HANDLERS[file, fn]
        if (file, fn) == ("demo/digits/preprocess.py", "to_mnist") and not any("(demo/" in f for f in frames[:k]):
            return "/classify"
    return None


def summarise_profile(path: Path, top: int = 14) -> None:
    """py-spy's raw (collapsed) stacks -> the CPU share of each part of the server and the
    hottest functions (samples of waiting threads left out)."""
    stacks = Counter()
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if stack and n.isdigit() and not any(m in stack.split(";")[-1] for m in IDLE):
            stacks[stack] += int(n)
    total = sum(stacks.values())
    if not total:
        print(f"profile {path}: no samples")
        return
    parts, handlers, leaf = Counter(), Counter(), Counter()
    for st, c in stacks.items():
        parts[_part(st)] += c
        leaf[st.split(";")[-1]] += c
        h = _handler(st)
        if h:
            handlers[h] += c
    print(f"\nserver profile (py-spy, 100 Hz, {total} samples of threads not waiting; a thread waiting for the "
          f"GIL counts too, so these are shares of the work, not CPU seconds: see 'server CPU' above)")
    for name, c in parts.most_common():
        print(f"  {100 * c / total:5.1f}%  {name}")
    print("  by handler: " + ", ".join(f"{h} {100 * c / total:.1f}%" for h, c in handlers.most_common()))
    inside = {"torch (models, autograd for row influence)": "(torch/",
              "PNG encoding + cache write of gr.Image outputs (gradio)": "save_pil_to_cache (",
              "gr.update() bookkeeping: per-session component config": "gradio/state_holder.py",
              "pandas (plot values)": "(pandas/"}
    print("  across parts: " + "; ".join(
        f"{name} {100 * sum(c for st, c in stacks.items() if mark in st) / total:.1f}%" for name, mark in inside.items()))
    print("  hottest functions (self time):")
    for fn, c in leaf.most_common(top):
        print(f"    {100 * c / total:5.1f}%  {fn[:110]}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="a running app (default: start one on a free port)")
    p.add_argument("--users", type=int, default=100, help="concurrent users")
    p.add_argument("--requests", type=int, default=10, help="actions per user (a drawing counts as one)")
    p.add_argument("--deadline", type=float, default=300, help="seconds after which no action starts")
    p.add_argument("--gen-length", type=int, default=200, help="characters per /generate request")
    p.add_argument("--drawers", type=float, default=1 / 3, help="share of the users who draw (0..1)")
    p.add_argument("--stroke", type=float, default=STROKE_S, help="seconds of drawing per action")
    p.add_argument("--ramp", type=float, default=0.0,
                   help="seconds over which the users arrive, evenly (default 0: all at the same moment)")
    p.add_argument("--overlap", action="store_true",
                   help="each user acts as soon as it has connected itself, while the others are still "
                        "connecting (default: all connect, then all act at the same moment)")
    p.add_argument("--connecting", type=int, default=0, metavar="N",
                   help="N more gradio_client clients connect, from a process of their own, as the crowd "
                        "starts acting (nothing else: their cost in the crowd's first seconds)")
    p.add_argument("--connecting-raw", action="store_true",
                   help="--connecting clients make the same requests over plain HTTP: the server's share only")
    p.add_argument("--connect-crowd", nargs=3, help=argparse.SUPPRESS)  # internal: the --connecting process
    p.add_argument("--max-size", help="override QUEUE max_size in the started app (a number or none)")
    p.add_argument("--concurrency", type=int, help="override the concurrency limits in the started app")
    p.add_argument("--server-timing", action="store_true", help="GRADIO_PROFILING=1: gradio's per-event times")
    p.add_argument("--profile", type=Path, help="sample the started app with py-spy into this file")
    p.add_argument("--uploaders", type=int, default=0, metavar="N",
                   help="N more users upload a 40 MP PNG to /classify, again and again, while the crowd acts "
                        "(benchmarks/load_uploads.py)")
    p.add_argument("--stoppers", type=int, default=0, metavar="N",
                   help="after the crowd, N users press Generate and Stop at the first words, 5 times each; "
                        "the text worker's CPU is read until it is idle (benchmarks/load_stoppers.py)")
    p.add_argument("--trainers", type=int, default=0, metavar="N",
                   help="N of the users train instead, on the Train tab (Play on the default digits run, "
                        "Pause after --train-s s of training, Reset, again while the crowd acts); their "
                        "figures are printed apart (default 0: no training, the figures as before)")
    p.add_argument("--train-s", type=float, default=TRAIN_S,
                   help="seconds of training a training user watches per run")
    p.add_argument("--data-dir", type=Path,
                   help=f"with --trainers, where the started app's training reads MNIST/raw (RNN_LENS_DATA; "
                        f"default {DATA_DIR} when it is there and RNN_LENS_DATA is unset, else a download)")
    p.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # internal: the app with overrides
    args = p.parse_args(argv)
    os.environ.update(NO_TELEMETRY)
    if args.serve:
        return serve(args.serve, args.max_size or "keep", str(args.concurrency or "keep"))
    if args.connect_crowd:
        url, n, mode = args.connect_crowd
        return connect_crowd(url, int(n), mode == "raw")
    proc = spy = None
    url = args.url
    if not url:
        port = free_port()
        data_dir = args.data_dir or (DATA_DIR if DATA_DIR.is_dir() and not os.environ.get("RNN_LENS_DATA") else None)
        proc = start_app(port, args.max_size, args.concurrency, args.server_timing,
                         data_dir if args.trainers else None)
        url = f"http://127.0.0.1:{port}/"
        if args.profile:
            spy = start_profiler(proc.pid, args.profile)
    try:
        cpu0 = cpu_seconds(proc.pid) if proc else float("nan")
        kids0, own0 = (children_cpu_seconds(proc.pid) if proc else float("nan")), own_cpu_seconds()
        import load_uploads
        uploads = load_uploads.start(url, args.uploaders)
        s = run_load(url, args.users, args.requests, args.deadline, args.gen_length, args.drawers, args.stroke,
                     args.ramp, args.overlap, args.connecting, args.connecting_raw, args.trainers, args.train_s)
        uploads = uploads and uploads.stop()
        if os.environ.get("LOAD_DUMP"):
            Path(os.environ["LOAD_DUMP"]).write_text(json.dumps({k: s[k] for k in ("draw", "classify", "generate")}))
        cpu = cpu_seconds(proc.pid) - cpu0 if proc else float("nan")
        kids = children_cpu_seconds(proc.pid) - kids0 if proc else float("nan")
        own = own_cpu_seconds() - own0
        traces = server_traces(url) if args.server_timing else None
        rss = peak_rss_mb(proc.pid) if proc else float("nan")
        alive = proc is None or proc.poll() is None
        import load_stoppers   # after the crowd's figures: its CPU is not theirs
        stops = load_stoppers.start(url, args.stoppers, proc.pid if proc else None)
    finally:
        if spy:
            spy.send_signal(2)  # SIGINT: py-spy writes its file and exits
            spy.wait(timeout=120)
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    crowd = args.users - s["trainers"]
    total = crowd * args.requests
    if s["trainers"]:
        print(f"\n{args.users} users: {s['trainers']} training, {crowd} acting ({s['drawers']} drawing, "
              f"{crowd - s['drawers']} classify/generate) x {args.requests} actions = {total} in {s['wall_s']:.1f} s")
    else:
        print(f"\n{args.users} users ({s['drawers']} drawing) x {args.requests} actions = {total} "
              f"in {s['wall_s']:.1f} s")
    print(f"{'':<22}{'ok':>6}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for kind, name in (("connect", "connect (each user)"), ("draw", "draw: final label"),
                       ("draw_all", "draw: every view"), ("update", "draw: update (stroke)"), ("classify", "classify"),
                       ("generate", f"generate-{args.gen_length}")):
        lat = s[kind]
        if kind in ("draw", "draw_all", "update") and not s["drawers"]:
            continue
        print(f"{name:<22}{len(lat):>6}{pct(lat, 0.5):>9.2f}{pct(lat, 0.95):>9.2f}"
              f"{(max(lat) if lat else float('nan')):>9.2f}")
    later = s["later"]
    print("without each user's first action (the crowd arriving at once): p50 / p95 s  "
          + ", ".join(f"{name} {pct(later.get(kind, []), .5):.2f} / {pct(later.get(kind, []), .95):.2f}"
                      for kind, name in (("draw", "final label"), ("classify", "classify"),
                                         ("generate", f"generate-{args.gen_length}")) if later.get(kind)))
    if s["trainers"]:
        print(train_report(s["train"], s["trainers"], args.train_s))
    if uploads:
        print(uploads.report())
    if stops:
        print(stops)
    if s["connecting"]:
        print(s["connecting"])
    if s["drawers"]:
        print(f"prediction updates during a {args.stroke:g} s stroke: median {pct(s['during'], .5):.0f}, "
              f"min {min(s['during'], default=0)}, max {max(s['during'], default=0)}")
    print(f"successes {s['ok']} (requests, drawings' updates included), busy (queue full, told to retry) "
          f"{s['busy']}, other errors {s['errors']}, wrong labels {s['wrong']}, "
          f"not started (deadline) {total - s['started']}")
    for msg, n in sorted(s["messages"].items(), key=lambda kv: -kv[1]):
        print(f"  {n} x {msg}")
    print(f"server still serving: {alive}; peak server memory {rss:.0f} MiB; server CPU {cpu:.1f} s in "
          f"{s['wall_s']:.1f} s ({cpu / s['wall_s']:.2f} of {os.cpu_count()} cores; load average now "
          f"{os.getloadavg()[0]:.1f}); its workers ({'text, digits, training' if s['trainers'] else 'text, digits'}) "
          f"{kids:.1f} s; this load generator {own:.1f} s")
    if traces is not None:
        print_server_timing(traces, s["calls"])
    if args.profile and args.profile.exists():
        summarise_profile(args.profile)
    elif args.profile:
        print(f"no profile: py-spy wrote nothing to {args.profile}")
    return s


def start_profiler(pid: int, path: Path) -> subprocess.Popen:
    """py-spy sampling every thread of `pid` (100 Hz, running threads only) until SIGINT."""
    import shutil
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        raise SystemExit("--profile needs py-spy: pip install py-spy")
    return subprocess.Popen([exe, "record", "--pid", str(pid), "--rate", "100", "--format", "raw",
                             "--output", str(path), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
