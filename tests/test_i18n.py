"""The app's words in both languages (demo/i18n): the same keys, the same placeholders, the
same Markdown, the field's standard Chinese terms, and a loader that fails loudly."""
import ast
import re

import numpy as np

import pytest

from demo.errors import Text

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
                "digits.explain.name.gru", "text.model.lstm", "digits.explain.heading",
                "text.sampling.top_k"}
PUNCTUATION = {"app.sep.list", "app.sep.enum", "app.sep.clause", "app.sep.stop"}   # Chinese punctuation, no words


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
    untranslated = [k for k in ZH if k not in SAME_IN_BOTH | PUNCTUATION and not re.search(r"[\u4e00-\u9fff]", ZH[k])]
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
    assert "$h_{28}$ (`output[:, -1]`" in t("digits.explain.note.head", "en")
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


# ---------------------------------------------------------------------------------------------
# What Python writes follows the page's language: the Text tab's views, the pad, the heatmaps'
# hover words and the messages (a view that ignores ``lang`` fails here)

CJK = re.compile(r"[\u4e00-\u9fff]")


def _toy_trace():
    import torch

    from demo.text import CharModel, CharRNN, analysis
    torch.manual_seed(0)
    vocab = sorted(set("abcdefghijklmnopqrstuvwxyz ROMEO:\n"))
    m = CharModel(CharRNN(len(vocab), "lstm", hidden=8, layers=1), vocab, {"name": "toy"})
    return m, analysis.trace_text(m, "ROMEO:\n", m.generate("ROMEO:\n", 40, 1.0, rng_seed=0))


def _text_views(lang: str) -> dict[str, str]:
    """Every HTML / Markdown view of the Text tab, rendered in ``lang`` from small made-up data."""
    from types import SimpleNamespace

    from demo.text import analysis, interventions, views
    from demo.text.lookups import Context
    from demo.text.matching import Selected
    from demo.text.units import FEATURES, Unit
    m, trace = _toy_trace()
    score = analysis.score_text(m, "ROMEO: a b\nco")
    conn = np.geomspace(1e-6, 1.0, 30)
    summary = {"half": 3, "ninety": 20, "below_1e-2": 15, "below_1e-4": 60, "positions": 200, "max_distance": 400}
    ctx = [Context(0, 6, 2, np.linspace(-1, 1, 6).astype(np.float32), "ab\ncd ")]
    names = list(FEATURES)
    found = SimpleNamespace(count=12, characters=340, total=111_540, units=(3, 5))
    sel = [Selected(3, 0.8, 0.5, 0.1), Selected(5, 0.7, 0.4, float("nan"))]
    stats = interventions.LineStats(4, 30.5, 0.5)
    cmp = interventions.SideBySide("c[2] clamped to 2", "ab\n", "ac\n", 1, stats, stats, (20.0, 45.0),
                                   {("c", 2): 2.0}, (("h", 1),))
    p = trace.probs[4].astype(np.float64)
    p /= p.sum()
    units = [Unit("column", FEATURES["column"], "c", 2, 0.61)]
    source = Text("text.units_table.source_val", n="50,000", total="111,540")   # as units.load_units gives it
    return {
        "unit_html": views.unit_html(trace, "c", 2, lang),
        "step_html": views.step_html(trace, 5, lang=lang),
        "surprise_html": views.surprise_html(score.text, score.surprise, lang),
        "surprise_summary": views.surprise_summary(score.text, score.surprise, lang),
        "units_table": views.units_table_html(units, source, lang),
        "units_table_none": views.units_table_html([], source, lang),
        "unit_label": views.unit_label(units[0], lang),
        "connectivity_html": views.connectivity_html("ROMEO: a b\nc" * 3, 30, conn, "LSTM (2×512)", shown=10, lang=lang),
        "connectivity_words": views.connectivity_words({"LSTM": summary}, lang),
        "connectivity_words_none": views.connectivity_words({}, lang),
        "connectivity_legend": views.connectivity_legend({"x": "#b2182b"}, lang),
        "contexts_html": views.contexts_html(ctx, "h", 3, 1.0, lang),
        "features_html": views.features_html(names, [FEATURES[k] for k in names], np.zeros(len(names)), None, lang),
        "match_html": views.match_html(sel, "h", 0.3, "ab", found, [("x", "ab", "y")], 0.012, lang),
        "match_none": views.match_html([], "h", 0.3, "ab", None, [], 0.0, lang),
        "match_no_data": views.match_html(sel[:1], "h", 0.3, "ab", None, [], 0.0, lang),
        "side_by_side_md": views.side_by_side_md(cmp, lang),
        "sampling_html": views.sampling_html(p, analysis.reshape(p, 0.5, 3), trace.vocab, trace.text[4], 0.5, 3,
                                             lang=lang),
    }


