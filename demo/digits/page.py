"""The Digits tab's layout: every component, by name, and each lesson section's container.  No
events here (``demo.digits.events`` wires them).  The controls are made from the table of
controls (``demo.digits.controls.TABLE``: ``field.component(gr, K)``).

    from demo.digits.page import layout
    with gr.Blocks():
        c, sections, words = layout(lab, problems)   # lab: demo.digits.handlers.load_lab()
    c["t"], c["panels.0"], c["compare.2"], sections["why_unit"]

One function per section, top to bottom: ``pad``, ``prediction``, ``row_by_row``, ``compare``,
``why_rows``, ``why_unit``, ``why_whatif``, ``why_trajectory``, ``explain`` (the names of
``demo.lessons.SECTIONS["digits"]``).  ``words`` lists the components whose words are static
i18n keys (the language switch sends them again).
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from demo import i18n
from demo.digits import views
from demo.digits.analysis import title
from demo.digits.controls import CONTROLS, MODEL_NAMES, NO_GATE, TABLE
from demo.digits.explain import explain_markdown
from demo.digits.handlers import COMPARE, Lab
from demo.digits.input_view import input_view
from demo.digits.pad import drawing_pad
from demo.digits.units import ORDERS
from demo.ui_common import LATEX, K, Words, heat_image, problems_markdown
from demo.ui_heatmap import VIEW_CLASS, hover_heatmap

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = ROOT / "examples"
CANVAS = 420                    # px, the pad's side; its pen is CANVAS/28 wide, like MNIST's strokes
# the over-data curves' colours, by model title (digits.curves.label names them)
CELL_COLOURS = {"LSTM": "#1f77b4", "GRU": "#ff7f0e", "RNN": "#d62728", "BiLSTM": "#2ca02c", "Peephole LSTM": "#9467bd"}
STATE_COLOURS = {"h": "#111111", "c": "#888888", "i": "#1f77b4", "f": "#ff7f0e", "g": "#2ca02c", "o": "#d62728",
                 "r": "#1f77b4", "z": "#ff7f0e", "n": "#2ca02c"}
WHY = ("why_rows", "why_unit", "why_whatif", "why_trajectory")   # the sections under "Why?"
CSS = """
#hint { color: var(--body-text-color-subdued); }
.rl-warning { color: #b45309; font-weight: 600; margin: 6px 0 0; }
@media (max-width: 640px) { #intro { display: none; } }
/* gradio floats a block's label over its top: a label that wraps (the reading strip's, on a
   phone) covered the pictures under it.  In the flow, it pushes them down. */
#digit-reading [data-testid="block-label"], #digit-seen [data-testid="block-label"] { position: relative; }
/* the comparison: every model's map in one row on a wide screen (stacked on a phone, as every view) */
@media (min-width: 900px) { #digit-compare .rl-view { min-width: 150px !important; } }
/* a plot's chart fills what its label (two lines on a narrow column) leaves of the block: gradio
   sizes the chart to the whole block, which cut off the legend that names each line's model */
#digit-curves, #digit-unit-rows { display: flex !important; flex-direction: column; }
#digit-curves .vega-embed, #digit-unit-rows .vega-embed { flex: 1 1 0; min-height: 0; height: auto !important; }
/* the page's copy of the controls that the pad's events read (events.CONTROLS_JS): kept, never shown */
#digit-controls { display: none !important; }
""" + views.INFLUENCE_CSS + views.TRAJECTORY_CSS


def control(c: dict, w: Words, name: str, **kw):
    """The control of field ``name`` (demo.digits.controls.TABLE), its words registered."""
    keys = {"label": f"digits.{name}.label"}
    if name in ("ablate", "blank_rows"):
        keys["placeholder"] = f"digits.{name}.placeholder"
    if name == "order":
        keys["choices"] = [(f"digits.order.{k}", k) for k in ORDERS]
    c[name] = w.add(TABLE.fields[name].component(gr, K, **kw), **keys)
    return c[name]


def gate_choices(gates) -> list:
    """The clamp dropdown's first choices: none, then the first model's gates (gr.I18n keys)."""
    return [(K("digits.gate.none"), NO_GATE), *[(K(f"digits.gate_name.{g}"), g) for g in gates]]


def layout(lab: Lab, problems: list) -> tuple[dict, dict, Words]:
    """Every component of the tab (``c``), the sections' containers and the words."""
    c, w = {}, Words()
    if problems:  # what could not load, in English until the page's language is known
        c["problems"] = gr.Markdown(problems_markdown(problems))
    # The analysed drawing (DigitAnalysis): the slider re-renders from it without a model run.
    c["analysis"] = gr.State(None)
    # (pad data, reading strip) of the last picture put into the pad: while the pad still shows
    # just that picture, the strip shows how the picture itself was read.
    c["picture_reading"] = gr.State(None)
    sections = {}
    with gr.Row(equal_height=False):
        sections["pad"] = pad(c, w)
        sections["prediction"] = prediction(c, w, lab)
    sections["row_by_row"] = row_by_row(c, w, lab)
    sections["compare"] = compare(c, w)
    c["why_heading"] = w.add(gr.Markdown(K("digits.section.why")), value="digits.section.why")
    sections["why_rows"] = why_rows(c, w, lab)
    sections["why_unit"] = why_unit(c, w, lab)
    sections["why_whatif"] = why_whatif(c, w, lab)
    sections["why_trajectory"] = why_trajectory(c, w, lab)
    sections["explain"] = explain(c, w, lab)
    # what the pad's events read of the controls: their values as the page shows them at first
    c["controls"] = gr.JSON({k: c[k].value for k in CONTROLS}, visible="hidden", elem_id="digit-controls")
    for name in (*WHY, "explain"):
        w.add(sections[name], label=f"digits.{name}.title")
    return c, sections, w


def pad(c: dict, w: Words):
    with gr.Column(scale=5, min_width=300, elem_id="sec-pad") as section:
        c["pad"] = drawing_pad(elem_id="digit-pad", size=CANVAS)
        c["final"] = w.add(gr.Label(label=K("digits.final.label"), num_top_classes=3, elem_id="digit-prediction"),
                           label="digits.final.label")
        c["hint"] = w.add(gr.Markdown(K("digits.hint.start"), elem_id="hint"), value="digits.hint.start")
        c["reading"] = w.add(gr.HTML("", label=K("digits.reading.label"), show_label=True, container=True,
                                     padding=True, elem_id="digit-reading"), label="digits.reading.label")
        # image_mode=None: the file as it is (the default "RGB" would flatten a transparent
        # drawing onto black before we read it)
        c["picture"] = w.add(gr.Image(label=K("digits.picture.label"), type="filepath", image_mode=None,
                                      sources=["upload", "clipboard"], height=150, elem_id="digit-picture"),
                             label="digits.picture.label")
        paths = sorted(EXAMPLES_DIR.glob("digit_*.png"))
        c["examples"] = gr.Examples(
            [[str(p)] for p in paths], inputs=[c["picture"]], label=K("digits.examples.label"),
            examples_per_page=10, api_visibility="private", elem_id="digit-examples") if paths else None
    return section


def prediction(c: dict, w: Words, lab: Lab):
    with gr.Column(scale=4, min_width=300, elem_id="sec-prediction") as section:
        choices = [(title(n), n) for n in lab.models] or [(K("digits.model.none"), "")]
        control(c, w, "model", choices=choices, value=choices[0][1], interactive=bool(lab.models))
        c["summary"] = gr.Markdown(elem_id="digit-summary")
        c["seen"] = w.add(input_view(K("digits.seen.label"), elem_id="digit-seen"), label="digits.seen.label")
    return section


def row_by_row(c: dict, w: Words, lab: Lab):
    with gr.Column(elem_id="sec-row-by-row") as section:
        w.add(gr.Markdown(K("digits.section.row_by_row")), value="digits.section.row_by_row")
        with gr.Row():
            control(c, w, "t")
            with gr.Column(scale=1, min_width=120):
                c["play"] = w.add(gr.Button(K("digits.play"), size="sm", variant="primary", elem_id="digit-play"),
                                  value="digits.play")
                c["stop"] = w.add(gr.Button(K("digits.stop"), size="sm", elem_id="digit-stop"), value="digits.stop")
        c["caption"] = gr.Markdown(elem_id="digit-caption")
        with gr.Row():
            c["rows"] = w.add(input_view(K("digits.rows.label"), elem_id="digit-rows"), label="digits.rows.label")
            c["probs"] = w.add(gr.Label(label=K("digits.probs.label"), num_top_classes=5, elem_id="digit-probs"),
                               label="digits.probs.label")
            # a column as wide as the views beside it (VIEW_CLASS), with what the confidence means
            # for a network reading both ways under the map (hidden otherwise)
            with gr.Column(scale=1, min_width=160, elem_classes=[VIEW_CLASS]):
                c["confidence"] = w.add(hover_heatmap(i18n.t("digits.confidence.label"), elem_id="digit-confidence",
                                                      height=280), label="digits.confidence.label")
                c["confidence_note"] = gr.Markdown(visible=False, elem_id="digit-confidence-note")
        control(c, w, "order")
        w.add(gr.Markdown(K("digits.maps.help")), value="digits.maps.help")
        maps(c, w, lab)
    return section


def maps(c: dict, w: Words, lab: Lab) -> None:
    """h and the gate maps, three a row, so each is shown ~2.5x its size: one screen pixel per
    unit is too thin to hover or click.  The first row: h and the first two gates; then the rest.
    A network reading both ways: these are its forward direction's, the backward one's under
    them (digit-h-backward, digit-panel-K-backward), each group under its heading."""
    model = lab.models[lab.default] if lab.models else None
    first = views.PANELS.get(model.cell, []) if model else []
    both = bool(model) and model.directions == 2   # shown from the start only if the first model reads both ways
    keys = [f"digits.panel.{p[0]}" for p in first]   # the switch names the maps shown before a drawing
    labels = [i18n.t(k) for k in keys] + [i18n.t("digits.panel.other", k=k)
                                          for k in range(len(first), views.MAX_PANELS)]
    for direction in ("forward", "backward"):
        back = direction == "backward"
        end, prefix = ("-backward", "back_") if back else ("", "")
        shown = both or not back
        c[f"dir_{direction}"] = gr.Markdown(visible=both, elem_id=f"digit-dir-{direction}")
        with gr.Row():
            c["hmap_back" if back else "hmap"] = hover_heatmap(i18n.t("digits.hmap.label"), elem_id=f"digit-h{end}",
                                                               visible=shown)
            for k in range(2):
                c[f"{prefix}panels.{k}"] = hover_heatmap(labels[k], elem_id=f"digit-panel-{k}{end}",
                                                         visible=shown and k < len(first))
        with gr.Row():
            for k in range(2, views.MAX_PANELS):
                c[f"{prefix}panels.{k}"] = hover_heatmap(labels[k], elem_id=f"digit-panel-{k}{end}",
                                                         visible=shown and k < len(first))
    w.add(c["hmap"], label="digits.hmap.label")
    for k, key in enumerate(keys):
        w.add(c[f"panels.{k}"], label=key)


def compare(c: dict, w: Words):
    """Every model's confidence over time on this drawing, one map each (controls.MODEL_NAMES)."""
    with gr.Column(elem_id="sec-compare") as section:
        w.add(gr.Markdown(K("digits.section.compare")), value="digits.section.compare")
        with gr.Row(elem_id="digit-compare"):
            for name, n in zip(COMPARE, MODEL_NAMES):
                c[name] = hover_heatmap(title(n), elem_id=f"digit-compare-{n}")
            # a model the page opened in the lens ("Open in the lens", the Train tab): shown then
            c[COMPARE[-1]] = hover_heatmap("", elem_id="digit-compare-yours", visible=False)
    return section


def why_rows(c: dict, w: Words, lab: Lab):
    with gr.Accordion(K("digits.why_rows.title"), open=True, elem_id="sec-why-rows") as section:
        w.add(gr.Markdown(K("digits.why_rows.help")), value="digits.why_rows.help")
        c["influence"] = w.add(gr.HTML("", label=K("digits.influence.label"), elem_id="row-influence",
                                       show_label=True, container=True, padding=True), label="digits.influence.label")
        with gr.Row():
            curves = views.influence_curves(lab.lookups) if lab.lookups else None
            c["curves"] = w.add(gr.LinePlot(curves, x="row", y="mean |dz/d row|", color=views.curves_color(),
                                            height=330, min_width=320,  # a phone: the summary under it; the legend fits
                                            color_map=CELL_COLOURS, label=K("digits.curves.label"),
                                            x_title=i18n.t("digits.curves.x", i18n.DEFAULT),
                                            y_title=i18n.t("digits.curves.y", i18n.DEFAULT), elem_id="digit-curves"),
                                label="digits.curves.label", x_title="digits.curves.x", y_title="digits.curves.y")
            c["curves_text"] = gr.Markdown(views.influence_summary(lab.lookups) if lab.lookups else "")
    return section


def why_unit(c: dict, w: Words, lab: Lab):
    with gr.Accordion(K("digits.why_unit.title"), open=True, elem_id="sec-why-unit") as section:
        with gr.Row():
            control(c, w, "unit", maximum=max((m.hidden for m in lab.models.values()), default=1) - 1)
            c["unit_caption"] = gr.Markdown(scale=4)
        with gr.Row():
            # the plots' tooltips show their axis titles, and the colour column's name
            c["unit_rows"] = w.add(gr.LinePlot(x="row", y="value", color=views.unit_rows_color(), height=300,
                                               color_map=STATE_COLOURS, label=K("digits.unit_rows.label"),
                                               elem_id="digit-unit-rows", x_title=i18n.t("digits.unit_rows.x"),
                                               y_title=i18n.t("digits.unit_rows.y")),
                                   label="digits.unit_rows.label", x_title="digits.unit_rows.x",
                                   y_title="digits.unit_rows.y")
            c["unit_profile"] = w.add(gr.BarPlot(x="class", y="mean final h", height=300,
                                                 label=K("digits.unit_profile.label"),
                                                 x_title=i18n.t("digits.unit_profile.x"),
                                                 y_title=i18n.t("digits.unit_profile.y")),
                                      label="digits.unit_profile.label", x_title="digits.unit_profile.x",
                                      y_title="digits.unit_profile.y")
        c["unit_thumbs"] = w.add(heat_image(K("digits.unit_thumbs.label"), height=170),
                                 label="digits.unit_thumbs.label")
    return section


def why_whatif(c: dict, w: Words, lab: Lab):
    with gr.Accordion(K("digits.why_whatif.title"), open=True, elem_id="sec-why-whatif") as section:
        with gr.Row():
            control(c, w, "ablate")
            c["ablate_unit"] = w.add(gr.Button(K("digits.ablate_unit"), size="sm", scale=1,
                                               elem_id="digit-ablate-unit"), value="digits.ablate_unit")
            c["top_k"] = gr.Number(5, label="k", precision=0, minimum=1, scale=1)
            c["ablate_top"] = w.add(gr.Button(K("digits.ablate_top"), size="sm", scale=2), value="digits.ablate_top")
        with gr.Row():
            gates = lab.models[lab.default].gate_names if lab.models else ()
            control(c, w, "gate", choices=gate_choices(gates))
            control(c, w, "gate_value")
            control(c, w, "from_row")
            control(c, w, "blank_rows")
            c["reset"] = w.add(gr.Button(K("digits.reset"), size="sm", scale=1), value="digits.reset")
        c["difference"] = gr.Markdown(elem_id="digit-difference")
        with gr.Row():
            c["edited_final"] = w.add(gr.Label(label=K("digits.edited_final.label"), num_top_classes=3),
                                      label="digits.edited_final.label")
            c["edited_confidence"] = w.add(hover_heatmap(i18n.t("digits.edited_confidence.label"),
                                                         elem_id="digit-edited-confidence"),
                                           label="digits.edited_confidence.label")
    return section


def why_trajectory(c: dict, w: Words, lab: Lab):
    with gr.Accordion(K("digits.why_trajectory.title"), open=True, elem_id="sec-why-trajectory") as section:
        # the picker says what is true of its model (demo.digits.model_words): a page's own model's digits
        c["trajectory_help"] = w.add(gr.Markdown(K("digits.trajectory.help")), value="digits.trajectory.help")
        # the class clouds, sent once as CSS: the path's HTML then only names its model's (and a
        # model the page opens in the lens adds its own: demo.digits.events.TabUI.offer)
        c["clouds"] = gr.HTML(f"<style>{views.cloud_css(lab.lookups)}</style>", padding=False)
        c["trajectory"] = gr.HTML("", elem_id="digit-trajectory")
    return section


def explain(c: dict, w: Words, lab: Lab):
    with gr.Accordion(K("digits.explain.title"), open=False, elem_id="sec-explain") as section:
        c["explain"] = gr.Markdown(explain_markdown(lab.models[lab.default]) if lab.models else "",
                                   latex_delimiters=LATEX, elem_id="digit-explain")
    return section
