"""The Tang model's units (issue #27): the Tang features on a hand-made text (exact arrays), a planted
counting unit found first, the lookups' vocabulary ids as uint16 for a 4,002-character vocabulary
(written, read back, the split stored for select-and-match), poem line lengths, and the clamp
experiment (training/tang_units.py) on a tiny Tang model built here.

    .venv/bin/python -m pytest -q tests/test_tang_units.py
"""
import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from demo.text import CharModel, CharRNN, Vocab, interventions, matching
from demo.text import units as tu
from demo.text.lookups import id_dtype, load_lookups
from demo.text.poems import Poem
from demo.text.tang import FORMS, LINE_MARKS, MARK_END, POEM_END, UNKNOWN
from training import find_units, tang_units

pytestmark = pytest.mark.unit

TANG_META = {"name": "toy-tang", "data": {"corpus": "tang"}}
POEMS = ("五绝：床前明月光，疑是地上霜。举头望明月，低头思故乡。\n"
         "七绝：朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。\n")


def tang_model(extra: int = 0, hidden: int = 8, seed: int = 0) -> CharModel:
    """A tiny untrained Tang LSTM: the format's characters, the poems' and ``extra`` more."""
    torch.manual_seed(seed)
    chars = set(POEMS) | set("".join(FORMS)) | set(LINE_MARKS) | {MARK_END, POEM_END, UNKNOWN}
    chars |= {chr(0x4E00 + 500 + i) for i in range(extra)} - chars
    vocab = Vocab(sorted(chars))
    net = CharRNN(len(vocab), "lstm", hidden=hidden, layers=1, embed=4)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(3.0)
    return CharModel(net, vocab, dict(TANG_META))


