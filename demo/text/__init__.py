"""The Text tab's package: a character-level RNN writes Shakespeare one character at a time.

    model.py   CharRNN (training) and CharModel (generate, stream, loss, states) + load_char_model
    views.py   pure rendering: coloured characters, top-k bars, heatmaps
    tab.py     the Gradio tab: layout and handlers (the only gradio module here)

    from demo.text import load_char_model
"""
from demo.text.model import (MAX_LENGTH, CharModel, CharRNN, Step, TextStates, Vocab, load_char_model,
                             mean_nll)

__all__ = ["MAX_LENGTH", "CharModel", "CharRNN", "Step", "TextStates", "Vocab", "load_char_model", "mean_nll"]
