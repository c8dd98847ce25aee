"""Digit models: shapes, trace, checkpoint I/O, to_mnist on every input form, training smoke runs
and the shipped weights."""
import json
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from demo.cells import GATES, HAS_CELL_STATE
from demo.checkpoint import WeightsError, save_weights
from demo.digits import CONFIGS, build_model, load_digit_model, model_args, to_mnist
from demo.digits.controls import MODEL_NAMES
from demo.digits.pictures import EMPTY_MESSAGE
from demo.digits.sketches import as_form, example_digit, random_drawing, render_strokes, templates

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"lstm": 0.992, "gru": 0.992, "rnn": 0.980, "bilstm": 0.994, "peephole": 0.993}


def tiny_weights(tmp_path, cell="lstm", name=None):
    torch.manual_seed(0)
    cfg = {**CONFIGS[cell], "hidden": 16}
    net = build_model(cfg).eval()
    save_weights(tmp_path / f"digits_{name or cell}", net.state_dict(),
                 {"kind": "digits", "config": model_args(cfg)})
    return net


@pytest.mark.parametrize("cfg", sorted(CONFIGS))
def test_model_shapes(cfg):
    net = build_model(CONFIGS[cfg])
    assert net(torch.rand(3, 28, 28)).shape == (3, 10)
    if cfg == "teaching":  # the tutorial's model: LSTM 64, head 64 -> 32 -> ReLU -> 10
        assert net.rnn.hidden_size == 64 and [m.__class__.__name__ for m in net.head] == ["Linear", "ReLU", "Linear"]
        assert net.head[0].out_features == 32


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_trace_matches_predict_and_torch(tmp_path, name):
    net = tiny_weights(tmp_path, name)
    model = load_digit_model(name, tmp_path)
    cell, D = CONFIGS[name]["cell"], 2 if CONFIGS[name].get("bidirectional") else 1
    assert (model.cell, model.directions, model.hidden) == (cell, D, 16 * D)
    img = example_digit(7)
    trace = model.trace(img)
    probs = model.predict(img)
    assert len(trace) == 28 and [s["t"] for s in trace] == list(range(1, 29))
    last = trace[-1]["probs"]
    assert all(abs(last[k] - probs[k]) < 1e-5 for k in probs)
    assert abs(sum(probs.values()) - 1) < 1e-5
    assert trace["probs"].shape == (28, 10) and np.allclose(trace["probs"].sum(1), 1, atol=1e-5)
    # h_t of the trace equals the torch module's output at every step (both ways: in step
    # order, the backward direction's columns after rows 28..29-t)
    x = torch.from_numpy(to_mnist(img))[None]
    with torch.no_grad():
        out, _ = net.rnn(net.normalise(x))  # (1, 28, D*16)
        stepped = net.after_each_step(out)[0].numpy()  # (28, D*16)
    assert trace["h"].shape == (28, 16 * D) and np.allclose(trace["h"], stepped, atol=1e-5)
    if D == 2:
        assert np.allclose(trace["h"][-1, 16:], out[0, 0, 16:].numpy(), atol=1e-5)  # backward after row 1
        assert np.allclose(trace["h"][0, 16:], out[0, -1, 16:].numpy(), atol=1e-5)  # ... after row 28 alone
    assert np.allclose(trace[9]["row"], to_mnist(img)[9])
    assert set(trace[0]["gates"]) == set(GATES[cell])
    assert ("c" in trace[0]) == (cell in HAS_CELL_STATE)


