"""Links that reopen a view (demo/links.py): round trips, the size of an encoded drawing, the
app's names and limits, and a table of malformed links, each refused with a message that names
the parameter (strict) or turned into the default view plus that message (strict=False)."""
import base64
import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from demo import links
from demo.links import DEFAULTS, decode_state, encode_ink, encode_state

ROOT = Path(__file__).resolve().parent.parent


def example_ink(d: int) -> dict:
    from demo.digits.pad import pad_value_from_image
    from demo.digits.sketches import example_digit
    return pad_value_from_image(example_digit(d))


def ink_of(value: dict) -> np.ndarray:
    from demo.digits.preprocess import decode_ink
    return decode_ink(value)


def raw_ink(body: bytes, version=1, w=56, h=56) -> str:
    return base64.urlsafe_b64encode(bytes([version, w, h]) + body).decode().rstrip("=")


# ---------------------------------------------------------------------------------------------
# Round trips

def test_defaults_encode_to_nothing_and_back():
    assert encode_state({}) == ""
    assert encode_state(dict(DEFAULTS)) == ""
    assert decode_state("") == DEFAULTS
    assert decode_state("?") == DEFAULTS
    assert decode_state(None) == DEFAULTS
    assert decode_state({}) == DEFAULTS


STATES = [
    {"tab": "digits", "model": "gru", "t": 10, "unit": 17, "order": "influence"},
    {"ablate": (3, 4, 5, 17, 40), "gate": "f", "gate_value": 0.0, "from_row": 10, "blank_rows": (1, 2, 3, 28)},
    {"model": "rnn", "digit": "7", "lang": "zh-CN", "lesson": "first"},
    {"tab": "text", "text_model": "rnn", "seed": "ROMEO:\nBut soft & what? 50% #1 +x=y\t",
     "length": 1234, "temperature": 0.35, "top_k": 5, "rng_seed": None, "text_unit": 7, "text_t": 44},
    {"tab": "text", "text_state": "c", "text_unit": 25, "text_clamp": "c25 = -2.5", "text_ablate": "h7, c204",
     "seed": "第一行\n", "lesson": "text", "lang": "en"},
    {"model": "lstm", "gate": "i", "gate_value": 0.35, "t": 1, "rng_seed": 4294967295, "temperature": 0,
     "top_k": 65, "length": 5000},
]


@pytest.mark.parametrize("state", STATES)
def test_round_trip(state):
    q = encode_state(state)
    assert q == encode_state(links.check_state(state))          # canonical
    back = decode_state(q)
    assert back == links.check_state(state)
    assert back == {**DEFAULTS, **{k: (tuple(v) if isinstance(v, list) else v) for k, v in state.items()}}
    for form in ("?" + q, "http://127.0.0.1:7860/?" + q + "#top", "https://x.org/app/?" + q):
        assert decode_state(form) == back
    from urllib.parse import parse_qs
    assert decode_state(parse_qs(q, keep_blank_values=True)) == back   # lists of one
    from starlette.datastructures import QueryParams
    assert decode_state(QueryParams(q)) == back                           # gr.Request.query_params


def test_the_query_is_readable_and_in_a_fixed_order():
    q = encode_state({"t": 10, "model": "gru", "ablate": [40, 41, 42, 3, 17], "tab": "digits", "lang": "zh-CN"})
    assert q == "lang=zh-CN&model=gru&t=10&ablate=3,17,40-42"
    assert encode_state({"seed": "a b&c", "rng_seed": None}) == "seed=a%20b%26c&rng="
    assert decode_state("seed=a+b")["seed"] == "a b"                   # form encoding too


def test_a_drawing_round_trips_within_one_level_and_fits_in_a_url():
    sizes = []
    for d in range(10):
        v = example_ink(d)
        code = encode_ink(v)
        sizes.append(len(code))
        assert re.fullmatch(r"[A-Za-z0-9_-]+", code)
        back = decode_state({"ink": code})["ink"]
        assert back["format"] == "ink-v1" and (back["width"], back["height"]) == (56, 56)
        assert np.abs(ink_of(back) - ink_of(v)).max() <= 1 / 30 + 1e-6   # 16 levels
        # The model reads the same digit from the link's drawing
        from demo.digits.preprocess import to_mnist
        assert np.abs(to_mnist(back) - to_mnist(v)).max() < 0.1
        q = encode_state({"ink": v, "model": "gru", "t": 12})
        assert len(q) <= 1500, (d, len(q))
    assert max(sizes) <= 1000 and np.mean(sizes) <= 700, sizes


