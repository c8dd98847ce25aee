"""What both tabs' UI code shares (gradio lives here and in the tabs only): the handler wrappers
that turn a UserError (or a WeightsError) into a message for the user in the page's language,
loading whichever models exist, a pixel-exact image output, and the queue settings.

    from demo.ui_common import friendly, friendly_stream, heat_image, load_available
"""
from __future__ import annotations

import collections
import functools
import inspect
import logging
import threading

import gradio as gr

from demo import errors, i18n, lens_models, render
from demo.checkpoint import WeightsError
from demo.errors import UserError
from demo.runtime import pin_threads

log = logging.getLogger(__name__)

# 2 CPU cores: two events at a time.  256 may wait: a drawing user keeps one or two events queued,
# and 100 users must not be turned away (benchmarks/load_test.py); the page shows each its place.
QUEUE = dict(default_concurrency_limit=2, max_size=256)
HEAVY = dict(concurrency_id="model", concurrency_limit=QUEUE["default_concurrency_limit"])
# Text written by the worker process (demo/text/writer.py) is written there, off the "model"
# lane, so drawings and classifications do not queue behind text: 8 at once, written together in
# its batches (8 cost 2.6x one for the LSTM, benchmarks/bench_text.py; more would add little speed and
# many more partial texts for this process to send).
WRITER = dict(concurrency_id="writer", concurrency_limit=8)
# No progress shown, and no component to show it on (show_progress_on=[]): at every start and end
# of ANY event, Gradio's page refreshes the loading status of every component that some event
# shows progress on, deep-copying each one's props (and a container's whole subtree).  With
# every output of the app's ~70 events on that list, each pad update cost the browser 150-500 ms
# of main thread (measured: benchmarks/bench_browser.py); with none, tens of ms.
QUIET = dict(show_progress="hidden", show_progress_on=[], api_visibility="private")
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
FALLBACK = i18n.t("app.error.fallback")

png = render.fast_png_image  # PNG encoding is most of the time per view: the fast zlib level


def _with_lang(fn, wrapper, lang: bool):
    """``lang=True``: the wrapper takes one more input, last: the page's language (a gr.State).
    It goes to ``fn`` as ``lang=`` when ``fn`` has that parameter, else it only translates the
    messages.  The wrapper's signature says so, for gradio (which reads it to place event data)."""
    functools.update_wrapper(wrapper, fn)
    if lang:
        sig = inspect.signature(fn)
        params = [p for p in sig.parameters.values() if p.name != "lang"]
        params.append(inspect.Parameter("lang", inspect.Parameter.POSITIONAL_OR_KEYWORD, default="en"))
        wrapper.__signature__ = sig.replace(parameters=params)
    return wrapper


def _split_lang(fn, lang: bool, args, kwargs):
    if not lang:
        return None, args, kwargs
    if "lang" in kwargs:
        code = kwargs.pop("lang")
    else:
        code, args = (args[-1], args[:-1]) if args else ("en", args)
    if "lang" in inspect.signature(fn).parameters:
        kwargs = {**kwargs, "lang": code}
    return code, args, kwargs


# The language each browser session chose (set by the app's load handler and its switch), so
# that handlers not given the language still speak it in their messages.
_SESSION_LANGS: "collections.OrderedDict[str, str]" = collections.OrderedDict()
MAX_SESSIONS = 20_000


def remember_lang(request, lang: str) -> None:
    """The page of ``request`` (a gr.Request) speaks ``lang`` from now on."""
    key = getattr(request, "session_hash", None)
    if key:
        _SESSION_LANGS[key] = lang
        _SESSION_LANGS.move_to_end(key)
        while len(_SESSION_LANGS) > MAX_SESSIONS:
            _SESSION_LANGS.popitem(last=False)


def request_lang(request) -> str:
    """The language of ``request`` (a gr.Request, or None): the one its page chose
    (``remember_lang``), else the first of its Accept-Language header (an API client that sends
    one), else "en"."""
    known = _SESSION_LANGS.get(getattr(request, "session_hash", None) or "")
    if known:
        return known
    try:
        header = request.headers.get("accept-language", "") or ""
    except AttributeError:
        header = ""
    return i18n.normalize(header.split(",")[0].split(";")[0].strip())


def session_lang() -> str:
    """The language of the session whose event is being handled ("en" outside an event)."""
    from gradio.context import LocalContext
    return request_lang(LocalContext.request.get(None))


def session_owner() -> str | None:
    """The page (gradio's session hash) whose event is being handled; None outside an event."""
    from gradio.context import LocalContext
    return getattr(LocalContext.request.get(None), "session_hash", None)


lens_models.read_page_with(session_owner)   # the tabs' pure code finds the page's own models