def test_checkpoint_round_trip_and_strict_errors(tmp_path):
    net = tiny_weights(tmp_path, "gru")
    model = load_digit_model("gru", tmp_path)
    x = torch.rand(4, 28, 28)
    assert torch.equal(model.logits(x), net.eval()(x))
    with pytest.raises(WeightsError) as e:  # missing file: names it and the command that makes it
        load_digit_model("lstm", tmp_path)
    assert "digits_lstm.safetensors" in str(e.value) and "train_digits.py --config lstm" in str(e.value)
    meta_path = tmp_path / "digits_gru.json"
    meta = json.loads(meta_path.read_text())
    meta["config"]["hidden"] = 32  # config no longer fits the tensors
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(WeightsError, match="shape mismatches"):
        load_digit_model("gru", tmp_path)
    meta["config"]["hidden"], meta["config"]["layers"] = 16, 3
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(WeightsError, match="missing keys"):
        load_digit_model("gru", tmp_path)
    with open(tmp_path / "digits_gru.safetensors", "r+b") as f:  # damaged tensors file
        f.seek(-4, 2)
        f.write(b"\0\0\0\0")
    with pytest.raises(WeightsError, match="checksum"):
        load_digit_model("gru", tmp_path)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_weights_json_from_before_bidirectional_loads_one_way(tmp_path, cell):
    """The shipped LSTM, GRU and RNN were written before DigitRNN took ``bidirectional``: a
    config without the key is a one-way model, not a refused file."""
    net = tiny_weights(tmp_path, cell)
    js = tmp_path / f"digits_{cell}.json"
    meta = json.loads(js.read_text())
    assert meta["config"].pop("bidirectional") is False
    js.write_text(json.dumps(meta))
    model = load_digit_model(cell, tmp_path)
    assert not model.net.bidirectional and model.directions == 1 and model.hidden == 16
    x = torch.rand(3, 28, 28)
    with torch.no_grad():
        assert torch.allclose(model.logits(x), net.eval()(x), atol=1e-6)


# ---- to_mnist -------------------------------------------------------------------------------

def _ink(digit=3, canvas=(300, 300), height=200, width=18, center=(150, 150), seed=0):
    return render_strokes(templates()[digit][0], np.random.default_rng(seed), canvas, height=height,
                          width_px=width, center=center)


def _close(a, b, tol=0.08):
    return np.abs(a - b).mean() < tol


def test_to_mnist_accepts_every_form():
    ink = _ink()
    rng = np.random.default_rng(0)
    ref = to_mnist(Image.fromarray((ink * 255).astype(np.uint8)))
    assert ref.shape == (28, 28) and ref.dtype == np.float32 and ref.min() >= 0 and ref.max() <= 1
    a8 = (ink * 255).astype(np.uint8)
    forms = [as_form(ink, f, rng) for f in ("layer", "dark_on_light", "light_on_dark", "editor_light",
                                            "editor_dark", "rgb_photo")]
    forms += [a8, 255 - a8, ink, np.dstack([255 - a8] * 3), np.dstack([a8] * 4),  # (H,W), floats, RGB, RGBA
              Image.fromarray(255 - a8).convert("P"), Image.fromarray(255 - a8).convert("CMYK"),
              Image.fromarray(a8).convert("1"), Image.fromarray((ink * 60000).astype(np.uint16)),
              Image.fromarray(255 - a8).convert("LA"), ink[..., None]]
    for f in forms:
        assert _close(to_mnist(f), ref), type(f)


def test_to_mnist_reads_file_paths_and_editor_values(tmp_path):
    ink = _ink(5)
    ref = to_mnist(ink)
    layer = np.zeros((*ink.shape, 4), np.uint8)
    layer[..., 3] = (ink * 255).astype(np.uint8)
    Image.fromarray(layer, "RGBA").save(tmp_path / "layer.png")
    assert _close(to_mnist(str(tmp_path / "layer.png")), ref)
    grey = np.full((*ink.shape, 4), 39, np.uint8)  # dark theme: dark grey composite, white pen
    grey[..., 3] = 255
    value = {"background": grey, "layers": [str(tmp_path / "layer.png")], "composite": grey}
    assert _close(to_mnist(value), ref)


def test_to_mnist_invariances():
    ref = to_mnist(_ink())
    assert abs(ref.sum() - 100) < 60  # about MNIST's typical ink mass
    moved = to_mnist(_ink(canvas=(900, 600), center=(120, 480)))          # small offset canvas
    small = to_mnist(_ink(canvas=(800, 800), height=60, width=5, center=(700, 90)))  # tiny, in a corner
    big = to_mnist(_ink(canvas=(1000, 1000), height=900, width=80, center=(500, 500)))
    thin = to_mnist(_ink(width=2))                                        # hairline pen
    thick = to_mnist(_ink(width=45))                                      # marker
    inverted = to_mnist(1 - _ink())
    for other in (moved, small, big, thin, thick, inverted):
        assert _close(other, ref, 0.1)
    # centre of mass lands at (14, 14) and the digit fits a 20x20 box
    ys, xs = np.indices(ref.shape)
    assert abs((ys * ref).sum() / ref.sum() - 14) < 1 and abs((xs * ref).sum() / ref.sum() - 14) < 1
    rows, cols = np.nonzero(ref.any(1))[0], np.nonzero(ref.any(0))[0]
    assert rows[-1] - rows[0] + 1 <= 21 and cols[-1] - cols[0] + 1 <= 21


