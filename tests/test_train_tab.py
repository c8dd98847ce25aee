"""The Train tab without a browser (demo/train/controls.py, handlers.py, views.py, compare.py): the
run's settings made from the controls (the defaults are the library's first run; a lesson's link
gives "Remember the digit" at D = 50, an LSTM with forget bias 2 beside one with torch's default),
bad values refused naming the control in the page's language, the user's text checked, the views
drawn from a fake update, the stream's Play / pause / take-over / page-gone logic on a fake pool,
the compare mode (two jobs' updates merged into one page, both runs named in the legends,
Pause / Step / Reset on both, the run in line said), the download in the weights/ format, and,
with a real pool, Play on a tiny network streaming three updates, then Pause, and two tiny runs
compared (two workers) both streaming until Pause stops both.

    .venv/bin/python -m pytest -q tests/test_train_tab.py
"""
import re
import time
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from demo import links, lessons
from demo.answers import SKIP, Update
from demo.errors import UserError, message
from demo.train import Run, Settings, SettingError
from demo.train import controls as ctl
from demo.train import compare, handlers, views
from demo.train.controls import TABLE
from demo.train.job import Update as JobUpdate

TINY = dict(hidden=8, batch=16, train_size=256, val_size=64, record_every=5)


def record(step, loss=2.0, acc=0.1, T=28, clipped=0.0, norm=0.5, lo=1e-4):
    return {"step": step, "seconds": step / 10, "train_loss": loss, "val_loss": loss * 1.1, "val_acc": acc,
            "grad_by_step": list(np.geomspace(lo, 1e-1, T)), "grad_norm": None if step == 0 else norm,
            "clipped": None if step == 0 else clipped}


def example(cell="lstm", T=28, H=8):
    rng = np.random.default_rng(0)
    names = {"lstm": "h c i f g o", "gru": "h r z n", "rnn": "h"}[cell].split()
    return {"step": 10, "arrays": {n: rng.uniform(-1, 1, (T, H)).astype(np.float16) for n in names},
            "input": rng.integers(0, 256, (T, 28), dtype=np.uint8), "label": 7,
            "probs": np.full((T, 10), 0.1, dtype=np.float32)}


def update(state="running", records=(), views_=None, step=10, end=None, error=None, position=0):
    return JobUpdate(state, position, step, step / 10, list(records), views_, end, error)


# -- settings from the controls -------------------------------------------------------------------

def test_the_defaults_are_the_librarys_first_run():
    c = TABLE.default
    s = Settings.make(**ctl.settings(c))
    assert (s.task, s.cell, s.hidden, s.layers, s.optimizer, s.lr, s.batch, s.clip) == \
        ("digits", "lstm", 64, 1, "adam", 1e-2, 64, 1.0)
    assert s.forget_bias is None and s.delay == 0 and not s.bidirectional
    assert TABLE.encode(c) == []
    # the page shows the task's own numbers, and a link leaves them out
    assert [ctl.effective(c, n) for n in ("hidden", "lr", "batch")] == [64, 1e-2, 64]
    text = TABLE.check({"task": "text"})
    assert [ctl.effective(text, n) for n in ctl.TASK_SIZED] == [128, 3e-3, 32, 64]
    assert ctl.normalised(TABLE.check({"hidden": 128, "lr": 3e-3}, base=text)) == text


def test_the_lessons_link_opens_remember_the_digit_at_50_ready_to_compare():
    link = links.with_lesson(links.decode_strict("lesson=remember"), lessons.preset("remember").link)
    c = link.tabs["train"]
    s = Settings.make(**ctl.settings(c))
    assert (s.task, s.delay, s.cell, s.forget_bias, s.lr) == ("remember", 50, "lstm", 2.0, 5e-3)
    b = Settings.make(**ctl.settings(ctl.second(c)))   # run B: the same LSTM, torch's initialisation
    assert c.compare and (b.task, b.delay, b.cell, b.forget_bias, b.lr, b.hidden) == ("remember", 50, "lstm", None,
                                                                                      5e-3, s.hidden)
    assert c == compare.preset("fbias") and lessons.tabs_shown("remember") == ("train",)
    rnn = links.with_lesson(links.decode_strict("lesson=remember_rnn"), lessons.preset("remember_rnn").link)
    assert rnn.tabs["train"] == compare.preset("rnn")  # the other lesson: an RNN beside the LSTM
    b = ctl.settings(ctl.second(rnn.tabs["train"]))
    assert b["cell"] == "rnn" and "forget_bias" not in b and Settings.make(**b).delay == 50


