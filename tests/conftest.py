"""Shared test setup: one torch thread, data paths, and the app served on a free localhost port.
The project is pip-installed in editable mode (scripts/setup.sh), so nothing edits sys.path."""
import socket
from contextlib import contextmanager
from pathlib import Path

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import pytest

ROOT = Path(__file__).resolve().parent.parent
configure_torch()

DATA_DIR = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "MNIST" / "raw").is_dir() and not (DATA_DIR / "tinyshakespeare").is_dir():
        pytest.skip(f"no shared data at {DATA_DIR}")
    return DATA_DIR


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(weights_dir=None):
    """The whole app (both tabs) launched in this process on a free port; yields its URL."""
    from demo.app import build_app, launch
    demo = build_app(weights_dir)
    _, url, _ = launch(demo, port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield url
    finally:
        demo.close()


@pytest.fixture(scope="session")
def app_url():
    """One app, shared by the modules that only need a running server."""
    with serving() as url:
        yield url
