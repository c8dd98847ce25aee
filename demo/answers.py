"""What a pure handler answers, without gradio: ``{output name: value}`` where a value may also be
``SKIP`` (leave that output as it is) or ``Update(...)`` (change its properties, and maybe its
value).  The tab's events turn them into gradio's ``gr.skip()`` / ``gr.update()``
(``demo.ui_common.to_gradio``).  Both pickle, so a worker process can answer with them.

    from demo.answers import SKIP, Update
    {"caption": "row 3", "panel.0": Update(value=v, label="gate i", visible=True), "reading": SKIP}
"""
from __future__ import annotations


class _Skip:
    """Leave the output as the page shows it."""
    _one = None

    def __new__(cls):
        if cls._one is None:
            cls._one = super().__new__(cls)
        return cls._one

    def __reduce__(self):
        return (_Skip, ())

    def __repr__(self) -> str:
        return "SKIP"


SKIP = _Skip()


class Update(dict):
    """New properties of an output (``value``, ``label``, ``visible``, ``choices`` ...), as
    gradio's ``gr.update(**props)``."""

    def __init__(self, **props):
        super().__init__(props)

    def __repr__(self) -> str:
        return f"Update({dict.__repr__(self)})"


def skip_all(names) -> dict:
    """Every output in ``names`` left as it is."""
    return dict.fromkeys(names, SKIP)


def value_of(answer):
    """The value an answer sets (an Update's ``value``; None for SKIP or an Update without one)."""
    if answer is SKIP:
        return None
    if isinstance(answer, Update):
        return answer.get("value")
    return answer