def test_the_compare_controls_and_their_link():
    c = TABLE.check({"compare": True, "cell_b": "gru", "forget_bias_b": "3", "hidden": 32, "seed": 4})
    assert TABLE.encode(c) == [("hidden", "32"), ("trseed", "4"), ("cmp", "1"), ("cell2", "gru"), ("fbias2", "3")]
    again = TABLE.decode(dict(TABLE.encode(c)))
    assert again == c and ctl.second(again).cell == "gru"
    b = ctl.settings(ctl.second(c))                     # B: its own cell; the rest is A's
    assert b == {**{k: v for k, v in ctl.settings(c).items() if k != "forget_bias"}, "cell": "gru"}   # no forget gate
    assert ctl.settings(ctl.second(TABLE.check({"cell_b": "peephole", "forget_bias_b": 3})))["forget_bias"] == 3.0
    with pytest.raises(UserError) as e:
        TABLE.check({"forget_bias_b": "open"})
    assert "Run B's forget-gate bias" in message(e.value, "en") and "训练 B 的遗忘门偏置" in message(e.value, "zh-CN")
    shown = handlers.shown_controls("remember", "lstm", "shakespeare", True, False, "lstm")
    assert not shown["cell_b"]["visible"] and not shown["forget_bias_b"]["visible"]
    shown = handlers.shown_controls("remember", "lstm", "shakespeare", True, True, "rnn")
    assert shown["cell_b"]["visible"] and not shown["forget_bias_b"]["visible"]          # an RNN: no bias
    assert handlers.shown_controls("digits", "gru", "shakespeare", True, True, "lstm")["forget_bias_b"]["visible"]
    with pytest.raises(UserError) as e:                 # run B's cell cannot read both ways: refused, no run
        handlers._wanted(TABLE.check({"compare": True, "cell_b": "peephole", "bidirectional": True}), None, None)
    assert e.value.key == "train.error.both_ways"


def test_controls_that_mean_nothing_for_the_task_or_cell_are_left_out():
    c = TABLE.check({"task": "text", "delay": 20, "bidirectional": True, "cell": "gru", "forget_bias": 2,
                     "bptt": 32, "clip": False})
    s = ctl.settings(c)
    assert "delay" not in s and "bidirectional" not in s and "forget_bias" not in s
    assert s["bptt"] == 32 and s["clip"] is None
    Settings.make(**s)                                   # the library takes them as they are
    d = ctl.settings(TABLE.check({"bptt": 32, "bidirectional": True}))
    assert "bptt" not in d and d["bidirectional"] is True


@pytest.mark.parametrize("field,value,label_en,label_zh", [
    ("hidden", 0, "Hidden units", "隐藏单元数"),
    ("hidden", 100_000, "Hidden units", "隐藏单元数"),
    ("lr", "nan", "Learning rate", "学习率"),
    ("lr", -1, "Learning rate", "学习率"),
    ("cell", "tanh", "Cell", "循环单元"),
    ("forget_bias", "open", "Forget-gate bias", "遗忘门偏置"),
    ("delay", 101, "Blank rows D", "空白行数 D"),
    ("clip", "maybe", "Clip gradients", "梯度裁剪"),
    ("batch", 1.5, "Batch", "批量大小"),
])
def test_bad_values_are_refused_naming_the_control(field, value, label_en, label_zh):
    with pytest.raises(UserError) as e:
        TABLE.check({field: value})
    assert label_en in message(e.value, "en") and label_zh in message(e.value, "zh-CN")
    assert "Traceback" not in message(e.value, "en")


