"""Training for many users on one machine: ``TrainPool`` runs each user's training job in one of a
few worker processes (demo.train.worker), never in the server's, and the others wait in line.

    pool = TrainPool()                      # max(1, cores - 1) workers, 120 s per job, 16 may wait
    job = pool.submit({"task": "remember", "delay": 50, "forget_bias": 2.0}, owner="page-id")
    job.position()                          # 0: it has a worker; n: n-th in line; None: parked or ended
    for u in job.updates(timeout=1.0):      # 5 a second while it trains, one at least every second
        u.state, u.position, u.step         # "waiting" | "running" | "paused" | "parked" | "ended"
        u.records                           # Run's records made since the previous update
        u.views                             # the latest views (demo.train.live), when they changed
        if u.end:                           # the last update: "done", "cap", "diverged", "stopped",
            u.error                         # "error", "died"; a UserError / SettingError to show
    job.pause(); job.play(); job.step(5); job.stop()
    weights = job.result()                  # demo.train.trained.Weights (.model(), .save()), or None
    pool.cancel_owner("page-id")            # the page went away: its jobs stop
    pool.close()

The rules:
- ``workers`` processes (None: max(1, os.cpu_count() - 1), so one core stays with the server),
  spawned, one torch thread each, at a lower priority (``nice``) than the server and the digits
  worker: a person waiting for a label goes first.  Each runs one job at a time.
- The line: first come first.  ``submit`` checks the settings at once (SettingError, naming the
  field) and the memory the run would need (UserError "train.error.too_big" beyond
  ``memory_mb``); with ``max_waiting`` jobs already waiting it raises JobFull
  ("train.error.busy").
- A job trains for at most ``cap_s`` seconds of training (pauses and views not counted), then
  ends ("cap") with its weights.  ``steps`` (optional) ends it at that step ("done").  In
  memory, each job is capped twice: by the estimate above, and in the worker by RLIMIT_AS
  (its address space may grow by ``memory_mb`` + worker.SLACK_MB during the job; past that the
  job ends with "train.error.memory" and the worker goes on).
- Play / Pause / Step as in TensorFlow Playground: pause() stops at the next step, step(n) does
  n steps and pauses, play() goes on; Reset is stop() and a new submit.  A paused job keeps its
  worker (its network and optimiser in memory, so Play goes on at once) while no one waits; once
  someone does and it has been paused ``hold_s`` seconds, it is parked: its state (Run.state())
  comes back here, the worker takes the next in line, and play() or step() puts the job at the
  end of the line, to go on exactly where it was (Run.resume).
- stop(), or cancel_owner(owner) for every job of a page that went away, ends the job at once
  (its last update says "stopped"); the worker leaves it at the next step boundary and takes
  the next in line.  A worker that has not let go within STOP_GRACE_S is killed and replaced.
- A worker that dies (killed, crashed) ends its job with "train.error.worker_died"; a fresh
  worker starts in its slot (a few seconds: torch loads) and the line moves on.
- The records a job makes equal those of Run(**settings).train(steps=...) in this process, all
  but "seconds", whatever the pauses, steps, parking and update timing.

Pure: no gradio.  Spawned workers import this package again, so a script that makes a pool
needs the usual ``if __name__ == "__main__":`` guard.
"""
from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import queue
import threading
import time

from demo.errors import UserError
from demo.train.data import check_text
from demo.train.settings import SettingError, Settings
from demo.train.job import Job, JobFull, Update  # noqa: F401 - Update: the pool's API
from demo.train.trained import Weights
from demo.train.worker import serve

CAP_S = 120.0          # s of training per job (a flag raises it for a local install)
MAX_WAITING = 16       # jobs that may wait in line; one more is refused (JobFull)
MEMORY_MB = 1024       # what one job may use, estimated at submit and enforced in the worker
HOLD_S = 30.0          # s a paused job keeps its worker while someone waits
STOP_GRACE_S = 0.8     # s a stopped job's worker has to let go before it is killed
# The workers' niceness (Unix, 19 = lowest), the text writer's: when the cores are all busy, the
# server and the digits worker (a person waiting for a pen-up's label) go first; training, like
# writing, is work a person watches for seconds.  An idle machine trains as fast.
NICE = 19
WATCH_EVERY = 0.1      # s between the watchdog's rounds (kills, parking, restarts)
RETRY_MAX_S = 30.0     # longest wait before starting again a worker that died while starting
SHAKESPEARE_VOCAB = 65
# floats kept per example, time step, layer, direction and hidden unit while training (gates and
# states for backward, the hand-written cells' unrolled gradient probe, their gradients).  Peak
# memory of the first steps and a record, measured (MB): digits H256 B256 195 (estimate 231);
# remember D100 bidirectional H128 B128 570 (638); text H512 B64 bptt 256 795 (1002); text
# 2x256 B128 bptt 128 494 (986); remember D50 2x512 B256 1178 (2241); text GRU 128 B256 bptt 256 552 (886)
FLOATS_PER_UNIT_STEP = 24


