""""Open in the lens" (demo/lens_models.py, demo/train/lens.py, the Digits tab's side, demo/app.py):
a model someone trained gets a name that says what it is and which weights, a page's models are
its own and bounded, a "remember the digit" model reads the drawing then its blank rows in every
view, the Digits tab's handlers and its drawing worker run a page's own model beside the shipped
ones (the worker is sent the model once, and again after it restarts), its units are looked up
over its run's validation digits, and the Train tab's button offers it in the Digits tab of that
page only, with a message for every state that cannot be opened.  The Digits tab's labels say
what the chosen model reads (28 + D steps) and whose digits its lookups are over; a text model
that never saw the seed's characters gets the start of its training text as its seed (a note
says so) and writes at once; both notes are written again on the language switch.

    .venv/bin/python -m pytest -q tests/test_lens_models.py
"""
import math
import time
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from demo import lens_models
from demo.digits import analysis, drawing, handlers, views
from demo.digits.controls import CONTROLS, TABLE
from demo.digits.handlers import COMPARE, load_lab, worker_lab
from demo.digits.lookups import lookups_over
from demo.digits.model import DigitModel, DigitRNN
from demo.digits.pad_ink import ink_value
from demo.digits.sketches import example_digit
from demo.digits.units import unit_order
from demo.digits.worker import DrawWorker
from demo.errors import UserError
from demo.lens_models import LensModel, LensModels, is_lens_name, lens_name, lens_title
from tests.conftest import DATA_DIR, same

pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")
SETTINGS = dict(task="digits", cell="lstm", hidden=8, layers=1, delay=0, bidirectional=False)


def seven() -> dict:
    return ink_value(np.asarray(Image.fromarray(example_digit(7)[..., 3]).resize((56, 56))))


def own_model(delay: int = 0, cell: str = "lstm", hidden: int = 8, seed: int = 0, examples=None) -> LensModel:
    """A small untrained digit network opened in the lens (no data needed)."""
    torch.manual_seed(seed)
    settings = {**SETTINGS, "cell": cell, "hidden": hidden, "delay": delay, "task": "remember" if delay else "digits"}
    name = lens_name(settings, f"{seed:064x}")
    model = DigitModel(DigitRNN(cell=cell, hidden=hidden), {"name": name, "delay": delay, "history": [1, 2]})
    return LensModel(name, "digits", model, settings, 0.5, examples)


@pytest.fixture(scope="module")
def lab():
    return load_lab()


# -- names, the registry ----------------------------------------------------------------------------

def test_a_lens_models_name_says_what_it_is_in_every_language():
    name = lens_name({**SETTINGS, "hidden": 64}, "0123456789abcdef")
    assert name == "yours-lstm-1x64-0123456789" and lens_title(name) == "LSTM 1×64" and is_lens_name(name)
    remember = lens_name({**SETTINGS, "task": "remember", "delay": 50, "cell": "rnn_relu", "layers": 2}, "f" * 64)
    assert lens_title(remember) == "ReLU RNN 2×8 · D=50" and analysis.title(remember) == "ReLU RNN 2×8 · D=50"
    both = lens_name({**SETTINGS, "cell": "gru", "bidirectional": True}, "a" * 64)
    assert lens_title(both) == "BiGRU 1×8" and analysis.title("lstm") == "LSTM"
    for bad in ("lstm", "yours", "yours-lstm-1x64-XYZ", "yours-cnn-1x8-0123456789", None, 7,
                "yours-lstm-1x8-0123456789 "):
        assert not is_lens_name(bad) and lens_title(bad) is None
    # the Digits tab's model control takes a page's own model (whether the page has it is the handlers'
    # to say); anything else is still refused with its message
    assert TABLE.check({"model": name}).model == name and TABLE.check({"model": ""}).model == "lstm"
    with pytest.raises(UserError, match="model"):
        TABLE.check({"model": "yours-cnn"})


