"""The whole Gradio app, assembled: a title, the language switch, the guided tour and "Copy link",
then one tab per package in ``TABS`` (each built by its ``events.build``), and the queue and
launch settings.  What spans the tabs lives here: opening a link, the language switch, Copy link.

    python app.py                                  # http://127.0.0.1:7860
    from demo.app import build_app, launch
    demo = build_app(weights_dir=None)             # gr.Blocks, built but not launched
    launch(demo, port=7861, prevent_thread_lock=True)

A new tab is one line in ``TABS`` (its package has controls, handlers, page and events), one in
``demo.links.TAB_TABLES`` and its lesson groups in ``demo.lessons.GROUPS``.

"Open in the lens" spans the tabs too: the Train tab's button makes the page's trained model a
choice of the Digits tab (or the Text tab, for a text run) on that page only
(``demo.train.lens``, ``demo.lens_models``), chooses it there and opens that tab; the models a
page opened go when it does.  A tab that can show one has ``offer(own, lang)`` ({component:
update}) and ``offer_outputs``.

The page follows the browser's language (gr.I18n for the static words, the Accept-Language
header for what Python writes), or ``?lang=`` / the switch.  A link's query (``demo.links``)
reopens a view on load; a lesson (``?lesson=first``, ``demo.lessons``) hides the panels a teacher
does not want yet and may set controls.  The load answer sets only what the link names, so it
never undoes what a user did before it arrived.
"""
from __future__ import annotations

import html
import json
import logging
import os

import gradio as gr

from demo import i18n, lessons, links, ui_heatmap, ui_serving
from demo.digits import events as digits_events
from demo.errors import Text, UserError, message
from demo.lens_models import LENS
from demo.text import events as text_events
from demo.train import events as train_events
from demo.train.lens import open_in_lens
from demo.ui_common import QUEUE, QUIET, K, friendly, gradio_i18n, remember_lang
from demo.ui_tour import tour, tour_value
from demo.ui_words import Merged, browser_lang, translated_words

log = logging.getLogger(__name__)

TABS = {"digits": digits_events, "text": text_events, "train": train_events}   # the page's tabs, in order
LENS_TABS = {"digits": "digits", "char": "text"}   # a model opened in the lens, by kind -> the tab that shows it
MAX_FILE_SIZE = "10mb"          # uploads above this are refused by the server before any decoding
CSS = """
.heat img { image-rendering: pixelated; object-fit: contain; padding-top: 26px; box-sizing: border-box; }
#lang-switch { max-width: 260px; }
#app-tools { align-items: center; }
#link-notice:empty { display: none; }
/* A phone: the language switch (its options name the languages: no title) and the tour and link
   buttons in two slim rows.  Stacked as on a desktop they took 240 px of an 844 px screen, and
   the prediction under the pad began below the fold. */
@media (max-width: 640px) {
  #intro { display: none; }
  #lang-switch { flex-grow: 1 !important; min-width: 100% !important; max-width: none; padding: 6px 8px; }
  #lang-switch [data-testid="block-info"] { display: none; }
  #lang-switch .wrap { flex-wrap: nowrap; gap: 6px; }
  #lang-switch label { padding: 4px 10px; margin: 0; }
  #app-tools { flex-wrap: nowrap; gap: 8px; justify-content: space-between; }
  #app-tools > * { flex-grow: 0 !important; }
  #app-tools .rl-tour-start, #copy-link { white-space: nowrap; min-width: fit-content !important; padding: 6px 12px; }
}
""" + "".join(m.CSS for m in TABS.values())
# each language named in its own words, the switch's title in both
LANG_CHOICES = [(i18n.t("app.lang.name", lang), lang) for lang in i18n.LANGS]
SWITCH_LABEL = " / ".join(i18n.t("app.lang.label", lang) for lang in i18n.LANGS)
# gradio 6.31 does not hide a tab's button on gr.update(visible=False): the page does
_SHOWN = {name: list(p.tabs) for name, p in lessons.load_presets().items()}
HIDE_TABS_JS = ("(lesson) => { let css = ''; const shown = " + json.dumps(_SHOWN) + "[lesson || 'full'] || "
                + json.dumps(list(TABS)) + "; for (const t of " + json.dumps(list(TABS))
                + ") { if (!shown.includes(t)) css += '#tab-' + t + '-button { display: none !important; } '; } "
                "let style = document.getElementById('rl-lesson-tabs'); if (!style) { "
                "style = document.createElement('style'); style.id = 'rl-lesson-tabs'; "
                "document.head.appendChild(style); } style.textContent = css; return lesson; }")


