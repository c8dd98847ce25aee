"""The character model's public API: vocabulary, sampling, tracing, scoring, loading and errors.

Most tests use small random models (no training, no data); the last ones check the shipped
weights, and their validation loss and data figures against the JSON when ../shared/data is present.

    .venv/bin/python -m pytest -q tests/test_text.py
"""
import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from demo.checkpoint import WEIGHTS_DIR, WeightsError, save_weights
from demo.text import MAX_LENGTH, CharModel, CharRNN, Vocab, limits, load_char_model, mean_nll
from demo.text.units import load_units, units_path

CORPUS = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"


def make_model(cell="lstm", hidden=24, layers=2, embed=0, seed=0) -> CharModel:
    torch.manual_seed(seed)
    vocab = Vocab.from_text(CORPUS)
    net = CharRNN(len(vocab), cell, hidden=hidden, layers=layers, dropout=0.1, embed=embed)
    with torch.no_grad():  # larger weights than the default init: peakier, more varied predictions
        for p in net.parameters():
            p.mul_(3.0)
    return CharModel(net, vocab)


@pytest.fixture(scope="module")
def model():
    return make_model()


def test_vocab_round_trip():
    v = Vocab.from_text(CORPUS)
    assert v.chars == sorted(set(CORPUS)) and len(v) == len(set(CORPUS))
    assert v.decode(v.encode(CORPUS)) == CORPUS
    assert v.encode("F") == [v.chars.index("F")]
    with pytest.raises(ValueError, match=r"'Q', 'é'"):
        v.encode("FQé")
    with pytest.raises(ValueError, match="distinct single characters"):
        Vocab(["a", "a"])


def test_same_seed_same_text_different_seed_different_text(model):
    a = model.generate("First", 200, temperature=1.0, rng_seed=1)
    assert len(a) == 200 and set(a) <= set(model.vocab.chars)
    assert model.generate("First", 200, temperature=1.0, rng_seed=1) == a
    assert model.generate("First", 200, temperature=1.0, rng_seed=2) != a
    assert model.generate("Speak", 200, temperature=1.0, rng_seed=1) != a


@pytest.mark.parametrize("kwargs", [dict(temperature=0.8, rng_seed=3), dict(temperature=1.3, top_k=4, rng_seed=5),
                                    dict(temperature=0, rng_seed=None)])
def test_stream_with_and_without_top_n_and_generate_agree(model, kwargs):
    text = model.generate("All:\n", 150, **kwargs)
    listed = list(model.stream("All:\n", 150, n_top=5, **kwargs))
    plain = list(model.stream("All:\n", 150, n_top=0, **kwargs))
    assert "".join(s.char for s in listed) == text == "".join(s.char for s in plain)
    assert [s.prob for s in listed] == [s.prob for s in plain]
    assert plain[0].topk == [] and len(listed[0].topk) == 5


def test_top_k_zero_is_off_and_top_k_vocab_size_too(model):
    V = len(model.vocab)
    want = model.generate("All:\n", 100, 1.2, None, 8)
    assert model.generate("All:\n", 100, 1.2, 0, 8) == want == model.generate("All:\n", 100, 1.2, V, 8)
    assert model.generate("All:\n", 100, 1.2, 3, 8) != want


def greedy_with_torch(model: CharModel, seed: str, n: int) -> str:
    ids = model.encode(seed)
    with torch.no_grad():
        for _ in range(n):
            logits, _ = model.net(torch.tensor([ids]))
            ids.append(int(logits[0, -1].argmax()))
    return model.decode(ids[len(seed):])


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_temperature_zero_is_argmax_decoding(cell):
    m = make_model(cell, seed=1)
    want = greedy_with_torch(m, "Before", 40)
    assert m.generate("Before", 40, temperature=0) == want
    assert m.generate("Before", 40, temperature=0, rng_seed=9) == want  # no randomness used
    assert m.generate("Before", 40, temperature=1.0, top_k=1, rng_seed=4) == want  # top-1 is greedy too


_LSTM_EDITS = [{}, {"units": {("c", 3): 1.5, ("f", 0): 0.0, ("h", 5): 0.0, ("i", 2): 0.0}},
               {"units": {("o", 7): 1.0, ("g", 1): -0.5}, "gates": {"f": 1.0}}]
