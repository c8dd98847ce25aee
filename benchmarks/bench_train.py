"""The Train tab's runs on this CPU, one torch thread: how fast the default runs learn, and what the
live path costs next to a bare torch loop.  A reference workload (benchmark.py's 100 matmuls) is
timed in the same run, before and after, so the figures can be compared across machines.

Four parts (--only picks one); each prints the command that repeats it:

  speed     the default run (digits, LSTM 1x64, Adam 0.01, batch 64, clip 1): validation accuracy at
            5, 10, 20 and 30 s, (a) Run.train in this process (its clock: training time, records
            included), (b) the live path: a TrainPool job (a worker process) streamed through the
            Train tab's handlers (demo.train.handlers.play, every frame drawn as the page gets it),
            its clock the wall time from Play, start-up and views included, (c) a bare torch loop:
            the same data, network class and initial weights, no records (its clock: training time;
            the checkpoints' evaluations are not counted).  Goal: >= 96% within 30 s, live.
  overhead  steps/s of the live path and of the bare loop on the same config, side by side: three
            rounds interleaved (bare, live, bare, live, bare, live, bare), each live run against
            the bare runs either side of it, then Run.train in this process; what one step and
            one record's parts cost; and when the live path misses the goal (or with --variants),
            live runs with rarer records or fewer validation images.  Goal: live >= 0.8x bare.
            On a shared machine give the worker this process's priority (--nice 0): at the
            app's +19 it yields to every other job, which the bare loop here does not.
  remember  the digit then D = 50 blank rows, hidden 64, Adam 0.005, batch 64, clip 1, 60 s each:
            RNN, GRU, LSTM (torch's initialisation), LSTM with forget bias 2 (--configs adds
            lstm-fb1): accuracy at 5, 10, 15, 30, 45, 60 s, and a PNG of the curves (--plot).
            Goals: LSTM forget bias 2 >= 90%, RNN < 30%.
  text      the default text run (LSTM 1x128, embedding 32, Adam 3e-3, 32 windows x 64 chars) on
            Tiny Shakespeare: validation nats per character at 15, 30, 60 s.  Goal: <= 1.7 in 60 s.
  blank     (only with --only blank) remember's plain RNN in a bare loop of 9,000 steps, two seeds,
            by what it reads in the blank rows: 0 after normalisation (the task's), blank
            pixels standardised like ink (-0.424), or raw pixels (0): how far above chance it gets, and when.

    python benchmarks/bench_train.py                          # all four (about 10 minutes)
    python benchmarks/bench_train.py --only speed
    python benchmarks/bench_train.py --only remember --seconds 20 --plot /tmp/remember.png
    python benchmarks/bench_train.py --only text --path live  # remember / text through the live path
    python benchmarks/bench_train.py --quick                  # a few seconds per part: a smoke test

Accuracy is the run's own validation (digits: the first 1,000 of the 5,000 held-out MNIST
training images; text: the 10,000 characters after the first 90%), as the tab's curves show it.
Training runs are one per core at a time: run this on a quiet machine (the load average is
printed), since the pool's worker runs at the app's low priority (nice 19) and yields to anything.
"""
from __future__ import annotations

import argparse
import copy
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import torch
import torch.nn.functional as F

from demo.train import Run, Settings
from demo.train.gradients import grad_by_step, step_gradients
try:       # the library before 2026-12-07 had neither: this file also measures it, for a before/after
    from demo.train.gradients import FUSED, tracked_loss
except ImportError:
    FUSED, tracked_loss = (), None
from demo.train.live import LiveViews
from demo.train.run import OPTIMIZERS
from demo.train.tasks import make_task

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT.parent / "shared" / "data"
PLOT = ROOT / "docs" / "remember.png"

# the runs (None: the library's task default, which these equal)
DIGITS = dict(task="digits", cell="lstm", hidden=64, layers=1, optimizer="adam", lr=0.01, batch=64, clip=1.0, seed=0)
REMEMBER = dict(task="remember", hidden=64, layers=1, optimizer="adam", lr=0.005, batch=64, clip=1.0, delay=50, seed=0)
TEXT = dict(task="text", cell="lstm", hidden=128, layers=1, optimizer="adam", lr=3e-3, batch=32, bptt=64, embed=32,
            clip=1.0, seed=0)
REMEMBER_CONFIGS = {           # name: (legend, the cell's settings)
    "rnn": ("RNN (tanh)", dict(cell="rnn")),
    "gru": ("GRU", dict(cell="gru")),
    "lstm": ("LSTM, torch's init", dict(cell="lstm", forget_bias=None)),
    "lstm-fb1": ("LSTM, forget bias 1", dict(cell="lstm", forget_bias=1.0)),
    "lstm-fb2": ("LSTM, forget bias 2", dict(cell="lstm", forget_bias=2.0)),
}
DEFAULT_CONFIGS = ("rnn", "gru", "lstm", "lstm-fb2")

