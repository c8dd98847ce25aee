"""The Digits tab's state as one table (``demo.fields``): the model, the step, the unit looked at,
the unit order, the edit (ablated units, a clamped gate from a row, blanked rows) and the drawing
(an example digit or the pad's ink).  Links, the page's controls, its hidden copy of them, lesson
presets and "Copy link" are all made from ``TABLE``.  Pure (no gradio: each ``component`` is called
by the page with the gradio module and ``ui_common.K``; keyword arguments override its settings).

    from demo.digits.controls import TABLE, Controls
    c = TABLE.decode({"model": "gru", "t": "10", "ablate": "3,17,40-42"})
    c.ablate, c.gate                     # (3, 17, 40, 41, 42), None
    TABLE.encode(c)                      # [("model", "gru"), ("t", "10"), ("ablate", "3,17,40-42")]
    TABLE.page(c)["ablate"]              # "3, 17, 40-42": what the textbox shows
    from_copy({"t": 9, "gate": "none"})  # the page's hidden copy of the controls -> Controls

Values are checked with generous bounds (a unit up to MAX_UNIT); the model's own limits (its
hidden size, its gates) are checked when a link is applied (``demo.digits.events``) or when a
handler runs (``demo.digits.handlers``).
"""
from __future__ import annotations

from demo.checks import choice, number, shown, whole
from demo.digits.analysis import STEPS, title
from demo.digits.ink_link import check_ink
from demo.digits.interventions import ABLATE, BLANK_ROWS, GATE_NAMES, format_ranges, parse_numbers
from demo.digits.units import ORDERS
from demo.errors import Text, UserError
from demo.fields import Field, Table
from demo.lens_models import is_lens_name

MODEL_NAMES = ("lstm", "gru", "rnn", "bilstm", "peephole")
GATES = tuple(GATE_NAMES)       # i f g o (LSTM), r z n (GRU): the model says which it has
NO_GATE = "none"                # the gate dropdown's "no clamp"
EXAMPLE_DIGITS = tuple(str(d) for d in range(10))   # examples/digit_N.png
MAX_UNIT = 4095                 # a link's bound; the model's hidden size is checked where it is known


def numbers(lo: int, hi: int, what: Text):
    """A Field's check of a list of numbers: "3, 17, 40-42" (a link's "3,17,40-42", the
    textbox's text), a list of whole numbers, or None -> a sorted tuple of distinct ints lo..hi."""
    def check(value) -> tuple[int, ...]:
        if value is None or value == "":
            return ()
        if isinstance(value, str):
            return parse_numbers(value, lo, hi, what)
        if not isinstance(value, (list, tuple)):
            raise UserError("digits.error.numbers_format", what=what, value=shown(value))
        return parse_numbers(", ".join(map(_whole_text, value)), lo, hi, what)
    return check