def test_each_page_has_its_own_models_and_the_oldest_go_first():
    lens = LensModels(size=3)
    a, b, c = own_model(seed=1), own_model(seed=2), own_model(seed=3)
    assert lens.open("p1", a) is a and lens.get("p1", "digits") is a and lens.get("p1", "char") is None
    assert lens.get("p2", "digits") is None and lens.get(None, "digits") is None   # another page: not its
    lens.open("p1", b)                                        # a newer model of the same page replaces it
    assert lens.get("p1", "digits") is b and len(lens) == 1
    lens.open("p2", a), lens.open("p3", c)
    lens.get("p1", "digits")                                  # used: the least recent is now p2's
    lens.open("p4", own_model(seed=4))
    assert lens.get("p2", "digits") is None and lens.get("p1", "digits") is b and len(lens) == 3
    assert lens.forget("p1", "char") == 0 and lens.get("p1", "digits") is b               # one kind only
    assert lens.forget("p1") == 1 and lens.get("p1", "digits") is None and lens.forget("p1") == 0
    own = own_model(seed=5)
    assert "history" not in own.ref.meta and own.ref.net is own.model.net and own.ref.light().net is None
    assert own.label("en") == "Yours: LSTM 1×8, 50.0%" and own.label("zh-CN") == "你的模型：LSTM 1×8，50.0%"
    with pytest.raises(ValueError, match="kind"):
        LensModel(own.name, "pictures", own.model, {})


# -- a "remember the digit" model in the lens ----------------------------------------------------

def test_a_remember_model_reads_the_drawing_then_its_blank_rows_everywhere():
    own = own_model(delay=5)
    m, x = own.model, np.random.default_rng(0).random((28, 28), dtype=np.float32)
    tall = np.concatenate([x, np.zeros((5, 28), np.float32)])
    assert m.steps == 33 and m.rows(x).shape == (33, 28)
    assert torch.equal(m.rows(torch.from_numpy(x)), torch.from_numpy(tall))
    with torch.no_grad():
        direct = torch.softmax(m.net(torch.from_numpy(tall)[None]), -1)[0].numpy()   # the network on 33 rows
    trace = m.trace_mnist(x)
    assert trace.h.shape == (33, 8) and trace.image.shape == (33, 28)
    assert np.allclose(trace.probs[-1], direct, atol=1e-5)
    assert np.allclose(torch.softmax(m.logits(x[None]), -1)[0].numpy(), direct, atol=1e-6)
    inf, probs = m.influence_and_step_probs(x)
    assert inf["gradient"].shape == inf["occlusion"].shape == (28,) and probs.shape == (33, 10)   # the drawing's rows
    assert np.allclose(m.step_probs(x), probs, atol=1e-5)
    edited = m.trace_mnist(x, ablate=[1], from_step=3)        # an edit from a drawing row goes on through the blanks
    assert edited.h.shape == (33, 8) and np.all(edited.h[2:, 1] == 0)


def own_with_lookups(lab) -> tuple[LensModel, object]:
    """A remember model (D = 5, 12 units) with lookups over 40 random digits, and ``lab`` with it."""
    own = own_model(delay=5, hidden=12)
    rng = np.random.default_rng(1)
    own.found["lookups"] = lookups_over(own.model, rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
                                        rng.integers(0, 10, 40))
    return own, lab.with_own(own.ref, own.model)


