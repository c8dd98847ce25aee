"""demo.train.Run, the library under the Train tab: determinism, pause and resume, the gradient
reaching each step against finite differences, settings refused by name, the forget bias, saving
in the weights/ format and loading back, a pasted Chinese text, and a run bounded by seconds.
Tiny networks, small data subsets, a few steps each.

    .venv/bin/python -m pytest -q tests/test_train_run.py
"""
import math
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from demo.digits.model import DigitRNN, load_digit_model
from demo.text.model import CharRNN, load_char_model
from demo.train import Run, SettingError
from demo.train.data import MAX_TEXT_BYTES
from demo.train.gradients import grad_by_step, hand_copy, loss_with_deltas, step_gradients, tracked_loss, unrolled
from demo.train.live import LiveViews
from demo.train.tasks import DigitTask, TextTask

POEM = "床前明月光，疑是地上霜。举头望明月，低头思故乡。" * 8   # 24 characters, 19 distinct
TINY = dict(hidden=8, batch=16, train_size=256, val_size=64, record_every=5)


def digits(data_dir, **kw):
    return Run(**{**TINY, "data_dir": data_dir, **kw})


def text_run(**kw):
    return Run(**{"task": "text", "text": POEM, "hidden": 8, "batch": 4, "bptt": 12, "embed": 4,
                  "record_every": 5, **kw})


