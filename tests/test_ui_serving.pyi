"""demo.ui_serving: a new session makes no block config until it needs one, and what a session
holds is what gradio's own SessionState holds, after the same updates, in the same order; the
remembered signatures give the same configs; /config is answered from memory per root URL."""
from __future__ import annotations

import inspect

import gradio as gr
import gradio.blocks
import httpx
import pytest
from gradio.state_holder import SessionState

from demo import ui_serving as serving
from tests.conftest import free_port


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

from gradio.events import Dependency

class Shouting(gr.Textbox):
    """A component whose own postprocess may do anything: it stays in a thread."""

    def postprocess(self, value):
        return (super().postprocess(value) or "").upper()
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component


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
    import asyncio

    import anyio
    threaded, real = [], anyio.to_thread.run_sync

    async def counted(func, *args, **kwargs):
        threaded.append(getattr(func, "__qualname__", repr(func)))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    try:
        out = asyncio.run(demo.process_api(fn, inputs, state=SessionState(demo)))
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