"""demo.ui_serving: a new session makes no block config until it needs one, and what a session
holds is what gradio's own SessionState holds, after the same updates, in the same order; the
remembered signatures give the same configs; /config is answered from memory per root URL; lanes
keep each page's order.  These comparisons with gradio's own are the gate for moving the pinned
gradio version; on any other (or with RNN_LENS_PLAIN_GRADIO=1) nothing is installed."""
from __future__ import annotations

import inspect

import gradio
import gradio as gr
import gradio.blocks
import gradio.component_meta
import gradio.state_holder
import httpx
import pytest
from gradio.state_holder import SessionState

from demo import ui_serving as serving
from tests.conftest import free_port, run_coroutine


def small_app() -> tuple[gr.Blocks, dict]:
    with gr.Blocks() as demo:
        name = gr.Textbox(label="name", value="ada")
        count = gr.Number(label="count", value=1)
        note = gr.Markdown("hello")
        state = gr.State(0)
        go = gr.Button("go")

        def act(n, c, s):
            # an update (a new component in the session) and plain values (their config's value)
            return gr.update(label=f"name {c}", visible=c < 3), c + 1, f"**{n}**", s + 1

        go.click(act, [name, count, state], [name, count, note, state], api_name="act")
    return demo, {"name": name, "count": count, "note": note, "state": state, "go": go}


def drive(session: SessionState, parts: dict) -> None:
    """What gradio's postprocess does to a session for one event with an update and values."""
    name = parts["name"]
    kwargs = {**name.constructor_args, "label": "changed", "render": False}
    kwargs.pop("value", None)
    session[name._id] = name.__class__(**kwargs)
    session._update_config(name._id)
    session._update_value_in_config(parts["count"]._id, 7)
    session[parts["state"]._id] = 5


def test_a_new_session_makes_no_config_until_needed(monkeypatch):
    demo, parts = small_app()
    made = []
    real = type(demo.default_config).config_for_block
    monkeypatch.setattr(type(demo.default_config), "config_for_block",
                        staticmethod(lambda *a, **k: made.append(a[0]) or real(*a, **k)))
    lazy = serving.LazySessionState(demo)
    assert made == []
    lazy._update_value_in_config(parts["count"]._id, 3)
    assert made == [parts["count"]._id]
    assert lazy.config_values[parts["count"]._id]["props"]["value"] == 3
    SessionState(demo)
    assert len(made) == 1 + len(demo.blocks)  # gradio's copies every block at once


def test_lazy_session_holds_what_gradios_holds():
    demo, parts = small_app()
    eager, lazy = SessionState(demo), serving.LazySessionState(demo)
    assert list(lazy.components) == list(eager.components)
    for s in (eager, lazy):
        drive(s, parts)
    assert list(lazy.components) == list(eager.components)
    assert list(lazy.config_values) == list(eager.config_values)
    assert lazy.config_values[parts["name"]._id]["props"]["label"] == "changed"
    assert lazy[parts["state"]._id] == eager[parts["state"]._id] == 5
    assert parts["note"]._id in lazy.config_values and -1 not in lazy.config_values
    assert lazy.config_values.get(-1, "none") == "none"
    assert len(lazy.config_values) == len(eager.config_values)


@pytest.fixture
def served_small_app():
    demo, _ = small_app()
    serving.install()
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True,
                            app_kwargs=serving.app_kwargs())
    try:
        yield url
    finally:
        serving.install()  # the process's other apps (demo.app.launch) keep the lazy sessions
        demo.close()


@pytest.mark.server
def test_deep_link_is_the_same_with_lazy_sessions(served_small_app):
    """Two sessions make the same update, one lazy and one gradio's own: gradio's deep link (a
    hash of the session's every component config) comes out the same."""
    from gradio_client import Client

    url = served_small_app
    links = []
    for install in (serving.install, serving.uninstall):
        install()
        client = Client(url, verbose=False)
        client.predict("grace", 2, api_name="/act")
        r = httpx.get(url + "gradio_api/deep_link", params={"session_hash": client.session_hash}, timeout=30)
        r.raise_for_status()
        links.append(r.json())
    assert links[0] and links[0] == links[1]


def test_monitoring_summary_is_not_rebuilt_after_every_event():
    """gradio's queue reads the interval when it is made; importing demo.ui_serving set it."""
    demo, _ = small_app()
    demo.queue()
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY == serving.ANALYTICS_EVERY > 1
    records = [{"time": 0.0, "status": "success", "process_time": 0.01, "function": "act", "session_hash": "s"}]
    demo._queue.events_recorded = 1
    first = demo._queue.compute_analytics_summary(records)
    assert first == {"functions": {}}  # fewer events than the interval: not rebuilt yet
    demo._queue.events_recorded = serving.ANALYTICS_EVERY
    assert demo._queue.compute_analytics_summary(records)["functions"]["act"]["total_requests"] == 1


