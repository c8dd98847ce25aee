"""The Text tab's package: a character-level RNN writes Shakespeare one character at a time.

    model.py     CharRNN (training) and CharModel (generate, stream, loss, states) + load_char_model
    limits.py    every input limit (MAX_LENGTH, MAX_TEMPERATURE, ...) and the one check of each
    analysis.py  a text traced (TextTrace), scored (TextScore) or sampled at several temperatures
    units.py     text features, their correlation with hidden units, the units file
    views.py     rendering only: coloured characters, top-k bars, heatmaps (no model, no gradio)
    writer.py    generation in a worker process (Stop cancels a text there)

  The tab, in four rooms:
    controls.py  the tab's state as one table (URL key, default, check, component per field)
    lab.py       the loaded models and what is found once about each (units, lookups)
    steps.py, why.py, handlers.py   the pure handlers: {output name: value}
    page.py      the layout, one function per section (gradio); text.css its phone rules
    events.py    the wiring and build() -> TabUI, what the app assembles the page with (gradio)

    from demo.text import load_char_model
"""
from demo.text.limits import MAX_LENGTH, MAX_SEED, MAX_TEMPERATURE
from demo.text.model import (MODEL_KEYS, CharModel, CharRNN, Step, TextStates, Vocab, build_net,
                             load_char_model, mean_nll)

__all__ = ["MAX_LENGTH", "MAX_SEED", "MAX_TEMPERATURE", "MODEL_KEYS", "CharModel", "CharRNN", "Step",
           "TextStates", "Vocab", "build_net", "load_char_model", "mean_nll"]
