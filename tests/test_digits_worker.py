"""demo.digits.worker: the pad's drawings analysed in a second process give the page the same
answer as the server's own handlers (demo.digits.drawing, called there by name), a bad edit still
comes back as its message, a worker that dies or is stuck is replaced while the server answers by
itself, the calls waiting for it are bounded, and it ends with its server.  How long a stuck
worker holds a call is measured in benchmarks/bench_digits_worker.py."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PIL import Image

from demo.digits import drawing
from demo.digits.controls import TABLE
from demo.digits.handlers import ALL_OUTPUTS, FIRST_OUTPUTS, REST_OUTPUTS, load_lab, worker_lab
from demo.digits.pad_ink import ink_value
from demo.digits.sketches import example_digit
from demo.digits.worker import WORK, DrawWorker, WorkerBusy
from demo.errors import UserError
from tests.conftest import proc_stat, same, stop_server_script

pytestmark = pytest.mark.server
READY_S = 120  # spawning python, importing torch and gradio, loading the models


@pytest.fixture(scope="module")
def lab():
    return load_lab()


def values():
    """A seven as the pad sends it at pen-up, and as it sends it while the pen moves."""
    seven = ink_value(np.asarray(Image.fromarray(example_digit(7)[..., 3]).resize((56, 56))))
    return {**seven, "pad": "p" * 12, "seq": 2}, {**seven, "drawing": True, "pad": "p" * 12, "seq": 1}


def until(condition, within: float = READY_S) -> bool:
    deadline = time.monotonic() + within
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_the_worker_computes_the_drawings_own_functions():
    assert all(callable(getattr(drawing, name)) for name in WORK)
    assert {"live", "pen_up_first", "pen_up_rest"}.isdisjoint(WORK)   # the lanes route, the worker computes


def test_worker_process_answers_as_the_server_falls_back_and_restarts(lab):
    worker = DrawWorker(worker_lab, None)
    final, half = values()
    gru = TABLE.check({"model": "gru", "t": 9, "unit": 4})
    try:
        assert not worker.ready and worker.call("first", final, gru) is None   # starting: the caller draws
        assert until(lambda: worker.ready)
        a = drawing.first(lab, final, gru)["analysis"]
        for name, args, names in (("drawing", (final, TABLE.default, None, None, "en", True), ALL_OUTPUTS),
                                  ("drawing", (half, gru), ALL_OUTPUTS), ("first", (final, gru), FIRST_OUTPUTS),
                                  ("rest", (a, final, None, gru, "zh-CN"), REST_OUTPUTS)):
            theirs, mine = worker.call(name, *args), getattr(drawing, name)(lab, *args)
            assert theirs is not None and set(theirs) == set(mine) == set(names), name
            for k, v in theirs.items():
                assert same(v, mine[k]), (name, k)
        with pytest.raises(UserError, match="Ablate units"):
            worker.call("drawing", final, TABLE.check({"ablate": "999"}))
        with pytest.raises(ValueError, match="answers drawing, first, rest"):
            worker.call("close")
        # the worker dies: the next drawing is the caller's, and another worker starts
        for proc in list(worker._pool._processes.values()):
            proc.kill()
            proc.join(10)
        assert worker.call("first", final, gru) is None
        assert until(lambda: worker.ready) and worker.call("first", final, gru) is not None
    finally:
        worker.close()


def nothing() -> dict:
    """A Lab that costs nothing to make: only the process matters here."""
    return {}


def first(lab, *args):
    """A handler that never answers (the worker imports this module to call it)."""
    time.sleep(3600)


def proc_state(pid: int) -> str:
    """/proc's one-letter state of `pid` ("R", "S", "Z", ...), or "gone"."""
    try:
        return proc_stat(pid)[0]
    except (OSError, IndexError):
        return "gone"


def test_a_stuck_worker_is_replaced_and_its_waiting_list_is_bounded():
    """No answer within the timeout: the caller draws (None), the stuck process is killed and
    another one starts.  While a call waits, one more than ``max_waiting`` is refused at once."""
    worker = DrawWorker(nothing, module=__name__, timeout=3.0, max_waiting=1)
    try:
        assert until(lambda: worker.ready)
        stuck = list(worker._pool._processes.values())
        assert not worker.busy
        answers = []
        waiting = threading.Thread(target=lambda: answers.append(worker.call("first", "anything")))
        waiting.start()
        assert until(lambda: worker.busy or answers, 10) and not answers   # busy while the call is on its way
        with pytest.raises(WorkerBusy, match="busy"):
            worker.call("first", "one too many")
        waiting.join(60)
        assert answers == [None] and not worker.busy                       # given up: the caller draws
        for proc in stuck:
            proc.join(10)
            # killed: ended, or a zombie that the executor's own thread is about to reap (its
            # Process object can then report "alive" for a moment)
            assert not proc.is_alive() or until(lambda: proc_state(proc.pid) in ("Z", "X", "gone"), 10)
        assert until(lambda: worker.ready)   # a new one, ready for the next drawing
    finally:
        worker.close()


SERVER = """
import time
from demo.digits.worker import DrawWorker
if __name__ == "__main__":
    w = DrawWorker(dict)  # a Lab that costs nothing to make: only the process matters here
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
