"""Links that reopen a view (demo/links.py), at the codec's layer: every field of every table
round-trips, the query is readable and in a fixed order, a lesson's controls go under a link's,
and a table of malformed links, each refused once, here, with a message that names the parameter
(the app's and the browser's tests open one bad link each, for the notice)."""
import re
import zlib

import numpy as np
import pytest

from demo import links
from demo.digits.controls import MODEL_NAMES
from demo.errors import UserError, message
from demo.links import TABLES, decode, decode_strict, encode

FIELDS = [(name, f) for name, table in TABLES.items() for f in table.fields.values()]


def test_url_keys_are_unique_and_every_field_has_an_example():
    keys = [f.key for _, f in FIELDS]
    assert len(keys) == len(set(keys))
    for name, f in FIELDS:
        assert f.example is not None, f"{name}.{f.name} has no example"


def test_defaults_encode_to_nothing_and_back():
    assert encode() == ""
    for q in ("", "?", None, {}):
        link, problems = decode(q)
        assert problems == [] and link == links.Link()
        assert all(given == frozenset() for given in link.given.values())


@pytest.mark.parametrize("table,field", FIELDS, ids=[f"{t}.{f.name}" for t, f in FIELDS])
def test_every_field_round_trips(table, field):
    query = f"{field.key}={field.example}"
    if table == "app" and field.key == "lesson":
        query += ""
    link = decode_strict(query)
    controls = link.app if table == "app" else link.tabs[table]
    value = getattr(controls, field.name)
    assert value != field.default, query
    assert link.given[table] == {field.name}
    assert all(not g for t, g in link.given.items() if t != table)
    again = encode(link.app, link.tabs)
    assert again.split("=", 1)[0] == field.key
    assert decode_strict(again) == link                     # canonical: the same link back
    from urllib.parse import parse_qs
    from starlette.datastructures import QueryParams
    assert decode_strict(parse_qs(again, keep_blank_values=True)) == link     # lists of one
    assert decode_strict(QueryParams(again)) == link                          # gr.Request.query_params
    for form in ("?" + again, "http://127.0.0.1:7860/?" + again + "#top"):
        assert decode_strict(form) == link


def test_the_query_is_readable_and_in_a_fixed_order():
    link = decode_strict("t=10&model=gru&ablate=40-42,3,17&tab=digits&lang=zh-CN")
    assert encode(link.app, link.tabs) == "lang=zh-CN&model=gru&t=10&ablate=3,17,40-42"
    text = decode_strict("seed=a+b").tabs["text"]
    assert text.seed == "a b"                                                  # form encoding too
    assert "seed=a%20b%26c" in encode(tabs={"text": links.TAB_TABLES["text"].check({"seed": "a b&c"})})


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_digit_model_has_a_link(name):
    link = decode_strict(f"model={name}&t=7")
    assert link.tabs["digits"].model == name and link.given["digits"] == {"model", "t"}
    assert encode(link.app, link.tabs) == ("t=7" if name == "lstm" else f"model={name}&t=7")  # lstm: the default


def test_gradio_parameters_are_left_alone():
    assert decode_strict("__theme=dark&t=5").tabs["digits"].t == 5


def test_a_bad_field_keeps_the_rest():
    link, problems = decode("t=99&model=gru")
    assert link.tabs["digits"].model == "gru" and link.tabs["digits"].t == 28
    assert link.given["digits"] == {"model"}
    assert len(problems) == 1 and str(problems[0]).startswith("Link parameter t:")
    link, problems = decode("tmodel=rnn&state=c&t=4")   # the text fields' joint check: that tab's defaults
    assert link.tabs["text"] == links.TAB_TABLES["text"].default and link.tabs["digits"].t == 4
    assert "state" in str(problems[0])
    assert decode(12345)[0] == links.Link()             # never raises


def test_a_lesson_sets_controls_under_the_links_own():
    from demo.lessons import load_presets
    for name, p in load_presets().items():
        assert decode_strict(f"lesson={name}").app.lesson == name
        decode_strict(p.link)                           # every preset's controls are a good link
    gates = load_presets()["gates"]
    assert gates.link
    link = links.with_lesson(decode_strict("lesson=gates&gv=0.5"), gates.link)
    d = link.tabs["digits"]
    assert d.gate == "f" and d.gate_value == 0.5 and {"gate", "gate_value"} <= link.given["digits"]


def test_messages_are_in_the_pages_language():
    _, problems = decode("t=99")
    zh = message(problems[0], "zh-CN")
    assert "t" in zh and "99" in zh and not re.search(r"must|from", zh)


# ---------------------------------------------------------------------------------------------
# Malformed links: each refused with a message naming the parameter

def raw_ink(body: bytes, version=1, w=56, h=56) -> str:
    import base64
    return base64.urlsafe_b64encode(bytes([version, w, h]) + body).decode().rstrip("=")


