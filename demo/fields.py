"""A tab's state as one table: one ``Field`` per control, and from it the tab's frozen
``Controls`` dataclass, its part of a link (encode, decode), the page's copy of the controls and
the lesson presets' values.  A new control is one ``Field`` in its tab's ``controls.py``.
Pure (no gradio: a field's ``component`` is a function of the gradio module, called by the page).

    from demo.fields import Field, Table
    TABLE = Table("digits", module=__name__, fields=[
        Field("t", "t", 28, check=whole(1, 28, Text("digits.t.label")),
              component=lambda gr, K: gr.Slider(1, 28, step=1, label=K("digits.t.label"))),
        ...], together=check_together)
    Controls = TABLE.Controls           # the name it pickles by
    c = TABLE.check({"t": "10"})        # Controls(t=10, ...): every other field at its default
    TABLE.encode(c)                     # [("t", "10")]: the fields not at their default
    TABLE.decode({"t": "10"})           # the same Controls, from URL keys
    TABLE.page(c)                       # {"t": 10, ...}: what each control's component shows
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

from demo.errors import UserError


def _url(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@dataclass(frozen=True)
class Field:
    """One control of a tab's state.

    name: the Controls attribute (and the page component's name); key: its URL key;
    default: its value when a link leaves it out; check: any value (a URL's text, a component's
    value, Python) -> the canonical value, or a UserError; component: ``lambda gr, K: ...``, the
    page's control (None: not a component of the tab, e.g. the drawing); url: canonical -> the
    URL's text; shown: canonical -> the component's value (e.g. (3, 17) -> "3, 17"); example:
    a URL text of a value other than the default, which the tests round-trip through a link and
    the page."""
    name: str
    key: str
    default: Any
    check: Callable[[Any], Any]
    component: Callable | None = None
    url: Callable[[Any], str] = _url
    shown: Callable[[Any], Any] = lambda v: v
    example: str | None = None      # a link's text for a value other than the default (tests and docs)


class Table:
    """The fields of one tab, and its ``Controls`` dataclass (frozen, every field defaulted).
    ``together(controls)`` checks what no single field can (raises UserError naming the key)."""

    def __init__(self, tab: str, fields: list[Field], together: Callable | None = None, module: str = __name__):
        self.tab = tab
        self.fields: dict[str, Field] = {f.name: f for f in fields}
        self.by_key: dict[str, Field] = {f.key: f for f in fields}
        if len(self.fields) != len(fields) or len(self.by_key) != len(fields):
            raise ValueError(f"{tab}: field names and URL keys must be unique")
        self.together = together
        self.Controls = dataclasses.make_dataclass(
            "Controls", [(f.name, Any, dataclasses.field(default=f.default)) for f in fields],
            frozen=True)
        # pickled by name (the workers get Controls): the tab's controls module says
        # ``Controls = TABLE.Controls`` and passes ``module=__name__``
        self.Controls.__module__ = module
        self.default = self.Controls()

    @property
    def components(self) -> list[Field]:
        """The fields the page shows as a control, in the table's order."""
        return [f for f in self.fields.values() if f.component is not None]

    def check(self, values: dict | None = None, base=None):
        """``values`` ({field name: any value}) over ``base`` (default: every default) -> Controls,
        each value checked.  UserError for an unknown field or a bad value."""
        values = values or {}
        unknown = [k for k in values if k not in self.fields]
        if unknown:
            raise UserError("app.error.unknown_field", tab=self.tab, name=str(unknown[0])[:40])
        out = {k: self.fields[k].check(v) for k, v in values.items()}
        controls = dataclasses.replace(base or self.default, **out)
        if self.together is not None:
            self.together(controls)
        return controls

    def decode(self, query: dict):
        """{URL key: text} (only this tab's keys) -> Controls.  UserError on the first bad one."""
        return self.check({self.by_key[k].name: v for k, v in query.items()})

    def decode_partial(self, query: dict):
        """{URL key: text} -> (Controls, the names of the fields set, [UserError]): a bad field stays
        at its default and its problem names its key (``app.link.param``); when the fields'
        joint check fails, every field is at its default."""
        good, problems = {}, []
        for k, v in query.items():
            f = self.by_key[k]
            try:
                good[f.name] = f.check(v)
            except UserError as e:
                problems.append(UserError("app.link.param", param=k, message=e))
        controls = dataclasses.replace(self.default, **good)
        if self.together is not None:
            try:
                self.together(controls)
            except UserError as e:
                return self.default, frozenset(), problems + [e]
        return controls, frozenset(good), problems

    def encode(self, controls) -> list[tuple[str, str]]:
        """[(URL key, text)] of the fields not at their default, in the table's order."""
        return [(f.key, f.url(getattr(controls, f.name))) for f in self.fields.values()
                if getattr(controls, f.name) != f.default]

    def page(self, controls) -> dict:
        """{name: the component's value} of every field the page shows."""
        return {f.name: f.shown(getattr(controls, f.name)) for f in self.components}

    def values(self, controls) -> dict:
        """{name: canonical value} of every field."""
        return {name: getattr(controls, name) for name in self.fields}