def message(e: Exception, lang) -> str:
    """What the user reads for ``e``: a UserError or WeightsError in the page's language
    (``demo.errors.message``), any other exception's own words."""
    return errors.message(e, i18n.normalize(lang))


_running = [0]                # handlers running now, in any worker thread (see running())
_running_lock = threading.Lock()


def running() -> int:
    """How many handlers are running right now (the caller's own included): a live preview
    can see that others are waiting for answers."""
    return _running[0]


def friendly(fn, lang: bool = False):
    """Handler wrapper: a UserError or WeightsError -> gr.Error(its message in the page's
    language); anything else (a plain ValueError included: bad input is always raised as a
    UserError, so that is a bug) is logged here and the user sees a short apology, never a
    traceback.  Pins torch's thread count in the worker thread gradio runs the handler in, and
    counts running handlers (``running``).  ``lang=True``: the last input is the page's language
    (and ``fn`` gets it as ``lang=`` if it takes one); else the session's (``session_lang``)."""
    def wrapper(*args, **kwargs):
        pin_threads()
        code, args, kwargs = _split_lang(fn, lang, args, kwargs)
        code = code if lang else session_lang()
        with _running_lock:
            _running[0] += 1
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (UserError, WeightsError) as e:
            raise gr.Error(message(e, code), print_exception=False) from None
        except Exception:
            log.exception("handler %s failed", fn.__name__)
            raise gr.Error(i18n.t("app.error.fallback", code), print_exception=False) from None
        finally:
            with _running_lock:
                _running[0] -= 1
    return _with_lang(fn, wrapper, lang)