_RNN_EDITS = [{}, {"units": {("h", 3): 0.8, ("h", 11): 0.0}}]
_GRU_EDITS = [{}, {"units": {("z", 2): 1.0, ("h", 4): 0.0}, "gates": {"r": 0.5}}]


@pytest.mark.parametrize("cell,layers,embed,hidden,edits", [
    *[("lstm", ly, em, hi, ed) for ly, em, hi in ((1, 0, 16), (2, 6, 16), (3, 0, 13)) for ed in _LSTM_EDITS],
    *[("rnn", ly, em, hi, ed) for ly, em, hi in ((1, 0, 16), (2, 5, 13)) for ed in _RNN_EDITS],
    *[("gru", 2, 4, 13, ed) for ed in _GRU_EDITS]])
def test_sampler_is_the_hand_cells(cell, layers, embed, hidden, edits):
    """Sampling's stepper gives the hand cells' logits at every step (edited or not): its
    layers, padded with zero units to a multiple of ALIGN, compute the model's numbers, and the
    edit holds in the state it carries."""
    from demo.cells import Edit
    from demo.text.sampler import BatchStepper
    m = make_model(cell, hidden=hidden, layers=layers, embed=embed, seed=layers)
    edit = Edit.make(cell, hidden, **edits)
    bs = BatchStepper(m, 1)
    slot = bs.open(edit)
    ids = m.encode("First Citizen:\nBefore we proceed any further, hear me speak.")
    with torch.inference_mode():
        top_h, _, recs = m.hand.run(m._table[ids][None], projected=True, edit=edit)
        want = torch.addmm(m._b_out, top_h[0], m._w_out).numpy()        # (T, V)
    for t, i in enumerate(ids):
        np.testing.assert_allclose(bs.step([slot], [i])[0], want[t], rtol=1e-5, atol=1e-5)
    top = bs.state[-1]
    if edit is not None:
        for name, idx, vals in edit.units:
            if name in ("h", "c"):
                held = top[0 if name == "h" else 1] if cell == "lstm" else top
                np.testing.assert_array_equal(held[0, idx].numpy(), vals.numpy())


@pytest.mark.parametrize("cell,hidden", [("lstm", 16), ("rnn", 13), ("gru", 13)])
def test_a_batch_of_texts_is_each_text_alone(cell, hidden):
    """BatchStepper: slots stepped together (some edited, opened and closed at different times,
    from one to many rows) give, to the last bit, the logits each one gives alone, so the
    writer's batches write the texts CharModel.stream writes (the same seed, the same text)."""
    from demo.cells import Edit
    from demo.text.sampler import BatchStepper
    m = make_model(cell, hidden=hidden, layers=2, embed=4, seed=7)
    edits = [None, Edit.make(cell, hidden, units={("h", 3): 0.5}), None, None, None]
    bs = BatchStepper(m, slots=4)
    rng = np.random.default_rng(0)
    live = {}                                          # text -> (its slot, the same text alone)

    def start(i):
        alone = BatchStepper(m, 1)
        live[i] = (bs.open(edits[i]), alone, alone.open(edits[i]))
    for i in (0, 1):
        start(i)
    for t in range(40):
        if t == 5:
            start(2)
        if t == 10:
            bs.close(live.pop(0)[0])               # back to one row beside another's
        if t == 12:
            bs.close(live.pop(2)[0])               # one text left: a lone row
        if t == 20:
            start(3), start(4), start(0)           # four at once: every slot taken
            with pytest.raises(ValueError, match="slots are in use"):
                bs.open()
        order = sorted(live, key=lambda i: bs.rows.index(live[i][0]))
        ids = rng.integers(0, len(m.vocab), len(order))
        got = bs.step([live[i][0] for i in order], ids)
        for row, i, idx in zip(got, order, ids):
            _, alone, slot = live[i]
            np.testing.assert_array_equal(row, alone.step([slot], [int(idx)])[0])
    with pytest.raises(ValueError, match="every open slot"):
        bs.step([live[i][0] for i in order][::-1], ids)


def test_top_k_restricts_choices(model):
    for s in model.stream("Speak", 100, temperature=2.0, top_k=3, rng_seed=0, n_top=3):
        assert s.char in [c for c, _ in s.topk] and s.prob <= s.p_sample <= 1