def test_what_cannot_go_together_is_refused_when_the_run_starts():
    c = TABLE.check({"cell": "peephole", "bidirectional": True})
    with pytest.raises(UserError) as e:
        handlers.run_settings(c)
    assert e.value.key == "train.error.both_ways" and "窥孔 LSTM" in e.value.text("zh-CN")
    # the library's own words become the control's name in the page's language
    err = handlers.keyed(SettingError("lr", "must be a number above 0 and at most 10, got nan"))
    assert isinstance(err, UserError) and "学习率" in message(err, "zh-CN") and "Learning rate" in str(err)


# -- the user's text ------------------------------------------------------------------------------

def test_the_users_text(tmp_path):
    poem = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
    c = TABLE.check({"task": "text", "source": "mine"})
    s, text = handlers.run_settings(c, pasted=poem)
    assert text == poem and s["task"] == "text"
    path = tmp_path / "poem.txt"
    path.write_bytes(poem.encode("utf-8"))
    assert handlers.run_settings(c, pasted="ignored", upload=str(path))[1] == poem      # the file wins
    assert handlers.run_settings(TABLE.check({"task": "text"}), pasted=poem)[1] is None  # Shakespeare
    cases = [(b"\xff\xfe\x00bad" * 10, "train.error.text_utf8"), (b"x" * (1 << 20 | 1), "train.error.text_big"),
             ("  \n ".encode(), "train.error.text_empty"), (b"ab\x00" * 20, "train.error.text_binary"),
             ("短文".encode(), "train.error.text_short")]
    for raw, key in cases:
        path.write_bytes(raw)
        with pytest.raises(UserError) as e:
            handlers.run_settings(c, upload=str(path))
        assert e.value.key == key, (raw[:10], e.value.key)
        assert re.search(r"[\u4e00-\u9fff]", e.value.text("zh-CN")) and "{" not in e.value.text("zh-CN")


# -- the views ------------------------------------------------------------------------------------

def test_curves_and_gradients_from_records():
    recs = [record(0, 2.3, 0.1), record(10, 1.2, 0.6, clipped=0.4, norm=3.0), record(20, 0.6, 0.85)]
    loss = views.curves_html(recs, "loss", "step", "digits", "en")
    assert 'data-step="20"' in loss and 'data-records="3"' in loss
    assert loss.count("<polyline") == 2 and "training loss" in loss and "validation loss" in loss
    acc = views.curves_html(recs, "acc", "seconds", "digits", "zh-CN")
    assert acc.count("<polyline") == 1 and "验证准确率" in acc and "训练秒数" in acc
    assert "Press" in views.curves_html([], "loss", "step", "digits", "en")     # empty: says what comes
    grads = views.grads_html(recs, 28, "en")
    assert grads.count("<polyline") == 3 and "step 20 (now)" in grads and "1e-4" in grads.replace("−", "-")
    assert "Clipping did not bite" in grads                         # the last record: clipped 0
    assert "40%" in views.clip_note(recs[:2], "en") and "关闭" in views.clip_note(recs, "zh-CN", clip=False)
    many = [record(10 * k) for k in range(40)]
    assert views.grads_html(many, 28).count("<polyline") == views.GRAD_LINES
    long = views.grads_html([record(0, T=78), record(10, T=78)], 28, "en")
    assert "the digit&#x27;s rows" in long                          # remember: the digit's rows shaded


def test_maps_from_the_fixed_example():
    maps = views.example_maps(example("lstm"), "lstm", "en")
    assert [c.split(":")[0] for c, _ in maps] == ["h", "c", "i", "f", "g", "o"]
    caption, v = maps[2]
    assert v["format"] == "heat-v2" and (v["rows"], v["cols"]) == (8, 28) and v["cmap"] == "sequential"
    assert v["caption"] == caption and "input gate" in caption
    assert [c[:1] for c, _ in views.example_maps(example("gru"), "gru", "zh-CN")] == ["h", "r", "z", "n"]
    big = example("rnn", T=78, H=200)
    (caption, v), = views.example_maps(big, "rnn", "en")
    assert (v["rows"], v["cols"]) == (views.MAX_UNITS, 78) and "64 of 200" in caption
    assert views.input_map(example())["rows"] == 28 and views.answers_map(example())["rows"] == 10
    conf = views.confusion_map({"step": 30, "counts": np.eye(10, dtype=np.int32) * 5}, "zh-CN")
    assert conf["rows"] == conf["cols"] == 10 and "100.0%" in conf["caption"] and "混淆矩阵" in conf["caption"]
    sample = views.sample_text({"step": 40, "text": "ROMEO:", "temperature": 0.8}, "en")
    assert sample.startswith("Step 40, temperature 0.8:") and sample.endswith("ROMEO:")


