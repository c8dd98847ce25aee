"""/classify (demo.digits.api, wired by demo.digits.events) through a server: the Digits tab
served alone, called with gradio_client, including bad uploads that must get a clear message
while the server keeps serving; and the app's own upload cap and port.

    .venv/bin/python -m pytest -q tests/test_digits_classify.py
"""
import os
import socket

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from demo.digits.controls import MODEL_NAMES
from demo.digits.sketches import example_digit
from tests.test_app_digits import sketch

pytestmark = [pytest.mark.server, pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Project-drawn good inputs and a zoo of bad ones, written once."""
    d = tmp_path_factory.mktemp("uploads")
    seven = example_digit(7)                        # (280, 280, 4) transparent stroke layer
    ink = seven[..., 3]                             # strokes as brightness
    paper = Image.fromarray(255 - ink, "L")         # dark digit on white paper
    Image.fromarray(seven, "RGBA").save(d / "layer7.png")
    paper.save(d / "paper7.png")
    Image.fromarray(np.zeros((420, 420, 4), np.uint8), "RGBA").save(d / "blank.png")
    Image.new("L", (8000, 8000), 255).save(d / "huge.png", compress_level=1)
    Image.new("L", (1, 1), 0).save(d / "tiny.png")
    paper.convert("P").save(d / "mode_P.png")
    Image.fromarray(np.dstack([np.zeros_like(ink), ink]), "LA").save(d / "mode_LA.png")
    Image.fromarray(ink.astype(np.uint16) * 257).save(d / "mode_I16.png")  # I;16, white on black
    paper.convert("CMYK").save(d / "mode_CMYK.jpg")
    frames = [paper.convert("P"), Image.fromarray(255 - example_digit(1)[..., 3], "L").convert("P")]
    frames[0].save(d / "animated.gif", save_all=True, append_images=frames[1:], duration=200, loop=0)
    (d / "text.png").write_text("this is not an image\n")
    return d


@pytest.fixture(scope="module")
def client():
    from demo.digits.events import build
    from demo.ui_common import QUEUE
    with gr.Blocks() as demo:
        build(None, gr.State("en"))
    demo.queue(**QUEUE)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                            show_error=False, ssr_mode=False)
    yield Client(url, verbose=False)
    demo.close()


def classify(client, value, model=None):
    return client.predict(value, model, api_name="/classify")


def test_classify_pad_value(client):
    out = classify(client, sketch(example_digit(4)), "gru")
    assert (out["label"], out["model"]) == ("4", "gru")


def test_classify_sketch_value(client, files):
    value = {"background": None, "layers": [handle_file(str(files / "layer7.png"))], "composite": None}
    out = classify(client, value)
    assert out["label"] == "7" and out["model"] == "lstm"
    assert abs(sum(c["confidence"] for c in out["confidences"]) - 1) < 1e-4


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_classify_plain_upload(client, files, model):
    out = classify(client, handle_file(str(files / "paper7.png")), model)
    assert (out["label"], out["model"]) == ("7", model)


# Valid images in odd forms are read (animations: the first frame); the rest get a message.
ODD_BUT_VALID = {"mode_P.png": "7", "mode_LA.png": "7", "mode_I16.png": "7", "mode_CMYK.jpg": "7",
                 "animated.gif": "7"}
BAD = {"huge.png": "too large", "tiny.png": "empty", "blank.png": "empty", "text.png": "not an image",
       "not-a-model": "Unknown or unavailable model"}


@pytest.mark.parametrize("name", sorted(ODD_BUT_VALID))
def test_odd_image_modes(client, files, name):
    assert classify(client, handle_file(str(files / name)))["label"] == ODD_BUT_VALID[name]


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_gets_a_message_and_server_keeps_serving(client, files, name):
    if name == "not-a-model":
        call = lambda: classify(client, handle_file(str(files / "paper7.png")), "transformer")  # noqa: E731
    elif name == "blank.png":  # a cleared canvas, as a Sketchpad value
        call = lambda: classify(client, {"background": None, "layers": [handle_file(str(files / name))],  # noqa: E731
                                         "composite": None})
    else:
        call = lambda: classify(client, handle_file(str(files / name)))  # noqa: E731
    with pytest.raises(Exception) as info:
        call()
    message = str(info.value)
    assert BAD[name].lower() in message.lower(), message
    assert "Traceback" not in message and "Something went wrong" not in message
    assert classify(client, handle_file(str(files / "paper7.png")))["label"] == "7"


def test_raw_strings_are_not_read_as_server_paths(client):
    with pytest.raises(Exception, match="Expected an image file|Send images as files"):
        classify(client, "/etc/passwd")


def test_the_app_caps_upload_size_and_takes_its_port_from_the_environment(tmp_path):
    """gradio_client refuses big files itself; a raw upload must be refused by the app's server
    (demo.app.launch) before any decoding.  The port comes from GRADIO_SERVER_PORT, as on a Space."""
    import httpx

    from demo.app import build_app, launch
    (tmp_path / "big.png").write_bytes(os.urandom(11_000_000))
    demo = build_app()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    saved = dict(os.environ)
    os.environ["GRADIO_SERVER_PORT"] = str(port)
    try:
        _, url, _ = launch(demo, prevent_thread_lock=True, quiet=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        assert f":{port}" in url
        r = httpx.post(url.rstrip("/") + "/gradio_api/upload",
                       files={"files": ("big.png", (tmp_path / "big.png").read_bytes(), "image/png")})
        assert r.status_code == 413, r.text
    finally:
        demo.close()