CHECKPOINTS = {"speed": (5, 10, 20, 30), "remember": (5, 10, 15, 30, 45, 60), "text": (15, 30, 60)}
OVERHEAD_S = 10.0              # s per steps/s measurement
ROUNDS = 3                     # overhead: live runs, each between two bare ones
SPEED_GOAL, RATIO_GOAL, REMEMBER_GOAL, RNN_CEILING, TEXT_GOAL = 0.96, 0.8, 0.90, 0.30, 1.7
# (record_every, validation images) tried live when the defaults miss the overhead goal
VARIANTS = ((30, 1000), (40, 1000), (50, 1000), (30, 500))
QUICK_S, QUICK_VAL, QUICK_TEXT_VAL = 2.0, 200, 2000
PROBE_HAND = "gradients reaching each step: a pass of its own, unrolled hand cells"
PROBE_FUSED = "gradients reaching each step: a pass of its own, fused kernel"
PROBE_STEP = "gradients reaching each step: measured by the training step (its extra)"
CONFUSION_PASS = "view: confusion matrix, a pass of its own (each second)"
CONFUSION_ANSWERS = "view: confusion matrix from the record's answers (each second)"
POOL_CAP_S = 3600.0            # the benchmark stops its live jobs itself


# -- the reference and small helpers -----------------------------------------------------------------

def median_ms(fn, repeats: int) -> float:
    """Median wall-clock ms of fn() over ``repeats`` runs, after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def extra_ms(base, more, repeats: int) -> float:
    """Median ms that more() takes beyond base(), the two run by turns (so that the machine's
    pace moving reaches both alike), after one warm-up each."""
    base(), more()
    diffs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        base()
        t1 = time.perf_counter()
        more()
        diffs.append((time.perf_counter() - t1) - (t1 - t0))
    return max(0.0, 1000 * statistics.median(diffs))


def reference_ms(repeats: int) -> float:
    """benchmark.py's reference workload, the same one (defined again here: importing benchmark.py
    loads gradio, 4 s): median ms of 100 (64x512 @ 512x512) float32 matmuls on one thread."""
    a, b = torch.randn(64, 512), torch.randn(512, 512)
    return median_ms(lambda: [a @ b for _ in range(100)], repeats)


def checkpoints(default, seconds: float | None) -> list[float]:
    """The part's checkpoints, cut at ``seconds`` (which is always one)."""
    if seconds is None:
        return [float(t) for t in default]
    cps = [float(t) for t in default if t < seconds] + [float(seconds)]
    return cps if len(cps) > 1 else [seconds / 2, float(seconds)]


def fmt_s(t: float) -> str:
    return f"{t:g}" if t == int(t) else f"{t:.1f}"


def pct(x) -> str:
    return "" if x is None else f"{100 * x:.1f}%"