def test_the_digits_views_and_why_panels_work_on_a_pages_own_model(lab):
    own, page = own_with_lookups(lab)
    assert own.name in page.models and own.name not in lab.models and page.own.name == own.name   # the tab's lab stays
    c = TABLE.check({"model": own.name, "t": 20, "unit": 11, "order": "clustered"})
    out = drawing.drawing(page, seven(), c)
    a = out["analysis"]
    expected = own.model.predict(seven())             # the label is the page's own model's answer
    assert a.name == own.name and all(math.isclose(out["final"][k], p, abs_tol=1e-5) for k, p in expected.items())
    assert "The LSTM 1×12 · D=5 reads" in out["summary"] and "then 5 blank rows" in out["summary"]
    assert out["seen"]["height"] == 33 and out["rows"]["height"] == 33 and out["rows"]["t"] == 20
    assert out[COMPARE[-1]]["label"].startswith("LSTM 1×12 · D=5:") and out[COMPARE[-1]]["visible"]
    assert out["caption"].startswith("**Row 20 of 33.**") and out["hmap"]["cols"] == 33
    assert own.name in a.influence and a.influence[own.name]["gradient"].shape == (28,)   # the row influence
    assert "rl-cloud-" + own.name in out["trajectory"]                                   # the state's path
    assert "after step 33" in out["unit_caption"] and "validation digits of your run" in out["unit_caption"]
    assert list(unit_order("clustered", own.model, a.trace, page.lookups[own.name])) == list(own.found["lookups"].order)
    edit = handlers.edit(page, a, TABLE.check({"model": own.name, "ablate": "1, 2", "blank_rows": "5-10", "t": 28}))
    assert edit["analysis"].edited.h.shape == (33, 12) and "Ablating 2 units" in edit["difference"]
    assert handlers.top_units(page, a, 3)["ablate"].count(",") == 2
    back = handlers.pick(page, handlers.pick(page, a, TABLE.check({"model": "gru"}))["analysis"], c)
    assert back["analysis"].name == own.name and back["explain"].count("(1, 33, 28)") == 1   # its shapes: 33 rows
    css = views.cloud_css({own.name: own.found["lookups"]})
    assert f".rl-cloud-{own.name} " in css
    shipped = drawing.drawing(lab, seven(), TABLE.default)         # a page without one: as before
    assert own.name not in shipped["analysis"].compare and shipped[COMPARE[-1]]["visible"] is False


# -- the drawing worker ----------------------------------------------------------------------------

def until(condition, within: float = 120) -> bool:
    deadline = time.monotonic() + within
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


@pytest.mark.server
def test_the_worker_is_sent_a_pages_model_once_and_again_after_a_restart(lab):
    own = own_model(delay=3, seed=7)
    page = lab.with_own(own.ref, own.model)
    c = TABLE.check({"model": own.name, "t": 9})
    worker = DrawWorker(worker_lab, None)
    sent = []
    answer = worker._answer
    def recorded(pool, name, args, kwargs, ref=None):     # which LensRef each submission carried
        sent.append(ref)
        return answer(pool, name, args, kwargs, ref)
    worker._answer = recorded
    try:
        assert until(lambda: worker.ready)
        mine = drawing.first(page, seven(), c)
        theirs = worker.call("first", seven(), c, own=page.own)
        assert [r.net is None for r in sent] == [True, False]        # named, not held: then whole
        assert set(theirs) == set(mine) and all(same(theirs[k], mine[k]) for k in mine)
        sent.clear()
        assert worker.call("first", seven(), c, own=page.own) is not None and [r.net for r in sent] == [None]
        for proc in list(worker._pool._processes.values()):   # a new worker knows no page's model
            proc.kill()
            proc.join(10)
        assert worker.call("first", seven(), c, own=page.own) is None      # the server draws meanwhile
        assert until(lambda: worker.ready)
        sent.clear()
        again = worker.call("first", seven(), c, own=page.own)
        assert [r.net is None for r in sent] == [True, False] and same(again["final"], mine["final"])
    finally:
        worker.close()


# -- the Train tab's button -----------------------------------------------------------------------

def trained(**settings):
    """A tiny run's weights now, as a job gives them back."""
    from demo.train import Run
    from demo.train.trained import Weights
    run = Run(batch=16, train_size=256, val_size=64, record_every=5, data_dir=DATA_DIR, **settings)
    run.train(steps=5)
    return Weights(run.settings.as_dict(), *run.weights("trained"))


