"""One user's training job as the server holds it (``Job``), what its page learns (``Update``),
and the answer when the line is full (``JobFull``).  The pool (demo.train.pool) moves the job;
the page asks it questions and steers it from any thread.

    job.position()             # 0: a worker holds it; n: n-th in line; None: parked or ended
    job.state                  # "waiting" | "running" | "paused" | "parked" | "ended"
    for u in job.updates(timeout=1.0):
        ...                    # Update: records since the last one, the latest views, the end
    job.pause(); job.play(); job.step(5); job.stop(); job.result()

Pure: no gradio.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from demo.errors import UserError
from demo.train.settings import SettingError
from demo.train.trained import Weights


class JobFull(UserError):
    """``max_waiting`` jobs wait already: try again in a moment."""

    def __init__(self, key: str = "train.error.busy", **fields):
        super().__init__(key, **fields)


@dataclass(frozen=True)
class Update:
    """What a job's page learns at one moment.

    state      "waiting" (in line), "running", "paused" (a worker holds it), "parked" (paused,
               its worker given to the next in line), "ended"
    position   0: a worker holds it; n: n-th in line; None: parked or ended
    step, seconds   the updates done and the seconds of training so far
    records    Run's records made since this reader's previous update (the first: all so far)
    views      the latest views (demo.train.live: "example", "confusion" or "sample",
               "cost_ms"), each with its own "step"; None when none changed since
    end        None while it goes on; then why it ended: "done" (its steps), "cap", "diverged",
               "stopped", "error", "died" (its worker stopped)
    error      with "error" and "died": the UserError / SettingError to show the user
    """
    state: str
    position: int | None
    step: int
    seconds: float
    records: list
    views: dict | None
    end: str | None = None
    error: Exception | None = None


class Job:
    """One user's training job, as the server holds it.  Every method may be called from any
    thread; none waits for the worker (but ``result``)."""

    def __init__(self, pool, jid: int, settings: dict, text, owner, until, name: str, mode: str):
        self.id, self.owner, self.settings, self.text = jid, owner, settings, text
        self.until, self.name = until, name
        self.cap_s = math.inf                      # s of training it may use (the pool sets it)
        self._pool, self._cond = pool, pool._cond
        self.mode, self.steps = mode, 0            # what the user asked: "play" | "pause"; steps to do
        self.slot = None                           # the _Slot whose worker holds it
        self.held = None                           # what that worker said last: "running" | "paused"
        self.is_parked = False                     # parked: it gave its worker up, and waits for play()
        self.saved = None                          # Run.state() it goes on from (parked before)
        self.saved_weights = None                  # (state_dict, meta) when it was parked
        self.paused_since = None
        self.parking = False
        self.records: list[dict] = []
        self.views: dict = {}
        self.at_step, self.seconds = 0, 0.0
        self.end, self.error, self.final = None, None, None
        self._answer = None                        # the weights the worker sent for result()
        self._version = self._views_version = 0

    # -- what the page asks --------------------------------------------------------------------
    def position(self) -> int | None:
        """0: a worker holds it; n: n-th in line; None: parked or ended."""
        with self._cond:
            return self._pool._position(self)

    @property
    def state(self) -> str:
        with self._cond:
            if self.end is not None:
                return "ended"
            if self.is_parked:
                return "parked"
            if self.slot is None:
                return "waiting"
            return self.held or ("paused" if self.mode == "pause" and not self.steps else "running")

    @property
    def worker_pid(self) -> int | None:
        with self._cond:
            return self.slot.pid if self.slot is not None and self.end is None else None

    def pause(self) -> None:
        self._pool._steer(self, "pause")

    def play(self) -> None:
        self._pool._steer(self, "play")

    def step(self, n: int = 1) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100_000:
            raise SettingError("steps", f"must be a whole number from 1 to 100000, got {n!r}")
        self._pool._steer(self, "step", n)

    def stop(self) -> None:
        self._pool._stop(self)

    def result(self, timeout: float = 30.0) -> Weights | None:
        """The weights now: those it ended with ("done", "cap"), those parked, or asked of the
        worker holding it (waits up to ``timeout`` s).  None for a job that never started, was
        stopped or failed."""
        return self._pool._result(self, timeout)

    def updates(self, timeout: float = 1.0):
        """Updates as they come, and one at least every ``timeout`` s; the first holds every
        record so far and the latest views.  Ends after the update that has ``end``."""
        seen_version, seen_records, seen_views = -1, 0, 0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._version != seen_version, timeout)
                views = dict(self.views) if self._views_version != seen_views and self.views else None
                u = Update(self.state, self._pool._position(self), self.at_step, self.seconds,
                           self.records[seen_records:], views, self.end, self.error)
                seen_version, seen_records, seen_views = self._version, len(self.records), self._views_version
            yield u
            if u.end is not None:
                return

    # -- what the pool tells it (under the pool's lock) ------------------------------------------
    def _changed(self) -> None:
        self._version += 1
        self._cond.notify_all()

    def _take_update(self, p: dict) -> None:
        self.records.extend(p["records"])
        self.at_step, self.seconds = p["step"], p["seconds"]
        if p["views"]:
            self.views.update(p["views"])
            self._views_version += 1
        self.held = p["state"]
        if self.held == "running":
            self.paused_since = None
        elif self.paused_since is None:
            self.paused_since = time.monotonic()
        self._changed()

    def _finish(self, end: str, error=None, weights=None) -> None:
        if self.end is None:
            self.end, self.error, self.final = end, error, weights
            self.is_parked, self.saved = False, None
            self._changed()