def test_status_says_the_place_in_line_the_cap_and_the_end():
    assert "number 3 in line" in views.status_text(update("waiting", position=3), 120, [], "en")
    running = views.status_text(update(records=[record(10, acc=0.5)]), 120, [record(10, acc=0.5)], "en")
    assert "step 10" in running and "at most 120 s" in running and "50.0%" in running
    assert "120 秒上限" in views.status_text(update("ended", end="cap"), 120, [], "zh-CN")
    died = views.status_text(update("ended", end="died"), 120, [], "en", error="worker gone")
    assert died.endswith("worker gone")
    assert "120" in views.idle_text(120, "en") and "120" in views.idle_text(120, "zh-CN")


def test_a_frame_sends_what_changed():
    trainer = handlers.Trainer(make=lambda: pytest.fail("no pool here"))
    s = trainer.session("p")
    s.settings = {"task": "digits", "cell": "gru", "clip": 1.0}
    first = handlers.frame(trainer, s, update(records=[record(0), record(10)], views_={"example": example("gru")}),
                           first=True)
    assert set(first) == set(handlers.FRAME)
    assert 'data-step="10"' in first["loss"] and first["grads"] is not SKIP
    shown = [first[m].get("visible") for m in handlers.MAPS]
    assert shown == [True] * 4 + [False] * 2 and first["input"]["visible"] and first["answers"]["visible"]
    assert first["confusion"] is SKIP and first["sample"] == Update(visible=False)   # text's view hidden
    later = handlers.frame(trainer, s, update(views_={"confusion": {"step": 10, "counts": np.ones((10, 10))}}),
                           maps=False)
    assert later["loss"] is SKIP and later["maps.0"] is SKIP and isinstance(later["confusion"], Update)
    assert 'data-records="2"' in handlers.redraw(trainer, "p", "seconds", "zh-CN")["loss"]


# -- the stream, on a fake pool ----------------------------------------------------------------------

class FakeJob:
    """A job whose updates the test scripts: a list of Updates, then it waits (paused)."""

    def __init__(self, script):
        self.script, self.end, self.cap_s = list(script), None, 120.0
        self.calls = []

    def updates(self, timeout=1.0):
        for u in self.script:
            self.end = u.end
            yield u
        while True:
            time.sleep(0.01)
            yield update("paused")

    def play(self):
        self.calls.append("play")

    def pause(self):
        self.calls.append("pause")

    def step(self, n):
        self.calls.append(("step", n))

    def stop(self):
        self.calls.append("stop")
        self.end = "stopped"


class FakePool:
    """Its k-th job plays the k-th script (the last one again when there are fewer)."""
    cap_s = 120.0

    def __init__(self, script, *more):
        self.scripts, self.jobs, self.cancelled = [script, *more], [], []

    def submit(self, settings, owner=None, text=None, paused=False, name="trained"):
        Settings.make(**settings)
        self.jobs.append(FakeJob(self.scripts[min(len(self.jobs), len(self.scripts) - 1)]))
        self.jobs[-1].settings, self.jobs[-1].paused = settings, paused
        return self.jobs[-1]

    def cancel_owner(self, owner):
        self.cancelled.append(owner)
        return 1


