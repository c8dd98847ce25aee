"""The guided tour, on ``gr.HTML``: a "Take the tour" button, then an overlay that walks through
the steps of ``demo/lessons/tour.json`` (English and Simplified Chinese): each step selects its
tab, highlights and scrolls to its target, says what to do and what to notice, and moves on when
the page shows it was done (or on Next); Back, Leave and Escape work at any time.

    from demo.ui_tour import tour, tour_value
    guide = tour()                           # where the button goes (e.g. under the title)
    # a link's lesson and language, from the load handler:
    demo.load(lambda: {guide: tour_value(lesson="first", lang="zh-CN")}, None, [guide])

The value is "tour-v1": {"format", "lang" (None: ?lang= in the URL, else the browser's),
"start" (begin at once), "ui" and "tabs" (the words, both languages), "steps" (as
``lessons.page_step`` makes them: the radios a step chooses as it begins, its conditions'
words as patterns)}.  The templates live beside this module: tour.js (js_on_load), tour.css
(put in the page's <head> by tour.js; the overlay is appended to <body>, so no gradio container
clips or covers it).
"""
from __future__ import annotations

import html
from pathlib import Path

import gradio as gr

from demo import lessons

HERE = Path(__file__).resolve().parent
FORMAT = "tour-v1"
STEP_KEYS = ("id", "group", "tab", "target", "done", "choose", *lessons.LANGS)   # lessons.page_step's

_TEMPLATE = """\
<div class="rl-tour" data-ready="false">
  <button type="button" class="rl-tour-start" aria-haspopup="dialog">{start}</button>
  <span class="rl-tour-status" role="status" aria-live="polite"></span>
</div>"""


def _asset(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def _template_safe(text: str, what: str) -> str:
    """gr.HTML evaluates html_template and css_template as Handlebars, then as a JS template
    string: backticks, ${...}, {{...}} and backslashes would be interpreted."""
    for bad in ("`", "${", "{{", "\\"):
        if bad in text:
            raise ValueError(f"{what} must not contain {bad!r}")
    return text


def tour_value(lesson: str | None = None, lang: str | None = None, start: bool = False) -> dict:
    """The tour of a lesson preset (None: every step) as the component's value.  ``lang``: "en",
    "zh-CN" or None (the page decides: ?lang=, else the browser's language)."""
    if lang not in (None, *lessons.LANGS):
        raise ValueError(f"lang must be one of {', '.join(lessons.LANGS)} or None, got {lang!r}")
    data = lessons.load_tour()
    steps = [lessons.page_step(s) for s in lessons.tour_steps(lesson)]
    return {"format": FORMAT, "lang": lang, "start": bool(start), "ui": data["ui"], "tabs": data["tabs"],
            "steps": steps}


def tour(lesson: str | None = None, lang: str | None = None, start: bool = False,
         elem_id: str = "rl-tour", **kwargs) -> gr.HTML:
    """The tour's button and overlay as a ``gr.HTML``; other keyword arguments go to gr.HTML."""
    words = lessons.load_tour()["ui"]["en"]
    template = _template_safe(_TEMPLATE.format(start=html.escape(words["start"])), "html_template")
    return gr.HTML(
        value=tour_value(lesson, lang, start), html_template=template, js_on_load=_asset("tour.js"),
        apply_default_css=False, show_label=False, container=False, padding=False, elem_id=elem_id,
        tour_css=_asset("tour.css"), **kwargs)
