"""The Text tab's handlers for generating, scoring and comparing, the words Python formats, and
the language switch.  Pure (no gradio): each takes the ``Lab``, its inputs and the page's
language and answers ``{output name: value}`` (``demo.answers``); the steps' handlers are in
``demo.text.steps``, asking why in ``demo.text.why``.

    for out in generate(lab, writer, "ROMEO:\\n", 200, 0.8, 0, 7, "lstm"):
        out["generated"]                           # the text so far; out["written"]: what wrote it
    relanguage(lab, "lstm", trace, ..., lang="zh-CN")   # every view again, from what is kept

/generate (streaming) and /score are the public API; see README.md.
"""
from __future__ import annotations

import logging

import numpy as np

from demo import i18n
from demo.answers import SKIP, Update, skip_all
from demo.text import analysis, corpus, limits, poems, steps, views, why
from demo.text.analysis import COMPARE_LENGTH, TEMPERATURES, TextTrace
from demo.text.lab import Lab
from demo.text.steps import Written, clamp_step
from demo.text.tang import MARK_END, POEM_END
from demo.text.writer import WriterUnavailable, texts_so_far

log = logging.getLogger(__name__)

GENERATE = ("generated", "written")
RNG = ("rng_seed",)
SCORE = ("summary", "surprise_view", "score_shown")
COLUMNS = tuple(f"column.{k}" for k in range(len(TEMPERATURES)))
# what the language switch writes again from what is kept (``relanguage``; the app sends static_words)
RELANGUAGE_VIEWS = ("model", "units_table", "unit_pick", "coloured", "step_view", "hmap", *why.DRILL, *why.SAMPLING,
                    "conn_view", "conn_plot", "match_view", "edit_summary", "summary", "surprise_view")
# its inputs, in this order (the page's language last)
RELANGUAGE_INPUTS = ("model", "trace_state", "t", "which", "unit", "samp_temperature", "samp_top_k",
                     "conn_shown", "match_shown", "edit_shown", "score_shown")


# -- generate ---------------------------------------------------------------------------------

def generate(lab: Lab, writer, seed, length, temperature, top_k, rng_seed, model, acrostic=""):
    """Yield the text so far every writer.EVERY seconds and once at the end, with what wrote it
    (kept in a gr.State for the step-by-step view).  With a Writer the text is written in its
    worker process, on the other core; if that worker is unavailable, here.  Closing this
    generator (Stop, or the client gone) cancels the text in the worker.  A model of the Tang
    poems writes one whole poem instead (``poem``: length and top-k are not used)."""
    m = lab.loaded(model)
    if corpus.writes_poems(lab.corpus(model)):
        yield poem(lab, seed, temperature, rng_seed, model, acrostic)
        return
    written = Written(model, seed)
    if writer is not None:
        stream = writer.stream(model, seed, length, temperature, top_k, rng_seed)
        try:
            for text in stream:
                yield {"generated": text, "written": written}
            return
        except WriterUnavailable as e:  # raised before any text: write it here instead
            log.warning("%s; writing in the server process", e)
        finally:
            stream.close()
    # stream() checks every argument (and the seed's characters) before the first character
    chars = m.stream(seed, length, temperature, top_k, rng_seed, n_top=0)
    for text, _ in texts_so_far(chars):
        yield {"generated": text, "written": written}


def poem(lab: Lab, seed, temperature, rng_seed, model, acrostic="") -> dict:
    """One whole poem (demo.text.poems): the form marker the model drew, MARK_END and the poem,
    starting from the user's characters (``seed``) or each line from one of ``acrostic``'s.  It
    is traced from POEM_END, the end of the poem before, where the model starts a poem."""
    p = poems.write(lab.loaded(model), seed, temperature, rng_seed, acrostic or None)
    return {"generated": p.marker + MARK_END + p.text, "written": Written(model, POEM_END)}


def new_rng_seed() -> dict:
    return {"rng_seed": int(np.random.default_rng().integers(0, 2**31))}


# -- surprise and temperature -----------------------------------------------------------------

def score(lab: Lab, text, name, lang: str = "en") -> dict:
    """Pasted text -> the summary and the characters coloured by surprise."""
    s = analysis.score_text(lab.loaded(name), text)
    return {"summary": views.surprise_summary(s.text, s.surprise, lang),
            "surprise_view": views.surprise_html(s.text, s.surprise, lang), "score_shown": s}


def score_api(lab: Lab, text: str, model: str = "lstm") -> dict:
    """How surprising is `text` (2 to 10,000 characters) to `model` ("lstm" or "rnn")?
    Returns {"model", "chars", "nats_per_char", "bits_per_char", "surprise": [−ln p per
    character after the first]}."""
    return analysis.score_text(lab.loaded(model), text).answer()


