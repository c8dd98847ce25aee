"""How one Gradio process keeps answering when many users arrive at once: five of gradio's costs
that grow with the page or with the traffic, cut without changing what anyone sees, and lanes
that keep each page's order without making other pages wait.

    from demo import ui_serving # importing it sets the analytics interval (before any queue exists)
    lane = ui_serving.session_ordered_lane("pen", 4)  # in the wiring: a lane's listener kwargs
    ui_serving.install()        # sessions, signatures, values, ordered lanes: once, before serving
    demo.launch(app_kwargs=ui_serving.app_kwargs())  # the cached /config (demo.app.launch does both)

Each of these replaces a part of gradio's internals as gradio ``PINNED`` has them, so they are
installed on that version only: on any other, or with ``RNN_LENS_PLAIN_GRADIO=1`` in the
environment, ``install()`` logs one line and the app runs on gradio's own behaviour (a
session-ordered lane is then a plain gradio lane one event wide).  ``tests/test_ui_serving.py``
compares each with gradio's own: it is the gate for moving the pin.

* **Lazy sessions.** Gradio (6.31, ``gradio.state_holder.SessionState``) gives every new session
  a copy of every block's config, so that its updates (``gr.update``) and gradio's own deep links
  (``/gradio_api/deep_link``) start from it.  For this page that costs ~11 ms of the GIL per
  session; when 100 users arrive together (``benchmarks/load_test.py``: ~134 sessions, a drawing
  user's pad has two) it was a quarter of the server's work in the first seconds, ahead of every
  first answer.  Here a session copies a block's config the first time it is read, updated or
  listed (the deep link lists them all, in the page's order), so what each session sees is
  unchanged: ``tests/test_ui_serving.py`` compares it with gradio's own class.
* **The monitoring summary.** After every event gradio's queue rebuilds a pandas table of the
  last 10,000 events for its monitoring dashboard (``GRADIO_ANALYTICS_CACHE_FREQUENCY``, default:
  every event), which this app does not enable: ~10% of the server's time under load, growing
  with the traffic.  Here it is rebuilt every ``ANALYTICS_EVERY`` events unless the variable is set.
* **Signatures, once.** ``RememberingInspect``: gradio re-reads a component class's signature
  each time it makes a config or a component.  Postprocessing a pen-up's ~40 outputs took 9.4 ms
  with it, 7.8 ms without; 40 ``gr.skip()`` outputs 13.0 and 8.1 ms.
* **The config, once.** ``GET /config`` (every gradio_client asks for it as it connects)
  deep-copies the whole config and rewrites its URLs each time: ~10 ms of the GIL, 15% of the
  server's work while 66 API users connect at once.  ``ConfigCache`` keeps the answer per root
  URL (an app with logins is not cached: the config names the user).
* **Simple values, at once.** ``InlineAnyio``: gradio hands every input's preprocess and every
  output's postprocess to a worker thread, even a slider's number.  Behind busy threads each trip
  costs milliseconds of waiting for the GIL: with 100 users arriving at once, a pen-up's 13
  inputs and 28 outputs took 59 ms (p95) to preprocess and 136 ms to postprocess, 1.0 and 53 ms
  with this.  Numbers, strings, choices and labels are now converted in the event loop.
* **Session-ordered lanes.** ``session_ordered_lane``: a gradio lane (concurrency group) runs a
  page's events in order only if it runs one event at a time for everyone.  The Digits pad's
  pen-ups and the views that must follow them (a slider moved just after) share such a lane; one
  at a time, 34 pen-ups arriving together waited for each other (the last ~3 s).  In a
  session-ordered lane, up to its width run at once, but never two of one session
  (``get_events``, the queue's pick of the next event, follows gradio's otherwise).
"""
from __future__ import annotations

import functools
import inspect
import logging
import os
import random
import types
from copy import copy

import anyio
import gradio
import gradio.blocks
import gradio.component_meta
from gradio import queueing, state_holder