# English words each view says in English and must not say in Chinese
ENGLISH = {
    "unit_html": ["Faded", "Click a character", "the seed", "step 1:"],
    "step_html": ["Step", "the model wrote", "surprise", "Next-character", "bold"],
    "surprise_html": ["first character", "nats", "bits", "Click a character", "surprise"],
    "surprise_summary": ["nats/char", "predicted characters", "Most surprising", "White"],
    "units_table": ["unit</th>", "tracks", "Pearson", "Found on", "position in the line", "validation split"],
    "units_table_none": ["No unit"],
    "unit_label": ["position in the line"],
    "connectivity_html": ["distance", "characters before", "the character predicted", "largest", "Hover"],
    "connectivity_words": ["Over data", "half of its gradient", "validation split"],
    "connectivity_words_none": ["No precomputed"],
    "connectivity_legend": ["Dark lines", "this text"],
    "contexts_html": ["windows", "blue negative", "outlined"],
    "features_html": ["feature</th>", "r over validation", "r on this text", "speaker"],
    "match_html": ["units</b>", "inside", "around", "passages", "Highlighted"],
    "match_none": ["No unit", "Lower the threshold"],
    "match_no_data": ["1 unit", "not available"],
    "side_by_side_md": ["Edit:", "clamped to", "ablated", "they part", "unedited", "complete lines",
                        "mean line length", "usual place"],
    "sampling_html": ["the model (temperature", "sampled from", "Entropy", "can be drawn", "blue:", "orange:"],
}


def test_the_text_tabs_views_speak_the_pages_language():
    en, zh = _text_views("en"), _text_views("zh-CN")
    assert set(en) == set(zh) == set(ENGLISH)
    for name, words in ENGLISH.items():
        assert not CJK.search(en[name]), (name, en[name][:200])
        for w in words:
            assert w in en[name], (name, w)          # the English view says it...
            assert w not in zh[name], (name, w)      # ...the Chinese one does not
        assert CJK.search(zh[name]), (name, zh[name][:200])
    assert "钳制为" in zh["side_by_side_md"] and "被消融" in zh["side_by_side_md"]
    assert "<b>1 个单元</b>" in zh["match_no_data"] and "<b>12</b> 个段落" in zh["match_html"]
    assert "<code>ab</code>" in zh["match_html"]     # the span stays code, escaped once
    assert "Tiny Shakespeare 的验证集" in zh["units_table"]


def test_show_char_and_the_heatmaps_hover_words():
    from demo import render
    from demo.digits.views import confidence_value
    from demo.text import views
    assert views.show_char("\n", "zh-CN") == "↵ 换行" and views.show_char(" ") == "␣ space"
    _, trace = _toy_trace()
    for lang, (unit, step, missing) in {"en": ("unit", "step", "n/a"), "zh-CN": ("单元", "步", "无数值")}.items():
        v = views.heatmap_value(trace, "h", 5, 2, lang=lang)
        assert (v["row_label"], v["col_label"], v["missing"]) == (unit, step, missing)
        c = confidence_value(np.full((28, 10), 0.1), 5, 9, lang=lang)
        assert (c["row_label"], c["col_label"], c["missing"]) == (
            "class" if lang == "en" else "类别", step, missing)
    assert render.heat_value(np.zeros((2, 3)), "diverging", 1.0, (1, 1))["missing"] == "n/a"
    js = (i18n.HERE.parent / "heatmap.js").read_text(encoding="utf-8")
    assert "v.missing" in js and "v.row_label" in js and "v.col_label" in js   # the page shows the payload's words


