"""The app's words in both languages (demo/i18n): the same keys, the same placeholders, the
same Markdown, the field's standard Chinese terms, and a loader that fails loudly."""
import re

import pytest

from demo import i18n, lessons
from demo.i18n import LANGS, placeholders, strings, t

EN, ZH = strings("en"), strings("zh-CN")
# English term (lower case; a stem matches any ending) -> the standard Chinese term
GLOSSARY = {
    "hidden state": "隐藏状态", "cell state": "细胞状态", "forget gate": "遗忘门", "input gate": "输入门",
    "output gate": "输出门", "update gate": "更新门", "reset gate": "重置门", "candidate": "候选值",
    "ablat": "消融", "clamp": "钳制", "temperature": "温度", "gradient": "梯度", "probabilit": "概率",
}
# names and formulas, not words: no Chinese characters needed
SAME_IN_BOTH = {"app.title", "digits.top_k.label", "text.top_k.label", "digits.explain.name.lstm",
                "digits.explain.name.gru", "text.model.lstm", "digits.explain.heading", "digits.explain.shape.state",
                "text.sampling.top_k"}


def test_every_key_exists_in_every_language():
    for a in LANGS:
        for b in LANGS:
            missing = sorted(set(strings(a)) - set(strings(b)))
            assert not missing, f"in {a}.json but not in {b}.json: {missing}"


def test_placeholders_match_between_languages():
    bad = {k: (placeholders(EN[k]), placeholders(ZH[k])) for k in EN if placeholders(EN[k]) != placeholders(ZH[k])}
    assert not bad, bad
    bad = [k for k in EN if i18n.is_static(EN[k]) != i18n.is_static(ZH[k])]
    assert not bad, f"static in one language, formatted in the other: {bad}"


def test_markdown_and_code_survive_translation():
    for k in EN:
        e, z = EN[k], ZH[k]
        assert e.strip() and z.strip(), k
        for mark in ("**", "`", "$", "\n"):
            assert e.count(mark) == z.count(mark), (k, mark)
        assert re.match(r"#*", e).group() == re.match(r"#*", z).group(), k   # same heading level
        assert e.startswith("- ") == z.startswith("- "), k


def test_chinese_is_chinese():
    untranslated = [k for k in ZH if k not in SAME_IN_BOTH and not re.search(r"[\u4e00-\u9fff]", ZH[k])]
    assert not untranslated, untranslated


def _words(text: str) -> str:
    return re.sub(r"\{[^{}]*\}", " ", text).lower()   # placeholders are not words


def test_standard_terms():
    pairs = [(k, EN[k], ZH[k]) for k in EN]
    for s in lessons.load_tour()["steps"]:
        for part in ("title", "body"):
            pairs.append((f"tour {s['id']}.{part}", s["en"][part], s["zh-CN"][part]))
    for name, p in lessons.load_presets().items():
        pairs.append((f"preset {name}", p.about["en"], p.about["zh-CN"]))
    bad = [(k, term, zh_term) for k, en, zh in pairs for term, zh_term in GLOSSARY.items()
           if term in _words(en) and zh_term not in zh]
    assert not bad, bad


def test_t_formats_and_normalises():
    assert t("digits.model.label", "en") == "Model"
    assert t("digits.model.label", "zh-CN") == "模型"
    for alias in ("zh", "zh_CN", "zh-Hans", "zh-hans-CN", "ZH-cn"):
        assert t("digits.model.label", alias) == "模型", alias
    for other in (None, "fr", "zh-TW", "", 3):
        assert t("digits.model.label", other) == "Model", other
    assert t("digits.caption.since", "en", answer=3, settled=9) == "Its answer has been **3** since row 9."
    assert t("digits.caption.step", "zh-CN", t=10, steps=28, model="LSTM", guess=7, p=0.5).startswith(
        "**第 10 行，共 28 行。** LSTM")
    # LaTeX braces are doubled in the files and come out single
    assert "$W_{ih}$ (512, 28)" in t("digits.explain.shape.layer1", "en", rows=512, hidden=128, state="s")
    with pytest.raises(KeyError, match="no text 'nope'"):
        t("nope")
    with pytest.raises(KeyError):
        t("digits.caption.since", "en", answer=3)        # a placeholder left out


def test_gradio_gets_the_static_texts():
    g = i18n.gradio_translations()
    assert set(g) == set(LANGS) and set(g["en"]) == set(g["zh-CN"])
    assert "digits.t.label" in g["en"] and "digits.caption.step" not in g["en"]
    assert all("{" not in v and "}" not in v for lang in g for v in g[lang].values())
    import gradio as gr

    from demo.ui_common import K, gradio_i18n
    assert isinstance(gradio_i18n(), gr.I18n)
    assert str(K("digits.t.label")).startswith("__i18n__")
    with pytest.raises(ValueError, match="placeholders"):
        K("digits.caption.step")


def test_the_tour_and_the_lessons_speak_both_languages():
    tour = lessons.load_tour()
    assert set(tour["ui"]["en"]) == set(tour["ui"]["zh-CN"])
    for k in tour["ui"]["en"]:
        assert re.findall(r"\{\w+\}", tour["ui"]["en"][k]) == re.findall(r"\{\w+\}", tour["ui"]["zh-CN"][k]), k
    for tab, labels in tour["tabs"].items():
        assert labels["en"] == EN[f"app.tab.{tab}"] and labels["zh-CN"] == ZH[f"app.tab.{tab}"]
