"""The drawing pad's value format ("ink-v1", demo/digits/pad_ink.py) and pad.py's helpers:
encode/decode round trips, a pad's 56x56 ink reads like the full drawing, background pictures
are composited, and every malformed value raises ValueError with a message (never another
exception); a drawing in a link (demo/digits/ink_link.py) round-trips and each malformed
ink= text is refused once, here.  Pure and fast: no browser, no network.

    .venv/bin/python -m pytest -q tests/test_pad.py
"""
import base64
import io
import json
import re
import zlib

import numpy as np
import pytest
from PIL import Image

from demo.digits.pad_ink import INK_FORMAT, MAX_BACKGROUND_CHARS, decode_ink, ink_data_url, ink_value
from demo.digits.pictures import EMPTY_MESSAGE
from demo.digits.preprocess import drawing_to_ink, to_mnist
from demo.digits.sketches import as_form, example_digit, render_strokes, templates

PAD = 420     # the pad's side in CSS px; the JS sends 56x56 cells of it
CELLS = 56


def drawn(digit: int, seed: int = 0) -> np.ndarray:
    """A digit drawn on the pad: uint8 ink (420, 420), the pad's default 15 px brush."""
    rng = np.random.default_rng(10 * seed + digit)
    ink = render_strokes(templates()[digit][0], rng, (PAD, PAD), height=rng.uniform(0.45, 0.8) * PAD,
                         width_px=PAD / 28)
    return (ink * 255).round().astype(np.uint8)


def cells(ink8: np.ndarray, n: int = CELLS) -> np.ndarray:
    """What the pad's JS sends: the canvas's ink area-averaged to n x n."""
    return np.asarray(Image.fromarray(ink8).resize((n, n), Image.Resampling.BOX))