def test_remembered_signatures_give_the_same_configs():
    """Every block's config (and a component made from an update) is the same with gradio's
    inspect and with the remembering one; the remembering one answers from memory."""
    demo, parts = small_app()
    serving.uninstall()
    try:
        plain = {k: demo.default_config.config_for_block(k, [], b) for k, b in demo.blocks.items()}
    finally:
        serving.install()
    remembered = {k: demo.default_config.config_for_block(k, [], b) for k, b in demo.blocks.items()}
    assert remembered == plain
    looked_up = gradio.blocks.inspect
    assert isinstance(looked_up, serving.RememberingInspect)
    assert looked_up.signature(gr.Textbox.__init__) is looked_up.signature(gr.Textbox.__init__)
    assert looked_up.isfunction is inspect.isfunction  # the rest is inspect's own

    class Unhashable:
        __hash__ = None

        def __call__(self, a, b=2):
            return a

    assert list(looked_up.signature(Unhashable()).parameters) == ["a", "b"]
    with pytest.raises(TypeError):
        looked_up.signature(3)


@pytest.mark.server
def test_config_is_cached_per_root(served_small_app, monkeypatch):
    """gradio builds /config (a deep copy of the app's config) once per root URL."""
    import gradio.routes
    url, copies = served_small_app, []
    real = gradio.routes.utils.safe_deepcopy
    monkeypatch.setattr(gradio.routes.utils, "safe_deepcopy", lambda x: copies.append(1) or real(x))
    first, again = httpx.get(url + "config", timeout=30), httpx.get(url + "config", timeout=30)
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert len(copies) == 1
    proxied = httpx.get(url + "config", headers={"X-Forwarded-Host": "example.org", "X-Forwarded-Proto": "https"},
                        timeout=30)
    assert proxied.json()["root"] == "https://example.org" != first.json()["root"]
    assert httpx.get(url + "config", timeout=30).json()["root"] == first.json()["root"]


class Shouting(gr.Textbox):
    """A component whose own postprocess may do anything: it stays in a thread."""

    def postprocess(self, value):
        return (super().postprocess(value) or "").upper()


def mixed_app() -> tuple[gr.Blocks, int]:
    """Inputs and outputs of the converted-at-once kinds, beside an image, a plot's kind of
    component (gr.Image: files) and a subclass that overrides postprocess."""
    import numpy as np
    with gr.Blocks() as demo:
        ins = [gr.Slider(0, 10, value=3, step=1), gr.Number(2, precision=0), gr.Radio(["a", "b"], value="a"),
               gr.Dropdown(["x", "y"], value="x"), gr.Textbox("t"), gr.Checkbox(True)]
        outs = [gr.Label(), gr.Markdown(), gr.HTML(), gr.Slider(0, 10), gr.Number(), gr.Textbox(), Shouting(),
                gr.Image(type="numpy"), gr.State()]

        def act(s, n, r, d, t, c):
            return ({"a": 0.7, "b": 0.3}, f"  **{r}{d}**", f"<b>{t}</b>", s + 1, n * 2, t * 2, "quiet",
                    np.full((4, 4, 3), int(s) * 20, np.uint8), (s, n, r, d, t, c))

        go = gr.Button()
        go.click(act, ins, outs)
    return demo, next(iter(demo.fns))


def run_event(demo, fn, inputs, monkeypatch) -> tuple[dict, list[str]]:
    """One event through gradio's process_api: its answer and what went to a worker thread."""
    import anyio
    threaded, real = [], anyio.to_thread.run_sync

    async def counted(func, *args, **kwargs):
        threaded.append(getattr(func, "__qualname__", repr(func)))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    try:
        out = run_coroutine(demo.process_api(fn, inputs, state=SessionState(demo)))
    finally:
        monkeypatch.setattr(anyio.to_thread, "run_sync", real)
    return out, threaded


def test_simple_values_are_converted_at_once_with_the_same_answer(monkeypatch, tmp_path):
    """With install(), the simple components' pre/postprocess run without a thread; the answer
    (images aside: their cached file's path) is gradio's own; the handler, the image and the
    overriding subclass still go to a thread."""
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    demo, fn = mixed_app()
    inputs = [4, 2, "b", "y", "hi", False]
    serving.uninstall()
    try:
        plain, plain_threads = run_event(demo, fn, list(inputs), monkeypatch)
    finally:
        serving.install()
    inline, inline_threads = run_event(demo, fn, list(inputs), monkeypatch)
    assert isinstance(gradio.blocks.anyio, serving.InlineAnyio)

    def without_paths(data):
        return [{k: v for k, v in d.items() if k not in ("path", "url")} if isinstance(d, dict) and "path" in d
                else d for d in data]
    assert without_paths(inline["data"]) == without_paths(plain["data"])
    assert inline["data"][6] == "QUIET" and inline["data"][3] == 5
    assert len(plain_threads) == 1 + len(inputs) + 8  # the handler, every input, every output but the State
    assert sorted(inline_threads) == sorted(["mixed_app.<locals>.act", "Shouting.postprocess", "Image.postprocess"])


