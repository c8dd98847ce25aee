"""The Digits tab's drawing analysis in a second process, so that under load the models and views
of every stroke run on the machine's other core instead of taking turns with the server's Python.

    worker = shared_worker(worker_lab, weights_dir)   # demo.digits.handlers.worker_lab
    out = worker.call("first", value, controls, before, picture, "en")
    # demo.digits.drawing.first(lab, value, ...)'s answer ({output name: value}), or None while
    # the worker is not ready (it starts at once and loads in a few seconds)

The server's Python runs on one core at a time (the GIL).  With 100 users, a stroke's models
and views were ~40% of the server's CPU, and each of their hundreds of small torch operations
lets go of the GIL and waits to get it back behind every other busy thread, so a pen-up took
5-10x longer than alone.  The worker makes its own ``Lab`` (``make(*args)``, sent by name) and
answers WORK by calling the functions of that name in ``demo.digits.drawing`` directly, the
same code as the server's, so with the same answer (``tests/test_digits_worker.py``).  A
UserError there (a message for the user) comes back as it is.  ``None`` means: compute it here
(the worker is still starting, or it died or gave no answer within ANSWER_TIMEOUT; another is
started).  The calls waiting for it are bounded: beyond ``max_waiting``, ``call`` raises
``WorkerBusy`` ("busy, try again") at once.  Used on 2+ cores unless RNN_LENS_DIGITS_WORKER=0.
Pure: no gradio here.
"""
from __future__ import annotations

import importlib
import logging
import multiprocessing as mp
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from demo.errors import UserError

log = logging.getLogger(__name__)

ANSWER_TIMEOUT = 30.0  # s: a drawing takes ~30 ms there; one not back by then means a stuck worker
RETRY_AFTER = 60.0     # s before trying again after a worker that could not start
# Calls sent and not answered: the pad's lanes send at most 1 preview + PEN_UPS_AT_ONCE pen-ups
# (demo.digits.events), so this is only reached if something else floods the worker.
MAX_WAITING = 8
WORK = ("drawing", "first", "rest")    # what the worker computes: demo.digits.drawing's functions
HANDLERS = "demo.digits.drawing"       # the module they live in

# A model a page opened in the lens (demo.lens_models) comes with each call as a LensRef: named
# only (``light``), then, when the worker does not hold it (new, dropped, a new worker), whole.
NEED_MODEL = "rnn-lens: the worker does not hold this model"   # the worker's answer then
MAX_OWN = 4       # models opened in the lens the worker keeps built (each with its own Lab)

_LAB = None       # the worker process's Lab
_MODULE = None    # ... and the module of its handlers
_OWN: "OrderedDict[tuple, object]" = OrderedDict()   # LensRef.key -> _LAB.with_own(it), newest last


class WorkerBusy(UserError):
    """The worker has ``max_waiting`` calls waiting: try again in a moment."""

    def __init__(self, key: str = "digits.error.worker_busy", **fields):
        super().__init__(key, **fields)


def use_worker() -> bool:
    """Analyse drawings in a worker process: on 2+ cores, unless RNN_LENS_DIGITS_WORKER=0."""
    return os.environ.get("RNN_LENS_DIGITS_WORKER", "1") != "0" and (os.cpu_count() or 1) >= 2


def _start(make, args: tuple, module: str) -> None:
    """In the worker: one thread for torch, the handlers' module, and the Lab (``make(*args)``,
    which loads the models and lookups)."""
    global _LAB, _MODULE
    from demo.runtime import configure_torch, exit_with_parent
    exit_with_parent()  # ends with the server, even a killed one
    configure_torch()
    _MODULE = importlib.import_module(module)
    _LAB = make(*args)


def _ready() -> bool:
    return _LAB is not None


def _lab_for(own):
    """The Lab a call with ``own`` (a LensRef, or None) runs on; None when ``own`` only names a
    model this worker does not hold."""
    if own is None:
        return _LAB
    lab = _OWN.get(own.key)
    if lab is not None:
        _OWN.move_to_end(own.key)
    elif own.net is not None:
        lab = _OWN[own.key] = _LAB.with_own(own)
        while len(_OWN) > MAX_OWN:
            _OWN.popitem(last=False)
    return lab


def _call(name: str, args: tuple, kwargs: dict, own=None) -> dict | str:
    lab = _lab_for(own)
    return NEED_MODEL if lab is None else getattr(_MODULE, name)(lab, *args, **kwargs)


class DrawWorker:
    """One worker process (a ProcessPoolExecutor of one), started again if it dies or is stuck;
    one that could not start is tried again after RETRY_AFTER.  ``module``: where the WORK
    functions are (the tests give their own)."""

    def __init__(self, make, *args, module: str = HANDLERS, timeout: float = ANSWER_TIMEOUT,
                 max_waiting: int = MAX_WAITING):
        self.make, self.args, self.module = make, args, module  # the worker's Lab: make(*args), made there
        self.timeout, self.max_waiting = timeout, max_waiting
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
                                             initializer=_start, initargs=(self.make, self.args, self.module))
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

    def call(self, name: str, *args, own=None, **kwargs) -> dict | None:
        """``<module>.<name>(lab, *args, **kwargs)`` in the worker (``name`` one of WORK): its
        answer, or None when the worker cannot answer now (the caller computes it).  A UserError
        (a message for the user) is raised as it is; WorkerBusy when ``max_waiting`` calls wait.
        ``own``: the model the page opened in the lens (a LensRef), which ``lab`` then has too."""
        if name not in WORK:
            raise ValueError(f"the worker answers {', '.join(WORK)}, not {name!r}")
        with self._lock:
            pool = self._pool if self._ready.is_set() else None
            if pool is not None:
                if self._in_flight >= self.max_waiting:
                    raise WorkerBusy()
                self._in_flight += 1
        if pool is None:
            self.start()
            return None
        try:
            out = self._answer(pool, name, args, kwargs, own.light() if own is not None else None)
            if out == NEED_MODEL:   # named only, and not held there: once more, whole
                out = self._answer(pool, name, args, kwargs, own)
            return None if out == NEED_MODEL else out
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, pool, name: str, args: tuple, kwargs: dict, own=None) -> dict | str | None:
        try:
            future = pool.submit(_call, name, args, kwargs, own)
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