def best_shift_corr(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation allowing a 1-pixel shift (to_mnist rounds the centre of mass to a pixel)."""
    return max(float(np.corrcoef(np.roll(a, (dy, dx), (0, 1)).ravel(), b.ravel())[0, 1])
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))


def png_url(img: Image.Image, fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(buf.getvalue()).decode()


# ---- encoding and decoding --------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(8, 8), (56, 56), (17, 33), (512, 8), (512, 512)])
def test_round_trip_is_exact(shape):
    a = np.random.default_rng(shape[0] * 1000 + shape[1]).integers(0, 256, size=shape, dtype=np.uint8)
    v = ink_value(a)
    assert set(v) == {"format", "width", "height", "data"}
    assert (v["format"], v["width"], v["height"]) == (INK_FORMAT, shape[1], shape[0])
    assert json.loads(json.dumps(v)) == v  # JSON-able as it is
    assert base64.b64decode(v["data"]) == a.tobytes()  # row-major, one byte per cell
    out = decode_ink(v)
    assert out.dtype == np.float32 and out.shape == shape
    np.testing.assert_array_equal((out * 255).round().astype(np.uint8), a)


def test_float_ink_is_scaled_and_small():
    a = np.linspace(0, 1, CELLS * CELLS, dtype=np.float32).reshape(CELLS, CELLS)
    v = ink_value(a)
    np.testing.assert_allclose(decode_ink(v), a, atol=0.5 / 255 + 1e-6)
    assert len(v["data"]) == 4184 and len(json.dumps(v)) < 4300  # a pad value is ~4 kB


@pytest.mark.parametrize("bad", [np.zeros((7, 56)), np.zeros((56, 513)), np.zeros((56, 56, 3)),
                                 np.zeros((56, 56), np.int64), np.full((56, 56), np.nan)])
def test_ink_value_refuses_what_it_cannot_encode(bad):
    with pytest.raises(ValueError, match="ink must be"):
        ink_value(bad)


@pytest.mark.parametrize("digit", range(10))
def test_pad_ink_reads_like_the_full_drawing(digit):
    """56x56 cells of a 420 px drawing give nearly the same MNIST input as the drawing itself."""
    for seed in (0, 1):
        full = drawn(digit, seed)
        a, b = to_mnist(full), to_mnist(ink_value(cells(full)))
        assert best_shift_corr(a, b) > 0.85, (digit, seed)
        assert abs(float(a.sum()) - float(b.sum())) < 0.3 * float(a.sum()), (digit, seed)


def test_pad_ink_reads_as_the_same_digit():
    from demo.digits import load_digit_model
    model = load_digit_model("lstm")
    for digit in range(10):
        pad = model.predict(ink_value(cells(drawn(digit))))
        full = model.predict(drawn(digit))
        assert max(pad, key=pad.get) == max(full, key=full.get) == str(digit)


def test_empty_ink_raises_the_empty_canvas_message():
    for ink in (np.zeros((CELLS, CELLS), np.uint8), np.full((CELLS, CELLS), 20, np.uint8)):  # paper, faint noise
        with pytest.raises(ValueError, match=re.escape(EMPTY_MESSAGE)):
            to_mnist(ink_value(ink))
    blank = ink_value(np.zeros((CELLS, CELLS), np.uint8), background=ink_data_url(np.zeros((40, 40))))
    with pytest.raises(ValueError, match=re.escape(EMPTY_MESSAGE)):
        to_mnist(blank)


# ---- backgrounds -----------------------------------------------------------------------------

def test_background_alone_reads_like_the_picture():
    full = drawn(3)
    v = ink_value(np.zeros((CELLS, CELLS), np.uint8), background=ink_data_url(full))
    assert v["background"].startswith("data:image/png;base64,")
    ink = decode_ink(v)
    assert ink.shape == (CELLS, CELLS)
    np.testing.assert_allclose(ink, cells(full) / 255.0, atol=2 / 255)
    assert best_shift_corr(to_mnist(full), to_mnist(v)) > 0.85


def test_background_and_strokes_are_composited():
    """A 1 drawn on top of a picture of the upper half of an 8 -> both inks, as the union."""
    top = drawn(0)
    top[PAD // 2:] = 0
    stroke = np.zeros((PAD, PAD), np.uint8)
    stroke[200:400, 300:315] = 255
    v = ink_value(cells(stroke), background=ink_data_url(top))
    ink = decode_ink(v)
    np.testing.assert_allclose(ink, np.maximum(cells(top), cells(stroke)) / 255.0, atol=2 / 255)
    union = np.maximum(top, stroke)
    assert best_shift_corr(to_mnist(union), to_mnist(v)) > 0.85


@pytest.mark.parametrize("form", ["dark_on_light", "light_on_dark", "rgb_photo"])
def test_opaque_backgrounds_read_like_uploads(form):
    """A background without alpha (a photo) is read like an upload: polarity from the border."""
    full = drawn(7)
    picture = as_form(full / 255.0, form, np.random.default_rng(0))
    v = ink_value(np.zeros((CELLS, CELLS), np.uint8), background=png_url(picture.convert("RGB"), "JPEG"))
    assert best_shift_corr(to_mnist(full), to_mnist(v)) > 0.8


# ---- malformed values: ValueError with a message, nothing else --------------------------------

def good() -> dict:
    return ink_value(cells(drawn(4)))


def tiny_png(w: int, h: int) -> str:
    return png_url(Image.new("LA", (w, h)))


MALFORMED = {
    "wrong format": (lambda v: {**v, "format": "ink-v2"}, "unknown format"),
    "format not a string": (lambda v: {**v, "format": 1}, "unknown format"),
    "no width": (lambda v: {k: x for k, x in v.items() if k != "width"}, "missing width"),
    "no height": (lambda v: {k: x for k, x in v.items() if k != "height"}, "missing height"),
    "no data": (lambda v: {k: x for k, x in v.items() if k != "data"}, "missing data"),
    "unknown key": (lambda v: {**v, "strokes": []}, "unexpected key"),
    "width float": (lambda v: {**v, "width": 56.0}, "whole number"),
    "width string": (lambda v: {**v, "width": "56"}, "whole number"),
    "width bool": (lambda v: {**v, "width": True}, "whole number"),
    "width None": (lambda v: {**v, "width": None}, "whole number"),
    "width too small": (lambda v: {**v, "width": 7}, "outside 8..512"),
    "height too big": (lambda v: {**v, "height": 513}, "outside 8..512"),
    "negative side": (lambda v: {**v, "width": -56}, "outside 8..512"),
    "huge side": (lambda v: {**v, "width": 10 ** 30}, "outside 8..512"),
    "sides do not fit data": (lambda v: {**v, "width": 28, "height": 28}, "expected 1,048"),
    "data not a string": (lambda v: {**v, "data": list(base64.b64decode(v["data"]))}, "base64 string"),
    "data bytes": (lambda v: {**v, "data": v["data"].encode()}, "base64 string"),
    "data None": (lambda v: {**v, "data": None}, "base64 string"),
    "data short": (lambda v: {**v, "data": v["data"][:-4]}, "characters, expected"),
    "data long": (lambda v: {**v, "data": v["data"] + "AAAA"}, "characters, expected"),
    "data huge": (lambda v: {**v, "data": "A" * 50_000_000}, "characters, expected"),
    "data bad characters": (lambda v: {**v, "data": "!" + v["data"][1:]}, "not valid base64"),
    "data non-ASCII": (lambda v: {**v, "data": "é" + v["data"][1:]}, "not valid base64"),
    "data url-safe alphabet": (lambda v: {**v, "data": "_" + v["data"][1:]}, "not valid base64"),
    "data inner padding": (lambda v: {**v, "data": "AA==" + v["data"][4:]}, "not valid base64"),
    "data with a newline": (lambda v: {**v, "data": v["data"][:-1] + "\n"}, "not valid base64"),
    "background number": (lambda v: {**v, "background": 3}, "data URL string"),
    "background http URL": (lambda v: {**v, "background": "https://example.com/a.png"}, "data:image/png"),
    "background file path": (lambda v: {**v, "background": "/etc/passwd"}, "data:image/png"),
    "background svg": (lambda v: {**v, "background": "data:image/svg+xml;base64,PHN2Zz4="}, "data:image/png"),
    "background bad base64": (lambda v: {**v, "background": "data:image/png;base64,@@@"}, "not valid base64"),
    "background not an image": (lambda v: {**v, "background": "data:image/png;base64," +
                                           base64.b64encode(b"hello world").decode()}, "not an image"),
    "background truncated": (lambda v: {**v, "background": tiny_png(64, 64)[:60]}, "base64|not an image"),
    "background cut short": (lambda v: {**v, "background": "data:image/png;base64," + base64.b64encode(
        base64.b64decode(ink_data_url(drawn(8)).split(",", 1)[1])[:300]).decode()}, "not an image"),
    "background too wide": (lambda v: {**v, "background": tiny_png(2049, 1)}, "2049x1 pixels"),
    "background too long": (lambda v: {**v, "background": "data:image/png;base64," + "A" * MAX_BACKGROUND_CHARS},
                            "over the"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_values_raise_value_error_with_a_message(case):
    mutate, message = MALFORMED[case]
    value = mutate(good())
    for read in (decode_ink, to_mnist, drawing_to_ink):
        with pytest.raises(ValueError) as info:
            read(value)
        text = str(info.value)
        assert re.search(message, text), (case, text)
        assert text.startswith("The drawing could not be read ("), text  # worded for the user


def test_not_a_dict_raises_value_error():
    for value in (None, "ink-v1", [], 3):
        with pytest.raises(ValueError, match="expected a dict"):
            decode_ink(value)


def test_random_garbage_only_ever_raises_value_error():
    """Deterministic fuzz: every key set to values of the wrong type, size or content."""
    rng = np.random.default_rng(7)
    junk = [None, True, 0, -1, 56, 56.5, 1e308, "", "A", "====", "A" * 4184, [], {}, [56], {"a": 1},
            "data:image/png;base64,", "data:image/png;base64,iVBORw0KGgo=", b"\x00" * 8]
    base = good()
    for _ in range(400):
        v = dict(base)
        for key in rng.choice(["format", "width", "height", "data", "background", "x"], size=rng.integers(1, 4)):
            v[str(key)] = junk[rng.integers(len(junk))]
        if rng.random() < 0.3:
            v["format"] = INK_FORMAT
        try:
            to_mnist(v)
        except ValueError as e:
            assert str(e)
        # no other exception type may escape; a valid value may still come through


def test_sketchpad_values_still_work():
    """A Sketchpad/ImageEditor dict (no "format" key) is read as before."""
    full = drawn(2) / 255.0
    editor = as_form(full, "editor_light", np.random.default_rng(0))
    assert best_shift_corr(to_mnist(full), to_mnist(editor)) > 0.95


# ---- pad.py helpers ----------------------------------------------------------------------------

def test_pad_value_from_image_shows_pictures_in_any_form(tmp_path):
    from demo.digits.pad import INK_SIZE, pad_value_from_image
    layer = example_digit(5)  # RGBA sketch layer, 280x280
    path = tmp_path / "five.png"
    Image.fromarray(255 - layer[..., 3]).save(path)  # dark on light, as a file
    reference = to_mnist(layer)
    for picture in (layer, Image.fromarray(layer), path, str(path)):
        v = pad_value_from_image(picture)
        assert (v["format"], v["width"], v["height"]) == (INK_FORMAT, INK_SIZE, INK_SIZE)
        assert v["background"].startswith("data:image/png;base64,")
        assert len(json.dumps(v)) < 40_000
        assert best_shift_corr(reference, to_mnist(v)) > 0.9
        # data alone (what the pad sends once strokes go on top) reads the same as with the picture
        data_only = {k: x for k, x in v.items() if k != "background"}
        assert best_shift_corr(to_mnist(data_only), to_mnist(v)) > 0.95


def test_pad_value_from_image_letterboxes_and_handles_edge_cases():
    from demo.digits.pad import pad_value_from_image
    wide = np.zeros((100, 300), np.uint8)
    wide[40:60, 140:160] = 255  # a blob in the middle of a wide picture
    ink = decode_ink(pad_value_from_image(wide))
    ys, xs = np.nonzero(ink > 0.5)
    assert abs(ys.mean() - 27.5) < 1.5 and abs(xs.mean() - 27.5) < 1.5  # still centred, not stretched
    assert 0.7 < (np.ptp(ys) + 1) / (np.ptp(xs) + 1) < 1.4
    assert pad_value_from_image(None) is None
    with pytest.raises(ValueError, match=re.escape(EMPTY_MESSAGE)):
        to_mnist(pad_value_from_image(np.full((60, 60), 255, np.uint8)))  # blank paper
    small = ink_value(cells(drawn(1)))
    assert pad_value_from_image(small) == small  # an ink value shows as it is
    with pytest.raises(ValueError):
        pad_value_from_image({**small, "width": 3})


def test_drawing_pad_component():
    import gradio as gr

    from demo.digits.pad import drawing_pad
    pad = drawing_pad()
    assert isinstance(pad, gr.HTML) and pad.elem_id == "digit-pad"
    assert 'value="15"' in pad.html_template  # brush = side / 28, as MNIST's pen
    assert "Draw a digit 0-9" in pad.html_template and "Undo" in pad.html_template
    assert "touch-action: none" in pad.css_template
    for needed in ("pointerdown", "pointermove", "pointerup", "devicePixelRatio", 'watch("value"', "props.value ="):
        assert needed in pad.js_on_load
    for bad in ("`", "${", "{{", "\\"):  # gradio evaluates the templates as JS template strings
        assert bad not in pad.html_template and bad not in pad.css_template
    assert 'value="8"' in drawing_pad(size=224).html_template
    with pytest.raises(ValueError):
        drawing_pad(hint="costs ${price}")


# ---------------------------------------------------------------------------------------------
# A drawing in a link (demo/digits/ink_link.py): the ink= codec, each malformed text once, here

def _raw_ink(body: bytes, version=1, w=56, h=56) -> str:
    return base64.urlsafe_b64encode(bytes([version, w, h]) + body).decode().rstrip("=")


def _example_ink(digit: int = 3) -> dict:
    layer = example_digit(digit)[..., 3]
    return ink_value(np.asarray(Image.fromarray(layer).resize((56, 56), Image.Resampling.BOX)))


def test_an_ink_link_round_trips_and_is_short():
    from demo.digits.ink_link import check_ink, decode_ink_param, encode_ink, ink_from_param
    value = _example_ink(3)
    code = encode_ink(value)
    assert 200 < len(code) < 1000 and re.fullmatch(r"[A-Za-z0-9_-]+", code)
    back = ink_from_param(code)
    assert back["format"] == INK_FORMAT and (back["width"], back["height"]) == (56, 56)
    assert np.abs(decode_ink(back) - decode_ink(value)).max() <= 1 / 30 + 1e-6      # 16 levels
    assert encode_ink(back) == code and check_ink(code) == back
    canonical = check_ink({**value, "pad": "p", "seq": 3, "drawing": False})   # the pad's numbering dropped
    assert set(canonical) == {"format", "width", "height", "data"} and encode_ink(canonical) == code
    odd = (np.arange(99).reshape(9, 11) % 7 == 0).astype(np.float32)
    assert decode_ink_param(encode_ink(odd)).shape == (9, 11) and check_ink("") is None and check_ink(None) is None


INK_CASES = [  # the ink= text -> words of its message
    ("!!!notbase64", "not valid urlsafe base64"), ("AAAA", "too short"), ("AAAAA", "length is wrong"),
    (_raw_ink(zlib.compress(bytes(1568)), version=2), "version 2"),
    (_raw_ink(zlib.compress(bytes(1568)), w=200), "sides 8 to 128, got 200x56"),
    (_raw_ink(zlib.compress(bytes(1568)), w=3), "sides"), (_raw_ink(b"not zlib at all"), "corrupt"),
    (_raw_ink(zlib.compress(bytes(1568))[:-6]), "cut short"),
    (_raw_ink(zlib.compress(bytes([0x11]) * 1600)), "longer than its sides say"),
    (_raw_ink(zlib.compress(bytes(2_500_000), 9)), "longer than its sides say"),      # a zip bomb
    (_raw_ink(zlib.compress(bytes(1568))), "the drawing is empty"), ("A" * 5000, "too long"),
]


@pytest.mark.parametrize("text, words", INK_CASES, ids=[w for _, w in INK_CASES])
def test_a_malformed_ink_link_gets_a_message(text, words):
    from demo.digits.ink_link import decode_ink_param
    from demo.errors import UserError
    with pytest.raises(UserError, match=words) as info:
        decode_ink_param(text)
    assert info.value.key.startswith("digits.error.ink_") and info.value.text("zh-CN") != str(info.value)


def test_ink_that_cannot_be_linked_is_refused():
    from demo.digits.ink_link import check_ink, encode_ink
    from demo.errors import UserError
    for bad, words in ((np.zeros((56, 56)), "empty"), (np.ones((200, 56)), "sides"), (np.ones(5), "2-D"),
                       (np.full((9, 9), np.nan), "finite"), ({"format": "ink-v2"}, "format")):
        with pytest.raises(UserError, match=words):
            encode_ink(bad) if not isinstance(bad, dict) else check_ink(bad)
