"""A drawing, analysed: the pad's two lanes and what the drawing worker computes.  Pure (no
gradio); ``demo.digits.events`` wires the lanes, ``demo.digits.worker`` runs ``drawing``,
``first`` and ``rest`` in a second process.

    from demo.digits.drawing import live, pen_up_first, pen_up_rest, drawing
    out = live(lab, value, controls, before, picture, "en")       # the pad's "change"
    out = pen_up_first(lab, value, controls, before, picture)     # the pad's "submit" ...
    out = pen_up_rest(lab, out["analysis"], value, picture, controls)   # ... then the rest
    out = drawing(lab, value, controls)     # every view at once (a link's drawing, the tests)

The pad sends a value at most every 100 ms while the pen moves (``"drawing": True``) as a
"change", and one more as it lifts (and for Undo and Clear), which also goes out as a "submit".
The live lane (one preview at a time for the whole server) leaves pen-ups to the submit lane,
waits LIVE_BACKOFF before a preview while other handlers run (under load previews thin out, the
answers do not), and drops a preview that a later pen-up of its page overtook.  While the pen is
down the row influence is the chosen cell's only and the unit's drill-down and the reading strip
wait; the pen-up answers in two parts (``handlers.FIRST_OUTPUTS``, then the rest).
"""
from __future__ import annotations

import time

from demo.answers import SKIP, skip_all
from demo.digits import analysis, views
from demo.digits.analysis import DigitAnalysis
from demo.digits.controls import TABLE
from demo.digits.handlers import (ALL_OUTPUTS, FIRST_OUTPUTS, REST_OUTPUTS, UNIT_OUTPUTS, Lab, blank,
                                  intervention, reading_for, shown, shown_below, step, step_rows, step_why,
                                  unit_answer)
from demo.digits.pad_ink import pad_id_ok, seq_ok
from demo.digits.pictures import EMPTY
from demo.digits.worker import WORK, WorkerBusy
from demo.errors import UserError
from demo.i18n import t as text

LIVE_BACKOFF = 0.2            # s a live preview waits while other handlers run
URGENT_HERE_UP_TO = 2         # handlers running (a live preview and the pen-up's own): the server is free


def numbered(value) -> bool:
    """A value the pad sent itself: it says which pad, and its place in that pad's sequence."""
    return isinstance(value, dict) and pad_id_ok(value.get("pad")) and seq_ok(value.get("seq"))


def pen_up(value) -> bool:
    """A value the pad sent as the pen lifted (or for Undo/Clear): it goes out as "submit" too."""
    return numbered(value) and value.get("drawing") is not True


def moving(value) -> bool:
    """A value sent while the pen is down."""
    return isinstance(value, dict) and value.get("drawing") is True


def routed(lab: Lab, name: str, *args, urgent: bool = False) -> dict:
    """``name(lab, *args)`` (one of WORK), in the worker process when there is one and it is
    ready.  ``urgent`` (the pen-up's first part): not behind a live preview the worker is still
    computing (~40 ms) when nothing else runs on the server: then it is computed here, on the
    other core.  Under load the worker takes it, as everything else.  A model the page opened in
    the lens (``lab.own``) goes with the call: the worker builds it once and keeps it a while."""
    if name not in WORK:
        raise ValueError(f"the drawing is computed by {', '.join(WORK)}, not {name!r}")
    w = lab.worker
    here = w is None or (urgent and w.busy and lab.running() <= URGENT_HERE_UP_TO)
    out = None if here else w.call(name, *args, **({"own": lab.own} if lab.own is not None else {}))
    return globals()[name](lab, *args) if out is None else out


# -- the lanes -----------------------------------------------------------------------------------

def live(lab: Lab, value, c, before: DigitAnalysis | None = None, picture=None, lang: str = "en") -> dict:
    """The pad's "change": a value sent while the pen moves, or one set from Python (an example,
    an upload, a link).  A pen-up is left to the submit lane; a preview that a later pen-up of
    its page overtook is dropped, so it cannot land on top of the final answer.  Fills
    ALL_OUTPUTS."""
    if pen_up(value):
        return skip_all(ALL_OUTPUTS)
    if moving(value) and lab.running() > 1:
        # Others are being answered (a pen-up, a classify, a generate): this lane runs one
        # preview at a time for the whole server, so waiting here thins the previews out and
        # leaves the CPU to the answers.  Alone on the server, no wait.
        time.sleep(LIVE_BACKOFF)
    try:
        out = routed(lab, "drawing", value, c, before, picture, lang)
    except WorkerBusy:     # a preview can wait for the pen-up
        return skip_all(ALL_OUTPUTS)
    if numbered(value) and lab.pen_ups.overtaken(value["pad"], value["seq"]):
        return skip_all(ALL_OUTPUTS)
    return out


