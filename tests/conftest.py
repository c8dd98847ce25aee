"""Shared test setup: one torch thread, data paths, and the app served on a free localhost port.
The project is pip-installed in editable mode (scripts/setup.sh), so nothing edits sys.path."""
import functools
import os
import shutil
import socket
from contextlib import contextmanager
from pathlib import Path

from demo.runtime import configure_torch  # first: it sets OMP_NUM_THREADS before torch loads

import numpy as np
import pandas as pd
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
configure_torch()

DATA_DIR = ROOT.parent / "shared" / "data"


KINDS = ("unit", "server", "browser", "perf")


def pytest_collection_modifyitems(items):
    """Every test carries one of KINDS: its own or its module's mark, else "browser" when it
    uses the browser, else "unit"."""
    for item in items:
        marks = {m.name for m in item.iter_markers()} & set(KINDS)
        if len(marks) > 1:
            raise pytest.UsageError(f"{item.nodeid} has several kinds: {sorted(marks)}")
        if not marks:
            item.add_marker("browser" if "browser" in item.fixturenames else "unit")


def same(a, b) -> bool:
    """Equal values as the page gets them: dicts, lists, arrays, frames, pictures, numbers."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    if isinstance(a, pd.DataFrame):
        return isinstance(b, pd.DataFrame) and a.equals(b)
    if isinstance(a, Image.Image):
        return isinstance(b, Image.Image) and a.mode == b.mode and a.tobytes() == b.tobytes()
    if hasattr(a, "__dataclass_fields__"):
        return type(a) is type(b) and all(same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    return a == b


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "MNIST" / "raw").is_dir() and not (DATA_DIR / "tinyshakespeare").is_dir():
        pytest.skip(f"no shared data at {DATA_DIR}")
    return DATA_DIR


def run_coroutine(coro):
    """``asyncio.run(coro)`` in a thread of its own: a browser test may have left an event loop
    running in this one."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def proc_stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command's name (field 3 of proc(5) first): the name may
    hold spaces and parentheses, so the line is cut at its last ')'."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (its workers, multiprocessing's resource tracker)."""
    parents = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                parents[int(d)] = int(proc_stat(int(d))[1])
            except (OSError, IndexError, ValueError):
                continue
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = {c for c, pp in parents.items() if pp == p}
        found |= kids
        todo += kids
    return found


