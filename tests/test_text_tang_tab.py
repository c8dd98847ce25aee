"""The Text tab's corpus choice, Shakespeare or the Tang poems (issue #27): the tcorpus field of
its table (decode, encode, a link's corpus and model), the default by the page's language, the
radio's handler (the Tang model, its seed and the acrostic box), a whole poem and an acrostic
written and traced like any text, the messages for a bad acrostic or seed in English and
Chinese, and the app without the Tang weights (it starts; the choice says how to make them).

The Tang model here is a tiny random LSTM saved as weights/char_tang beside the shipped models
(``tang_weights``): it writes poor poems, but the form, the forced characters and the tracing are
the app's own.  The browser's view (tests/test_text_tang_browser.py) uses the shipped Tang model.

    .venv/bin/python -m pytest -q tests/test_text_tang_tab.py
"""
import re
from pathlib import Path

import gradio as gr
import pytest
import torch

from demo import links
from demo.answers import SKIP, Update
from demo.checkpoint import WEIGHTS_DIR, save_weights
from demo.errors import UserError
from demo.text import CharModel, CharRNN, Vocab, corpus, handlers, heatmap, steps, views
from demo.text.controls import TABLE
from demo.text.events import build, load_lab
from demo.text.lab import Lab
from demo.text.tang import FORMS, MARK_END, POEM_END, UNKNOWN, split_lines
from demo.ui_common import friendly_stream

CJK = re.compile(r"[\u4e00-\u9fff]")
# the tiny model's characters: the format's, and those of the poems and acrostics below
CHARS = "春夏秋冬山水月花风云日夜人归来去不知何处天江床前明光疑是地上霜举头望低思故乡"
ACROSTIC = "春夏秋冬"


def tang_model(seed: int = 0) -> CharModel:
    """A tiny random Tang LSTM (its corpus: "tang"); lines of a few characters."""
    vocab = Vocab(sorted(set("".join(FORMS) + MARK_END + POEM_END + UNKNOWN + "，。" + CHARS)))
    torch.manual_seed(seed)
    net = CharRNN(len(vocab), "lstm", hidden=24, layers=1, embed=8)
    with torch.no_grad():
        for c in "，。":
            net.head.bias[vocab.stoi[c]] += 2.0
    return CharModel(net, vocab, {"name": "tang", "data": {"corpus": "tang"}})


def save_tang(folder: Path) -> CharModel:
    m = tang_model()
    config = dict(vocab_size=len(m.vocab), cell="lstm", hidden=24, layers=1, dropout=0.0, embed=8)
    save_weights(folder / "char_tang", m.net.state_dict(), {"kind": "char", "config": config, "vocab": m.vocab.chars,
                                                             "metrics": {"val_loss": 1.0}, "data": {"corpus": "tang"}})
    return m