def print_table(header: list[str], rows: list[list], right=None) -> None:
    """A markdown table; columns in ``right`` (default: all but the first) right-aligned."""
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in r] for r in rows]
    right = set(range(1, len(header))) if right is None else set(right)
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for k, r in enumerate(cells):
        print("| " + " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
              + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def command(args, part: str, extra: str = "") -> str:
    cmd = f"python benchmarks/bench_train.py --only {part}"
    if args.quick:
        cmd += " --quick"
    elif args.seconds is not None:
        cmd += f" --seconds {fmt_s(args.seconds)}"
    if args.data_dir_given:
        cmd += f" --data-dir {args.data_dir}"
    if args.threads != 1:
        cmd += f" --threads {args.threads}"
    if args.nice is not None:
        cmd += f" --nice {args.nice}"
    return cmd + extra


# -- three ways to train ------------------------------------------------------------------------

def bare_step_fn(s: Settings, data_dir):
    """A bare torch training step on the run's data and network (the same class, initial weights
    and batch order as Run's): (step(), net, task).  No records, no probes."""
    task = make_task(s, data_dir)
    net = task.build()
    net.train()
    opt = OPTIMIZERS[s.optimizer](net.parameters(), s.lr)
    batches = task.batches(torch.Generator().manual_seed(s.seed))
    params = list(net.parameters())
    text = s.task == "text"

    def step() -> float:
        x, y = next(batches)
        if text:
            logits, _ = net(x)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        else:
            loss = F.cross_entropy(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if s.clip:
            torch.nn.utils.clip_grad_norm_(params, s.clip)
        opt.step()
        return loss.item()
    return step, net, task


def bare_curve(settings: dict, cps: list[float], data_dir) -> dict:
    """The bare loop, evaluated at each checkpoint of its training time (evaluations not counted)."""
    s = Settings.make(**settings)
    step, net, task = bare_step_fn(s, data_dir)
    clock, steps, points = 0.0, 0, []
    for t in cps:
        t0 = time.perf_counter()
        while clock + time.perf_counter() - t0 < t:
            step()
            steps += 1
        clock += time.perf_counter() - t0
        loss, acc = task.evaluate(net)
        points.append(dict(t=t, at=clock, step=steps, val_loss=loss, val_acc=acc))
    return dict(points=points, curve=[(p["at"], p["val_acc"]) for p in points], first=None)


def run_curve(settings: dict, cps: list[float], data_dir) -> dict:
    """Run.train in this process; its clock is Run.seconds (training, records included).  Each
    checkpoint's accuracy: a fresh evaluation of the validation data (outside the clock)."""
    run = Run(**settings, data_dir=data_dir)
    points = []
    for t in cps:
        if t > run.seconds:
            run.train(seconds=t - run.seconds)
        loss, acc = run.task.evaluate(run.net)
        points.append(dict(t=t, at=run.seconds, step=run.step, val_loss=loss, val_acc=acc))
    first = next((r for r in run.records if r["val_acc"] >= SPEED_GOAL), None)
    return dict(points=points, curve=[(r["seconds"], r["val_acc"]) for r in run.records],
                loss_curve=[(r["seconds"], r["val_loss"]) for r in run.records],
                first=None if first is None else (first["seconds"], first["step"]))


class Live:
    """The live path as the app runs it: a TrainPool (one worker process, the app's priority
    unless --nice) under the Train tab's handlers; ``trace`` plays one run and reads every frame."""

    def __init__(self, data_dir, nice: int | None):
        from demo.train import TrainPool
        from demo.train import handlers
        self.handlers = handlers
        kw = {} if nice is None else {"nice": nice}
        t = time.perf_counter()
        self.pool = TrainPool(workers=1, cap_s=POOL_CAP_S, data_dir=data_dir, **kw)
        self.trainer = handlers.Trainer(make=lambda: self.pool)
        while None in self.pool.worker_pids():
            if time.perf_counter() - t > 120:
                raise RuntimeError("the training worker did not start within 120 s")
            time.sleep(0.05)
        self.start_s = time.perf_counter() - t
        self.n = 0

    def trace(self, settings: dict, seconds: float) -> dict:
        """Play ``settings`` (the page's controls for its task and cell, the rest as the run's
        settings) and read the frames for ``seconds`` of wall time from Play; then the page goes
        away (the stream is closed: the job stops).  Returns the frames' (wall s, step, training
        s, records known, the worker's CPU s) and every record."""
        from demo.train.controls import TABLE
        self.n += 1
        owner = f"bench-train-{self.n}"
        c = TABLE.check({"task": settings["task"], "cell": settings["cell"]})
        pid = self.pool.worker_pids()[0]
        t0 = time.perf_counter()
        frames = self.handlers.play(self.trainer, owner, c, lang="en", extra=settings)
        trace, session = [], None
        try:
            for _ in frames:
                wall = time.perf_counter() - t0
                session = session or self.trainer.session(owner)
                u = session.last
                trace.append((wall, u.step, u.seconds, len(session.records), cpu_s(pid)))
                if u.end is not None:
                    if u.end not in ("done", "cap"):
                        raise RuntimeError(f"the live run ended: {u.end} {u.error!r}")
                    break
                if wall >= seconds:
                    break
        finally:
            frames.close()      # the page went away: its job stops and the worker is free
        deadline = time.perf_counter() + 10
        while self.pool.running and time.perf_counter() < deadline:
            time.sleep(0.02)
        return dict(frames=trace, records=list(session.records) if session else [])

    def close(self) -> None:
        self.pool.close()


def live_curve(live: Live, settings: dict, cps: list[float]) -> dict:
    """The live path; at each checkpoint (wall s from Play), the newest record that had reached
    the page by then."""
    got = live.trace(settings, cps[-1])
    frames, records = got["frames"], got["records"]
    points = []
    for t in cps:
        known = [f for f in frames if f[0] <= t]
        if not known or not known[-1][3]:
            points.append(dict(t=t, at=None, step=None, val_loss=None, val_acc=None))
            continue
        wall, _, _, n, _ = known[-1]
        r = records[n - 1]
        points.append(dict(t=t, at=wall, step=r["step"], train_s=r["seconds"], val_loss=r["val_loss"],
                           val_acc=r["val_acc"]))
    arrival = {}                  # record index -> wall s when the page had it
    last = 0
    for wall, _, _, n, _ in frames:
        for i in range(last, n):
            arrival[i] = wall
        last = max(last, n)
    curve = [(arrival[i], r["val_acc"]) for i, r in enumerate(records) if i in arrival]
    loss_curve = [(arrival[i], r["val_loss"]) for i, r in enumerate(records) if i in arrival]
    first = next(((arrival[i], r["step"]) for i, r in enumerate(records)
                  if i in arrival and r["val_acc"] >= SPEED_GOAL), None)
    started = next((f[0] for f in frames if f[3]), None)
    return dict(points=points, curve=curve, loss_curve=loss_curve, first=first, started=started,
                rate=live_rate(frames))


def live_rate(frames) -> dict | None:
    """Steps per wall second (and per training second, and per second of the worker's CPU time)
    from the first frame past step 0 to the last."""
    moving = [f for f in frames if f[1] > 0]
    if len(moving) < 2 or moving[-1][0] <= moving[0][0]:
        return None
    (w0, s0, t0, _, c0), (w1, s1, t1, _, c1) = moving[0], moving[-1]
    return dict(wall=(s1 - s0) / (w1 - w0), train=(s1 - s0) / (t1 - t0) if t1 > t0 else None,
                cpu=(s1 - s0) / (c1 - c0) if c0 is not None and c1 is not None and c1 > c0 else None,
                steps=s1 - s0, seconds=w1 - w0)


def cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) the process ``pid`` has used, from /proc (None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def curve(path: str, settings: dict, cps: list[float], data_dir, live: Live | None) -> dict:
    if path == "bare":
        return bare_curve(settings, cps, data_dir)
    if path == "live":
        return live_curve(live, settings, cps)
    return run_curve(settings, cps, data_dir)


# -- the parts ----------------------------------------------------------------------------------------

def part_speed(args, live: Live) -> list[tuple]:
    settings = {**DIGITS, **args.digit_val}
    cps = checkpoints(CHECKPOINTS["speed"], args.seconds)
    print(f"\n## Speed of learning: the default run, {describe(settings)}")
    print(f"command: {command(args, 'speed')}")
    res = {"run": run_curve(settings, cps, args.data_dir),
           "live": live_curve(live, settings, cps),
           "bare": bare_curve(settings, cps, args.data_dir)}
    rows = []
    for k, t in enumerate(cps):
        a, b, c = (res[p]["points"][k] for p in ("run", "live", "bare"))
        rows.append([fmt_s(t), pct(a["val_acc"]), a["step"], pct(b["val_acc"]), b["step"],
                     "" if b.get("train_s") is None else f"{b['train_s']:.1f}", pct(c["val_acc"]), c["step"]])
    print_table(["s", "Run.train acc", "steps", "live acc", "steps", "live: training s", "bare loop acc", "steps"],
                rows)
    lv = res["live"]
    rate = lv["rate"]
    print(f"clocks: Run.train: its training time, records included; live: wall time from Play "
          f"(the worker was ready; the first record reached the page after {lv['started'] or 0:.2f} s), "
          f"the newest record the page had; bare: training time, evaluations not counted.")
    if rate:
        print(f"live: {rate['wall']:.1f} steps per wall second ({rate['train']:.1f} per training second)")
    for name in ("run", "live"):
        first = res[name]["first"]
        what = "Run.train" if name == "run" else "live"
        print(f"{what}: first record >= {SPEED_GOAL:.0%}: " +
              ("none" if first is None else f"step {first[1]} at {first[0]:.1f} s"))
    limit = cps[-1]
    best = max((p["val_acc"] for p in lv["points"] if p["val_acc"] is not None), default=None)
    met = lv["first"] is not None and lv["first"][0] <= 30.0
    return [("speed", f"live run >= {SPEED_GOAL:.0%} within 30 s",
             f"best {pct(best)} by {fmt_s(limit)} s" + ("" if lv["first"] is None else
                                                        f"; first at {lv['first'][0]:.1f} s"), met)]


def bare_rate(settings: dict, seconds: float, data_dir) -> tuple[float, float]:
    """The bare loop's steps per wall second and per second of this process's CPU time."""
    s = Settings.make(**settings)
    step, _, _ = bare_step_fn(s, data_dir)
    for _ in range(3):
        step()
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    return n / (time.perf_counter() - t0), n / max(time.process_time() - c0, 1e-9)


def run_rate(settings: dict, seconds: float, data_dir) -> float:
    run = Run(**settings, data_dir=data_dir)
    run.train(steps=3)
    s0, t0 = run.step, time.perf_counter()
    run.train(seconds=seconds)
    return (run.step - s0) / (time.perf_counter() - t0)


def record_costs(settings: dict, data_dir, repeats: int, sizes) -> dict:
    """Median ms of the parts of a step and a record, on the run's network after a few steps: the
    gradient reaching each step both ways (a pass of its own, unrolled or through the fused
    kernel, and measured by the training step itself: tracked_loss, whose extra is what a record
    pays), the validation at each size, and the views (the confusion matrix both ways)."""
    s = Settings.make(**settings)
    step, net, task = bare_step_fn(s, data_dir)
    for _ in range(5):
        step()
    x, y = next(task.batches(torch.Generator().manual_seed(1)))
    T, B = x.shape[1], x.shape[0]
    zero = torch.zeros(T, B, (2 if s.bidirectional else 1) * s.hidden)
    out = {"training step (bare)": median_ms(step, repeats),
           PROBE_HAND: median_ms(lambda: grad_by_step(step_gradients(net, s.task, x, y, deltas=zero)[1]), repeats)}
    if tracked_loss is not None and type(net.rnn) in FUSED:
        out[PROBE_FUSED] = median_ms(lambda: grad_by_step(step_gradients(net, s.task, x, y)[1]), repeats)
        plain = task.loss

        def backward(tracked: bool):
            net.zero_grad(set_to_none=True)
            loss, read = tracked_loss(net, s.task, x, y) if tracked else (plain(net, x, y), None)
            loss.backward()
            if read is not None:
                grad_by_step(read())
        out[PROBE_STEP] = extra_ms(lambda: backward(False), lambda: backward(True), repeats)
    for n in sizes:
        part = copy.copy(task)
        part.val_x, part.val_y = task.val_x[:n], task.val_y[:n]
        out[f"validation, {n} images"] = median_ms(lambda: part.evaluate(net), repeats)
    run = Run(**settings, data_dir=data_dir)
    run.train(steps=5)
    views = LiveViews(run)
    out["view: the example's maps (each update)"] = median_ms(views.example, repeats)
    answers, run.answers = getattr(run, "answers", None), None
    out[CONFUSION_PASS] = median_ms(views.confusion, repeats)
    if answers is not None:
        run.answers = answers
        out[CONFUSION_ANSWERS] = median_ms(views.confusion, repeats)
    return out


def round_rates(args, live: Live, settings: dict, seconds: float) -> list[dict]:
    """ROUNDS rounds of steps/s, interleaved (bare, live, bare, ..., bare): each live run against
    the mean of the bare runs either side of it, so that the machine's pace moving (other work on
    the cores) reaches both alike.  Each round: "bare" and "live" per wall second, "bare_cpu" and
    "live_cpu" per second of CPU time (the bare loop's process, the live path's worker: what
    other jobs on the machine do not move)."""
    bares, rounds = [bare_rate(settings, seconds, args.data_dir)], []
    for _ in range(1 if args.quick else ROUNDS):
        rate = live_rate(live.trace(settings, seconds + 1.0)["frames"]) or {}
        bares.append(bare_rate(settings, seconds, args.data_dir))
        (w0, c0), (w1, c1) = bares[-2], bares[-1]
        rounds.append(dict(bare=(w0 + w1) / 2, live=rate.get("wall") or 0.0, bare_cpu=(c0 + c1) / 2,
                           live_cpu=rate.get("cpu") or 0.0))
    return rounds


def part_overhead(args, live: Live) -> list[tuple]:
    settings = {**DIGITS, **args.digit_val}
    s = Settings.make(**settings)
    seconds = args.seconds or OVERHEAD_S
    val, every = s.val_size, s.record_every
    print(f"\n## Overhead: steps/s of the live path against a bare loop, {describe(settings)}, "
          f"{fmt_s(seconds)} s each, interleaved")
    print(f"command: {command(args, 'overhead')}")
    rounds = round_rates(args, live, settings, seconds)
    in_process = run_rate(settings, seconds, args.data_dir)
    mean = {k: statistics.mean(r[k] for r in rounds) for k in rounds[0]}
    rows = [[name, f"{r['bare']:.1f}", f"{r['live']:.1f}", f"{r['live'] / r['bare']:.2f}", f"{r['bare_cpu']:.1f}",
             f"{r['live_cpu']:.1f}", f"{r['live_cpu'] / r['bare_cpu']:.2f}"]
            for name, r in [*((f"round {k + 1}", r) for k, r in enumerate(rounds)), ("all rounds", mean)]]
    from demo.train.pool import NICE
    print(f"live path: record every {every} steps, {val} validation images; the worker's niceness: this "
          f"process's +{NICE if args.nice is None else args.nice} (the bare loop: this process's)")
    print_table(["", "bare steps/s (either side)", "live steps/s", "live / bare", "bare steps/CPU s",
                 "live steps/CPU s", "live / bare (CPU)"], rows)
    print(f"Run.train in this process (record every {every}): {in_process:.1f} steps/s, "
          f"{in_process / mean['bare']:.2f}x the rounds' bare mean")
    overhead_costs(args, settings, val)
    wall, cpu = mean["live"] / mean["bare"], mean["live_cpu"] / mean["bare_cpu"]
    out = [("overhead", f"live >= {RATIO_GOAL}x the bare loop's steps/s",
            f"{wall:.2f}x ({mean['live']:.0f} vs {mean['bare']:.0f}; rounds {ratios(rounds, '')})",
            wall >= RATIO_GOAL),
           ("overhead", "the same per CPU second (other jobs on the machine left out)",
            f"{cpu:.2f}x ({mean['live_cpu']:.0f} vs {mean['bare_cpu']:.0f}; rounds {ratios(rounds, '_cpu')})",
            cpu >= RATIO_GOAL)]
    if wall < RATIO_GOAL or args.variants:
        overhead_variants(args, live, settings, seconds, rounds[-1], [(20, val)] if args.quick else VARIANTS)
    return out


def ratios(rounds: list, kind: str) -> str:
    """Each round's live / bare ("" per wall second, "_cpu" per CPU second)."""
    return ", ".join(f"{r['live' + kind] / r['bare' + kind]:.2f}" for r in rounds)


def overhead_costs(args, settings: dict, val: int) -> None:
    """What a step, a record's parts and the views cost, and the live/bare ratio they predict for
    other record_every / validation sizes."""
    repeats = 5 if args.quick else 20
    sizes = (val,) if args.quick else (1000, 500, 200)
    costs = record_costs(settings, args.data_dir, repeats, sizes)
    print(f"\nwhat each part costs (median ms of {repeats}, this process):")
    print_table(["part", "ms"], [[k, f"{v:.2f}"] for k, v in costs.items()])
    step_ms = costs["training step (bare)"]
    probe = costs.get(PROBE_STEP, costs[PROBE_HAND])
    confusion = costs.get(CONFUSION_ANSWERS, costs[CONFUSION_PASS])
    views_per_s = 5 * costs["view: the example's maps (each update)"] + confusion
    every = (10, 20, 30, 40, 50)
    print(f"\npredicted live/bare from these costs: step / (step + (gradients {probe:.1f} + validation) / "
          f"record_every), less the views' ~{views_per_s / 10:.1f}% of the worker's time "
          f"({views_per_s:.0f} ms a second):")
    grid = []
    for n in sizes:
        rec = probe + costs[f"validation, {n} images"]
        grid.append([f"{n} validation images (record {rec:.0f} ms)"] +
                    [f"{step_ms / (step_ms + rec / e) * (1 - views_per_s / 1000):.2f}" for e in every])
    print_table(["", *(f"every {e}" for e in every)], grid)


def overhead_variants(args, live: Live, settings: dict, seconds: float, last: dict, variants) -> None:
    """Live runs with other record spacings or validation sizes, each followed by a bare run and
    set against the mean of the bare runs either side of it (the first: the rounds' last)."""
    print(f"\nlive runs with other record spacings / validation sizes (each {fmt_s(seconds)} s, "
          f"interleaved with bare runs):")
    rows, before = [], (last["bare"], last["bare_cpu"])
    for every_n, n in variants:
        r = live_rate(live.trace({**settings, "record_every": every_n, "val_size": n}, seconds + 1.0)["frames"]) or {}
        after = bare_rate(settings, seconds, args.data_dir)
        b, bc = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
        v, vc = r.get("wall") or 0.0, r.get("cpu") or 0.0
        rows.append([f"record every {every_n}, {n} validation images", f"{v:.1f}", f"{v / b:.2f}", f"{vc / bc:.2f}",
                     "yes" if v / b >= RATIO_GOAL else "no"])
        before = after
    print_table(["live path", "steps/s", "x bare", "x bare (CPU)", f">= {RATIO_GOAL}"], rows)
    print(f"command: {command(args, 'overhead', ' --variants')}")


def part_remember(args, live: Live | None) -> list[tuple]:
    cps = checkpoints(CHECKPOINTS["remember"], args.seconds)
    names = args.configs
    print(f"\n## Remember the digit: D = {REMEMBER['delay']}, {describe(REMEMBER)}, {fmt_s(cps[-1])} s each, "
          f"through {PATHS[args.path]}")
    extra = ("" if args.path == "run" else f" --path {args.path}") + \
        (f" --configs {','.join(names)}" if tuple(names) != DEFAULT_CONFIGS else "")
    print(f"command: {command(args, 'remember', extra)}")
    res = {}
    for name in names:
        settings = {**REMEMBER, **REMEMBER_CONFIGS[name][1], **args.digit_val}
        res[name] = curve(args.path, settings, cps, args.data_dir, live)
    header = ["s"] + [REMEMBER_CONFIGS[n][0] for n in names]
    rows = [[fmt_s(t)] + [pct(res[n]["points"][k]["val_acc"]) for n in names] for k, t in enumerate(cps)]
    rows.append(["steps"] + [res[n]["points"][-1]["step"] for n in names])
    print_table(header, rows)
    if args.plot:
        plot_remember({REMEMBER_CONFIGS[n][0]: res[n]["curve"] for n in names}, args.plot,
                      f"Remember the digit, D = {REMEMBER['delay']}: validation accuracy "
                      f"(hidden 64, Adam 0.005, batch 64; {PATHS[args.path]})")
    out = []
    if "lstm-fb2" in res:
        acc = res["lstm-fb2"]["points"][-1]["val_acc"]
        out.append(("remember", f"LSTM forget bias 2 >= {REMEMBER_GOAL:.0%} in {fmt_s(cps[-1])} s", pct(acc),
                    acc is not None and acc >= REMEMBER_GOAL))
    if "rnn" in res:
        acc = max((p["val_acc"] for p in res["rnn"]["points"] if p["val_acc"] is not None), default=None)
        out.append(("remember", f"RNN stays < {RNN_CEILING:.0%}", f"best {pct(acc)}",
                    acc is not None and acc < RNN_CEILING))
    return out


BLANK_INPUTS = {   # what the plain RNN reads in the blank rows (and the digit's rows) of "remember"
    "zero": "pixels / 255, then DigitRNN's normalisation, which reads the blank rows as 0 (the task's)",
    "pixels": "the blank rows standardised like ink: -0.424 in every pixel",
    "raw": "pixels / 255, no normalisation: 0 in the blank rows",
}
BLANK_STEPS, BLANK_EVERY, BLANK_SEEDS = 9000, 250, (0, 1)


def part_blank(args, live: Live | None) -> list[tuple]:
    """Remember the digit, D = 50, the plain RNN (tanh) in a bare loop: what it learns with each
    input of the blank rows, by steps (BLANK_STEPS, about 60 s on one quiet thread), two seeds."""
    steps = 500 if args.quick else BLANK_STEPS
    print(f"\n## Remember the digit, D = 50: the plain RNN by its blank rows' input, {describe({**REMEMBER, 'cell': 'rnn'})}, "
          f"a bare loop of {steps} steps, validation every {BLANK_EVERY}")
    print(f"command: {command(args, 'blank')}")
    rows = []
    for name in BLANK_INPUTS:
        for seed in BLANK_SEEDS:
            accs, rho = blank_run(name, seed, steps, args.data_dir)
            best = max(range(len(accs)), key=accs.__getitem__)
            over = [k * BLANK_EVERY for k, a in enumerate(accs) if a >= RNN_CEILING]
            rows.append([f"{name} (seed {seed})", pct(accs[best]), best * BLANK_EVERY,
                         f"{over[0]}-{over[-1]}" if over else "never", pct(accs[-1]), f"{rho[0]:.2f} -> {rho[1]:.2f}"])
    for name, words in BLANK_INPUTS.items():
        print(f"  {name}: {words}")
    print_table(["blank rows", "best", "at step", f"steps >= {RNN_CEILING:.0%}", "last", "W_hh radius"], rows)
    return []


def blank_run(blank: str, seed: int, steps: int, data_dir) -> tuple[list, tuple]:
    """One bare RNN run; (validation accuracy every BLANK_EVERY steps, W_hh's spectral radius at
    the start and the end)."""
    s = Settings.make(**{**REMEMBER, "cell": "rnn", "seed": seed})
    task = make_task(s, data_dir)
    net = task.build()
    opt = OPTIMIZERS[s.optimizer](net.parameters(), s.lr)
    batches = task.batches(torch.Generator().manual_seed(seed))

    def logits(x):
        xs = {"zero": net.normalise, "raw": lambda x: x,              # (B, 78, 28)
              "pixels": lambda x: (x - net.mean) / net.std}[blank](x)
        return net.head(net.rnn(xs)[0][:, -1])
    radius = lambda: float(torch.linalg.eigvals(net.rnn.weight_hh_l0.detach()).abs().max())  # noqa: E731
    rho0, accs = radius(), []
    for k in range(steps + 1):
        if k % BLANK_EVERY == 0:
            with torch.no_grad():
                accs.append(float((logits(task.val_x).argmax(1) == task.val_y).float().mean()))
        if k == steps:
            break
        x, y = next(batches)
        loss = F.cross_entropy(logits(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), s.clip)
        opt.step()
    return accs, (rho0, radius())


def part_text(args, live: Live | None) -> list[tuple]:
    cps = checkpoints(CHECKPOINTS["text"], args.seconds)
    settings = {**TEXT, **args.text_val}
    print(f"\n## Text: the default text run on Tiny Shakespeare, {describe(settings)}, through {PATHS[args.path]}")
    print(f"command: {command(args, 'text', '' if args.path == 'run' else f' --path {args.path}')}")
    res = curve(args.path, settings, cps, args.data_dir, live)
    rows = [[fmt_s(p["t"]), "" if p["val_loss"] is None else f"{p['val_loss']:.3f}", pct(p["val_acc"]), p["step"]]
            for p in res["points"]]
    print_table(["s", "validation nats/char", "next-char accuracy", "steps"], rows)
    best = min((p["val_loss"] for p in res["points"] if p["val_loss"] is not None), default=None)
    return [("text", f"validation <= {TEXT_GOAL} nats/char within {fmt_s(cps[-1])} s",
             "" if best is None else f"{best:.3f}", best is not None and best <= TEXT_GOAL)]


PATHS = {"run": "Run.train in this process", "live": "the live path (TrainPool + the tab's handlers)",
         "bare": "a bare torch loop"}


def describe(s: dict) -> str:
    cell = s.get("cell", "").upper()
    bits = [f"{cell} {s.get('layers', 1)}x{s['hidden']}" if cell else f"hidden {s['hidden']}",
            f"{OPT_NAMES[s['optimizer']]} lr {s['lr']:g}", f"batch {s['batch']}",
            f"clip {s['clip']:g}" if s.get("clip") else "no clipping"]
    if s.get("val_size"):
        bits.append(f"validation {s['val_size']}")
    return ", ".join(bits)


OPT_NAMES = {"adam": "Adam", "sgd": "SGD", "adagrad": "Adagrad"}


# -- the picture --------------------------------------------------------------------------------

COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14)]


