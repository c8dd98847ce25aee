"""The /classify API: one drawing or picture -> the label and every class's confidence.  Pure of
gradio (the wiring hands the coroutine to ``gr.api``, which reads its signature for the schema).

    from demo.digits.api import classifier
    classify = classifier(models, "lstm")      # models: {name: DigitModel}
    await classify({"format": "ink-v1", ...}, "gru")
    # {"label": "4", "model": "gru", "confidences": [{"label": "4", "confidence": 0.98}, ...]}

Uploads (files, a Sketchpad value's layers, a pad value with a background picture) can be up to
40 MP: they are read in a worker thread, so one large file never holds up the event loop that
answers everyone.  The model itself (~2 ms) runs in the event loop: in a thread each of its GIL
releases would wait up to Python's switch interval for a busy loop (``ui_common.in_event_loop``).
"""
from __future__ import annotations

import anyio.to_thread
import numpy as np
import torch

from demo.digits import analysis
from demo.digits.model import CLASSES, DigitModel
from demo.digits.preprocess import to_mnist


def _quick(value) -> bool:
    """Read at once in the event loop: nothing, or the pad's own ink value without a picture (at
    most 512x512 bytes of base64, well under a millisecond)."""
    return value is None or (isinstance(value, dict) and "format" in value and value.get("background") is None)


def answer(model: DigitModel, name: str, x: np.ndarray) -> dict:
    """x (28, 28) from ``to_mnist`` -> the API answer, in gr.Label's JSON shape (best first)."""
    p = torch.softmax(model.logits(x[None]), dim=-1)[0].numpy()  # (10,)
    ranked = sorted(zip(CLASSES, p.tolist()), key=lambda kv: -kv[1])
    return {"label": ranked[0][0], "model": name,
            "confidences": [{"label": c, "confidence": q} for c, q in ranked]}


def classifier(models: dict[str, DigitModel], default: str | None):
    """The /classify coroutine over the loaded ``models``; ``default`` answers when no model is
    named.  Raises ``ValueError`` (a message for the user) for bad input or an unknown model."""
    async def classify(image: dict | None, model: str | None = None) -> dict:
        """Classify a digit: `image` is the pad's value {"format": "ink-v1", "width", "height",
        "data"}, an image file (handle_file) or a Sketchpad value {"background", "layers",
        "composite"}; `model` is "lstm", "gru" or "rnn" (default: the first loaded).  Returns
        {"label", "model", "confidences": [{"label", "confidence"}]}."""
        value = analysis.api_image(image)
        name = model or default
        chosen = analysis._model(models, name)  # an unknown name is refused before any decoding
        x = to_mnist(value) if _quick(value) else await anyio.to_thread.run_sync(to_mnist, value)
        return answer(chosen, name, x)
    return classify
