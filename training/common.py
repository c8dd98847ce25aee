"""Helpers shared by the training scripts: device and thread choice, the exact command line,
checksums, SIGTERM handling and atomic resumable checkpoints (kept outside ``weights/``)."""
from __future__ import annotations

import os
import shlex
import signal
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # let `python training/x.py` import the demo package
    sys.path.insert(0, str(ROOT))

CHECKPOINT_DIR = ROOT / "checkpoints"  # resumable training state; never inside weights/


def checkpoint_path(out: Path) -> Path:
    """Where the resumable checkpoint of a run writing ``out`` lives: named after the output and
    a hash of its full path, so runs writing different outputs never share one.
    RNN_LENS_CHECKPOINTS overrides the folder (tests)."""
    import hashlib
    tag = hashlib.sha1(str(Path(out).resolve()).encode()).hexdigest()[:8]
    return Path(os.environ.get("RNN_LENS_CHECKPOINTS") or CHECKPOINT_DIR) / f"{Path(out).name}-{tag}.pt"
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"


def pick_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda was asked for but no CUDA GPU is available")
    return torch.device(name)


def set_threads(threads: int | None) -> int:
    """Small recurrent nets on a few cores run fastest on one thread: the per-step matmuls are
    too small to split, and a second thread fights any other busy process (measured here: 1
    thread 10x faster than 2 while another job ran).  ``--threads`` overrides."""
    n = threads if threads and threads > 0 else 1
    torch.set_num_threads(n)
    return n


def command_line() -> str:
    """The exact command that was run, relative to the repository root where possible."""
    script = Path(sys.argv[0]).resolve()
    try:
        script = script.relative_to(ROOT)
    except ValueError:
        pass
    return shlex.join(["python", str(script), *sys.argv[1:]])


def sigterm_as_interrupt() -> None:
    """Treat SIGTERM like Ctrl-C so both leave a resumable checkpoint."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, handler)


def save_checkpoint(path: Path, payload: dict) -> None:
    """torch.save to a temp file, then rename: an interrupted write never replaces a good file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: Path) -> dict:
    if not path.is_file():
        raise SystemExit(f"no checkpoint at {path} to resume from")
    # Our own file, holding RNG states and optimiser state as well as tensors.
    return torch.load(path, map_location="cpu", weights_only=False)


def rng_state() -> dict:
    import random

    import numpy as np
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    import random

    import numpy as np
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class GracefulStop:
    """While active, Ctrl-C and SIGTERM only set ``requested``, so a training loop can finish the
    step it is in (an optimiser update cut in half cannot be resumed exactly), save a checkpoint
    and exit.  A second Ctrl-C raises KeyboardInterrupt at once.  Main thread only."""

    def __init__(self):
        self.requested = False
        self._old = {}

    def _handler(self, signum, frame):
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        print(f"\nstop requested (signal {signum}): finishing this step and saving a checkpoint "
              f"(Ctrl-C again to quit at once)", file=sys.stderr, flush=True)

    def __enter__(self) -> "GracefulStop":
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def download(url: str, path: Path) -> None:
    """Fetch url to path atomically (a failed download leaves nothing behind)."""
    import urllib.request
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with urllib.request.urlopen(url, timeout=60) as r, open(tmp, "wb") as f:
            f.write(r.read())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
