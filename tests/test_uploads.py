"""Uploads: large pictures are reduced in their own integer type before any float conversion
(transparent ones too), read as before, and /classify reads files in a worker thread while its
model runs in the event loop (demo/digits/api.py)."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from demo.digits import analysis, api, pad_ink, pictures, preprocess
from demo.digits.model import load_digit_model
from demo.digits.photos import TEST_SEED, render_photo
from demo.digits.sketches import example_digit
from tests.conftest import run_coroutine


@pytest.fixture(scope="module")
def models():
    return {"lstm": load_digit_model("lstm"), "gru": load_digit_model("gru")}


def big_drawing(side: int, mode: str = "RGBA") -> Image.Image:
    """A transparent drawing of a 7 filling half of a `side` px square canvas."""
    ink = Image.fromarray(example_digit(7)[..., 3]).resize((side // 2, side // 2), Image.Resampling.BILINEAR)
    alpha = Image.new("L", (side, side), 0)
    alpha.paste(ink, (side // 4, side // 4))
    img = Image.new(mode, (side, side), 0)
    img.putalpha(alpha)
    return img


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_a_large_transparent_picture_is_reduced_and_reads_as_a_small_one(tmp_path, models, mode):
    path = tmp_path / "big.png"
    big_drawing(2400, mode).save(path)
    with Image.open(path) as img:
        img.load()
        a = pictures.pil_to_array(img)
    assert max(a.shape[:2]) <= 2 * pictures.PHOTO_WORK and a.shape[2] == len(mode)
    small = tmp_path / "small.png"
    big_drawing(600, mode).save(small)
    x_big, x_small = preprocess.to_mnist(path), preprocess.to_mnist(small)
    assert np.corrcoef(x_big.ravel(), x_small.ravel())[0, 1] > 0.98
    assert analysis.classify(models, "lstm", path)["label"] == "7"


def test_an_opaque_rgba_photo_reads_as_its_rgb_twin(tmp_path):
    """Premultiplied reduction: an RGBA picture with no transparency is read as the same RGB."""
    photo = render_photo(4, np.random.default_rng(TEST_SEED), "pen", (2600, 1950)).convert("RGB")
    photo.save(tmp_path / "rgb.png", compress_level=1)
    photo.convert("RGBA").save(tmp_path / "rgba.png", compress_level=1)
    assert np.array_equal(preprocess.to_mnist(tmp_path / "rgb.png"), preprocess.to_mnist(tmp_path / "rgba.png"))


def test_a_reduced_picture_is_turned_by_its_exif_orientation(tmp_path):
    """The orientation is read before the reduction and applied after it: the same pixels as a
    picture stored upright."""
    rng = np.random.default_rng(0)
    stored = Image.fromarray(rng.integers(0, 256, (1280, 2560), np.uint8), "L")  # reduced by 5, exactly
    exif = stored.getexif()
    exif[0x0112] = 6
    stored.save(tmp_path / "turned.png", exif=exif)
    stored.transpose(Image.Transpose.ROTATE_270).save(tmp_path / "upright.png")
    with Image.open(tmp_path / "turned.png") as turned, Image.open(tmp_path / "upright.png") as upright:
        a, b = pictures.pil_to_array(turned), pictures.pil_to_array(upright)
    assert a.shape == b.shape == (512, 256) and np.array_equal(a, b)


def test_classify_reads_files_in_a_thread_and_answers_as_before(tmp_path, models, monkeypatch):
    path = tmp_path / "seven.png"
    Image.fromarray(example_digit(7), "RGBA").save(path)
    upload = {"path": str(path), "meta": {"_type": "gradio.FileData"}}
    ink = pad_ink.ink_value(example_digit(4)[..., 3])
    threads = []

    def reading(value):
        threads.append(threading.current_thread())
        return preprocess.to_mnist(value)

    monkeypatch.setattr(api, "to_mnist", reading)
    classify = api.classifier(models, "lstm")

    async def in_loop(*args):
        """(the event loop's thread, the answer)"""
        return threading.current_thread(), await classify(*args)

    loop, answer = run_coroutine(in_loop(upload))
    assert answer == analysis.classify(models, "lstm", str(path))
    assert threads.pop() is not loop  # the file: in a worker thread
    loop, answer = run_coroutine(in_loop(ink, "gru"))
    assert answer == analysis.classify(models, "gru", ink)
    assert threads.pop() is loop  # the pad's ink: at once, in the loop
    with pytest.raises(ValueError):
        run_coroutine(classify(upload, "transformer"))
    assert threads == []  # an unknown model is refused before anything is read