def in_event_loop(fn):
    """``fn`` (a coroutine function, or a ``friendly`` handler) as a coroutine function with
    ``friendly``'s messages, so that gradio runs it in the server's event loop instead of handing
    it to a worker thread.  For short computations only (a few ms: /classify's model); anything
    slow (decoding an upload) must be awaited in a worker thread (demo/digits/api.py).  In a
    thread, each of a computation's GIL releases (every PIL, NumPy and torch call) waits up to
    Python's switch interval (5 ms) to get the GIL back from the busy event loop: a 2.4 ms
    classification took 140 ms beside one busy thread, and ~50-120 ms when 100 users arrived
    together.  In the event loop it takes its own time."""
    def fail(error: Exception):
        raise error
    messages = friendly(functools.wraps(fn)(fail))  # logs under fn's name

    @functools.wraps(fn)
    async def run(*args, **kwargs):
        pin_threads()
        try:
            result = fn(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result
        except Exception as e:
            messages(e)
    return run


def friendly_stream(gen_fn, lang: bool = False):
    """``friendly`` for generator handlers: every next() goes through it, so a UserError raised
    before or during streaming becomes a gr.Error message (and each next(), which may run in
    another worker thread, pins the thread count).  Its language: the last input with
    ``lang=True``, else the session's (``session_lang``), as ``friendly``'s."""
    done = object()

    def wrapper(*args, **kwargs):
        code, args, kwargs = _split_lang(gen_fn, lang, args, kwargs)
        code = code if lang else session_lang()
        it = gen_fn(*args, **kwargs)
        step = lambda: next(it, done)  # noqa: E731
        step.__name__ = step.__qualname__ = gen_fn.__name__  # logs under gen_fn's name (not its signature)
        advance = friendly(step, lang=True)
        try:
            while (item := advance(code)) is not done:
                yield item
        finally:   # closed early (Stop, a client gone): gen_fn's own cleanup runs now
            it.close()
    return _with_lang(gen_fn, wrapper, lang)


def say_again(event, note, said, lang_state):
    """After the language switch (``event``): the Markdown ``note`` written again in the page's new
    language from ``said`` (a gr.State holding the demo.errors.Text it was written from, or None),
    while it still shows those words in some language (a note written over since is left alone)."""
    def note_in_language(shown, text, lang="en"):
        if text is None or (shown or "").strip() not in {text.text(code).strip() for code in i18n.LANGS}:
            return gr.skip()
        return text.text(lang)
    return event.then(friendly(note_in_language, lang=True), [note, said, lang_state], [note], **QUIET)


class Problem(str):
    """A Markdown message about something that could not load (in English, as a str), that
    can be written again in another language: ``problem.text(lang)``.  ``key`` is a demo/i18n
    text with ``fields``, and ``error`` (a WeightsError or UserError, put into the language; any
    other value as it is) goes into its field ``error_field``."""

    def __new__(cls, key: str, error: str, error_field: str = "message", **fields):
        self = super().__new__(cls, cls._render(key, error, error_field, fields, i18n.DEFAULT))
        self.key, self.error, self.error_field, self.fields = key, error, error_field, fields
        return self

    @staticmethod
    def _render(key, error, error_field, fields, lang) -> str:
        # the message ends in an indented command: a blank line makes it a code block
        message = errors.message(error, lang) if isinstance(error, BaseException) else str(error)
        message = message.replace("\n    ", "\n\n    ")
        return i18n.t(key, lang, **{**fields, error_field: message})

    def text(self, lang) -> str:
        return self._render(self.key, self.error, self.error_field, self.fields, i18n.normalize(lang))


def problems_markdown(problems, lang="en") -> str:
    """The load problems of a tab as Markdown in ``lang``: Problems, errors and Texts in it (a
    plain string as it is)."""
    lang = i18n.normalize(lang)
    return "\n\n".join(p.text(lang) if hasattr(p, "text") and callable(p.text) else str(p) for p in problems)


def load_available(titles: dict[str, str], load, weights_dir=None) -> tuple[dict, list[str]]:
    """``load(name, weights_dir)`` for every name in ``titles`` (name -> shown title): the models
    whose weights exist, and a Markdown message (a ``Problem``) for each one that could not load."""
    models, problems = {}, []
    for name, title in titles.items():
        try:
            models[name] = load(name, weights_dir)
        except WeightsError as e:
            problems.append(Problem("app.error.unavailable", e, title=title))
    return models, problems


def html_asset(path) -> str:
    """A gr.HTML template, stylesheet or script kept beside its module (``Path(__file__)``)."""
    from pathlib import Path
    return Path(path).read_text(encoding="utf-8")


def template_safe(text: str, what: str) -> str:
    """gr.HTML evaluates html_template and css_template as Handlebars, then as a JS template
    string: backticks, ${...}, {{...}} and backslashes would be interpreted, so they are refused."""
    for bad in ("`", "${", "{{", "\\"):
        if bad in text:
            raise ValueError(f"{what} must not contain {bad!r}")
    return text


def lesson_section(name: str, page, accordion=None, **kwargs):
    """The container of one lesson group (elem_id "sec-NAME" with dashes), kept in the page's
    ``sections`` (what lessons and the tour show or hide): an Accordion titled ``accordion``, or
    a plain Column."""
    elem_id = "sec-" + name.replace("_", "-")
    box = gr.Accordion(accordion, elem_id=elem_id, **kwargs) if accordion else gr.Column(elem_id=elem_id)
    page.sections[name] = box
    return box


def heat_image(label: str, height: int | None = None, visible: bool = True, **kwargs) -> gr.Image:
    """An output image shown pixel-exact: PNG (the default webp blurs cells), scaled up by the
    browser with nearest neighbour (CSS image-rendering: pixelated, see demo.app.CSS)."""
    return gr.Image(label=label, format="png", interactive=False, buttons=[], height=height,
                    elem_classes=["heat"], visible=visible, **kwargs)


def gradio_i18n() -> gr.I18n:
    """``gr.I18n`` holding every static text of demo/i18n in both languages (launch(i18n=...))."""
    return gr.I18n(**i18n.gradio_translations())


def K(key: str):
    """A static text of demo/i18n as a gr.I18n key: gradio shows it in the browser's language."""
    from gradio.i18n import I18nData
    if not i18n.is_static(i18n.strings(i18n.DEFAULT)[key]):
        raise ValueError(f"{key!r} has placeholders or braces: format it in Python with t() instead")
    return I18nData(key)


class Words:
    """The components whose words are static texts of demo/i18n, for the language switch: the
    page starts with gr.I18n keys (``K``), which follow the browser's language; a chosen
    language (the switch, or ?lang= in a link) sends every text again as ``updates(lang)``.

        words = Words()
        t = words.add(gr.Slider(..., label=K("digits.t.label")), label="digits.t.label")
        words.add(radio, label="digits.order.label", choices=[("digits.order.index", "index"), ...])
    """

    def __init__(self):
        self.items: list[tuple[gr.components.Component, dict]] = []

    def add(self, component, **keys):
        self.items.append((component, keys))
        return component

    def update(self, keys: dict, lang: str) -> dict:
        out = {}
        for attr, key in keys.items():
            if attr == "choices":
                out["choices"] = [(i18n.t(k, lang), v) for k, v in key]
            else:
                out[attr] = i18n.t(key, lang)
        return out

    def updates(self, lang: str) -> dict:
        return {c: gr.update(**self.update(keys, lang)) for c, keys in self.items}

    @property
    def components(self) -> list:
        return [c for c, _ in self.items]


def to_gradio(answer: dict, components: dict) -> dict:
    """A pure handler's answer ({output name: value, SKIP or Update}, demo.answers) -> gradio's
    ({component: value, gr.skip() or gr.update(...)}), through ``components`` ({name: component})."""
    from demo.answers import SKIP, Update
    out = {}
    for name, value in answer.items():
        if value is SKIP:
            value = gr.skip()
        elif isinstance(value, Update):
            value = gr.update(**value)
        out[components[name]] = value
    return out