def test_tang_features_on_a_hand_made_text():
    text = "五绝：床前明月光，疑是地上霜。\n七律：白日依山尽欲，黄\n江南"
    f = tu.text_features(text, "tang")
    assert list(f) == list(tu.TANG_FEATURES) == list(tu.feature_set("tang"))
    #            五 绝 ： 床 前 明 月 光 ， 疑 是 地 上 霜 。 \n 七 律 ： 白 日 依 山 尽 欲 ， 黄 \n 江 南
    expect = {
        "line_pos": [0, 0, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 1, 0, 1, 2],
        "line_no": [0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 0, 1, 1],
        "punct_next": [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
        "seven": [-1] * 15 + [0] + [1] * 11 + [0, 0, 0],
        "eight": [0] + [-1] * 14 + [0, 0] + [1] * 10 + [0, 0, 0],
        "even_line": [0, 0, 0, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1,
                      1, 0, -1, -1],
    }
    for k, v in expect.items():
        assert f[k].tolist() == v, k
    # seven-character lines count to 7 and stop there; an eighth character stays at 7
    assert tu.tang_features("七绝：一二三四五六七八，")["line_pos"].tolist() == [0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 7, 0]
    assert all(len(a) == 0 for a in tu.tang_features("").values())
    # Shakespeare's features are unchanged and stay the default
    assert list(tu.text_features("ab\n")) == list(tu.FEATURES)


def test_corpus_of_reads_the_weights_json():
    assert tu.corpus_of(SimpleNamespace(meta={"data": {"corpus": "tang"}})) == "tang"
    for meta in ({}, {"data": {}}, {"data": {"corpus": "other"}}, None):
        assert tu.corpus_of(SimpleNamespace(meta=meta)) == "shakespeare"


def test_a_planted_counting_unit_is_found_first():
    text = POEMS * 20
    rng = np.random.default_rng(0)
    f = tu.tang_features(text)
    h, c = rng.normal(size=(len(text), 16)), rng.normal(size=(len(text), 16))
    h[:, 11] = f["line_pos"] + 0.5 * rng.normal(size=len(text))         # the counting unit
    c[:, 3] = -2 * f["punct_next"] + 0.8 * rng.normal(size=len(text))     # a weaker one, negative
    model = SimpleNamespace(meta=dict(TANG_META))
    found = tu.discover_units(model, text, text_states=SimpleNamespace(h=h, c=c))
    assert (found[0].feature, found[0].key) == ("line_pos", "h:11") and found[0].r > 0.9
    assert found[0].description == tu.TANG_FEATURES["line_pos"] and "position in the line" in found[0].label
    assert (found[1].feature, found[1].key) == ("punct_next", "c:3") and found[1].r < -0.5
    assert len(found) == 2                                                # noise tracks nothing (|r| < 0.2)


def test_poem_lines_and_tang_line_stats():
    text = POEMS + "五律：江南好，风景\n七绝：一二三，"
    assert interventions.poem_lines(text) == ["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡",
                                              "朝辞白帝彩云间", "千里江陵一日还", "两岸猿声啼不住", "轻舟已过万重山",
                                              "江南好", "一二三"]
    assert interventions.line_lengths(text, "tang") == [5] * 4 + [7] * 4 + [3, 3]
    s = interventions.line_stats(text, (5, 7), "tang")
    assert (s.lines, s.usual) == (10, 0.8) and s.mean_line == pytest.approx(5.4)
    assert interventions.line_lengths("ab\ncde\nf") == [2, 3]             # Shakespeare: text lines


def test_lookups_of_a_big_vocabulary_round_trip(tmp_path):
    """ids above 255 (uint16) survive make_lookups -> save -> load; the split is stored and read
    back for select-and-match; the meta names the Tang features and poem line lengths."""
    assert id_dtype(256) == np.uint8 and id_dtype(257) == np.uint16 and id_dtype(4002) == np.uint16
    model = tang_model(extra=400)
    assert len(model.vocab) > 400
    big = "".join(model.vocab.chars[-40:])          # characters whose ids are above 255
    text = POEMS + "七绝：" + "，".join(big[i:i + 7] for i in range(0, 28, 7)) + "。\n" + POEMS
    split = find_units.Split("tang", text, 0, {"corpus": "tang", "start": 0}, "{n} of {total}")
    arrays, meta = find_units.make_lookups(model, split, positions=4, max_distance=8, burn_in=4)
    assert arrays["ctx_chars"].dtype == np.uint16 and arrays["val_ids"].dtype == np.uint16
    assert arrays["val_ids"].max() > 255 and arrays["feature_r"].shape == (2, 8, len(tu.TANG_FEATURES))
    assert meta["features"] == list(tu.TANG_FEATURES) and meta["corpus"] == "tang"
    assert meta["line_lengths"]["mean"] == pytest.approx(np.mean([5] * 4 + [7] * 4 + [7] * 4 + [5] * 4 + [7] * 4))
    model.meta["weights_sha256"] = meta["weights_sha256"] = "ab" * 32
    find_units.save_lookups("toy", tmp_path, arrays, meta)
    lk = load_lookups("toy", "ab" * 32, tmp_path, model.vocab.chars)
    assert lk.ctx_chars.dtype == np.uint16
    for ctx in lk.contexts("c", 3):
        assert ctx.text == text[ctx.start:ctx.end]
    assert lk.validation_text() == text
    assert matching.read_validation(tmp_path, lk.meta, lk) == text
    assert matching.read_validation(tmp_path, lk.meta) is None               # the text is in the lookups
    bad = {**lk.meta, "validation": {**lk.meta["validation"], "sha256": "0" * 64}}
    assert matching.read_validation(tmp_path, bad, lk) is None


def test_units_file_of_a_tang_model_names_its_source(tmp_path):
    found = [tu.Unit("line_pos", tu.TANG_FEATURES["line_pos"], "h", 5, -0.9)]
    tu.save_units(tmp_path / "u.json", found, {"weights_sha256": "x", "corpus": "tang", "chars": 10, "total": 20})
    units, source = tu.load_units(tmp_path / "u.json", "x")
    assert units == found and source.key == "text.units_table.source_val_tang"


def test_measure_counts_line_lengths_and_forms():
    poems = [Poem("五绝", "床前明月光，疑是地上霜。举头望明月，低头思故乡。", True),
             Poem("七律", "床前明月光，疑是地上霜。举头望明月，低头思故乡。", True),     # 五绝 under the 七律 marker
             Poem("七绝", "床前明月，疑是地上霜。举头", False)]
    m = tang_units.measure(poems)
    assert (m["poems"], m["lines"], m["ended"]) == (3, 10, pytest.approx(2 / 3, abs=1e-4))
    assert m["form_ok"] == pytest.approx(2 / 3, abs=1e-4) and m["form_matches_marker"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["line_length_share"] == {"4": 0.1, "5": 0.9} and m["mean_line"] == pytest.approx(4.9)
    assert m["lines_per_poem"] == pytest.approx(10 / 3, abs=1e-3) and m["markers"]["七律"] == pytest.approx(1 / 3, abs=1e-4)


def test_clamp_experiment_on_a_tiny_model():
    model = tang_model()
    text = POEMS * 6
    acts = matching.validation_activations(model, text)
    found = tang_units.counting_unit(text, acts)
    best = found["candidates"][0]
    assert (found["state"], found["unit"]) == (best["state"], best["unit"])
    assert [abs(c["r"]) for c in found["candidates"]] == sorted((abs(c["r"]) for c in found["candidates"]), reverse=True)
    assert found["early"] == (found["p95"] if found["r"] < 0 else found["p5"]) and found["p5"] <= found["p95"]
    assert set(found["mean_by_position"]) == {"0", "1", "2", "3", "4", "5", "6", "7"}
    chosen = tang_units.counting_unit(text, acts, ("h", 2))
    assert chosen["key"] == "h:2" and tang_units.parse_unit("c:7") == ("c", 7) and tang_units.parse_unit(None) is None
    conds = tang_units.conditions_of(found, group=2)
    assert list(conds) == ["plain", "early", "late", "early_2", "late_2"] and conds["plain"] is None
    assert len(conds["late_2"]) == 2 and tang_units.conditions_of(found, (1.5, -1.5))["early"] == {
        (found["state"], found["unit"]): 1.5}
    plain = tang_units.write_poems(model, 3, 1.0)
    assert plain == tang_units.write_poems(model, 3, 1.0)                 # seeds 0..2: the same poems
    assert all(p.marker in FORMS for p in plain)
    key = (found["state"], found["unit"])
    assert tang_units.write_poems(model, 3, 1.0, {key: 50.0}) != plain    # the clamp is applied
    result = tang_units.experiment(model, text, 3, 1.0, group=2, acts=acts)
    assert set(result["conditions"]) == set(conds) and result["unit"]["key"] == found["key"]
    for name, c in result["conditions"].items():
        assert c["poems"] == 3 and sum(c["line_length_share"].values()) == pytest.approx(1, abs=1e-3)
        assert (c["clamp"] is None) == (name == "plain")
    assert result["conditions"]["plain"]["examples"] == [p.text for p in plain]
    assert "early_2" in tang_units.table(result)
    assert json.loads(json.dumps(result)) == result                       # it is written as JSON
