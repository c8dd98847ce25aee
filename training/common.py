"""Helpers shared by the training scripts: paths, device choice, the exact command line, RNG
states and downloads.  The training loop's shared parts are in ``training.loop``."""
from __future__ import annotations

import hashlib
import os
import random
import shlex
import sys
from pathlib import Path

import numpy as np
import torch

from demo.checkpoint import atomic_write

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"
CHECKPOINT_DIR = ROOT / "checkpoints"  # resumable training state; never inside weights/


def checkpoint_path(out: Path) -> Path:
    """Where the resumable checkpoint of a run writing ``out`` lives: named after the output and
    a hash of its full path, so runs writing different outputs never share one.
    RNN_LENS_CHECKPOINTS overrides the folder (tests)."""
    tag = hashlib.sha1(str(Path(out).resolve()).encode()).hexdigest()[:8]
    return Path(os.environ.get("RNN_LENS_CHECKPOINTS") or CHECKPOINT_DIR) / f"{Path(out).name}-{tag}.pt"


def pick_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda was asked for but no CUDA GPU is available")
    return torch.device(name)


def device_name(device: torch.device) -> str:
    """What the weights JSON records as "device": "cpu", or "cuda (the GPU's name)"."""
    return str(device) + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "")


def command_line(script: str, argv: list[str] | None = None) -> str:
    """The exact command that was run, as ``python training/NAME.py ARGS`` (the form the README
    and the weights JSON quote) however it was started: as a file, with ``python -m``, through
    an entry point or by calling ``main(argv)``.  ``script`` is the trainer's ``__file__``."""
    path = Path(script).resolve()
    try:
        path = path.relative_to(ROOT)
    except ValueError:
        pass
    return shlex.join(["python", str(path), *(sys.argv[1:] if argv is None else argv)])


def rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore ``rng_state()``; the CUDA generators only where CUDA is (resuming on a CPU works)."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        gens = state["cuda"][:torch.cuda.device_count()]
        torch.cuda.set_rng_state_all(gens)


def download(url: str, path: Path) -> None:
    """Fetch url to path atomically (a failed download leaves nothing behind)."""
    import urllib.request

    def fetch(tmp):
        with urllib.request.urlopen(url, timeout=60) as r, open(tmp, "wb") as f:
            f.write(r.read())

    atomic_write(Path(path), fetch)
