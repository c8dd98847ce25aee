"""A training run you can pause, resume, look inside and save: ``Run``.

    run = Run(task="digits", cell="lstm", hidden=64, layers=1, optimizer="adam", lr=1e-2, batch=64,
              delay=0, clip=1.0, forget_bias=None, seed=0, data_dir=None)
    new = run.train(seconds=30)      # or steps=200; returns the records made during this call
    run.records                      # [{step, seconds, train_loss, val_loss, val_acc, grad_by_step, ...}]
    run.model                        # a DigitModel / CharModel of the weights now: trace, edit, why
    run.save("out_dir", "mine")      # out_dir/digits_mine.* (char_mine.* for text), weights/ format

Records are made every ``record_every`` steps (step 0, the untrained network, first), so the
same settings give the same records step for step (all but "seconds"), and train(steps=a) then
train(steps=b) is train(steps=a + b): records and weights alike.  A record of step s describes
the weights after s updates:

    step          updates done
    seconds       training time so far (inside train() calls, records included; pauses not)
    train_loss    mean loss of the steps since the previous record (step 0: the probe batch's)
    val_loss      validation cross-entropy (text: nats per character)
    val_acc       validation accuracy (text: next-character accuracy)
    grad_by_step  per time step t, the mean over a batch of |dL/dh_t| (demo.train.gradients): the
                  batch of step s itself, at the weights before its update (step 0: the first
                  batch, at the initial weights)
    grad_norm     mean gradient norm of the steps since the previous record, before clipping
    clipped       the share of those steps whose gradient was clipped (0 when clipping is off)

The gradient reaching each step costs nearly nothing for a plain RNN or an LSTM: the step before
a record trains through ``tracked_loss``, whose backward (the same gradients for every weight)
also gives dL/dh_t.  A GRU or a peephole LSTM measures that batch before its update with
``step_gradients`` (a second pass).  Step 0 (and a diverged step between records) measures the
next step's batch, drawn early ("the probe batch"): measuring it changes nothing in the run.  The
digits' record also keeps the validation answers (``answers``: (step, (N,) int64)), which the live
views' confusion matrix reads instead of a pass of its own.  A step whose loss is not finite ends
the run (``diverged``) with a record of it.
"""
from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import torch

from demo.checkpoint import save_weights
from demo.train.saving import describe
from demo.train.gradients import FUSED, grad_by_step, step_gradients, tracked_loss
from demo.train.settings import SettingError, Settings
from demo.train.tasks import make_task

OPTIMIZERS = {
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
    # min-char-rnn's update: mem += g^2; p -= lr * g / sqrt(mem + 1e-8)
    "adagrad": lambda params, lr: torch.optim.Adagrad(params, lr=lr, eps=1e-8),
}


