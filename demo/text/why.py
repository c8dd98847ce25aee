"""Asking the network why: how far back a prediction looks (connectivity), one unit (its value
along the text, top contexts, feature correlations), select and match, interventions while
generating, and sampling made visible.  Pure handlers (no gradio), as ``demo.text.steps``: each
answers ``{output name: value}`` and fills exactly one output group below.  What a view showed is
kept (``conn_shown``, ``match_shown``, ``edit_shown``) so that the language switch can write it
again without running the model (``demo.text.handlers.relanguage``).
"""
from __future__ import annotations

import time

import numpy as np

from demo import i18n
from demo.answers import SKIP, Update
from demo.errors import Text, UserError
from demo.text import analysis, corpus, interventions, limits, matching, units, views
from demo.text.analysis import TextTrace
from demo.text.lab import Lab, conn_colours, model_label, series_name
from demo.text.steps import Written, clamp_step
from demo.text.tang import POEM_END

EDIT_LENGTH = 1_000             # characters per side in the side-by-side generation

CONNECT = ("conn_view", "conn_plot", "conn_shown")
DRILL = ("unit_plot", "unit_contexts", "unit_features")
MATCH = ("match_view", "match_shown")
EDIT = ("edit_summary", "plain_text", "edited_text", "edit_shown")
EXAMPLE = ("clamp", "ablate")
SAMPLING = ("sampling_view",)


# -- how far back it looks --------------------------------------------------------------------

def connectivity_views(lab: Lab, text: str, position: int, name: str, lang: str = "en") -> dict:
    """Tint `text` for the prediction of text[position] by `name`; the plot: each loaded model
    on the same text (where it knows every character) and the over-data means."""
    conn = lab.loaded(name).connectivity(text, position)   # (position,): |d log p / d x_j|
    curves = []  # (model, "text" | "mean", connectivity by distance)
    compared = lab.conn_models(name)   # the models of the same corpus
    for other in compared:
        try:
            c = conn if other == name else lab.models[other].connectivity(text, position)
        except ValueError:  # a character the other model does not know
            continue
        curves.append((other, "text", c[::-1]))
    for other in compared:
        lk = lab.lookups(other)
        if lk is not None:
            curves.append((other, "mean", lk.conn_mean))
    shown = (text, position, conn, name, curves)
    return {**connectivity_shown(lab, shown, lang), "conn_shown": shown}


def connectivity_shown(lab: Lab, shown, lang: str = "en") -> dict:
    """The tint and the plot of a kept connectivity result (``conn_shown``) in ``lang``."""
    text, position, conn, name, curves = shown
    frame = views.connectivity_frame({series_name(n, k, lang): c for n, k, c in curves}, lang=lang)
    return {"conn_view": views.connectivity_html(text, position, conn, model_label(name, lab.loaded(name), lang),
                                                 lang=lang),
            "conn_plot": Update(value=frame, color_map=conn_colours(lang), color=views.conn_color(lang))}


def connect(lab: Lab, written: Written | None, text, t, lang: str = "en") -> dict:
    """Step t of the generated text: the prediction of its t-th character, from seed + text."""
    if written is None or not text:
        return {"conn_view": "", "conn_plot": SKIP, "conn_shown": None}
    t = clamp_step(t, len(text))
    full = written.seed + text
    position = len(written.seed) + t - 1
    start = max(0, position - limits.MAX_CONNECTIVITY)  # the last MAX_CONNECTIVITY characters at most
    return connectivity_views(lab, full[start:position + 1], position - start, written.model, lang)


def connect_pasted(lab: Lab, text, name, index, lang: str = "en") -> dict:
    """A character of the scored text clicked (data-t: 1-based; a drag: its last character)."""
    text = limits.check_score_text(text)
    index = index[-1] if isinstance(index, (list, tuple)) else index
    position = limits.check_position(int(index) - 1, len(text))
    return connectivity_views(lab, text, position, name, lang)


# -- one unit ---------------------------------------------------------------------------------

def drill(lab: Lab, trace: TextTrace | None, which, unit, lang: str = "en") -> dict:
    """One unit: its value along the text, its top contexts, its feature correlations."""
    if trace is None:
        return {"unit_plot": None, "unit_contexts": "", "unit_features": ""}
    m = lab.loaded(trace.model)
    which = limits.check_state(which if trace.has(which) else "h", m.cell)
    unit = limits.check_unit(unit, m.hidden)
    v = trace.unit_values(which, unit)                     # (n,)
    features = units.feature_set(units.corpus_of(m))     # the features of the model's corpus
    feats = units.text_features(trace.text, units.corpus_of(m))
    names = list(features)
    r_text = units.correlate(np.stack([feats[k] for k in names], 1), v[:, None])[:, 0] if len(v) > 2 else None
    lk = lab.lookups(trace.model)
    if lk is None:
        ctx = f"<p>{views.esc(i18n.t('text.contexts.none', lang))}</p>"
        r_val = np.full(len(names), np.nan)
    else:
        lim = max(abs(float(lk.unit_max[lk.index(which), unit])), abs(float(lk.unit_min[lk.index(which), unit])),
                  1e-3) if which == "c" else 1.0
        ctx = views.contexts_html(lk.contexts(which, unit), which, unit, lim, lang)
        r_val = lk.correlations(which, unit)
    return {"unit_plot": Update(value=views.unit_frame(v, trace.text, lang),
                                label=i18n.t("text.unit_plot.along", lang, state=which, unit=unit),
                                x_title=i18n.t("text.unit_plot.x", lang), y_title=i18n.t("text.unit_plot.y", lang)),
            "unit_contexts": ctx,
            "unit_features": views.features_html(names, [features[k] for k in names], r_val, r_text, lang)}