def test_step_record_contents(model):
    steps = list(model.stream("First", 5, temperature=0.7, rng_seed=0, n_top=4))
    V = len(model.vocab)
    assert [s.t for s in steps] == list(range(5))
    assert steps[0].input == "t" and all(steps[i].input == steps[i - 1].char for i in range(1, 5))
    st = model.states("First" + "".join(s.char for s in steps))
    for s in steps:
        assert len(s.topk) == 4 and [p for _, p in s.topk] == sorted((p for _, p in s.topk), reverse=True)
        assert 0 < s.prob <= s.topk[0][1] + 1e-12 and 0 < s.p_sample <= 1
        p = st.probs[4 + s.t].astype(np.float64)  # the distribution after reading s.input
        assert 0 <= s.entropy <= math.log(V) + 1e-9
        assert s.entropy == pytest.approx(-float(p @ np.log(p)), abs=1e-4)
    json.dumps(steps[0].to_dict())  # plain types only


@pytest.mark.parametrize("cell,gates", [("lstm", {"i", "f", "g", "o", "c"}), ("gru", {"r", "z", "n"}),
                                        ("rnn", set())])
def test_states_contents(cell, gates):
    m = make_model(cell, seed=3)
    st = m.states(CORPUS[:30])
    H, T = m.hidden, 30
    assert len(st.layers) == m.layers and all(set(d) == gates | {"h"} for d in st.layers)
    assert st.h.shape == (T, H) and st.h.dtype == np.float32 and st.probs.shape == (T, len(m.vocab))
    np.testing.assert_array_equal(st.layers[-1]["h"], st.h)
    if cell == "lstm":
        np.testing.assert_allclose(st.h, st.layers[-1]["o"] * np.tanh(st.c), atol=1e-6)
    else:
        assert st.c is None


@pytest.mark.parametrize("cell,embed", [("lstm", 0), ("gru", 0), ("rnn", 0), ("lstm", 8)])
def test_hand_trace_equals_torch_module(cell, embed):
    m = make_model(cell, embed=embed, seed=2)
    text = CORPUS[:60]
    ids = torch.tensor([m.encode(text)])
    with torch.no_grad():
        out, state = m.net.rnn(m.net.inputs(ids))  # out (1, T, H)
        logp = torch.log_softmax(m.net.head(out), -1)[0].double()  # (T, V)
    st = m.states(text)
    np.testing.assert_allclose(st.h, out[0].numpy(), atol=1e-5)
    h_n = state[0] if cell == "lstm" else state
    for k in range(m.layers):
        np.testing.assert_allclose(st.layers[k]["h"][-1], h_n[k, 0].numpy(), atol=1e-5)
        if cell == "lstm":
            np.testing.assert_allclose(st.layers[k]["c"][-1], state[1][k, 0].numpy(), atol=1e-5)
    want = -logp[:-1].gather(1, ids[0, 1:, None])[:, 0].numpy()
    assert np.isnan(st.surprise[0])
    np.testing.assert_allclose(st.surprise[1:], want, atol=1e-4)
    np.testing.assert_allclose(st.probs.sum(1), 1.0, atol=1e-5)
    # sampling and tracing agree: each generated character's probability is the torch module's
    # (and states()') after reading everything before it
    steps = list(m.stream("Bef", 30, temperature=1.0, rng_seed=0))
    full_text = "Bef" + "".join(s.char for s in steps)
    with torch.no_grad():
        out, _ = m.net.rnn(m.net.inputs(torch.tensor([m.encode(full_text)])))
        p = torch.softmax(m.net.head(out), -1)[0]  # (T, V)
    traced = m.states(full_text)
    for s in steps:
        j = m.vocab.stoi[s.char]
        assert s.prob == pytest.approx(float(p[2 + s.t, j]), abs=1e-5)
        assert s.prob == pytest.approx(float(traced.probs[2 + s.t, j]), abs=1e-5)