def trainer_with(weights, settings: dict, owner: str = "page-1", text: str | None = None):
    """The Train tab's Trainer as open_in_lens reads it: the page's session (its job, settings and
    training text: None, Tiny Shakespeare or a digit task) and where the data is."""
    job = SimpleNamespace(result=lambda timeout=30: weights)
    return SimpleNamespace(sessions={owner: SimpleNamespace(job=job, settings=settings, text=text)},
                           data_dir=DATA_DIR)


@pytest.mark.server
def test_open_in_the_lens_opens_the_pages_run_or_says_why_not():
    if not (DATA_DIR / "MNIST" / "raw").is_dir():
        pytest.skip(f"no MNIST under {DATA_DIR}")
    from demo.train.lens import open_in_lens, weights_digest
    lens = LensModels()
    weights = trained(task="remember", delay=4, hidden=8)
    own = open_in_lens(trainer_with(weights, {"task": "remember", "delay": 4, "hidden": None}), lens, "page-1")
    assert lens.get("page-1", "digits") is own and own.model.delay == 4 and own.title == "LSTM 1×8 · D=4"
    assert own.name.endswith(weights_digest(weights.state_dict)[:10])
    assert math.isclose(own.score, weights.meta["metrics"]["val_acc"])
    images, labels = own.examples
    assert images.shape == (64, 28, 28) and images.dtype == np.uint8 and labels.shape == (64,)
    x = images[:3].astype(np.float32) / 255
    assert torch.allclose(own.model.logits(x), weights.model().logits(x))        # the run's own weights
    assert handlers.own_lookups(own).class_means.shape == (8, 10) and "lookups" in own.found
    for trainer, key in ((SimpleNamespace(sessions={}), "train.error.lens_no_run"),
                         (trainer_with(None, {}), "train.error.no_weights"),
                         (trainer_with(weights, {"bidirectional": True, "delay": 4}),
                          "train.error.lens_both_ways_delay")):
        with pytest.raises(UserError) as e:
            open_in_lens(trainer, lens, "page-1")
        assert e.value.key == key and e.value.text("zh-CN") != str(e.value)
    from demo.train import Run
    from demo.train.trained import Weights
    run = Run(task="text", text=POEM, hidden=8, batch=4, bptt=16, val_size=64, record_every=5)
    run.train(steps=2)
    weights = Weights(run.settings.as_dict(), *run.weights("trained"))
    text = open_in_lens(trainer_with(weights, {"task": "text"}, text=POEM), lens, "page-1")   # a text run:
    assert text.kind == "char" and text.opening == POEM[:200] and lens.get("page-1", "char") is text   # its start


@pytest.fixture(scope="module")
def app():
    from demo.app import build_app
    with pytest.MonkeyPatch.context() as mp:   # no worker processes: this module reads the handlers' answers
        mp.setenv("RNN_LENS_WRITER", "0")
        mp.setenv("RNN_LENS_DIGITS_WORKER", "0")
        return build_app().rnn_lens


@pytest.mark.server
def test_the_button_offers_the_model_in_the_digits_tab_of_that_page_only(app, monkeypatch):
    examples = (np.zeros((20, 28, 28), np.uint8), np.arange(20) % 10)
    lens, own = LensModels(), own_model(hidden=16, seed=9, examples=examples)
    monkeypatch.setattr("demo.app.open_in_lens", lambda trainer, lens_, owner: lens_.open(owner, own))
    digits = app.tabs["digits"]
    out = app.open_lens(lens, "page-1", "zh-CN")
    assert out[app.tab] == "digits" and out[app.tabs_row]["selected"] == "digits"
    assert "你的模型：LSTM 1×16" in out[app.tabs["train"].c["lens_note"]]
    picker = out[digits.c["model"]]
    assert picker["value"] == own.name and picker["choices"][-1] == (own.label("zh-CN"), own.name)
    assert [v for _, v in picker["choices"][:-1]] == list(digits.lab.models)
    assert f".rl-cloud-{own.name}" in out[digits.c["clouds"]] and ".rl-cloud-lstm " in out[digits.c["clouds"]]
    assert "lookups" in own.found
    monkeypatch.setattr(digits, "lens", lens)
    monkeypatch.setattr(lens_models, "_PAGE", [lambda: "page-1"])        # the page whose event runs
    assert own.name in digits.page_lab(own.name).models and digits.page_lab().own.name == own.name
    monkeypatch.setattr(lens_models, "_PAGE", [lambda: "page-2"])        # another page: not its model
    assert own.name not in digits.page_lab().models
    with pytest.raises(UserError) as e:
        digits.page_lab(own.name)
    assert e.value.key == "lens.error.gone"
    assert digits.controls_from(None, *[own.name if k == "model" else None for k in CONTROLS]).model == "lstm"