def _whole_text(v) -> str:
    """A list's item as parse_numbers reads it: a whole number (10.0 counts), else its repr (refused)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v):
        return repr(v)
    return str(int(v))


def check_gate(value) -> str | None:
    """None (no clamp: None, "" or the dropdown's "none") or one of the cells' gates."""
    if value in (None, "", NO_GATE):
        return None
    return choice(GATES, Text("digits.name.gate"))(value)


def check_model(value) -> str:
    """A shipped model's name ("lstm" when empty), or that of a model its page opened in the lens
    (demo.lens_models: whether this page has it is the handlers' to say)."""
    if is_lens_name(value):
        return value
    return choice(MODEL_NAMES, Text("digits.name.model"), empty="lstm")(value)


def check_together(c) -> None:
    """One drawing: an example digit or the pad's ink, not both."""
    if c.digit is not None and c.ink is not None:
        raise UserError("digits.error.two_drawings")


def _kw(defaults: dict, overrides: dict) -> dict:
    return {**defaults, **overrides}


def _model_radio(gr, K, **kw):
    # the page narrows the choices to the models loaded (kw)
    return gr.Radio(**_kw(dict(choices=[(title(n), n) for n in MODEL_NAMES], value="lstm",
                               label=K("digits.model.label"), elem_id="digit-model"), kw))


def _gate_dropdown(gr, K, **kw):
    # the page gives the choices of the first model's gates (kw)
    return gr.Dropdown(**_kw(dict(choices=[(K("digits.gate.none"), NO_GATE)], value=NO_GATE,
                                  label=K("digits.gate.label"), scale=2, elem_id="digit-gate"), kw))


TABLE = Table("digits", [
    Field("model", "model", "lstm", check=check_model,
          component=_model_radio, example="gru"),
    Field("t", "t", STEPS, check=whole(1, STEPS, Text("digits.name.t"), empty=STEPS),
          component=lambda gr, K, **kw: gr.Slider(1, STEPS, **_kw(dict(
              value=STEPS, step=1, scale=8, label=K("digits.t.label"), elem_id="digit-t"), kw)),
          example="10"),
    Field("unit", "unit", 0, check=whole(0, MAX_UNIT, Text("digits.name.unit"), empty=0),
          # the page sets the largest unit of the models loaded (kw: maximum)
          component=lambda gr, K, **kw: gr.Number(0, **_kw(dict(
              label=K("digits.unit.label"), precision=0, minimum=0, scale=1, elem_id="digit-unit"), kw)),
          example="5"),
    Field("order", "order", "index", check=choice(tuple(ORDERS), Text("digits.name.order"), empty="index"),
          component=lambda gr, K, **kw: gr.Radio([(K(f"digits.order.{k}"), k) for k in ORDERS], **_kw(dict(
              value="index", label=K("digits.order.label")), kw)),
          example="influence"),
    Field("ablate", "ablate", (), check=numbers(0, MAX_UNIT, ABLATE),
          component=lambda gr, K, **kw: gr.Textbox("", **_kw(dict(
              label=K("digits.ablate.label"), placeholder=K("digits.ablate.placeholder"), scale=3,
              elem_id="digit-ablate"), kw)),
          url=lambda v: format_ranges(v, ","), shown=lambda v: format_ranges(v, ", "), example="3,17,40-42"),
    Field("gate", "gate", None, check=check_gate, component=_gate_dropdown,
          url=lambda v: v or "", shown=lambda v: v or NO_GATE, example="f"),
    Field("gate_value", "gv", 1.0, check=number(0.0, 1.0, Text("digits.name.gate_value")),
          component=lambda gr, K, **kw: gr.Slider(0, 1, **_kw(dict(
              value=1.0, step=0.05, label=K("digits.gate_value.label"), scale=2), kw)),
          example="0.2"),
    Field("from_row", "from", 1, check=whole(1, STEPS, Text("digits.name.from_row"), empty=1),
          component=lambda gr, K, **kw: gr.Slider(1, STEPS, **_kw(dict(
              value=1, step=1, label=K("digits.from_row.label"), scale=2), kw)),
          example="10"),
    Field("blank_rows", "blank", (), check=numbers(1, STEPS, BLANK_ROWS),
          component=lambda gr, K, **kw: gr.Textbox("", **_kw(dict(
              label=K("digits.blank_rows.label"), placeholder=K("digits.blank_rows.placeholder"), scale=2), kw)),
          url=lambda v: format_ranges(v, ","), shown=lambda v: format_ranges(v, ", "), example="1-5,20"),
    # the drawing: not a control of its own (the pad shows it)
    Field("digit", "digit", None, check=lambda v: None if v in (None, "") else
          choice(EXAMPLE_DIGITS, Text("digits.name.digit"))(str(v)), example="3"),
    Field("ink", "ink", None, check=check_ink, url=lambda v: "" if v is None else _encode(v),
          example="AQgIeNpjYIAC_g-oGAoAQBwD_Q"),
], together=check_together, module=__name__)
Controls = TABLE.Controls
CONTROLS = tuple(f.name for f in TABLE.components)   # the fields the page shows as a control


def _encode(ink) -> str:
    from demo.digits.ink_link import encode_ink
    return encode_ink(ink)


def from_copy(value):
    """The page's hidden copy of the controls ({name: the component's value}, kept by the page's
    js: ``demo.digits.events``) -> Controls.  Input from outside, checked: a UserError names a
    bad field; a field missing or None (a box left empty) keeps its default."""
    if value is None:
        return TABLE.default
    if not isinstance(value, dict):
        raise UserError("digits.error.controls_object", value=shown(value))
    unknown = [k for k in value if k not in CONTROLS]
    if unknown:
        raise UserError("app.error.unknown_field", tab=TABLE.tab, name=str(unknown[0])[:40])
    return TABLE.check({k: v for k, v in value.items() if v is not None})
