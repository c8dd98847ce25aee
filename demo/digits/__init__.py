"""The Digits tab's package: a recurrent network reads a drawn digit one row per step.

    model.py       DigitRNN (training) and DigitModel (predict, trace) + load_digit_model
    preprocess.py  to_mnist: any picture or pad value -> MNIST's 28x28
    sketches.py    script-drawn digits (tests, examples, training augmentation)
    analysis.py    pure: one drawing -> a frozen DigitAnalysis (every model run once)
    views.py       pure rendering: captions, images and label dicts for each step
    explain.py     the equations and tensor shapes of the chosen cell
    tab.py         the Gradio tab: layout and handlers (the only gradio module here)

    from demo.digits import load_digit_model, to_mnist
"""
from demo.digits.model import (CLASSES, CONFIGS, DigitModel, DigitRNN, DigitTrace, build_model,
                               load_digit_model, model_args)
from demo.digits.preprocess import EMPTY_MESSAGE, to_mnist

__all__ = ["CLASSES", "CONFIGS", "DigitModel", "DigitRNN", "DigitTrace", "EMPTY_MESSAGE", "build_model",
           "load_digit_model", "model_args", "to_mnist"]
