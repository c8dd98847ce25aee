"""Text generation in a second process, so that on a busy server sampling runs on its own core.

The app's Python runs on one core at a time (the GIL): with a hundred users, sampling text and
every other request took turns on it while the machine's second core idled.  A ``Writer`` keeps
one worker process with the character models loaded and streams what it writes back.

    writer = shared_writer(weights_dir)              # one per weights folder and process
    for text in writer.stream("lstm", "ROMEO:", 200, 0.8, 0, 7):
        ...                                           # the text so far, every ~50 ms; the last is all
    writer.close()

The worker writes every text it has been asked for at once, one character each per round, in
one batched step per model (``demo.text.kernels.BatchStepper``), with ``CharModel.sampling``:
the same code as ``CharModel.stream``, so the same seed gives the same text as in this process.
A ValueError there (a bad argument) comes back as a ValueError here.  If the worker cannot
start or dies, ``stream`` raises ``WriterUnavailable`` before yielding anything,
and the caller writes in its own process (demo/text/tab.py does); the next call starts a new
worker.  Pure: no gradio.
"""
from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import queue
import threading
import time
from pathlib import Path

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


class _Text:
    """One request in the worker: its sampling, its slot, and what has been sent."""

    def __init__(self, rid, name, sampling, slot):
        self.rid, self.name, self.sampling, self.slot = rid, name, sampling, slot
        self.chars: list[str] = []
        self.last = 0.0


def _serve(requests, results, weights_dir, names) -> None:
    """The worker: load the models, then write every request's text, streaming it back.  The
    texts being written advance together, one character each per round: one batched step per
    model (demo.text.kernels.BatchStepper reads the weights once for all of them: 8 texts cost
    2.6x one), and each text is the one CharModel.stream writes alone."""
    from demo.runtime import configure_torch, exit_with_parent
    exit_with_parent()  # ends with the server, even a killed one
    if hasattr(os, "nice"):  # not on Windows
        os.nice(NICE)
    configure_torch(1)
    from demo.text.kernels import BatchStepper
    from demo.text.model import load_char_model
    models, steppers = {}, {}
    for name in names:
        try:
            models[name] = m = load_char_model(name, weights_dir)
            if m.cell in ("lstm", "rnn"):
                steppers[name] = BatchStepper(m.cell_weights(), *m.head_weights(), slots=SLOTS)
        except Exception:  # noqa: BLE001 - a model that does not load is refused per request
            pass
    results.put((None, "ready", sorted(models)))
    waiting: list = []     # requests not yet started (no free slot)
    active: list[_Text] = []
    while True:
        msgs = []
        try:
            if not active and not waiting:   # block only when there is nothing to write
                msgs.append(requests.get())  # no timeout: exit_with_parent ends a server-less worker
            while True:
                msgs.append(requests.get_nowait())
        except queue.Empty:
            pass
        except (EOFError, OSError):
            return
        if any(m is None for m in msgs):
            return
        waiting += msgs
        while waiting:
            rid, name, args = waiting[0]
            stepper = steppers.get(name)
            if stepper is not None and not stepper.free:
                break
            waiting.pop(0)
            try:
                if name not in models:
                    raise ValueError(f"no character model {name!r} is loaded; choose one of {', '.join(models)}")
                if stepper is None:   # a cell without a batched step (GRU): written alone, here
                    for text, done in texts_so_far(models[name].stream(*args, n_top=0)):
                        results.put((rid, "done" if done else "part", text))
                    continue
                sampling = models[name].sampling(*args, n_top=0)
                active.append(_Text(rid, name, sampling, stepper.open(sampling.edit)))
            except ValueError as e:
                results.put((rid, "error", str(e)))
            except Exception as e:  # noqa: BLE001 - reported to the caller, the worker keeps serving
                results.put((rid, "fail", f"{type(e).__name__}: {e}"))
        # partial texts: every EVERY s, less often with more texts (the server sends each one
        # on: at most 1 / EVERY a second in all)
        every = EVERY * max(1, len(active))
        for name, stepper in steppers.items():
            group = [a for a in active if a.name == name]
            if not group:
                continue
            try:
                logits = stepper.step([a.slot for a in group], [a.sampling.feed for a in group])
                for a, row in zip(group, logits):
                    step = a.sampling.take(row)
                    if step is None:
                        continue
                    a.chars.append(step.char)
                    if a.sampling.feed is None:
                        results.put((a.rid, "done", "".join(a.chars)))
                    elif time.perf_counter() - a.last >= every:
                        results.put((a.rid, "part", "".join(a.chars)))
                        a.last = time.perf_counter()
            except Exception as e:  # noqa: BLE001 - these texts fail, the worker keeps serving
                for a in group:
                    a.sampling.feed = None
                    results.put((a.rid, "fail", f"{type(e).__name__}: {e}"))
            for a in group:
                if a.sampling.feed is None:
                    stepper.close(a.slot)
                    active.remove(a)


class Writer:
    """One worker process and the thread that hands its messages to the waiting streams."""

    def __init__(self, weights_dir=None, names=("lstm", "rnn")):
        self.weights_dir = str(weights_dir) if weights_dir else None
        self.names = tuple(names)
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._waiting: dict[int, queue.Queue] = {}
        self._proc = None
        self._ready = threading.Event()
        self.start()

    def start(self) -> None:
        """Start the worker (returns at once; it loads the models in the background)."""
        with self._lock:
            if self._proc is not None and self._proc.is_alive():
                return
            ctx = mp.get_context("spawn")  # no fork: the server has threads
            self._requests, self._results = ctx.Queue(), ctx.Queue()
            self._ready.clear()
            self._proc = ctx.Process(target=_serve, args=(self._requests, self._results, self.weights_dir,
                                                          self.names), daemon=True, name="rnn-lens-writer")
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

    def stream(self, name: str, seed, length, temperature, top_k, rng_seed):
        """Yield the text written so far, every ~EVERY s, and all of it last.  ValueError for a
        bad argument; WriterUnavailable (before anything is yielded) when the worker cannot
        write, so the caller can write the text itself."""
        if not self.alive:
            self.start()
        if not self._ready.wait(START_TIMEOUT) or not self.alive:
            raise WriterUnavailable("the text worker did not start")
        rid, q = next(self._ids), queue.Queue()
        with self._lock:
            self._waiting[rid] = q
        try:
            self._requests.put((rid, name, (seed, length, temperature, top_k, rng_seed)))
            started = False
            while True:
                try:
                    kind, payload = q.get(timeout=IDLE_POLL)
                except queue.Empty:
                    if self.alive:
                        continue
                    kind, payload = "dead", None
                if kind == "part":
                    started = True
                    yield payload
                elif kind == "done":
                    yield payload
                    return
                elif kind == "error":
                    raise ValueError(payload)
                elif kind == "dead" and not started:
                    raise WriterUnavailable("the text worker stopped")
                else:
                    raise RuntimeError(f"the text worker failed: {payload or 'it stopped'}")
        finally:
            with self._lock:
                self._waiting.pop(rid, None)

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


_shared: dict[str, Writer] = {}
_shared_lock = threading.Lock()


def shared_writer(weights_dir=None, names=("lstm", "rnn")) -> Writer:
    """The process's Writer for a weights folder (one worker, however many apps are built)."""
    key = str(Path(weights_dir).resolve()) if weights_dir else ""
    with _shared_lock:
        w = _shared.get(key)
        if w is None:
            w = _shared[key] = Writer(weights_dir, names)
        return w