def test_the_pad_gets_its_words_in_the_pages_language():
    import gradio as gr
    from gradio.blocks import postprocess_update_dict

    from demo.digits.pad import WORDS, drawing_pad, pad_words
    zh = pad_words("zh-CN")
    assert set(zh) == set(WORDS) and all(CJK.search(v) for v in zh.values()), zh
    assert zh["undo"] == "撤销" and zh["clear"] == "清除" and zh["eraser"] == "橡皮擦" and zh["brush"] == "笔刷"
    pad = drawing_pad()
    assert pad.props["words"] == pad_words("en") and ">Undo<" in pad.html_template
    assert ">撤销<" in drawing_pad(lang="zh-CN").html_template
    # an update carries the words as a prop (a quoted name in pad.js would turn it into an event)
    copy = gr.HTML(**{**pad.constructor_args, "words": zh, "render": False})
    assert postprocess_update_dict(copy, {"words": zh}) == {"props": {"words": zh}, "__type__": "update"}
    js = (i18n.HERE.parent / "digits" / "pad.js").read_text(encoding="utf-8")
    for key in WORDS:
        assert f'"{key}"' in js, key   # pad.js writes every word in
    assert not re.search(r"""['"`]words['"`]""", js)


# ---------------------------------------------------------------------------------------------
# The Digits tab's reading strip and its plots' column names follow the language; no words are
# drawn into images (their font is Latin-only)

def _reading(warning=None):
    import dataclasses

    from demo.digits.preprocess import reading_steps
    ink = np.zeros((56, 56), np.uint8)
    ink[10:46, 24:32] = 255
    r = reading_steps(ink.astype(np.float32) / 255)   # a bar: a one
    return dataclasses.replace(r, warning=warning)


def test_the_reading_strip_speaks_the_pages_language():
    from demo.digits.views import reading_html
    from demo.errors import Text
    r = _reading(Text("digits.error.side_by_side_some"))
    en, zh = reading_html(r, "en"), reading_html(r, "zh-CN")
    for word in ("how the picture was read", "picture", "ink found", "cropped", "Low confidence", "marks side by side"):
        assert word in en and word not in zh, word
    for word in ("图片是如何被读取的", "原图", "找到的笔迹", "裁剪", "缩放到 20×20", "居中到 28×28", "置信度低", "并排"):
        assert word in zh, word
    assert en.count("<img") == zh.count("<img") == len(r.STEPS)   # one picture per step, its name as text
    assert reading_html(None, "zh-CN") == ""


# ---------------------------------------------------------------------------------------------
# Messages by key: errors carry a key of demo/i18n and its fields (demo.errors), put into words
# once at the UI's edge; no English is matched back and no Chinese lives in Python

DEMO = i18n.HERE.parent
KEYED = {"UserError", "Text", "WeightsError", "NotOneDigit"}   # callables whose first argument is a key


