"""Weights I/O: ``NAME.safetensors`` (tensors, no pickle) beside ``NAME.json`` (config, vocabulary,
normalisation, metrics, data checksums and the command that made them).

Writes are atomic (temp file + ``os.replace``) and the JSON records the SHA-256 of the tensors
file, so a reader never sees half a file or a mismatched pair.  The JSON also records a ``kind``
("digits" or "char"), a ``format_version`` and a ``config`` that is exactly the model
constructor's keyword arguments (normalisation included).  Loading is strict and checks all
three: a missing file, a wrong kind or version, a config that does not name every constructor
argument, or a tensor mismatch raises ``WeightsError`` naming the file and the command that
rebuilds it: a key of demo/i18n (``app.error.*``) and its fields, so the page says it in its own
language (``str(e)`` is the English).
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from demo.errors import Text

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
FORMAT_VERSION = 1  # bump when the JSON's meaning changes; loading refuses any other version


class WeightsError(RuntimeError):
    """Weights are missing, damaged, or do not fit the model they are loaded into: ``key`` of
    demo/i18n and its ``fields`` (as demo.errors.UserError; not a ValueError: bad input is not
    the reason).  ``str()`` is the English message; ``text(lang)`` the message in ``lang``."""

    def __init__(self, key: str, **fields):
        self.key, self.fields = key, fields
        self.message = Text(key, **fields)
        super().__init__(self.message.text())

    def text(self, lang: str | None = None) -> str:
        return self.message.text(lang)

    def __reduce__(self):   # across processes with its key and fields
        return (_rebuild, (type(self), self.key, self.fields))


def _rebuild(cls, key, fields):
    return cls(key, **fields)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def atomic_write(path: Path, write) -> None:
    """``write(tmp_path)``, then rename over ``path``: an interrupted write never replaces a good
    file.  Used for weights, JSON and training checkpoints alike."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; weights are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_weights(stem: Path, state_dict: dict[str, torch.Tensor], meta: dict) -> tuple[Path, Path]:
    """Write ``stem.safetensors`` and ``stem.json`` atomically; returns both paths."""
    stem = Path(stem)
    st_path, js_path = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in state_dict.items()}
    atomic_write(st_path, lambda tmp: save_file(tensors, tmp, metadata={"format": "pt"}))
    meta = {**meta, "format_version": FORMAT_VERSION, "weights_file": st_path.name, "weights_sha256": sha256_file(st_path),
            "num_parameters": int(sum(t.numel() for t in tensors.values()))}

    def write_json(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=2, ensure_ascii=False)
            f.write("\n")

    atomic_write(js_path, write_json)
    return st_path, js_path


def load_weights(stem: Path, make_command: str, kind: str) -> tuple[dict[str, torch.Tensor], dict]:
    """Read a weights pair written for ``kind`` ("digits" or "char") in this FORMAT_VERSION.
    ``make_command`` is the command that creates it, quoted in errors."""
    stem = Path(stem)
    st_path, js_path = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    for p in (st_path, js_path):
        if not p.is_file():
            raise WeightsError("app.error.weights_missing", path=str(p), command=make_command)
    try:
        meta = json.loads(js_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise WeightsError("app.error.weights_unreadable", path=str(js_path), error=str(e), command=make_command) from e
    if not isinstance(meta, dict) or meta.get("kind") != kind:
        found = meta.get("kind") if isinstance(meta, dict) else None
        raise WeightsError("app.error.weights_kind", path=str(js_path), found=repr(found), kind=repr(kind),
                           command=make_command)
    if meta.get("format_version") != FORMAT_VERSION:
        raise WeightsError("app.error.weights_version", path=str(js_path), found=repr(meta.get("format_version")),
                           version=FORMAT_VERSION, command=make_command)
    if not isinstance(meta.get("config"), dict):
        raise WeightsError("app.error.weights_config", path=str(js_path), command=make_command)
    want = meta.get("weights_sha256")
    if want and sha256_file(st_path) != want:
        raise WeightsError("app.error.weights_checksum", path=str(st_path), name=js_path.name, command=make_command)
    try:
        state = load_file(st_path)
    except Exception as e:  # safetensors raises its own error types for damaged files
        raise WeightsError("app.error.weights_unreadable", path=str(st_path), error=str(e), command=make_command) from e
    return state, meta


def load_lookup_pair(stem: Path, weights_sha256: str | None, fields, make_command: str, what: str):
    """A derived lookup beside the weights: ``stem.npz`` (arrays) + ``stem.json`` (what made it,
    and the SHA-256 of the weights it was made for).  Returns (arrays, meta); WeightsError naming
    the file and ``make_command`` when a file is missing or damaged, when it was made for other
    weights (``what``: whose), or when it lacks one of ``fields``."""
    import numpy as np
    npz, js = Path(stem).with_suffix(".npz"), Path(stem).with_suffix(".json")
    for p in (npz, js):
        if not p.is_file():
            raise WeightsError("app.error.file_missing", path=str(p), command=make_command)
    try:
        meta = json.loads(js.read_text(encoding="utf-8"))
        with np.load(npz) as f:
            arrays = {k: f[k] for k in f.files}
    except (OSError, ValueError) as e:
        raise WeightsError("app.error.lookups_unreadable", path=str(npz), name=js.name, error=str(e),
                           command=make_command) from e
    if weights_sha256 and meta.get("weights_sha256") != weights_sha256:
        raise WeightsError("app.error.lookups_other", path=str(js), what=what, command=make_command)
    missing = [f for f in fields if f not in arrays]
    if missing:
        raise WeightsError("app.error.lookups_lacks", path=str(npz), fields=str(missing), command=make_command)
    return arrays, meta


def build_strict(cls, args: dict, source: str, make_command: str, **extra):
    """``cls(**args, **extra)`` where ``args`` must name every constructor argument exactly: a
    missing or unknown one is a WeightsError (a default silently filled in could mis-normalise)
    naming the file and the command that rebuilds it."""
    params = set(inspect.signature(cls).parameters) - set(extra)
    missing, unknown = sorted(params - set(args)), sorted(set(args) - params)
    if missing or unknown:
        raise WeightsError("app.error.config_mismatch", path=source, name=cls.__name__, missing=str(missing),
                           unknown=str(unknown), command=make_command)
    return cls(**args, **extra)


def load_state_strict(module: torch.nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """``load_state_dict(strict=True)`` with a message that says which file does not fit."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [Text("app.error.fit_shape", name=k, file=tuple(state[k].shape), model=tuple(own[k].shape))
              for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(Text("app.error.fit_missing", keys=str(missing)))
        if unexpected:
            parts.append(Text("app.error.fit_unexpected", keys=str(unexpected)))
        if shapes:
            parts.append(Text("app.error.fit_shapes", shapes=shapes))
        raise WeightsError("app.error.weights_fit", path=source, parts=parts)
    module.load_state_dict(state, strict=True)
