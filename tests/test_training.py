"""The training side of the self-describing checkpoints and the shared loop (training.loop): a
digit model retrained with other pixel statistics is loaded with them, a weights JSON that does
not describe its model is refused, a BiLSTM's "bidirectional" survives the JSON, dry runs write
nothing, the digits trainer resumes exactly from a stop inside an epoch, the checkpoints hold
every optimiser, scheduler and scaler state, and the scripts run as files from any folder and as
modules.  Synthetic data only: runs in seconds without ../shared."""
import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from demo.checkpoint import FORMAT_VERSION, WeightsError
from demo.digits import DigitModel, DigitRNN, load_digit_model, model_args
from demo.digits.model import MNIST_MEAN, MNIST_STD
from training import loop
from training import train_digits as td
from training.common import checkpoint_path

# the training scripts run in processes of their own
pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent


def write_mnist(folder: Path, n_train: int = 120, n_test: int = 40, seed: int = 0) -> Path:
    """A tiny MNIST in torchvision's raw layout: a bright bar whose row encodes the label."""
    raw = folder / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n) % 10
        imgs = rng.integers(0, 60, (n, 28, 28), dtype=np.uint8)
        for i, d in enumerate(labels):
            imgs[i, 4 + 2 * d:6 + 2 * d, 6:22] = 255
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, n, 28, 28) + imgs.tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, n) + labels.astype(np.uint8).tobytes())
    return folder


