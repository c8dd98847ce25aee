"""See each step: the generated text traced once (``analyse``), then the step, the unit and the
state looked at, each re-rendered from the kept trace.  Pure handlers (no gradio): each takes the
``Lab``, its inputs and the page's language, and answers ``{output name: value}``
(``demo.answers``); each fills exactly one of the output groups below (the tests check).

    out = analyse(lab, Written("lstm", "ROMEO:\\n"), text, "h", 0, 1, None)   # out["coloured"] ...
    out = step(out["trace_state"], 7, "c", 25, lang="zh-CN")
"""
from __future__ import annotations

from dataclasses import dataclass

from demo.answers import SKIP, Update, skip_all
from demo.text import analysis, limits, units, views
from demo.text.analysis import TextTrace
from demo.text.heatmap import heatmap_value
from demo.text.lab import Lab

# The output groups (names of demo.text.page's components)
UNITS = ("unit_pick", "units_table", "which", "unit")
TRACE = ("trace_state", "coloured", "t", "step_view", "hmap")
ANALYSIS = TRACE + UNITS          # after a generation, and after another model is picked
STEP = ("step_view", "hmap")
COLOUR = ("coloured", "hmap")
PICK = ("which", "unit", *COLOUR)
CLICK = ("t", "span_start", "span_end")
CLICK_UNIT = ("unit", *COLOUR)


@dataclass(frozen=True)
class Written:
    """What wrote the text in the output box (kept in a gr.State: the seed box may change after)."""
    model: str
    seed: str


def step_range(n: int, t=1) -> Update:
    """The step slider over a text of n characters at step t (gradio wants maximum > minimum: a
    1-character text gets 1..2, clamped by the handlers)."""
    return Update(minimum=1, maximum=max(n, 2), value=t)


def clamp_step(t, n: int) -> int:
    """The step t (1-based; None or 0 = the first) within a text of n characters."""
    return min(max(int(t or 1), 1), n)


def cleared() -> dict:
    """The trace's views emptied (no text, or the trace was another model's)."""
    return {"trace_state": None, "coloured": "", "t": step_range(0), "step_view": "", "hmap": None}


def show_units(lab: Lab, name, lang: str = "en") -> dict:
    """The units list of model `name` (found now if needed), its table, and the h/c radio and
    unit number set to the first unit."""
    found = lab.units(name)[0]
    first = found[0] if found else units.Unit("", "", "h", 0, 0.0)
    m = lab.loaded(name)
    return {"unit_pick": Update(choices=lab.unit_choices(name, lang), value=first.key if found else None),
            "units_table": lab.units_table_html(name, lang),
            "which": Update(choices=["h", "c"] if m.cell == "lstm" else ["h"], value=first.state_name),
            "unit": Update(value=first.unit, maximum=m.hidden - 1)}


def switch(lab: Lab, name, lang: str = "en") -> dict:
    """Another model: its units, and the step views cleared (the trace was the other model's)."""
    return {**show_units(lab, name, lang), **cleared()}


def analyse(lab: Lab, written: Written | None, text, which, unit, t, picked, lang: str = "en") -> dict:
    """After generation (or Stop): trace the text once (kept in a gr.State) and show step t.
    Until a unit has been picked, the first unit worth looking at is shown (found now if needed)."""
    if written is None or not text:
        return {**cleared(), **skip_all(UNITS)}
    m = lab.loaded(written.model)
    trace = analysis.trace_text(m, written.seed, text)
    shown_units = skip_all(UNITS)
    if not picked:
        shown_units = show_units(lab, written.model, lang)
        found = lab.units(written.model)[0]
        if found:
            which, unit = found[0].state_name, found[0].unit
    which = which if trace.has(which) else "h"
    unit = min(int(unit or 0), m.hidden - 1)
    t = clamp_step(t, len(text))
    return {"trace_state": trace, "coloured": views.unit_html(trace, which, unit, lang),
            "t": step_range(len(text), t), "step_view": views.step_html(trace, t, lang=lang),
            "hmap": heatmap_value(trace, which, t, unit, lang=lang), **shown_units}


def step(trace: TextTrace | None, t, which, unit, lang: str = "en") -> dict:
    """The step slider moved: re-render from the kept trace."""
    if trace is None:
        return {"step_view": "", "hmap": None}
    return {"step_view": views.step_html(trace, t, lang=lang),
            "hmap": heatmap_value(trace, which, t, int(unit or 0), lang=lang)}


def recolour(lab: Lab, trace: TextTrace | None, which, unit, t, lang: str = "en") -> dict:
    """Another unit or state: recolour the text and move the heatmap's unit marker."""
    if trace is None:
        return {"coloured": "", "hmap": None}
    m = lab.loaded(trace.model)
    which = limits.check_state(which if trace.has(which) else "h", m.cell)
    unit = limits.check_unit(unit, m.hidden)
    return {"coloured": views.unit_html(trace, which, unit, lang),
            "hmap": heatmap_value(trace, which, t, unit, lang=lang)}


def pick(lab: Lab, choice, trace: TextTrace | None, t, lang: str = "en") -> dict:
    """A unit from the 'worth looking at' list ("c:25"): set the h/c radio and the unit too."""
    if not choice:
        return skip_all(PICK)
    which, unit = choice.split(":")
    return {"which": which, "unit": int(unit), **recolour(lab, trace, which, int(unit), t, lang)}


def click(index) -> dict:
    """A character clicked in the coloured text (its 1-based step): move the step slider there.
    A span dragged over (index [first, last]): fill the select-and-match span."""
    if isinstance(index, (list, tuple)):
        a, b = (int(i) for i in index[:2])
        return {"t": SKIP, "span_start": a, "span_end": b}
    return {"t": int(index), "span_start": SKIP, "span_end": SKIP}


def click_unit(lab: Lab, trace: TextTrace | None, which, t, index, lang: str = "en") -> dict:
    """A cell of the heatmap clicked (index [unit, step]): open that unit."""
    try:
        unit = int(index[0])
    except (TypeError, ValueError, IndexError):
        unit = None
    if trace is None or unit is None or not 0 <= unit < trace.acts("h").shape[1]:
        return skip_all(CLICK_UNIT)
    return {"unit": unit, **recolour(lab, trace, which, unit, t, lang)}
