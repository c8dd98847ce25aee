"""Text generation in a second process, so that on a busy server sampling runs on its own core.

The app's Python runs on one core at a time (the GIL): with a hundred users, sampling text and
every other request took turns on it while the machine's second core idled.  A ``Writer`` keeps
one worker process with the character models loaded and streams what it writes back.

    writer = shared_writer(weights_dir)              # one per weights folder and process
    for text in writer.stream("lstm", "ROMEO:", 200, 0.8, 0, 7):
        ...                                           # the text so far, every ~50 ms; the last is all
    writer.close()

The worker writes every text it has been asked for at once, one character each per round, in
one batched step per model (``demo.text.sampler.BatchStepper``), with ``CharModel.sampling``:
the same code as ``CharModel.stream``, so the same seed gives the same text as in this process.
It loads and warms its models (one tiny text each) before it says "ready",
so the first request is as fast as the next.  A ValueError there (a bad argument) comes back as
the same ValueError here (a UserError keeps its key).  Closing a stream before its end (Stop, a
client gone) cancels its text in the worker at once; at most SLOTS texts are written and
MAX_WAITING wait, and a request beyond is answered "busy" (``UserError("text.error.busy")``).
If the worker cannot start or dies, ``stream`` raises ``WriterUnavailable`` before yielding
anything, and the caller writes in its own process (``demo.text.handlers.generate`` does); the
next call starts a new worker.  Pure: no gradio.
"""
from __future__ import annotations

import collections
import itertools
import multiprocessing as mp
import os
import queue
import threading
import time
from pathlib import Path

from demo.errors import UserError

EVERY = 0.05          # s between partial texts
START_TIMEOUT = 120   # s to import torch and load the models in the worker
IDLE_POLL = 1.0       # s between liveness checks while waiting for the worker
# The worker's scheduling priority (Unix niceness, 19 = lowest): when the cores are all busy, the
# server and the Digits worker (a person waiting for a pen-up's label, a classification) go
# first, and text is written with what is left.  A text's 200 characters take ~3 s under load, a
# third of their goal; a crowd's first pen-ups waited for the writer's batches.  With 100 users
# arriving at once (benchmarks/load_test.py) the final label's p95 was 3.9 s at 0, 2.2 s at 10
# and 1.8 s at 19; the texts' p95 did not change (3.0-3.3 s).  An idle machine writes as fast.
NICE = 19


def texts_so_far(steps, every: float = EVERY):
    """A character stream (``CharModel.stream``'s Steps) -> (text so far, done): the first
    character at once, then at most every `every` seconds, and the whole text last (done=True).
    The time is counted from resuming, so the consumer's own time per text is not the writer's."""
    chars, last = [], 0.0
    for step in steps:
        chars.append(step.char)
        if time.perf_counter() - last >= every:
            yield "".join(chars), False
            last = time.perf_counter()
    yield "".join(chars), True


class WriterUnavailable(RuntimeError):
    """The worker process could not start or has died."""


SLOTS = 64           # texts the worker writes at once (more wait for a free slot)
# Requests that may wait for a slot; one more is answered "busy" at once.  The app's writer lane
# lets 8 streams in at a time (demo.ui_common.WRITER) and a stopped one cancels its text, so
# only another client of the same worker (or a bug) can fill this.
MAX_WAITING = 4 * SLOTS


class _Text:
    """One request in the worker: its sampling, its slot, and what has been sent."""

    def __init__(self, rid, name, sampling, slot):
        self.rid, self.name, self.sampling, self.slot = rid, name, sampling, slot
        self.chars: list[str] = []
        self.last = 0.0


def _warm(model, stepper) -> None:
    """One tiny text through the batched step, so that the first request does not pay torch's
    first-call costs."""
    seed = model.vocab.chars[-1]
    sampling = model.sampling(seed, 4, 1.0, None, 0, n_top=0)
    slot = stepper.open(sampling.edit)
    try:
        while sampling.feed is not None:
            sampling.take(stepper.step([slot], [sampling.feed])[0])
    finally:
        stepper.close(slot)


def _load(weights_dir, names, slots: int):
    """The worker's models and their batched steppers, each warmed up."""
    from demo.text.model import load_char_model
    from demo.text.sampler import BatchStepper
    models, steppers = {}, {}
    for name in names:
        try:
            models[name] = m = load_char_model(name, weights_dir)
            steppers[name] = BatchStepper(m, slots=slots)
            _warm(m, steppers[name])
        except Exception:  # noqa: BLE001 - a model that does not load is refused per request
            models.pop(name, None)
            steppers.pop(name, None)
    return models, steppers


