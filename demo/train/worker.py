"""A training worker process: what ``demo.train.pool.TrainPool`` starts (one per slot), running
one job at a time, talking to the pool over two pipes.  The pool's side is demo.train.pool.

Pool -> worker (its command pipe):
    ("job", jid, spec)        run a job: spec = {"settings", "text", "state" (a Run.state() to
                              resume, or None), "mode" ("play" | "pause"), "steps" (steps to do
                              while paused), "until" (stop at this step, or None), "cap_s",
                              "memory_mb", "name" (the weights' name)}
    ("pause" | "play" | "stop" | "park" | "weights", jid, None), ("step", jid, n)
                              for the job running now (others' are ignored: they arrived late)
    None                      end the process
Worker -> pool (its result pipe):
    ("ready", None, pid)
    ("update", jid, {"state": "running" | "paused", "step", "seconds", "records", "views"})
    ("weights", jid, (state_dict, meta))                   an answer to "weights"
    ("parked", jid, {"state": Run.state(), "weights"})     the job gave its worker up
    ("ended", jid, {"end", "error", "weights"})            end: "done" (its steps), "cap",
                              "diverged", "stopped", "error" (error: an exception to show)

While a job plays, an update goes out every UPDATE_EVERY s of training (records made since the
last one, and the views due: demo.train.live), between two steps; commands are read between
every two steps, so "stop" ends a job within one training step.  The process lowers its own
priority (``nice``), uses one torch thread and ends with the server (exit_with_parent); during a
job its address space is capped (RLIMIT_AS at what it uses then plus ``memory_mb`` plus
SLACK_MB), so a run that needs more fails with "train.error.memory" instead of swapping the
machine.  Pure: no gradio.
"""
from __future__ import annotations

import math
import os
import time

UPDATE_EVERY = 0.2     # s of training between two updates while a job plays (5 a second)
PAUSED_POLL = 1.0      # s between looks at the parent while a job is paused (commands wake it)
SLACK_MB = 512         # address space allowed besides the job's budget (libraries mapped late, arenas)


def serve(commands, results, data_dir, nice: int, warm: bool) -> None:
    """The worker's main loop: say "ready", then run each job sent, until None (or the pool's
    process ends: exit_with_parent)."""
    from demo.runtime import configure_torch, exit_with_parent
    exit_with_parent()
    if nice and hasattr(os, "nice"):
        os.nice(nice)
    configure_torch(1)
    import demo.train.run  # noqa: F401 - torch and the models, before "ready"
    if warm:
        _warm(data_dir)     # before "ready": a job given to this worker starts (and stops) at once
    results.send(("ready", None, os.getpid()))
    while True:
        try:
            msg = commands.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        if msg[0] == "job":
            try:
                if _Job(commands, results, msg[1], msg[2], data_dir).run() == "quit":
                    return
            except (EOFError, OSError):   # the pool is gone (exit_with_parent ends the rest)
                return


def _warm(data_dir) -> None:
    """Make an optimiser (the first one in a process imports torch._dynamo, ~1.6 s) and read
    MNIST if it is on disk, so that a first job starts at once; never download."""
    import torch
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    from demo.train.data import MNIST_FILES, data_root, mnist_train
    raw = data_root(data_dir) / "MNIST" / "raw"
    if all((raw / f).is_file() for f in MNIST_FILES):
        try:
            mnist_train(data_dir)
        except Exception:  # noqa: BLE001 - the first job reports it
            pass


