"""demo.train.pool, training for many users on one machine: the line and its positions, Stop and a
page gone freeing the worker within a second, the cap, a killed worker (a message, a fresh
worker, the next job runs), records equal to an in-process Run across pause, step, parking and
play, updates several times a second, and the live views (demo.train.live) with their cost.
One pool of one worker for the whole module; tiny networks on small MNIST subsets.

    .venv/bin/python -m pytest -q tests/test_train_pool.py
"""
import math
import os
import signal
import time

import numpy as np
import pytest
import torch

from demo.errors import UserError
from demo.text.model import load_char_model
from demo.train import Run, SettingError
from demo.train.live import SAMPLE_CHARS, LiveViews, sample_seed
from demo.train.pool import JobFull, TrainPool

TINY = dict(hidden=8, batch=16, train_size=256, val_size=64, record_every=5)
POEM = "床前明月光，疑是地上霜。举头望明月，低头思故乡。" * 8   # 24 characters, 19 distinct
server = pytest.mark.server   # these start worker processes


def without_seconds(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def wait_for(check, timeout: float = 30.0, every: float = 0.01):
    """Seconds until ``check()`` held (fails after ``timeout``)."""
    t0 = time.monotonic()
    while not check():
        assert time.monotonic() - t0 < timeout, "timed out"
        time.sleep(every)
    return time.monotonic() - t0


def last(job, timeout: float = 60.0):
    """The job's final update (its end and error), reading every update on the way."""
    deadline = time.monotonic() + timeout
    for u in job.updates(timeout=0.5):
        if u.end is not None:
            return u
        assert time.monotonic() < deadline, f"job still {u.state} at step {u.step}"


@pytest.fixture(scope="module")
def shared_pool(data_dir):
    # nice 0: on a busy test machine a worker at the lowest priority answers too slowly to time
    p = TrainPool(workers=1, cap_s=30.0, max_waiting=2, data_dir=data_dir, hold_s=0.3, nice=0)
    wait_for(lambda: p.worker_pids()[0] is not None, 60)
    yield p
    p.close()


@pytest.fixture(autouse=True)
def torch_threads():
    torch.set_num_threads(1)


@pytest.fixture
def pool(shared_pool):
    """The pool, once its worker holds no job (a test's stopped job may still be letting go)."""
    p = shared_pool
    wait_for(lambda: p.running == 0 and p.waiting == 0 and p.worker_pids()[0] is not None, 60)
    return p


@server
def test_position_in_line_and_stop_frees_the_worker_within_a_second(pool):
    a = pool.submit(TINY, owner="a")
    b = pool.submit(TINY, owner="b", steps=5)
    assert a.position() == 0 and b.position() == 1 and b.state == "waiting"
    wait_for(lambda: a.state == "running" and a.records)
    t0 = time.monotonic()
    a.stop()
    assert a.state == "ended" and a.position() is None
    wait_for(lambda: b.position() == 0, 5)
    freed = time.monotonic() - t0
    assert freed < 1.0, f"the next job got the worker {freed:.2f} s after Stop"
    u = last(a)
    assert u.end == "stopped" and u.error is None and a.result() is None
    assert last(b).end == "done" and b.records[-1]["step"] == 5


@server
def test_a_job_is_capped_at_its_seconds_of_training(pool):
    job = pool.submit({**TINY, "record_every": 1000}, cap_s=1.0)
    u = last(job)
    assert u.end == "cap" and u.error is None
    assert 1.0 <= u.seconds < 2.0, u.seconds            # stops at the first step after the cap
    weights = job.result()
    assert weights is not None and weights.step == u.step > 0
    assert weights.model().logits(torch.zeros(1, 28, 28)).shape == (1, 10)  # opens in the lens


@server
def test_a_killed_worker_ends_its_job_with_a_message_and_the_next_job_runs(pool):
    a = pool.submit(TINY, owner="a")
    b = pool.submit(TINY, owner="b", steps=5)
    wait_for(lambda: a.records and a.worker_pid)
    old = a.worker_pid
    os.kill(old, signal.SIGKILL)
    u = last(a, 10)
    assert u.end == "died" and isinstance(u.error, UserError) and u.error.key == "train.error.worker_died"
    assert u.error.text("zh-CN") != u.error.text("en") and "{" not in u.error.text("zh-CN")
    assert last(b, 60).end == "done" and len(b.records) == 2
    assert pool.worker_pids()[0] not in (None, old)


@server
def test_records_equal_an_in_process_run_across_pause_step_parking_and_play(pool, data_dir):
    steps = 23
    a = pool.submit(TINY, steps=steps, paused=True)
    wait_for(lambda: a.state == "paused" and a.records)
    assert [r["step"] for r in a.records] == [0] and a.views["example"]["step"] == 0
    a.step(3)
    wait_for(lambda: a.state == "paused" and a.views["example"]["step"] == 3)
    assert a.result().step == 3                          # asked of the worker while paused
    b = pool.submit(TINY, steps=4)                       # someone waits: a is parked after hold_s
    wait_for(lambda: a.state == "parked")
    assert a.position() is None and a.result().step == 3
    assert last(b).end == "done"
    a.play()                                             # back in line, goes on where it was
    u = last(a)
    assert u.end == "done" and u.step == steps
    ref = Run(**TINY, data_dir=data_dir)
    ref.train(steps=steps)
    assert without_seconds(a.records) == without_seconds(ref.records)
    theirs, ours = a.result().state_dict, ref.net.state_dict()
    assert all(torch.equal(theirs[k], ours[k]) for k in ours)


@server
def test_a_text_job_on_the_users_text_paused_and_played_matches_and_saves(pool, tmp_path):
    kw = dict(task="text", hidden=8, batch=4, bptt=12, embed=4, record_every=20, val_size=40)
    job = pool.submit(kw, text=POEM, steps=400, name="poem")
    wait_for(lambda: len(job.records) >= 2)        # step 20 done: playing
    job.pause()
    wait_for(lambda: job.state == "paused")
    paused_at = job.views["example"]["step"]
    assert 0 < paused_at < 400 and job.views["sample"]["step"] == paused_at
    job.play()
    u = last(job)
    assert u.end == "done" and job.views["example"]["step"] == job.views["sample"]["step"] == 400
    ref = Run(**kw, text=POEM)
    ref.train(steps=400)
    assert without_seconds(job.records) == without_seconds(ref.records)
    job.result().save(tmp_path, "mine")
    model = load_char_model("mine", tmp_path)
    assert model.meta["metrics"]["step"] == 400 and len(model.generate("床", 5, 0.8, rng_seed=1)) == 5


@server
def test_updates_come_several_times_a_second_while_training(pool):
    job = pool.submit({**TINY, "record_every": 50})
    wait_for(lambda: job.state == "running" and job.records)
    times, t0 = [], time.monotonic()
    for u in job.updates(timeout=1.0):
        if time.monotonic() - t0 > 2.0:
            break
        times.append(time.monotonic())
    job.stop()
    # 5 a second by design; 4 a second is the goal; half of that on a busy test machine
    assert len(times) >= 4, f"{len(times)} updates in 2 s"
    assert last(job).end == "stopped"


@server
def test_the_owner_going_away_stops_its_jobs_and_others_go_on(pool):
    a1 = pool.submit(TINY, owner="page-1")
    a2 = pool.submit(TINY, owner="page-1")
    b = pool.submit(TINY, owner="page-2", steps=5)
    wait_for(lambda: a1.state == "running" and a1.records)
    assert [a2.position(), b.position()] == [1, 2]
    with pytest.raises(JobFull) as full:
        pool.submit(TINY, owner="page-3")
    assert full.value.key == "train.error.busy"
    t0 = time.monotonic()
    assert pool.cancel_owner("page-1") == 2
    wait_for(lambda: b.position() == 0, 5)
    assert time.monotonic() - t0 < 1.0
    assert last(a1).end == last(a2).end == "stopped"
    assert last(b).end == "done" and pool.cancel_owner("page-1") == 0


@server
def test_bad_settings_and_runs_too_big_are_refused_at_once(pool):
    with pytest.raises(SettingError) as bad:
        pool.submit({"lr": float("nan")})
    assert bad.value.field == "lr"
    with pytest.raises(SettingError):
        pool.submit({"task": "digits"}, text="some text to learn from, long enough")
    with pytest.raises(UserError) as big:
        pool.submit({"hidden": 1024, "layers": 4, "batch": 1024, "task": "remember", "delay": 100})
    assert big.value.key == "train.error.too_big" and pool.waiting == 0
    job = pool.submit({**TINY, "val_size": 6000})        # refused by the task, in the worker
    u = last(job)
    assert u.end == "error" and isinstance(u.error, SettingError) and u.error.field == "val_size"


# -- the views each update carries (in this process) --------------------------------------------

def test_views_of_a_digit_run_show_the_example_and_the_confusion(data_dir):
    run = Run(**TINY, task="remember", delay=3, data_dir=data_dir)
    ref = Run(**TINY, task="remember", delay=3, data_dir=data_dir)
    clock = [0.0]
    views = LiveViews(run, clock=lambda: clock[0])
    run.train(steps=5)
    first = views.due()
    assert set(first) == {"example", "confusion", "cost_ms"}
    ex = first["example"]
    assert ex["arrays"]["h"].shape == (31, 8) and ex["arrays"]["h"].dtype == np.float16
    assert set(ex["arrays"]) == {"h", "c", "i", "f", "g", "o"} and ex["input"].shape == (31, 28)
    assert ex["probs"].shape == (31, 10) and np.allclose(ex["probs"].sum(1), 1, atol=1e-4)
    counts = first["confusion"]["counts"]
    assert counts.shape == (10, 10) and counts.sum() == 64 and first["confusion"]["step"] == 5
    assert views.due() == {}                              # the weights have not changed
    run.train(steps=1)
    clock[0] += 0.5
    assert set(views.due()) == {"example", "cost_ms"}     # the confusion waits its turn (1 s)
    clock[0] += 10
    run.train(steps=1)
    assert set(views.due()) == {"example", "confusion", "cost_ms"}
    ref.train(steps=7)
    assert without_seconds(run.records) == without_seconds(ref.records)   # views change nothing


def test_views_of_a_text_run_show_the_snippet_and_a_sample_fixed_by_the_step(data_dir):
    kw = dict(task="text", hidden=8, batch=4, bptt=12, embed=4, record_every=5, train_size=5000,
              val_size=500, data_dir=data_dir)
    a, b = Run(**kw), Run(**kw)
    a.train(steps=4)
    b.train(steps=4)
    va, vb = LiveViews(a).due(force=True), LiveViews(b).due(force=True)
    assert set(va) == {"example", "sample", "cost_ms"}
    ex = va["example"]
    assert len(ex["text"]) == 60 and ex["arrays"]["h"].shape == (60, 8) and math.isnan(ex["surprise"][0])
    assert len(va["sample"]["text"]) == SAMPLE_CHARS and va["sample"]["text"] == vb["sample"]["text"]
    assert sample_seed(0, 4) != sample_seed(0, 5)
    assert all(ms < 1000 for ms in va["cost_ms"].values())
