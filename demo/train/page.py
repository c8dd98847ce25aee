"""The Train tab's layout, one function per section (each a container keyed by its lesson group,
demo.lessons.GROUPS): the components only, by name; the events are ``demo.train.events``'.  The
controls are made from ``demo.train.controls.TABLE``.

    with gr.Blocks():
        page = layout(cap_s=120)      # page.c["play"], page.sections["train_curves"], page.words
"""
from __future__ import annotations

from dataclasses import dataclass, field

import gradio as gr

from demo import i18n
from demo.train import views
from demo.train.compare import PRESETS
from demo.train.controls import TABLE
from demo.train.handlers import MAPS
from demo.ui_common import K, Words
from demo.ui_common import lesson_section as section
from demo.ui_heatmap import VIEW_CLASS, hover_heatmap

SECTIONS = ("train_setup", "train_curves", "train_grads", "train_inside", "train_download")
# the charts are inline SVG (demo.train.views): as wide as their box, their legend under them
CSS = """
.rl-train-chart { width: 100%; }
.rl-train-chart svg { width: 100%; height: auto; display: block; max-height: 320px; }
.rl-train-title { font-weight: 600; margin: 0 0 2px 4px; }
.rl-train-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 13px; margin: 2px 0 0 8px; }
.rl-train-legend .rl-key { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
.rl-train-legend .rl-key i { display: inline-block; width: 18px; height: 4px; border-radius: 2px; }
.rl-train-legend .rl-note { color: #666; flex-basis: 100%; }
#train-buttons button { min-width: 90px; }
#train-status { min-height: 3em; }
"""


@dataclass
class Page:
    """The built page: ``c`` {name: component}, ``sections`` {lesson group: container}, and
    ``words``: the heatmaps, whose labels are registered by hand."""
    c: dict = field(default_factory=dict)
    sections: dict = field(default_factory=dict)
    words: Words = field(default_factory=Words)


def control(name: str):
    """The page's control of the table's field ``name`` (made where it is called: its row)."""
    return TABLE.fields[name].component(gr, K)


def setup(page: Page, cap_s: float) -> None:
    c = page.c
    with section("train_setup", page):
        gr.Markdown(K("train.intro"))
        with gr.Row():
            c["task"] = control("task")
            c["delay"] = control("delay")
            c["source"] = control("source")
        with gr.Row():
            c["pasted"] = gr.Textbox(label=K("train.pasted.label"), placeholder=K("train.pasted.placeholder"),
                                     lines=4, max_lines=10, visible=False, elem_id="train-pasted", scale=3)
            c["upload"] = gr.File(label=K("train.upload.label"), file_types=[".txt"], type="filepath",
                                  visible=False, elem_id="train-upload", scale=1)
        with gr.Row():
            for name in ("cell", "bidirectional", "hidden", "layers"):
                c[name] = control(name)
        with gr.Row():
            for name in ("optimizer", "lr", "batch", "bptt"):
                c[name] = control(name)
        with gr.Row():
            for name in ("clip", "clip_value", "forget_bias", "seed"):
                c[name] = control(name)
        with gr.Column(elem_id="train-run"):       # the compare mode and the buttons (the tour points here)
            compare_row(page)
            with gr.Row(elem_id="train-buttons"):
                c["play"] = gr.Button(K("train.play"), variant="primary", elem_id="train-play")
                c["pause"] = gr.Button(K("train.pause"), elem_id="train-pause")
                c["step"] = gr.Button(K("train.step"), elem_id="train-step")
                c["reset"] = gr.Button(K("train.reset"), elem_id="train-reset")
        c["status"] = gr.Markdown(views.idle_text(cap_s), elem_id="train-status")