def test_play_streams_until_the_run_pauses_and_goes_on_with_the_same_run(monkeypatch):
    monkeypatch.setattr(handlers, "PAUSE_LINGER", 0.05)
    pool = FakePool([update(records=[record(0)], views_={"example": example()}), update(records=[record(10)]),
                     update("paused", records=[record(20)])])
    trainer = handlers.Trainer(make=lambda: pool)
    frames = list(handlers.play(trainer, "p", TABLE.default, lang="en"))
    assert len(frames) >= 3 and 'data-step="20"' in frames[2]["loss"] and "Paused" in frames[-1]["status"]
    assert pool.jobs[0].settings["cell"] == "lstm" and not pool.jobs[0].paused
    streams = [handlers.play(trainer, "p", TABLE.default)]    # kept: a stream closed means the page is gone
    next(streams[-1])                                          # the same settings: the same run goes on
    assert len(pool.jobs) == 1 and pool.jobs[0].calls == ["play"]
    # a stream's first update holds every record so far: they replace the page's, not add to them
    assert [r["step"] for r in trainer.sessions["p"].records] == [0]
    streams.append(handlers.play(trainer, "p", TABLE.check({"hidden": 32})))
    next(streams[-1])                                          # new settings: a new run
    assert len(pool.jobs) == 2 and "stop" in pool.jobs[0].calls
    streams.append(handlers.step(trainer, "p", TABLE.check({"hidden": 32})))
    next(streams[-1])
    assert pool.jobs[1].calls == [("step", handlers.STEP_STEPS)]
    handlers.pause(trainer, "p")
    assert pool.jobs[1].calls[-1] == "pause"
    out = handlers.reset(trainer, "p", "zh-CN")
    assert "stop" in pool.jobs[1].calls and "按" in out["status"] and 'data-records="0"' in out["loss"]


def test_a_newer_stream_takes_over_and_a_closed_stream_stops_its_run():
    pool = FakePool([update(records=[record(k * 10)]) for k in range(100)])
    trainer = handlers.Trainer(make=lambda: pool)
    old = handlers.play(trainer, "p", TABLE.default)
    next(old)
    new = handlers.play(trainer, "p", TABLE.default)
    next(new)
    with pytest.raises(StopIteration):
        next(old)                              # the newer stream has the page: the older one ends quietly
    assert pool.cancelled == []
    new.close()                                # the page went away while its run played
    assert pool.cancelled == ["p"] and "p" not in trainer.sessions
    assert handlers.gone(trainer, "nobody") == 1 and pool.cancelled[-1] == "nobody"


def test_a_finished_run_ends_its_stream_and_says_why():
    pool = FakePool([update(records=[record(0)]), update("ended", end="error", error=SettingError("lr", "bad"))])
    trainer = handlers.Trainer(make=lambda: pool)
    frames = list(handlers.play(trainer, "p", TABLE.default, lang="zh-CN"))
    assert len(frames) == 2 and "出错" in frames[-1]["status"] and "学习率" in frames[-1]["status"]
    assert pool.cancelled == []


# -- the compare mode, on a fake pool -----------------------------------------------------------------

COMPARE = TABLE.check({"task": "remember", "compare": True, "forget_bias": 2})   # A: fb 2; B: torch's


def last(frames, name):
    return [f[name] for f in frames if f[name] is not SKIP][-1]


