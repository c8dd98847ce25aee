"""What a live training update shows besides its records: the network now, seen three ways.

    views = LiveViews(run)               # a Run (demo.train.run): its fixed example is chosen here
    part = views.due()                   # {view: value} of the views due now ({} when none is)
    part = views.due(force=True)         # every view, now (a pause, a step, the end of a run)

Each view is a plain dict of numbers, strings and numpy arrays (small: it crosses a process
boundary several times a second), and says at which ``step`` the weights it shows were:

    example     the fixed example read by the network now: "step"; "arrays" {name: (T, H) float16}
                (h, the LSTMs' c, and every gate of the top layer: LSTM i f g o, GRU r z n);
                digits and remember: "input" (T, 28) uint8 (the image, then the blank rows),
                "label" (the true digit), "probs" (T, 10) float32 (the head's answer after each
                step, demo.digits.model.DigitTrace's); text: "text" (the snippet, T characters),
                "surprise" (T,) float32 (-ln p of each character given those before it, nan first)
    confusion   digits and remember: "step", "counts" (10, 10) int32 over the validation images,
                row = the true digit, column = the network's answer: the latest record's (its
                validation answers, ``Run.answers``: no pass of its own), else the weights now
    sample      text: "step", "text" (SAMPLE_CHARS characters after "prime", temperature
                SAMPLE_TEMPERATURE, numpy seed ``sample_seed(run seed, step)``: the same run gives
                the same sample at the same step)
    cost_ms     {view: CPU milliseconds spent computing it}

The example is the validation image EXAMPLE_INDEX (digits), or SNIPPET_CHARS characters of the
validation text from its first line start (text).  ``example`` is computed at every call that
finds the weights changed (~2 ms for LSTM 1x64 on digits); ``confusion`` at most every
CONFUSION_EVERY s (counting the latest record's answers: ~0.1 ms; a forward pass over the
validation images, ~17 ms for 1,000, only before a record has them); ``sample`` at
most every SAMPLE_EVERY s (~20 ms for 200 characters of LSTM 1x128); and none of them again
within 1 / MAX_SHARE times its last cost (so a slow one, e.g. the confusion of "remember" with
100 blank rows, comes less often).  Nothing here draws from the
run's random streams or changes its network, so the run's records are the same with or without
views.  Pure: no gradio.
"""
from __future__ import annotations

import copy
import time

import numpy as np
import torch

from demo.digits.model import DigitModel
from demo.text.model import CharModel

EXAMPLE_INDEX = 0          # digits: the validation image shown learning
SNIPPET_CHARS = 60         # text: characters of validation text shown learning
CONFUSION_EVERY = 1.0      # s between confusion matrices while a run plays
SAMPLE_EVERY = 3.0         # s between text samples while a run plays
# while a run plays, a view waits at least its last cost / MAX_SHARE (a view that took 100 ms is
# not made again within 3.3 s), so that views never take more than a few % of a worker's time
MAX_SHARE = 0.03
SAMPLE_CHARS = 200
SAMPLE_TEMPERATURE = 0.8


def sample_seed(run_seed: int, step: int) -> int:
    """The numpy seed of the sample at ``step``: fixed by the run's seed and the step."""
    return (int(run_seed) * 1_000_003 + int(step)) % 2**32


class LiveViews:
    """The views of one run, on a schedule (see the module's docstring).  ``clock`` gives the
    seconds the schedule counts (time.monotonic; the tests give their own)."""

    def __init__(self, run, clock=time.monotonic):
        self.run, self.clock = run, clock
        self.text = run.settings.task == "text"
        self._last = {}            # view -> (step, clock, CPU ms) of its last computation
        if self.text:
            vocab, val = run.task.vocab, run.task.val.tolist()
            head = vocab.decode(val[:2 * SNIPPET_CHARS])
            start = head.find("\n") + 1 if "\n" in head[:SNIPPET_CHARS] else 0
            while head[start:start + 1] == "\n":                        # from a line with words
                start += 1
            self.snippet = head[start:start + SNIPPET_CHARS]
            self.prime = "\n" if "\n" in vocab else self.snippet[0]
        else:
            self.image = run.task.val_x[EXAMPLE_INDEX]                    # (T, 28) float in [0, 1]
            self.label = int(run.task.val_y[EXAMPLE_INDEX])

    def due(self, force: bool = False) -> dict:
        """The views due now (all of them with ``force``), each computed from the weights now."""
        names = ("example", "sample") if self.text else ("example", "confusion")
        every = {"example": 0.0, "confusion": CONFUSION_EVERY, "sample": SAMPLE_EVERY}
        step, now, out, cost = self.run.step, self.clock(), {}, {}
        for name in names:
            last = self._last.get(name)
            if last is not None and last[0] == step:
                continue    # the weights have not changed since
            if not force and last is not None and now - last[1] < max(every[name], last[2] / 1000 / MAX_SHARE):
                continue
            t0 = time.process_time()
            out[name] = getattr(self, name)()
            cost[name] = round((time.process_time() - t0) * 1000, 2)
            self._last[name] = (step, now, cost[name])
        if out:
            out["cost_ms"] = cost
        return out

    def _net(self):
        """A copy of the network now, for reading (the run's own is left as it is)."""
        return copy.deepcopy(self.run.net).eval()

    def example(self) -> dict:
        if self.text:
            model = CharModel(self._net(), self.run.task.vocab, {})
            states = model.states(self.snippet)
            top = states.layers[-1]                                        # {name: (T, H)}
            return {"step": self.run.step, "text": self.snippet, "arrays": _half(top),
                    "surprise": states.surprise.astype(np.float32)}
        model = DigitModel(self._net(), {})
        trace = model.trace_mnist(self.image.numpy())
        arrays = {"h": trace.h, **({"c": trace.c} if trace.c is not None else {}), **trace.gates}
        return {"step": self.run.step, "input": np.round(self.image.numpy() * 255).astype(np.uint8),
                "label": self.label, "arrays": _half(arrays), "probs": trace.probs.astype(np.float32)}

    def confusion(self) -> dict:
        """The latest record's answers counted; before a record has them, the task's evaluation."""
        task = self.run.task
        if self.run.answers is not None:
            step, answers = self.run.answers                              # (N,): the latest record's
        else:
            _, _, answers = task.evaluate(self.run.net, answers=True)
            step = self.run.step
        counts = torch.bincount(task.val_y * 10 + answers, minlength=100).reshape(10, 10)
        return {"step": step, "counts": counts.numpy().astype(np.int32)}

    def sample(self) -> dict:
        step = self.run.step
        model = CharModel(self._net(), self.run.task.vocab, {})
        text = model.generate(self.prime, SAMPLE_CHARS, SAMPLE_TEMPERATURE,
                              rng_seed=sample_seed(self.run.settings.seed, step))
        return {"step": step, "prime": self.prime, "text": text, "temperature": SAMPLE_TEMPERATURE}


def _half(arrays: dict) -> dict:
    """{name: (T, H) array} as float16 (what a heatmap needs, at half the bytes)."""
    return {k: np.asarray(v, dtype=np.float16) for k, v in arrays.items()
            if k in ("h", "c") or len(k) == 1}
