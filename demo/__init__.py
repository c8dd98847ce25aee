"""RNN Lens: see inside recurrent networks.

One package per tab, the shared parts beside them; every import points down (app -> tabs ->
shared):

    app.py         the Gradio app: assembles the tabs, queue and launch settings
    digits/        the Digits tab: model, preprocess, analysis, views, explain, tab
    text/          the Text tab: model, views, tab
    ui_common.py   what both tabs' UI code shares (handler wrappers, model loading, images)
    cells.py       hand-written RNN/GRU/LSTM cells that step one input at a time
    checkpoint.py  safetensors + JSON weights I/O (strict loading)
    render.py      numpy -> RGB images and PNG for the views
    runtime.py     process-wide torch settings (configure_torch)

Only ``app.py``, ``ui_common.py`` and the ``tab.py`` modules import gradio.
"""