def test_two_runs_stream_into_one_page(monkeypatch):
    monkeypatch.setattr(handlers, "PAUSE_LINGER", 0.05)
    a = [update(records=[record(0, T=78)], views_={"example": example(T=78)}),
         update(records=[record(40, 1.0, 0.6, T=78)]), update("paused", records=[record(80, 0.5, 0.9, T=78)])]
    b = [update(records=[record(0, T=78, lo=1e-9)]), update(records=[record(40, 2.3, 0.1, T=78, lo=1e-9)]),
         update("paused", records=[record(80, 2.3, 0.1, T=78, lo=1e-9)])]
    pool = FakePool(a, b)
    trainer = handlers.Trainer(make=lambda: pool)
    frames = list(handlers.play(trainer, "p", COMPARE, lang="en"))
    assert [j.settings.get("forget_bias") for j in pool.jobs] == [2.0, None] and not any(j.paused for j in pool.jobs)
    loss, acc = last(frames, "loss"), last(frames, "acc")
    assert loss.count('data-run="a"') == loss.count('data-run="b"') == 2 and acc.count("<polyline") == 2
    assert "Run A · LSTM, forget bias 2 — training loss" in loss             # the legend names both runs
    assert "Run B · LSTM, torch default forget bias — validation loss" in loss
    assert "stroke-dasharray" in loss and 'data-records="6"' in loss and 'data-step="80"' in loss
    assert "Run A · LSTM, forget bias 2" in acc and "Run B · LSTM, torch default forget bias" in acc
    grads, grads_b = last(frames, "grads"), last(frames, "grads_b")
    assert grads_b["visible"] and grads_b["value"].startswith('<div class="rl-train-chart" data-kind="grad"')
    assert "Run A" in grads and 'data-run="b"' in grads_b["value"] and "Run B · LSTM" in grads_b["value"]
    assert "1e-8" in grads.replace("−", "-")           # one scale for both: A's chart reaches down to B's 1e-9
    status = frames[-1]["status"]
    assert status.index("Run A") < status.index("Run B") and status.count("Paused") == 2
    caption = last(frames, "maps.0")["value"]["caption"]
    assert caption.startswith("Run A · LSTM, forget bias 2 · h")                # the fixed example: A's, named
    zh = handlers.redraw(trainer, "p", "step", "zh-CN")
    assert "训练 B · LSTM（长短期记忆），PyTorch 默认遗忘门偏置" in zh["loss"] and "训练 A" in zh["status"]
    streams = [handlers.play(trainer, "p", COMPARE)]           # kept: a stream closed means the page is gone
    next(streams[-1])                                          # the same settings: both runs go on
    assert len(pool.jobs) == 2 and [j.calls for j in pool.jobs] == [["play"], ["play"]]
    streams.append(handlers.step(trainer, "p", COMPARE))
    next(streams[-1])
    assert [j.calls[-1] for j in pool.jobs] == [("step", handlers.STEP_STEPS)] * 2
    handlers.pause(trainer, "p")
    assert [j.calls[-1] for j in pool.jobs] == ["pause"] * 2
    streams.append(handlers.play(trainer, "p", TABLE.check({"compare": False}, base=COMPARE)))
    first = next(streams[-1])                                  # compare off: B stops, A goes on
    assert pool.jobs[1].calls[-1] == "stop" and pool.jobs[0].calls[-1] == "play" and trainer.sessions["p"].b is None
    assert first["grads_b"] == Update(visible=False) and 'data-run' not in first["loss"]
    streams.append(handlers.play(trainer, "p", TABLE.check({"cell_b": "rnn"}, base=COMPARE)))
    next(streams[-1])                                          # a new run B (an RNN) beside the same A
    assert len(pool.jobs) == 3 and pool.jobs[2].settings["cell"] == "rnn" and "stop" not in pool.jobs[0].calls
    out = handlers.reset(trainer, "p", "en")                   # Reset: both stop, the views clear
    assert pool.jobs[0].calls[-1] == pool.jobs[2].calls[-1] == "stop" and trainer.sessions["p"].b is None
    assert out["grads_b"] == Update(visible=False) and 'data-records="0"' in out["loss"]


def test_a_run_in_line_is_said_and_a_refused_second_run_stops_the_first():
    pool = FakePool([update(records=[record(0)])], [update("waiting", position=1, step=0)])
    trainer = handlers.Trainer(make=lambda: pool)
    stream = handlers.play(trainer, "p", COMPARE, lang="en")
    said = next((f["status"] for f, _ in zip(stream, range(50)) if "waits in line" in f["status"]), "")
    assert "**Run B · LSTM, torch default forget bias** waits in line" in said and "number 1 in line" in said
    assert "side by side" in said and "Run A · LSTM, forget bias 2** · **Training:**" in said
    stream.close()
    assert compare.in_line({"a": "running", "b": "waiting"}) == "b" and compare.in_line({"a": "waiting"}) is None
    assert compare.in_line({"a": "waiting", "b": "paused"}) == "a"

    class Full(FakePool):
        def submit(self, settings, **kw):
            if self.jobs:
                raise UserError("train.error.busy")
            return super().submit(settings, **kw)
    full = Full([update()])
    trainer = handlers.Trainer(make=lambda: full)
    with pytest.raises(UserError, match="line is full"):
        next(handlers.play(trainer, "q", COMPARE))
    assert full.jobs[0].calls == ["stop"]                      # A does not train alone


