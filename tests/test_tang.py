"""The Tang poems (唐诗): data preparation, the form and rhyme measures, the bigram baseline, and
whole poems from a char model (demo.text.poems): markers, seeds, acrostics, refusals, and the
unknown sign "□" never written.  Small data written here and a tiny random model: no /tmp, no
shipped Tang weights.

    .venv/bin/python -m pytest -q tests/test_tang.py
"""
import gzip
import json
import math

import numpy as np
import pytest
import torch

from demo.errors import UserError
from demo.text import CharModel, CharRNN, Vocab
from demo.text import poems
from demo.text.tang import (FORMS, MARK_END, POEM_END, UNKNOWN, check_form, form_marker, marker_of,
                            poem_line, rhyme_final, rhymes, split_lines)
from training.tang_data import Bigram, held_out, load_split

pytestmark = pytest.mark.unit

JINGYESI = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
DENG = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"
LIANGZHOU = "黄河远上白云间，一片孤城万仞山。羌笛何须怨杨柳，春风不度玉门关。"
CHUNWANG = "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。"

# traditional characters, as the collection has them
RAW = [
    {"author": "李白", "title": "靜夜思", "paragraphs": ["床前明月光，疑是地上霜。", "舉頭望明月，低頭思故鄉。"]},
    {"author": "孟浩然", "title": "春曉", "paragraphs": ["春眠不覺曉，處處聞啼鳥。", "夜來風雨聲，花落知多少。"]},
    {"author": "王之渙", "title": "涼州詞", "paragraphs": ["黃河遠上白雲間，一片孤城萬仞山。", "羌笛何須怨楊柳，春風不度玉門關。"]},
    {"author": "杜甫", "title": "春望", "paragraphs": ["國破山河在，城春草木深。", "感時花濺淚，恨別鳥驚心。",
                                                  "烽火連三月，家書抵萬金。", "白頭搔更短，渾欲不勝簪。"]},
    {"author": "李白", "title": "將進酒", "paragraphs": ["君不見黃河之水天上來，奔流到海不復回。"]},   # irregular
    {"author": "某", "title": "五句", "paragraphs": ["春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落知多少。花落知多少。"]},
    {"author": "某", "title": "雜言", "paragraphs": ["春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落多少。"]},
]