def written_by(lab, model: str) -> list:
    """Generate with ``model`` through the Text tab's event (built with a writer process that
    knows the shipped models only): [("writer" or "here", the answer by name)]."""
    import gradio as gr
    from demo.text import events as text_events

    class Writer:   # the shipped models' writer: says it wrote
        def stream(self, name, *args):
            yield "ROMEO: written there"

        def wait_ready(self):
            return True
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(text_events, "shared_writer", lambda *a: Writer())
        mp.setattr(text_events, "use_writer", lambda: True)
        with gr.Blocks() as demo:
            ui = text_events.build(None, gr.State("en"), lab=lab)
    (generate,) = [f.fn for f in demo.fns.values() if f.api_name == "generate"]
    named = [{n: out[c] for n, c in ui.c.items() if c in out} for out in generate("ROMEO:", 30, 0.8, 0, 1, model, "")]
    return [("writer" if out["generated"] == "ROMEO: written there" else "here", out) for out in named]


@pytest.mark.server
def test_the_button_offers_a_text_run_in_the_text_tab_of_that_page_only(app, monkeypatch):
    from demo.text import corpus
    from demo.text.model import CharModel, CharRNN
    chars = sorted(set("ROMEO:\nBut soft, what light through yonder window breaks?"))
    torch.manual_seed(0)
    name = lens_name({**SETTINGS, "task": "text", "hidden": 16}, "c" * 64)
    model = CharModel(CharRNN(len(chars), "lstm", hidden=16, layers=1, dropout=0.0, embed=0), chars, {"name": name})
    lens, own = LensModels(), LensModel(name, "char", model, {}, 2.5)
    monkeypatch.setattr("demo.app.open_in_lens", lambda trainer, lens_, owner: lens_.open(owner, own))
    monkeypatch.setattr(lens_models, "LENS", lens)                       # the Text tab reads the app's
    monkeypatch.setattr(lens_models, "_PAGE", [lambda: "page-1"])
    text = app.tabs["text"]
    out = app.open_lens(lens, "page-1", "en")
    assert out[app.tab] == "text" and out[app.tabs_row]["selected"] == "text"
    assert "Yours: LSTM 1×16, 2.50 nats/char" in out[app.tabs["train"].c["lens_note"]]
    picker = out[text.c["model"]]
    assert picker["value"] == name and picker["choices"][-1] == ("Yours: LSTM 1×16", name)
    assert [k for k, _ in written_by(text.lab, "lstm")] == ["writer"]   # the writer has the shipped models
    who, out = written_by(text.lab, name)[-1]                            # ... so the page's own writes here
    assert who == "here" and out["written"].model == name
    assert text.controls_from(*[name if k == "model" else v.value for k, v in text.controls.items()]).model == "lstm"
    monkeypatch.setattr(lens_models, "_PAGE", [lambda: "page-2"])        # another page: not its model
    shipped = [n for n in text.lab.shipped if text.lab.corpus(n) == "shakespeare"]
    assert name not in text.lab.models and [v for _, v in corpus.model_choices(text.lab, "shakespeare")] == shipped
    with pytest.raises(UserError, match="no character model"):
        text.lab.loaded(name)
    lens.open("page-1", own_model(seed=3))                               # a tab that cannot show it: a message,
    monkeypatch.setitem(app.tabs, "text", SimpleNamespace())             # and the page keeps its other model
    with pytest.raises(UserError) as e:
        app.open_lens(lens, "page-1")
    assert e.value.key == "lens.error.no_tab" and lens.get("page-1", "char") is None
    assert lens.get("page-1", "digits") is not None


