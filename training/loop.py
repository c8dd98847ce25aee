"""The parts of a training run both trainers share, written once:

    stepper = Stepper(model, opt, device, clip=1.0, sched=sched)   # AMP (fp16) on CUDA
    if args.resume:
        ck = load_checkpoint(path); stepper.load_state_dict(ck)     # + set_rng_state(ck["rng"])
    with GracefulStop(args.stop_after_steps) as stop:
        while ...:
            loss, logits = stepper.step(lambda: loss_and_logits(x, y))
            if stop.should_stop(step):
                save_checkpoint(path, stepper, step=step, ...); stopped(path)   # exit 130

``Stepper.step`` is the one optimiser step (autocast, GradScaler scale/unscale, gradient-norm
clipping, step, update, then the scheduler).  ``save_checkpoint`` stores the model, optimiser,
scheduler and scaler states and every RNG with whatever the trainer adds, through
``demo.checkpoint.atomic_write``; ``load_checkpoint`` reads it onto the CPU, so a run stopped on
a GPU resumes on a CPU and the other way round (``load_state_dict`` moves the states to the
model's device).
"""
from __future__ import annotations

import signal
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Callable

import torch

from demo.checkpoint import atomic_write
from training.common import rng_state, set_rng_state


class GracefulStop(AbstractContextManager):
    """While active, Ctrl-C and SIGTERM only set ``requested``, so a training loop can finish the
    step it is in (an optimiser update cut in half cannot be resumed exactly), save a checkpoint
    and exit.  A second Ctrl-C raises KeyboardInterrupt at once.  ``stop_after_steps`` acts as if
    the signal came once that many steps are done (tests).  Main thread only."""

    def __init__(self, stop_after_steps: int | None = None):
        self.requested = False
        self.stop_after_steps = stop_after_steps
        self._old = {}

    def should_stop(self, step: int) -> bool:
        return self.requested or (self.stop_after_steps is not None and step >= self.stop_after_steps)

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


class Stepper:
    """One optimiser step, the same in both trainers, and the states a resume needs.

    On CUDA the forward runs under fp16 autocast with a GradScaler; elsewhere both are no-ops.
    ``sched`` (optional) is stepped after every optimiser step."""

    def __init__(self, model: torch.nn.Module, opt: torch.optim.Optimizer, device: torch.device,
                 clip: float, sched: Any = None):
        self.model, self.opt, self.sched, self.clip = model, opt, sched, clip
        self.device = torch.device(device)
        self.amp = self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)

    def step(self, compute: Callable[[], tuple[torch.Tensor, Any]]) -> tuple[torch.Tensor, Any]:
        """``compute()`` -> (loss, anything) runs under autocast; then backward, unscale, clip,
        step and update.  Returns what ``compute`` returned."""
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.amp):
            loss, out = compute()
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.opt)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.scaler.step(self.opt)
        self.scaler.update()
        if self.sched is not None:
            self.sched.step()
        return loss, out

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(),
                "sched": self.sched.state_dict() if self.sched is not None else None,
                "scaler": self.scaler.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        """Restore ``state_dict()`` (tensors may be on any device).  A scaler state saved without
        AMP (on a CPU) leaves a fresh scaler; one saved with AMP is ignored without it."""
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        if self.sched is not None and state.get("sched") is not None:
            self.sched.load_state_dict(state["sched"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])


def save_checkpoint(path: Path, stepper: Stepper, **extra) -> None:
    """Every state of ``stepper``, every RNG (as ``rng``) and ``extra``, written atomically."""
    payload = {**stepper.state_dict(), "rng": rng_state(), **extra}
    atomic_write(Path(path), lambda tmp: torch.save(payload, tmp))


def load_checkpoint(path: Path) -> dict:
    """A checkpoint written by ``save_checkpoint``, with every tensor on the CPU."""
    path = Path(path)
    if not path.is_file():
        raise SystemExit(f"no checkpoint at {path} to resume from")
    # Our own file, holding RNG states and optimiser state as well as tensors.
    return torch.load(path, map_location="cpu", weights_only=False)


def resume(stepper: Stepper, ck: dict) -> None:
    """Put the model, optimiser, scheduler, scaler and RNGs back as ``ck`` has them."""
    stepper.load_state_dict(ck)
    set_rng_state(ck["rng"])


def stopped(path: Path, where: str) -> None:
    """After a requested stop was checkpointed: say how to continue and exit with 130."""
    print(f"stopped at {where}: checkpoint in {path}; continue with the same command plus --resume", flush=True)
    raise SystemExit(130)


def clone_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of the model's weights (the best ones so far)."""
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