def test_drawing_from_arrays_and_the_worst_case():
    a = np.zeros((56, 56), np.float32)
    a[10:40, 20:30] = 1.0
    code = encode_ink(a)
    assert np.array_equal(links.decode_ink_param(code) > 0, a > 0)
    assert encode_ink((a * 255).astype(np.uint8)) == code
    noise = np.random.default_rng(0).random((56, 56))                # incompressible: still decodes
    code = encode_ink(noise)
    assert len(code) < links.MAX_VALUE
    assert np.abs(links.decode_ink_param(code) / 255 - noise).max() <= 1 / 30 + 1e-6
    odd = np.ones((9, 11))                                            # odd cell count
    assert links.decode_ink_param(encode_ink(odd)).shape == (9, 11)
    with pytest.raises(ValueError, match="empty"):
        encode_ink(np.zeros((56, 56)))
    with pytest.raises(ValueError, match="sides"):
        encode_ink(np.ones((200, 56)))
    with pytest.raises(ValueError, match="not both"):
        encode_state({"ink": example_ink(3), "digit": "3"})


def test_gradio_parameters_are_left_alone():
    assert decode_state("__theme=dark&t=5")["t"] == 5


def test_lenient_decoding():
    state, problems = decode_state("t=99&model=gru", strict=False)
    assert state == DEFAULTS and len(problems) == 1 and problems[0].startswith("Link parameter t:")
    state, problems = decode_state("t=99&model=gru", strict=False, partial=True)
    assert state == {**DEFAULTS, "model": "gru"} and len(problems) == 1
    state, problems = decode_state("tmodel=rnn&state=c&t=4", strict=False, partial=True)
    assert (state["text_model"], state["text_state"], state["t"]) == ("rnn", "h", 4)
    assert "state" in problems[0]
    assert decode_state("t=5", strict=False) == ({**DEFAULTS, "t": 5}, [])
    assert decode_state(12345, strict=False)[0] == DEFAULTS            # never raises


def test_controls_name_the_tabs_attributes():
    c = links.controls({"ablate": (3, 4, 5, 17), "gate": None, "text_state": "c", "text_clamp": "c25 = 2"})
    assert c["digits"]["ablate"] == "3-5, 17" and c["digits"]["gate"] == "none"
    assert c["text"]["which"] == "c" and c["text"]["clamp_box"] == "c25 = 2"
    digits = (ROOT / "demo/digits/tab.py").read_text(encoding="utf-8")
    text = (ROOT / "demo/text/tab.py").read_text(encoding="utf-8")
    for attr in c["digits"]:
        if attr not in ("digit", "ink"):   # those go to the pad
            assert f"self.{attr} = " in digits, attr
    for attr in c["text"]:
        assert f"self.{attr} = " in text, attr
    assert "`" not in links.COPY_LINK_JS


def test_the_codec_knows_the_apps_names():
    from demo.digits import units
    from demo.digits.analysis import STEPS
    from demo.digits.interventions import GATE_NAMES, MAX_NUMBERS
    from demo.lessons import load_presets
    assert links.STEPS == STEPS and links.MAX_NUMBERS == MAX_NUMBERS
    assert set(links.ORDERS) == set(units.ORDERS)
    assert set(links.GATES) == set(GATE_NAMES)
    assert all((ROOT / "examples" / f"digit_{d}.png").is_file() for d in links.EXAMPLE_DIGITS)
    from demo.digits.tab import MODEL_NAMES
    from demo.text.tab import CHAR_MODELS
    from demo.text.tab import DEFAULTS as TEXT_DEFAULTS
    assert set(links.DIGIT_MODELS) == set(MODEL_NAMES) and set(links.TEXT_MODELS) == set(CHAR_MODELS)
    assert {k: DEFAULTS[k] for k in TEXT_DEFAULTS} == TEXT_DEFAULTS
    for name in load_presets():
        assert decode_state(f"lesson={name}")["lesson"] == name