# -- what the tabs say of a page's own model --------------------------------------------------------

def test_the_digits_labels_say_what_the_chosen_model_reads_and_where_its_lookups_come_from(lab):
    from demo.digits.handlers import RELANGUAGE_OUTPUTS
    own, page = own_with_lookups(lab)
    c = TABLE.check({"model": own.name})
    a = drawing.drawing(page, seven(), c)["analysis"]
    out = handlers.pick(page, a, c, "en")
    assert out["final"]["label"] == "Prediction after all 33 steps (the drawing’s 28 rows, then 5 blank ones)"
    assert out["final"]["value"] == drawing.drawing(page, seven(), c)["final"]       # the answer still in it
    assert "after step 33" in out["edited_final"]["label"] and "33 steps" in out["unit_rows"]["label"]
    assert out["unit_rows"]["color"] == "state"                                      # its other words kept
    assert out["unit_profile"]["label"] == "Its mean final h per class (40 validation digits of your run)"
    assert out["unit_thumbs"]["label"].startswith("Validation digits of your run")
    assert "MNIST" not in out["trajectory_help"]
    assert "40 validation digits of your run" in out["trajectory_help"] and "5 blank ones" in out["trajectory_help"]
    again = handlers.relanguage(page, a, c, None, None, "zh-CN")                     # the language switch
    assert set(again) == set(RELANGUAGE_OUTPUTS) and again["final"]["label"].startswith("读完全部 33 步")
    assert "40 个验证数字" in again["unit_profile"]["label"] and "40 个验证数字" in again["trajectory_help"]
    shipped = handlers.pick(page, a, TABLE.check({"model": "gru"}), "en")           # back to a shipped model
    assert shipped["final"]["label"] == "Prediction after all 28 rows"
    assert shipped["unit_profile"]["label"] == "Its mean final h per class (MNIST test set)"
    assert shipped["trajectory_help"].startswith("The hidden state after each row") and "MNIST test" in \
        shipped["trajectory_help"]
    plain = own_model(seed=4)                          # no MNIST here: no lookups, no cloud to say it is over
    out = handlers.pick(lab.with_own(plain.ref, plain.model), None, TABLE.check({"model": plain.name}), "en")
    assert out["final"]["label"] == "Prediction after all 28 rows" and "no MNIST" in out["trajectory_help"]
    assert out["unit_profile"]["label"] == "Its mean final h per class (MNIST test set)"   # not shown: none


def char_model(text: str, hidden: int = 16, seed: int = 0) -> LensModel:
    """A small untrained character model of ``text``'s characters, opened in the lens, its
    training text's start kept (as demo.train.lens.lens_model keeps it)."""
    from demo.text.model import CharModel, CharRNN, Vocab
    torch.manual_seed(seed)
    vocab = Vocab.from_text(text)
    name = lens_name({**SETTINGS, "task": "text", "hidden": hidden}, f"{seed:064x}")
    model = CharModel(CharRNN(len(vocab), "lstm", hidden=hidden, layers=1, dropout=0.0, embed=0), vocab,
                      {"name": name, "data": {"corpus": "the user's text"}})
    return LensModel(name, "char", model, {}, 2.5, opening=text[:200])


POEM = "床前明月光，疑是地上霜。举头望明月，低头思故乡。\n" * 20