@pytest.mark.parametrize("blank", [
    np.zeros((200, 200)), np.full((200, 200, 3), 255, np.uint8), np.zeros((50, 50, 4), np.uint8),
    Image.new("RGB", (300, 300), "white"), None,
    {"background": np.full((80, 80, 4), 255, np.uint8), "layers": [np.zeros((80, 80, 4), np.uint8)],
     "composite": np.full((80, 80, 4), 255, np.uint8)},
    {"background": None, "layers": [], "composite": None}])
def test_blank_drawing_raises_friendly_error(blank):
    # exactly this message: the app shows it as a hint instead of an error popup
    with pytest.raises(ValueError) as info:
        to_mnist(blank)
    assert str(info.value) == EMPTY_MESSAGE


@pytest.mark.parametrize("bad", ["no/such/file.png", object(), np.zeros((3, 3, 7)), np.array([np.nan] * 9).reshape(3, 3),
                                 {"layers": "x"}, np.array(["a", "b"])])
def test_bad_inputs_raise_value_error(bad):
    with pytest.raises(ValueError):
        to_mnist(bad)


def test_not_an_image_file(tmp_path):
    p = tmp_path / "fake.png"
    p.write_text("hello, I am not a PNG")
    with pytest.raises(ValueError, match="not an image"):
        to_mnist(str(p))


# ---- training ---------------------------------------------------------------------------------

def write_idx(folder: Path, n_train=160, n_test=40):
    """A tiny MNIST in torchvision's raw layout, made of drawn digits."""
    raw = folder / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n) % 10
        imgs = np.stack([to_mnist(random_drawing(int(d), rng, "light_on_dark")) for d in labels])
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
            struct.pack(">IIII", 2051, n, 28, 28) + (imgs * 255).astype(np.uint8).tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, n) + labels.astype(np.uint8).tobytes())


