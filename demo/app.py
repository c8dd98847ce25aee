"""The whole Gradio app: a title, the language switch, the guided tour and "Copy link", then the
two tabs, each built by its own package (``demo.digits.tab``, ``demo.text.tab``), and the queue
and launch settings.

    python app.py                                  # http://127.0.0.1:7860
    from demo.app import build_app, launch
    demo = build_app(weights_dir=None)             # gr.Blocks, built but not launched
    launch(demo, port=7861, prevent_thread_lock=True)

The page follows the browser's language (gr.I18n for the static words, the Accept-Language
header for what Python writes), or ``?lang=`` / the switch.  A link's query (``demo.links``)
reopens a view on load: tab, model, step, unit, edits, the drawing, the text settings, and a
lesson preset (``?lesson=first``, ``demo.lessons``) that hides the panels a teacher does not
want yet.  A malformed link gets a message and the default view.
"""
from __future__ import annotations

import json
import logging
import os

import gradio as gr

from demo import i18n, lessons, links, ui_heatmap, ui_serving
from demo.digits import tab as digits_tab
from demo.digits.pad import pad_value_from_image, pad_words
from demo.text import tab as text_tab
from demo.text import views as text_views
from demo.ui_common import QUEUE, QUIET, K, Words, friendly, gradio_i18n, remember_lang
from demo.ui_tour import tour, tour_value

log = logging.getLogger(__name__)

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
  #lang-switch { flex-grow: 1 !important; min-width: 100% !important; max-width: none; padding: 6px 8px; }
  #lang-switch [data-testid="block-info"] { display: none; }
  #lang-switch .wrap { flex-wrap: nowrap; gap: 6px; }
  #lang-switch label { padding: 4px 10px; margin: 0; }
  #app-tools { flex-wrap: nowrap; gap: 8px; justify-content: space-between; }
  #app-tools > * { flex-grow: 0 !important; }
  #app-tools .rl-tour-start, #copy-link { white-space: nowrap; min-width: fit-content !important; padding: 6px 12px; }
}
""" + digits_tab.CSS + text_tab.CSS
INTRO = i18n.t("app.intro")     # English; the page shows the browser's language (gr.I18n)
LANG_CHOICES = [("English", "en"), ("简体中文", "zh-CN")]
I18N_PREFIX = "__i18n__"


def browser_lang(request) -> str:
    """The first language of the request's Accept-Language header, as "en" or "zh-CN"."""
    header = ""
    try:
        header = request.headers.get("accept-language", "") or ""
    except AttributeError:
        pass
    first = header.split(",")[0].split(";")[0].strip()
    return i18n.normalize(first)


def _i18n_key(value):
    """The demo/i18n key of a gr.I18n value (an I18nData or its "__i18n__{...}" string), else None."""
    text = str(value) if value is not None else ""
    if not text.startswith(I18N_PREFIX):
        return None
    try:
        return json.loads(text[len(I18N_PREFIX):]).get("key")
    except ValueError:
        return None


def translated_words(demo: gr.Blocks, *more: Words) -> Words:
    """Every component whose label, info, placeholder, value or choices is a gr.I18n key, found
    in the built page, plus the ones registered by hand (``more``, e.g. the heatmaps, whose
    labels live in their templates): what the language switch sends again."""
    found = Words()
    by_hand = {id(c): keys for w in more for c, keys in w.items}
    for block in demo.blocks.values():
        keys = dict(by_hand.pop(id(block), {}))
        for attr in ("label", "info", "placeholder", "value"):
            key = _i18n_key(getattr(block, attr, None))
            if key and attr not in keys:
                keys[attr] = key
        choices = getattr(block, "choices", None)
        if choices and "choices" not in keys and any(_i18n_key(c[0]) for c in choices if isinstance(c, tuple)):
            keys["choices"] = [(_i18n_key(c[0]), c[1]) if _i18n_key(c[0]) else (c[0], c[1]) for c in choices]
        if keys:
            found.add(block, **keys)
    return found


