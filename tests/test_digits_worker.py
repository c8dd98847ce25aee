"""demo.digits.worker: the pad's drawings analysed in a second process give the page the same
answer as the server's own handlers, a bad edit still comes back as a ValueError, and a worker
that dies is replaced while the server answers by itself."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PIL import Image

from demo.digits.preprocess import ink_value
from demo.digits.sketches import example_digit
from demo.digits.tab import OUTPUT_NAMES, DigitsTab, keyed_tab, load_all_lookups, load_models
from demo.digits.worker import DrawWorker
from tests.conftest import proc_stat, same, stop_server_script
from tests.test_app_digits import built

READY_S = 120  # spawning python, importing torch and gradio, loading the models


@pytest.fixture(scope="module")
def loaded():
    models, problems = load_models()
    lookups, missing = load_all_lookups(models)
    return models, lookups


@pytest.fixture(scope="module")
def page(loaded) -> DigitsTab:
    return built(loaded[0], lookups=loaded[1])


def shape(tab: DigitsTab) -> dict:
    return {"compare": len(tab.compare), "panels": len(tab.panels)}


def values():
    """A seven as the pad sends it at pen-up, and as it sends it while the pen moves."""
    seven = ink_value(np.asarray(Image.fromarray(example_digit(7)[..., 3]).resize((56, 56))))
    return {**seven, "pad": "p" * 12, "seq": 2}, {**seven, "drawing": True, "pad": "p" * 12, "seq": 1}


def test_the_output_names_are_every_output(page):
    keys = page.output_keys()
    assert len(keys) == len(page.all_outputs) and set(map(id, keys.values())) == set(map(id, page.all_outputs))
    assert {k.split(".")[0] for k in keys} == set(OUTPUT_NAMES)


def test_keyed_tab_answers_as_the_page(loaded, page):
    """The worker's handlers (outputs named, no page) give the page's answer, name by name."""
    keyed = DigitsTab.keyed(*loaded[:1], [], loaded[1], shape(page))
    keys = page.output_keys()
    final, half = values()
    a = page.draw(final, "gru", complete=True, first=True)[page.analysis]
    for method, args, kwargs in (("draw", (final, "lstm"), {"complete": True}), ("draw", (half, "gru"), {}),
                                 ("draw", (final, "rnn"), {"t": 9}), ("draw", (final, "gru"), {"first": True}),
                                 ("rest", (a, final, None, 9, "index", 5), {})):
        mine, theirs = getattr(page, method)(*args, **kwargs), getattr(keyed, method)(*args, **kwargs)
        assert set(theirs) <= set(keys) and {keys[k] for k in theirs} == set(mine)
        for k, v in theirs.items():
            assert same(v, mine[keys[k]]), k


def test_worker_process_answers_falls_back_and_restarts(page):
    worker = DrawWorker(keyed_tab, None, tuple(shape(page).items()))
    try:
        deadline = time.time() + READY_S
        while not worker.ready and time.time() < deadline:
            assert worker.draw(values()[0], "lstm") is None or worker.ready  # not ready: the caller draws
            time.sleep(0.2)
        assert worker.ready
        final, _ = values()
        out = worker.draw(final, "lstm", complete=True)
        mine = page.draw(final, "lstm", complete=True)
        keys = page.output_keys()
        assert out is not None and {keys[k] for k in out} == set(mine)
        assert all(same(v, mine[keys[k]]) for k, v in out.items())
        a = mine[page.analysis]
        out, mine = worker.call("rest", a, final, unit=4), page.rest(a, final, unit=4)
        assert out is not None and {keys[k] for k in out} == set(mine)
        assert all(same(v, mine[keys[k]]) for k, v in out.items())
        with pytest.raises(ValueError, match="Ablate units"):
            worker.draw(final, "lstm", ablate="999")
        with pytest.raises(ValueError, match="answers draw, rest"):
            worker.call("close")
        # the worker dies: the next drawing is the caller's, and another worker starts
        for proc in list(worker._pool._processes.values()):
            proc.kill()
            proc.join(10)
        assert worker.draw(final, "lstm") is None
        deadline = time.time() + READY_S
        while not worker.ready and time.time() < deadline:
            time.sleep(0.2)
        assert worker.ready and worker.draw(final, "lstm") is not None
    finally:
        worker.close()


class Stuck:
    """Handlers that never answer (made in the worker: this module is imported there)."""

    def draw(self, *args, **kwargs):
        time.sleep(3600)


def proc_state(pid: int) -> str:
    """/proc's one-letter state of `pid` ("R", "S", "Z", ...), or "gone"."""
    try:
        return proc_stat(pid)[0]
    except (OSError, IndexError):
        return "gone"


def ended(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while proc_state(pid) not in ("Z", "X", "gone"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_stuck_worker_is_replaced():
    """No answer within the timeout: the caller draws (None), the stuck process is killed and
    another one starts."""
    worker = DrawWorker(Stuck, timeout=1.0)
    try:
        deadline = time.time() + READY_S
        while not worker.ready and time.time() < deadline:
            time.sleep(0.2)
        assert worker.ready
        stuck = list(worker._pool._processes.values())
        t = time.perf_counter()
        assert not worker.busy
        seen = []
        threading.Timer(0.3, lambda: seen.append(worker.busy)).start()  # while the call waits
        assert worker.draw("anything") is None
        assert time.perf_counter() - t < 10
        assert seen == [True] and not worker.busy  # busy while a call is on its way, then not
        for proc in stuck:
            proc.join(10)
            # killed: ended, or a zombie that the executor's own thread is about to reap (its
            # Process object can then report "alive" for a moment)
            assert not proc.is_alive() or ended(proc.pid), proc_state(proc.pid)
        deadline = time.time() + READY_S
        while not worker.ready and time.time() < deadline:
            time.sleep(0.2)
        assert worker.ready  # a new one, ready for the next drawing
    finally:
        worker.close()


SERVER = """
import time
from demo.digits.worker import DrawWorker
if __name__ == "__main__":
    w = DrawWorker(dict)  # handlers that cost nothing to make: only the process matters here
    while not w.ready:
        time.sleep(0.05)
    print(*w._pool._processes, flush=True)
    time.sleep(120)
"""


@pytest.mark.parametrize("how", ["terminate", "kill"])
def test_the_worker_ends_with_its_server(tmp_path, how):
    """A server stopped with SIGTERM (docker stop, a Space restarting) or SIGKILL leaves no
    process behind: each worker used to wait on its queue for ever, holding the models."""
    import os
    (worker, *_), left = stop_server_script(tmp_path, SERVER, how)
    assert worker in left
    assert not [p for p in left if os.path.exists(f"/proc/{p}")], "a process outlived its server"