def test_a_bad_value_is_refused_the_same_way_at_once(monkeypatch):
    """A slider value out of range: the same gradio error, raised without a thread."""
    demo, fn = mixed_app()
    errors = []
    for install in (serving.uninstall, serving.install):
        install()
        with pytest.raises(Exception) as e:
            run_event(demo, fn, [99, 2, "b", "y", "hi", False], monkeypatch)
        errors.append((type(e.value), str(e.value)))
    serving.install()
    assert errors[0] == errors[1] and "99" in errors[0][1]


def fake_queue(lanes: dict, running: list):
    """A stand-in for gradio's Queue as get_events reads it: {lane: [(session, fn), ...]} waiting,
    and the (session, lane) pairs running."""
    from types import SimpleNamespace

    from gradio.queueing import EventQueue

    def event(session, lane, fn="f"):
        return SimpleNamespace(session_hash=session, concurrency_id=lane, fn=SimpleNamespace(batch=False, name=fn))

    queues = {}
    for lane, waiting in lanes.items():
        queues[lane] = EventQueue(lane, 4)
        queues[lane].queue = [event(s, lane) for s in waiting]
    jobs = [[event(s, lane)] for s, lane in running] + [None] * 4
    for s, lane in running:
        queues[lane].current_concurrency += 1
    return SimpleNamespace(event_queue_per_concurrency_id=queues, active_jobs=jobs)


def picks(queue, n=10) -> list:
    """The events get_events starts, one after another (none finishes meanwhile)."""
    out = []
    while (got := serving.get_events(queue)) is not None and len(out) < n:
        events, _, lane = got
        queue.event_queue_per_concurrency_id[lane].current_concurrency += 1
        queue.active_jobs[queue.active_jobs.index(None)] = events
        out.append((events[0].session_hash, lane))
    return out


def test_an_ordered_lane_starts_each_sessions_events_one_at_a_time(monkeypatch):
    monkeypatch.setattr(serving, "_SESSION_ORDERED", {"pen"})
    # a: one running, two waiting; b and c one each: b and c start beside a's, a's next waits
    q = fake_queue({"pen": ["a", "b", "a", "c"]}, running=[("a", "pen")])
    assert picks(q) == [("b", "pen"), ("c", "pen")]
    assert [e.session_hash for e in q.event_queue_per_concurrency_id["pen"].queue] == ["a", "a"]
    # a's running event ends: its next one starts, and only one
    q.active_jobs[0] = None
    q.event_queue_per_concurrency_id["pen"].current_concurrency -= 1
    assert picks(q) == [("a", "pen")]
    assert len(q.event_queue_per_concurrency_id["pen"].queue) == 1
    # the lane's width (4) still holds: b, c, a running; of d and e waiting, only d starts
    q.event_queue_per_concurrency_id["pen"].queue += fake_queue({"pen": ["d", "e"]}, []).event_queue_per_concurrency_id[
        "pen"].queue
    assert picks(q) == [("d", "pen")]
    assert [e.session_hash for e in q.event_queue_per_concurrency_id["pen"].queue] == ["a", "e"]


def test_other_lanes_start_as_gradio_starts_them(monkeypatch):
    """A lane not made by session_ordered_lane: the first waiting event, as gradio's own
    get_events picks (the same lanes shuffled the same way)."""
    import random
    monkeypatch.setattr(serving, "_SESSION_ORDERED", set())
    mine, gradios = [], []
    for pick, out in ((serving.get_events, mine), (serving._GRADIO_GET_EVENTS, gradios)):
        random.seed(3)
        q = fake_queue({"x": ["a", "a", "b"], "y": ["c", "a"]}, running=[("a", "x")])
        while (got := pick(q)) is not None:
            events, batch, lane = got
            out.append((events[0].session_hash, lane, batch))
    assert mine == gradios and len(mine) == 5