@pytest.fixture(scope="module")
def mnist(tmp_path_factory) -> Path:
    return write_mnist(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module", autouse=True)
def checkpoints_in_tmp(tmp_path_factory):
    """Every run's resumable checkpoint in a temporary folder, never in checkpoints/."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNN_LENS_CHECKPOINTS", str(tmp_path_factory.mktemp("ck")))
        yield


def digits_args(data: Path, out: Path, *extra: str) -> list[str]:
    return ["--config", "quick", "--hidden", "12", "--batch-size", "16", "--val-size", "20", "--epochs", "2",
            "--workers", "0", "--data-dir", str(data), "--out", str(out), *extra]


def test_retrained_statistics_reach_the_app(mnist, tmp_path):
    out = tmp_path / "w" / "digits_stats"
    meta = td.main(digits_args(mnist, out, "--mean", "0.5", "--std", "0.25", "--max-steps", "3"))
    stored = json.loads(out.with_suffix(".json").read_text())
    assert stored["kind"] == "digits" and stored["format_version"] == FORMAT_VERSION
    assert stored["config"] == dict(cell="lstm", hidden=12, layers=1, head_hidden=0, dropout=0.0, bidirectional=False,
                                    mean=0.5, std=0.25)
    assert stored["normalisation"]["mean"] == 0.5 and stored["normalisation"]["std"] == 0.25
    assert stored["command"].startswith("python training/train_digits.py --config quick")
    assert "--mean 0.5" in stored["command"] and meta["training"]["steps"] == 3
    for key in ("metrics", "history", "data", "device", "wall_time_s", "weights_sha256"):
        assert key in stored
    assert len(stored["data"]["sha256"]) == 4

    model = load_digit_model("stats", out.parent)
    assert (model.net.mean, model.net.std) == (0.5, 0.25)
    # the same weights behind MNIST's statistics read the drawing differently
    default = DigitRNN(**model_args(stored["config"]))
    assert (default.mean, default.std) == (MNIST_MEAN, MNIST_STD)
    default.load_state_dict(model.net.state_dict())
    x = torch.rand(4, 28, 28)
    with torch.no_grad():
        assert not torch.allclose(model.net(x), default.eval()(x), atol=1e-4)
    image = np.zeros((28, 28), np.float32)
    image[6:22, 12:15] = 1.0  # a "1"
    mine, other = model.predict(image), DigitModel(default, {}).predict(image)
    assert max(abs(mine[k] - other[k]) for k in mine) > 1e-4


@pytest.mark.parametrize("config, says", [("bilstm", "lstm bidirectional hidden=128 layers=2"),
                                          ("peephole", "peephole hidden=128 layers=2")])
def test_dry_run_of_the_new_configs_runs_and_writes_nothing(mnist, tmp_path, capsys, config, says):
    out = tmp_path / "w" / f"digits_{config}"
    assert td.main(["--config", config, "--dry-run", "--batch-size", "16", "--val-size", "20", "--workers", "0",
                    "--data-dir", str(mnist), "--out", str(out)]) is None
    printed = capsys.readouterr().out
    assert says in printed and "dry run finished: 2 steps" in printed and "nothing written" in printed
    assert not out.parent.exists() and not checkpoint_path(out).exists()


def test_bidirectional_config_round_trips_through_the_weights_json(mnist, tmp_path):
    """--config bilstm stores bidirectional: true; load_digit_model rebuilds the two-way net from
    it (build_strict: every constructor argument named) and the same logits come out."""
    out = tmp_path / "digits_both"
    td.main(digits_args(mnist, out, "--config", "bilstm", "--drawn", "0", "--max-steps", "2"))
    js = out.with_suffix(".json")
    stored = json.loads(js.read_text())
    assert stored["config"] == dict(cell="lstm", hidden=12, layers=2, head_hidden=0, dropout=0.1, bidirectional=True,
                                    mean=MNIST_MEAN, std=MNIST_STD)
    assert "--config bilstm" in stored["command"]
    model = load_digit_model("both", tmp_path)
    assert model.net.bidirectional and (model.directions, model.hidden) == (2, 24)
    assert model.net.head[0].in_features == 24 and "rnn.weight_hh_l1_reverse" in model.net.state_dict()
    fresh = DigitRNN(**stored["config"])
    fresh.load_state_dict(load_file(out.with_suffix(".safetensors")))
    x = torch.rand(4, 28, 28)
    with torch.no_grad():
        assert torch.equal(model.logits(x), fresh.eval()(x))
    # a JSON that forgets the key describes a one-way net: the reverse tensors do not fit it
    stored["config"].pop("bidirectional")
    js.write_text(json.dumps(stored))
    with pytest.raises(WeightsError, match="weight_ih_l0_reverse"):
        load_digit_model("both", tmp_path)


@pytest.fixture(scope="module")
def trained(mnist, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("w") / "digits_tiny"
    td.main(digits_args(mnist, out, "--max-steps", "1"))
    return out



@pytest.mark.parametrize("change, says", [
    (lambda m: m.update(kind="char"), "holds 'char' weights, not 'digits'"),
    (lambda m: m.pop("kind"), "holds None weights"),
    (lambda m: m.update(format_version=FORMAT_VERSION + 1), f"format version {FORMAT_VERSION + 1}"),
    (lambda m: m.pop("format_version"), "format version None"),
    (lambda m: m.pop("config"), "no 'config'"),
    pytest.param(lambda m: m["config"].pop("mean"), "missing ['mean']"),
    pytest.param(lambda m: m["config"].pop("head_hidden"), "missing ['head_hidden']"),
    pytest.param(lambda m: m["config"].update(input="28 rows"), "unknown ['input']"),
], ids=["kind", "no-kind", "version", "no-version", "no-config", "no-mean", "no-head", "unknown-key"])
def test_weights_json_that_does_not_describe_its_model_is_refused(trained, tmp_path, change, says):
    for suffix in (".safetensors", ".json"):
        shutil.copy(trained.with_suffix(suffix), tmp_path / f"digits_bad{suffix}")
    js = tmp_path / "digits_bad.json"
    meta = json.loads(js.read_text())
    change(meta)
    js.write_text(json.dumps(meta))
    with pytest.raises(WeightsError) as e:
        load_digit_model("bad", tmp_path)
    assert says in str(e.value) and str(js) in str(e.value)
    assert "python training/train_digits.py --config bad" in str(e.value)


@pytest.mark.parametrize("config", ["gru", "peephole", "bilstm"])
def test_digits_stop_inside_an_epoch_resumes_exactly(mnist, tmp_path, config):
    # 100 training images, batches of 16: 6 steps an epoch, 12 in all; augmentation and dropout
    # draw from the RNGs, so only restoring them all gives the same weights
    common = ["--config", config, "--drawn", "0", "--layers", "2", "--dropout", "0.2", "--seed", "4"]
    td.main(digits_args(mnist, tmp_path / "digits_whole", *common))
    parts = tmp_path / "digits_parts"
    with pytest.raises(SystemExit) as e:
        td.main(digits_args(mnist, parts, *common, "--stop-after-steps", "8"))
    assert e.value.code == 130 and not parts.with_suffix(".safetensors").exists()
    ck = torch.load(checkpoint_path(parts), weights_only=False)
    assert (ck["epoch"], ck["batch"], ck["step"]) == (1, 2, 8)
    assert {"model", "opt", "sched", "scaler", "rng", "model_args"} <= set(ck)
    assert ck["sched"]["last_epoch"] == 8
    resumed = td.main(digits_args(mnist, parts, *common, "--resume"))
    a = load_file(tmp_path / "digits_whole.safetensors")
    b = load_file(parts.with_suffix(".safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert [h["step"] for h in resumed["history"]] == [6, 12]


def test_stepper_checkpoint_keeps_every_state_across_devices(tmp_path):
    """save_checkpoint/load_checkpoint round-trip: model, optimiser, scheduler and scaler states,
    read onto the CPU; a scaler saved with AMP is restored where AMP runs, ignored where not."""
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    stepper = loop.Stepper(net, opt, torch.device("cpu"), clip=1.0, sched=sched)
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    for _ in range(3):
        stepper.step(lambda: (torch.nn.functional.mse_loss(net(x), y), None))
    loop.save_checkpoint(tmp_path / "a.pt", stepper, step=3)
    assert not list(tmp_path.glob("*.tmp"))
    ck = loop.load_checkpoint(tmp_path / "a.pt")
    assert ck["step"] == 3 and ck["scaler"] == {} and ck["sched"]["last_epoch"] == 3

    net2 = torch.nn.Linear(3, 2)
    opt2 = torch.optim.AdamW(net2.parameters(), lr=0.1)
    sched2 = torch.optim.lr_scheduler.StepLR(opt2, 1, gamma=0.5)
    other = loop.Stepper(net2, opt2, torch.device("cpu"), clip=1.0, sched=sched2)
    loop.resume(other, {**ck, "scaler": {"scale": 1024.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                         "growth_interval": 2000, "_growth_tracker": 7}})
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), net2.parameters()))
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] and sched2.last_epoch == 3
    assert torch.equal(opt2.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    with pytest.raises(SystemExit, match="no checkpoint"):
        loop.load_checkpoint(tmp_path / "missing.pt")


@pytest.mark.parametrize("script", ["train_digits", "train_char_rnn", "eval_digits", "find_units"])
def test_scripts_run_from_any_folder_as_files_and_modules(script, tmp_path):
    cmds = [[sys.executable, str(ROOT / "training" / f"{script}.py"), "--help"]]
    if script.startswith("train_"):
        cmds.append([sys.executable, "-m", f"training.{script}", "--help"])
    for cmd in cmds:
        r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "usage:" in r.stdout, r.stderr[-2000:]


def test_no_sys_path_edits_left():
    files = [*ROOT.glob("training/*.py"), *ROOT.glob("benchmarks/*.py"), *ROOT.glob("scripts/*.py"),
             ROOT / "tests" / "conftest.py", ROOT / "tests" / "test_train_char.py"]
    offenders = [str(f.relative_to(ROOT)) for f in files
                 if "sys.path.insert" in f.read_text() or "sys.path[:0]" in f.read_text()]
    assert offenders == []