def test_a_seed_the_users_text_model_never_saw_becomes_the_start_of_its_text():
    from demo.text.known_seed import known_seed, known_text, opening_seed
    own = char_model(POEM)
    seed, note = known_seed(own.model, "ROMEO:\n", own.opening)
    assert seed == "床前明月光，疑是地上霜。" and not [ch for ch in seed if ch not in own.model.vocab]
    assert note.text("en") == ("Your model never saw “R” “O” “M” “E” “:” in its training text: the seed is now "
                               "**床前明月光，疑是地上霜。**, the start of that text.")
    assert "种子文本已换成 **床前明月光，疑是地上霜。**" in note.text("zh-CN")
    assert known_seed(own.model, "明月", own.opening) == ("明月", None)                 # a seed it knows stays
    seed, note = known_seed(own.model, "ROMEO:\n", "")                                   # its text not kept
    assert seed == "\n" and note.key == "lens.seed.known" and "**↵**" in note.text("en")
    one_line = char_model("a*b_c " * 10)                                                 # no new line in it
    seed, note = known_seed(one_line.model, "ROMEO:\n", "")
    assert seed == " " and note.text("en") == ("Your model never saw “R” “O” “M” “E” “:” … in its training text: "
                                               "the seed is now **␣**, a character it knows.")
    assert "“\\*” “\\_”" in known_seed(own.model, "*_", own.opening)[1].text("en")   # Markdown's, as they are
    assert opening_seed("\n\nFirst Citizen: before we proceed any further") == "First Citizen: "
    assert known_text(own.model, "ROMEO:\nBut soft", own.opening) == own.opening
    assert known_text(own.model, "明月光", own.opening) == "明月光"


@pytest.mark.server
def test_open_in_the_lens_gives_a_text_model_a_seed_it_knows_and_writes_at_once(app, monkeypatch):
    from demo.text.steps import Written
    own = char_model(POEM)
    lens = LensModels()
    monkeypatch.setattr("demo.app.open_in_lens", lambda trainer, lens_, owner: lens_.open(owner, own))
    monkeypatch.setattr(lens_models, "LENS", lens)
    monkeypatch.setattr(lens_models, "_PAGE", [lambda: "page-1"])
    text, train = app.tabs["text"], app.tabs["train"]
    out = app.open_lens(lens, "page-1", "en")
    assert out[text.c["seed"]] == "床前明月光，疑是地上霜。" and out[text.c["pasted"]] == own.opening
    assert "the seed is now **床前明月光，疑是地上霜。**" in out[text.c["corpus_note"]]
    opened = out[text.c["opened"]]                      # what writes at once: the model, from the new seed
    assert out[text.c["seed_said"]].key == "lens.seed.opening" and opened["model"] == own.name
    assert opened["seed"] == out[text.c["seed"]] and app.open_lens(lens, "page-1", "en")[text.c["opened"]] != opened
    (write,) = [f for f in app.demo.fns.values() if (text.c["opened"]._id, "change") in f.targets]
    written = [{n: o[c] for n, c in text.c.items() if c in o} for o in write.fn(opened, 40, 0.8, 0, 1)]
    assert written[-1]["written"] == Written(own.name, opened["seed"])          # after its seed
    assert set(written[-1]["generated"]) <= set(POEM) and len(written[-1]["generated"]) == 40
    said = out[train.c["lens_said"]]
    assert out[train.c["lens_note"]] == said.text("en") == \
        "Opened in the Text tab as **Yours: LSTM 1×16, 2.50 nats/char**."
    notes = [f for f in app.demo.fns.values() if f.name == "note_in_language"]
    by_note = {f.outputs[0]._id: f for f in notes}
    assert set(by_note) == {train.c["lens_note"]._id, text.c["corpus_note"]._id}          # both said again
    again = by_note[train.c["lens_note"]._id]
    assert again.fn(said.text("en"), said, "zh-CN") == "已在“文本”标签页中打开为 **你的模型：LSTM 1×16，每字符 2.50 nats**。"
    assert again.fn(said.text("zh-CN"), said, "en") == said.text("en")
    assert not isinstance(again.fn("Something else", said, "zh-CN"), str)               # written over: left alone
    assert not isinstance(again.fn("", None, "zh-CN"), str)
