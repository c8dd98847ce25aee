"""Malformed input through the running app's public API, table-driven, both tabs: /classify
(images, Sketchpad values, the pad's ink values, files, model names), /generate (seeds,
numbers) and /score (pasted text), and one bad link through the page's load event.  Each case
must get a clear message (the expected words, no traceback, not the generic "something went
wrong"), and a good request right after it must still succeed.

    .venv/bin/python -m pytest -q tests/test_bad_inputs.py
"""
import gzip
import json
import struct
import zlib

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from demo.digits.sketches import example_digit

# every case goes through the running app (gradio_client), each followed by a good request
pytestmark = [pytest.mark.server, pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")]

NOT_IMAGE = "not an image"
EMPTY = "empty"
TOO_LARGE = "too large"
SKETCH = "Sketchpad value"
MODEL = "Unknown or unavailable model"
SEED = "Type a seed"
LENGTH = "Length must be"
TEMP = "Temperature must be"
TOPK = "Top-k must be"
RNG = "Random seed must be"
SCORE_SHORT = "at least 2 characters"


def png_header_only(w: int, h: int) -> bytes:
    """A PNG whose header claims w x h pixels and whose data is missing: a decompression-bomb
    shape that must be refused from the header, before anything allocates w*h bytes."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data
                                + struct.pack(">I", zlib.crc32(kind + data)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def write_files(d):
    """Every file case, written once.  Names are the keys of FILE_CASES."""
    seven = example_digit(7)[..., 3]                            # (280, 280) ink
    paper = Image.fromarray(255 - seven, "L")
    paper.save(d / "good.png")
    good_png = (d / "good.png").read_bytes()
    raw = {
        "empty.png": b"",
        "text.png": b"hello, I am not a picture\n",
        "random.png": np.random.default_rng(0).bytes(5000),
        "truncated.png": good_png[: len(good_png) // 3],
        "header_only.png": png_header_only(50_000, 50_000),
        "wrong_magic.png": b"\x89PNX" + good_png[4:],
        "script.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "page.html": b"<html><body><img src=x onerror=alert(1)></body></html>",
        "data.json": json.dumps({"background": None}).encode(),
        "doc.pdf": b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",
        "archive.gz": gzip.compress(good_png),
        "array.npy": b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (28, 28), }",
    }
    for name, data in raw.items():
        (d / name).write_bytes(data)
    Image.new("L", (8000, 8000), 255).save(d / "huge.png", compress_level=1)
    Image.new("L", (1, 1), 0).save(d / "tiny.png")
    Image.new("L", (1, 1), 255).save(d / "tiny_white.png")
    Image.new("L", (300, 300), 255).save(d / "white_paper.png")
    Image.new("L", (300, 300), 0).save(d / "black_paper.png")
    Image.new("RGBA", (300, 300), (0, 0, 0, 0)).save(d / "transparent.png")
    Image.new("L", (9000, 2), 0).save(d / "sliver.png")
    Image.new("RGB", (300, 300), (128, 128, 128)).save(d / "grey.jpg")
    Image.new("F", (64, 64), 0.0).save(d / "float_blank.tif")
    return d


FILE_CASES = {  # uploaded as a plain image: expected words in the message
    "empty.png": NOT_IMAGE, "text.png": NOT_IMAGE, "random.png": NOT_IMAGE,
    "truncated.png": NOT_IMAGE, "header_only.png": TOO_LARGE, "wrong_magic.png": NOT_IMAGE,
    "script.svg": NOT_IMAGE, "page.html": NOT_IMAGE, "data.json": NOT_IMAGE, "doc.pdf": NOT_IMAGE,
    "archive.gz": NOT_IMAGE, "array.npy": NOT_IMAGE, "huge.png": TOO_LARGE, "tiny.png": EMPTY,
    "tiny_white.png": EMPTY, "white_paper.png": EMPTY, "black_paper.png": EMPTY,
    "transparent.png": EMPTY, "sliver.png": EMPTY, "grey.jpg": EMPTY, "float_blank.tif": EMPTY,
}

SKETCH_CASES = {  # /classify payloads that are not images; "FILE:x" is replaced by an upload
    "empty dict": ({}, SKETCH),
    "list": ([1, 2, 3], SKETCH),
    "number": (42, SKETCH),
    "string path": ("/etc/passwd", SKETCH),
    "layers not a list": ({"background": None, "layers": "abc", "composite": None}, "must be a list"),
    "layers of numbers": ({"background": None, "layers": [1, 2], "composite": None}, "Send images as files"),
    "no layers": ({"background": None, "layers": [], "composite": None}, EMPTY),
    "all null": ({"background": None, "layers": [None], "composite": None}, EMPTY),
    "path to server file": ({"path": "/etc/passwd"}, "Send images as files"),
    "blank layer": ({"background": None, "layers": ["FILE:transparent.png"], "composite": None}, EMPTY),
    "text as layer": ({"background": None, "layers": ["FILE:text.png"], "composite": None}, NOT_IMAGE),
    "huge as background": ({"background": "FILE:huge.png", "layers": [], "composite": None}, TOO_LARGE),
}

PAD = "could not be read"
_INK = {"format": "ink-v1", "width": 56, "height": 56, "data": "AAAA" * 1045 + "AA=="}  # 56*56 zero bytes
PAD_CASES = {  # the drawing pad's ink value (demo/digits/pad_ink.py) sent to /classify
    "all zero ink": (_INK, EMPTY),
    "unknown format": ({**_INK, "format": "ink-v2"}, "unknown format"),
    "width as text": ({**_INK, "width": "56"}, "whole number"),
    "width as bool": ({**_INK, "width": True}, PAD),
    "too narrow": ({**_INK, "width": 4}, "outside 8..512"),
    "too wide": ({**_INK, "width": 100_000}, "outside 8..512"),
    "data not base64": ({**_INK, "data": "!!!!" * 1046}, PAD),
    "data too short": ({**_INK, "data": _INK["data"][:-8]}, "expected 4,184"),
    "data too long": ({**_INK, "data": _INK["data"] * 40}, PAD),
    "data missing": ({k: v for k, v in _INK.items() if k != "data"}, "missing data"),
    "data null": ({**_INK, "data": None}, "base64 string"),
    "extra key": ({**_INK, "script": "alert(1)"}, "unexpected key"),
    "background a web URL": ({**_INK, "background": "http://example.com/x.png"}, "data:image"),
    "background not an image": ({**_INK, "background": "data:image/png;base64,aGVsbG8="}, PAD),
    "background huge": ({**_INK, "background": "data:image/png;base64," + "A" * 4_100_000}, PAD),
    "pad id not text": ({**_INK, "pad": 7}, "pad must be"),
    "pad id with markup": ({**_INK, "pad": "<b>x</b>"}, "pad must be"),
    "pad id too long": ({**_INK, "pad": "a" * 33}, "pad must be"),
    "seq negative": ({**_INK, "seq": -1}, "seq must be"),
    "seq fractional": ({**_INK, "seq": 2.5}, "seq must be"),
    "seq as bool": ({**_INK, "seq": True}, "seq must be"),
    "seq huge": ({**_INK, "seq": 2**60}, "seq must be"),
}

MODEL_CASES = {"transformer": MODEL, "rnn2": MODEL, "LSTM ": MODEL, "gpt-4": MODEL}

GENERATE_CASES = [  # (seed, length, temperature, top_k, rng_seed, model) -> message
    (("", 10, 0.8, 0, 0, "lstm"), SEED),
    ((None, 10, 0.8, 0, 0, "lstm"), SEED),
    (("ROMEO<script>", 10, 0.8, 0, 0, "lstm"), "does not know"),
    (("é", 10, 0.8, 0, 0, "lstm"), "does not know"),
    (("🙂 hi", 10, 0.8, 0, 0, "lstm"), "does not know"),
    (("null\x00byte", 10, 0.8, 0, 0, "lstm"), "does not know"),
    (("A" * 25_000, 10, 0.8, 0, 0, "lstm"), "seed"),
    (("T", 0, 0.8, 0, 0, "lstm"), LENGTH),
    (("T", -5, 0.8, 0, 0, "lstm"), LENGTH),
    (("T", 100_000, 0.8, 0, 0, "lstm"), LENGTH),
    (("T", 2.5, 0.8, 0, 0, "lstm"), LENGTH),
    (("T", "ten", 0.8, 0, 0, "lstm"), LENGTH),
    (("T", None, 0.8, 0, 0, "lstm"), LENGTH),
    (("T", 10, -1, 0, 0, "lstm"), TEMP),
    (("T", 10, "nan", 0, 0, "lstm"), TEMP),
    (("T", 10, "inf", 0, 0, "lstm"), TEMP),
    (("T", 10, 1e6, 0, 0, "lstm"), TEMP),
    (("T", 10, 10.5, 0, 0, "lstm"), TEMP),           # just above MAX_TEMPERATURE
    (("T", 10, "hot", 0, 0, "lstm"), TEMP),
    (("T", 10, None, 0, 0, "lstm"), TEMP),
    (("T", 10, 0.8, -1, 0, "lstm"), TOPK),
    (("T", 10, 0.8, 1000, 0, "lstm"), TOPK),
    (("T", 10, 0.8, 2.5, 0, "lstm"), TOPK),
    (("T", 10, 0.8, "x", 0, "lstm"), TOPK),
    (("T", 10, 0.8, 0, -1, "lstm"), RNG),
    (("T", 10, 0.8, 0, 2**70, "lstm"), RNG),
    (("T", 10, 0.8, 0, "abc", "lstm"), RNG),
    (("T", 10, 0.8, 0, 1.5, "lstm"), RNG),
    (("T", 10, 0.8, 0, 0, "gru"), "not in the list of choices"),  # gradio checks the dropdown
    (("T", 10, 0.8, 0, 0, ""), "not in the list of choices"),
]

SCORE_CASES = [  # (text, model) -> message
    (("", "lstm"), SCORE_SHORT),
    (("a", "lstm"), SCORE_SHORT),
    ((None, "lstm"), SCORE_SHORT),
    (("x" * 20_000, "lstm"), "paste at most"),
    (("Grüße aus Köln", "lstm"), "does not know"),
    (("<img src=x onerror=alert(1)>", "lstm"), "does not know"),
    (("ROMEO: hello", "gru"), "no character model"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_files(tmp_path_factory.mktemp("bad"))


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def expect_message(call, words: str) -> None:
    with pytest.raises(Exception) as info:
        call()
    message = str(info.value)
    assert words.lower() in message.lower(), message
    for leak in ("Traceback", "Something went wrong", 'File "', "Error in"):
        assert leak not in message, message


def still_serving(client, files) -> None:
    """A good request of each kind right after a bad one."""
    out = client.predict(handle_file(str(files / "good.png")), "lstm", api_name="/classify")
    assert out["label"] == "7"
    assert len(client.predict("T", 5, 0.8, 0, 0, "lstm", api_name="/generate")) == 5


def test_the_table_is_big_enough():
    n = (len(FILE_CASES) + len(SKETCH_CASES) + len(PAD_CASES) + len(MODEL_CASES) + len(GENERATE_CASES)
         + len(SCORE_CASES))
    assert n >= 80, n


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_bad_file(client, files, name):
    expect_message(lambda: client.predict(handle_file(str(files / name)), "lstm", api_name="/classify"),
                   FILE_CASES[name])
    still_serving(client, files)


def resolve(value, files):
    """Replace "FILE:name" anywhere in a payload by an uploaded file."""
    if isinstance(value, str) and value.startswith("FILE:"):
        return handle_file(str(files / value[5:]))
    if isinstance(value, dict):
        return {k: resolve(v, files) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, files) for v in value]
    return value


@pytest.mark.parametrize("name", sorted(SKETCH_CASES))
def test_bad_sketch_value(client, files, name):
    value, words = SKETCH_CASES[name]
    expect_message(lambda: client.predict(resolve(value, files), "lstm", api_name="/classify"), words)
    still_serving(client, files)


@pytest.mark.parametrize("name", sorted(PAD_CASES))
def test_bad_pad_value(client, files, name):
    value, words = PAD_CASES[name]
    expect_message(lambda: client.predict(value, "lstm", api_name="/classify"), words)
    still_serving(client, files)


@pytest.mark.parametrize("model", sorted(MODEL_CASES))
def test_bad_model_name(client, files, model):
    expect_message(lambda: client.predict(handle_file(str(files / "good.png")), model, api_name="/classify"),
                   MODEL_CASES[model])
    still_serving(client, files)


@pytest.mark.parametrize("args, words", GENERATE_CASES, ids=[repr(a)[:40] for a, _ in GENERATE_CASES])
def test_bad_generate(client, files, args, words):
    expect_message(lambda: client.predict(*args, api_name="/generate"), words)
    still_serving(client, files)


@pytest.mark.parametrize("args, words", SCORE_CASES, ids=[repr(a)[:40] for a, _ in SCORE_CASES])
def test_bad_score(client, files, args, words):
    expect_message(lambda: client.predict(*args, api_name="/score"), words)
    out = client.predict("ROMEO: What light through yonder window breaks?", "lstm", api_name="/score")
    assert 0.5 < out["nats_per_char"] < 4 and len(out["surprise"]) == out["chars"] - 1
    still_serving(client, files)


# ---------------------------------------------------------------------------------------------
# Links.  Malformed links are tested field by field at the codec (tests/test_links.py); here one
# bad link is opened as a page opens it (the load event, through the served app's queue): the
# notice names the bad parameter, the rest of the link is applied, and the app keeps serving.

def open_link(url: str, query: str, lang: str = "en-US") -> dict:
    """The page's load event as a browser at ``url?query`` sends it (gradio's page joins the queue
    with its own query string) -> {elem_id: what the answer sets} (an update's value, or the
    update itself when it sets no value)."""
    import uuid

    import httpx
    config = httpx.get(url + "config", timeout=30).json()
    elem = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    notice = next(i for i, e in elem.items() if e == "link-notice")
    dep = next(d for d in config["dependencies"]
               if any(t[1] == "load" for t in d["targets"]) and notice in d["outputs"])
    session = uuid.uuid4().hex
    with httpx.Client(headers={"accept-language": lang}, timeout=60) as http:
        r = http.post(url + "gradio_api/queue/join?" + query,
                      json={"data": [], "fn_index": dep["id"], "session_hash": session, "event_data": None})
        r.raise_for_status()
        with http.stream("GET", url + "gradio_api/queue/data", params={"session_hash": session}) as events:
            for line in events.iter_lines():
                msg = json.loads(line[5:]) if line.startswith("data:") else {}
                if msg.get("msg") == "process_completed":
                    assert msg.get("success"), msg
                    answer = {}
                    for i, v in zip(dep["outputs"], msg["output"]["data"]):
                        if isinstance(v, dict) and v.get("__type__") == "update" and "value" in v:
                            v = v["value"]
                        if elem.get(i) and not (isinstance(v, dict) and v == {"__type__": "update"}):
                            answer[elem[i]] = v
                    return answer
    raise AssertionError("the load event did not answer")


@pytest.mark.parametrize("lang, words", [
    ("en-US", "Link parameter t: Step t must be from 1 to 28"),
    ("zh-CN,zh;q=0.9", "链接参数 t：第 t 步必须在 1 到 28 之间"),
])
def test_a_bad_link_names_the_bad_field_and_opens_the_rest(app_url, client, files, lang, words):
    out = open_link(app_url, "t=99&model=gru&unit=5&tab=text&clamp=c25%20%3D%202", lang)
    notice = out["link-notice"]
    assert words in notice, notice
    for leak in ("Traceback", "Something went wrong", "<"):
        assert leak not in notice, notice
    assert out["digit-model"] == "gru" and out["digit-unit"] == 5 and out["text-clamp"] == "c25 = 2"
    assert out["tabs"]["selected"] == "text"
    t = out.get("digit-t", {})                   # the bad step is dropped: the slider keeps its value
    assert isinstance(t, dict) and "value" not in t, t     # (a Chinese page gets its label)
    still_serving(client, files)


@pytest.fixture(scope="module")
def built_app():
    from demo.app import build_app
    return build_app().rnn_lens


def fake_request(query: str, lang: str = "en-US"):
    """What gradio hands the load handler: the query as starlette parses it, and the headers."""
    from types import SimpleNamespace

    from starlette.datastructures import QueryParams
    return SimpleNamespace(query_params=QueryParams(query), headers={"accept-language": lang},
                           session_hash="bad-links")


def test_good_link_restores_the_view(built_app):
    out = built_app.on_load(fake_request("model=gru&t=10&unit=5&ablate=3&digit=7&tab=text&seed=KING%3A%0A&len=80"))
    d, x = built_app.tabs["digits"].c, built_app.tabs["text"].c
    assert out[built_app.notice] == ""
    assert out[d["model"]] == "gru" and out[d["t"]] == 10 and out[d["unit"]] == 5 and out[d["ablate"]] == "3"
    assert out[d["caption"]].startswith("**Row 10 of 28.** The GRU")
    assert "Ablating unit (3)" in out[d["difference"]]
    assert out[built_app.tabs_row]["selected"] == "text"
    assert out[x["seed"]] == "KING:\n" and out[x["length"]] == 80
    assert x["temperature"] not in out and x["model"] not in out   # what the link does not name is left alone


def test_a_chinese_page_gets_the_text_tab_and_the_pad_in_chinese(built_app):
    """A zh-CN browser: the load sends the pad's words and the Text tab's formatted words in
    Chinese; the switch is followed by the Text tab's relanguage, with the page's language last."""
    import re
    cjk = re.compile(r"[\u4e00-\u9fff]")
    out = built_app.on_load(fake_request("", "zh-CN,zh;q=0.9"))
    d, x = built_app.tabs["digits"].c, built_app.tabs["text"].c
    assert out[d["pad"]]["words"]["undo"] == "撤销" and out[d["pad"]]["__type__"] == "update"
    assert cjk.search(out[x["length"]]["info"]) and cjk.search(out[x["temperature"]]["info"])
    assert cjk.search(out[x["units_table"]]) and cjk.search(out[x["conn_legend"]])
    # the model list in Chinese: 唐诗's when its weights are there (the zh-CN default), else Shakespeare's
    tang = "tang" in built_app.tabs["text"].lab.models
    assert cjk.search(out[x["temperature_md"]]) and ("唐诗" if tang else "普通 RNN") in str(out[x["model"]]["choices"])
    assert cjk.search(out[x["hmap"]]["label"])   # a hover heatmap's label, registered by hand
    assert built_app.on_load(fake_request("", "en-US")).get(x["conn_legend"]) is None   # English: as built
    relanguage = [fn for fn in built_app.demo.fns.values()
                  if fn.fn is not None and getattr(inspect_unwrap(fn.fn), "__name__", "") == "relanguage"]
    assert len(relanguage) == 1 and relanguage[0].inputs[-1] is built_app.lang
    from demo.text.handlers import RELANGUAGE_VIEWS
    assert {id(c) for c in relanguage[0].outputs} == {id(x[n]) for n in RELANGUAGE_VIEWS}
    replot = [fn for fn in built_app.demo.fns.values()
              if fn.fn is not None and getattr(inspect_unwrap(fn.fn), "__name__", "") == "replot"]
    assert len(replot) == 1 and [c._id for c in replot[0].outputs] == [x["conn_plot"]._id]


def test_a_chinese_page_opens_the_digits_tab_in_chinese(built_app):
    """On a Chinese page's load the Digits tab's curves and maps' titles are in Chinese, and a
    link's own maps keep theirs (the switch re-renders the views: tests/test_digits_events.py)."""
    d = built_app.tabs["digits"].c
    load = built_app.on_load(fake_request("", "zh-CN,zh;q=0.9"))
    assert load[d["curves"]]["color"] == "模型" and load[d["panels.0"]]["label"] == "i：输入门"
    gru = built_app.on_load(fake_request("model=gru&digit=7", "zh-CN,zh;q=0.9"))
    assert gru[d["panels.0"]]["label"].startswith("r：重置门") and gru[d["panels.3"]]["visible"] is False
    assert "图片是如何被读取的" in gru[d["reading"]]["value"]


def inspect_unwrap(fn):
    import inspect
    return inspect.unwrap(fn)
