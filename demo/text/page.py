"""The Text tab's layout, one function per section (each a container keyed by its lesson group,
demo.lessons.GROUPS): the components only, by name; the events are ``demo.text.events``'.  The
controls are made from ``demo.text.controls.TABLE``.

    with gr.Blocks():
        page = layout(lab)          # page.c["seed"], page.sections["generate"], page.words
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr

from demo import i18n
from demo.text import corpus, handlers, limits, views
from demo.text.analysis import TEMPERATURES
from demo.text.controls import TABLE
from demo.text.lab import Lab, conn_colours
from demo.ui_common import K, Words, problems_markdown
from demo.ui_common import lesson_section as section
from demo.ui_heatmap import hover_heatmap

CSS = (Path(__file__).resolve().parent / "text.css").read_text(encoding="utf-8")
# Moving the step slider outlines that character in the browser (no re-render of the text).
MARK_JS = ("(t) => { document.querySelectorAll('#text-units [data-t]').forEach((s) => { "
           "s.style.outline = s.dataset.t == String(t) ? '2px solid #ff8c00' : ''; }); return t; }")
# A click on a character of the coloured text selects that step (spans carry data-t); dragging
# over several characters selects that span: index [first step, last step].
CLICK_JS = ("element.addEventListener('mouseup', (e) => { const sel = window.getSelection(); "
            "const at = (n) => { const el = n && (n.nodeType === 1 ? n : n.parentElement); "
            "return el && el.closest ? el.closest('[data-t]') : null; }; "
            "if (sel && !sel.isCollapsed) { const a = at(sel.anchorNode), b = at(sel.focusNode); "
            "if (a && b && element.contains(a) && element.contains(b) && a !== b) { "
            "const i = Number(a.dataset.t), j = Number(b.dataset.t); "
            "trigger('select', {index: [Math.min(i, j), Math.max(i, j)], value: sel.toString()}); return; } } "
            "const s = e.target.closest('[data-t]'); "
            "if (s) trigger('select', {index: Number(s.dataset.t), value: s.textContent}); });")
SECTIONS = ("generate", "steps", "units", "why_conn", "why_text_unit", "why_match", "why_text_whatif",
            "why_sampling", "surprise", "temperature")
WHY = ("why_conn", "why_text_unit", "why_match", "why_text_whatif", "why_sampling")


@dataclass
class Page:
    """The built page: ``c`` {name: component}, ``sections`` {lesson group: container}, and
    ``words``: the components whose static words are registered by hand (the app finds the
    gr.I18n keys of the others itself)."""
    c: dict = field(default_factory=dict)
    sections: dict = field(default_factory=dict)
    words: Words = field(default_factory=Words)


def control(name: str):
    """The page's control of the table's field ``name`` (made where it is called: its row)."""
    return TABLE.fields[name].component(gr, K)


def generate(page: Page, lab: Lab) -> None:
    c = page.c
    built = corpus.built_corpus(lab)   # the first model's (a link or the page's language may switch it)
    poem = corpus.writes_poems(built)
    with section("generate", page):
        gr.Markdown(K("text.intro"))
        with gr.Row(equal_height=False, elem_id="text-corpus-row"):
            c["corpus"] = control("corpus")
            c["corpus"].value, c["corpus"].info = built, corpus.radio_words(lab)["info"]
            c["corpus_note"] = gr.Markdown("", elem_id="text-corpus-note")   # how to make a missing model
        with gr.Row(elem_id="text-seed-row"):
            c["seed"] = control("seed")
            c["seed"].value = corpus.SEEDS.get(built, "")
            c["acrostic"] = control("acrostic")
            c["acrostic"].visible = poem
            c["model"] = control("model")
            # the corpus's models, with their sizes (English: the page's words come with the load)
            c["model"].choices = corpus.model_choices(lab, built)
            c["model"].value = lab.first
        with gr.Row():
            for name in ("length", "temperature", "top_k", "rng_seed"):
                c[name] = control(name)
            c["length"].visible = c["top_k"].visible = not poem   # a poem ends itself
        with gr.Row():
            c["go"] = gr.Button(K("text.go"), variant="primary", elem_id="text-generate")
            c["stop"] = gr.Button(K("text.stop"), elem_id="text-stop")
            c["dice"] = gr.Button(K("text.dice"))
        c["generated"] = gr.Textbox(label=K("text.generated.label"), lines=10, max_lines=20, interactive=False,
                                    elem_id="text-generated", buttons=["copy"])
        c["written"] = gr.State(None)  # steps.Written: the model and seed of the generated text


def steps(page: Page, lab: Lab) -> None:
    c = page.c
    with section("steps", page):
        gr.Markdown(K("text.section.steps"))
        with gr.Row():
            c["unit_pick"] = gr.Dropdown(lab.unit_choices(lab.first), value=None, label=K("text.unit_pick.label"),
                                         scale=3, elem_id="text-unit-pick")
            c["which"] = control("which")
            c["unit"] = control("unit")
        c["coloured"] = gr.HTML("", js_on_load=CLICK_JS, max_height=420, padding=True, container=True,
                                elem_id="text-units")
        c["t"] = control("t")
        with gr.Row():
            c["step_view"] = gr.HTML("", padding=True, elem_id="text-step-view")
            c["hmap"] = page.words.add(hover_heatmap(i18n.t("text.hmap.label"), elem_id="text-hmap", height=420),
                                       label="text.hmap.label")
        c["trace_state"] = gr.State(None)  # TextTrace of the generated text: every step, as numpy
    with section("units", page, K("text.units.title"), open=False):
        c["units_table"] = gr.HTML(lab.units_table_html(lab.first, "en"))


def why_conn(page: Page, lab: Lab) -> None:
    c = page.c
    with section("why_conn", page, K("text.why_conn.title"), open=True):
        gr.Markdown(K("text.why_conn.help"))
        c["conn_view"] = gr.HTML("", padding=True, container=True, max_height=360, elem_id="text-conn")
        c["conn_shown"] = gr.State(None)   # what the tint and the plot show, to write it again
        with gr.Row():
            with gr.Column(scale=3, min_width=320):   # a phone: the words under the plot
                # The plot starts empty and is first filled by a click or a generation, with every
                # series at once: a LinePlot that has drawn some series ignores later values adding
                # new ones (gradio 6.31, seen in chromium), so it never shows the over-data curves alone.
                c["conn_plot"] = page.words.add(
                    gr.LinePlot(None, x="distance", y="log10 relative connectivity", color=views.conn_color(),
                                height=280, elem_id="text-conn-plot", label=K("text.conn_plot.label"),
                                x_title=i18n.t("text.conn_plot.x"), y_title=i18n.t("text.conn_plot.y"),
                                tooltip="all", color_map=conn_colours("en")),
                    x_title="text.conn_plot.x", y_title="text.conn_plot.y")
                # Gradio draws no colour key for this plot: this HTML is one
                c["conn_legend"] = gr.HTML(views.connectivity_legend(lab.legend_colours("en"), "en"),
                                           elem_id="text-conn-key")
            c["conn_words"] = gr.Markdown(views.connectivity_words(lab.data_summaries(), "en"), scale=2)


def why_text_unit(page: Page) -> None:
    c = page.c
    with section("why_text_unit", page, K("text.why_unit.title"), open=True):
        gr.Markdown(K("text.why_unit.help"))
        c["unit_plot"] = gr.LinePlot(x="step", y="value", height=220, label=K("text.unit_plot.label"),
                                     x_title=i18n.t("text.unit_plot.x"), y_title=i18n.t("text.unit_plot.y"),
                                     tooltip="all", elem_id="text-unit-plot")
        with gr.Row():
            c["unit_contexts"] = gr.HTML("", padding=True, elem_id="text-unit-contexts")
            c["unit_features"] = gr.HTML("", padding=True, elem_id="text-unit-features")


def why_match(page: Page) -> None:
    c = page.c
    with section("why_match", page, K("text.why_match.title"), open=True):
        c["match_help"] = gr.Markdown(i18n.t("text.why_match.help", "en", margin=limits.MATCH_MARGIN))
        with gr.Row():
            # No minimum: the page shows an empty Number as 0, and 0 below a minimum is drawn with
            # the error border before anyone typed (gradio 6.31); 0 means "no span yet" (why._span).
            c["span_start"] = gr.Number(None, label=K("text.span_start.label"), precision=0,
                                        elem_id="text-span-start")
            c["span_end"] = gr.Number(None, label=K("text.span_end.label"), precision=0, elem_id="text-span-end")
            c["threshold"] = gr.Number(0.3, label=K("text.threshold.label"), step=0.05, info=K("text.threshold.info"))
            c["match_button"] = gr.Button(K("text.match_button"))
        c["match_view"] = gr.HTML("", padding=True, elem_id="text-match")
        c["match_shown"] = gr.State(None)


def why_text_whatif(page: Page) -> None:
    c = page.c
    with section("why_text_whatif", page, K("text.why_whatif.title"), open=True):
        gr.Markdown(K("text.why_whatif.help"))
        with gr.Row():
            c["clamp"] = control("clamp")
            c["ablate"] = control("ablate")
        with gr.Row():
            c["edit_button"] = gr.Button(K("text.edit_button"), variant="primary", elem_id="text-edit-go")
            c["example_button"] = gr.Button(K("text.example_button"), elem_id="text-edit-example")
        c["edit_summary"] = gr.Markdown(elem_id="text-edit-summary")
        c["edit_shown"] = gr.State(None)
        with gr.Row():   # min_width: a phone shows them one under the other
            c["plain_text"] = gr.Textbox(label=K("text.plain_text.label"), lines=10, max_lines=16, interactive=False,
                                         min_width=280, elem_id="text-plain")
            c["edited_text"] = gr.Textbox(label=K("text.edited_text.label"), lines=10, max_lines=16,
                                          interactive=False, min_width=280, elem_id="text-edited")


def why_sampling(page: Page) -> None:
    c = page.c
    with section("why_sampling", page, K("text.why_sampling.title"), open=True):
        gr.Markdown(K("text.why_sampling.help"))
        with gr.Row():
            c["samp_temperature"] = gr.Slider(0, 3, value=0.8, step=0.05, label=K("text.temperature.label"))
            c["samp_top_k"] = gr.Slider(0, 65, value=0, step=1, label=K("text.samp_top_k.label"))
        c["sampling_view"] = gr.HTML("", padding=True, elem_id="text-sampling")


def surprise(page: Page, lab: Lab) -> None:
    c = page.c
    with section("surprise", page):
        gr.Markdown(K("text.section.surprise"))
        c["pasted"] = gr.Textbox(label=K("text.pasted.label"), lines=4, value=corpus.pasted(corpus.built_corpus(lab)))
        c["score_button"] = gr.Button(K("text.score_button"))
        c["summary"] = gr.HTML("")
        c["surprise_view"] = gr.HTML("", padding=True, container=True, max_height=420, js_on_load=CLICK_JS,
                                     elem_id="text-surprise")
        c["score_shown"] = gr.State(None)  # the last TextScore, to write it again in another language


def temperature(page: Page) -> None:
    c = page.c
    with section("temperature", page):
        c["temperature_md"] = gr.Markdown(handlers.temperature_help("en"))
        c["compare_button"] = gr.Button(K("text.compare_button"))
        with gr.Row():
            for name, T in zip(handlers.COLUMNS, TEMPERATURES):
                c[name] = gr.Textbox(label=i18n.t("text.column.label", "en", t=T), lines=10, max_lines=20,
                                     interactive=False, min_width=220)


def layout(lab: Lab) -> Page:
    """The tab's components in the current Blocks/Tab context.  Without models, only the messages
    about what could not load (in English until the page's language is known)."""
    page = Page()
    if lab.problems:
        page.c["problems_md"] = gr.Markdown(problems_markdown(lab.problems))
    if not lab.models:
        return page
    generate(page, lab)
    steps(page, lab)
    page.c["why_heading"] = gr.Markdown(K("text.section.why"))
    why_conn(page, lab)
    why_text_unit(page)
    why_match(page)
    why_text_whatif(page)
    why_sampling(page)
    surprise(page, lab)
    temperature(page)
    return page