def served_lane(work, events: list[tuple[str, str]], lane: str, width: int) -> list[str]:
    """``events`` ((page, value) pairs) sent to ``work`` through gradio's queue, in a lane
    declared ``session_ordered_lane(lane, width)``, after ``install()`` (which may decline):
    "start x" / "end x" in the order they happened, once every event has ended."""
    import threading
    import time

    log, lock = [], threading.Lock()

    def logged(who):
        with lock:
            log.append(f"start {who}")
        work(who)
        with lock:
            log.append(f"end {who}")
        return who

    with gr.Blocks() as demo:
        who, out = gr.Textbox(), gr.Textbox()
        who.submit(logged, who, out, **serving.session_ordered_lane(lane, width))
    demo.queue()
    serving.install()
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        fn = next(iter(demo.fns))
        with httpx.Client(timeout=60) as http:
            for session, value in events:
                r = http.post(url + "gradio_api/queue/join",
                              json={"data": [value], "fn_index": fn, "session_hash": session, "event_data": None})
                r.raise_for_status()
            deadline = time.time() + 60
            while len([e for e in log if e.startswith("end")]) < len(events) and time.time() < deadline:
                time.sleep(0.05)
    finally:
        demo.close()
    return log


def meeting(*names: str):
    """A handler whose calls for ``names`` each wait until all of them are running (20 s at most)."""
    import threading
    started = {n: threading.Event() for n in names}

    def work(who):
        if who in started:
            started[who].set()
            for other in started.values():
                other.wait(20)
    return work


@pytest.mark.server
def test_a_served_ordered_lane_runs_sessions_beside_each_other_but_not_one_sessions_events():
    """End to end, with gradio's queue: in a lane two wide, page A's two events run one after the
    other while page B's runs beside A's first (each of those two waits until the other has
    started: run one at a time, they would not finish)."""
    order = served_lane(meeting("a1", "b"), [("page-a", "a1"), ("page-a", "a2"), ("page-b", "b")], "ordered-test", 2)
    assert order.index("start a2") > order.index("end a1"), order
    assert order.index("start b") < order.index("end a1") and order.index("start a1") < order.index("end b"), order


# ---------------------------------------------------------------------------------------------
# The guard: the patches go in on the pinned gradio only, and not with RNN_LENS_PLAIN_GRADIO=1

def test_the_pin_is_the_gradio_installed():
    """These tests compare the patches with the gradio installed, the one requirements.txt pins."""
    from pathlib import Path
    assert gradio.__version__ == serving.PINNED and serving.plain_reason() is None
    pins = (Path(__file__).resolve().parent.parent / "requirements.txt").read_text().split()
    assert f"gradio=={serving.PINNED}" in pins


@pytest.fixture(params=["another version", "the variable"])
def plain_gradio(request, monkeypatch):
    """gradio's own behaviour asked for: another gradio version, or RNN_LENS_PLAIN_GRADIO=1."""
    serving.uninstall()
    if request.param == "another version":
        monkeypatch.setattr(gradio, "__version__", "6.32.0")
    else:
        monkeypatch.setenv(serving.PLAIN, "1")
    yield request.param
    monkeypatch.undo()
    assert serving.install()  # the process's other apps keep the patches


def test_plain_gradio_gets_none_of_the_patches_and_one_log_line(plain_gradio, caplog):
    import anyio
    from gradio import queueing
    with caplog.at_level("INFO", logger=serving.__name__):
        assert serving.install() is False
    assert len(caplog.records) == 1
    assert ("6.32.0" if plain_gradio == "another version" else serving.PLAIN) in caplog.records[0].getMessage()
    assert gradio.state_holder.SessionState is SessionState
    assert gradio.blocks.inspect is inspect and gradio.component_meta.inspect is inspect
    assert gradio.blocks.anyio is anyio
    assert queueing.Queue.get_events is serving._GRADIO_GET_EVENTS
    assert serving.app_kwargs({"debug": True}) == {"debug": True}  # no config cache


def test_a_lane_is_declared_and_ordered_at_install():
    """Declaring a lane changes nothing in gradio; install() puts the queue's order in place."""
    from gradio import queueing
    serving.uninstall()
    try:
        kwargs = serving.session_ordered_lane("declared-test", 3)
        assert kwargs == {"concurrency_id": "declared-test", "concurrency_limit": 3}
        assert "declared-test" in serving._SESSION_ORDERED
        assert queueing.Queue.get_events is serving._GRADIO_GET_EVENTS
        with pytest.raises(ValueError):
            serving.session_ordered_lane("declared-test", 0)
    finally:
        assert serving.install()
    assert queueing.Queue.get_events is serving.get_events
    assert [m.cls for m in serving.app_kwargs()["middleware"]] == [serving.ConfigCache]


@pytest.mark.server
def test_with_plain_gradio_a_lane_is_one_wide_and_keeps_a_pages_order(plain_gradio):
    """The patches off, a declared lane is gradio's own one event wide (gradio keeps a page's
    order only so): the app still serves, in order, more slowly under load."""
    assert serving.session_ordered_lane("plain-test", 2) == {"concurrency_id": "plain-test", "concurrency_limit": 1}
    order = served_lane(lambda who: None, [("page-a", "a1"), ("page-a", "a2"), ("page-b", "b")], "plain-test", 2)
    assert order == ["start a1", "end a1", "start a2", "end a2", "start b", "end b"], order