def write_jsonl(path, rows):
    path.write_bytes(gzip.compress("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()))
    return path


# -- data preparation ---------------------------------------------------------------------

def test_load_split_converts_filters_and_builds_the_vocabulary(tmp_path):
    split = load_split(tmp_path, path=write_jsonl(tmp_path / "p.jsonl.gz", RAW))
    poems_ = split.train + split.val
    assert sorted(poems_) == sorted([JINGYESI, "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。", LIANGZHOU, CHUNWANG])
    assert "晓" in split.vocab and "曉" not in split.vocab           # OpenCC t2s
    assert split.meta["poems_read"] == len(RAW) and split.meta["regular_poems"] == 4
    for c in "".join(FORMS) + MARK_END + POEM_END + UNKNOWN:
        assert c in split.vocab
    assert split.vocab == sorted(split.vocab)
    assert split.text([JINGYESI]) == "五绝：" + JINGYESI + "\n"


def test_rare_characters_become_the_unknown_sign(tmp_path):
    split = load_split(tmp_path, vocab_chars=10, path=write_jsonl(tmp_path / "p.jsonl.gz", RAW))
    text = split.text(split.train)
    assert UNKNOWN in text and set(text) <= set(split.vocab)
    assert len(split.vocab) == 10 + len(set("".join(FORMS))) + 3


def test_the_split_is_by_poem_and_does_not_depend_on_file_order(tmp_path):
    rows = [{"author": f"a{i}", "title": f"t{i}", "paragraphs": ["春眠不覺曉，處處聞啼鳥。", "夜來風雨聲，花落知多少。"]}
            for i in range(120)]
    a = load_split(tmp_path, path=write_jsonl(tmp_path / "a.jsonl.gz", rows))
    b = load_split(tmp_path, path=write_jsonl(tmp_path / "b.jsonl.gz", rows[::-1]))
    held = [held_out(r, "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。") for r in rows]
    assert 0 < sum(held) < 20                     # about 5% held out
    assert (len(a.train), len(a.val)) == (len(b.train), len(b.val)) == (120 - sum(held), sum(held))
    # the same poem text under another author/title may fall on the other side: the key is the poem
    assert held_out({"author": "x", "title": "y"}, JINGYESI) == held_out({"author": "x", "title": "y"}, JINGYESI)


# -- form and rhyme -----------------------------------------------------------------------

@pytest.mark.parametrize("poem, marker", [(JINGYESI, "五绝"), (DENG, "五绝"), (LIANGZHOU, "七绝"), (CHUNWANG, "五律")])
def test_regular_poems_have_their_form(poem, marker):
    assert check_form(poem).ok and marker_of(poem) == marker
    assert poem_line(poem) == marker + "：" + poem + "\n"


@pytest.mark.parametrize("poem, problem", [
    ("床前明月光，疑是地上霜。举头望明月，低头思故。", "line lengths"),            # a line too short
    ("床前明月光，疑是地上霜。举头望明月，低头思故乡乡乡。", "line lengths"),      # mixed 5 and 7
    ("床前明，疑是地，举头望，低头思。".replace("，", "，", 3), "line lengths"),   # lines of 3
    ("床前明月光，疑是地上霜。举头望明月，", "3 lines"),
    ("床前明月光。疑是地上霜，举头望明月。低头思故乡，", "punctuation"),          # not alternating
    ("床前明月光，疑是地上霜。举头望明月，低头思故乡，", "punctuation"),          # ends with "，"
    ("床前明月光，疑是地上霜。举头望明月，低头思故乡", "punctuation"),            # no final mark
    ("", "0 lines"),
])
def test_irregular_poems_are_refused_with_the_reason(poem, problem):
    form = check_form(poem)
    assert not form.ok and form.problem.startswith(problem)


def test_split_lines_and_markers():
    assert split_lines("白日依山尽，黄河入海流。") == (["白日依山尽", "黄河入海流"], ["，", "。"])
    assert split_lines("白日依山尽，黄河") == (["白日依山尽", "黄河"], ["，", ""])
    assert form_marker(7, 8) == "七律"
    with pytest.raises(ValueError):
        form_marker(6, 4)
    with pytest.raises(ValueError):
        marker_of("白日依山尽。")


def test_rhymes():
    assert rhyme_final("霜") == rhyme_final("乡") == "ang" and rhyme_final("流") == rhyme_final("楼") == "ou"
    assert rhyme_final("a") is None
    assert rhymes(JINGYESI) and rhymes(DENG) and rhymes(LIANGZHOU)
    # shen, xin, jin, zan: one rhyme (qin) in Middle Chinese, not in the modern readings measured
    assert not rhymes(CHUNWANG)
    assert not rhymes("白日依山尽，黄河入海流。欲穷千里目，更上一层天。")
    assert not rhymes("白日依山尽，") and not rhymes("白日依山尽，黄河入海流。")   # one even line: no rhyme
    assert not rhymes("白日依山尽，黄河入海流。欲穷千里目，。")                     # an empty line


# -- the bigram baseline ------------------------------------------------------------------

def test_bigram_nll_is_the_hand_computation():
    ids = np.array([0, 1, 0, 2, 0, 1])      # pairs 01 10 02 20 01; id 3 is never seen
    b = Bigram(ids, 4)
    uni = np.array([4, 3, 2, 1]) / 10        # counts + 1 (add-one)
    lam = 0.9
    p01 = lam * 2 / 3 + (1 - lam) * uni[1]
    p12 = lam * 0 / 1 + (1 - lam) * uni[2]
    p23 = lam * 0 / 1 + (1 - lam) * uni[3]   # 2 was seen once (before 0)
    p30 = uni[0]                             # 3 never starts a pair: the unigram alone
    want = -(math.log(p01) + math.log(p12) + math.log(p23) + math.log(p30)) / 4
    assert b.nll(np.array([0, 1, 2, 3, 0])) == pytest.approx(want, rel=1e-12)
    assert b.probs(np.array([0, 3])).sum(1) == pytest.approx([1.0, 1.0])
    assert b.fit_lambda(ids) in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98)


def test_bigram_samples_a_bare_poem():
    text = "".join(poem_line(p) for p in (JINGYESI, DENG, LIANGZHOU, CHUNWANG)) + "□"
    vocab = sorted(set(text))
    b = Bigram(np.array([vocab.index(c) for c in text]), len(vocab))
    b.counts[:, vocab.index("□")] += 1000          # the baseline would like "□": it is never drawn
    b.rows = b.counts.sum(1)
    out = [b.sample(vocab, np.random.default_rng(s)) for s in range(20)]
    assert out == [b.sample(vocab, np.random.default_rng(s)) for s in range(20)]
    assert all(not set(p) & {"□", "\n", "："} and 0 < len(p) <= poems.MAX_POEM for p in out)
    assert sum(p[:1] in "五七" for p in out) < 20    # the marker is gone (most poems start otherwise)


# -- whole poems from a char model --------------------------------------------------------

CHARS = "春夏秋冬山水月花风云日夜人归来去不知何处天江"


def tang_model(bias=None, seed=0) -> CharModel:
    """A tiny random LSTM with a Tang-style vocabulary; ``bias`` {char: added logit}."""
    vocab = Vocab(sorted(set("".join(FORMS) + MARK_END + POEM_END + UNKNOWN + "，。" + CHARS)))
    torch.manual_seed(seed)
    net = CharRNN(len(vocab), "lstm", hidden=16, layers=1, embed=8)
    with torch.no_grad():
        for c, b in {"，": 3.0, "。": 3.0, **(bias or {})}.items():   # lines of a few characters
            net.head.bias[vocab.stoi[c]] += b
    return CharModel(net, vocab, {"name": "toy-tang"})


@pytest.fixture(scope="module")
def model():
    return tang_model()


def test_a_poem_has_no_markers_and_the_same_seed_gives_the_same_poem(model):
    for s in range(10):
        p = poems.write(model, rng_seed=s)
        assert p.marker in FORMS
        assert not set(p.text) & {MARK_END, POEM_END, UNKNOWN} and 0 < len(p.text) <= poems.MAX_POEM
        assert model.poem(rng_seed=s) == p.text == model.poem(rng_seed=s)
    assert len({model.poem(rng_seed=s) for s in range(10)}) > 5


def test_a_batch_of_poems_is_the_poems_written_alone(model):
    jobs = [poems.poem_sampling(model, temperature=t, rng_seed=s, acrostic=a)
            for s, (t, a) in enumerate([(0.8, None), (1.0, None), (0.5, "春夏秋冬"), (0.0, None), (1.3, None)])]
    together = poems.write_many(model, jobs, slots=3)
    assert together == [poems.write(model, temperature=t, rng_seed=s, acrostic=a)
                        for s, (t, a) in enumerate([(0.8, None), (1.0, None), (0.5, "春夏秋冬"), (0.0, None), (1.3, None)])]


def test_the_seed_starts_the_poem(model):
    for s in range(5):
        assert model.poem(seed="春风", rng_seed=s).startswith("春风")
    assert model.poem(seed="  江月，", rng_seed=0).startswith("江月，")


def test_acrostic_lines_start_with_its_characters(model):
    for acrostic in ("春夏秋冬", "春夏秋冬山水月花"):
        for s in range(5):
            p = poems.write(model, acrostic=acrostic, rng_seed=s)
            lines, marks = split_lines(p.text)
            assert [line[0] for line in lines] == list(acrostic), p.text
            assert p.marker[1] == ("绝" if len(acrostic) == 4 else "律") and p.ended
            assert marks[-1] in "，。" and POEM_END not in p.text
    assert model.poem(acrostic="春 夏 秋 冬", rng_seed=1) == model.poem(acrostic="春夏秋冬", rng_seed=1)


def test_the_marker_is_drawn_among_the_four_and_a_poem_has_a_length_cap():
    m = tang_model({"春": 30.0})       # the model writes nothing but "春": not a marker, never an end
    p = poems.write(m, rng_seed=0)
    assert p.marker in FORMS and p.text == "春" * poems.MAX_POEM and not p.ended
    p = poems.write(m, acrostic="夏秋冬山", rng_seed=0)
    lines = [p.text[i:i + poems.LINE_CAP + 1] for i in range(0, len(p.text), poems.LINE_CAP + 1)]
    assert [line[0] for line in lines] == list("夏秋冬山") and not p.ended


def test_the_unknown_sign_is_never_sampled_even_when_the_model_wants_it():
    m = tang_model({"□": 50.0})
    assert m.vocab.chars[int(m._b_out.argmax())] == "□"
    for t in (0, 0.01, 0.8, 1.0, 3.0):
        assert "□" not in m.generate("春", 300, temperature=t, rng_seed=1)
        assert "□" not in m.generate("春", 50, temperature=t, top_k=1, rng_seed=1)
        assert "□" not in m.poem(temperature=t, rng_seed=2)
        assert "□" not in m.poem(acrostic="春夏秋冬", temperature=t, rng_seed=2)
    steps = list(m.stream("春", 100, temperature=1.0, rng_seed=3))
    assert all(s.char != "□" for s in steps)
    assert steps[0].topk[0][0] == "□" and steps[0].topk[0][1] > 0.99   # what the model says is kept


def test_the_unknown_mask_leaves_other_models_alone(model):
    assert model._allowed is not None and not model._allowed[model.vocab.stoi["□"]]
    plain = CharModel(CharRNN(5, "gru", hidden=4, layers=1), Vocab("abcde"))
    assert plain._allowed is None


@pytest.mark.parametrize("kwargs, key, named", [
    (dict(acrostic="春夏秋"), "tang.error.acrostic_length", "3"),
    (dict(acrostic="春夏秋冬山"), "tang.error.acrostic_length", "5"),
    (dict(acrostic="春夏，冬"), "tang.error.acrostic_chars", "'，'"),
    (dict(acrostic="春夏秋龍"), "tang.error.acrostic_chars", "'龍'"),
    (dict(acrostic="春夏秋□"), "tang.error.acrostic_chars", "'□'"),
    (dict(acrostic=1234), "tang.error.acrostic_type", "int"),
    (dict(seed="春龍x"), "tang.error.seed_chars", "'x', '龍'"),
    (dict(seed="春：风"), "tang.error.seed_chars", "'：'"),
    (dict(seed="春" * 61), "tang.error.seed_long", "61"),
    (dict(seed=["春"]), "tang.error.seed_type", "list"),
    (dict(seed="春", acrostic="春夏秋冬"), "tang.error.seed_and_acrostic", ""),
    (dict(temperature=-1), "text.error.temperature", "-1"),
])
def test_refusals_carry_their_key_and_name_the_characters(model, kwargs, key, named):
    with pytest.raises(UserError) as info:
        model.poem(**kwargs)
    assert info.value.key == key and named in str(info.value)
    assert info.value.text("zh-CN") != str(info.value)


def test_a_model_without_the_tang_markers_refuses_poems():
    m = CharModel(CharRNN(5, "lstm", hidden=4, layers=1), Vocab("abc:\n"), {"name": "toy"})
    with pytest.raises(UserError) as info:
        m.poem()
    assert info.value.key == "tang.error.not_tang" and "toy" in str(info.value)