def _keyed_calls():
    """Every call in demo/ that makes a message from a literal key: [(where, key, field names or
    None when they cannot be read: a ``**fields``)]."""
    out = []
    for path in sorted(DEMO.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else (
                f.attr if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "errors"
                else None)
            key = node.args[0].value
            if name == "_bad_ink":                            # demo/digits/pad_ink.py: digits.ink.<what>
                name, key = "Text", f"digits.ink.{key}"
            if name in KEYED:
                fields = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
                out.append((f"{path.relative_to(DEMO.parent)}:{node.lineno}", key, fields))
    return out


def test_every_key_used_in_the_code_exists_with_its_fields():
    calls = _keyed_calls()
    assert len(calls) > 100, len(calls)          # the scan finds the raises
    missing = [(where, key) for where, key, _ in calls if key not in EN]
    assert not missing, missing
    wrong = [(where, key, sorted(fields), sorted({n for n, _ in placeholders(EN[key])}))
             for where, key, fields in calls
             if fields is not None and fields != {n for n, _ in placeholders(EN[key])}]
    assert not wrong, wrong                      # a field left out would be a KeyError at the edge
    named_key = [k for k in EN if "key" in {n for n, _ in placeholders(EN[k])}]
    assert not named_key, named_key              # Text(key, **fields) cannot take a field named "key"


CJK_ANY = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")   # CJK characters and punctuation


def test_no_chinese_in_python():
    """Every Chinese string (words, punctuation, docstrings' examples) lives in zh-CN.json."""
    found = [f"{p.relative_to(DEMO.parent)}:{n}: {line.strip()[:80]}" for p in sorted(DEMO.rglob("*.py"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if CJK_ANY.search(line)]
    assert not found, "\n".join(found)


def _english_left(text: str, names=()) -> list[str]:
    """ASCII words left in a Chinese message once the names it quotes are taken out."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return re.findall(r"[A-Za-z]{2,}", text)


def _raised(call):
    from demo.errors import UserError
    with pytest.raises(UserError) as info:
        call()
    return info.value


def _bad_photo():
    from demo.digits.photos import not_one_digit
    from demo.digits.preprocess import to_mnist
    rng = np.random.default_rng(1)
    for _ in range(5):
        try:
            to_mnist(not_one_digit("two_digits", rng))
        except ValueError as e:
            return e
    raise AssertionError("no photo of two digits was refused")


def test_real_errors_read_in_chinese():
    """Errors raised by the real functions, as the UI shows them on a Chinese page."""
    from demo.digits import pictures
    from demo.digits.marks import NotOneDigit
    from demo.digits.pad_ink import ink_value
    from demo.digits.preprocess import to_mnist
    from demo.errors import message
    from demo.text import interventions, limits
    cases = [
        (_raised(lambda: limits.check_length(0)), "长度必须在 1 到 5,000 之间（要生成的字符数）", ()),
        (_raised(lambda: limits.check_unit(100, 100)), "（顶层的单元编号为 0 到 99）", ()),
        (_raised(lambda: limits.check_position(0, 5)), "位置必须在 1 到 4 之间", ()),
        (_raised(lambda: limits.check_span(3, 2, 50)), "选段至少要包含一个字符", ()),
        (_raised(lambda: limits.check_score_text("a")), "才能打分", ()),
        (_raised(lambda: limits.check_state("c", "rnn")), "只有 LSTM 才有 c", ("RNN", "LSTM")),
        (_raised(lambda: limits.check_temperature("hot")), "温度必须是", ("'hot'",)),
        (_raised(lambda: interventions.parse_units("h7, x")), "无法读取单元“x”", ("h7", "c25", "LSTM")),
        (_raised(lambda: to_mnist(ink_value(np.zeros((56, 56), np.uint8)))), "画板是空的", ()),
        (_raised(lambda: to_mnist(None)), "画板是空的", ()),
        (_raised(lambda: to_mnist({"format": "ink-v1", "width": 5, "height": 56, "data": ""})),
         "无法读取这幅图（width 为 5，超出了 8..512）", ("width",)),
        (_bad_photo(), "看起来不止一个数字", ()),
    ]
    assert isinstance(cases[-1][0], NotOneDigit)
    assert str(cases[8][0]) == pictures.EMPTY_MESSAGE                 # str(e) stays the English
    for error, chinese, names in cases:
        zh = message(error, "zh-CN")
        assert chinese in zh, zh
        assert not _english_left(zh, names), zh
        assert message(error, "en") == str(error) and not CJK_ANY.search(str(error)), str(error)


def test_photo_problems_and_drawing_warnings_are_keyed():
    """A picture that is not one digit: its layout's problem is a Text of a digits.error key, so
    a drawing's warning (a Reading's) and a photo's refusal read in either language."""
    from demo.digits.preprocess import check_single_digit
    from demo.errors import Text
    ink = np.zeros((56, 56), np.float32)
    ink[10:46, 6:12] = ink[10:46, 22:28] = ink[10:46, 40:46] = 1.0   # three bars side by side
    problem = check_single_digit(ink)
    assert isinstance(problem, Text) and problem.key.startswith("digits.error."), problem
    assert "more than one digit" in str(problem) and "不止一个数字" in problem.text("zh-CN")
    for text in (Text("digits.error.many_marks", n=5, text=Text("digits.word.page_of_text")),
                 Text("digits.error.side_by_side_some"), Text("digits.error.busy"),
                 Text("digits.error.not_on_paper", p=0.61, what=Text("digits.word.solid_blot"))):
        zh = text.text("zh-CN")
        assert CJK.search(zh) and not _english_left(zh), zh


def test_errors_cross_processes_with_their_key():
    """The workers send errors back pickled: key and fields survive, so the page still gets its
    language."""
    import pickle

    from demo.checkpoint import WeightsError
    from demo.digits.marks import NotOneDigit
    from demo.errors import Text, UserError
    for e in (UserError("text.error.range", label=Text("text.length.label"), lo=1, hi=5, value=9, hint=""),
              NotOneDigit("digits.error.busy"), WeightsError("app.error.file_missing", path="/w/a.npz", command="x")):
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is type(e) and str(back) == str(e) and back.text("zh-CN") == e.text("zh-CN")


def test_what_could_not_load_is_said_in_the_pages_language(tmp_path):
    from demo.checkpoint import WeightsError, load_lookup_pair, load_weights
    from demo.ui_common import Problem, problems_markdown
    with pytest.raises(WeightsError) as info:
        load_weights(tmp_path / "digits_lstm", "python training/train_digits.py --config lstm", "digits")
    missing = info.value
    assert str(missing) == (f"missing weights file {tmp_path / 'digits_lstm.safetensors'}. Create it with:\n"
                            "    python training/train_digits.py --config lstm")
    p = Problem("app.error.unavailable", missing, title="LSTM")
    assert p == ("**LSTM unavailable**: " + str(missing).replace("\n    ", "\n\n    "))   # in English, as a str
    zh = p.text("zh-CN")
    assert "**LSTM 不可用**" in zh and "缺少权重文件" in zh and "\n\n    python training/train_digits.py" in zh
    assert "unavailable" not in zh and "Create it" not in zh
    (tmp_path / "x.npz").write_bytes(b"not a zip")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(WeightsError) as info:
        load_lookup_pair(tmp_path / "x", None, ("a",), "python t.py", "GRU")
    other = Problem("digits.error.lookups", info.value, "error", model="GRU")
    assert "unit profiles unavailable" in other and "Recreate them with" in other
    both = problems_markdown([p, other], "zh-CN")
    assert "GRU 的单元概况不可用" in both and "可以用下面的命令重新生成" in both and "Recreate" not in both
    np.savez(tmp_path / "y.npz", a=np.zeros(2))
    (tmp_path / "y.json").write_text('{"weights_sha256": "old"}')
    for call in (lambda: load_lookup_pair(tmp_path / "y", "new", ("a",), "python t.py", "the LSTM"),
                 lambda: load_lookup_pair(tmp_path / "y", None, ("a", "b"), "python t.py", "the LSTM"),
                 lambda: load_lookup_pair(tmp_path / "z", None, ("a",), "python t.py", "the LSTM")):
        with pytest.raises(WeightsError) as info:
            call()
        zh = info.value.text("zh-CN")
        assert "可以用下面的命令" in zh and not re.search(r"Create|Recreate|missing|cannot|checksum|lacks", zh), zh


def test_the_ui_edge_shows_keyed_errors_and_hides_bugs(caplog):
    """friendly: a UserError in the page's language; a plain ValueError is a bug: logged, and
    the user reads the apology, never its words."""
    import gradio as gr

    from demo.errors import UserError
    from demo.text import limits
    from demo.ui_common import friendly, friendly_stream

    def bad(length):
        return limits.check_length(length)

    def bug():
        raise ValueError("internal detail")

    with pytest.raises(gr.Error) as info:
        friendly(bad, lang=True)(0, "zh-CN")
    assert "长度必须在 1 到 5,000 之间" in info.value.message
    with pytest.raises(gr.Error) as info:
        friendly(bug)()
    assert info.value.message == EN["app.error.fallback"] and "internal detail" in caplog.text

    def stream(seed, lang="en"):
        yield "a"
        raise UserError("text.error.seed_hint")

    out = friendly_stream(stream, lang=True)("T", "zh-CN")
    assert next(out) == "a"
    with pytest.raises(gr.Error) as info:
        next(out)
    assert info.value.message == ZH["text.error.seed_hint"]
    # an API client that sends Accept-Language (no page, so no language chosen) reads its own
    from types import SimpleNamespace

    from demo.ui_common import request_lang
    api = SimpleNamespace(session_hash="api-client", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert request_lang(api) == "zh-CN" and request_lang(None) == "en"
    from demo.errors import message
    assert message(UserError("text.error.nothing_yet"), "zh-CN") == ZH["text.error.nothing_yet"]
    assert not hasattr(i18n, "translate_message")          # nothing reads English text back


def test_plot_columns_are_named_in_the_pages_language():
    """Gradio's plots show the colour column's name (tooltip, legend) and every column of a
    tooltip="all" plot: those names follow the language."""
    from types import SimpleNamespace

    from demo.digits import views as dv
    from demo.text import views as tv
    lookups = {"lstm": SimpleNamespace(influence_gradient=np.linspace(0.1, 1, 28))}
    assert list(dv.influence_curves(lookups)) == ["row", "cell", "模型", "mean |dz/d row|"]   # every language's
    assert dv.curves_color("zh-CN") == "模型" and dv.curves_color() == "cell"
    assert dv.unit_rows_color() == "state" and CJK.search(dv.unit_rows_color("zh-CN"))
    frame = tv.connectivity_frame({"a": np.ones(5)}, lang="zh-CN")
    assert tv.conn_color("zh-CN") in frame and "series" not in frame and tv.conn_color() == "series"
    assert "字符" in tv.unit_frame(np.zeros(3), "abc", "zh-CN") and "character" in tv.unit_frame(np.zeros(3), "abc")
    for key in ("digits.unit_rows.x", "digits.unit_rows.y", "digits.unit_profile.x", "digits.unit_profile.y",
                "text.unit_plot.x", "text.unit_plot.y", "digits.curves.x", "digits.curves.y", "text.conn_plot.x"):
        assert i18n.is_static(EN[key]) and CJK.search(ZH[key]), key


def test_unit_thumbnails_carry_no_words(monkeypatch):
    """The thumbnails' image holds numbers only (class, h); their words are the label's."""
    from types import SimpleNamespace

    from demo import render
    from demo.digits import views
    drawn = []
    real = render.text_strip
    monkeypatch.setattr(render, "text_strip", lambda w, text, *a, **k: drawn.append(text) or real(w, text, *a, **k))
    lk = SimpleNamespace(thumbs=np.zeros((20, 28, 28), np.uint8), thumb_labels=np.arange(20) % 10,
                         top=np.arange(9)[None], top_values=np.linspace(1, 0.5, 9)[None],
                         bottom=np.arange(9, 18)[None], bottom_values=np.linspace(-1, -0.5, 9)[None])
    img = views._unit_thumbnails(lk, 0)
    assert img.ndim == 3 and len(drawn) == 18
    assert all(re.fullmatch(r"\d [+-]\d\.\d\d", s) for s in drawn), drawn
    assert "highest" in EN["digits.unit_thumbs.label"] and "最高" in ZH["digits.unit_thumbs.label"]