def test_loss_is_batched_mean_nll(model):
    text = CORPUS * 3
    ids = torch.tensor(model.encode(text))
    with torch.no_grad():
        logits, _ = model.net(ids[None])
        want = F.cross_entropy(logits[0, :-1], ids[1:]).item()
    assert model.loss(text) == pytest.approx(want, abs=1e-5)
    assert model.states(text).mean_surprise == pytest.approx(want, abs=1e-4)
    # chunks that see their whole past are exact; a short burn-in is close
    assert mean_nll(model.net, ids, chunk=17, burn_in=10_000) == pytest.approx(want, abs=1e-5)
    assert mean_nll(model.net, ids, chunk=40, burn_in=30, max_rows=2) == pytest.approx(want, abs=0.05)


TEMPERATURE = r"Temperature must be a number from 0 to 10 \(0 = always"
BAD_CALLS = [  # the same messages as the app's (demo.text.limits is the one place they are made)
    (dict(seed="FQé"), r"does not know: 'Q', 'é'"),
    (dict(seed=""), "Type a seed"),
    (dict(seed=None), "Type a seed"),
    (dict(seed=5), "The seed must be a string"),
    (dict(seed="F" * (limits.MAX_SEED + 1)), "The seed is too long: 20,001 characters"),
    (dict(length=0), r"Length must be from 1 to 5,000 \(characters to generate\), got 0"),
    (dict(length=MAX_LENGTH + 1), "Length must be from 1 to 5,000"),
    (dict(length=2.5), "Length must be a whole number"),
    (dict(length=True), "Length must be a whole number"),
    (dict(length="ten"), "Length must be a whole number"),
    (dict(temperature=-0.1), TEMPERATURE),
    (dict(temperature=10.01), TEMPERATURE),
    (dict(temperature=11), TEMPERATURE),
    (dict(temperature=float("nan")), TEMPERATURE),
    (dict(temperature=float("inf")), TEMPERATURE),
    (dict(temperature="hot"), TEMPERATURE),
    (dict(temperature=None), TEMPERATURE),
    (dict(top_k=-1), r"Top-k must be from 0 to 30 \(0 = off; this model knows 30 characters\)"),
    (dict(top_k=31), "Top-k must be from 0 to 30"),
    (dict(top_k=1.5), "Top-k must be a whole number"),
    (dict(rng_seed=-1), "Random seed must be from 0 to 4,294,967,295"),
    (dict(rng_seed=2**32), "Random seed must be from 0 to 4,294,967,295"),
    (dict(rng_seed="x"), "Random seed must be a whole number"),
]


@pytest.mark.parametrize("kwargs,message", BAD_CALLS)
def test_bad_arguments_raise_value_error(model, kwargs, message):
    assert len(model.vocab) == 30  # the top-k messages name it
    args = {**dict(seed="First", length=10, temperature=1.0, top_k=None, rng_seed=0), **kwargs}
    with pytest.raises(ValueError, match=message):
        model.generate(**args)
    with pytest.raises(ValueError, match=message):
        model.stream(**args)  # raised at the call, before any record is consumed


def test_form_values_are_the_numbers_they_hold(model):
    """What a form or a JSON client sends (10.0, "0.8", "7") means the same as the numbers."""
    want = model.generate("First", 40, 0.8, 3, 7)
    assert model.generate("First", 40.0, "0.8", 3.0, "7") == want
    assert model.generate("First", np.int64(40), np.float32(0.8), np.int32(3), np.uint8(7)) == want


def test_bad_texts_to_score_raise_value_error(model):
    with pytest.raises(ValueError, match="at least 2 characters"):
        model.loss("F")
    with pytest.raises(ValueError, match="does not know: '~'"):
        model.loss("First~")
    with pytest.raises(ValueError, match="does not know"):
        model.states("First\t")
    with pytest.raises(ValueError, match="at least 1 character"):
        model.states(None)
    with pytest.raises(ValueError, match="must be a string"):
        model.states(b"First")
    with pytest.raises(ValueError, match="too long: 50,001 characters \\(at most 50,000\\)"):
        model.states("F" * (limits.MAX_STATES + 1))
    with pytest.raises(ValueError, match="bad model name"):
        load_char_model("../etc")


