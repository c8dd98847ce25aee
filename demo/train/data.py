"""Where a training run's data come from: MNIST and Tiny Shakespeare read from a data folder, or
downloaded into it on first use; and a user's own text, checked.

The folder is ``data_dir`` when given, else the ``RNN_LENS_DATA`` environment variable, else
``~/.cache/rnn-lens/data`` (XDG_CACHE_HOME respected).  Inside it the layout is torchvision's and
char-rnn's, as ``../shared/data`` holds them:

    MNIST/raw/train-images-idx3-ubyte, train-labels-idx1-ubyte   (torchvision downloads them)
    tinyshakespeare/input.txt                                    (karpathy/char-rnn's file)

Loaded data are kept for the process (a worker trains many runs on the same images).

    images, labels, info = mnist_train(None)        # uint8 (60000, 28, 28), int64 (60000,)
    text, info = shakespeare(None)
    text = check_text(user_bytes_or_str)            # SettingError("text", ...) when it is unusable
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from demo.checkpoint import atomic_write
from demo.train.settings import SettingError

SHAKESPEARE_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
MAX_TEXT_BYTES = 1 << 20        # a user's text: 1 MB of UTF-8
MIN_TEXT_CHARS = 20             # 90% to train on, 10% (at least 2 characters) to validate on
MAX_CONTROL_SHARE = 0.01        # more control characters than this (besides tab, newline...) is binary
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # Cc less \t \n \x0b \x0c \r


def data_root(data_dir: str | Path | None = None) -> Path:
    """The folder data are read from (and downloaded into)."""
    if data_dir is not None:
        return Path(data_dir)
    if os.environ.get("RNN_LENS_DATA"):
        return Path(os.environ["RNN_LENS_DATA"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "rnn-lens" / "data"


def mnist_train(data_dir: str | Path | None) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """MNIST's 60,000 training images (uint8, (N, 28, 28)) and labels (int64), and where they
    came from ({"folder", "sha256": {file: hex}}).  Downloaded with torchvision if missing."""
    raw = data_root(data_dir) / "MNIST" / "raw"
    if not all((raw / name).is_file() for name in MNIST_FILES):
        _download_mnist(raw.parent.parent)
    return _read_mnist(str(raw.resolve()))


@lru_cache(maxsize=2)
def _read_mnist(raw: str) -> tuple[torch.Tensor, torch.Tensor, dict]:
    images = _read_idx(Path(raw) / MNIST_FILES[0], 16).reshape(-1, 28, 28)
    labels = _read_idx(Path(raw) / MNIST_FILES[1], 8).astype(np.int64)
    if len(images) != len(labels):
        raise RuntimeError(f"MNIST under {raw}: {len(images)} images but {len(labels)} labels")
    sums = {name: _sha256(Path(raw) / name) for name in MNIST_FILES}
    return torch.from_numpy(images), torch.from_numpy(labels), {"folder": raw, "sha256": sums}


def _read_idx(path: Path, header: int) -> np.ndarray:
    """The unsigned bytes of an IDX file after its header (MNIST's layout)."""
    return np.fromfile(path, dtype=np.uint8, offset=header)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _download_mnist(root: Path) -> None:
    from torchvision import datasets  # only here: importing torchvision costs seconds
    print(f"MNIST not found under {root / 'MNIST' / 'raw'}; downloading it there", file=sys.stderr)
    datasets.MNIST(str(root), train=True, download=True)


def shakespeare(data_dir: str | Path | None) -> tuple[str, dict]:
    """Tiny Shakespeare (1,115,394 characters), downloaded into the data folder if missing."""
    path = data_root(data_dir) / "tinyshakespeare" / "input.txt"
    if not path.is_file():
        print(f"Tiny Shakespeare not found at {path}; downloading {SHAKESPEARE_URL}", file=sys.stderr)
        download(SHAKESPEARE_URL, path)
    return _read_text(str(path.resolve()))


@lru_cache(maxsize=2)
def _read_text(path: str) -> tuple[str, dict]:
    data = Path(path).read_bytes()
    return data.decode("utf-8"), {"file": Path(path).name, "sha256": hashlib.sha256(data).hexdigest()}


def download(url: str, path: Path, chunk: int = 1 << 16) -> None:
    """Fetch ``url`` to ``path`` atomically, printing progress to stderr."""
    import urllib.request

    def fetch(tmp):
        with urllib.request.urlopen(url, timeout=60) as r, open(tmp, "wb") as f:
            total, done = int(r.headers.get("Content-Length") or 0), 0
            while block := r.read(chunk):
                f.write(block)
                done += len(block)
                if total:
                    print(f"\r{path.name}: {done * 100 // total}% of {total:,} bytes", end="", file=sys.stderr)
            print(file=sys.stderr)

    atomic_write(Path(path), fetch)


def check_text(text) -> str:
    """A user's training text: UTF-8 (str, or bytes that decode), at most 1 MB, at least
    MIN_TEXT_CHARS characters, and not binary (no NUL, few control characters)."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        raw = bytes(text)
        if len(raw) > MAX_TEXT_BYTES:
            raise SettingError("text", f"is {len(raw):,} bytes; at most {MAX_TEXT_BYTES:,} (1 MB) can be trained on")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SettingError("text", f"is not UTF-8 text (byte {e.start} cannot be read); "
                               "save it as UTF-8 and try again") from None
    if not isinstance(text, str):
        raise SettingError("text", f"must be a string (or UTF-8 bytes), got {type(text).__name__}")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_TEXT_BYTES:
        raise SettingError("text", f"is {size:,} bytes; at most {MAX_TEXT_BYTES:,} (1 MB) can be trained on")
    if not text.strip():
        raise SettingError("text", "is empty: paste or upload some text to train on")
    if "\x00" in text or _controls(text) > MAX_CONTROL_SHARE * len(text) or _surrogates(text):
        raise SettingError("text", "looks binary (it holds NUL or control characters), not text")
    if len(text) < MIN_TEXT_CHARS:
        raise SettingError("text", f"is too short: {len(text)} characters; give at least {MIN_TEXT_CHARS}")
    return text


def _controls(text: str) -> int:
    """Control characters (Unicode's Cc) other than tab, newline, CR, VT and FF."""
    return len(_CONTROL.findall(text))


def _surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
