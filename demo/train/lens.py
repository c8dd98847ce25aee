"""Open in the lens: the model a page trained, made a choice of the Digits tab (the digit tasks)
or the Text tab (text) for that page only (``demo.lens_models``).  Pure (no gradio); the app's
wiring (``demo.app.App.wire_lens``) then chooses it there and opens that tab.

    own = open_in_lens(trainer, LENS, "page-1")   # a LensModel (UserError when there is none)
    own.name     # "yours-lstm-1x64-1a2b3c4d5e": its weights' own name, as the Digits tab shows it
    own.label("en")                                # "Yours: LSTM 1×64, 97.1%"

The model is the run's weights now (run A's in the compare mode): a run still training goes on,
and the lens shows the snapshot, until the page opens it again.  A "remember the digit" model
reads the drawing and then its D blank rows, as it was trained (demo.digits.model.DigitModel).
"""
from __future__ import annotations

import hashlib
import logging

import torch

from demo.errors import UserError
from demo.lens_models import LensModel, LensModels, lens_name
from demo.train.settings import Settings
from demo.train.tasks import DigitTask
from demo.train.trained import Weights

log = logging.getLogger(__name__)

EXAMPLES, MIN_EXAMPLES = 1000, 200   # validation digits a digit model's units are looked up over
OPENING = 200                        # characters of a text run's training text kept (a seed it knows)
LOOKUP_BUDGET = 2 * 10**10           # multiply-adds for them (~1-2 s on one core)


def weights_digest(state_dict: dict) -> str:
    """The SHA-256 (hex) of the weights: every tensor's bytes, by name."""
    h = hashlib.sha256()
    for name in sorted(state_dict):
        h.update(name.encode())
        h.update(state_dict[name].detach().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()


def lens_model(weights: Weights, data_dir=None, text: str | None = None) -> LensModel:
    """The trained model as the lens opens it: named by what it is and its weights' digest,
    scored by its validation accuracy (digits) or loss in nats per character (text); a digit
    model with its run's validation digits (``validation_digits``), a text model with the first
    characters of ``text``, the run's training text (None: Tiny Shakespeare, not kept)."""
    settings = Settings.make(**weights.settings).as_dict()    # the task's defaults filled in
    name = lens_name(settings, weights_digest(weights.state_dict))
    metrics = weights.meta.get("metrics") or {}
    score = metrics.get("val_acc" if weights.kind == "digits" else "val_loss")
    examples = validation_digits(settings, data_dir) if weights.kind == "digits" else None
    opening = text[:OPENING] if weights.kind == "char" and text else ""
    return LensModel(name, weights.kind, weights.model(name), settings,
                     float(score) if score is not None else float("nan"), examples, opening)


def validation_digits(settings: dict, data_dir=None) -> tuple | None:
    """The first validation digits of the run (MNIST images it held out): uint8 (N, 28, 28) and
    their labels (N,), N at most EXAMPLES and fewer for a big network (the Digits tab reads each
    once to look up its units: about a second), or None when MNIST cannot be read here."""
    s = Settings.make(**settings)
    # multiply-adds per digit: 28 + delay steps, each layer's four gates of H x (H + input)
    cost = (28 + s.delay) * s.layers * (2 if s.bidirectional else 1) * 4 * s.hidden * (s.hidden + 28)
    n = int(min(EXAMPLES, max(MIN_EXAMPLES, LOOKUP_BUDGET // cost)))
    try:
        task = DigitTask(s, data_dir)
    except (OSError, RuntimeError, ValueError):   # no data, and none to download
        log.warning("no MNIST validation digits for the lens's lookups", exc_info=True)
        return None
    images = (task.val_x[:n, :28] * 255).round().to(torch.uint8)   # (n, 28, 28): the digits, not the blank rows
    return images.numpy(), task.val_y[:n].numpy()


def open_in_lens(trainer, lens: LensModels, owner: str) -> LensModel:
    """The page ``owner``'s trained model (its run's weights now) opened in ``lens`` for it.
    UserError when it has no run, its run gave no weights, or the lens cannot read it."""
    s = trainer.sessions.get(owner)
    if s is None or s.job is None:
        raise UserError("train.error.lens_no_run")
    if s.settings.get("bidirectional") and s.settings.get("delay"):
        # the lens numbers a backward direction's steps from row 28: blank rows after it do not fit
        raise UserError("train.error.lens_both_ways_delay")
    weights = s.job.result(timeout=30)
    if weights is None:
        raise UserError("train.error.no_weights")
    return lens.open(owner, lens_model(weights, trainer.data_dir, s.text))