class _Worker:
    """The worker's state: the requests waiting for a slot (at most ``max_waiting``) and the
    texts being written, which advance together, one character each per round: one batched step
    per model (demo.text.sampler.BatchStepper reads the weights once for all of them), and each
    text is the one CharModel.stream writes alone."""

    def __init__(self, models, steppers, results, max_waiting: int):
        self.models, self.steppers, self.results = models, steppers, results
        self.max_waiting = max_waiting
        self.waiting: list = []        # (rid, name, args), first come first
        self.active: list[_Text] = []

    def receive(self, msg) -> None:
        """("write", rid, name, args): queued, then started if a slot is free, else "busy" when
        the waiting list is full.  ("cancel", rid): dropped wherever it is, and acknowledged."""
        if msg[0] == "cancel":
            rid = msg[1]
            self.waiting = [w for w in self.waiting if w[0] != rid]
            for a in [a for a in self.active if a.rid == rid]:
                self.steppers[a.name].close(a.slot)
                self.active.remove(a)
            self.results.put((rid, "cancelled", None))
            return
        self.waiting.append(msg[1:])
        self.admit()
        if len(self.waiting) > self.max_waiting:   # the newest did not get a slot: no room
            self.results.put((self.waiting.pop()[0], "busy", None))

    def admit(self) -> None:
        """Start the waiting requests, first come first, while their model has a free slot."""
        while self.waiting:
            rid, name, args = self.waiting[0]
            stepper = self.steppers.get(name)
            if stepper is not None and not stepper.free:
                break
            self.waiting.pop(0)
            try:
                if name not in self.models:
                    raise UserError("text.error.no_model", name=str(name)[:40], names=", ".join(self.models))
                sampling = self.models[name].sampling(*args, n_top=0)
                self.active.append(_Text(rid, name, sampling, stepper.open(sampling.edit)))
            except ValueError as e:   # a bad argument: the exception itself (a UserError keeps its key)
                self.results.put((rid, "error", e))
            except Exception as e:  # noqa: BLE001 - reported to the caller, the worker keeps serving
                self.results.put((rid, "fail", f"{type(e).__name__}: {e}"))

    def round(self) -> None:
        """One character more of every text being written; partial texts every EVERY s, less
        often with more texts (the server sends each one on: at most 1 / EVERY a second in all)."""
        every = EVERY * max(1, len(self.active))
        for name, stepper in self.steppers.items():
            group = [a for a in self.active if a.name == name]
            if not group:
                continue
            try:
                logits = stepper.step([a.slot for a in group], [a.sampling.feed for a in group])  # (n, V)
                for a, row in zip(group, logits):
                    step = a.sampling.take(row)
                    if step is None:
                        continue
                    a.chars.append(step.char)
                    if a.sampling.feed is None:
                        self.results.put((a.rid, "done", "".join(a.chars)))
                    elif time.perf_counter() - a.last >= every:
                        self.results.put((a.rid, "part", "".join(a.chars)))
                        a.last = time.perf_counter()
            except Exception as e:  # noqa: BLE001 - these texts fail, the worker keeps serving
                for a in group:
                    a.sampling.feed = None
                    self.results.put((a.rid, "fail", f"{type(e).__name__}: {e}"))
            for a in group:
                if a.sampling.feed is None:
                    stepper.close(a.slot)
                    self.active.remove(a)


def _serve(requests, results, weights_dir, names, slots: int = SLOTS, max_waiting: int = MAX_WAITING) -> None:
    """The worker: load and warm the models, say "ready", then write every request's text,
    streaming it back, until the server sends None (or ends: exit_with_parent)."""
    from demo.runtime import configure_torch, exit_with_parent
    exit_with_parent()  # ends with the server, even a killed one
    if hasattr(os, "nice"):  # not on Windows
        os.nice(NICE)
    configure_torch(1)
    models, steppers = _load(weights_dir, names, slots)
    results.put((None, "ready", sorted(models)))
    worker = _Worker(models, steppers, results, max_waiting)
    while True:
        msgs = []
        try:
            if not worker.active and not worker.waiting:   # block only when there is nothing to write
                msgs.append(requests.get())  # no timeout: exit_with_parent ends a server-less worker
            while True:
                msgs.append(requests.get_nowait())
        except queue.Empty:
            pass
        except (EOFError, OSError):
            return
        if any(m is None for m in msgs):
            return
        for msg in msgs:
            worker.receive(msg)
        worker.admit()
        worker.round()