class _Job:
    """One job in the worker: its Run, its views, its mode, and the commands that steer it."""

    def __init__(self, commands, results, jid, spec: dict, data_dir):
        self.commands, self.results, self.jid, self.spec = commands, results, jid, spec
        self.data_dir = data_dir
        self.mode, self.steps = spec["mode"], int(spec.get("steps") or 0)
        self.run_ = self.views = None
        self.outcome = None        # set by a command that ends the job: "stopped", "parked", "quit"

    def run(self) -> str | None:
        """Run the job to its end; returns "quit" when the pool asked the process to end."""
        from demo.errors import UserError
        from demo.train.settings import SettingError
        old = _limit_memory(self.spec["memory_mb"])
        try:
            self._loop()
        except SettingError as e:
            self._end("error", error=("setting", e.field, str(e)[len(e.field) + 1:]))
        except UserError as e:
            self._end("error", error=e)
        except Exception as e:  # noqa: BLE001 - the job fails, the worker goes on
            self.run_ = self.views = None   # let go of what it held before saying so
            self._end("error", error=_failure(e, self.spec["memory_mb"]))
        finally:
            _restore_memory(old)
        return "quit" if self.outcome == "quit" else None

    def _loop(self) -> None:
        from demo.train.live import LiveViews
        from demo.train.run import Run
        spec = self.spec
        if spec["state"] is None:
            self.run_ = Run(**spec["settings"], data_dir=self.data_dir, text=spec["text"])
        else:
            self.run_ = Run.resume(spec["state"], self.data_dir, text=spec["text"])
        self.views, self.pace = LiveViews(self.run_), _Pace(self.run_)
        self._send_update(self.run_.train(steps=0), force=True)   # step 0's record for a new run
        while True:
            self._read_commands(block=False)
            if self.outcome:
                return
            end = self._finished()
            if end:
                self._send_update([], force=True)
                self._end(end, weights=end in ("done", "cap"))
                return
            if self.mode == "pause" and not self.steps:
                self._read_commands(block=True)
                continue
            self._train_a_while()

    def _train_a_while(self) -> None:
        """Train until the next update is due, a command arrives, the steps asked are done or
        the cap is reached; then send the update."""
        run, spec = self.run_, self.spec
        limits = [self.steps if self.mode == "pause" else None,
                  spec["until"] - run.step if spec["until"] is not None else None]
        limits = [n for n in limits if n is not None]
        self.pace.start(time.perf_counter() + UPDATE_EVERY)
        before = run.step
        left = spec["cap_s"] - run.seconds          # the cap counts training time only
        new = run.train(steps=min(limits) if limits else None, seconds=max(0.0, left) if math.isfinite(left) else None,
                        stop=lambda: self.pace.due() or self.commands.poll())
        if self.mode == "pause":
            self.steps = max(0, self.steps - (run.step - before))
        paused_now = self.mode == "pause" and not self.steps
        self._send_update(new, force=paused_now)

    def _finished(self) -> str | None:
        run, spec = self.run_, self.spec
        if run.diverged:
            return "diverged"
        if spec["until"] is not None and run.step >= spec["until"]:
            return "done"
        if run.seconds >= spec["cap_s"]:
            return "cap"
        return None

    def _read_commands(self, block: bool) -> None:
        """Every command waiting (or, with ``block``, the first within PAUSED_POLL s) applied."""
        while not self.outcome and self.commands.poll(PAUSED_POLL if block else 0):
            block = False
            try:
                msg = self.commands.recv()
            except (EOFError, OSError):
                msg = None
            if msg is None:
                self.outcome = "quit"
            elif msg[1] == self.jid:
                self._apply(msg[0], msg[2])

    def _apply(self, what: str, arg) -> None:
        if what == "stop":
            self.outcome = "stopped"
            self._end("stopped")
        elif what == "park":
            self.outcome = "parked"
            state = self.run_.state()
            self.results.send(("parked", self.jid, {"state": state, "weights": self._weights()}))
        elif what == "weights":
            self.results.send(("weights", self.jid, self._weights()))
        elif what == "pause":
            self.mode, self.steps = "pause", 0
            self._send_update([], force=True)
        elif what == "play":
            self.mode = "play"
            self._send_update([], force=False)
        elif what == "step":
            self.mode, self.steps = "pause", self.steps + int(arg)

    def _weights(self):
        return self.run_.weights(self.spec.get("name") or "trained")

    def _send_update(self, records: list, force: bool) -> None:
        run = self.run_
        state = "paused" if self.mode == "pause" and not self.steps else "running"
        self.results.send(("update", self.jid, {"state": state, "step": run.step, "seconds": run.seconds,
                                                "records": records, "views": self.views.due(force)}))

    def _end(self, end: str, error=None, weights: bool = False) -> None:
        out = {"end": end, "error": error, "weights": self._weights() if weights else None}
        self.results.send(("ended", self.jid, out))


class _Pace:
    """When to break off training for the next update: before a step that would end after the
    update is due.  It learns how long a step takes, and a step that makes a record (text: a
    record can take 4 steps' time), so that updates keep coming every ~UPDATE_EVERY s.  At least
    one step is done each time (a step longer than UPDATE_EVERY just makes updates rarer)."""

    def __init__(self, run):
        self.run = run
        self.step_s = self.record_s = 0.0     # s of the last plain step, and a record's extra
        self.deadline, self.last = 0.0, None

    def start(self, deadline: float) -> None:
        self.deadline, self.last = deadline, None

    def due(self) -> bool:
        """Called by Run.train before each step."""
        run, now = self.run, time.perf_counter()
        every = run.settings.record_every
        if self.last is not None:
            took = now - self.last[0]
            if run.step != self.last[1] and run.step % every == 0:
                self.record_s = max(0.0, took - self.step_s)
            elif run.step != self.last[1]:
                self.step_s = took
        first = self.last is None
        self.last = (now, run.step)
        if first:
            return False
        ahead = self.step_s + (self.record_s if (run.step + 1) % every == 0 else 0.0)
        return now + ahead >= self.deadline


def _failure(e: Exception, memory_mb):
    """The message for a job that failed: out of memory (a MemoryError, or torch's allocator
    refusing) or anything else, named."""
    from demo.errors import UserError
    if isinstance(e, MemoryError) or (isinstance(e, RuntimeError) and "alloc" in str(e)):
        return UserError("train.error.memory", mb=round(memory_mb or 0))
    return UserError("train.error.failed", detail=f"{type(e).__name__}: {e}"[:300])


def _vm_bytes() -> int:
    """The process's address space now (VmSize), 0 where /proc cannot tell."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(memory_mb: float | None):
    """Cap the address space at what is used now + memory_mb + SLACK_MB; returns the old limit
    (None where there is no such limit: not Linux, or no budget)."""
    try:
        import resource
    except ImportError:
        return None
    now = _vm_bytes()
    if not now or not memory_mb or not math.isfinite(memory_mb):
        return None
    old = resource.getrlimit(resource.RLIMIT_AS)
    cap = now + int((memory_mb + SLACK_MB) * 2**20)
    if old[1] != resource.RLIM_INFINITY:
        cap = min(cap, old[1])
    resource.setrlimit(resource.RLIMIT_AS, (cap, old[1]))
    return old


def _restore_memory(old) -> None:
    if old is not None:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, old)