def run_train(args, cwd, **kw):
    env = {**os.environ, "RNN_LENS_CHECKPOINTS": str(cwd / "ck")}
    return subprocess.run([sys.executable, str(ROOT / "training" / "train_digits.py"), *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120, **kw)


@pytest.mark.server   # runs the training script in a process of its own (~30-50 s)
def test_training_smoke_writes_weights_and_eval_recomputes(tmp_path):
    write_idx(tmp_path / "data")
    out = tmp_path / "w" / "digits_gru"
    r = run_train(["--config", "gru", "--hidden", "16", "--max-steps", "2", "--batch-size", "16",
                   "--val-size", "20", "--workers", "0", "--data-dir", str(tmp_path / "data"), "--out", str(out)],
                  tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    meta = json.loads(out.with_suffix(".json").read_text())
    for key in ("config", "normalisation", "metrics", "history", "data", "device", "wall_time_s", "command"):
        assert key in meta
    assert meta["command"].startswith("python training/train_digits.py --config gru")
    assert len(meta["data"]["sha256"]) == 4 and meta["training"]["steps"] == 2
    model = load_digit_model("gru", out.parent)
    assert model.net.rnn.hidden_size == 16
    r = subprocess.run([sys.executable, str(ROOT / "training" / "eval_digits.py"), "--weights", str(out),
                        "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert f"{meta['metrics']['test_acc']:.4f}" in r.stdout.splitlines()[-1]


@pytest.mark.server   # runs the training script in a process of its own (~30-50 s)
def test_sigterm_leaves_resumable_checkpoint_and_no_weights(tmp_path):
    write_idx(tmp_path / "data", n_train=400)
    out = tmp_path / "w" / "digits_rnn"
    args = ["--config", "rnn", "--hidden", "16", "--epochs", "400", "--batch-size", "16", "--val-size", "20",
            "--workers", "0", "--data-dir", str(tmp_path / "data"), "--out", str(out)]
    env = {**os.environ, "RNN_LENS_CHECKPOINTS": str(tmp_path / "ck")}
    proc = subprocess.Popen([sys.executable, str(ROOT / "training" / "train_digits.py"), *args], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while not list((tmp_path / "ck").glob("digits_rnn-*.pt")) and time.time() < deadline:
        time.sleep(0.1)
    # the first checkpoint is written inside the training's GracefulStop: SIGTERM is handled now
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, output[-2000:]
    (ckpt,) = (tmp_path / "ck").glob("digits_rnn-*.pt")
    assert "--resume" in output
    assert not out.with_suffix(".safetensors").exists() and not list(out.parent.glob("*.tmp"))
    done = torch.load(ckpt, weights_only=False)["epoch"]
    r = run_train([*args[:5], str(done + 1), *args[6:], "--resume"], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"resumed from {ckpt}" in r.stdout
    meta = json.loads(out.with_suffix(".json").read_text())
    assert [h["epoch"] for h in meta["history"]] == list(range(1, done + 2))


# ---- shipped weights --------------------------------------------------------------------------

@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shipped_weights_classify_drawn_digits(name):
    model = load_digit_model(name)
    # a small download: the largest, the BiLSTM (2 x 128 units each way, float32), is 2.2 MB
    assert (ROOT / "weights" / f"digits_{name}.safetensors").stat().st_size <= 2_500_000
    clean = [max(p := model.predict(example_digit(d)), key=p.get) for d in range(10)]
    assert clean == [str(d) for d in range(10)]
    rng = np.random.default_rng(123)
    hits = sum(max(p := model.predict(random_drawing(d, rng)), key=p.get) == str(d)
               for d in range(10) for _ in range(6))
    assert hits >= 54, f"{name}: {hits}/60 drawn digits right"


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shipped_accuracy_on_test_images(name, data_dir):
    """Recomputed on all 10,000 test images: above the target, and what the JSON claims."""
    from torchvision import datasets
    test = datasets.MNIST(str(data_dir), train=False, download=False)
    model = load_digit_model(name)
    hits = sum(int((model.logits(test.data[i:i + 2000].float() / 255.0).argmax(1)
                    == test.targets[i:i + 2000]).sum()) for i in range(0, 10_000, 2000))
    acc = hits / 10_000
    assert acc >= TARGETS[name], f"{name}: {acc:.4f}"
    assert abs(acc - model.meta["metrics"]["test_acc"]) < 1e-4, (acc, model.meta["metrics"]["test_acc"])


def test_digit_value_holds_the_inputs_bytes_and_refuses_bad_input():
    """The input view's value (demo/digits/input_view.js draws render.digit_image from it): the
    input's bytes as digit_image truncates them, the scale, the step; bad input raises."""
    import base64

    from demo import render
    x = np.linspace(0, 1, 28 * 28, dtype=np.float32).reshape(28, 28)
    v = render.digit_value(x, 4, t=12, alt="row 12")
    g8 = np.frombuffer(base64.b64decode(v["ink"]), np.uint8).reshape(28, 28)
    assert (v["format"], v["width"], v["height"], v["scale"], v["t"], v["alt"]) == ("digit-v1", 28, 28, 4, 12, "row 12")
    assert np.array_equal(g8, (x * 255).astype(np.uint8))
    img = render.digit_image(x, 4, t=12)
    assert np.array_equal(img[:44:4, ::4, 0], g8[:11])                           # rows before t as they are
    assert np.array_equal(img[48::4, ::4, 0], (g8[12:] * 0.25 + 20).astype(np.uint8))  # later rows dimmed
    assert (img[44] == render.ACCENT).all() and (img[47] == render.ACCENT).all()       # row t framed
    assert render.digit_value(x, 4)["t"] is None
    for bad, words in [((np.zeros(5), 4, None), "2-D"), ((x, 0, None), "scale"), ((x, 2.5, None), "scale"),
                       ((x, 4, 29), "t must be"), ((x, 4, True), "t must be")]:
        with pytest.raises(ValueError, match=words):
            render.digit_value(*bad)
