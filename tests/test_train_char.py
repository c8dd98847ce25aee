"""training/train_char_rnn.py on tiny corpora: it learns, it stops and resumes exactly, and it
refuses bad input with a clear message.  Everything runs in a temporary folder."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from demo.text import load_char_model
from training import train_char_rnn as tc

# the training script runs in a process of its own
pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent


def args_for(tmp_path, text, name, *extra):
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    return ["--text", str(path), "--out", str(tmp_path / f"char_{name}"), "--checkpoint", str(tmp_path / f"{name}.pt"),
            "--time-budget", "0", "--sample-every", "0", *extra]


def test_tiny_model_learns_a_repeated_string(tmp_path):
    text = "hello world! " * 300
    meta = tc.main(args_for(tmp_path, text, "hello", "--cell", "lstm", "--hidden", "32", "--layers", "1",
                            "--dropout", "0", "--seq-len", "32", "--batch-size", "16", "--max-steps", "150",
                            "--lr", "1e-2", "--warmup", "10", "--eval-every", "50"))
    assert meta["metrics"]["val_loss"] < 0.05
    assert [h["step"] for h in meta["history"]] == [50, 100, 150]
    assert meta["data"]["train_chars"] == int(len(text) * 0.9) and meta["vocab"] == sorted(set(text))
    assert meta["training"]["tokens_seen"] == 150 * 16 * 32
    model = load_char_model("hello", weights_dir=tmp_path)
    assert model.loss("hello world! hello world!") < 0.3
    assert model.generate("hello", 20, temperature=0) == " world! hello world!"


def test_interrupt_and_resume_gives_identical_weights(tmp_path):
    text = "".join(f"{i} bottles of beer on the wall, take one down.\n" for i in range(99, 0, -1))
    common = ["--cell", "lstm", "--hidden", "24", "--layers", "2", "--dropout", "0.3", "--seq-len", "20",
              "--batch-size", "8", "--max-steps", "30", "--warmup", "5", "--eval-every", "10", "--seed", "3"]
    whole = tc.main(args_for(tmp_path, text, "whole", *common))
    with pytest.raises(SystemExit) as e:
        tc.main(args_for(tmp_path, text, "parts", *common, "--stop-after-steps", "17"))
    assert e.value.code == 130 and (tmp_path / "parts.pt").is_file()
    assert not (tmp_path / "char_parts.safetensors").exists()
    resumed = tc.main(args_for(tmp_path, text, "parts", *common, "--resume"))
    a, b = load_file(tmp_path / "char_whole.safetensors"), load_file(tmp_path / "char_parts.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    strip = lambda h: [{k: v for k, v in r.items() if k != "wall_s"} for r in h]
    assert strip(whole["history"]) == strip(resumed["history"])


def test_sigterm_leaves_a_resumable_checkpoint(tmp_path):
    args = args_for(tmp_path, "to be or not to be, that is the question. " * 100, "term",
                    "--hidden", "16", "--layers", "1", "--seq-len", "16", "--batch-size", "4",
                    "--max-steps", "1000000", "--eval-every", "5")
    proc = subprocess.Popen([sys.executable, str(ROOT / "training" / "train_char_rnn.py"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while not (tmp_path / "term.pt").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "--resume" in out
    ck = torch.load(tmp_path / "term.pt", weights_only=False)
    assert ck["step"] >= 5 and {"model", "opt", "rng", "batch_rng", "history"} <= set(ck)


def test_dry_run_writes_nothing(tmp_path):
    assert tc.main(args_for(tmp_path, "abcdefgh" * 100, "dry", "--hidden", "8", "--layers", "1",
                            "--seq-len", "8", "--dry-run")) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt"]


def test_learning_rate_schedule():
    cfg = dict(lr=1e-3, warmup=10, max_steps=110, time_budget=0)
    assert tc.lr_at(0, 0, cfg) == pytest.approx(1e-4)
    assert tc.lr_at(9, 0, cfg) == pytest.approx(1e-3)
    assert tc.lr_at(60, 0, cfg) == pytest.approx(0.55e-3)
    assert tc.lr_at(110, 0, cfg) == pytest.approx(1e-4)
    # with a time budget the decay follows whichever limit is nearer
    assert tc.lr_at(20, 100.0, {**cfg, "time_budget": 100}) == pytest.approx(1e-4)
    assert tc.lr_at(20, 50.0, {**cfg, "max_steps": 0, "time_budget": 100}) == pytest.approx(0.55e-3)


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(SystemExit, match="too short"):
        tc.main(args_for(tmp_path, "short text", "short", "--seq-len", "64", "--max-steps", "1"))
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café".encode("latin-1"))
    with pytest.raises(SystemExit, match="not UTF-8"):
        tc.main(["--text", str(bad), "--max-steps", "1", "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit, match="no text file"):
        tc.main(["--text", str(tmp_path / "missing.txt"), "--max-steps", "1", "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit, match="no checkpoint"):
        tc.main(args_for(tmp_path, "abc" * 100, "none", "--seq-len", "8", "--max-steps", "1", "--resume"))
