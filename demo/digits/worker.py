"""The Digits tab's drawing analysis in a second process, so that under load the models and views
of every stroke run on the machine's other core instead of taking turns with the server's Python.

    worker = shared_worker(keyed_tab, weights_dir, (("compare", 3), ("panels", 4)))
    out = worker.draw(value, "lstm", ...)  # keyed_tab(...).draw's answer, keyed by output name,
                                           # or None while the worker is not ready (starts at once,
                                           # loads in a few seconds)
    out = worker.call("rest", analysis, ...)  # the same for the pen-up's second part

The server's Python runs on one core at a time (the GIL).  With 100 users, a stroke's models
and views were ~40% of the server's CPU, and each of their hundreds of small torch operations
lets go of the GIL and waits to get it back behind every other busy thread, so a pen-up took
5-10x longer than alone.  The worker holds its own copy of the tab's handlers (``DigitsTab``
without a page, its outputs named: ``demo.digits.tab.keyed_tab``, sent by name so that this
module imports no tab) and answers ``draw`` and ``rest`` with the same code, so with the same answer
(``tests/test_digits_worker.py``).  A ValueError there (a message for the user) comes back as a
ValueError.  ``None`` means: compute it here (the worker is still starting, or it died or gave
no answer within ANSWER_TIMEOUT; another is started).  Used on 2+ cores unless
RNN_LENS_DIGITS_WORKER=0.  Pure: no gradio here (the handlers import it in the worker).
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

log = logging.getLogger(__name__)

ANSWER_TIMEOUT = 30.0  # s: a drawing takes ~30 ms there; one not back by then means a stuck worker
RETRY_AFTER = 60.0     # s before trying again after a worker that could not start

_TAB = None  # the worker process's keyed DigitsTab


def use_worker() -> bool:
    """Analyse drawings in a worker process: on 2+ cores, unless RNN_LENS_DIGITS_WORKER=0."""
    return os.environ.get("RNN_LENS_DIGITS_WORKER", "1") != "0" and (os.cpu_count() or 1) >= 2


def _start(make, args: tuple) -> None:
    """In the worker: one thread for torch, and the handlers (``make(*args)``, which loads the
    models and lookups: ``demo.digits.tab.keyed_tab``)."""
    global _TAB
    from demo.runtime import configure_torch, exit_with_parent
    exit_with_parent()  # ends with the server, even a killed one
    configure_torch()
    _TAB = make(*args)


def _ready() -> bool:
    return _TAB is not None


HANDLERS = ("draw", "rest")  # the DigitsTab methods the worker answers


def _call(method: str, args: tuple, kwargs: dict) -> dict:
    return getattr(_TAB, method)(*args, **kwargs)


class DrawWorker:
    """One worker process (a ProcessPoolExecutor of one), started again if it dies or is stuck;
    one that could not start is tried again after RETRY_AFTER."""

    def __init__(self, make, *args, timeout: float = ANSWER_TIMEOUT):
        self.make, self.args = make, args  # the worker's handlers: make(*args), made in the worker
        self.timeout = timeout
        self._retry_at = 0.0  # a worker that failed to start is not started again before this
        self._lock = threading.Lock()
        self._pool = None
        self._ready = threading.Event()
        self._in_flight = 0  # calls sent and not answered yet
        self.start()

    def start(self) -> None:
        """Start the worker (returns at once; it loads the models in the background)."""
        with self._lock:
            if self._pool is not None or time.monotonic() < self._retry_at:
                return
            self._ready.clear()
            self._pool = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"),  # no fork: the server has threads
                                             initializer=_start, initargs=(self.make, self.args))
            pool = self._pool
        pool.submit(_ready).add_done_callback(lambda f: self._started(pool, f))

    def _started(self, pool, future) -> None:
        if future.cancelled():  # closed while starting
            return
        if future.exception() is None and future.result():
            self._ready.set()
        else:  # not again for a while: each drawing would otherwise start a process that fails
            log.warning("the digits worker did not start (%s): drawings are analysed in the server",
                        future.exception())
            self._retry_at = time.monotonic() + RETRY_AFTER
            self._drop(pool)

    def _drop(self, pool, kill: bool = False) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
                self._ready.clear()
        if kill:  # a stuck worker: the executor has no public way to stop a running process
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def busy(self) -> bool:
        """A call is on its way: a new one would wait for it (one process answers one at a time)."""
        return self._in_flight > 0

    def draw(self, *args, **kwargs) -> dict | None:
        """``DigitsTab.draw(*args, **kwargs)`` in the worker: its answer keyed by output name,
        or None when the worker cannot answer now (the caller computes it).  A ValueError (a
        message for the user) is raised as it is."""
        return self.call("draw", *args, **kwargs)

    def call(self, method: str, *args, **kwargs) -> dict | None:
        """``DigitsTab.<method>(*args, **kwargs)`` in the worker (``method`` one of HANDLERS), as
        ``draw``."""
        if method not in HANDLERS:
            raise ValueError(f"the worker answers {', '.join(HANDLERS)}, not {method!r}")
        with self._lock:
            pool = self._pool if self._ready.is_set() else None
        if pool is None:
            self.start()
            return None
        with self._lock:
            self._in_flight += 1
        try:
            return self._answer(pool, method, args, kwargs)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, pool, method: str, args: tuple, kwargs: dict) -> dict | None:
        try:
            future = pool.submit(_call, method, args, kwargs)
        except RuntimeError:  # shut down (or broken) since: start another
            self._drop(pool)
            self.start()
            return None
        try:
            return future.result(self.timeout)
        except (BrokenProcessPool, TimeoutError) as e:  # it died or is stuck (futures raise the builtin one)
            log.warning("the digits worker %s; starting another",
                        f"gave no answer in {self.timeout:g} s" if isinstance(e, TimeoutError) else f"stopped ({e})")
            self._drop(pool, kill=isinstance(e, TimeoutError))
            self.start()
            return None

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            self._ready.clear()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


_shared: dict[tuple, DrawWorker] = {}
_shared_lock = threading.Lock()


def shared_worker(make, *args) -> DrawWorker:
    """The process's DrawWorker for ``make(*args)`` (one worker per distinct arguments, however
    many apps are built: the tests build many).  ``make`` must be importable (it is sent by name)
    and the arguments hashable."""
    key = (make, args)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = DrawWorker(make, *args)
        return _shared[key]
