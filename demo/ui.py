"""The Gradio app: a "Digits" tab (draw a digit, watch a recurrent network read it row by row)
and a "Text" tab.  This is the only module that imports gradio; everything it shows is computed
by ``demo.views``, ``demo.render`` and ``demo.explain``.

    python app.py                                  # http://127.0.0.1:7860
    from demo.ui import build_app, launch
    demo = build_app(weights_dir=None)             # gr.Blocks, built but not launched
    launch(demo, port=7861, prevent_thread_lock=True)

API: ``/classify`` takes a Sketchpad value ({"background", "layers", "composite"}) or one image
file and returns {"label", "model", "confidences"}; see README.md.
"""
import functools
import logging
import os
from pathlib import Path

import gradio as gr

from demo import render, views
from demo.checkpoint import WeightsError
from demo.digits import DigitModel, load_digit_model
from demo.explain import explain_markdown
from demo.preprocess import EMPTY_MESSAGE

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = ROOT / "examples"
MODEL_NAMES = ("lstm", "gru", "rnn")
CANVAS = 420                    # px; the brush is canvas/14 wide, like a pen stroke on MNIST's 28 px
BRUSH_COLOUR = "#3b82f6"        # must be #rrggbb (the canvas reads hex); visible on light and dark
PLAY_INTERVAL = 0.3             # s per row when animating
MAX_FILE_SIZE = "10mb"          # uploads above this are refused by the server before any decoding
QUEUE = dict(default_concurrency_limit=2, max_size=64)  # 2 CPU cores; beyond 64 waiting: "queue full"
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
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
CSS = """
.heat img { image-rendering: pixelated; object-fit: contain; padding-top: 26px; box-sizing: border-box; }
#hint { color: var(--body-text-color-subdued); }
"""


