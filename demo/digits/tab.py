"""The Digits tab: draw a digit (or upload one) and watch a recurrent network read it row by row.
Layout and handlers only: the analysis is ``demo.digits.analysis``, the pictures and captions
``demo.digits.views``, the equations ``demo.digits.explain``.

Handlers are plain methods returning ``{component: value}`` (Gradio's own pattern), so adding a
panel means adding it to one output group; the tests call them without a server:

    tab = DigitsTab(models)
    with gr.Blocks():
        tab.layout()
    out = tab.draw(image, "lstm")          # out[tab.final] is the prediction

API: ``/classify`` takes a Sketchpad value ({"background", "layers", "composite"}) or one image
file and returns {"label", "model", "confidences"}; see README.md.
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from demo.digits import analysis, views
from demo.digits.analysis import STEPS, DigitAnalysis, title
from demo.digits.explain import explain_markdown
from demo.digits.model import DigitModel, load_digit_model
from demo.digits.preprocess import EMPTY_MESSAGE
from demo.ui_common import LATEX, QUIET, friendly, heat_image, load_available, png

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = ROOT / "examples"
MODEL_NAMES = ("lstm", "gru", "rnn")
CANVAS = 420                    # px; the brush is canvas/28 wide, like a pen stroke on MNIST's 28 px
BRUSH_COLOUR = "#3b82f6"        # must be #rrggbb (the canvas reads hex); visible on light and dark
PLAY_INTERVAL = 0.3             # s per row when animating
CSS = "#hint { color: var(--body-text-color-subdued); }\n"
# The canvas opens with no tool selected (Gradio 6.31), so strokes would do nothing until the
# user found the brush: select it once the editor is ready, and again after an example loads.
SELECT_BRUSH = """() => {
  const pick = (tries) => {
    const b = document.querySelector('#digit-pad button[aria-label="Brush"]');
    if (b && b.classList.contains('highlight')) return;
    if (b) b.click();
    if (tries > 0) setTimeout(() => pick(tries - 1), 250);
  };
  pick(40);
}"""


def load_models(weights_dir=None) -> tuple[dict[str, DigitModel], list[str]]:
    """Every digit model whose weights exist, and a message for each one that could not load."""
    return load_available({n: title(n) for n in MODEL_NAMES}, load_digit_model, weights_dir)


class DigitsTab:
    """The tab's components (made by ``layout``), its events (``wire``) and its handlers."""

    def __init__(self, models: dict[str, DigitModel], problems: list[str] = ()):
        self.models = models
        self.problems = list(problems)
        self.default = next(iter(models), None)

    # -- layout ---------------------------------------------------------------------------------
    def layout(self) -> None:
        if self.problems:
            gr.Markdown("\n\n".join(self.problems))
        # The analysed drawing (DigitAnalysis): the slider re-renders from it without a model run.
        self.analysis = gr.State(None)
        with gr.Row():
            with gr.Column(scale=5):
                self.pad = gr.Sketchpad(
                    label="Draw a digit (0-9)", elem_id="digit-pad",
                    type="numpy", image_mode="RGBA", canvas_size=(CANVAS, CANVAS), fixed_canvas=True,
                    brush=gr.Brush(default_size=CANVAS // 28, colors=[BRUSH_COLOUR], color_mode="fixed"),
                    eraser=gr.Eraser(default_size=CANVAS // 14), sources=(), layers=False, transforms=(),
                    format="png", height=CANVAS + 120)
                self.upload_button = gr.UploadButton("Upload a picture of a digit", file_types=["image"],
                                                     type="filepath", size="sm", variant="secondary")
                paths = sorted(EXAMPLES_DIR.glob("digit_*.png"))
                self.examples = gr.Examples(
                    [[str(p)] for p in paths], inputs=[self.pad], label="Or pick a drawn example",
                    examples_per_page=10, api_visibility="private") if paths else None
            with gr.Column(scale=4):
                choices = [(title(n), n) for n in self.models] or [("none loaded", "")]
                self.model = gr.Radio(choices, value=choices[0][1], label="Model",
                                      interactive=bool(self.models))
                self.hint = gr.Markdown(f"✏️ {EMPTY_MESSAGE}", elem_id="hint")
                self.final = gr.Label(label="Prediction after all 28 rows", num_top_classes=3)
                self.summary = gr.Markdown()
                self.seen = heat_image("What the model sees: 28×28, one row per step", height=300)

        gr.Markdown("## Row by row")
        with gr.Row():
            self.t = gr.Slider(1, STEPS, value=STEPS, step=1, scale=8, label="Step t: rows read so far")
            with gr.Column(scale=1, min_width=120):
                self.play = gr.Button("▶ Play", size="sm", variant="primary")
                self.stop = gr.Button("■ Stop", size="sm")
        self.caption = gr.Markdown()
        with gr.Row():
            self.rows = heat_image("Input: row t highlighted, later rows not read yet", height=280)
            self.probs = gr.Label(label="Class probabilities after row t", num_top_classes=5)
            self.confidence = heat_image("Confidence over time: classes × steps (green: settled)", height=280)
        with gr.Row():
            self.hmap = heat_image("h: hidden state, units × steps", height=300)
            self.panels = [heat_image(f"panel {k}", height=300, visible=False)
                           for k in range(views.MAX_PANELS)]

        gr.Markdown("## Compare the three cells on this drawing")
        with gr.Row():
            self.compare = [heat_image(title(n), height=200) for n in MODEL_NAMES]
        with gr.Accordion("Explain: the equations and the tensor shapes", open=True):
            self.explain = gr.Markdown(explain_markdown(self.models[self.default]) if self.models else "",
                                       latex_delimiters=LATEX)

    # The output groups: each handler fills exactly one of these (tests check the keys).
    @property
    def drawing_outputs(self) -> list:
        return [self.analysis, self.hint, self.final, self.summary, self.seen, *self.compare]

    @property
    def step_outputs(self) -> list:
        return [self.caption, self.rows, self.probs, self.hmap, *self.panels, self.confidence]

    # -- events ---------------------------------------------------------------------------------
    def wire(self, app: gr.Blocks) -> None:
        quiet = dict(trigger_mode="always_last", **QUIET)
        step = friendly(self.step)

        def then_step(event):
            # A separate event, so it reads the slider as it is when the analysis is done (the
            # user may have moved it meanwhile) and the analysis just stored.
            return event.then(step, [self.analysis, self.t], self.step_outputs, **quiet)

        app.load(None, js=SELECT_BRUSH)
        then_step(self.pad.change(friendly(self.draw), [self.pad, self.model], self.drawing_outputs, **quiet))
        self.pad.clear(None, js=SELECT_BRUSH)  # the editor drops the brush on clear: pick it again
        then_step(self.upload_button.upload(friendly(self.upload), [self.upload_button, self.model],
                                            [self.pad, *self.drawing_outputs], **quiet)).then(
            None, js=SELECT_BRUSH)
        if self.examples is not None:  # loading an example sets the canvas without a change event
            then_step(self.examples.load_input_event.then(
                friendly(self.draw), [self.pad, self.model], self.drawing_outputs, **quiet)).then(
                None, js=SELECT_BRUSH)
        then_step(self.model.change(friendly(self.pick), [self.analysis, self.model],
                                    [*self.drawing_outputs, self.explain], **quiet))
        self.t.change(step, [self.analysis, self.t], self.step_outputs, **quiet)
        self.wire_player()
        gr.api(friendly(self.classify), api_name="classify")

    def wire_player(self) -> None:
        """Play: a timer moves the slider one row per tick (the slider's change re-renders)."""
        timer = gr.Timer(PLAY_INTERVAL, active=False)

        def start(t):
            return {self.t: 1 if t >= STEPS else t, timer: gr.Timer(active=True)}

        def tick(t):
            t = min(int(t) + 1, STEPS)
            return {self.t: t, timer: gr.Timer(active=t < STEPS)}

        hidden = dict(show_progress="hidden", api_visibility="private")
        self.play.click(start, [self.t], [self.t, timer], **hidden)
        self.stop.click(lambda: gr.Timer(active=False), None, [timer], **hidden)
        timer.tick(tick, [self.t], [self.t, timer], **hidden)

    # -- handlers -------------------------------------------------------------------------------
    def _name(self, name) -> str | None:
        return name if name in self.models else self.default

    def draw(self, value, name) -> dict:
        """A stroke, an upload or an example: analyse the drawing with every model."""
        name = self._name(name)
        if name is None:
            return self.blank("No digit model is loaded (see the message at the top).")
        try:
            a = analysis.analyse(self.models, name, value)
        except ValueError as e:
            if str(e) == EMPTY_MESSAGE:  # cleared canvas: a hint, not an error popup
                return self.blank(str(e))
            raise
        return self.show(a)

    def upload(self, path, name) -> dict:
        """Upload button: analyse the file itself (clear messages for bad files), then show it on
        the canvas so strokes can be added on top."""
        out = self.draw(path, name)
        shown = path if out[self.analysis] is not None else None
        return {**out, self.pad: {"background": shown, "layers": [], "composite": shown} if shown else None}

    def pick(self, a: DigitAnalysis | None, name) -> dict:
        """Model picker: retrace the current drawing (no preprocessing) and explain the cell."""
        name = self._name(name)
        if name is None:
            return {**self.blank("No digit model is loaded."), self.explain: ""}
        explain = {self.explain: explain_markdown(self.models[name])}
        if a is None:
            return {**self.blank(EMPTY_MESSAGE), **explain}
        return {**self.show(analysis.retrace(self.models, a, name)), **explain}

    def step(self, a: DigitAnalysis | None, t) -> dict:
        """Slider move, or after any of the above: render step t from the stored analysis."""
        if a is None:
            hidden = gr.Image(value=None, visible=False)
            return {self.caption: "", self.rows: None, self.probs: None, self.hmap: None,
                    **{p: hidden for p in self.panels}, self.confidence: None}
        v = views.step_views(a, int(t))
        panels = [gr.Image(value=png(img), label=label, visible=True) for label, img in v.panels]
        panels += [gr.Image(value=None, visible=False)] * (len(self.panels) - len(panels))
        return {self.caption: v.caption, self.rows: png(v.rows), self.probs: v.probs,
                self.hmap: png(v.h), **dict(zip(self.panels, panels)), self.confidence: png(v.confidence)}

    def show(self, a: DigitAnalysis) -> dict:
        d = views.drawing_views(a)
        return {self.analysis: a, self.hint: gr.Markdown(visible=False), self.final: d.final,
                self.summary: d.summary, self.seen: png(d.seen), **self._compare(d.compare)}

    def blank(self, hint: str) -> dict:
        return {self.analysis: None, self.hint: gr.Markdown(f"✏️ {hint}", visible=True), self.final: None,
                self.summary: "", self.seen: None, **self._compare([])}

    def _compare(self, compare: list) -> dict:
        shown = [gr.Image(value=png(img), label=caption, visible=True) for caption, img in compare]
        shown += [gr.Image(value=None, visible=not compare)] * (len(self.compare) - len(compare))
        return dict(zip(self.compare, shown))

    def classify(self, image: dict | None, model: str | None = None) -> dict:
        """Classify a digit: `image` is an image file (handle_file) or a Sketchpad value
        {"background", "layers", "composite"}; `model` is "lstm", "gru" or "rnn" (default: the
        first loaded).  Returns {"label", "model", "confidences": [{"label", "confidence"}]}."""
        return analysis.classify(self.models, model or self.default, analysis.api_image(image))


def build(app: gr.Blocks, weights_dir=None) -> DigitsTab:
    """Add the Digits tab's components and events to the current Blocks/Tab context."""
    tab = DigitsTab(*load_models(weights_dir))
    tab.layout()
    tab.wire(app)
    return tab