# -- select and match -------------------------------------------------------------------------

def _span(trace: TextTrace, start, end) -> tuple[int, int]:
    """The span typed or dragged (1-based steps, end included; 0 or empty: none yet) -> [s, e)."""
    if start in (None, "", 0) or end in (None, "", 0):
        raise UserError("text.error.span_missing")
    n, step = len(trace), Text("text.hint.step")
    s = limits.check_whole(Text("text.name.span_start"), start, 1, n, step) - 1
    return limits.check_span(s, limits.check_whole(Text("text.name.span_end"), end, 1, n, step), n)


def select_match(lab: Lab, trace: TextTrace | None, which, start, end, threshold, lang: str = "en") -> dict:
    """Span (1-based steps, end included) + threshold -> the units on there and their matches."""
    if trace is None:
        raise UserError("text.error.generate_first")
    m = lab.loaded(trace.model)
    which = limits.check_state(which if trace.has(which) else "h", m.cell)
    s, e = _span(trace, start, end)
    threshold = limits.check_threshold(threshold)
    selected = matching.select_units(trace.acts(which), s, e, threshold)
    found, passages, seconds = None, [], 0.0
    val = lab.validation_acts(trace.model) if selected else None
    if val is not None:
        text, acts = val
        t0 = time.perf_counter()
        found = matching.match(acts[which][:-1], [u.unit for u in selected], threshold, e - s)
        seconds = time.perf_counter() - t0
        # run [a, b) of acts[:-1] = the states that chose characters a + 1 .. b of the split
        for a, b in found.passages:
            passages.append((text[max(a + 1 - matching.CONTEXT, 0):a + 1], text[a + 1:b + 1],
                             text[b + 1:b + 1 + matching.CONTEXT]))
    shown = (selected, which, threshold, trace.text[s:e], found, passages, seconds)
    return {"match_view": views.match_html(*shown, lang=lang), "match_shown": shown}


# -- interventions while generating -----------------------------------------------------------

def side_by_side(lab: Lab, seed, length, temperature, top_k, rng_seed, name, clamp_text, ablate_text,
                 lang: str = "en") -> dict:
    """The unedited and the edited model, same seed and settings (at most EDIT_LENGTH each)."""
    m = lab.loaded(name)
    clamp, ablate = interventions.parse_clamp(clamp_text), interventions.parse_units(ablate_text)
    length = min(limits.check_length(length), EDIT_LENGTH)
    poems = corpus.writes_poems(lab.corpus(name))
    if poems:   # from the start of a poem, poem after poem; their lines are counted
        seed = POEM_END + (seed or "")
    lk = lab.lookups(name)
    ll = lk.line_lengths if lk is not None else {}
    usual = (ll.get("p25", 5.0 if poems else 20.0), ll.get("p75", 7.0 if poems else 45.0))
    cmp = interventions.side_by_side(m, seed, length, temperature, top_k, rng_seed, clamp, ablate, usual)
    return {"edit_summary": views.side_by_side_md(cmp, lang), "plain_text": cmp.plain,
            "edited_text": cmp.edited, "edit_shown": cmp}


def worked_example(lab: Lab, name, lang: str = "en") -> dict:
    """Clamp the unit the units file says tracks the position in the line ("column") to its
    value far along a line (its lowest over the validation split when r < 0, else its highest)."""
    found = lab.units(name)[0]
    feature = "line_pos" if corpus.writes_poems(lab.corpus(name)) else "column"   # the poem line's position
    col = next((u for u in found if u.feature == feature), None)
    if col is None:
        raise UserError("text.error.no_column_unit")
    lk = lab.lookups(name)
    if lk is None:
        value = -2.0 if col.r < 0 else 2.0
    else:
        k = lk.index(col.state_name)
        value = float(lk.unit_min[k, col.unit] if col.r < 0 else lk.unit_max[k, col.unit])
    return {"clamp": f"{col.state_name}{col.unit} = {value:.2f}", "ablate": ""}


# -- sampling made visible --------------------------------------------------------------------

def sampling(trace: TextTrace | None, t, temperature, top_k, lang: str = "en") -> dict:
    """Step t's next-character bars before and after temperature and top-k."""
    if trace is None:
        return {"sampling_view": ""}
    t = clamp_step(t, len(trace))
    p = trace.probs[t - 1].astype(np.float64)              # (V,)
    p = p / p.sum()
    q = analysis.reshape(p, temperature, int(top_k or 0))
    return {"sampling_view": views.sampling_html(p, q, trace.vocab, trace.text[t - 1], float(temperature),
                                                 int(top_k or 0), lang=lang)}