class App:
    """The parts of the page above the tabs, the tabs (``self.tabs``: name -> TabUI) and the
    events that span them (load, the language switch, Copy link)."""

    def __init__(self, demo: gr.Blocks, weights_dir=None):
        self.demo = demo
        self.weights_dir = weights_dir
        self.lang = gr.State("en")
        self.lesson = gr.State(None)
        self.tab = gr.State(next(iter(TABS)))
        self.chosen = gr.State(False)   # the language was chosen (switch or ?lang=): links keep it
        with gr.Row(equal_height=False):
            gr.Markdown(K("app.intro"), elem_id="intro")
            self.switch = gr.Radio(LANG_CHOICES, value=None, label=SWITCH_LABEL, elem_id="lang-switch",
                                   scale=0, min_width=220)
        with gr.Row(elem_id="app-tools"):
            self.guide = tour()
            self.copy = gr.Button(K("app.copy_link"), size="sm", elem_id="copy-link", scale=0, min_width=160)
        self.link = gr.Textbox(visible=False, elem_id="link-query")
        self.lesson_box = gr.Textbox(visible=False, elem_id="lesson-name")   # for the page's js
        self.notice = gr.Markdown("", elem_id="link-notice")
        self.tabs, self.tab_items = {}, {}
        with gr.Tabs(elem_id="tabs") as self.tabs_row:
            for name, module in TABS.items():
                with gr.Tab(K(f"app.tab.{name}"), id=name, elem_id=f"tab-{name}") as self.tab_items[name]:
                    self.tabs[name] = module.build(weights_dir, self.lang)
        self.words = translated_words(demo, *(ui.words for ui in self.tabs.values()))

    def sections(self) -> dict:
        """Lesson group -> its container, over every tab."""
        return {g: c for ui in self.tabs.values() for g, c in ui.sections.items()}

    def headings(self) -> dict:
        return {h: groups for ui in self.tabs.values() for h, groups in ui.headings.items()}

    def static_words(self, lang: str = "en") -> dict:
        return {c: v for ui in self.tabs.values() for c, v in ui.static_words(lang).items()}

    # -- events ---------------------------------------------------------------------------------
    def wire(self) -> None:
        self.demo.load(self.on_load, None, self.load_outputs(), **QUIET).then(
            None, [self.lesson_box], None, js=HIDE_TABS_JS, **QUIET)
        for name, item in self.tab_items.items():
            item.select(lambda name=name: name, None, self.tab, **QUIET)
        switched = self.switch.input(self.on_switch, [self.switch, self.lesson], self.switch_outputs(), **QUIET)
        for ui in self.tabs.values():   # then what each tab wrote, from what it kept
            switched = ui.relanguage(switched, self.lang)
        self.copy_inputs = [self.tab, self.lang, self.chosen, self.lesson,
                            *(c for ui in self.tabs.values() for c in ui.copy_inputs)]
        self.copy.click(friendly(self.copy_link), self.copy_inputs, [self.link], **QUIET).then(
            None, [self.link], None, js=links.COPY_LINK_JS, **QUIET)
        self.wire_lens()

    def wire_lens(self, lens=LENS) -> None:
        """The Train tab's "Open in the lens" (``open_lens``), and the page's models forgotten as it goes."""
        train = self.tabs.get("train")
        if train is None:
            return
        offering = [c for ui in self.tabs.values() for c in getattr(ui, "offer_outputs", ())]

        def open_lens(request: gr.Request, lang="en"):
            return self.open_lens(lens, train_events.owner_of(request), lang)
        train.c["open"].click(friendly(open_lens, lang=True), [self.lang],
                              [self.tab, self.tabs_row, train.c["lens_note"], train.c["lens_said"], *offering],
                              **QUIET)

        def page_gone(request: gr.Request):
            lens.forget(train_events.owner_of(request))
        self.demo.unload(page_gone)

    def open_lens(self, lens, owner: str, lang: str = "en") -> dict:
        """The page's trained model opened in ``lens``, offered and chosen in its tab, that tab
        selected, and a line under the button saying so.  UserError when it cannot be."""
        own = open_in_lens(self.tabs["train"].trainer, lens, owner)
        tab = LENS_TABS[own.kind]
        ui = self.tabs.get(tab)
        try:
            if ui is None or not hasattr(ui, "offer"):
                raise UserError("lens.error.no_tab", tab=Text(f"app.tab.{tab}"))
            offered = ui.offer(own, lang)
        except UserError:       # the tab cannot show it: not kept for the page
            lens.forget(owner, own.kind)
            raise
        said = Text("train.lens.opened", model=own.label_text(), tab=Text(f"app.tab.{tab}"))   # and on the switch
        c = self.tabs["train"].c
        return {self.tab: tab, self.tabs_row: gr.update(selected=tab), c["lens_note"]: said.text(lang),
                c["lens_said"]: said, **offered}

    def _unique(self, components) -> list:
        seen, out = set(), []
        for c in components:
            if id(c) not in seen:
                seen.add(id(c))
                out.append(c)
        return out

    def page_words(self) -> list:
        return [*self.words.components, *self.static_words().keys()]

    def load_outputs(self) -> list:
        return self._unique([self.lang, self.lesson, self.lesson_box, self.tab, self.chosen, self.switch,
                             self.guide, self.notice, self.tabs_row, *self.tab_items.values(),
                             *(c for ui in self.tabs.values() for c in ui.apply_outputs),
                             *self.sections().values(), *self.headings(), *self.page_words()])

    def switch_outputs(self) -> list:
        return self._unique([self.lang, self.chosen, self.guide, self.notice, *self.page_words()])

    def lesson_banner(self, lesson, lang) -> str:
        if not lesson or lesson == "full":
            return ""
        p = lessons.preset(lesson)
        return i18n.t("app.lesson.banner", lang, title=p.title[lang], about=p.about[lang])

    def on_load(self, request: gr.Request) -> dict:
        """Open the link: the language, the lesson, then the view it holds (never an error page)."""
        try:
            return self._load(request)
        except Exception:  # noqa: BLE001 - a link must never become an error page
            log.exception("opening a link failed")
            out = Merged()
            out.put(self.notice, i18n.t("app.link.bad", browser_lang(request),
                                        problems=i18n.t("app.error.fallback", browser_lang(request))))
            return out.result()

    def _load(self, request: gr.Request) -> dict:
        link, problems = links.decode(getattr(request, "query_params", None) or {})
        if link.app.lesson:
            link = links.with_lesson(link, lessons.preset_link(link.app.lesson, self.weights_dir))
        chosen = link.app.lang is not None
        lang = link.app.lang or browser_lang(request)
        remember_lang(request, lang)
        out = Merged()
        if chosen or lang != i18n.DEFAULT:   # the words first: the views a link opens go over them
            out.putall(self.words.updates(lang))
            out.putall(self.static_words(lang))
        self.show_lesson(link, out)
        for name, ui in self.tabs.items():
            try:
                out.putall(ui.apply(link.tabs[name], link.given[name], lang))
            except UserError as e:      # this app cannot show it: that tab keeps its default view
                problems.append(e)
        notes = []
        if problems:
            listed = "; ".join(html.escape(message(p, lang), quote=False) for p in problems)   # a link is anyone's text
            notes.append("⚠️ " + i18n.t("app.link.bad", lang, problems=listed))
        banner = self.lesson_banner(link.app.lesson, lang)
        if banner:
            notes.append(banner)
        out.putall({self.lang: lang, self.lesson: link.app.lesson, self.lesson_box: link.app.lesson or "",
                    self.chosen: chosen, self.switch: lang, self.guide: tour_value(link.app.lesson, lang),
                    self.notice: "\n\n".join(notes)})
        return out.result()

    def show_lesson(self, link: links.Link, out: Merged) -> None:
        """The tabs and panel groups the lesson shows; the tab the link names (else, only when
        the lesson hides the one shown first, its first tab)."""
        lesson = link.app.lesson
        shown_tabs = lessons.tabs_shown(lesson)
        if "tab" in link.given["app"] or next(iter(TABS)) not in shown_tabs:
            tab = link.app.tab if link.app.tab in shown_tabs else shown_tabs[0]
            out.putall({self.tab: tab, self.tabs_row: gr.update(selected=tab)})
        if lesson:
            out.putall({item: gr.update(visible=name in shown_tabs) for name, item in self.tab_items.items()})
            visible = lessons.visibility(lesson)
            for group, section in self.sections().items():
                out.put(section, gr.update(visible=visible[group]))
            for heading, groups in self.headings().items():
                out.put(heading, gr.update(visible=any(visible[g] for g in groups)))

    def on_switch(self, choice, lesson, request: gr.Request = None) -> dict:
        """The language switch: every word on the page again (each tab's views follow, chained)."""
        lang = choice if choice in i18n.LANGS else i18n.DEFAULT
        remember_lang(request, lang)
        out = Merged()
        out.putall(self.words.updates(lang))
        out.putall(self.static_words(lang))
        out.putall({self.lang: lang, self.chosen: True, self.guide: tour_value(lesson, lang),
                    self.notice: self.lesson_banner(lesson, lang)})
        return out.result()

    def copy_link(self, tab, lang, chosen, lesson, *values) -> str:
        """The controls as a link's query (demo.links.encode); the page's js puts it in the
        address bar and on the clipboard."""
        app = links.APP.check({"tab": tab or next(iter(TABS)), "lang": lang if chosen else None, "lesson": lesson})
        tabs, k = {}, 0
        for name, ui in self.tabs.items():
            n = len(ui.copy_inputs)
            tabs[name] = ui.controls_from(*values[k:k + n])
            k += n
        query = links.encode(app, tabs)
        gr.Info(i18n.t("app.copy_link.done", lang))
        return query