class Merged(dict):
    """Outputs for one event, several parts setting the same component: their updates merged."""

    def put(self, component, value) -> None:
        if isinstance(value, dict) and value.get("__type__") == "update":
            new = {k: v for k, v in value.items() if k != "__type__"}
        else:
            new = {"value": value}
        old = self.get(component)
        if old is None:
            self[component] = new
        else:
            old.update(new)

    def putall(self, values: dict) -> None:
        for c, v in values.items():
            self.put(c, v)

    def result(self) -> dict:
        out = {}
        for c, v in self.items():
            if isinstance(c, gr.State):
                out[c] = v.get("value")
            elif set(v) == {"value"} and not isinstance(v["value"], dict):
                out[c] = v["value"]
            else:
                out[c] = gr.update(**v)
        return out


def _unique(components) -> list:
    seen, out = set(), []
    for c in components:
        if id(c) not in seen:
            seen.add(id(c))
            out.append(c)
    return out


def linked_model(models: dict, name: str, param: str):
    """The loaded model a link names (ValueError naming the link parameter when it is not)."""
    if name not in models:
        raise ValueError(f"Link parameter {param}: {name!r} is not loaded here; "
                         f"choose one of {', '.join(models)}")
    return models[name]


class App:
    """The parts of the page above the tabs and the events that span both tabs (load, the
    language switch, Copy link)."""

    def __init__(self, demo: gr.Blocks, weights_dir=None):
        self.demo = demo
        self.lang = gr.State("en")
        self.lesson = gr.State(None)
        self.tab = gr.State("digits")
        self.chosen = gr.State(False)   # the language was chosen (switch or ?lang=): links keep it
        with gr.Row(equal_height=False):
            gr.Markdown(K("app.intro"), elem_id="intro")
            self.switch = gr.Radio(LANG_CHOICES, value=None, label="Language / 语言", elem_id="lang-switch",
                                   scale=0, min_width=220)
        with gr.Row(elem_id="app-tools"):
            self.guide = tour()
            self.copy = gr.Button(K("app.copy_link"), size="sm", elem_id="copy-link", scale=0, min_width=160)
        self.link = gr.Textbox(visible=False, elem_id="link-query")
        self.lesson_box = gr.Textbox(visible=False, elem_id="lesson-name")   # for the page's js
        self.notice = gr.Markdown("", elem_id="link-notice")
        with gr.Tabs(elem_id="tabs") as self.tabs:
            with gr.Tab(K("app.tab.digits"), id="digits", elem_id="tab-digits") as self.tab_digits:
                self.digits = digits_tab.build(demo, weights_dir, self.lang)
            with gr.Tab(K("app.tab.text"), id="text", elem_id="tab-text") as self.tab_text:
                self.text = text_tab.build(demo, weights_dir, self.lang)
        self.words = translated_words(demo, self.digits.words, self.text.words)
        self.examples = {}          # example digit -> its pad value's ink, to name it in a link
        for d in range(10):
            path = digits_tab.EXAMPLES_DIR / f"digit_{d}.png"
            if path.is_file():
                self.examples[str(d)] = path

    # -- the parts a lesson hides -----------------------------------------------------------------
    def sections(self) -> dict:
        out = dict(self.digits.sections())
        if getattr(self.text, "models", None):
            out.update({"generate": self.text.sec_generate, "steps": self.text.sec_steps,
                        "units": self.text.sec_units, "why_conn": self.text.sec_why_conn,
                        "why_text_unit": self.text.sec_why_text_unit, "why_match": self.text.sec_why_match,
                        "why_text_whatif": self.text.sec_why_text_whatif,
                        "why_sampling": self.text.sec_why_sampling, "surprise": self.text.sec_surprise,
                        "temperature": self.text.sec_temperature})
        return out

    def headings(self) -> dict:
        """A heading over several groups -> the groups under it (shown while any of them is)."""
        out = {self.digits.why_heading: ("why_rows", "why_unit", "why_whatif", "why_trajectory")}
        if getattr(self.text, "models", None):
            out[self.text.why_heading] = ("why_conn", "why_text_unit", "why_match", "why_text_whatif",
                                          "why_sampling")
        return out

    # -- events ---------------------------------------------------------------------------------
    @property
    def digit_controls(self) -> dict:
        return {k: getattr(self.digits, k) for k in digits_tab.CONTROLS}

    @property
    def text_controls(self) -> dict:
        x = self.text
        if not getattr(x, "models", None):
            return {}
        return {"model": x.model, "seed": x.seed, "length": x.length, "temperature": x.temperature,
                "top_k": x.top_k, "rng_seed": x.rng_seed, "which": x.which, "unit": x.unit,
                "clamp_box": x.clamp_box, "ablate_box": x.ablate_box}

    def load_outputs(self) -> list:
        d = self.digits
        text_extra = [self.text.unit_pick] if self.text_controls else []
        return _unique([self.lang, self.lesson, self.lesson_box, self.tab, self.chosen, self.switch, self.guide,
                        self.notice,
                        self.tabs, self.tab_digits, self.tab_text, *self.digit_controls.values(), d.controls, d.pad,
                        *d.all_outputs, d.explain, *self.text_controls.values(), *text_extra,
                        *self.text.static_words(), *([self.text.units_table] if self.text_controls else []),
                        *self.sections().values(), *self.headings(), *self.words.components,
                        *self.static_words().keys()])

    def static_words(self, lang: str = "en") -> dict:
        """What both tabs write in Python outside their views, in ``lang`` (messages about what
        could not load, the Digits tab's over-data curves)."""
        return {**self.digits.static_words(lang), **self.text.problem_words(lang)}

    def wire(self) -> None:
        # gradio 6.31 does not hide a tab's button on gr.update(visible=False): the page does
        shown = {name: list(p.tabs) for name, p in lessons.load_presets().items()}
        hide_tabs = ("(lesson) => { let css = ''; const shown = " + json.dumps(shown) + "[lesson || 'full'] || "
                     + json.dumps(list(lessons.TABS)) + "; for (const t of " + json.dumps(list(lessons.TABS))
                     + ") { if (!shown.includes(t)) css += '#tab-' + t + '-button { display: none !important; } '; } "
                     "let style = document.getElementById('rl-lesson-tabs'); if (!style) { "
                     "style = document.createElement('style'); style.id = 'rl-lesson-tabs'; "
                     "document.head.appendChild(style); } style.textContent = css; return lesson; }")
        self.demo.load(self.on_load, None, self.load_outputs(), **QUIET).then(
            None, [self.lesson_box], None, js=hide_tabs, **QUIET)
        self.tab_digits.select(lambda: "digits", None, self.tab, **QUIET)
        self.tab_text.select(lambda: "text", None, self.tab, **QUIET)
        d = self.digits
        switched = self.switch.input(self.on_switch, [self.switch, self.lesson, d.analysis, d.model, d.t, d.order,
                                                     d.unit, d.pad, d.picture_reading], self.switch_outputs(), **QUIET)
        if self.text_controls:  # then what the Text tab wrote, from what it kept
            x = self.text
            switched.then(friendly(x.relanguage, lang=True), [*x.relanguage_inputs, self.lang],
                          x.relanguage_outputs, **QUIET).then(
                friendly(x.replot, lang=True), [x.conn_shown, self.lang], [x.conn_plot], **QUIET)
        x = self.text_controls
        self.copy_inputs = [self.tab, self.lang, self.chosen, self.lesson, d.pad, *self.digit_controls.values(),
                            *x.values()]
        self.copy.click(self.copy_link, self.copy_inputs, [self.link], **QUIET).then(
            None, [self.link], None, js=links.COPY_LINK_JS, **QUIET)

    def switch_outputs(self) -> list:
        d = self.digits
        return _unique([self.lang, self.chosen, self.guide, self.notice, *d.all_outputs, d.explain, d.gate, d.pad,
                        *self.words.components, *self.static_words().keys()])

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
            lang = browser_lang(request)
            out = Merged()
            out.put(self.notice, i18n.t("app.link.bad", lang, problems=i18n.t("app.error.fallback", lang)))
            return out.result()

    def _load(self, request: gr.Request) -> dict:
        query = getattr(request, "query_params", None) or {}
        state, problems = links.decode_state(query, strict=False)
        chosen = state["lang"] is not None
        lang = state["lang"] or browser_lang(request)
        remember_lang(request, lang)
        out = self._words(chosen, lang)
        applied = self.apply(state, lang, problems, out)
        if not applied:   # the view could not be opened: the default one, and say why
            out = self._words(chosen, lang)
            state = dict(links.DEFAULTS, lang=state["lang"], lesson=state["lesson"])
            self.apply(state, lang, [], out)
        notes = []
        if problems:
            listed = "; ".join(i18n.translate_message(p, lang) for p in problems)
            notes.append("⚠️ " + i18n.t("app.link.bad", lang, problems=listed))
        banner = self.lesson_banner(state["lesson"], lang)
        if banner:
            notes.append(banner)
        out.putall({self.lang: lang, self.lesson: state["lesson"], self.lesson_box: state["lesson"] or "",
                    self.chosen: chosen,
                    self.switch: lang, self.guide: tour_value(state["lesson"], lang),
                    self.notice: "\n\n".join(notes)})
        if chosen or lang != i18n.DEFAULT:
            out.put(self.digits.explain, self.explain(state["model"], lang))
        return out.result()

    def _words(self, chosen: bool, lang: str) -> Merged:
        """The page's words in ``lang`` when it is not opened in English as built; first, so that
        the views a link opens (a map's title, say) are put over them."""
        out = Merged()
        if chosen or lang != i18n.DEFAULT:
            out.putall(self.words.updates(lang))
            out.putall(self.text.static_words(lang))
            out.putall(self.static_words(lang))
            out.put(self.digits.pad, gr.update(words=pad_words(lang)))
        return out

    def explain(self, model, lang):
        from demo.digits.explain import explain_markdown
        m = self.digits.models.get(model) or self.digits.models.get(self.digits.default)
        return explain_markdown(m, lang) if m is not None else ""

    def apply(self, state: dict, lang: str, problems: list, out: Merged) -> bool:
        """Put a checked state into the page (``out``); False (and a message in ``problems``)
        when this app cannot show it (a model not loaded, a unit beyond this model's)."""
        c = links.controls(state)
        dc, tc, app = c["digits"], c["text"], c["app"]
        lesson = app["lesson"]
        shown_tabs = lessons.tabs_shown(lesson)
        tab = app["tab"] if app["tab"] in shown_tabs else shown_tabs[0]
        out.putall({self.tab: tab, self.tabs: gr.update(selected=tab),
                    self.tab_digits: gr.update(visible="digits" in shown_tabs),
                    self.tab_text: gr.update(visible="text" in shown_tabs)})
        visible = lessons.visibility(lesson)
        for name, section in self.sections().items():
            out.put(section, gr.update(visible=visible[name]))
        for heading, groups in self.headings().items():
            out.put(heading, gr.update(visible=any(visible[g] for g in groups)))
        try:
            self.apply_digits(dc, lang, out)
            self.apply_text(tc, lang, out)
        except ValueError as e:
            problems.append(str(e))
            return False
        return True

    def apply_digits(self, dc: dict, lang: str, out: Merged) -> None:
        d = self.digits
        if not d.models:
            return
        model = linked_model(d.models, dc["model"], "model")
        if dc["unit"] >= model.hidden:
            raise ValueError(f"Link parameter unit: Unit must be from 0 to {model.hidden - 1}; "
                             f"the {digits_tab.title(dc['model'])} has {model.hidden} units.")
        gate = dc["gate"]
        if gate != digits_tab.NO_GATE and gate not in model.gate_names:
            raise ValueError(f"Link parameter gate: The {digits_tab.title(dc['model'])} has no gate '{gate}'.")
        for key in ("model", "t", "unit", "order", "ablate", "gate_value", "from_row", "blank_rows"):
            out.put(self.digit_controls[key], dc[key])
        out.put(d.gate, gr.update(choices=d.gate_choices(model.gate_names, lang), value=gate))
        # the pad's events read the controls from their copy: it is set with them, in this answer
        out.put(d.controls, {k: gate if k == "gate" else dc[k] for k in digits_tab.CONTROLS})
        value = None
        if dc["digit"] is not None:
            value = pad_value_from_image(self.examples[dc["digit"]])
        elif dc["ink"] is not None:
            value = dc["ink"]
        if value is not None:  # else leave the pad alone: the user may be drawing already
            out.put(d.pad, value)
            views = d.draw(value, dc["model"], dc["ablate"], gate, dc["gate_value"], dc["from_row"],
                           dc["blank_rows"], dc["t"], dc["order"], dc["unit"], None, None, lang)
            out.putall(views)
        out.put(d.explain, self.explain(dc["model"], lang))

    def apply_text(self, tc: dict, lang: str, out: Merged) -> None:
        x = self.text
        controls = self.text_controls
        if not controls:
            return
        m = linked_model(x.models, tc["model"], "tmodel")
        if tc["unit"] >= m.hidden:
            raise ValueError(f"Link parameter tunit: Unit must be from 0 to {m.hidden - 1}, got {tc['unit']}")
        for key, comp in controls.items():
            out.put(comp, tc[key])
        known = x.saved_units(tc["model"])
        keys = {u.key for u in known[0]} if known else set()
        key = f"{tc['which']}:{tc['unit']}"
        choices = [(text_views.unit_label(u, lang), u.key) for u in known[0]] if known else []
        if key in keys:
            out.put(x.unit_pick, gr.update(choices=choices, value=key))
        elif known and lang != i18n.DEFAULT:
            out.put(x.unit_pick, gr.update(choices=choices))
        out.put(x.units_table, x.units_table_html(tc["model"], lang))

    def on_switch(self, choice, lesson, a, model, t, order, unit, pad=None, picture=None,
                  request: gr.Request = None) -> dict:
        """The language switch: every word on the page again, and the views Python writes."""
        lang = choice if choice in i18n.LANGS else i18n.DEFAULT
        remember_lang(request, lang)
        d = self.digits
        out = Merged()
        out.putall(self.words.updates(lang))
        out.putall(self.static_words(lang))
        out.put(d.pad, gr.update(words=pad_words(lang)))
        if a is not None:
            out.putall({**d.show(a, True, lang), **d.step(a, t, order, True, lang), **d.unit_view(a, unit, lang),
                        d.reading: d.reading_for(a, pad, picture, lang)})
        else:
            out.put(d.hint, "✏️ " + i18n.translate_message(digits_tab.EMPTY_MESSAGE, lang))
        m = d.models.get(model)
        if m is not None:
            out.put(d.gate, gr.update(choices=d.gate_choices(m.gate_names, lang)))
        out.putall({self.lang: lang, self.chosen: True, self.guide: tour_value(lesson, lang),
                    d.explain: self.explain(model, lang),
                    self.notice: self.lesson_banner(lesson, lang)})
        return out.result()

    def copy_link(self, tab, lang, chosen, lesson, pad, *values) -> str:
        """The controls as a link's query (demo.links.encode_state); the page's js puts it in
        the address bar and on the clipboard."""
        dk, tk = list(self.digit_controls), list(self.text_controls)
        dv, tv = values[:len(dk)], values[len(dk):]
        dc, tc = dict(zip(dk, dv)), dict(zip(tk, tv))
        state = {"tab": tab or "digits", "lang": lang if chosen else None, "lesson": lesson,
                 "model": dc["model"], "t": int(dc["t"]), "unit": int(dc["unit"] or 0), "order": dc["order"],
                 "ablate": dc["ablate"] or "", "gate": dc["gate"], "gate_value": float(dc["gate_value"]),
                 "from_row": int(dc["from_row"]), "blank_rows": dc["blank_rows"] or ""}
        if isinstance(pad, dict) and pad.get("data"):
            digit = self.example_of(pad)
            if digit is not None:
                state["digit"] = digit
            else:
                state["ink"] = {k: v for k, v in pad.items() if k != "background"}
        if tc:
            state.update({"text_model": tc["model"], "seed": tc["seed"], "length": tc["length"],
                          "temperature": tc["temperature"], "top_k": tc["top_k"], "rng_seed": tc["rng_seed"],
                          "text_state": tc["which"], "text_unit": int(tc["unit"] or 0),
                          "text_clamp": tc["clamp_box"] or "", "text_ablate": tc["ablate_box"] or ""})
        try:
            query = links.encode_state(state)
        except ValueError as e:
            raise gr.Error(i18n.t("app.link.copy_failed", lang, message=i18n.translate_message(str(e), lang)),
                           print_exception=False) from None
        gr.Info(i18n.t("app.copy_link.done", lang))
        return query

    def example_of(self, pad: dict) -> str | None:
        """The example digit the pad shows unchanged, else None."""
        if not hasattr(self, "_example_data"):
            self._example_data = {pad_value_from_image(p)["data"]: d for d, p in self.examples.items()}
        return self._example_data.get(pad.get("data"))


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