def tang_weights(folder: Path, with_tang: bool = True) -> Path:
    """A weights folder: the shipped files (linked) and, with_tang, the tiny Tang model."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in WEIGHTS_DIR.iterdir():
        if f.is_file() and not f.name.startswith("char_tang"):
            (folder / f.name).symlink_to(f)
    if with_tang:
        save_tang(folder)
    return folder


def shakespeare_model() -> CharModel:
    torch.manual_seed(1)
    vocab = sorted(set("abcdefghijklmnopqrstuvwxyz ROMEO:\n"))
    return CharModel(CharRNN(len(vocab), "lstm", hidden=16, layers=1), vocab, {"name": "lstm"})


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Lab:
    """The two corpora, tiny models (no units file: units are searched, quickly)."""
    lab = Lab({"lstm": shakespeare_model(), "tang": tang_model()}, weights_dir=tmp_path_factory.mktemp("none"))
    lab.discovery_chars = 400
    return lab


# ---------------------------------------------------------------------------------------------
# The table's field and a link's corpus

def test_the_corpus_field_decodes_and_encodes():
    c = TABLE.decode({"tcorpus": "tang", "acrostic": ACROSTIC, "seed": ""})
    assert (c.corpus, c.acrostic, c.seed) == ("tang", ACROSTIC, "")
    assert TABLE.decode(dict(TABLE.encode(c))) == c
    assert ("tcorpus", "tang") in TABLE.encode(c) and ("seed", "") in TABLE.encode(c)
    assert TABLE.default.corpus is None                               # none: the page's language decides
    assert ("tcorpus", "shakespeare") in TABLE.encode(TABLE.check({"corpus": "shakespeare"}))
    assert TABLE.decode({"tcorpus": ""}).corpus is None            # empty too
    assert TABLE.decode({"acrostic": " 春 夏 秋 冬 "}).acrostic == ACROSTIC   # spaces dropped
    link = links.decode_strict("tab=text&tcorpus=tang&acrostic=%E6%98%A5%E5%A4%8F%E7%A7%8B%E5%86%AC")
    assert link.tabs["text"].corpus == "tang" and link.given["text"] == {"corpus", "acrostic"}
    assert links.encode(link.app, link.tabs) == "tab=text&tcorpus=tang&acrostic=%E6%98%A5%E5%A4%8F%E7%A7%8B%E5%86%AC"
    with pytest.raises(UserError, match="must be one of shakespeare, tang") as e:
        TABLE.decode({"tcorpus": "latin"})
    assert "语料" in e.value.text("zh-CN")
    with pytest.raises(UserError, match="too long"):
        TABLE.decode({"acrostic": "春" * 17})


def test_the_page_language_picks_the_corpus_and_a_link_its_model(lab):
    assert lab.default_corpus("zh-CN") == "tang" and lab.default_corpus("en") == "shakespeare"
    assert Lab({"lstm": lab.models["lstm"]}).default_corpus("zh-CN") == "shakespeare"   # no Tang model here
    none = frozenset()
    assert corpus.resolve(lab, TABLE.default, none, "zh-CN") == ("tang", "tang")
    assert corpus.resolve(lab, TABLE.default, none, "en") == ("shakespeare", "lstm")
    assert corpus.resolve(lab, TABLE.decode({"tcorpus": "tang"}), {"corpus"}, "en") == ("tang", "tang")
    assert corpus.resolve(lab, TABLE.decode({"tmodel": "tang"}), {"model"}, "en") == ("tang", "tang")
    assert corpus.resolve(lab, TABLE.decode({"tmodel": "lstm"}), {"model"}, "zh-CN") == ("shakespeare", "lstm")
    with pytest.raises(UserError, match="Link parameter tmodel: LSTM did not learn") as e:
        corpus.resolve(lab, TABLE.decode({"tcorpus": "tang", "tmodel": "lstm"}), {"corpus", "model"}, "en")
    assert "没有学过唐诗" in e.value.text("zh-CN")


def test_choosing_tang_gives_the_tang_model_and_its_boxes(lab):
    out = corpus.switch_corpus(lab, "tang", "zh-CN")
    assert set(out) == set(corpus.SWITCH)
    assert out["corpus"] == "tang" and out["model"] == Update(choices=[("唐诗 LSTM (1×24)", "tang")], value="tang")
    assert out["seed"] == "" and out["acrostic"] == Update(visible=True, value="")
    assert out["length"] == Update(visible=False) and out["top_k"] == Update(visible=False)
    assert out["pasted"].startswith("五绝：床前明月光") and out["trace_state"] is None
    assert out["which"]["choices"] == ["h", "c"] and out["unit_pick"]["choices"]   # the Tang model's units
    back = corpus.switch_corpus(lab, "shakespeare", "en")
    assert back["model"]["value"] == "lstm" and back["seed"] == "ROMEO:\n" and back["acrostic"]["visible"] is False
    assert back["pasted"].startswith("ROMEO:")


# ---------------------------------------------------------------------------------------------
# Poems, written and traced

def test_an_acrostic_poem_starts_each_line_with_its_characters_and_is_traced(lab):
    for rng in range(5):
        out = list(handlers.generate(lab, None, "", 500, 0.8, 0, rng, "tang", ACROSTIC))
        assert len(out) == 1 and out[0]["written"] == steps.Written("tang", POEM_END)
        text = out[0]["generated"]
        marker, poem = text.split(MARK_END, 1)
        assert marker in FORMS and FORMS[marker][1] == 4            # four characters: a quatrain
        lines, _ = split_lines(poem)
        assert [line[0] for line in lines] == list(ACROSTIC), text
    assert list(handlers.generate(lab, None, "", 9, 0.8, 5, 4, "tang", ACROSTIC)) == out   # length, top-k: unused
    seeded = list(handlers.generate(lab, None, "床前", 500, 0.8, 0, 3, "tang", ""))[0]["generated"]
    assert seeded.split(MARK_END, 1)[1].startswith("床前")
    shown = steps.analyse(lab, out[0]["written"], text, "h", 3, 1, None)   # the step views, as any text
    trace = shown["trace_state"]
    assert trace.text == text and trace.seed == POEM_END and shown["coloured"].count("data-t=") == len(text)
    assert ">春</span>" in shown["coloured"] and "。</span><br>" in shown["coloured"]   # a couplet a line
    assert shown["hmap"]["cell_w"] == heatmap.WIDE_CELL_W > heatmap.CELL_W   # wide characters, wide columns
    img = heatmap.heatmap_image(trace, "c", 5, unit=2)
    assert img.shape[1] == 6 + len(text) * heatmap.WIDE_CELL_W
    recoloured = steps.recolour(lab, trace, "c", 7, 3, "zh-CN")
    assert "c[7]" in recoloured["coloured"] and CJK.search(recoloured["coloured"])
    assert "春" in views.step_html(trace, len(marker) + 2, lang="zh-CN")
    columns = handlers.compare(lab, "", 100, 0, 1, "tang", ACROSTIC)   # a poem at each temperature
    assert all([ln[0] for ln in split_lines(t.split(MARK_END, 1)[1])[0]] == list(ACROSTIC) for t in columns.values())


BAD = [  # (seed, acrostic, key, words in English, words in Chinese)
    ("", "春夏", "tang.error.acrostic_length", "got 2", "收到 2 个"),
    ("", "春夏秋冬山", "tang.error.acrostic_length", "got 5", "收到 5 个"),
    ("", "abcd", "tang.error.acrostic_chars", "'a', 'b', 'c', 'd'", "藏头诗"),
    ("", "春夏秋，", "tang.error.acrostic_chars", "'，'", "标点"),
    ("ROMEO", "", "tang.error.seed_chars", "'E', 'M', 'O', 'R'", "唐诗模型写不出"),
]


@pytest.mark.parametrize("seed, acrostic, key, en, zh", BAD)
def test_a_bad_acrostic_or_seed_gets_a_clear_message_in_both_languages(lab, seed, acrostic, key, en, zh):
    with pytest.raises(UserError) as e:
        list(handlers.generate(lab, None, seed, 500, 0.8, 0, 0, "tang", acrostic))
    assert e.value.key == key and en in str(e.value)

    def generate(seed, length, temperature, top_k, rng_seed, model, acrostic=""):
        return handlers.generate(lab, None, seed, length, temperature, top_k, rng_seed, model, acrostic)
    edge = friendly_stream(generate, lang=True)   # the page's edge: a UserError in the page's language
    for lang, words in (("en", en), ("zh-CN", zh)):
        with pytest.raises(gr.Error) as shown:
            list(edge(seed, 500, 0.8, 0, 0, "tang", acrostic, lang))
        assert words in shown.value.message and "Traceback" not in shown.value.message


# ---------------------------------------------------------------------------------------------
# Without the Tang weights

def test_without_the_tang_weights_the_app_starts_and_the_choice_says_how_to_make_them(tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "char_lstm.json").symlink_to(WEIGHTS_DIR / "char_lstm.json")
    (folder / "char_lstm.safetensors").symlink_to(WEIGHTS_DIR / "char_lstm.safetensors")
    lab = load_lab(folder)
    assert list(lab.models) == ["lstm"] and lab.missing == ("tang",)
    assert len(lab.problems) == 1 and "char_tang" not in str(lab.problems)   # only the RNN is said above the tab
    assert lab.default_corpus("zh-CN") == "shakespeare"
    command = "python training/train_char_rnn.py --preset tang"
    for lang in ("en", "zh-CN"):
        out = corpus.switch_corpus(lab, "tang", lang)
        assert out["corpus"] == "shakespeare" and command in out["corpus_note"]
        assert out["model"] is SKIP and out["seed"] is SKIP
        assert command in corpus.radio_words(lab, lang)["info"]
    assert "训练" in corpus.switch_corpus(lab, "tang", "zh-CN")["corpus_note"]
    with pytest.raises(UserError, match="Link parameter tcorpus: .*" + re.escape(command)):
        corpus.resolve(lab, TABLE.decode({"tcorpus": "tang"}), {"corpus"}, "en")
    with gr.Blocks():
        page = build(None, gr.State("en"), lab=lab)                 # the page is built
    assert page.c["corpus"].value == "shakespeare" and command in page.c["corpus"].info


# ---------------------------------------------------------------------------------------------
# The tab built with the Tang model: a link, the page's language, Copy link, the events

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tang_weights(tmp_path_factory.mktemp("weights"))
    with gr.Blocks() as app:
        ui = build(folder, gr.State("en"))
    return ui, app


def _value(v):
    return v.get("value") if isinstance(v, dict) else v


def shown(out: dict, component):
    """What ``component`` shows after an answer: the value it sets, else the one it had."""
    v = out.get(component, component.value)
    return v if not isinstance(v, dict) else v.get("value", component.value)


@pytest.mark.server   # the tab built alone starts its text worker
def test_a_chinese_page_opens_the_tang_poems_and_a_link_reopens_them(built):
    ui, app = built
    c = ui.c
    assert c["corpus"].value == "shakespeare" and c["model"].value == "lstm" and not c["acrostic"].visible
    assert ui.apply(TABLE.default, frozenset(), "en") == {}   # English: as built
    out = ui.apply(TABLE.default, frozenset(), "zh-CN")
    assert set(out) <= set(ui.apply_outputs)
    assert out[c["corpus"]] == "tang" and _value(out[c["model"]]) == "tang" and out[c["seed"]] == ""
    assert out[c["model"]]["choices"] == [("唐诗 LSTM (1×24)", "tang")] and out[c["acrostic"]]["visible"] is True
    assert out[c["length"]]["visible"] is False and out[c["pasted"]].startswith("五绝")
    link = TABLE.decode({"tcorpus": "tang", "acrostic": ACROSTIC, "temp": "0.5"})
    out = ui.apply(link, frozenset({"corpus", "acrostic", "temperature"}), "en")   # a link in English
    assert out[c["acrostic"]]["value"] == ACROSTIC and out[c["acrostic"]]["visible"] is True
    assert out[c["temperature"]] == 0.5 and _value(out[c["model"]]) == "tang"
    values = {n: shown(out, comp) for n, comp in ui.controls.items()}   # what the page then shows
    copied = ui.controls_from(*values.values())                     # Copy link: the same view back
    assert (copied.corpus, copied.model, copied.acrostic, copied.seed) == ("tang", "tang", ACROSTIC, "")
    assert dict(TABLE.encode(copied))["tcorpus"] == "tang"
    zh = ui.apply(TABLE.decode({"tmodel": "rnn"}), frozenset({"model"}), "zh-CN")   # a named model wins
    assert c["corpus"] not in zh and _value(zh[c["model"]]) == "rnn" and "普通 RNN" in str(zh[c["model"]]["choices"])
    with pytest.raises(UserError, match="Link parameter tmodel"):
        ui.apply(TABLE.decode({"tcorpus": "tang", "tmodel": "rnn"}), frozenset({"corpus", "model"}), "en")


@pytest.mark.server   # the tab built alone starts its text worker
def test_the_corpus_radio_and_generate_are_wired(built):
    ui, app = built
    fns = {getattr(fn.fn, "__name__", None): fn for fn in app.fns.values() if fn.fn is not None}
    radio = fns["switch_corpus"]
    assert [c for c in radio.inputs][0] is ui.c["corpus"] and {id(c) for c in radio.outputs} == {
        id(ui.c[n]) for n in corpus.SWITCH}
    gen = next(fn for fn in app.fns.values() if fn.api_name == "generate")
    assert [c for c in gen.inputs] == [ui.c[n] for n in ("seed", "length", "temperature", "top_k", "rng_seed", "model",
                                                          "acrostic")]
    poem = list(gen.fn("", 500, 0.8, 0, 2, "tang", ACROSTIC))[-1]
    text = _value(poem[ui.c["generated"]])
    assert [ln[0] for ln in split_lines(text.split(MARK_END, 1)[1])[0]] == list(ACROSTIC)
    with pytest.raises(gr.Error, match="acrostic"):
        list(gen.fn("", 500, 0.8, 0, 2, "tang", "春"))
    assert len(_value(list(gen.fn("ROMEO:\n", 30, 0.8, 0, 2, "lstm"))[-1][ui.c["generated"]])) == 30  # as before
    words = handlers.static_words(ui.lab, "zh-CN")
    assert words["corpus"]["choices"] == [("莎士比亚", "shakespeare"), ("唐诗", "tang")]
