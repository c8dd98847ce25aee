"""What both tabs' UI code shares (gradio lives here and in the tabs only): the handler wrappers
that turn a ValueError into a message for the user, loading whichever models exist, a pixel-exact
image output, and the queue settings.

    from demo.ui_common import friendly, friendly_stream, heat_image, load_available
"""
from __future__ import annotations

import functools
import logging

import gradio as gr

from demo import render
from demo.checkpoint import WeightsError
from demo.runtime import pin_threads

log = logging.getLogger(__name__)

# 2 CPU cores: two events at a time.  256 may wait: a drawing user keeps one or two events queued,
# and 100 users must not be turned away (benchmarks/load_test.py); the page shows each its place.
QUEUE = dict(default_concurrency_limit=2, max_size=256)
HEAVY = dict(concurrency_id="model", concurrency_limit=QUEUE["default_concurrency_limit"])
QUIET = dict(show_progress="hidden", api_visibility="private")
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
FALLBACK = "Something went wrong; please try again (the details are in the server log)."

png = render.fast_png_image  # PNG encoding is most of the time per view: the fast zlib level


def friendly(fn):
    """Handler wrapper: ValueError -> gr.Error(message); anything unexpected is logged here and the
    user sees a short apology, never a traceback.  Pins torch's thread count in the worker thread
    gradio runs the handler in."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        pin_threads()
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, WeightsError) as e:
            raise gr.Error(str(e), print_exception=False) from None
        except Exception:
            log.exception("handler %s failed", fn.__name__)
            raise gr.Error(FALLBACK, print_exception=False) from None
    return wrapper


def friendly_stream(gen_fn):
    """``friendly`` for generator handlers: every next() goes through it, so a ValueError raised
    before or during streaming becomes a gr.Error message (and each next(), which may run in
    another worker thread, pins the thread count)."""
    done = object()

    @functools.wraps(gen_fn)
    def wrapper(*args, **kwargs):
        it = gen_fn(*args, **kwargs)
        advance = friendly(functools.wraps(gen_fn)(lambda: next(it, done)))  # logs under gen_fn's name
        while (item := advance()) is not done:
            yield item
    return wrapper


def load_available(titles: dict[str, str], load, weights_dir=None) -> tuple[dict, list[str]]:
    """``load(name, weights_dir)`` for every name in ``titles`` (name -> shown title): the models
    whose weights exist, and a Markdown message for each one that could not load."""
    models, problems = {}, []
    for name, title in titles.items():
        try:
            models[name] = load(name, weights_dir)
        except WeightsError as e:
            # the message ends in an indented command: a blank line makes it a code block
            message = str(e).replace("\n    ", "\n\n    ")
            problems.append(f"**{title} unavailable**: {message}")
    return models, problems


def inline_image(rgb, alt: str, height: int | None = None) -> str:
    """A small RGB array as an <img> with its PNG inline (a data URL), shown pixel-exact: no file
    in gradio's cache and no second request per update, which matters ~10 times a second."""
    import base64
    import html as html_lib
    data = base64.b64encode(render.to_png(rgb, compress_level=1)).decode("ascii")
    size = f"height:{height}px;" if height else ""
    return (f'<img src="data:image/png;base64,{data}" alt="{html_lib.escape(alt, quote=True)}" '
            f'style="{size}max-width:100%;image-rendering:pixelated;display:block;margin:auto">')


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


def heat_image(label: str, height: int | None = None, visible: bool = True, **kwargs) -> gr.Image:
    """An output image shown pixel-exact: PNG (the default webp blurs cells), scaled up by the
    browser with nearest neighbour (CSS image-rendering: pixelated, see demo.app.CSS)."""
    return gr.Image(label=label, format="png", interactive=False, buttons=[], height=height,
                    elem_classes=["heat"], visible=visible, **kwargs)