def without_seconds(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def same_weights(a, b) -> bool:
    sa, sb = a.net.state_dict(), b.net.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# -- determinism, pause and resume -------------------------------------------------------------

def test_same_seed_and_settings_give_the_same_records(data_dir):
    a, b = digits(data_dir, seed=3), digits(data_dir, seed=3)
    a.train(steps=10)
    b.train(steps=10)
    assert [r["step"] for r in a.records] == [0, 5, 10]
    assert without_seconds(a.records) == without_seconds(b.records)
    assert same_weights(a, b)
    c = digits(data_dir, seed=4)
    c.train(steps=10)
    assert without_seconds(c.records) != without_seconds(a.records)


@pytest.mark.parametrize("make", [
    lambda d: digits(d, task="remember", delay=3, cell="gru", optimizer="sgd", lr=0.1),
    lambda d: text_run(cell="lstm", optimizer="adagrad", lr=0.1, clip=None),
], ids=["remember-gru-sgd", "text-lstm-adagrad"])
def test_train_a_then_b_equals_train_a_plus_b(data_dir, make):
    whole, paused = make(data_dir), make(data_dir)
    whole.train(steps=12)
    first = paused.train(steps=7)          # stops between records
    second = paused.train(steps=5)
    assert [r["step"] for r in first] == [0, 5] and [r["step"] for r in second] == [10]
    assert without_seconds(paused.records) == without_seconds(whole.records)
    assert same_weights(paused, whole) and paused.step == whole.step == 12


def test_records_hold_every_field_at_fixed_steps(data_dir):
    run = digits(data_dir, task="remember", delay=4, record_every=3)
    new = run.train(steps=7)
    assert [r["step"] for r in new] == [0, 3, 6] and run.step == 7 and run.steps_per_sequence == 32
    for r in new:
        assert len(r["grad_by_step"]) == 32 and all(g > 0 and math.isfinite(g) for g in r["grad_by_step"])
        assert 0 <= r["val_acc"] <= 1 and r["val_loss"] > 0 and r["train_loss"] > 0
    assert new[0]["grad_norm"] is None and new[1]["grad_norm"] > 0 and 0 <= new[1]["clipped"] <= 1
    more = run.train(steps=2)
    assert [r["step"] for r in more] == [9] and run.records[-1] is more[0] and len(run.records) == 4


def test_a_run_bounded_by_seconds_stops(data_dir):
    run = digits(data_dir, record_every=1000)
    t0 = time.perf_counter()
    run.train(seconds=0.4)
    wall = time.perf_counter() - t0
    assert run.step > 0 and 0.4 <= run.seconds and wall < 3.0, (run.step, run.seconds, wall)
    steps = run.step
    assert run.train(seconds=0) == [] and run.step == steps
    calls = iter([False, False, True])
    before = run.step
    run.train(stop=lambda: next(calls))
    assert run.step == before + 2


# -- the gradient reaching each step -------------------------------------------------------------

@torch.no_grad()
def _split_loss(net, task, x, y, t, b, u, eps):
    """The summed example losses with h_t of the top layer shifted by eps in (b, u), computed
    with the fast torch module: read steps 1..t, shift its state and output, read the rest."""
    xs = net.inputs(x) if task == "text" else net.normalise(x)
    out1, state = net.rnn(xs[:, :t + 1])
    h = state[0].clone() if isinstance(state, tuple) else state.clone()
    h[-1, b, u] += eps
    state = (h, state[1]) if isinstance(state, tuple) else h
    out1 = out1.clone()
    out1[b, t, u] += eps
    out = torch.cat([out1, net.rnn(xs[:, t + 1:], state)[0]], dim=1) if t + 1 < xs.shape[1] else out1
    if task == "text":
        return F.cross_entropy(net.head(out).transpose(1, 2), y, reduction="none").mean(1).sum()
    return F.cross_entropy(net.head(out[:, -1]), y, reduction="sum")


@pytest.mark.parametrize("task,net", [
    ("digits", lambda: DigitRNN("lstm", hidden=4, layers=2)),
    ("digits", lambda: DigitRNN("rnn", hidden=3, layers=1)),
    ("text", lambda: CharRNN(7, "gru", hidden=5, layers=2, embed=3)),
    ("text", lambda: CharRNN(7, "peephole", hidden=4, layers=1, embed=2)),
], ids=["digits-lstm-2", "digits-rnn", "text-gru-2", "text-peephole"])
def test_grad_by_step_agrees_with_finite_differences(task, net):
    torch.manual_seed(0)
    net = net().double()
    if task == "text":
        x, y = torch.randint(0, 7, (3, 6)), torch.randint(0, 7, (3, 6))
    else:
        x, y = torch.rand(3, 6, 28, dtype=torch.float64), torch.tensor([1, 4, 7])
    loss, g = step_gradients(net, task, x, y)
    fast = (F.cross_entropy(net(x)[0].transpose(1, 2), y) if task == "text" else F.cross_entropy(net(x), y))
    assert abs(loss - fast.item()) < 1e-12
    eps = 1e-6
    T, B, H = g.shape
    for t in range(T):
        for b in range(B):
            for u in range(H):
                plus, minus = (_split_loss(net, task, x, y, t, b, u, e) for e in (eps, -eps))
                fd = (plus - minus) / (2 * eps)
                assert abs(float(fd) - float(g[t, b, u])) < 1e-7 + 1e-5 * abs(float(fd)), (t, b, u)
    assert grad_by_step(g) == pytest.approx([float(g[t].norm(dim=1).mean()) for t in range(T)])


def test_grad_by_step_of_a_network_reading_both_ways():
    torch.manual_seed(1)
    net = DigitRNN("gru", hidden=3, layers=2, bidirectional=True).double()
    x, y = torch.rand(2, 5, 28, dtype=torch.float64), torch.tensor([0, 9])
    out_fast, _ = net.rnn(net.normalise(x))
    assert torch.allclose(unrolled(hand_copy(net.rnn), net.normalise(x)), out_fast, atol=1e-12)
    _, g = step_gradients(net, "digits", x, y)
    assert g.shape == (5, 2, 6)
    eps, zero = 1e-6, torch.zeros(5, 2, 6, dtype=torch.float64)
    for t, b, u in [(0, 0, 0), (0, 1, 4), (2, 0, 5), (4, 1, 1), (4, 0, 3)]:
        d = zero.clone()
        d[t, b, u] = eps
        fd = (loss_with_deltas(net, "digits", x, y, d) - loss_with_deltas(net, "digits", x, y, -d)) / (2 * eps)
        assert abs(float(fd) - float(g[t, b, u])) < 1e-7 + 1e-5 * abs(float(fd))


@pytest.mark.parametrize("task,net", [
    ("digits", lambda: DigitRNN("lstm", hidden=4, layers=2, bidirectional=True)),
    ("digits", lambda: DigitRNN("rnn", hidden=3, layers=3, bidirectional=True)),
    ("text", lambda: CharRNN(7, "lstm", hidden=5, layers=2, embed=3)),
    ("text", lambda: CharRNN(7, "rnn", hidden=4, layers=1, embed=2)),
], ids=["digits-bilstm-2", "digits-birnn-3", "text-lstm-2", "text-rnn"])
def test_the_fused_road_gives_the_unrolled_gradients(task, net):
    """nn.RNN / nn.LSTM take torch's fused kernel (step_gradients without deltas); the unrolled
    hand cells (zero deltas), checked against finite differences above, give the same numbers,
    and so does a training step's own backward (tracked_loss), whose weight gradients and loss
    are the task's."""
    torch.manual_seed(2)
    net = net().double()
    if task == "text":
        x, y, loss_fn = torch.randint(0, 7, (3, 6)), torch.randint(0, 7, (3, 6)), TextTask.loss
    else:
        x, y, loss_fn = torch.rand(3, 6, 28, dtype=torch.float64), torch.tensor([1, 4, 7]), DigitTask.loss
    rng = torch.get_rng_state()
    loss, fused = step_gradients(net, task, x, y)
    assert torch.equal(torch.get_rng_state(), rng)             # nothing drawn from torch's generator
    zero = torch.zeros(fused.shape, dtype=torch.float64)
    hand_loss, hand = step_gradients(net, task, x, y, deltas=zero)
    assert loss == pytest.approx(hand_loss, abs=1e-12) and torch.allclose(fused, hand, atol=1e-12, rtol=0)
    net.zero_grad()
    loss_fn(net, x, y).backward()
    want = {k: p.grad.clone() for k, p in net.named_parameters()}
    net.zero_grad()
    tracked, read = tracked_loss(net, task, x, y)
    tracked.backward()
    assert tracked.item() == pytest.approx(loss, abs=1e-12)
    assert all(torch.allclose(p.grad, want[k], atol=1e-12, rtol=0) for k, p in net.named_parameters())
    assert torch.allclose(read(), hand, atol=1e-12, rtol=0)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_records_gradients_are_its_own_steps_batch_before_the_update(data_dir, cell):
    """Record s: the gradient reaching each step of step s's batch at the weights after s - 1
    steps (an LSTM measures it in that step's own backward, a GRU in a pass before it)."""
    run, before = digits(data_dir, cell=cell, seed=1), digits(data_dir, cell=cell, seed=1)
    run.train(steps=5)
    before.train(steps=4)
    x, y = before._probe_batch()                               # the fifth step's batch
    want = grad_by_step(step_gradients(before.net, "digits", x, y)[1])
    assert run.records[-1]["step"] == 5 and run.records[-1]["grad_by_step"] == pytest.approx(want, rel=1e-4)


def test_the_confusion_matrix_reads_the_latest_records_answers(data_dir):
    run = digits(data_dir, task="remember", delay=2)
    run.train(steps=7)
    step, answers = run.answers
    assert step == 5 == run.records[-1]["step"] and answers.shape == (64,)
    counts = LiveViews(run).due(force=True)["confusion"]
    assert counts["step"] == 5 and counts["counts"].sum() == 64
    assert np.trace(counts["counts"]) / 64 == run.records[-1]["val_acc"]
    text = text_run()
    text.train(steps=5)
    assert text.answers is None and set(LiveViews(text).due(force=True)) == {"example", "sample", "cost_ms"}


def test_remember_reads_its_blank_rows_as_no_input(data_dir):
    """The delay rows reach the cells as exactly 0 (not the -0.42 a blank pixel standardises to),
    in training, in the fast forward and in the hand-written trace the lens shows."""
    run = digits(data_dir, task="remember", delay=3, cell="rnn", seed=2)
    run.train(steps=2)
    x, _ = next(run.task.batches(torch.Generator().manual_seed(0)))
    assert x.shape[1:] == (31, 28) and torch.all(x[:, 28:] == 0)
    z = run.net.normalise(x)
    assert torch.all(z[:, 28:] == 0) and torch.allclose(z[:, :28], (x[:, :28] - run.net.mean) / run.net.std)
    with torch.no_grad():   # the same net fed the rows by hand, zero input after row 28
        h = run.net.rnn(torch.cat([z[:, :28], torch.zeros(len(x), 3, 28)], dim=1))[0][:, -1]
        assert torch.allclose(run.net(x), run.net.head(h), atol=1e-6)
    model = run.model
    image = x[0, :28].numpy()
    trace = model.trace_mnist(image)
    assert len(trace) == 31 and np.allclose(trace.probs[-1], torch.softmax(model.logits(image[None]), -1)[0], atol=1e-5)


# -- settings refused by name ---------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,field", [
    (dict(lr=float("nan")), "lr"), (dict(lr=-0.1), "lr"), (dict(lr=0), "lr"), (dict(lr="0.1"), "lr"),
    (dict(hidden=0), "hidden"), (dict(hidden=100_000), "hidden"), (dict(hidden=2.5), "hidden"),
    (dict(layers=0), "layers"), (dict(layers=5), "layers"),
    (dict(cell="transformer"), "cell"), (dict(task="images"), "task"), (dict(optimizer="rmsprop"), "optimizer"),
    (dict(task="remember", delay=-1), "delay"), (dict(task="remember", delay=101), "delay"),
    (dict(delay=5), "delay"), (dict(batch=0), "batch"), (dict(batch=5000), "batch"),
    (dict(clip=-1.0), "clip"), (dict(clip=float("inf")), "clip"), (dict(seed=-1), "seed"),
    (dict(cell="gru", forget_bias=1.0), "forget_bias"), (dict(forget_bias=float("nan")), "forget_bias"),
    (dict(cell="peephole", bidirectional=True), "bidirectional"), (dict(bidirectional=1), "bidirectional"),
    (dict(bptt=32), "bptt"), (dict(text="some text to learn from, long enough"), "text"),
    (dict(task="text", text=""), "text"), (dict(task="text", text=" \n\t "), "text"),
    (dict(task="text", text=b"\x00\x01\x02binary" * 10), "text"),
    (dict(task="text", text=b"\xff\xfe\xfa not utf-8 at all, not at all"), "text"),
    (dict(task="text", text="a" * (MAX_TEXT_BYTES + 1)), "text"),
    (dict(task="text", text="月" * (MAX_TEXT_BYTES // 3 + 1)), "text"),
    (dict(task="text", text="too short"), "text"), (dict(task="text", text=12345), "text"),
    (dict(task="text", text="ab\x07\x08" * 20), "text"),
    (dict(task="text", text=POEM, bptt=0), "bptt"), (dict(task="text", text=POEM, bidirectional=True), "bidirectional"),
    (dict(task="text", text=POEM, val_size=1), "val_size"), (dict(val_size=6000), "val_size"),
    (dict(train_size=8), "train_size"), (dict(record_every=0), "record_every"),
])
def test_bad_settings_are_refused_naming_the_field(kwargs, field, data_dir):
    with pytest.raises(ValueError, match=f"^{field} ") as e:
        Run(**{"data_dir": data_dir, **kwargs})
    assert isinstance(e.value, SettingError) and e.value.field == field


def test_bad_train_arguments_are_refused(data_dir):
    run = digits(data_dir)
    for kwargs, field in [({}, "train"), ({"steps": -1}, "steps"), ({"steps": 2.5}, "steps"),
                          ({"seconds": float("nan")}, "seconds"), ({"seconds": -1}, "seconds")]:
        with pytest.raises(ValueError, match=field):
            run.train(**kwargs)
    assert run.records == [] and run.step == 0


# -- the forget bias ------------------------------------------------------------------------------

@pytest.mark.parametrize("cell,both", [("lstm", False), ("lstm", True), ("peephole", False)])
def test_forget_bias_sets_the_forget_gates_total_bias_exactly(data_dir, cell, both):
    kw = dict(task="remember", delay=2, cell=cell, layers=2, bidirectional=both, seed=5)
    plain, raised = digits(data_dir, **kw), digits(data_dir, forget_bias=2.0, **kw)
    H = 8
    p, r = plain.net.state_dict(), raised.net.state_dict()
    ih = [k for k in r if k.startswith("rnn.bias_ih")]
    assert len(ih) == 2 * (2 if both else 1)
    for k in ih:
        hh = k.replace("bias_ih", "bias_hh")
        assert torch.all(r[k][H:2 * H] + r[hh][H:2 * H] == 2.0)
        for rows in (slice(0, H), slice(2 * H, 4 * H)):     # i, g, o untouched
            assert torch.equal(r[k][rows], p[k][rows]) and torch.equal(r[hh][rows], p[hh][rows])
    assert all(torch.equal(p[k], r[k]) for k in p if "bias" not in k)
    for layer in raised.model.hand.layers:                      # what the lens reads
        assert torch.all(layer.b_ih[H:2 * H] + layer.b_hh[H:2 * H] == 2.0)


# -- saving and loading back ----------------------------------------------------------------------

@pytest.mark.parametrize("kw", [dict(task="remember", delay=3, cell="lstm", forget_bias=1.0),
                                dict(cell="gru", bidirectional=True, layers=2)], ids=["remember", "bigru"])
def test_a_saved_digit_run_loads_back_with_identical_logits(data_dir, tmp_path, kw):
    run = digits(data_dir, **kw)
    run.train(steps=6)
    st, js = run.save(tmp_path, "mine")
    assert st.name == "digits_mine.safetensors" and js.name == "digits_mine.json"
    model = load_digit_model("mine", weights_dir=tmp_path)
    x = run.task.val_x[:20]
    assert torch.equal(model.logits(x), run.model.logits(x))
    meta = model.meta
    assert meta["delay"] == kw.get("delay", 0) and meta["task"] == kw.get("task", "digits")
    assert meta["history"] == run.records and meta["kind"] == "digits" and meta["training"]["steps"] == 6
    assert meta["metrics"]["val_acc"] == run.task.evaluate(run.net)[1]
    assert "Run(" in meta["command"] and meta["config"]["bidirectional"] == kw.get("bidirectional", False)
    if run.task.delay == 0:   # the lens traces it (a remember model reads 28 + delay rows)
        trace = model.trace_mnist(x[0].numpy())
        assert trace.h.shape == (28, model.hidden) and trace.probs.argmax(1)[-1] == int(model.logits(x[:1]).argmax())


def test_a_pasted_chinese_text_trains_saves_and_loads_back(tmp_path):
    run = text_run(cell="gru", seed=2)
    new = run.train(steps=30)
    assert set(run.model.vocab.chars) == set(POEM) and len(run.model.vocab) == len(set(POEM)) == 19
    assert new[-1]["val_loss"] < new[0]["val_loss"] and len(new[-1]["grad_by_step"]) == 12
    run.save(tmp_path, "poem")
    model = load_char_model("poem", weights_dir=tmp_path)
    ids = torch.tensor([model.encode(POEM[:40])])
    assert torch.equal(model.net(ids)[0], run.model.net(ids)[0])
    assert model.vocab.chars == run.model.vocab.chars and model.meta["vocab"] == model.vocab.chars
    written = model.generate("明月", 20, temperature=0.5, rng_seed=0)
    assert written == run.model.generate("明月", 20, temperature=0.5, rng_seed=0) and set(written) <= set(POEM)
    assert model.meta["metrics"]["val_loss"] == pytest.approx(run.task.evaluate(run.net)[0])


def test_tiny_shakespeare_from_the_data_folder(data_dir):
    run = Run(task="text", data_dir=data_dir, hidden=8, batch=4, bptt=16, train_size=5000, val_size=300)
    assert len(run.task.vocab) == 65 and run.task.data_info()["chars"] == 1_115_394
    new = run.train(steps=3)
    assert [r["step"] for r in new] == [0] and run.step == 3


def test_a_relu_rnn_trains_but_is_not_saved_yet(data_dir, tmp_path):
    run = digits(data_dir, cell="rnn_relu")
    run.train(steps=5)
    assert run.model.hand.act is torch.relu and run.net.rnn.nonlinearity == "relu"
    with pytest.raises(SettingError, match="^cell "):
        run.save(tmp_path, "relu")


def test_clipping_off_and_a_diverging_run_ends_with_a_record(data_dir):
    assert digits(data_dir).settings.clip == 1.0   # on by default
    run = digits(data_dir, cell="rnn_relu", optimizer="sgd", lr=10.0, clip=None, hidden=32)
    assert run.settings.clip is None
    new = run.train(steps=60)
    assert run.diverged and run.step < 60 and new[-1]["step"] == run.step
    assert not math.isfinite(new[-1]["train_loss"]) and all(r["clipped"] in (None, 0.0) for r in new)
    assert run.train(steps=5) == [] and run.records[-1] is new[-1]


# -- the compare mode shows both runs' insides ------------------------------------------------------

def test_the_compare_mode_shows_run_bs_maps_answers_and_confusion_beside_run_as(data_dir):
    from demo.train import compare
    a = digits(data_dir, task="remember", delay=2, cell="lstm", forget_bias=2.0)
    b = digits(data_dir, task="remember", delay=2, cell="rnn")
    for run in (a, b):
        run.train(steps=5)
    va, vb = LiveViews(a).due(force=True), LiveViews(b).due(force=True)
    names = ("Run A · LSTM", "Run B · RNN")
    got = compare.inside(va, vb, names, "en")
    assert set(got) == {"maps", "input", "answers", "confusion"}
    maps = dict((c.split(" · ")[0], v) for c, v in got["maps"])
    h = maps["h: hidden state"]
    assert h["rows"] == 8 + compare.draw.GAP_ROWS + 8 and h["cols"] == 30
    assert h["row_ids"][:8] == list(range(8)) and h["row_ids"][-8:] == list(range(8))
    assert "Run A · LSTM" in got["maps"][0][0] and "Run B · RNN" in got["maps"][0][0]
    gates = [c for c, v in got["maps"] if v["rows"] == 8]                  # the RNN has none: A's alone
    assert len(gates) == len(got["maps"]) - 1 and all("Run B" not in c for c in gates)
    assert got["answers"]["row_names"][:2] == ["A 0", "A 1"] and got["answers"]["row_names"][-1] == "B 9"
    conf = got["confusion"]
    assert conf["rows"] == 22 and "Run B · RNN" in conf["caption"] and f"{100 * b.records[-1]['val_acc']:.1f}%" in conf["caption"]
    alone = compare.inside(va, {}, names, "zh-CN")                          # B waits in line
    assert alone["confusion"]["rows"] == 10 and alone["confusion"]["caption"].startswith("Run A · LSTM · ")
    assert all(v["caption"].startswith("Run A · LSTM") for _, v in alone["maps"])