def compare(lab: Lab, seed, length, top_k, rng_seed, name, acrostic="", lang: str = "en") -> dict:
    """The same seed and random seed at each of TEMPERATURES (at most COMPARE_LENGTH chars); for
    the Tang poems, one poem at each (written together)."""
    m = lab.loaded(name)
    if corpus.writes_poems(lab.corpus(name)):
        jobs = [poems.poem_sampling(m, seed, T, rng_seed, acrostic or None) for T in TEMPERATURES]
        return dict(zip(COLUMNS, (p.marker + MARK_END + p.text for p in poems.write_many(m, jobs))))
    texts = analysis.compare_temperatures(m, seed, length, top_k, rng_seed)
    return dict(zip(COLUMNS, texts))


# -- the language -----------------------------------------------------------------------------

def temperature_help(lang: str = "en") -> str:
    return i18n.t("text.section.temperature", lang, temperatures=", ".join(map(str, TEMPERATURES)),
                  max=COMPARE_LENGTH)


def static_words(lab: Lab, lang: str = "en") -> dict:
    """The tab's words Python formats (numbers in them) and its fixed views, in ``lang``
    (the messages about models that could not load are demo.text.events')."""
    if not lab.models:
        return {}
    return {"length": Update(info=i18n.t("text.length.info", lang, max=limits.MAX_LENGTH)),
            "temperature": Update(info=i18n.t("text.temperature.info", lang, max=limits.MAX_TEMPERATURE)),
            "corpus": corpus.radio_words(lab, lang),
            "temperature_md": temperature_help(lang),
            "match_help": i18n.t("text.why_match.help", lang, margin=limits.MATCH_MARGIN),
            "conn_words": views.connectivity_words(lab.data_summaries(lang), lang),
            "conn_legend": views.connectivity_legend(lab.legend_colours(lang), lang),
            **{c: Update(label=i18n.t("text.column.label", lang, t=T)) for c, T in zip(COLUMNS, TEMPERATURES)}}


def _trace_views(lab: Lab, trace: TextTrace, t, which, unit, samp_temperature, samp_top_k, lang) -> dict:
    t = clamp_step(t, len(trace))
    unit = int(unit or 0)
    which = which if trace.has(which) else "h"
    return {"coloured": views.unit_html(trace, which, unit, lang), **steps.step(trace, t, which, unit, lang),
            **why.drill(lab, trace, which, unit, lang), **why.sampling(trace, t, samp_temperature, samp_top_k, lang)}


def relanguage(lab: Lab, model, trace: TextTrace | None, t, which, unit, samp_temperature, samp_top_k,
               conn_shown, match_shown, edit_shown, score_shown, lang: str = "en") -> dict:
    """The language switch: every view Python wrote, again in ``lang``, from what is kept
    (no model runs, except the cheap drill-down and bars); empty views stay as they are."""
    out = skip_all(RELANGUAGE_VIEWS)
    name = trace.model if trace is not None else model
    if model in lab.models:   # its corpus's models, named in ``lang``
        out["model"] = Update(choices=corpus.model_choices(lab, lab.corpus(model), lang))
    if name in lab.models:
        out["units_table"] = lab.units_table_html(name, lang)
        choices = lab.unit_choices(name, lang)
        if choices:
            out["unit_pick"] = Update(choices=choices)
    if trace is not None:
        out.update(_trace_views(lab, trace, t, which, unit, samp_temperature, samp_top_k, lang))
    if conn_shown is not None:
        # the plot is emptied here and drawn again by ``replot``, chained after: a LinePlot
        # given a value whose series have other names draws nothing (gradio 6.31, chromium)
        out.update({**why.connectivity_shown(lab, conn_shown, lang), "conn_plot": None})
    if match_shown is not None:
        out["match_view"] = views.match_html(*match_shown, lang=lang)
    if edit_shown is not None:
        out["edit_summary"] = views.side_by_side_md(edit_shown, lang)
    if score_shown is not None:
        out.update({"summary": views.surprise_summary(score_shown.text, score_shown.surprise, lang),
                    "surprise_view": views.surprise_html(score_shown.text, score_shown.surprise, lang)})
    return out


def replot(lab: Lab, conn_shown, lang: str = "en") -> dict:
    """After ``relanguage``: the connectivity plot again, its series named in ``lang``."""
    if conn_shown is None:
        return {"conn_plot": SKIP}
    return {"conn_plot": why.connectivity_shown(lab, conn_shown, lang)["conn_plot"]}