log = logging.getLogger(__name__)
PINNED = "6.31.0"                 # the gradio whose internals these patches replace
PLAIN = "RNN_LENS_PLAIN_GRADIO"   # =1: gradio's own behaviour, whatever the version


def plain_reason() -> str | None:
    """Why gradio runs as it comes (a line for the log), or None when the patches apply."""
    if os.environ.get(PLAIN) == "1":
        return f"{PLAIN}=1: gradio's own sessions, signatures, value conversion, queue order and /config"
    if gradio.__version__ != PINNED:
        return (f"gradio {gradio.__version__} is not the pinned {PINNED}: the serving patches "
                "(demo/ui_serving.py) are off; tests/test_ui_serving.py checks them before a move")
    return None


_GRADIO_SESSION = state_holder.SessionState
ANALYTICS_EVERY = 1000   # events between rebuilds of gradio's monitoring summary
if plain_reason() is None:
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(ANALYTICS_EVERY))


class LazyConfigs(dict):
    """A session's ``config_values``: {block id: its config dict}, each made on first use.
    ``blocks_config`` is the session's, ``ids`` the blocks the page has (gradio's filter)."""

    def __init__(self, blocks_config, ids):
        super().__init__()
        self._blocks_config, self._ids = blocks_config, ids

    def _fill(self, key) -> bool:
        """Make `key`'s config if the page has that block and it is not made yet."""
        if dict.__contains__(self, key):
            return True
        blocks = self._blocks_config.blocks
        if key in self._ids and key in blocks:
            dict.__setitem__(self, key, self._blocks_config.config_for_block(key, [], blocks[key]))
            return True
        return False

    def __contains__(self, key) -> bool:
        return self._fill(key)

    def __getitem__(self, key):
        self._fill(key)
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        return dict.__getitem__(self, key) if self._fill(key) else default

    def _all(self) -> list:
        """Every block's config made, in the page's order as gradio's copy has them: blocks
        first as the page lists them, then any key set later that the page does not have."""
        for key in list(self._blocks_config.blocks):
            self._fill(key)
        order = [k for k in self._blocks_config.blocks if dict.__contains__(self, k)]
        placed = set(order)
        return order + [k for k in dict.keys(self) if k not in placed]

    def keys(self):
        return self._all()

    def __iter__(self):
        return iter(self._all())

    def items(self):
        return [(k, dict.__getitem__(self, k)) for k in self._all()]

    def values(self):
        return [dict.__getitem__(self, k) for k in self._all()]

    def __len__(self) -> int:
        return len(self._all())


class LazySessionState(_GRADIO_SESSION):
    """gradio's SessionState with ``config_values`` made block by block, on first use."""

    def __init__(self, blocks):  # gradio's __init__ but for the eager config copy
        self.blocks_config = copy(blocks.default_config)
        self.config_values = LazyConfigs(self.blocks_config, blocks.blocks)
        self.state_data = {}
        self._state_ttl = {}
        self.is_closed = False
        self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600


class RememberingInspect(types.ModuleType):
    """The ``inspect`` module as gradio's blocks and component classes see it: ``signature`` and
    ``getfullargspec`` remember their answer per function.  Gradio asks for the signature of a
    component's ``__init__`` each time it makes a component's config, and for its argspec each
    time it makes a component (every ``gr.update`` and even every ``gr.skip()`` output makes
    one): a sixth of its postprocessing of a pen-up's ~40 outputs, a third for skipped ones.  A
    function's signature does not change, and both answers are immutable or only read."""

    def __init__(self):
        super().__init__("inspect", inspect.__doc__)
        self.signature = self._remembered(inspect.signature)
        self.getfullargspec = self._remembered(inspect.getfullargspec)

    def __getattr__(self, name):
        return getattr(inspect, name)

    @staticmethod
    def _remembered(fn):
        remembered = functools.lru_cache(maxsize=4096)(fn)

        @functools.wraps(fn)
        def call(obj, *args, **kwargs):
            try:
                return remembered(obj, *args, **kwargs)
            except TypeError:  # an unhashable callable (or not a callable: fn raises it again)
                return fn(obj, *args, **kwargs)
        return call


