"""The whole Gradio app: a title and the two tabs, each built by its own package
(``demo.digits.tab``, ``demo.text.tab``), then the queue and launch settings.

    python app.py                                  # http://127.0.0.1:7860
    from demo.app import build_app, launch
    demo = build_app(weights_dir=None)             # gr.Blocks, built but not launched
    launch(demo, port=7861, prevent_thread_lock=True)
"""
from __future__ import annotations

import os

import gradio as gr

from demo.digits import tab as digits_tab
from demo.text import tab as text_tab
from demo.ui_common import QUEUE

MAX_FILE_SIZE = "10mb"          # uploads above this are refused by the server before any decoding
CSS = """
.heat img { image-rendering: pixelated; object-fit: contain; padding-top: 26px; box-sizing: border-box; }
""" + digits_tab.CSS + text_tab.CSS
INTRO = ("# RNN Lens\nSee inside recurrent networks: draw a digit and watch an LSTM, GRU or plain "
         "RNN read it one row at a time, or let a character-level LSTM write Shakespeare one letter "
         "at a time.")


def build_app(weights_dir=None) -> gr.Blocks:
    """The whole app, not launched.  Loads the weights from ``weights/`` (or ``weights_dir``)."""
    # Every stroke writes a dozen small PNGs to gradio's cache: hourly, drop those over 2 h old.
    with gr.Blocks(title="RNN Lens", analytics_enabled=False, delete_cache=(3600, 7200)) as demo:
        gr.Markdown(INTRO, elem_id="intro")
        with gr.Tabs():
            with gr.Tab("Digits"):
                digits_tab.build(demo, weights_dir)
            with gr.Tab("Text"):
                text_tab.build(demo, weights_dir)
    demo.queue(**QUEUE)
    return demo


def launch(demo: gr.Blocks, host: str | None = None, port: int | None = None, **kwargs):
    """Serve ``demo``: host/port from the arguments, else GRADIO_SERVER_NAME/PORT, else
    127.0.0.1:7860.  Extra keyword arguments go to ``Blocks.launch`` (e.g. prevent_thread_lock)."""
    host = host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = port if port is not None else int(os.environ.get("GRADIO_SERVER_PORT") or 7860)
    return demo.launch(server_name=host, server_port=port, max_file_size=MAX_FILE_SIZE,
                       show_error=False, ssr_mode=False, css=CSS, **kwargs)