def estimate_mb(s: Settings, vocab: int = SHAKESPEARE_VOCAB) -> float:
    """The memory a run of these settings needs while training, in MB (an upper estimate)."""
    D = 2 if s.bidirectional else 1
    if s.task == "text":
        T, out = s.bptt, 4 * vocab                         # logits, softmax and their gradients
        evaluate = -(-s.val_size // 512) * 576 * (s.layers * s.hidden * 8 + 2 * vocab)  # score_text's chunks
    else:
        T, out = 28 + s.delay, 0
        evaluate = min(s.val_size, 1000) * T * D * s.hidden * 2      # EVAL_BATCH images, outputs
    train = s.batch * T * (s.layers * D * s.hidden * FLOATS_PER_UNIT_STEP + out)
    params = 4 * (s.layers * D * s.hidden * (s.hidden + max(s.hidden, vocab)) * 4)  # weights, grads, 2 moments
    return 4 * (train + evaluate + params) / 2**20


class _Slot:
    """One worker process and its two threads (one reads its messages, one sends it commands)."""

    def __init__(self, index: int):
        self.index = index
        self.proc = self.outbox = self.pid = None
        self.ready, self.job, self.generation = False, None, 0
        self.stop_deadline = None      # when a stopped job's worker must have let go
        self.fails, self.retry_at = 0, 0.0

    def send(self, msg) -> None:
        if self.outbox is not None:
            self.outbox.put(msg)


_CLOSE = object()


class TrainPool:
    """See the module's docstring.  ``data_dir``: where MNIST and Tiny Shakespeare are
    (demo.train.data); ``warm``: workers read MNIST when they start, if it is on disk."""

    def __init__(self, workers: int | None = None, cap_s: float = CAP_S, max_waiting: int = MAX_WAITING,
                 data_dir=None, memory_mb: float = MEMORY_MB, hold_s: float = HOLD_S, nice: int = NICE,
                 warm: bool = True):
        self.workers = max(1, (os.cpu_count() or 2) - 1) if workers is None else int(workers)
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers!r}")
        self.cap_s, self.max_waiting, self.memory_mb = float(cap_s), int(max_waiting), float(memory_mb)
        self.hold_s, self.nice, self.warm = float(hold_s), int(nice), bool(warm)
        self.data_dir = str(data_dir) if data_dir is not None else None
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._ids = itertools.count(1)
        self._line: list[Job] = []
        self._jobs: dict[int, Job] = {}         # every job not ended
        self._slots = [_Slot(i) for i in range(self.workers)]
        self._closed = False
        for slot in self._slots:
            self._start(slot)
        threading.Thread(target=self._watch, daemon=True, name="train-pool-watch").start()

    # -- the public side ---------------------------------------------------------------------------
    def submit(self, settings: dict, owner=None, *, text=None, steps: int | None = None, paused: bool = False,
               name: str = "trained", cap_s: float | None = None) -> Job:
        """A new job in line (see the module's docstring).  ``text``: the text task's corpus (None:
        Tiny Shakespeare); ``steps``: end at that step; ``paused``: start paused (step 0 shown);
        ``name``: the weights' name; ``cap_s``: a shorter cap than the pool's (never a longer one)."""
        if not isinstance(settings, dict):
            raise SettingError("settings", f"must be a dict of Run's arguments, got {type(settings).__name__}")
        s = Settings.make(**settings)
        vocab = SHAKESPEARE_VOCAB
        if text is not None:
            if s.task != "text":
                raise SettingError("text", f"is for the text task, not {s.task!r}")
            text = check_text(text)
            vocab = len(set(text))
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 0):
            raise SettingError("steps", f"must be a whole number from 0, got {steps!r}")
        need = estimate_mb(s, vocab)
        if need > self.memory_mb:
            raise UserError("train.error.too_big", need=round(need), limit=round(self.memory_mb))
        with self._lock:
            if self._closed:
                raise RuntimeError("the training pool is closed")
            job = Job(self, next(self._ids), s.as_dict(), text, owner, steps, name, "pause" if paused else "play")
            job.cap_s = self.cap_s if cap_s is None else min(self.cap_s, float(cap_s))
            self._line.append(job)
            self._schedule()
            if job in self._line and len(self._line) > self.max_waiting:
                self._line.remove(job)
                raise JobFull()
            self._jobs[job.id] = job
            return job

    def cancel_owner(self, owner) -> int:
        """Stop every job of ``owner`` (its page went away); returns how many."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.owner == owner]
        for job in jobs:
            self._stop(job)
        return len(jobs)

    @property
    def waiting(self) -> int:
        """Jobs in line."""
        with self._lock:
            return len(self._line)

    @property
    def running(self) -> int:
        """Workers holding a job (running or paused, or letting go of a stopped one)."""
        with self._lock:
            return sum(s.job is not None for s in self._slots)

    def worker_pids(self) -> list[int | None]:
        with self._lock:
            return [s.pid if s.ready else None for s in self._slots]

    def close(self) -> None:
        """Stop every job and end the workers."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for job in list(self._jobs.values()):
                job._finish("stopped")
            self._jobs.clear()
            self._line.clear()
            procs = [(s, s.proc) for s in self._slots if s.proc is not None]
            for slot, _ in procs:
                slot.send(None)
                slot.send(_CLOSE)
        for _, proc in procs:
            proc.join(2)
            if proc.is_alive():
                proc.kill()
                proc.join(1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- jobs (under the lock) -----------------------------------------------------------------
    def _position(self, job: Job) -> int | None:
        if job.end is not None or job.is_parked:
            return None
        if job.slot is not None:
            return 0
        return self._line.index(job) + 1 if job in self._line else None

    def _steer(self, job: Job, what: str, n: int = 0) -> None:
        with self._lock:
            if job.end is not None:
                return
            if what == "play":
                job.mode, job.held, job.paused_since = "play", job.held and "running", None
            elif what == "pause":
                job.mode, job.steps = "pause", 0
            else:
                job.mode, job.steps = "pause", job.steps + n
            if job.slot is not None:
                job.slot.send((what, job.id, n if what == "step" else None))
                job.steps = 0
            elif job.is_parked and (job.mode == "play" or job.steps):
                job.is_parked, job.held = False, None
                self._line.append(job)           # at the end of the line, as a newcomer
                self._schedule()
            job._changed()

    def _stop(self, job: Job) -> None:
        with self._lock:
            if job.end is not None:
                return
            if job in self._line:
                self._line.remove(job)
                self._line_changed()
            if job.slot is not None:
                job.slot.send(("stop", job.id, None))
                job.slot.stop_deadline = time.monotonic() + STOP_GRACE_S
            self._jobs.pop(job.id, None)
            job._finish("stopped")

    def _result(self, job: Job, timeout: float) -> Weights | None:
        with self._lock:
            if job.end is not None or job.slot is None:
                w = job.final if job.end is not None else job.saved_weights
                return Weights(job.settings, *w) if w is not None else None
            job._answer = None
            job.slot.send(("weights", job.id, None))
            self._cond.wait_for(lambda: job._answer is not None or job.slot is None or job.end is not None, timeout)
            w = job._answer or (job.final if job.end is not None else None)
            return Weights(job.settings, *w) if w is not None else None

    def _schedule(self) -> None:
        """Give every idle worker the first job in line."""
        moved = False
        for slot in self._slots:
            if not self._line:
                break
            if not slot.ready or slot.job is not None:
                continue
            job = self._line.pop(0)
            slot.job, job.slot = job, slot
            spec = {"settings": job.settings, "text": job.text, "mode": job.mode, "steps": job.steps,
                    "until": job.until, "cap_s": job.cap_s, "memory_mb": self.memory_mb, "name": job.name,
                    "state": job.saved}
            job.steps, job.saved, job.parking, job.held = 0, None, False, None
            slot.send(("job", job.id, spec))
            job._changed()
            moved = True
        if moved:
            self._line_changed()

    def _line_changed(self) -> None:
        for job in self._line:
            job._changed()

    # -- workers -------------------------------------------------------------------------------------
    def _start(self, slot: _Slot) -> None:
        """Start the slot's worker (it says "ready" once torch is loaded; jobs wait until then)."""
        ctx = mp.get_context("spawn")  # no fork: the server has threads
        cmd_r, cmd_w = ctx.Pipe(duplex=False)
        res_r, res_w = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=serve, args=(cmd_r, res_w, self.data_dir, self.nice, self.warm),
                           daemon=True, name=f"rnn-lens-train-{slot.index}")
        proc.start()
        cmd_r.close()
        res_w.close()   # the worker holds the only writer: its death reads as end-of-file here
        with self._lock:
            if self._closed:      # closed while it started
                proc.kill()
                cmd_w.close()
                res_r.close()
                return
            slot.generation += 1
            slot.proc, slot.pid, slot.ready, slot.job = proc, proc.pid, False, None
            slot.outbox = outbox = queue.SimpleQueue()
            gen = slot.generation
        threading.Thread(target=_send_loop, args=(cmd_w, outbox), daemon=True,
                         name=f"train-pool-send-{slot.index}").start()
        threading.Thread(target=self._read_loop, args=(slot, gen, proc, res_r), daemon=True,
                         name=f"train-pool-read-{slot.index}").start()

    def _read_loop(self, slot: _Slot, gen: int, proc, conn) -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                break
            except Exception:  # noqa: BLE001 - a message that cannot be read: treat the worker as lost
                proc.kill()
                break
            with self._lock:
                if slot.generation != gen:
                    return
                self._receive(slot, msg)
        proc.join(5)
        self._died(slot, gen)

    def _receive(self, slot: _Slot, msg) -> None:
        kind, jid, payload = msg
        if kind == "ready":
            slot.ready, slot.pid, slot.fails = True, payload, 0
            self._schedule()
            return
        job = slot.job
        if job is None or job.id != jid:
            return                  # a job this worker has left already
        if kind == "update" and job.end is None:
            job._take_update(payload)
        elif kind == "weights":
            job._answer = payload
            job._changed()
        elif kind in ("parked", "ended"):
            slot.job, slot.stop_deadline = None, None
            job.slot = None
            if kind == "parked":
                self._parked(job, payload)
            else:
                self._jobs.pop(job.id, None)
                job._finish(payload["end"], _error(payload["error"]), payload["weights"])
            self._schedule()

    def _parked(self, job: Job, payload: dict) -> None:
        job.saved, job.saved_weights, job.parking = payload["state"], payload["weights"], False
        if job.end is not None:
            return
        if job.mode == "play" or job.steps:      # play() came while it was being parked
            self._line.append(job)
        else:
            job.is_parked = True
        job._changed()

    def _died(self, slot: _Slot, gen: int) -> None:
        with self._lock:
            if slot.generation != gen:
                return
            job, was_ready = slot.job, slot.ready
            slot.send(_CLOSE)
            slot.proc, slot.outbox, slot.job, slot.ready, slot.stop_deadline = None, None, None, False, None
            slot.generation += 1
            if job is not None:
                job.slot = None
                self._jobs.pop(job.id, None)
                job._finish("died", UserError("train.error.worker_died"))
            slot.fails = 0 if was_ready else slot.fails + 1
            slot.retry_at = time.monotonic() + (min(RETRY_MAX_S, 2.0 ** slot.fails) if slot.fails else 0.0)

    def _watch(self) -> None:
        """Every WATCH_EVERY s: start the workers that are gone, kill those that kept a stopped
        job past STOP_GRACE_S, park the jobs paused too long while others wait."""
        while True:
            time.sleep(WATCH_EVERY)
            start = []
            with self._lock:
                if self._closed:
                    return
                now = time.monotonic()
                for slot in self._slots:
                    if slot.proc is None and now >= slot.retry_at:
                        slot.proc = "starting"           # _start puts the process there
                        start.append(slot)
                    elif slot.stop_deadline is not None and now > slot.stop_deadline:
                        slot.stop_deadline = None
                        slot.proc.kill()         # the reader sees it end and starts another
                    job = slot.job
                    if (job is not None and job.end is None and not job.parking and self._line
                            and job.held == "paused" and job.paused_since is not None
                            and now - job.paused_since >= self.hold_s):
                        job.parking = True
                        slot.send(("park", job.id, None))
            for slot in start:
                try:
                    self._start(slot)
                except OSError:   # no process could start (too many, no memory): later
                    with self._lock:
                        slot.proc, slot.fails = None, slot.fails + 1
                        slot.retry_at = time.monotonic() + min(RETRY_MAX_S, 2.0 ** slot.fails)


def _send_loop(conn, outbox) -> None:
    """The commands of one worker, in order, from a thread of their own (a worker busy reading
    a big message never holds up the pool's lock)."""
    while True:
        msg = outbox.get()
        if msg is _CLOSE:
            break
        try:
            conn.send(msg)
        except (OSError, ValueError):   # the worker is gone: its reader says so
            break
    conn.close()


def _error(error):
    """The worker's error as the exception to show (a SettingError crosses as its field and words)."""
    if isinstance(error, tuple) and error and error[0] == "setting":
        return SettingError(error[1], error[2])
    return error
