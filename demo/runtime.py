"""Process-wide settings, in one place: torch's threads (the app, the benchmarks, the tests and
the training scripts all call ``configure_torch``), and the app's worker processes ending with
the server that started them (``exit_with_parent``).

    from demo.runtime import configure_torch
    configure_torch()          # one thread (the default), or configure_torch(4)
"""
from __future__ import annotations

import multiprocessing as mp
import os
import threading

# Set before torch loads anywhere (importing demo.runtime first does it): OpenMP threads
# spin-wait, and inside gradio's worker threads that made each tiny per-character matmul many
# times slower on a 2-vCPU machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# numpy's OpenBLAS too: the LSTM connectivity loop is ~2,000 small dependent matrix-vector
# products, which a thread team only slows down.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402


def configure_torch(threads: int | None = 1) -> int:
    """Use ``threads`` CPU threads (None or < 1: one).  Small recurrent nets run fastest on one:
    the per-step matmuls are too small to split, and a second thread fights any other busy
    process (measured: one thread 10x faster than two while another job ran).  Returns it."""
    n = threads if threads and threads > 0 else 1
    torch.set_num_threads(n)
    return n


def pin_threads() -> None:
    """Re-apply the thread count in the calling thread.  OpenMP keeps it per thread: gradio's
    worker threads otherwise start with the default team, and on a busy 2-core machine sampling
    ran ~100x slower there (78 vs 8,000 chars/s).  Costs well under a microsecond; the UI's
    handler wrapper calls it before every handler."""
    torch.set_num_threads(torch.get_num_threads())


def exit_with_parent() -> None:
    """In a process started by multiprocessing (the digits and text workers): end it as soon as
    the process that started it ends, however it ended (SIGTERM, SIGKILL, a crash).  Without
    this a worker waits on its queue for ever: the queue's pipe has a writer in the worker too,
    so it never reads end-of-file, and each server stopped with SIGTERM left ~750 MB behind.
    A daemon thread waits on the parent's sentinel (a pipe that closes when the parent exits)."""
    parent = mp.parent_process()
    if parent is None:  # not a multiprocessing child: nothing to follow
        return

    def follow():
        parent.join()
        os._exit(0)  # at once: the server is gone, so no one waits for an answer or a clean exit

    threading.Thread(target=follow, daemon=True, name="exit-with-parent").start()
