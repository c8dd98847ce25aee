"""The Text tab's package: a character-level RNN writes Shakespeare, or Tang poems, one character
at a time.

    model.py     CharRNN (training) and CharModel (generate, stream, loss, states) + load_char_model
    limits.py    every input limit (MAX_LENGTH, MAX_TEMPERATURE, ...) and the one check of each
    analysis.py  a text traced (TextTrace), scored (TextScore) or sampled at several temperatures
    units.py     text features, their correlation with hidden units, the units file
    views.py     rendering only: coloured characters, top-k bars, asking why (no model, no gradio)
    heatmap.py   the units × steps heatmap, its characters underneath (wide ones too)
    writer.py    generation in a worker process (Stop cancels a text there)
    tang.py      a Tang poem's form (five or seven characters a line, four or eight lines), markers, rhyme
    poems.py     a whole poem from a Tang model: its form marker drawn, a seed or an acrostic forced

  The tab, in four rooms:
    controls.py  the tab's state as one table (URL key, default, check, component per field)
    lab.py       the loaded models and what is found once about each (units, lookups)
    corpus.py    Shakespeare or the Tang poems: each one's models, seed and boxes, the radio
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
