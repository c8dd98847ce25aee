"""The Digits tab's package: a recurrent network reads a drawn digit one row per step.

    model.py       DigitRNN (training) and DigitModel (predict, trace) + load_digit_model
    preprocess.py  to_mnist: any picture or pad value -> MNIST's 28x28, step by step
    pictures.py    read_picture: a file, PIL image or array -> float array (checked, upright)
    marks.py       the ink in a picture or photo, and whether it looks like one digit
    pad_ink.py     the drawing pad's "ink-v1" value: checked, decoded, built
    sketches.py    script-drawn digits (tests, examples, training augmentation)
    analysis.py    pure: one drawing -> a frozen DigitAnalysis (every model run once)
    views.py       pure rendering: captions, images and label dicts for each step
    directions.py  pure: a network reading both ways (BiLSTM) in words: units, rows, titles, notes
    reading_views.py  pure: how a picture was read, as HTML and as one strip
    explain.py     the equations and tensor shapes of the chosen cell
    api.py         the /classify coroutine (uploads read off the event loop)
    The tab, in four rooms:
    controls.py    the tab's state as one table of fields (links, the page's controls, Copy link)
    handlers.py    pure handlers: (analysis, Controls, lang) -> {output name: value}
    drawing.py     pure: the pad's lanes (live, pen-up) and what the drawing worker computes
    page.py        the layout, one function per section (gradio)
    events.py      the wiring and build() -> TabUI, what the app assembles (gradio)
    worker.py      the drawing analysed in a second process;  ink_link.py: a drawing in a link

    from demo.digits import load_digit_model, to_mnist
"""
from demo.digits.model import (CLASSES, CONFIGS, DigitModel, DigitRNN, DigitTrace, build_model,
                               load_digit_model, model_args)
from demo.digits.pictures import EMPTY_MESSAGE
from demo.digits.preprocess import to_mnist

__all__ = ["CLASSES", "CONFIGS", "DigitModel", "DigitRNN", "DigitTrace", "EMPTY_MESSAGE", "build_model",
           "load_digit_model", "model_args", "to_mnist"]
