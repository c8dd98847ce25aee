"""RNN Lens: see inside recurrent networks.

One package per tab over the shared parts; every import points down (app -> tabs -> shared):

    app.py         the Gradio app: assembles the tabs (TABS), opening a link, the language switch
    links.py       links that reopen a view, made from the tabs' tables of controls
    digits/        the Digits tab, in four rooms: controls, handlers (+ drawing), page, events
    text/          the Text tab, in four rooms: controls, handlers (+ steps, why), page, events
    train/         the training library under the Train tab: Run (settings, data, tasks, gradients, saving)
    fields.py      a tab's state as one table of fields (URL key, default, check, component)
    checks.py      the fields' shared checks; errors.py: messages by key (UserError, Text)
    answers.py     what pure handlers return besides values (SKIP, Update)
    lessons.py     lesson presets and the tour's steps; i18n/: the words in both languages
    ui_*.py        the UI's shared parts: handler wrappers, words, the tour, the heatmap, serving
    cells.py       hand-written RNN/GRU/LSTM cells that step one input at a time
    checkpoint.py  safetensors + JSON weights I/O (strict loading)
    render.py      numpy -> RGB images and heat values for the views
    runtime.py     process-wide torch settings (configure_torch)

Only ``app.py``, the ``ui_*.py`` modules and each tab's ``page``, ``events``, ``pad`` and
``input_view`` import gradio (tests/test_house.py checks).
"""