def plot_remember(series: dict, path: Path, title: str) -> None:
    """Accuracy (%) against seconds, one line per config: matplotlib when installed, else PIL."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        _plot_pil(series, path, title)
    else:
        fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
        for i, (name, pts) in enumerate(series.items()):
            ax.plot([x for x, _ in pts], [100 * y for _, y in pts], label=name,
                    color=[c / 255 for c in COLOURS[i % len(COLOURS)]])
        ax.axhline(10, color="0.7", linestyle="--", linewidth=1, label="chance (10%)")
        ax.set(xlabel="seconds of training", ylabel="validation accuracy (%)", title=title, ylim=(0, 100))
        ax.legend(loc="center right")
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
    print(f"wrote {path}")


def _plot_pil(series: dict, path: Path, title: str) -> None:
    from PIL import Image, ImageDraw, ImageFont
    W, H = 820, 440
    left, right, top, bottom = 72, 200, 44, 52
    font = ImageFont.load_default(size=13)
    small = ImageFont.load_default(size=11)
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    x1 = max([x for pts in series.values() for x, _ in pts] + [1.0])
    sx = lambda x: left + x / x1 * (W - left - right)
    sy = lambda y: H - bottom - min(max(y, 0.0), 100.0) / 100 * (H - top - bottom)
    for yv in range(0, 101, 20):
        d.line([(left, sy(yv)), (W - right, sy(yv))], fill=(232, 232, 232))
        d.text((left - 8, sy(yv)), f"{yv}", fill=(80, 80, 80), font=small, anchor="rm")
    step = next(s for s in (1, 2, 5, 10, 15, 20, 30, 60, 120, 300) if x1 / s <= 8)
    for k in range(int(x1 // step) + 1):
        d.text((sx(k * step), H - bottom + 6), f"{k * step:g}", fill=(80, 80, 80), font=small, anchor="mt")
    chance = sy(10)
    for x in range(left, W - right, 8):
        d.line([(x, chance), (x + 4, chance)], fill=(170, 170, 170))
    d.rectangle([left, top, W - right, H - bottom], outline=(120, 120, 120))
    d.text((left, 14), title, fill="black", font=font)
    d.text(((left + W - right) / 2, H - 16), "seconds of training", fill=(50, 50, 50), font=font, anchor="mm")
    label = Image.new("RGB", (200, 18), "white")
    ImageDraw.Draw(label).text((100, 9), "validation accuracy (%)", fill=(50, 50, 50), font=font, anchor="mm")
    label = label.rotate(90, expand=True)
    img.paste(label, (10, (top + H - bottom) // 2 - 100))
    items = list(series.items()) + [("chance (10%)", None)]
    for i, (name, pts) in enumerate(items):
        c = COLOURS[i % len(COLOURS)] if pts is not None else (170, 170, 170)
        y = top + 12 + 22 * i
        d.line([(W - right + 14, y), (W - right + 38, y)], fill=c, width=3 if pts is not None else 1)
        d.text((W - right + 44, y), name, fill=(30, 30, 30), font=small, anchor="lm")
        if pts:
            d.line([(sx(x), sy(100 * v)) for x, v in pts], fill=c, width=2)
    img.save(path)


# -- main -------------------------------------------------------------------------------------------

def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--only", choices=("speed", "overhead", "remember", "text", "blank"), action="append",
                   help="run this part only (repeat for several; default: the first four; blank: the plain "
                        "RNN of remember by its blank rows' input, about 10 minutes)")
    p.add_argument("--seconds", type=float,
                   help="seconds per run in every part (default: speed 30, overhead 10, remember 60, text 60); "
                        "the checkpoints past it are left out")
    p.add_argument("--quick", action="store_true",
                   help=f"a smoke test: {QUICK_S:g} s per run, {QUICK_VAL} validation images "
                        f"({QUICK_TEXT_VAL} characters), fewer repeats; no picture unless --plot")
    p.add_argument("--data-dir", type=Path, help=f"MNIST/raw and tinyshakespeare/ (default: {DATA_DIR}; "
                   "where it is missing, the library's own: RNN_LENS_DATA or a download)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads here (the pool's worker always uses 1)")
    p.add_argument("--path", choices=("run", "live", "bare"), default="run",
                   help="how remember and text train: Run.train in this process (default), the live path, "
                        "or the bare loop")
    p.add_argument("--configs", default=",".join(DEFAULT_CONFIGS),
                   help=f"remember's runs, comma-separated, from {', '.join(REMEMBER_CONFIGS)}")
    p.add_argument("--plot", type=Path, help=f"where remember's PNG goes (default: {PLOT.relative_to(ROOT)}; "
                   "with --quick: none)")
    p.add_argument("--no-plot", action="store_true", help="draw no picture")
    p.add_argument("--variants", action="store_true",
                   help="overhead: run the live variants (rarer records, fewer validation images) even "
                        "when the defaults meet the goal")
    p.add_argument("--nice", type=int, help="the pool worker's niceness (default: the app's, demo.train.pool.NICE)")
    args = p.parse_args(argv)
    args.configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    bad = [c for c in args.configs if c not in REMEMBER_CONFIGS]
    if bad or not args.configs:
        p.error(f"--configs: unknown {', '.join(bad) or '(none given)'}; choose from {', '.join(REMEMBER_CONFIGS)}")
    if args.seconds is not None and not 0 < args.seconds <= 3600:
        p.error("--seconds must be above 0 and at most 3600")
    if args.quick and args.seconds is None:
        args.seconds = QUICK_S
    args.parts = args.only or ["speed", "overhead", "remember", "text"]
    args.data_dir_given = args.data_dir is not None
    if args.data_dir is None:
        args.data_dir = DATA_DIR if DATA_DIR.is_dir() else None
    if args.no_plot:
        args.plot = None
    elif args.plot is None and not args.quick:
        args.plot = PLOT
    args.digit_val = {"val_size": QUICK_VAL} if args.quick else {}
    args.text_val = {"val_size": QUICK_TEXT_VAL} if args.quick else {}
    return args


def main(argv=None) -> int:
    args = parse(argv)
    threads = configure_torch(args.threads)
    repeats = 5 if args.quick else 20
    ref = reference_ms(repeats)
    print(f"RNN Lens training benchmark: torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, torch threads {threads}"
          + (" (QUICK: a smoke test, not a measurement)" if args.quick else ""))
    print(f"reference: 100 matmuls 64x512 @ 512x512, one thread: {ref:.2f} ms (benchmark.py's)")
    print(f"data: {args.data_dir or 'the library default (RNN_LENS_DATA or downloaded)'}")
    if args.data_dir is None and not args.data_dir_given:
        print(f"note: {DATA_DIR} is missing", file=sys.stderr)
    live = None
    need_live = {"speed", "overhead"} & set(args.parts) or args.path == "live"
    goals = []
    try:
        if need_live:
            live = Live(args.data_dir, args.nice)
            from demo.train.pool import NICE
            print(f"training pool: 1 worker, ready in {live.start_s:.1f} s, niceness "
                  f"+{NICE if args.nice is None else args.nice}" + (" (the app's)" if args.nice is None else ""))
        parts = {"speed": part_speed, "overhead": part_overhead, "remember": part_remember, "text": part_text,
                 "blank": part_blank}
        for name in ("speed", "overhead", "remember", "text", "blank"):
            if name in args.parts:
                goals += parts[name](args, live)
    finally:
        if live is not None:
            live.close()
    after = reference_ms(repeats)
    print(f"\nreference again: {after:.2f} ms (before: {ref:.2f} ms); load average {os.getloadavg()[0]:.1f}")
    quick = " (QUICK: runs of a few seconds, so most are not met; only a smoke test)" if args.quick else ""
    print("\n## Goals" + quick)
    print_table(["part", "goal", "measured", "met"],
                [[p, g, m, "yes" if ok else "NO"] for p, g, m, ok in goals], right=())
    return 0


if __name__ == "__main__":
    sys.exit(main())