def build_app(weights_dir=None) -> gr.Blocks:
    """The whole app, not launched.  Loads the weights from ``weights/`` (or ``weights_dir``)."""
    # Every stroke writes a dozen small PNGs to gradio's cache: hourly, drop those over 2 h old.
    with gr.Blocks(title="RNN Lens", analytics_enabled=False, delete_cache=(3600, 7200)) as demo:
        app = App(demo, weights_dir)
        app.wire()
    demo.rnn_lens = app   # for tests: the parts and their handlers
    demo.queue(**QUEUE)
    return demo


def launch(demo: gr.Blocks, host: str | None = None, port: int | None = None, **kwargs):
    """Serve ``demo``: host/port from the arguments, else GRADIO_SERVER_NAME/PORT, else
    127.0.0.1:7860.  Extra keyword arguments go to ``Blocks.launch`` (e.g. prevent_thread_lock)."""
    ui_serving.install()  # gradio's per-session and per-component costs cut (demo/ui_serving.py)
    host = host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = port if port is not None else int(os.environ.get("GRADIO_SERVER_PORT") or 7860)
    return demo.launch(server_name=host, server_port=port, max_file_size=MAX_FILE_SIZE,
                       show_error=False, ssr_mode=False, css=CSS, i18n=gradio_i18n(),
                       head=ui_heatmap.HEAD, app_kwargs=ui_serving.app_kwargs(kwargs.pop("app_kwargs", None)),
                       **kwargs)