class Run:
    """One network learning one task; every argument is checked (SettingError, a ValueError
    naming the field).  None means the task's default (demo.train.settings.TASK_DEFAULTS).

    Keyword-only extras: ``text`` (the text task's corpus: None for Tiny Shakespeare, or a str /
    UTF-8 bytes of up to 1 MB), ``bptt`` (characters per window), ``embed`` (0: one-hot),
    ``bidirectional`` (digit tasks; rnn, rnn_relu, gru, lstm), ``record_every`` (steps),
    ``train_size`` / ``val_size`` (digits: images; text: characters; None: all / the default)."""

    def __init__(self, task="digits", cell="lstm", hidden=None, layers=1, optimizer="adam", lr=None, batch=None,
                 delay=0, clip=1.0, forget_bias=None, seed=0, data_dir=None, *, text=None, bptt=None,
                 embed=None, bidirectional=False, record_every=None, train_size=None, val_size=None):
        self.settings = Settings.make(task=task, cell=cell, hidden=hidden, layers=layers, optimizer=optimizer,
                                      lr=lr, batch=batch, delay=delay, clip=clip, forget_bias=forget_bias,
                                      seed=seed, bidirectional=bidirectional, bptt=bptt, embed=embed,
                                      record_every=record_every, train_size=train_size, val_size=val_size)
        s = self.settings
        self.task = make_task(s, data_dir, text)
        self.net = self.task.build()
        self.optimizer = OPTIMIZERS[s.optimizer](self.net.parameters(), s.lr)
        self._batches = self.task.batches(torch.Generator().manual_seed(s.seed))
        self._pending = None              # the next step's batch, when a record drew it early
        self.records: list[dict] = []
        self.step, self.seconds, self.diverged = 0, 0.0, False
        self._losses: list[float] = []    # since the last record
        self._norms: list[float] = []
        self._model, self._model_step = None, None
        self._grads = None                # (step, grad_by_step) measured by a training step
        self.answers = None               # (step, the validation answers (N,)) of the last record

    @property
    def steps_per_sequence(self) -> int:
        """T: the time steps the network reads per example (28 + delay rows, or the text window)."""
        return self.task.steps

    def train(self, steps: int | None = None, seconds: float | None = None, stop=None) -> list[dict]:
        """Train until ``steps`` more steps are done or ``seconds`` have passed (at the first step
        boundary after them), whichever comes first, or until ``stop()`` returns true (checked
        before each step).  Returns the records made during this call."""
        if steps is None and seconds is None and stop is None:
            raise ValueError("train() needs steps, seconds or stop")
        steps = _check_steps(steps)
        seconds = _check_seconds(seconds)
        new, done = [], 0
        t0, base = time.perf_counter(), self.seconds
        if not self.records:
            new.append(self._record())   # step 0: the untrained network
        while not self.diverged:
            if (steps is not None and done >= steps) or (seconds is not None and time.perf_counter() - t0 >= seconds):
                break
            if stop is not None and stop():
                break
            loss = self._train_step()
            done += 1
            self.seconds = base + time.perf_counter() - t0
            if not math.isfinite(loss):
                self.diverged = True
            if self.diverged or self.step % self.settings.record_every == 0:
                new.append(self._record())
        self.seconds = base + time.perf_counter() - t0
        return new

    def _next_batch(self):
        batch, self._pending = self._pending, None
        return batch if batch is not None else next(self._batches)

    def _probe_batch(self):
        if self._pending is None:
            self._pending = next(self._batches)
        return self._pending

    def _train_step(self) -> float:
        x, y = self._next_batch()
        self.net.train()
        s, read = self.settings, None
        if (self.step + 1) % s.record_every == 0:        # the weights after this step make a record
            if type(self.net.rnn) in FUSED:
                loss, read = tracked_loss(self.net, s.task, x, y)
            else:
                self._grads = (self.step + 1, grad_by_step(step_gradients(self.net, s.task, x, y)[1]))
        if read is None:
            loss = self.task.loss(self.net, x, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if read is not None:
            self._grads = (self.step + 1, grad_by_step(read()))
        clip = self.settings.clip
        norm = float(torch.nn.utils.clip_grad_norm_(self.net.parameters(), clip if clip else math.inf))
        self.optimizer.step()
        self.step += 1
        self._losses.append(loss.item())
        self._norms.append(norm)
        return self._losses[-1]

    def _record(self) -> dict:
        grads, probe_loss = self._grads, None
        if grads is None or grads[0] != self.step:       # step 0, or a diverged step between records
            x, y = self._probe_batch()
            probe_loss, g = step_gradients(self.net, self.settings.task, x, y)
            grads = (self.step, grad_by_step(g))
        self._grads = None
        val_loss, val_acc, answers = self.task.evaluate(self.net, answers=True)
        self.answers = None if answers is None else (self.step, answers)
        clip, norms = self.settings.clip, self._norms
        rec = {"step": self.step, "seconds": round(self.seconds, 4),
               "train_loss": sum(self._losses) / len(self._losses) if self._losses else probe_loss,
               "val_loss": val_loss, "val_acc": val_acc, "grad_by_step": grads[1],
               "grad_norm": sum(norms) / len(norms) if norms else None,
               "clipped": (sum(n > clip for n in norms) / len(norms) if clip else 0.0) if norms else None}
        self._losses, self._norms = [], []
        self.records.append(rec)
        return rec

    @property
    def model(self):
        """A DigitModel / CharModel of a copy of the weights now (remade after each step)."""
        if self._model is None or self._model_step != self.step:
            net = copy.deepcopy(self.net).eval()
            self._model = self.task.wrap(net, describe(self, "trained", self.task.evaluate(net)))
            self._model_step = self.step
        return self._model

    def save(self, out_dir: str | Path, name: str) -> tuple[Path, Path]:
        """Write out_dir/digits_NAME.safetensors + .json (char_NAME.* for text) in the weights/
        format, which load_digit_model(NAME, weights_dir=out_dir) / load_char_model read back.
        Returns both paths."""
        if not isinstance(name, str) or not name or not name.replace("_", "").replace("-", "").isalnum():
            raise SettingError("name", f"must be letters, digits, '_' or '-', got {name!r}")
        if self.settings.cell == "rnn_relu":
            raise SettingError("cell", "rnn_relu cannot be saved yet: the weights format's DigitRNN and "
                               "CharRNN have no nonlinearity argument, so it would load as tanh")
        meta = describe(self, name, self.task.evaluate(self.net))
        return save_weights(Path(out_dir) / f"{self.task.kind}_{name}", self.net.state_dict(), meta)

    def weights(self, name: str = "trained") -> tuple[dict, dict]:
        """The weights now and their JSON, as ``save(out_dir, name)`` would write them: (a copy
        of the state_dict, the meta dict).  Evaluates the validation data once, like save."""
        meta = describe(self, name, self.task.evaluate(self.net))
        return {k: v.detach().clone() for k, v in self.net.state_dict().items()}, meta

    def state(self) -> dict:
        """Everything the run needs to go on in another process (no data: ``Run.resume`` reads
        them again): the settings, the weights, the optimiser's state, the records, the counters.
        Batches are not stored: ``step`` of them were drawn, plus the probe batch when one waits."""
        return {"settings": self.settings.as_dict(), "step": self.step, "seconds": self.seconds,
                "diverged": self.diverged, "records": copy.deepcopy(self.records),
                "losses": list(self._losses), "norms": list(self._norms), "pending": self._pending is not None,
                "net": {k: v.detach().clone() for k, v in self.net.state_dict().items()},
                "optimizer": copy.deepcopy(self.optimizer.state_dict())}

    @classmethod
    def resume(cls, state: dict, data_dir=None, *, text=None) -> "Run":
        """The run ``state()`` described, ready to train on: train(steps=b) after it gives what the
        original run's train(steps=b) would have (records and weights alike).  The same data
        (``data_dir``, ``text``) must be given again.  The batch stream is replayed to where it was
        (drawing a batch costs microseconds)."""
        run = cls(**state["settings"], data_dir=data_dir, text=text)
        run.net.load_state_dict(state["net"])
        run.optimizer.load_state_dict(state["optimizer"])
        for _ in range(state["step"]):
            next(run._batches)
        if state["pending"]:
            run._pending = next(run._batches)
        run.records = copy.deepcopy(state["records"])
        run.step, run.seconds, run.diverged = state["step"], state["seconds"], state["diverged"]
        run._losses, run._norms = list(state["losses"]), list(state["norms"])
        return run


def _check_steps(steps) -> int | None:
    if steps is None:
        return None
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise SettingError("steps", f"must be a whole number from 0, got {steps!r}")
    return steps


def _check_seconds(seconds) -> float | None:
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < math.inf:
        raise SettingError("seconds", f"must be a finite number from 0, got {seconds!r}")
    return float(seconds)