class Writer:
    """One worker process and the thread that hands its messages to the waiting streams.
    ``slots`` texts are written at once and ``max_waiting`` more may wait; beyond, a request is
    answered "busy" (UserError "text.error.busy").  ``late`` counts the parts that reached a
    stream after the worker had acknowledged its cancel (none should)."""

    def __init__(self, weights_dir=None, names=("lstm", "rnn"), slots: int = SLOTS, max_waiting: int = MAX_WAITING):
        self.weights_dir = str(weights_dir) if weights_dir else None
        self.names = tuple(names)
        self.slots, self.max_waiting = int(slots), int(max_waiting)
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._waiting: dict[int, queue.Queue] = {}
        self._acked: collections.OrderedDict[int, None] = collections.OrderedDict()  # cancels acknowledged
        self.late = 0
        self._proc = None
        self._ready = threading.Event()
        self.start()

    def start(self) -> None:
        """Start the worker (returns at once; it loads and warms the models in the background)."""
        with self._lock:
            if self._proc is not None and self._proc.is_alive():
                return
            ctx = mp.get_context("spawn")  # no fork: the server has threads
            self._requests, self._results = ctx.Queue(), ctx.Queue()
            self._ready.clear()
            self._proc = ctx.Process(target=_serve, args=(self._requests, self._results, self.weights_dir,
                                                          self.names, self.slots, self.max_waiting),
                                     daemon=True, name="rnn-lens-writer")
            self._proc.start()
            threading.Thread(target=self._dispatch, args=(self._proc, self._results), daemon=True).start()

    def _dispatch(self, proc, results) -> None:
        while True:
            try:
                rid, kind, payload = results.get(timeout=IDLE_POLL)
            except queue.Empty:
                if not proc.is_alive():
                    self._fail_all()
                    return
                continue
            except (EOFError, OSError):
                self._fail_all()
                return
            if kind == "ready":
                self._ready.set()
                continue
            with self._lock:
                if kind == "cancelled":
                    self._acked[rid] = None
                    while len(self._acked) > 1024:
                        self._acked.popitem(last=False)
                elif rid in self._acked:
                    self.late += 1
                q = self._waiting.get(rid)
            if q is not None:
                q.put((kind, payload))

    def _fail_all(self) -> None:
        with self._lock:
            waiting = list(self._waiting.values())
        for q in waiting:
            q.put(("dead", None))

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    @property
    def ready(self) -> bool:
        """The worker has loaded and warmed its models."""
        return self._ready.is_set() and self.alive

    def wait_ready(self, timeout: float = START_TIMEOUT) -> bool:
        """Wait until the worker has loaded and warmed its models: False if it died first or
        took longer than ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.2):
            if not self.alive or time.monotonic() > deadline:
                return False
        return self.alive

    def stream(self, name: str, seed, length, temperature, top_k, rng_seed):
        """Yield the text written so far, every ~EVERY s, and all of it last.  ValueError for a
        bad argument (UserError "text.error.busy" when the worker's waiting list is full);
        WriterUnavailable (before anything is yielded) when the worker cannot write, so the
        caller can write the text itself.  Closing the generator before the end cancels the
        text in the worker, which drops it at once."""
        if not self.alive:
            self.start()
        if not self.wait_ready():
            raise WriterUnavailable("the text worker did not start")
        rid, q = next(self._ids), queue.Queue()
        with self._lock:   # the requests reach the worker in the order they are registered here
            self._waiting[rid] = q
            self._requests.put(("write", rid, name, (seed, length, temperature, top_k, rng_seed)))
        finished = False
        try:
            started = False
            while True:
                kind, payload = self._next(q)
                if kind == "part":
                    started = True
                    yield payload
                    continue
                finished = True
                if kind == "done":
                    yield payload
                    return
                self._raise(kind, payload, started)
        finally:
            with self._lock:
                self._waiting.pop(rid, None)
            if not finished and self.alive:
                self._requests.put(("cancel", rid))

    def _next(self, q) -> tuple:
        while True:
            try:
                return q.get(timeout=IDLE_POLL)
            except queue.Empty:
                if not self.alive:
                    return "dead", None

    @staticmethod
    def _raise(kind, payload, started: bool):
        if kind == "error":
            raise payload if isinstance(payload, ValueError) else ValueError(str(payload))
        if kind == "busy":
            raise UserError("text.error.busy")
        if kind == "dead" and not started:
            raise WriterUnavailable("the text worker stopped")
        raise RuntimeError(f"the text worker failed: {payload or 'it stopped'}")

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None and proc.is_alive():
            try:
                self._requests.put(None)
                proc.join(5)
            finally:
                if proc.is_alive():
                    proc.kill()


_shared: dict[tuple, Writer] = {}
_shared_lock = threading.Lock()


def shared_writer(weights_dir=None, names=("lstm", "rnn")) -> Writer:
    """The process's Writer for a weights folder and its models (one worker, however many apps
    are built: the tests build dozens)."""
    key = (str(Path(weights_dir).resolve()) if weights_dir else "", tuple(names))
    with _shared_lock:
        w = _shared.get(key)
        if w is None:
            w = _shared[key] = Writer(weights_dir, names)
        return w
