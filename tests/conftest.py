"""Shared test setup: import the project from the repository root, one torch thread, data paths."""
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
torch.set_num_threads(1)

DATA_DIR = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "MNIST" / "raw").is_dir() and not (DATA_DIR / "tinyshakespeare").is_dir():
        pytest.skip(f"no shared data at {DATA_DIR}")
    return DATA_DIR
