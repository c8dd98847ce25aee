"""A run's weights JSON, in exactly the ``weights/`` format the training scripts write
(training/train_digits.py, training/train_char_rnn.py): kind, name, config (the model
constructor's arguments), normalisation (digits) or vocab (text), training, metrics, history (the
run's records), data, device, threads, wall time, torch and a command-like description of the run.

The digit tasks add "task" and "delay" at the top: a "remember" model reads 28 + delay rows (the
drawing, then ``delay`` blank rows, read as no input), and says so in its normalisation's "input".
"""
from __future__ import annotations

import math

import torch

from demo.train.settings import TASK_DEFAULTS

_DIGITS_INPUT = ("to_mnist: white digit on black, 20x20 box, centre of mass at (14, 14); "
                 "28 rows x 28 pixels, one row per step")


def describe(run, name: str, val: tuple[float, float]) -> dict:
    """The JSON of ``run``'s weights now, saved as ``name``; ``val`` (val_loss, val_acc) of them."""
    s, task = run.settings, run.task
    common = {
        "kind": task.kind, "name": name, "task": s.task,
        "config": task.config(),  # exactly the model constructor's arguments
        "training": training(run),
        "history": run.records,
        "data": task.data_info(),
        "device": "cpu", "threads": torch.get_num_threads(), "wall_time_s": round(run.seconds, 1),
        "torch": torch.__version__, "command": command(run),
    }
    if task.kind == "char":
        val_loss, val_acc = val
        return {**common, "vocab": task.vocab.chars,
                "metrics": {"val_loss": val_loss, "val_bpc": val_loss / math.log(2), "val_acc": val_acc,
                            "val_chars": len(task.val), "step": run.step, "train_loss": _last_train_loss(run),
                            "eval": "demo.train.tasks.score_text over the validation characters "
                                    "(chunks of 512, burn-in 64)"}}
    config = common["config"]
    extra = f", then {s.delay} blank rows (0 after normalisation: no input): {28 + s.delay} steps" if s.delay else ""
    return {**common, "delay": s.delay,
            "normalisation": {"mean": config["mean"], "std": config["std"], "input": _DIGITS_INPUT + extra},
            "metrics": {"val_acc": val[1], "val_loss": val[0], "val_size": len(task.val_y), "step": run.step,
                        "train_loss": _last_train_loss(run)}}


def training(run) -> dict:
    s = run.settings
    out = {"optimizer": s.optimizer, "lr": s.lr, "batch_size": s.batch, "clip": s.clip,
           "forget_bias": s.forget_bias, "seed": s.seed, "schedule": "constant", "steps": run.step,
           "seconds": round(run.seconds, 3), "record_every": s.record_every, "cell": s.cell,
           "diverged": run.diverged}
    if s.task == "text":
        out.update(seq_len=run.task.steps, bptt=s.bptt, embed=s.embed)
    else:
        out.update(augment=False, delay=s.delay, train_images=len(run.task.train_idx))
    return out


def command(run) -> str:
    """The run as the call that makes it: Run(...) with the settings that differ from the
    defaults, then the steps it trained (the Train tab makes the same call)."""
    s = run.settings
    defaults = {"task": "digits", "cell": "lstm", "layers": 1, "optimizer": "adam", "delay": 0, "clip": 1.0,
                "forget_bias": None, "seed": 0, "bidirectional": False, "record_every": 10,
                "train_size": None, "bptt": None, "embed": None, **TASK_DEFAULTS[s.task]}
    args = ", ".join(f"{k}={v!r}" for k, v in s.as_dict().items() if k == "task" or defaults.get(k, ...) != v)
    text = ", text=<the user's text>" if s.task == "text" and run.task.source.get("file") is None else ""
    return f"demo.train.Run({args}{text}).train(steps={run.step})"


def _last_train_loss(run) -> float | None:
    return run.records[-1]["train_loss"] if run.records else None