def _inline_methods() -> frozenset:
    """The pre/postprocess functions that only check or convert a small value (a number, a
    string, a choice, a label's dict): faster run at once than handed to a thread."""
    from gradio import components as c
    classes = (c.Checkbox, c.Dropdown, c.HTML, c.Label, c.Markdown, c.Number, c.Radio, c.Slider, c.Textbox)
    return frozenset(getattr(cls, m) for cls in classes for m in ("preprocess", "postprocess"))


class InlineAnyio(types.ModuleType):
    """The ``anyio`` module as gradio's blocks see it: ``to_thread.run_sync`` runs a simple
    component's own ``preprocess``/``postprocess`` (``_inline_methods``) at once, in the event
    loop, and hands everything else (handlers, images, plots, any subclass that overrides them)
    to a worker thread as before.  Gradio hands every input and output of every event to a
    thread: a pen-up's 13 inputs and 28 outputs are 41 trips, each a wake-up of another thread
    and two hand-overs of the GIL, which behind busy threads cost milliseconds each.  Converting
    those values takes microseconds."""

    def __init__(self):
        super().__init__("anyio", anyio.__doc__)
        inline = _inline_methods()

        async def run_sync(func, *args, **kwargs):
            if getattr(func, "__func__", None) in inline:
                return func(*args)
            return await anyio.to_thread.run_sync(func, *args, **kwargs)

        self.to_thread = types.SimpleNamespace(**{**vars(anyio.to_thread), "run_sync": run_sync})

    def __getattr__(self, name):
        return getattr(anyio, name)


_GRADIO_GET_EVENTS = queueing.Queue.get_events
_SESSION_ORDERED: set[str] = set()  # concurrency ids of the lanes declared by session_ordered_lane


def session_ordered_lane(concurrency_id: str, width: int) -> dict:
    """Declare an event lane (gradio's concurrency group) that runs up to `width` events at once,
    but never two of one session: a session's events in it start one after another, in the order
    they came, each after the one before has finished and sent its answer.  Returns the event
    listener's keyword arguments.  Only a declaration: ``install()`` puts the queue's order in
    place at launch.  Without it (another gradio, ``RNN_LENS_PLAIN_GRADIO=1``) gradio's own lane
    keeps a page's order only one event at a time, so the lane is then 1 wide: slower under load,
    never out of order."""
    if width < 1:
        raise ValueError(f"a lane is at least 1 event wide, got {width}")
    _SESSION_ORDERED.add(concurrency_id)
    return dict(concurrency_id=concurrency_id, concurrency_limit=width if plain_reason() is None else 1)


def get_events(self):
    """``gradio.queueing.Queue.get_events`` (6.31: the next event, or batch of events, to start
    and its lane; None when no lane with waiting events has room), but in a lane made by
    ``session_ordered_lane`` the next event is the first whose session has none running there
    (gradio's: the first), and a batch takes one event per such session."""
    concurrency_ids = list(self.event_queue_per_concurrency_id.keys())
    random.shuffle(concurrency_ids)
    for concurrency_id in concurrency_ids:
        event_queue = self.event_queue_per_concurrency_id[concurrency_id]
        if not event_queue.queue or (event_queue.concurrency_limit is not None
                                     and event_queue.current_concurrency >= event_queue.concurrency_limit):
            continue
        waiting = event_queue.queue
        if concurrency_id in _SESSION_ORDERED:
            seen = {e.session_hash for job in self.active_jobs if job for e in job  # running here
                    if e.concurrency_id == concurrency_id}
            waiting = []
            for e in event_queue.queue:  # each free session's first event, in the queue's order
                if e.session_hash not in seen:
                    waiting.append(e)
                seen.add(e.session_hash)
            if not waiting:
                continue
        first_event = waiting[0]
        block_fn = first_event.fn
        events = [first_event]
        batch = block_fn.batch
        if batch:
            events += [e for e in waiting[1:] if e.fn == first_event.fn][: block_fn.max_batch_size - 1]
        for event in events:
            event_queue.queue.remove(event)
        return events, batch, concurrency_id
    return None