def test_limits_boundaries():
    assert limits.check_length(limits.MAX_LENGTH) == 5_000 and limits.check_length("12") == 12
    assert limits.check_temperature(limits.MAX_TEMPERATURE) == 10.0 and limits.check_temperature(0) == 0.0
    assert limits.check_top_k(None, 65) is None and limits.check_top_k(0, 65) is None
    assert limits.check_top_k("", 65) is None and limits.check_top_k(65.0, 65) == 65
    assert limits.check_rng_seed(None) is None and limits.check_rng_seed(limits.MAX_RNG_SEED) == 2**32 - 1
    assert limits.check_score_text("ab") == "ab"
    with pytest.raises(ValueError, match="paste at most 10,000"):
        limits.check_score_text("a" * (limits.MAX_SCORE + 1))
    with pytest.raises(ValueError, match="at least 2 characters to score"):
        limits.check_score_text(None)
    with pytest.raises(ValueError, match=r"too long: 4 characters \(at most 3\)"):
        limits.check_text("abcd", 3)
    assert limits.MAX_SCORE < limits.MAX_STATES < limits.MAX_LOSS  # /score reads with states()
    assert limits.MAX_SEED + limits.MAX_LENGTH <= limits.MAX_STATES  # the app traces seed + text


def save_tiny(tmp_path, name="tiny", cell="gru"):
    m = make_model(cell, hidden=16, layers=2, seed=4)
    config = dict(vocab_size=len(m.vocab), cell=cell, hidden=16, layers=2, dropout=0.1, embed=0)
    save_weights(tmp_path / f"char_{name}", m.net.state_dict(),
                 {"kind": "char", "config": config, "vocab": m.vocab.chars, "metrics": {"val_loss": 1.0}})
    return m


def test_weights_round_trip_and_strict_loading(tmp_path):
    m = save_tiny(tmp_path)
    loaded = load_char_model("tiny", weights_dir=tmp_path)
    assert loaded.vocab.chars == m.vocab.chars and (loaded.cell, loaded.hidden, loaded.layers) == ("gru", 16, 2)
    assert loaded.generate("Speak", 50, rng_seed=0) == m.generate("Speak", 50, rng_seed=0)
    js = tmp_path / "char_tiny.json"
    meta = json.loads(js.read_text())
    meta["config"]["hidden"] = 32
    js.write_text(json.dumps(meta))
    with pytest.raises(WeightsError, match="does not fit"):
        load_char_model("tiny", weights_dir=tmp_path)


def test_missing_weights_name_the_file_and_the_command(tmp_path):
    with pytest.raises(WeightsError) as e:
        load_char_model("nope", weights_dir=tmp_path)
    assert "char_nope.safetensors" in str(e.value)
    assert "python training/train_char_rnn.py --preset nope" in str(e.value)


@pytest.mark.parametrize("name", ["lstm", "rnn"])
def test_shipped_weights_load(name):
    m = load_char_model(name)
    assert len(m.vocab) == 65 and m.cell == name
    assert (WEIGHTS_DIR / f"char_{name}.safetensors").stat().st_size <= 20_000_000
    # the units file the app reads was made for these weights (find_units.py rerun after training)
    found = load_units(units_path(WEIGHTS_DIR, name), m.meta["weights_sha256"])
    assert found is not None and found[0], f"rerun training/find_units.py --models {name}"
    text = m.generate("ROMEO:", 200, temperature=0.8, rng_seed=0)
    assert text == m.generate("ROMEO:", 200, temperature=0.8, rng_seed=0)
    if name == "rnn":
        assert (m.hidden, m.layers) == (100, 1)
    else:
        assert m.val_loss <= 1.47


@pytest.mark.parametrize("name", ["lstm", "rnn"])
def test_shipped_validation_loss_matches_json(name, data_dir):
    """The JSON's figures are the data's and demo.text.mean_nll over the whole validation split:
    recompute them."""
    text = (data_dir / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    m = load_char_model(name)
    assert m.meta["data"]["sha256"] == __import__("hashlib").sha256(text.encode()).hexdigest()
    assert m.vocab.chars == sorted(set(text)) and m.meta["data"]["chars"] == len(text)
    val = text[int(len(text) * 0.9):]
    assert m.meta["data"]["val_chars"] == len(val) == m.meta["metrics"]["val_chars"]
    assert m.loss(val) == pytest.approx(m.val_loss, abs=2e-3)