BAD = [
    # (query, words the English message must contain)
    ("ink=!!!notbase64", ["ink", "base64"]),
    ("ink=AAAA", ["ink", "too short"]),
    ("ink=AAAAA", ["ink", "length"]),
    (f"ink={raw_ink(zlib.compress(bytes(1568)), version=2)}", ["ink", "version 2"]),
    (f"ink={raw_ink(zlib.compress(bytes(1568)), w=200)}", ["ink", "200x56"]),
    (f"ink={raw_ink(zlib.compress(bytes(1568)), w=3)}", ["ink", "sides"]),
    (f"ink={raw_ink(b'not zlib at all')}", ["ink", "corrupt"]),
    (f"ink={raw_ink(zlib.compress(bytes([0x11]) * 1600))}", ["ink", "longer than its sides say"]),
    (f"ink={raw_ink(zlib.compress(bytes(2_500_000), 9))}", ["ink", "longer than its sides say"]),   # a zip bomb
    (f"ink={raw_ink(zlib.compress(bytes(1568)))}", ["ink", "empty"]),
    ("ink=" + "A" * 5000, ["ink", "too long"]),
    ("foo=1", ["unknown parameter 'foo'", "known: tab"]),
    ("%ZZ=1", ["unknown parameter '%ZZ'"]),
    ("t=99", ["Link parameter t:", "28", "99"]),
    ("t=0", ["Link parameter t:", "from 1 to 28"]),
    ("t=1e999", ["Link parameter t:", "whole number"]),
    ("t=" + "9" * 30, ["Link parameter t:", "from 1 to 28"]),
    ("t=１０", ["Link parameter t:", "whole number"]),                     # full-width digits
    ("t=1_0", ["Link parameter t:", "whole number"]),
    ("t=2.5", ["Link parameter t:", "whole number"]),
    ("t=1&t=2", ["Link parameter t:", "twice"]),
    ("unit=-1", ["Link parameter unit:", "from 0 to"]),
    ("unit=99999", ["Link parameter unit:", "4,095"]),
    ("temp=nan", ["Link parameter temp:", "Temperature", "10"]),
    ("temp=11", ["Link parameter temp:", "Temperature", "11"]),
    ("temp=-0.5", ["Link parameter temp:", "Temperature"]),
    ("len=0", ["Link parameter len:", "Length", "5,000"]),
    ("len=99999999999999999999", ["Link parameter len:", "Length", "5,000"]),
    ("rng=-5", ["Link parameter rng:", "Random seed"]),
    ("rng=4294967296", ["Link parameter rng:", "4,294,967,295"]),
    ("topk=1.5", ["Link parameter topk:", "whole number"]),
    ("topk=999", ["Link parameter topk:", "256"]),
    ("model=transformer", ["Link parameter model:", ", ".join(MODEL_NAMES), "'transformer'"]),
    ("model=LSTM", ["Link parameter model:", "one of"]),
    ("tab=%3Cscript%3Ealert(1)%3C/script%3E", ["Link parameter tab:", "digits, text"]),
    ("tab=digits%00", ["Link parameter tab:", "one of"]),
    ("order=random", ["Link parameter order:", "index, influence, clustered"]),
    ("gate=q", ["Link parameter gate:", "i, f, g, o, r, z, n"]),
    ("gv=2", ["Link parameter gv:", "0", "1"]),
    ("gv=inf", ["Link parameter gv:", "0", "1"]),
    ("from=29", ["Link parameter from:", "28"]),
    ("ablate=1-99999", ["Link parameter ablate:", "out of range"]),
    ("ablate=1,,x", ["Link parameter ablate:", "'x'"]),
    ("ablate=0-600", ["Link parameter ablate:", "512"]),
    ("ablate=1;DROP%20TABLE", ["Link parameter ablate:", "'DROP'"]),
    ("blank=0", ["Link parameter blank:", "out of range"]),
    ("digit=12", ["Link parameter digit:", "one of 0, 1"]),
    ("tmodel=gpt", ["Link parameter tmodel:", "lstm, rnn"]),
    ("tmodel=rnn&state=c", ["state", "RNN"]),
    ("state=x", ["Link parameter state:"]),
    ("tunit=1e6", ["Link parameter tunit:", "4,095"]),
    ("tt=0", ["Link parameter tt:", "5,000"]),
    ("acrostic=%E6%98%A5%00", ["Link parameter acrostic:", "U+0000"]),   # ("seed=" is a poem from nothing)
    ("seed=%00abc", ["Link parameter seed:", "U+0000"]),
    ("seed=%E2%80%AEevil", ["Link parameter seed:", "U+202E"]),
    ("seed=%FF%FE", ["not valid UTF-8"]),
    ("seed=" + "a" * 1001, ["Link parameter seed:", "1,000"]),
    ("clamp=c25%3Dinf", ["Link parameter clamp:", "finite"]),
    ("clamp=c25%3D1e308", ["Link parameter clamp:", "finite"]),
    ("clamp=x1%3D2", ["Link parameter clamp:", "x1=2"]),
    ("tablate=h99999", ["Link parameter tablate:", "out of range"]),
    ("tmodel=rnn&tablate=c3", ["tablate", "LSTM"]),
    ("lesson=advanced", ["Link parameter lesson:", "full", "first"]),
    ("lang=fr", ["Link parameter lang:", "en, zh-CN"]),
    ("x=" + "y" * 20_000, ["too long", "12,000"]),
    ("&".join(f"t{k}={k}" for k in range(50)), ["too many parameters"]),
]


@pytest.mark.parametrize("query,words", BAD, ids=[q[:40] for q, _ in BAD])
def test_malformed_link(query, words):
    link, problems = decode(query)
    assert len(problems) == 1, problems
    e = problems[0]
    assert isinstance(e, UserError)
    for w in words:
        assert w in str(e), (w, str(e))
    assert len(str(e)) < 400, str(e)
    assert message(e, "zh-CN") != str(e)                      # said in Chinese too
    with pytest.raises(UserError):
        decode_strict(query)


def test_the_table_is_long_enough():
    assert len(BAD) >= 20 and len({q.split("=")[0] for q, _ in BAD}) >= 20


def test_encode_checks_nothing_it_was_not_given():
    with pytest.raises(UserError, match="unknown control"):
        links.TAB_TABLES["digits"].check({"nonsense": 1})
    with pytest.raises(UserError):
        links.TAB_TABLES["digits"].check({"t": 0})
    with pytest.raises(UserError):
        links.TAB_TABLES["text"].check({"temperature": float("nan")})
    with pytest.raises(UserError):
        links.TAB_TABLES["text"].check({"rng_seed": True})