def pen_up_first(lab: Lab, value, c, before: DigitAnalysis | None = None, picture=None, lang: str = "en") -> dict:
    """The pad's "submit" (the pen lifted, or Undo, Clear): the answer's first part, the
    prediction and the row-by-row views.  Fills FIRST_OUTPUTS; ``pen_up_rest`` follows."""
    if numbered(value):
        lab.pen_ups.lifted(value["pad"], value["seq"])
    return routed(lab, "first", value, c, before, picture, lang, urgent=True)


def pen_up_rest(lab: Lab, a: DigitAnalysis | None, value=None, picture=None, c=None, lang: str = "en") -> dict:
    """After ``pen_up_first``: the rest of the pen-up's answer, from the analysis it left (and the
    step, order and unit as they are now).  Fills REST_OUTPUTS."""
    return routed(lab, "rest", a, value, picture, c or TABLE.default, lang)


# -- what is computed (here or in the worker) ----------------------------------------------------

def drawing(lab: Lab, value, c, before: DigitAnalysis | None = None, picture=None, lang: str = "en",
            complete: bool = False) -> dict:
    """A stroke, an upload, an example or a link's drawing: analyse it with every model and
    render every view.  ``before``: the previous analysis (None: a first drawing); ``complete``:
    every view as for a first drawing.  Fills ALL_OUTPUTS."""
    return _analysed(lab, value, c, before, picture, lang, complete)


def first(lab: Lab, value, c, before: DigitAnalysis | None = None, picture=None, lang: str = "en") -> dict:
    """The pen-up's first part, from an analysis without row influence (``rest`` adds it).
    Every view is sent as for a first drawing: the two lanes answer in any order, so ``before``
    (and what the page shows) may not be the last live answer."""
    out = _analysed(lab, value, c, before, picture, lang, complete=True, first_part=True)
    return {k: v for k, v in out.items() if k in FIRST_OUTPUTS}


def rest(lab: Lab, a: DigitAnalysis | None, value=None, picture=None, c=None, lang: str = "en") -> dict:
    """The pen-up's second part: every model's row influence is added here.  The analysis state
    is left as the first part set it: a live answer of the next drawing may have replaced it
    since (influence is added again wherever it is shown)."""
    c = c or TABLE.default
    if a is None:  # the pad was blank (Clear): so is everything below
        out = blank(lab, "", lang)
        return {k: out[k] for k in REST_OUTPUTS}
    a = analysis.with_influence(lab.models, a)
    return {**shown_below(a, views.drawing_views(a, lang), True, lang), **step_why(lab, a, c.t, lang),
            **unit_answer(lab, a, c.unit, lang), "reading": reading_for(a, value, picture, lang)}


def _analysed(lab: Lab, value, c, before, picture, lang, complete=False, first_part=False) -> dict:
    name = lab.name(c.model)
    if name is None:
        return blank(lab, text("digits.error.no_model", lang), lang)
    iv = intervention(lab, name, c)
    pen_down = moving(value)
    try:
        a = analysis.analyse(lab.models, name, value, iv, before=before,
                             influence="none" if first_part else "current" if pen_down else "all")
    except UserError as e:
        if e.key == EMPTY:  # a cleared pad: a hint, not an error popup
            return blank(lab, e.text(lang), lang)
        raise
    refresh = complete or before is None or before.name != name
    d = views.drawing_views(a, lang)
    if first_part:  # the views further down are the second part's (``rest``)
        return {**shown(a, d, refresh), **step_rows(lab, a, c.t, c.order, refresh, lang)}
    out = {**shown(a, d, refresh), **shown_below(a, d, refresh, lang), **step(lab, a, c, lang, refresh)}
    if refresh:  # a first drawing or another model: everything at once
        out.update(unit_answer(lab, a, c.unit, lang), reading=reading_for(a, value, picture, lang))
    elif pen_down:
        # The page must keep up with the pen (~10 updates a second, each laid out again by the
        # browser): the unit's drill-down (its plots are the browser's slowest views) and the
        # reading strip wait for the pen to lift.
        out.update(skip_all((*UNIT_OUTPUTS, "reading")))
    else:
        # Pen up: the unit's views follow the drawing too.  Its looked-up profile and
        # thumbnails do not depend on the drawing, so they are not sent again.
        out.update(unit_answer(lab, a, c.unit, lang, colour=False), unit_profile=SKIP, unit_thumbs=SKIP,
                   reading=reading_for(a, value, picture, lang))
    return out
