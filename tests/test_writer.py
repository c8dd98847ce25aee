"""Text written in a worker process (demo/text/writer.py): the same text as in the server's own
process, bad arguments answered with the same messages, a dead worker replaced, a closed stream
(Stop) cancelled in the worker at once, a full waiting list answered "busy", and the tab writing
the text itself when the worker cannot."""
import os
import threading
import time

import pytest

from demo.errors import UserError
from demo.text import handlers, load_char_model
from demo.text.lab import Lab
from demo.text.writer import NICE, Writer, WriterUnavailable
from tests.conftest import proc_stat, stop_server_script

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def writer():
    w = Writer()
    yield w
    w.close()


@pytest.fixture(scope="module")
def lstm():
    return load_char_model("lstm")


def test_the_worker_writes_what_the_server_would(writer, lstm):
    assert writer.wait_ready() and writer.ready   # loaded and warmed before its first request
    parts = list(writer.stream("lstm", "ROMEO:\n", 400, 0.8, 3, 11))
    assert parts[-1] == lstm.generate("ROMEO:\n", 400, 0.8, 3, 11)
    assert all(parts[-1].startswith(p) for p in parts) and len(parts[-1]) == 400
    assert list(writer.stream("rnn", "T", 50, 1.0, 0, 2))[-1] == load_char_model("rnn").generate("T", 50, 1.0, 0, 2)


def test_texts_written_together_are_the_texts_written_alone(writer, lstm):
    """Twelve requests at once (both models, different lengths, one bad): the worker writes
    them in the same batched rounds, and each is the text its arguments give alone."""
    rnn = load_char_model("rnn")
    asks = [("lstm" if i % 3 else "rnn", "ROMEO:\n" if i % 2 else "T", 40 + 23 * i, 0.5 + 0.1 * i, i % 4, 100 + i)
            for i in range(11)] + [("lstm", "T", 10, -1.0, 0, 0)]
    got = [None] * len(asks)

    def ask(i):
        try:
            got[i] = list(writer.stream(*asks[i]))[-1]
        except ValueError as e:
            got[i] = e
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(asks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for (name, *args), text in zip(asks[:-1], got[:-1]):
        assert text == (lstm if name == "lstm" else rnn).generate(*args)
    assert isinstance(got[-1], UserError) and got[-1].key == "text.error.temperature"


@pytest.mark.parametrize("args", [("lstm", "", 10, 0.8, 0, 0), ("lstm", "T", 0, 0.8, 0, 0),
                                  ("lstm", "T", 10, -1, 0, 0), ("lstm", "é", 10, 0.8, 0, 0)])
def test_bad_arguments_get_the_same_message(writer, lstm, args):
    with pytest.raises(UserError) as here:
        lstm.generate(*args[1:])
    with pytest.raises(UserError) as there:
        list(writer.stream(*args))
    assert (there.value.key, str(there.value)) == (here.value.key, str(here.value))   # the key came across
    assert there.value.text("zh-CN") == here.value.text("zh-CN")
    with pytest.raises(UserError, match="no character model 'gpt'"):
        list(writer.stream("gpt", "T", 10, 0.8, 0, 0))


def wait_for(condition, timeout: float = 60) -> bool:
    """Poll ``condition`` until it holds (a bound, not a measurement: the test asserts the result)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_closed_stream_frees_its_slot_and_a_full_waiting_list_is_busy(lstm):
    """One slot and one waiting place: A is written, B waits, C is answered busy at once.  When
    A's stream is closed (Stop), the worker drops A: B gets the slot and is written, and no part
    of A arrives after the worker acknowledged the cancel."""
    w = Writer(slots=1, max_waiting=1)
    try:
        a = w.stream("lstm", "ROMEO:\n", 5000, 0.8, 0, 1)
        first = next(a)                                    # A is being written
        assert 0 < len(first) < 5000
        got = {}
        b = threading.Thread(target=lambda: got.setdefault("b", list(w.stream("lstm", "T", 40, 0.8, 0, 5))))
        b.start()
        assert wait_for(lambda: len(w._waiting) == 2)     # B has been sent (it waits for the slot)
        with pytest.raises(UserError) as busy:
            list(w.stream("lstm", "T", 10, 0.8, 0, 2))
        assert busy.value.key == "text.error.busy" and "try again" in str(busy.value)
        assert "b" not in got                              # B still waits: the slot is A's
        a.close()                                          # Stop
        b.join(60)
        assert got["b"][-1] == lstm.generate("T", 40, 0.8, 0, 5)
        assert len(w._acked) == 1 and w.late == 0          # A's cancel acknowledged, nothing of A after it
        assert list(w.stream("lstm", "T", 20, 0.8, 0, 3))[-1] == lstm.generate("T", 20, 0.8, 0, 3)
        assert w.late == 0 and not w._waiting
    finally:
        w.close()


@pytest.mark.skipif(not hasattr(os, "nice") or not os.path.exists("/proc/self/stat"), reason="Unix, /proc")
def test_the_worker_gives_way_to_the_server(writer, lstm):
    """The worker runs at NICE more than the server (lowest priority), so that when the cores
    are busy a pen-up's label goes before text."""
    list(writer.stream("lstm", "T", 5, 0.8, 0, 0))

    def niceness(pid):  # /proc/PID/stat field 19
        return int(proc_stat(pid)[16])
    assert niceness(writer._proc.pid) == min(19, niceness(os.getpid()) + NICE)


def test_a_dead_worker_is_replaced(writer, lstm):
    writer._proc.kill()
    writer._proc.join(5)
    assert wait_for(lambda: not writer.alive, 5)
    assert list(writer.stream("lstm", "T", 30, 0.8, 0, 5))[-1] == lstm.generate("T", 30, 0.8, 0, 5)
    assert writer.alive


def test_the_tab_writes_itself_when_the_worker_cannot(lstm):
    class Broken:
        def stream(self, *args):
            raise WriterUnavailable("the text worker did not start")
            yield  # a generator, like Writer.stream

    out = list(handlers.generate(Lab({"lstm": lstm}), Broken(), "ROMEO:\n", 60, 0.8, 0, 4, "lstm"))[-1]
    assert out["generated"] == lstm.generate("ROMEO:\n", 60, 0.8, 0, 4)


def test_closing_generate_closes_the_writer_stream(lstm):
    """Stop closes the handler's generator: it closes the writer's stream (which cancels the text
    in the worker) at once, without reading on."""
    events = []

    class Recording:
        def stream(self, *args):
            try:
                for text in ("R", "RO", "ROM"):
                    events.append(text)
                    yield text
            finally:
                events.append("closed")

    gen = handlers.generate(Lab({"lstm": lstm}), Recording(), "T", 3, 0.8, 0, 0, "lstm")
    assert next(gen)["generated"] == "R"
    gen.close()
    assert events == ["R", "closed"]


SERVER = """
import sys, time
from demo.text.writer import Writer
if __name__ == "__main__":
    w = Writer()
    list(w.stream("lstm", "T", 5, 0.8, 0, 0))
    print(w._proc.pid, flush=True)
    time.sleep(120)
"""


def test_the_worker_ends_with_its_server_even_a_killed_one(tmp_path):
    (worker,), _ = stop_server_script(tmp_path, SERVER, "kill")
    assert not os.path.exists(f"/proc/{worker}"), "the worker outlived its server"