def stop_server_script(tmp_path, source: str, how: str = "kill", wait_s: float = 20) -> tuple[list[int], set[int]]:
    """Run `source` (a script whose first printed line is its worker pids) as a server, stop it
    with Popen's `how` ("terminate": SIGTERM, "kill": SIGKILL) and wait up to `wait_s` for the
    processes it had started to end: (the printed pids, its descendants then)."""
    import subprocess
    import sys
    import time
    script = tmp_path / "server.py"
    script.write_text(source)
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        printed = [int(p) for p in server.stdout.readline().split()]
        below = descendants(server.pid)
    finally:
        getattr(server, how)()
        server.wait()
    deadline = time.time() + wait_s
    while any(os.path.exists(f"/proc/{p}") for p in below | set(printed)) and time.time() < deadline:
        time.sleep(0.2)
    return printed, below


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(weights_dir=None):
    """The whole app (both tabs) launched in this process on a free port; yields its URL."""
    from demo.app import build_app, launch
    demo = build_app(weights_dir)
    _, url, _ = launch(demo, port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield url
    finally:
        demo.close()


@pytest.fixture(scope="session")
def app_url():
    """One app, shared by the modules that only need a running server."""
    with serving() as url:
        yield url


# ---------------------------------------------------------------------------------------------
# The real browser (Playwright + Debian's chromium), shared by every browser test module

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # requirements-dev.txt not installed: same rule as a missing browser
    sync_playwright = None

IN_CI = bool(os.environ.get("CI"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def find_chromium() -> str | None:
    """RNN_LENS_CHROMIUM if set (a missing file there means no browser: no silent fallback to
    another one), else chromium or chromium-browser on PATH."""
    override = os.environ.get("RNN_LENS_CHROMIUM")
    if override:
        return shutil.which(override)
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM = find_chromium() if sync_playwright else None
if sync_playwright is None:
    MISSING = "playwright is not installed: .venv/bin/pip install -r requirements-dev.txt"
elif CHROMIUM is None:
    _override = os.environ.get("RNN_LENS_CHROMIUM")
    _where = f"RNN_LENS_CHROMIUM={_override} not found" if _override else "no chromium or chromium-browser on PATH"
    MISSING = f"{'chromium is required in CI' if IN_CI else 'no chromium'}: apt-get install chromium ({_where})"
else:
    MISSING = ""
NO_BROWSER = CHROMIUM is None and not IN_CI  # skip the browser tests (in CI they fail instead)


def skip_without_browser(what: str) -> None:
    """Call at the top of a browser test module: skips it, with the reason, when there is no
    browser, except in CI, where its tests then fail (the browser fixture says why)."""
    if NO_BROWSER:
        pytest.skip(f"{what} skipped: {MISSING}", allow_module_level=True)


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the whole session."""
    if CHROMIUM is None:  # only reached with CI set: fail every test loudly, never skip
        pytest.fail(MISSING, pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def wait_reachable(page, x: float, y: float, selector: str) -> None:
    """Wait until a pointer at screen px (x, y) would reach `selector`'s element (or one inside
    it): ``page.mouse`` and raw touch events, unlike Playwright's clicks, do not wait for that.
    After a page's components are ready, gradio's page-loading overlay (.wrap.default.full in
    .main.app) still covers them for a moment, longer on a busy machine; a stroke pressed then
    lands on the overlay and is lost."""
    page.wait_for_function(
        """([x, y, sel]) => {
          const target = document.querySelector(sel), hit = document.elementFromPoint(x, y);
          return !!target && !!hit && target.contains(hit);
        }""", arg=[x, y, selector], polling=50)


def screenshot_on_failure(test):
    """Decorator for browser tests taking a page fixture (any fixture with a ``screenshot``
    method) and ``tmp_path``: on any failure, save a full-page screenshot (to RNN_LENS_ARTIFACTS
    or tmp_path) and put its path first in the message, so pytest's one-line summary shows it."""
    @functools.wraps(test)
    def wrapper(**fixtures):
        try:
            test(**fixtures)
        except Exception as e:  # AssertionError and playwright's TimeoutError alike
            folder = Path(os.environ.get("RNN_LENS_ARTIFACTS") or fixtures["tmp_path"])
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{test.__name__}.png"
            page = next((v for v in fixtures.values() if hasattr(v, "screenshot")), None)
            try:
                page.screenshot(path=path, full_page=True, timeout=30_000)
                where = f"screenshot: {path}"
            except Exception as shot_error:  # a crashed page (or none): keep the original failure
                where = f"no screenshot ({shot_error})"
            raise AssertionError(f"{where}\n{e}") from e
    return wrapper


def finite_differences(m, text: str, position: int, j: int) -> float:
    """|d log p(text[position]) / d x_j| of a CharModel by central differences on a float64 copy
    of its net: what connectivity must equal (tests/test_connectivity.py, tests/test_text_why.py)."""
    import copy

    import torch

    from demo.text.connectivity import log_prob_from_inputs
    net64 = copy.deepcopy(m.net).double()
    ids = torch.tensor([m.encode(text[:position + 1])])
    eps = 1e-6
    with torch.no_grad():
        x = net64.inputs(ids[:, :position]).double()          # (1, position, F)
        f = lambda xx: float(log_prob_from_inputs(net64, xx, ids[:, position])[0])
        g = np.zeros(x.shape[2])
        for k in range(x.shape[2]):
            xp, xm = x.clone(), x.clone()
            xp[0, j, k] += eps
            xm[0, j, k] -= eps
            g[k] = (f(xp) - f(xm)) / (2 * eps)
    return float(np.linalg.norm(g))