# ---------------------------------------------------------------------------------------------
# Malformed links: each refused with a message naming the parameter

def _truncated_ink() -> str:
    code = encode_ink(example_ink(3))
    return code[:len(code) // 2 - (len(code) // 2) % 4]


BAD = [
    # (query, words the message must contain)
    ("ink=!!!notbase64", ["ink", "base64"]),
    ("ink=AAAA", ["ink", "too short"]),
    ("ink=AAAAA", ["ink", "length"]),
    (f"ink={raw_ink(zlib.compress(bytes(1568)), version=2)}", ["ink", "version 2"]),
    (f"ink={raw_ink(zlib.compress(bytes(1568)), w=200)}", ["ink", "sides", "200x56"]),
    (f"ink={raw_ink(zlib.compress(bytes(1568)), w=3)}", ["ink", "sides"]),
    (f"ink={raw_ink(b'not zlib at all')}", ["ink", "corrupt"]),
    (f"ink={_truncated_ink()}", ["ink", "cut short"]),
    (f"ink={raw_ink(zlib.compress(bytes([0x11]) * 1600))}", ["ink", "longer than its sides say"]),
    (f"ink={raw_ink(zlib.compress(bytes(2_500_000), 9))}", ["ink", "longer than its sides say"]),   # a zip bomb
    (f"ink={raw_ink(zlib.compress(bytes(1568)))}", ["ink", "empty"]),
    ("ink=" + "A" * 5000, ["ink", "too long"]),
    ("foo=1", ["unknown parameter 'foo'", "known: tab"]),
    ("%ZZ=1", ["unknown parameter '%ZZ'"]),
    ("t=99", ["Link parameter t:", "from 1 to 28", "99"]),
    ("t=0", ["Link parameter t:", "from 1 to 28"]),
    ("t=1e999", ["Link parameter t:", "whole number"]),
    ("t=" + "9" * 30, ["Link parameter t:", "from 1 to 28"]),
    ("t=１０", ["Link parameter t:", "whole number"]),                     # full-width digits
    ("t=1_0", ["Link parameter t:", "whole number"]),
    ("t=2.5", ["Link parameter t:", "whole number"]),
    ("t=1&t=2", ["Link parameter t:", "twice"]),
    ("unit=-1", ["Link parameter unit:", "from 0 to"]),
    ("unit=99999", ["Link parameter unit:", "from 0 to 4,095"]),
    ("temp=nan", ["Link parameter temp:", "Temperature must be a number from 0 to 10"]),
    ("temp=11", ["Link parameter temp:", "Temperature must be a number from 0 to 10", "11"]),
    ("temp=-0.5", ["Link parameter temp:", "Temperature"]),
    ("len=0", ["Link parameter len:", "Length must be from 1 to 5,000"]),
    ("len=99999999999999999999", ["Link parameter len:", "Length must be from 1 to 5,000"]),
    ("rng=-5", ["Link parameter rng:", "Random seed must be from 0"]),
    ("rng=4294967296", ["Link parameter rng:", "Random seed must be from 0 to 4,294,967,295"]),
    ("topk=1.5", ["Link parameter topk:", "Top-k must be a whole number"]),
    ("topk=999", ["Link parameter topk:", "Top-k must be from 0 to 256"]),
    ("model=transformer", ["Link parameter model:", "must be one of lstm, gru, rnn", "'transformer'"]),
    ("model=LSTM", ["Link parameter model:", "must be one of"]),
    ("tab=%3Cscript%3Ealert(1)%3C/script%3E", ["Link parameter tab:", "must be one of digits, text", "&lt;script&gt;"]),
    ("tab=digits%00", ["Link parameter tab:", "must be one of"]),
    ("order=random", ["Link parameter order:", "index, influence, clustered"]),
    ("gate=q", ["Link parameter gate:", "i, f, g, o, r, z, n"]),
    ("gv=2", ["Link parameter gv:", "from 0 to 1"]),
    ("gv=inf", ["Link parameter gv:", "from 0 to 1"]),
    ("from=29", ["Link parameter from:", "From row must be from 1 to 28"]),
    ("ablate=1-99999", ["Link parameter ablate:", "out of range"]),
    ("ablate=1,,x", ["Link parameter ablate:", "'x' is not a number"]),
    ("ablate=0-600", ["Link parameter ablate:", "at most 512"]),
    ("ablate=1;DROP%20TABLE", ["Link parameter ablate:", "'DROP' is not a number"]),
    ("blank=0", ["Link parameter blank:", "out of range: use 1 to 28"]),
    ("digit=12", ["Link parameter digit:", "must be one of 0, 1"]),
    (f"digit=3&ink={encode_ink(np.ones((56, 56)))}", ["Link parameter ink:", "not both"]),
    ("tmodel=gpt", ["Link parameter tmodel:", "lstm, rnn"]),
    ("tmodel=rnn&state=c", ["Link parameter state:", "'h' for the RNN"]),
    ("state=x", ["Link parameter state:", "one of h, c"]),
    ("tunit=1e6", ["Link parameter tunit:", "from 0 to 4,095"]),
    ("tt=0", ["Link parameter tt:", "from 1 to 5,000"]),
    ("seed=", ["Link parameter seed:", "Type a seed"]),
    ("seed=%00abc", ["Link parameter seed:", "control character (U+0000)"]),
    ("seed=%E2%80%AEevil", ["Link parameter seed:", "invisible", "U+202E"]),
    ("seed=%FF%FE", ["not valid UTF-8"]),
    ("seed=" + "a" * 1001, ["Link parameter seed:", "at most 1,000"]),
    ("clamp=c25%3Dinf", ["Link parameter clamp:", "finite"]),
    ("clamp=c25%3D1e308", ["Link parameter clamp:", "finite"]),
    ("clamp=x1%3D2", ["Link parameter clamp:", "Cannot read the clamp 'x1=2'"]),
    ("clamp=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", ["Link parameter clamp:", "&lt;img"]),
    ("tablate=h99999", ["Link parameter tablate:", "out of range"]),
    ("tmodel=rnn&tablate=c3", ["Link parameter tablate:", "only the LSTM has a cell state"]),
    ("lesson=advanced", ["Link parameter lesson:", "full", "first"]),
    ("lang=fr", ["Link parameter lang:", "en, zh-CN"]),
    ("x=" + "y" * 20_000, ["too long", "at most 12,000"]),
    ("&".join(f"t={k}" for k in range(50)), ["too many parameters"]),
]


@pytest.mark.parametrize("query,words", BAD, ids=[q[:40] for q, _ in BAD])
def test_malformed_link(query, words):
    with pytest.raises(ValueError) as e:
        decode_state(query)
    message = str(e.value)
    assert message.startswith("Link"), message
    for w in words:
        assert w in message, (w, message)
    assert "<" not in message and ">" not in message          # safe to show as Markdown/HTML
    assert len(message) < 400, message
    state, problems = decode_state(query, strict=False)       # the default view, and the message
    assert state == DEFAULTS and problems and problems[0] == message


def test_the_table_is_long_enough():
    assert len(BAD) >= 20 and len({q.split("=")[0] for q, _ in BAD}) >= 20


@pytest.mark.parametrize("state,words", [
    ({"t": 0}, ["t", "from 1 to 28"]),
    ({"nonsense": 1}, ["unknown field", "'nonsense'"]),
    ({"ablate": [1, "x"]}, ["ablate", "list of whole numbers"]),
    ({"ablate": [1.5]}, ["ablate", "list of whole numbers"]),
    ({"ink": np.zeros((3, 3))}, ["ink", "sides"]),
    ({"ink": {"format": "png"}}, ["ink"]),
    ({"temperature": float("nan")}, ["temp", "Temperature"]),
    ({"rng_seed": True}, ["rng", "whole number"]),
])
def test_encode_checks_the_state(state, words):
    with pytest.raises(ValueError) as e:
        encode_state(state)
    for w in words:
        assert w in str(e.value), (w, str(e.value))