_PATCHED = (gradio.blocks, gradio.component_meta)


def install() -> bool:
    """Lazy sessions, remembered signatures, inline value conversion and session-ordered lanes
    for this process (idempotent), on the pinned gradio only: otherwise one log line says why,
    nothing changes and the answer is False."""
    reason = plain_reason()
    if reason is not None:
        log.warning("%s", reason)
        return False
    state_holder.SessionState = LazySessionState
    for module in _PATCHED:
        if not isinstance(module.inspect, RememberingInspect):
            module.inspect = RememberingInspect()
    if not isinstance(gradio.blocks.anyio, InlineAnyio):
        gradio.blocks.anyio = InlineAnyio()
    queueing.Queue.get_events = get_events
    return True


def uninstall() -> None:
    """Gradio's own sessions, ``inspect``, ``anyio`` and queue order again (tests compare the
    two)."""
    state_holder.SessionState = _GRADIO_SESSION
    for module in _PATCHED:
        module.inspect = inspect
    gradio.blocks.anyio = anyio
    queueing.Queue.get_events = _GRADIO_GET_EVENTS


# Request parts gradio's /config reads to write the page's root URL into the config
# (gradio.route_utils.get_root_url): the cache keeps one copy per distinct set of them.
_ROOT_HEADERS = (b"host", b"x-forwarded-host", b"x-gradio-server", b"x-forwarded-proto")


class ConfigCache:
    """ASGI middleware: the answer to a plain ``GET /config`` (no query: no page, no deep link)
    made once per root URL and config, then served as the same bytes.  Gradio deep-copies the
    whole config (~360 kB of JSON here) and rewrites its URLs on every request: ~10 ms of the GIL
    each, and every gradio_client and every page load asks for it."""

    def __init__(self, app, size: int = 64):
        self.app, self.size, self.answers = app, size, {}

    @staticmethod
    def _key(scope):
        """The cache key of a plain ``GET /config``; None for any other request, and for an app
        with logins (the config names the user)."""
        if (scope["type"] != "http" or scope["method"] != "GET" or scope.get("query_string")
                or scope["path"].rstrip("/") != scope.get("root_path", "").rstrip("/") + "/config"):
            return None
        blocks = scope["app"].get_blocks() if hasattr(scope.get("app"), "get_blocks") else None
        if blocks is None or blocks.auth is not None:
            return None
        return (id(blocks.config), scope.get("scheme"), scope.get("server"), scope.get("root_path"), scope["path"],
                tuple(sorted((k, v) for k, v in scope["headers"] if k in _ROOT_HEADERS)))

    async def __call__(self, scope, receive, send):
        key = self._key(scope)
        if key is None:
            return await self.app(scope, receive, send)
        answer = self.answers.get(key)
        if answer is None:
            messages = []

            async def keep(message):
                messages.append(message)
                await send(message)

            await self.app(scope, receive, keep)
            start = next((m for m in messages if m["type"] == "http.response.start"), None)
            if start and start["status"] == 200 and all(not m.get("more_body") for m in messages):
                if len(self.answers) >= self.size:
                    self.answers.pop(next(iter(self.answers)))
                self.answers[key] = messages
            return
        for message in answer:
            await send(message)


def app_kwargs(extra: dict | None = None) -> dict:
    """``Blocks.launch(app_kwargs=...)`` (the FastAPI app's arguments) with the config cache added
    to any middleware in ``extra`` (on the pinned gradio only, as ``install``)."""
    from starlette.middleware import Middleware
    extra = dict(extra or {})
    if plain_reason() is not None:
        return extra
    extra["middleware"] = [*extra.get("middleware", []), Middleware(ConfigCache)]
    return extra