def compare_row(page: Page) -> None:
    """The compare mode: on/off, run B's cell and forget bias, and the one-click presets of the
    classic lesson (demo.train.compare.PRESETS)."""
    c = page.c
    with gr.Row(elem_id="train-compare", equal_height=True):
        for name in ("compare", "cell_b", "forget_bias_b"):
            c[name] = control(name)
        with gr.Column(min_width=260, elem_id="train-compare-presets"):
            for name in PRESETS:
                c[f"compare_{name}"] = gr.Button(K(f"train.compare.preset_{name}"), size="sm",
                                                 elem_id=f"train-compare-{name}")


def curves(page: Page) -> None:
    c = page.c
    with section("train_curves", page):
        gr.Markdown(K("train.section.curves"))
        c["x"] = gr.Radio([(K("train.x.step"), "step"), (K("train.x.seconds"), "seconds")], value="step",
                          label=K("train.x.label"), elem_id="train-x")
        with gr.Row():
            c["loss"] = gr.HTML(views.curves_html([], "loss", "step", "digits"), elem_id="train-loss",
                                min_width=300, elem_classes=[VIEW_CLASS])
            c["acc"] = gr.HTML(views.curves_html([], "acc", "step", "digits"), elem_id="train-acc",
                               min_width=300, elem_classes=[VIEW_CLASS])


def grads(page: Page) -> None:
    c = page.c
    with section("train_grads", page):
        gr.Markdown(K("train.section.grads"))
        with gr.Row():
            c["grads"] = gr.HTML(views.grads_html([], 28), elem_id="train-grads", min_width=300)
            c["grads_b"] = gr.HTML(views.grads_html([], 28), elem_id="train-grads-b", min_width=300, visible=False)


def inside(page: Page) -> None:
    c, w = page.c, page.words
    with section("train_inside", page):
        gr.Markdown(K("train.section.inside"))
        with gr.Row():
            c["input"] = w.add(hover_heatmap(i18n.t("train.map.input_label"), elem_id="train-input", height=420,
                                             visible=False), label="train.map.input_label")
            c["answers"] = w.add(hover_heatmap(i18n.t("train.map.answers_label"), elem_id="train-answers",
                                               visible=False), label="train.map.answers_label")
            c["confusion"] = w.add(hover_heatmap(i18n.t("train.map.confusion_label"), elem_id="train-confusion",
                                                 visible=False), label="train.map.confusion_label")
        for row in range(0, len(MAPS), 3):
            with gr.Row():
                for k in range(row, min(row + 3, len(MAPS))):
                    c[MAPS[k]] = w.add(hover_heatmap(i18n.t("train.map.h"), elem_id=f"train-map-{k}", height=300,
                                                     visible=False), label="train.map.h")
        c["sample"] = gr.Textbox(label=K("train.sample.label"), lines=8, max_lines=12, interactive=False,
                                 visible=False, elem_id="train-sample")


def download(page: Page) -> None:
    """Look inside: "Open in the lens" (once a run has weights; demo.app.App.wire_lens wires it
    across the tabs) and what it opened, then the download."""
    c = page.c
    with section("train_download", page):
        gr.Markdown(K("train.section.lens"))
        with gr.Row(equal_height=True):
            c["open"] = gr.Button(K("train.open"), elem_id="train-open", scale=0, min_width=220, interactive=False)
            c["lens_note"] = gr.Markdown("", elem_id="train-lens-note")
        c["lens_said"] = gr.State(None)   # the note's words (demo.errors.Text): the language switch writes them again
        gr.Markdown(K("train.section.download"))
        with gr.Row():
            c["download"] = gr.Button(K("train.download"), elem_id="train-download", scale=0, min_width=220)
            c["weights_file"] = gr.File(label=K("train.weights_file.label"), interactive=False,
                                        elem_id="train-weights-file", scale=2)


def layout(cap_s: float) -> Page:
    """The tab's components in the current Blocks/Tab context (``cap_s``: the runs' cap, said
    under the buttons)."""
    page = Page()
    setup(page, cap_s)
    curves(page)
    grads(page)
    inside(page)
    download(page)
    return page