def test_merged_reads_two_jobs_as_they_come():
    a, b = FakeJob([update(step=1), update("ended", step=2, end="done")]), FakeJob([update(step=7)])
    got = []
    stream = compare.merged({"a": a, "b": b}, timeout=0.05)
    for run, u in stream:
        got.append((run, u.step))
        if ("a", 2) in got and ("b", 7) in got:
            break
    stream.close()
    assert got.index(("a", 1)) < got.index(("a", 2)) and ("b", 7) in got
    one = compare.merged({"a": FakeJob([update("ended", end="stopped")])}, 0.05)
    assert next(one)[0] == "a"                                 # one job: read here, no thread
    one.close()


def test_names_of_the_downloaded_weights():
    assert handlers.weights_name({"task": "digits", "cell": "gru"}) == "gru"
    assert handlers.weights_name({"task": "remember", "cell": "lstm", "bidirectional": True}) == "bilstm"
    assert handlers.weights_name({"task": "text", "cell": "gru"}) == "mine"
    assert handlers.weights_name({"task": "text", "cell": "lstm"}) == "lstm"
    trainer = handlers.Trainer(make=lambda: None)
    with pytest.raises(UserError, match="press ▶ Play"):
        handlers.download(trainer, "p")


def test_download_gives_the_weights_format(data_dir, tmp_path):
    from demo.digits.model import load_digit_model
    from demo.train.trained import Weights
    torch.set_num_threads(1)
    settings = {**ctl.settings(TABLE.check({"cell": "gru"})), **TINY}
    run = Run(**settings, data_dir=data_dir)
    run.train(steps=5)
    weights = Weights(run.settings.as_dict(), *run.weights("gru"))
    trainer = handlers.Trainer(make=lambda: None)
    s = trainer.session("p")
    s.settings, s.job = settings, SimpleNamespace(result=lambda timeout: weights)
    path = handlers.download(trainer, "p", tmp_path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["digits_gru.json", "digits_gru.safetensors"]
        z.extractall(tmp_path / "w")
    model = load_digit_model("gru", weights_dir=tmp_path / "w")
    assert model.trace_mnist(np.zeros((28, 28), np.float32)).probs.shape == (28, 10)
    s.settings = {**settings, "cell": "rnn_relu"}
    with pytest.raises(UserError) as e:
        handlers.download(trainer, "p", tmp_path)
    assert e.value.key == "train.error.relu_save"


# -- with a real pool ---------------------------------------------------------------------------------

@pytest.mark.server
def test_play_on_a_tiny_network_streams_then_pause(data_dir):
    from demo.train.pool import TrainPool
    torch.set_num_threads(1)
    pool = TrainPool(workers=1, cap_s=30.0, data_dir=data_dir, nice=0)
    trainer = handlers.Trainer(make=lambda: pool)
    try:
        stream = handlers.play(trainer, "page", TABLE.default, lang="en", extra=TINY)
        steps, times, t0 = [], [], time.monotonic()
        for answer in stream:
            if answer["loss"] is not SKIP:
                steps.append(int(re.search(r'data-step="(-?\d+)"', answer["loss"]).group(1)))
            if "Training:" in answer["status"]:
                times.append(time.monotonic())
            if len(set(steps)) >= 4 and len(times) >= 8:
                break
            assert time.monotonic() - t0 < 90, steps
        assert steps == sorted(steps) and len(set(steps)) >= 4, steps     # the loss curve moved 3 times
        rate = (len(times) - 1) / (times[-1] - times[0])
        print(f"\n{rate:.1f} answers a second while training")
        assert rate >= 3, rate      # 5 a second (the pool's updates); a busy test machine may lag
        handlers.pause(trainer, "page")
        rest = list(stream)                    # the stream ends once the run has stayed paused
        assert rest and "Paused" in rest[-1]["status"]
        job = trainer.sessions["page"].job
        assert job.state == "paused" and job.end is None
        again = handlers.play(trainer, "page", TABLE.default, lang="en", extra=TINY)   # Play: the same run
        for answer in again:
            if "Training:" in answer["status"]:
                break
        steps = [r["step"] for r in trainer.sessions["page"].records]
        assert trainer.sessions["page"].job is job and steps == sorted(set(steps)), steps   # none twice
        handlers.gone(trainer, "page")
        assert job.end == "stopped"
    finally:
        pool.close()


@pytest.mark.server
def test_two_tiny_runs_compared_both_stream_then_pause_stops_both(data_dir):
    from demo.train.pool import TrainPool
    torch.set_num_threads(1)
    pool = TrainPool(workers=2, cap_s=30.0, data_dir=data_dir, nice=0)
    trainer = handlers.Trainer(make=lambda: pool)
    c = TABLE.check({"task": "remember", "delay": 5, "forget_bias": 2, "compare": True, "cell_b": "rnn"})
    try:
        stream = handlers.play(trainer, "page", c, lang="en", extra=TINY)
        t0, loss = time.monotonic(), ""
        for answer in stream:
            s = trainer.sessions["page"]
            loss = answer["loss"] if answer["loss"] is not SKIP else loss
            if len(s.records) >= 3 and len(s.b.records) >= 3 and 'data-run="b"' in loss:
                break
            assert time.monotonic() - t0 < 120, (len(s.records), len(s.b.records))
        assert s.job.settings["cell"] == "lstm" and s.b.job.settings["cell"] == "rnn"
        assert 'data-run="a"' in loss and "Run B · RNN (tanh)" in loss
        pids = {s.job.worker_pid, s.b.job.worker_pid}
        assert None not in pids and len(pids) == 2             # two places free: each its own worker
        handlers.pause(trainer, "page")
        rest = list(stream)                    # the stream ends once both runs have stayed paused
        assert rest and rest[-1]["status"].count("Paused") == 2
        assert s.job.state == s.b.job.state == "paused"
        steps = (s.job.records[-1]["step"], s.b.job.records[-1]["step"])
        time.sleep(1.0)
        assert (s.job.records[-1]["step"], s.b.job.records[-1]["step"]) == steps          # both stopped
        handlers.gone(trainer, "page")
        assert s.job.end == s.b.job.end == "stopped"
    finally:
        pool.close()


# -- the wiring (the tab built alone; nothing trains) ------------------------------------------------

def test_the_tab_is_wired_to_its_handlers_and_stops_a_run_when_the_page_goes():
    import gradio as gr

    from demo.train import events
    pool = FakePool([update(records=[record(0)])])
    trainer = handlers.Trainer(make=lambda: pool)
    with gr.Blocks() as demo:
        ui = events.build(None, None, trainer=trainer)
    assert tuple(ui.sections) == lessons.SECTIONS["train"] and pool.jobs == []     # no pool before Play
    fns = list(demo.fns.values())
    streams = [f for f in fns if f.concurrency_id == "train"]
    assert len(streams) == 2 and all(f.inputs[-1].__class__.__name__ == "State" for f in streams)
    assert {id(c) for c in streams[0].outputs} == {id(ui.c[n]) for n in handlers.FRAME}
    unload = [f for f in fns if any(t[1] == "unload" for t in f.targets)]
    assert len(unload) == 1
    trainer.session("page-1").job = trainer.pool.submit({"task": "digits"}, owner="page-1")
    unload[0].fn(SimpleNamespace(session_hash="page-1"))              # the page went away
    assert pool.cancelled == ["page-1"] and "page-1" not in trainer.sessions
    pause = next(f for f in fns if f.fn is not None and f.fn.__name__ == "pause")
    assert pause.fn(SimpleNamespace(session_hash="page-2"), "en") == {ui.c["status"]: gr.skip()}
    copied = ui.controls_from(*[{"task": "text", "hidden": 128, "lr": 0.003, "batch": 32}.get(n, c.value)
                                for n, c in ui.controls.items()])
    assert TABLE.encode(copied) == [("task", "text")]               # the task's own sizes: left out