def friendly(fn):
    """Handler wrapper: ValueError -> gr.Error(message); anything unexpected is logged here and the
    user sees a short apology, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, WeightsError) as e:
            raise gr.Error(str(e), print_exception=False) from None
        except Exception:
            log.exception("handler %s failed", fn.__name__)
            raise gr.Error("Something went wrong; please try again "
                           "(the details are in the server log).", print_exception=False) from None
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


def load_models(weights_dir=None) -> tuple[dict[str, DigitModel], list[str]]:
    """Every digit model whose weights exist, and a message for each one that could not load."""
    return load_available({n: views.title(n) for n in MODEL_NAMES}, load_digit_model, weights_dir)


# ---------------------------------------------------------------------------------------------
# Digits tab: handlers (plain methods; the tests call them directly)

class DigitsHandlers:
    """Event handlers over the loaded models.  ``draw``, ``pick`` and ``upload`` return values
    for ``DRAWING_OUTPUTS`` (state, hint, final, summary, seen, compare x 3; ``pick`` adds the
    explain text, ``upload`` puts the canvas first); ``step`` returns ``step_updates``."""

    def __init__(self, models: dict[str, DigitModel]):
        self.models = models
        self.default = next(iter(models), None)

    def _model(self, name):
        return name if name in self.models else self.default

    def draw(self, value, name):
        """A stroke, an upload or an example: analyse the drawing with every model."""
        name = self._model(name)
        if name is None:
            return self.blank("No digit model is loaded (see the message at the top).")
        try:
            state = views.analyse(self.models, name, value)
        except ValueError as e:
            if str(e) == EMPTY_MESSAGE:  # cleared canvas: a hint, not an error popup
                return self.blank(str(e))
            raise
        return self.show(state)

    def upload(self, path, name):
        """Upload button: analyse the file itself (clear messages for bad files), then show it on
        the canvas so strokes can be added on top."""
        out = self.draw(path, name)
        shown = {"background": path, "layers": [], "composite": path} if out[0] is not None else None
        return [shown] + out

    def pick(self, state, name):
        """Model picker: retrace the current drawing (no preprocessing) and explain the cell."""
        name = self._model(name)
        if name is None:
            return self.blank("No digit model is loaded.") + [""]
        explain = explain_markdown(self.models[name])
        if state is None:
            return self.blank(EMPTY_MESSAGE) + [explain]
        return self.show(views.retrace(self.models, state, name)) + [explain]

    def step(self, state, t):
        """Slider move, or after any of the above: render step t from the cached trace."""
        if state is None:
            return step_updates(None)
        return step_updates(views.step_views(state, int(t)))

    @staticmethod
    def show(state) -> list:
        d = views.drawing_views(state)
        return [state, gr.Markdown(visible=False), d.final, d.summary, png(d.seen),
                *compare_updates(d.compare)]

    @staticmethod
    def blank(hint: str) -> list:
        return [None, gr.Markdown(f"✏️ {hint}", visible=True), None, "", None, *compare_updates([])]

    def classify(self, image: dict | None, model: str | None = None) -> dict:
        """Classify a digit: `image` is an image file (handle_file) or a Sketchpad value
        {"background", "layers", "composite"}; `model` is "lstm", "gru" or "rnn" (default: the
        first loaded).  Returns {"label", "model", "confidences": [{"label", "confidence"}]}."""
        return views.classify(self.models, model or self.default, views.api_image(image))


png = render.fast_png_image  # PNG encoding is most of the time per stroke: the fast zlib level


def step_updates(v: views.StepViews | None) -> list:
    """StepViews -> values for: caption, rows, probs, h, panel x MAX_PANELS, confidence."""
    if v is None:
        return ["", None, None, None] + [gr.Image(value=None, visible=False)] * views.MAX_PANELS + [None]
    panels = [gr.Image(value=png(img), label=label, visible=True) for label, img in v.panels]
    panels += [gr.Image(value=None, visible=False)] * (views.MAX_PANELS - len(panels))
    return [v.caption, png(v.rows), v.probs, png(v.h), *panels, png(v.confidence)]


def compare_updates(compare: list) -> list:
    out = [gr.Image(value=png(img), label=caption, visible=True) for caption, img in compare]
    return out + [gr.Image(value=None, visible=not compare)] * (len(MODEL_NAMES) - len(compare))


# ---------------------------------------------------------------------------------------------
# Digits tab: layout

def heat_image(label: str, height: int | None = None, visible: bool = True) -> gr.Image:
    """An output image shown pixel-exact: PNG (the default webp blurs cells), scaled up by the
    browser with nearest neighbour (CSS image-rendering: pixelated)."""
    return gr.Image(label=label, format="png", interactive=False, buttons=[], height=height,
                    elem_classes=["heat"], visible=visible)


def drawing_column():
    """Canvas, upload button and examples.  Returns (sketchpad, upload button, examples)."""
    pad = gr.Sketchpad(
        label="Draw a digit (0-9)", elem_id="digit-pad",
        type="numpy", image_mode="RGBA", canvas_size=(CANVAS, CANVAS), fixed_canvas=True,
        brush=gr.Brush(default_size=CANVAS // 28, colors=[BRUSH_COLOUR], color_mode="fixed"),
        eraser=gr.Eraser(default_size=CANVAS // 14), sources=(), layers=False, transforms=(),
        format="png", height=CANVAS + 120)
    upload = gr.UploadButton("Upload a picture of a digit", file_types=["image"], type="filepath",
                             size="sm", variant="secondary")
    paths = sorted(EXAMPLES_DIR.glob("digit_*.png"))
    examples = gr.Examples([[str(p)] for p in paths], inputs=[pad], label="Or pick a drawn example",
                           examples_per_page=10, api_visibility="private") if paths else None
    return pad, upload, examples


def build_digits_tab(models: dict[str, DigitModel], problems: list[str]) -> None:
    h = DigitsHandlers(models)
    if problems:
        gr.Markdown("\n\n".join(problems))
    state = gr.State(None)  # the analysed drawing: input + traces, so the slider never reruns a model
    with gr.Row():
        with gr.Column(scale=5):
            pad, upload, examples = drawing_column()
        with gr.Column(scale=4):
            choices = [(views.title(n), n) for n in models] or [("none loaded", "")]
            radio = gr.Radio(choices, value=choices[0][1], label="Model", interactive=bool(models))
            hint = gr.Markdown(f"✏️ {EMPTY_MESSAGE}", elem_id="hint")
            final = gr.Label(label="Prediction after all 28 rows", num_top_classes=3)
            summary = gr.Markdown()
            seen = heat_image("What the model sees: 28×28, one row per step", height=300)

    gr.Markdown("## Row by row")
    with gr.Row():
        t = gr.Slider(1, views.STEPS, value=views.STEPS, step=1, scale=8,
                      label="Step t: rows read so far")
        with gr.Column(scale=1, min_width=120):
            play = gr.Button("▶ Play", size="sm", variant="primary")
            stop = gr.Button("■ Stop", size="sm")
    caption = gr.Markdown()
    with gr.Row():
        rows = heat_image("Input: row t highlighted, later rows not read yet", height=280)
        probs = gr.Label(label="Class probabilities after row t", num_top_classes=5)
        confidence = heat_image("Confidence over time: classes × steps (green: settled)", height=280)
    with gr.Row():
        hmap = heat_image("h: hidden state, units × steps", height=300)
        panels = [heat_image(f"panel {k}", height=300, visible=False) for k in range(views.MAX_PANELS)]

    gr.Markdown("## Compare the three cells on this drawing")
    with gr.Row():
        compare = [heat_image(views.title(n), height=200) for n in MODEL_NAMES]
    with gr.Accordion("Explain: the equations and the tensor shapes", open=True):
        explain = gr.Markdown(explain_markdown(models[h.default]) if models else "",
                              latex_delimiters=LATEX)

    step_outputs = [caption, rows, probs, hmap, *panels, confidence]
    drawing_outputs = [state, hint, final, summary, seen, *compare]
    quiet = dict(show_progress="hidden", trigger_mode="always_last", api_visibility="private")
    step = friendly(h.step)

    def then_step(event):
        # A separate event, so it reads the slider as it is when the analysis is done (the user
        # may have moved it meanwhile) and the state the analysis just stored.
        return event.then(step, [state, t], step_outputs, **quiet)

    then_step(pad.change(friendly(h.draw), [pad, radio], drawing_outputs, **quiet))
    pad.clear(None, js=SELECT_BRUSH)  # the editor drops the brush on clear: pick it again
    then_step(upload.upload(friendly(h.upload), [upload, radio], [pad] + drawing_outputs, **quiet)).then(
        None, js=SELECT_BRUSH)
    if examples is not None:  # loading an example sets the canvas without a change event
        then_step(examples.load_input_event.then(friendly(h.draw), [pad, radio], drawing_outputs,
                                                 **quiet)).then(None, js=SELECT_BRUSH)
    then_step(radio.change(friendly(h.pick), [state, radio], drawing_outputs + [explain], **quiet))
    t.change(step, [state, t], step_outputs, **quiet)
    wire_player(t, play, stop)
    gr.api(friendly(h.classify), api_name="classify")


def wire_player(t: gr.Slider, play: gr.Button, stop: gr.Button) -> None:
    """Play: a timer moves the slider one row per tick (the slider's change re-renders)."""
    timer = gr.Timer(PLAY_INTERVAL, active=False)

    def start(step):
        return (1 if step >= views.STEPS else step), gr.Timer(active=True)

    def tick(step):
        step = min(int(step) + 1, views.STEPS)
        return step, gr.Timer(active=step < views.STEPS)

    hidden = dict(show_progress="hidden", api_visibility="private")
    play.click(start, [t], [t, timer], **hidden)
    stop.click(lambda: gr.Timer(active=False), None, [timer], **hidden)
    timer.tick(tick, [t], [t, timer], **hidden)


# ---------------------------------------------------------------------------------------------
# Text tab

def build_text_tab(weights_dir=None):
    """The Text tab lives in demo/ui_text.py; imported here so the digits code never needs it."""
    from demo.ui_text import build_text_tab as build
    return build(weights_dir)


# ---------------------------------------------------------------------------------------------
# App

def build_app(weights_dir=None) -> gr.Blocks:
    """The whole app, not launched.  Loads weights/digits_*.safetensors (or weights_dir)."""
    models, problems = load_models(weights_dir)
    # Every stroke writes a dozen small PNGs to gradio's cache: hourly, drop those over 2 h old.
    with gr.Blocks(title="RNN Lens", analytics_enabled=False, delete_cache=(3600, 7200)) as demo:
        demo.load(None, js=SELECT_BRUSH)
        gr.Markdown("# RNN Lens\nSee inside recurrent networks: draw a digit and watch an LSTM, "
                    "GRU or plain RNN read it one row at a time, or let a character-level LSTM "
                    "write Shakespeare one letter at a time.")
        with gr.Tabs():
            with gr.Tab("Digits"):
                build_digits_tab(models, problems)
            with gr.Tab("Text"):
                build_text_tab(weights_dir)
    demo.queue(**QUEUE)
    return demo


def launch(demo: gr.Blocks, host: str | None = None, port: int | None = None, **kwargs):
    """Serve ``demo``: host/port from the arguments, else GRADIO_SERVER_NAME/PORT, else
    127.0.0.1:7860.  Extra keyword arguments go to ``Blocks.launch`` (e.g. prevent_thread_lock)."""
    host = host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = port if port is not None else int(os.environ.get("GRADIO_SERVER_PORT") or 7860)
    return demo.launch(server_name=host, server_port=port, max_file_size=MAX_FILE_SIZE,
                       show_error=False, ssr_mode=False, css=CSS, **kwargs)
